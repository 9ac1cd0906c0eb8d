//! The agent's own session as evidence: its transcript (a Codex CLI rollout file or a Claude
//! Code transcript) read as tool calls and their results, then summed up into a bounded,
//! redacted summary for the note. The transcript itself never leaves the machine.

mod claude;
mod codex;
pub(crate) mod commands;
pub(crate) mod crosscheck;

use crate::evidence::path_taken::{NoteSession, SessionCommand, SessionFetch, SessionTotals};
use crate::finding::{Action, Finding, Kind};
use crate::repo::Repo;
use crate::risk::{self, CompiledPolicy};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::io::BufRead;
use std::path::{Component, Path, PathBuf};

/// What the summary keeps: the first and the last commands, cut texts, capped lists.
const FIRST_COMMANDS: usize = 10;
const LAST_COMMANDS: usize = 60;
const COMMAND_CHARS: usize = 300;
const INTENT_CHARS: usize = 200;
const LINE_CHARS: usize = 200;
const FILES_KEPT: usize = 500;
const FETCHES_KEPT: usize = 40;
/// A transcript line longer than this (a huge tool output) is skipped, not held in memory.
const MAX_LINE: usize = 64 * 1024 * 1024;
/// What is read of a transcript at most; a longer one is summed up from its beginning.
const MAX_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Lines looked at to recognise the format.
const SNIFF_LINES: usize = 50;

pub(crate) const SUPPORTED: &str =
    "Codex CLI rollout files (~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl) \
     and Claude Code transcripts (~/.claude/projects/<project>/<session>.jsonl)";

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("cannot read the agent session {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the agent session {} is not a transcript agentguard reads: {reason}; supported: {SUPPORTED}", .path.display())]
    UnknownFormat { path: PathBuf, reason: String },
}

impl SessionError {
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            SessionError::Read { .. } => Some(
                "pass the transcript file itself: the newest rollout-*.jsonl under \
                 ~/.codex/sessions/, or the <session>.jsonl under ~/.claude/projects/",
            ),
            SessionError::UnknownFormat { .. } => Some(
                "attach the transcript file as the agent wrote it (JSON Lines), not an export \
                 or a copy of the terminal",
            ),
        }
    }
}

/// Which agent wrote the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Codex,
    ClaudeCode,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Codex => "codex",
            Format::ClaudeCode => "claude-code",
        }
    }
}

/// A transcript read as tool calls, in order.
#[derive(Debug, Default)]
pub(crate) struct Transcript {
    pub id: Option<String>,
    /// Where the agent worked, to make its paths repository-relative.
    pub cwd: Option<String>,
    pub started: Option<String>,
    pub ended: Option<String>,
    pub calls: Vec<Call>,
    /// Call ids to their index in `calls`, to pair results.
    index: HashMap<String, usize>,
}

impl Transcript {
    fn seen(&mut self, time: Option<&str>) {
        let Some(time) = time.filter(|t| !t.is_empty()) else {
            return;
        };
        if self.started.is_none() {
            self.started = Some(time.to_string());
        }
        self.ended = Some(time.to_string());
    }

    fn push(&mut self, id: Option<&str>, call: Call) {
        if let Some(id) = id.filter(|i| !i.is_empty()) {
            self.index.insert(id.to_string(), self.calls.len());
        }
        self.calls.push(call);
    }

    /// Pairs a result with its call; an exit code known from an earlier record (Codex's
    /// `exec_command_end`) stays where the output does not say one.
    fn result(&mut self, id: &str, mut result: CallResult) {
        if let Some(&i) = self.index.get(id) {
            let call = &mut self.calls[i];
            if let Some(earlier) = &call.result {
                result.exit_code = result.exit_code.or(earlier.exit_code);
            }
            call.result = Some(result);
        }
    }

    fn call_mut(&mut self, id: &str) -> Option<&mut Call> {
        let i = *self.index.get(id)?;
        self.calls.get_mut(i)
    }
}

/// One tool call.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub time: Option<String>,
    pub kind: CallKind,
    pub result: Option<CallResult>,
}

#[derive(Debug, Clone)]
pub(crate) enum CallKind {
    Command {
        command: String,
        intent: Option<String>,
    },
    /// An edit, a write or a patch: the files it wrote.
    Write {
        paths: Vec<String>,
    },
    /// A web fetch or search.
    Fetch {
        tool: String,
        target: String,
    },
    Other,
}

