//! Evidence: what a check found and ran, kept as a TOML note on the commit, or as pending
//! evidence keyed by the staged tree until the post-commit hook attaches it.

pub(crate) mod compare;
pub(crate) mod path_taken;
pub(crate) mod pending;
mod side_by_side;

use crate::acceptance::inventory::{Counts, Inventory};
use crate::acceptance::{AcceptanceRun, Baseline, Phase, RunStatus};
use crate::finding::{Action, Finding, Kind};
use crate::repo::{Repo, RepoError};
use crate::verdict::Verdict;
use git2::Oid;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub(crate) use pending::{peek_pending, remove_pending, write_pending};

pub(crate) const SCHEMA: &str = "agentguard.evidence/v1";

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error("cannot serialise evidence: {0}")]
    Serialize(String),
    #[error("cannot {what} {}: {source}", .path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

impl EvidenceError {
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            EvidenceError::Repo(e) => e.hint(),
            EvidenceError::Serialize(_) | EvidenceError::Io { .. } => None,
        }
    }
}

/// One evidence note, `agentguard.evidence/v1`: the note's own wire format, so a change to the
/// engine's types never changes a note. Unknown keys are ignored so newer notes stay readable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub schema: String,
    /// Absent while the evidence is pending for a staged tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub tree: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    pub policy: String,
    pub verdict: Verdict,
    /// False when the check ran with `--no-run`: the runs below then prove nothing.
    pub acceptance_ran: bool,
    pub tool: String,
    pub time: String,
    /// Categories whose approval is due at merge (`[approvals] when = "merge"`): the change
    /// was committed awaiting them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awaiting_approval: Vec<String>,
    #[serde(default)]
    pub findings: Vec<NoteFinding>,
    #[serde(default)]
    pub acceptance: Vec<NoteRun>,
    /// The attempts before this commit (absent from notes that predate them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<path_taken::Attempts>,
    /// The agent's session, summed up, when one was attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<path_taken::NoteSession>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<path_taken::NoteRollback>,
}

/// A finding as a note records it, its message as the reader was shown it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteFinding {
    pub kind: Kind,
    pub category: String,
    pub path: Option<String>,
    pub line: Option<u32>,
    pub action: Action,
    pub message: String,
    #[serde(default)]
    pub rule: String,
    #[serde(default)]
    pub approved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Its approval is due at merge, not yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deferred: bool,
}

impl NoteFinding {
    /// The finding with `message`, the text its reader was shown.
    pub fn new(finding: &Finding, message: String) -> Self {
        Self {
            kind: finding.kind,
            category: finding.category.clone(),
            path: finding.path.clone(),
            line: finding.line,
            action: finding.action,
            message,
            rule: finding.rule.clone(),
            approved: finding.approved(),
            detail: finding.detail.clone(),
            fingerprint: finding.fingerprint.clone(),
            deferred: finding.deferred,
        }
    }
}

/// An acceptance run as a note records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteRun {
    pub phase: Phase,
    pub command: String,
    pub source: String,
    pub status: RunStatus,
    pub program: Option<String>,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub duration_ms: u64,
    pub network: String,
    /// Absent from notes written before the filesystem was restricted.
    #[serde(default)]
    pub filesystem: String,
    pub worktree: String,
    pub repository: String,
    pub output_tail: String,
    pub output_truncated: bool,
    pub output_bytes: u64,
    pub output_sha256: String,
    pub output_complete: bool,
    /// Why it was skipped or reused; absent from notes of runs that simply ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The test inventory of an acceptance command; absent from setup runs and from notes
    /// written before inventories were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests: Option<NoteTests>,
}

/// How many tests a run collected and ran; the counts are absent when the runner is
/// "unknown" (or printed no count), `base_ran` until the base was compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteTests {
    pub runner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ran: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_ran: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_from: Option<String>,
}

impl NoteTests {
    pub fn new(tests: &Inventory, baseline: Option<&Baseline>) -> Self {
        let c = tests.counts;
        Self {
            runner: tests.runner.clone(),
            collected: c.map(|c| c.collected()),
            ran: c.map(|c| c.ran()),
            passed: c.map(|c| c.passed),
            failed: c.map(|c| c.failed),
            skipped: c.map(|c| c.skipped),
            base_ran: baseline.map(|b| b.ran),
            base_from: baseline.map(|b| b.from.clone()),
        }
    }

    pub fn inventory(&self) -> Inventory {
        let counts = match (self.passed, self.failed, self.skipped) {
            (Some(passed), Some(failed), Some(skipped)) => Some(Counts {
                passed,
                failed,
                skipped,
            }),
            _ => None,
        };
        Inventory {
            runner: self.runner.clone(),
            counts,
        }
    }

    pub fn baseline(&self) -> Option<Baseline> {
        Some(Baseline {
            ran: self.base_ran?,
            from: self.base_from.clone().unwrap_or_default(),
        })
    }
}