/// A call's result, reduced to what the summary keeps.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallResult {
    pub time: Option<String>,
    pub exit_code: Option<i32>,
    pub failed: bool,
    pub interrupted: bool,
    pub duration_ms: Option<u64>,
    pub last_line: String,
    pub output_sha256: String,
}

impl CallResult {
    /// From an output text: its last line and digest.
    pub(crate) fn of_output(output: &str) -> Self {
        Self {
            last_line: crate::ledger::last_line(output, LINE_CHARS * 2),
            output_sha256: crate::diff::hex(&Sha256::digest(output.as_bytes())),
            ..Self::default()
        }
    }
}

/// Reads and sums up the transcript at `path`.
pub(crate) fn summarize(
    path: &Path,
    repo: &Repo,
    compiled: &CompiledPolicy,
) -> Result<NoteSession, SessionError> {
    let (format, transcript, sha256) = read(path)?;
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let top = repo.git().workdir().map(Path::to_path_buf);
    Ok(summary(
        format,
        &file,
        sha256,
        &transcript,
        top.as_deref(),
        &|text| risk::redact_secrets(compiled, text),
    ))
}

/// Reads a transcript, recognising its format from its first lines.
pub(crate) fn read(path: &Path) -> Result<(Format, Transcript, String), SessionError> {
    let read_error = |source| SessionError::Read {
        path: path.to_path_buf(),
        source,
    };
    let unknown = |reason: String| SessionError::UnknownFormat {
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(read_error)?;
    if !meta.is_file() {
        return Err(unknown("it is not a regular file".to_string()));
    }
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut reader = std::io::BufReader::new(std::io::Read::take(file, MAX_BYTES));
    let mut hasher = Sha256::new();
    let mut format = None;
    let mut pending: Vec<Value> = Vec::new();
    let mut transcript = Transcript::default();
    let mut buf = Vec::new();
    let mut number = 0usize;
    let mut parsed_any = false;
    loop {
        buf.clear();
        let (read, whole) =
            read_line(&mut reader, &mut buf, &mut hasher, MAX_LINE).map_err(read_error)?;
        if read == 0 {
            break;
        }
        number += 1;
        if !whole {
            continue;
        }
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            if !parsed_any && number == 1 {
                // Said without the line itself: it may hold anything.
                return Err(unknown("its first line is not JSON".to_string()));
            }
            continue;
        };
        parsed_any = true;
        match format {
            Some(format) => feed(format, &mut transcript, &value),
            None => {
                format = sniff(&value);
                pending.push(value);
                if let Some(format) = format {
                    for value in pending.drain(..) {
                        feed(format, &mut transcript, &value);
                    }
                } else if pending.len() >= SNIFF_LINES {
                    break;
                }
            }
        }
    }
    let Some(format) = format else {
        return Err(unknown(if parsed_any {
            "its lines are JSON, but not the records of a known agent".to_string()
        } else {
            "it is empty".to_string()
        }));
    };
    Ok((format, transcript, crate::diff::hex(&hasher.finalize())))
}

/// Reads one line into `buf`, hashing it; a line longer than `max` is read through and
/// hashed but not kept (`false`). Returns the bytes read.
fn read_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    hasher: &mut Sha256,
    max: usize,
) -> std::io::Result<(usize, bool)> {
    let mut total = 0;
    let mut whole = true;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok((total, whole));
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(at) => (at + 1, true),
            None => (chunk.len(), false),
        };
        hasher.update(&chunk[..take]);
        if whole && buf.len() + take <= max {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            whole = false;
            buf.clear();
        }
        reader.consume(take);
        total += take;
        if done {
            return Ok((total, whole));
        }
    }
}

fn feed(format: Format, transcript: &mut Transcript, value: &Value) {
    match format {
        Format::Codex => codex::feed(transcript, value),
        Format::ClaudeCode => claude::feed(transcript, value),
    }
}

/// The format a line belongs to, if it tells.
fn sniff(value: &Value) -> Option<Format> {
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if value.get("payload").is_some()
        && matches!(
            kind,
            "session_meta" | "response_item" | "event_msg" | "turn_context" | "compacted"
        )
    {
        return Some(Format::Codex);
    }
    // Rollouts before the `{timestamp, type, payload}` wrapper: the items themselves.
    if matches!(
        kind,
        "function_call" | "function_call_output" | "local_shell_call" | "custom_tool_call"
    ) {
        return Some(Format::Codex);
    }
    let claude_line = value.get("sessionId").is_some()
        || value.get("uuid").is_some()
        || value.get("message").is_some();
    if claude_line
        && matches!(
            kind,
            "user" | "assistant" | "system" | "summary" | "queue-operation"
        )
    {
        return Some(Format::ClaudeCode);
    }
    None
}

/// A string field.
pub(crate) fn str_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// Milliseconds between two RFC 3339 times, when both read and the second is later.
pub(crate) fn between(start: Option<&str>, end: Option<&str>) -> Option<u64> {
    let start = humantime::parse_rfc3339_weak(start?).ok()?;
    let end = humantime::parse_rfc3339_weak(end?).ok()?;
    let ms = end.duration_since(start).ok()?.as_millis();
    u64::try_from(ms).ok()
}