impl From<&AcceptanceRun> for NoteRun {
    fn from(run: &AcceptanceRun) -> Self {
        Self {
            phase: run.phase,
            command: run.command.clone(),
            source: run.source.clone(),
            status: run.status,
            program: run.program.clone(),
            exit_code: run.exit_code,
            signal: run.signal,
            timed_out: run.timed_out,
            duration_ms: run.duration_ms,
            network: run.network.clone(),
            filesystem: run.filesystem.clone(),
            worktree: run.worktree.clone(),
            repository: run.repository.clone(),
            output_tail: run.output_tail.clone(),
            output_truncated: run.output_truncated,
            output_bytes: run.output_bytes,
            output_sha256: run.output_sha256.clone(),
            output_complete: run.output_complete,
            reason: run.reason.clone(),
            tests: run
                .tests
                .as_ref()
                .map(|t| NoteTests::new(t, run.baseline.as_ref())),
        }
    }
}

/// A recorded run read back, to compare with a fresh one and to show it.
impl From<&NoteRun> for AcceptanceRun {
    fn from(run: &NoteRun) -> Self {
        Self {
            phase: run.phase,
            command: run.command.clone(),
            source: run.source.clone(),
            status: run.status,
            program: run.program.clone(),
            exit_code: run.exit_code,
            signal: run.signal,
            timed_out: run.timed_out,
            duration_ms: run.duration_ms,
            network: run.network.clone(),
            filesystem: run.filesystem.clone(),
            worktree: run.worktree.clone(),
            repository: run.repository.clone(),
            output_tail: run.output_tail.clone(),
            output_truncated: run.output_truncated,
            output_bytes: run.output_bytes,
            output_sha256: run.output_sha256.clone(),
            output_complete: run.output_complete,
            reason: run.reason.clone(),
            tests: run.tests.as_ref().map(NoteTests::inventory),
            baseline: run.tests.as_ref().and_then(NoteTests::baseline),
        }
    }
}

impl Evidence {
    pub fn to_toml(&self) -> Result<String, EvidenceError> {
        toml::to_string(self).map_err(|e| EvidenceError::Serialize(e.to_string()))
    }

    /// Reads a note back; the error says what is wrong with it, for a reviewer.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 ({e})"))?;
        let evidence: Evidence = toml::from_str(text).map_err(|e| {
            let message = e.message().to_string();
            match e.span() {
                Some(span) => {
                    let (line, column) = line_column(text, span.start);
                    format!("line {line}, column {column}: {message}")
                }
                None => message,
            }
        })?;
        if evidence.schema != SCHEMA {
            return Err(format!(
                "schema is `{}`, expected `{SCHEMA}`",
                evidence.schema
            ));
        }
        for (name, value) in [
            ("tree", &evidence.tree),
            ("fingerprint", &evidence.fingerprint),
        ] {
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("`{name}` is not a hex id: `{value}`"));
            }
        }
        Ok(evidence)
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The current time as RFC 3339 (UTC, seconds).
pub(crate) fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Writes evidence where it belongs: a note on its commit, or pending for its staged tree.
/// Returns where it went, for the user.
pub(crate) fn record(
    repo: &Repo,
    notes_ref: &str,
    evidence: &Evidence,
) -> Result<String, EvidenceError> {
    let text = evidence.to_toml()?;
    match &evidence.commit {
        Some(commit) => {
            let oid = Oid::from_str(commit).map_err(RepoError::from)?;
            repo.write_note(notes_ref, oid, &text)?;
            Ok(format!("note on {} under {notes_ref}", repo.short(oid)))
        }
        None => {
            let path = write_pending(repo, evidence, &text)?;
            Ok(format!("pending evidence {}", path.display()))
        }
    }
}

/// Attaches the pending evidence of `commit`'s tree to it (post-commit, or pre-push where git
/// ran none). The evidence must have been made on the commit's first parent (otherwise, an
/// amend judged against the commit it replaces, it stays pending for post-rewrite) and for
/// `task`, the one the commit names (not for a message rewritten since).
pub(crate) fn attach_pending(
    repo: &Repo,
    commit: &git2::Commit<'_>,
    task: Option<&str>,
    notes_ref: &str,
) -> Result<Option<Evidence>, EvidenceError> {
    let Some(mut evidence) = peek_pending(repo, commit.tree_id())? else {
        return Ok(None);
    };
    let parent = commit.parent_id(0).ok().map(|p| p.to_string());
    if evidence.base != parent || evidence.task.as_deref() != task {
        return Ok(None);
    }
    evidence.commit = Some(commit.id().to_string());
    if let Some(rollback) = &mut evidence.rollback {
        let mainline = if commit.parent_count() > 1 {
            "-m 1 "
        } else {
            ""
        };
        rollback.command = format!("git revert {mainline}{}", commit.id());
    }
    repo.write_note(notes_ref, commit.id(), &evidence.to_toml()?)?;
    remove_pending(repo, commit.tree_id())?;
    Ok(Some(evidence))
}