/// `text` cut to `max` characters, with an ellipsis where it was cut.
fn cut(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut out: String = one_line.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Sums a transcript up for the note; `redact` is applied to every text kept.
pub(crate) fn summary(
    format: Format,
    file: &str,
    sha256: String,
    transcript: &Transcript,
    top: Option<&Path>,
    redact: &dyn Fn(&str) -> String,
) -> NoteSession {
    let mut totals = SessionTotals {
        tool_calls: transcript.calls.len(),
        ..SessionTotals::default()
    };
    let mut commands: Vec<SessionCommand> = Vec::new();
    let mut written: BTreeSet<String> = BTreeSet::new();
    let mut outside = 0usize;
    let mut network: Vec<SessionFetch> = Vec::new();
    for call in &transcript.calls {
        match &call.kind {
            CallKind::Command {
                command, intent, ..
            } => {
                let status = match &call.result {
                    None => "unknown",
                    Some(r) if r.interrupted => "interrupted",
                    Some(r) if r.failed || r.exit_code.is_some_and(|c| c != 0) => "failed",
                    Some(_) => "passed",
                };
                totals.commands += 1;
                if status == "failed" || status == "interrupted" {
                    totals.commands_failed += 1;
                }
                let reaches = commands::reaches_network(command);
                let shown = redact(&cut(command, COMMAND_CHARS));
                if reaches {
                    totals.network += 1;
                    network.push(SessionFetch {
                        tool: "command".to_string(),
                        target: shown.clone(),
                    });
                }
                let result = call.result.as_ref();
                commands.push(SessionCommand {
                    command: shown,
                    intent: intent
                        .as_deref()
                        .filter(|i| !i.trim().is_empty())
                        .map(|i| redact(&cut(i, INTENT_CHARS))),
                    status: status.to_string(),
                    exit_code: result.and_then(|r| r.exit_code),
                    duration_ms: result.and_then(|r| {
                        r.duration_ms
                            .or_else(|| between(call.time.as_deref(), r.time.as_deref()))
                    }),
                    output_last_line: result
                        .map(|r| redact(&cut(&r.last_line, LINE_CHARS)))
                        .unwrap_or_default(),
                    output_sha256: result.map(|r| r.output_sha256.clone()).unwrap_or_default(),
                    network: reaches,
                });
            }
            CallKind::Write { paths } => {
                // A patch that failed wrote nothing.
                if call
                    .result
                    .as_ref()
                    .is_some_and(|r| r.failed || r.exit_code.is_some_and(|c| c != 0))
                {
                    continue;
                }
                for path in paths {
                    totals.files_written += 1;
                    match relative(path, transcript.cwd.as_deref(), top) {
                        Some(rel) => {
                            written.insert(rel);
                        }
                        None => outside += 1,
                    }
                }
            }
            CallKind::Fetch { tool, target } => {
                totals.network += 1;
                network.push(SessionFetch {
                    tool: tool.clone(),
                    target: redact(&cut(target, COMMAND_CHARS)),
                });
            }
            CallKind::Other => {}
        }
    }
    let commands_omitted = commands
        .len()
        .saturating_sub(FIRST_COMMANDS + LAST_COMMANDS);
    if commands_omitted > 0 {
        commands.drain(FIRST_COMMANDS..FIRST_COMMANDS + commands_omitted);
    }
    let files_truncated = written.len() > FILES_KEPT;
    network.truncate(FETCHES_KEPT);
    NoteSession {
        format: format.as_str().to_string(),
        file: redact(file),
        id: transcript.id.as_deref().map(redact),
        started: transcript.started.clone(),
        ended: transcript.ended.clone(),
        sha256,
        totals,
        commands_omitted,
        commands,
        files_written: written.into_iter().take(FILES_KEPT).collect(),
        files_truncated,
        files_outside: outside,
        network,
    }
}

/// A path the agent wrote, relative to the repository; `None` when it is outside. Absolute
/// paths are taken relative to the work tree, or to the directory the agent worked in (it
/// may have worked in another clone); relative ones relative to where it worked.
pub(crate) fn relative(path: &str, cwd: Option<&str>, top: Option<&Path>) -> Option<String> {
    let path = Path::new(path);
    let inside = |base: &Path| path.strip_prefix(base).ok().map(Path::to_path_buf);
    let rel = if path.is_absolute() {
        top.and_then(inside)
            .or_else(|| cwd.map(Path::new).and_then(inside))?
    } else {
        // Where the agent worked, relative to the top of the work tree, when it is inside.
        let offset = match (cwd.map(Path::new), top) {
            (Some(cwd), Some(top)) => cwd.strip_prefix(top).ok().map(Path::to_path_buf),
            _ => None,
        };
        offset.unwrap_or_default().join(path)
    };
    normal(&rel)
}

/// `a/./b/../c` as `a/c`; `None` if it climbs out.
fn normal(path: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The finding for a transcript an `Agent-Session` trailer names but that cannot be read.
pub(crate) fn unreadable(error: &SessionError, compiled: &CompiledPolicy) -> Finding {
    Finding::new(
        Kind::Evidence,
        "session-unreadable",
        Action::Warn,
        risk::redact_secrets(compiled, &error.to_string()),
    )
    .rule("Agent-Session trailer")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn paths_become_repository_relative() {
        let top = Path::new("/work/repo");
        assert_eq!(
            relative("/work/repo/src/a.rs", None, Some(top)).as_deref(),
            Some("src/a.rs")
        );
        // Another clone of the same repository, where the agent worked.
        assert_eq!(
            relative("/home/u/proj/src/a.rs", Some("/home/u/proj"), Some(top)).as_deref(),
            Some("src/a.rs")
        );
        assert_eq!(
            relative("src/./b/../a.rs", Some("/work/repo"), Some(top)).as_deref(),
            Some("src/a.rs")
        );
        assert_eq!(
            relative("a.rs", Some("/work/repo/src"), Some(top)).as_deref(),
            Some("src/a.rs")
        );
        assert_eq!(
            relative("/tmp/scratch.txt", Some("/work/repo"), Some(top)),
            None
        );
        assert_eq!(relative("../outside", Some("/work/repo"), Some(top)), None);
    }

    #[test]
    fn an_overlong_line_is_hashed_and_skipped_not_kept() {
        let text = b"short\nthis line is far too long\nlast";
        let mut reader = std::io::BufReader::with_capacity(4, &text[..]);
        let mut hasher = Sha256::new();
        let mut lines = Vec::new();
        loop {
            let mut buf = Vec::new();
            let (read, whole) = read_line(&mut reader, &mut buf, &mut hasher, 10).unwrap();
            if read == 0 {
                break;
            }
            lines.push((String::from_utf8(buf).unwrap(), whole));
        }
        assert_eq!(
            lines,
            [
                ("short\n".to_string(), true),
                (String::new(), false),
                ("last".to_string(), true)
            ]
        );
        assert_eq!(hasher.finalize()[..], Sha256::digest(text)[..]);
        let dir = tempfile::tempdir().unwrap();
        let error = read(dir.path()).unwrap_err().to_string();
        assert!(error.contains("not a regular file"), "{error}");
    }

    #[test]
    fn long_texts_are_cut_to_one_line() {
        assert_eq!(cut("a\n  b", 10), "a b");
        assert_eq!(cut("abcdefghijk", 5), "abcd…");
    }
}
