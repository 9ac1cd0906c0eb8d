//! The ledger: one JSON line per hook run, check and verify, in
//! `<git common dir>/agentguard/ledger.jsonl`.
//!
//! Appends take an exclusive lock and write each line with a single `write` on a file opened
//! with `O_APPEND`, so concurrent runs never interleave. Reading is liberal: unknown fields are
//! ignored, missing ones take defaults, and a line that cannot be parsed is a warning, never
//! fatal, so older and newer versions of agentguard share one ledger.

mod entry;
pub(crate) mod summary;

#[cfg(test)]
pub(crate) use entry::Bypass;
pub(crate) use entry::{last_line, EntryFinding, RollbackRecord};
pub use entry::{Entry, EntryRun, LineVerdict};
pub(crate) use summary::{rolled_back, Summary};

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The directory under the git common dir that holds the ledger.
pub(crate) const DIR: &str = "agentguard";
/// The current ledger file.
pub(crate) const FILE: &str = "ledger.jsonl";
const LOCK_FILE: &str = "ledger.lock";
/// The ledger is rotated to `ledger.1.jsonl` once it would grow past this.
pub(crate) const MAX_BYTES: u64 = 16 * 1024 * 1024;
/// Rotated generations kept: `ledger.1.jsonl` (newest) to `ledger.3.jsonl` (oldest).
pub(crate) const GENERATIONS: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot write the ledger {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the ledger {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the ledger directory {} is not a directory", .path.display())]
    NotADirectory { path: PathBuf },
    #[error("cannot encode a ledger entry: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("`{value}` is not a date: {reason}")]
    BadDate { value: String, reason: String },
}

impl LedgerError {
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            LedgerError::Write { .. } | LedgerError::Read { .. } => Some(
                "the ledger lives in <git common dir>/agentguard/; check that the directory and \
                 its files are readable and writable by you",
            ),
            LedgerError::NotADirectory { .. } => Some(
                "move the file out of the way (agentguard keeps its ledger in that directory) \
                 and run again",
            ),
            LedgerError::Encode(_) => None,
            LedgerError::BadDate { .. } => {
                Some("give a date as YYYY-MM-DD or an RFC 3339 time such as 2026-01-31T12:00:00Z")
            }
        }
    }
}

/// A line of the ledger that could not be read; the others are still shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Warning {
    pub path: PathBuf,
    /// 1-based line number in `path`.
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: skipped: {}",
            self.path.display(),
            self.line,
            self.reason
        )
    }
}

/// Everything the ledger holds, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub entries: Vec<Entry>,
    pub warnings: Vec<Warning>,
}

pub(crate) fn dir(common_dir: &Path) -> PathBuf {
    common_dir.join(DIR)
}

pub fn path(common_dir: &Path) -> PathBuf {
    dir(common_dir).join(FILE)
}

fn generation(dir: &Path, n: u32) -> PathBuf {
    if n == 0 {
        dir.join(FILE)
    } else {
        dir.join(format!("ledger.{n}.jsonl"))
    }
}

/// Appends one entry as one line, atomically with respect to other agentguard processes.
pub fn append(common_dir: &Path, entry: &Entry) -> Result<(), LedgerError> {
    append_bounded(common_dir, std::slice::from_ref(entry), MAX_BYTES)
}

/// Appends several lines under one lock, in one write (a `verify` of many commits).
pub(crate) fn append_all(common_dir: &Path, entries: &[Entry]) -> Result<(), LedgerError> {
    if entries.is_empty() {
        return Ok(());
    }
    append_bounded(common_dir, entries, MAX_BYTES)
}

fn append_bounded(common_dir: &Path, entries: &[Entry], max_bytes: u64) -> Result<(), LedgerError> {
    let dir = dir(common_dir);
    if dir.exists() && !dir.is_dir() {
        return Err(LedgerError::NotADirectory { path: dir });
    }
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LedgerError::Write { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(write_err(&dir))?;
    let mut line = String::new();
    for entry in entries {
        line.push_str(&serde_json::to_string(entry)?);
        line.push('\n');
    }

    let lock_path = dir.join(LOCK_FILE);
    let _lock = crate::lock::Lock::exclusive(&lock_path).map_err(write_err(&lock_path))?;
    let current = generation(&dir, 0);
    let len = match std::fs::metadata(&current) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(write_err(&current)(e)),
    };
    if len > 0 && len + line.len() as u64 > max_bytes {
        rotate(&dir).map_err(write_err(&current))?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(&current)
        .map_err(write_err(&current))?;
    // A run killed mid-write leaves a line without its newline; start ours on a fresh line so
    // only the torn one is lost.
    if !ends_with_newline(&mut file).map_err(write_err(&current))? {
        line.insert(0, '\n');
    }
    // One write of the whole line: with O_APPEND the kernel places it at the end in one piece.
    file.write_all(line.as_bytes())
        .map_err(write_err(&current))?;
    Ok(())
}

fn ends_with_newline(file: &mut File) -> std::io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// Shifts every generation one up, dropping the oldest. Runs under the lock.
fn rotate(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(generation(dir, GENERATIONS)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    for n in (0..GENERATIONS).rev() {
        let from = generation(dir, n);
        if from.exists() {
            std::fs::rename(&from, generation(dir, n + 1))?;
        }
    }
    Ok(())
}

/// Reads every generation, oldest first. A missing ledger is an empty one; lines that cannot
/// be parsed become warnings.
pub(crate) fn read(common_dir: &Path) -> Result<Ledger, LedgerError> {
    let dir = dir(common_dir);
    let mut ledger = Ledger::default();
    match std::fs::metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ledger),
        Err(source) => return Err(LedgerError::Read { path: dir, source }),
        Ok(meta) if !meta.is_dir() => return Err(LedgerError::NotADirectory { path: dir }),
        Ok(_) => {}
    }
    // A shared lock keeps a rotation from moving lines between the files as they are read; a
    // reader that cannot take it (read-only directory) reads anyway.
    let _lock = crate::lock::Lock::shared(&dir.join(LOCK_FILE)).ok();
    for n in (0..=GENERATIONS).rev() {
        let path = generation(&dir, n);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(LedgerError::Read { path, source }),
        };
        read_lines(BufReader::new(file), &path, &mut ledger)?;
    }
    Ok(ledger)
}

/// Visits the entries newest first, until `visit` says to stop: the attempts before a commit
/// are the last lines of a long ledger, so older generations are read only when needed.
/// Lines without `needle` (when given) are skipped unparsed, as are lines that cannot be
/// parsed.
pub(crate) fn visit_newest_first(
    common_dir: &Path,
    needle: Option<&[u8]>,
    mut visit: impl FnMut(Entry) -> std::ops::ControlFlow<()>,
) -> Result<(), LedgerError> {
    let finder = needle.map(memchr::memmem::Finder::new);
    let dir = dir(common_dir);
    if !dir.is_dir() {
        return Ok(());
    }
    let _lock = crate::lock::Lock::shared(&dir.join(LOCK_FILE)).ok();
    for n in 0..=GENERATIONS {
        let path = generation(&dir, n);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(LedgerError::Read { path, source }),
        };
        for line in bytes.split(|b| *b == b'\n').rev() {
            if finder.as_ref().is_some_and(|f| f.find(line).is_none()) {
                continue;
            }
            let Ok(entry) = serde_json::from_slice::<Entry>(line) else {
                continue;
            };
            if visit(entry).is_break() {
                return Ok(());
            }
        }
    }
    Ok(())
}

fn read_lines(
    mut reader: impl BufRead,
    path: &Path,
    ledger: &mut Ledger,
) -> Result<(), LedgerError> {
    let mut buf = Vec::new();
    let mut number = 0;
    loop {
        buf.clear();
        let read = reader
            .read_until(b'\n', &mut buf)
            .map_err(|source| LedgerError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        let complete = buf.last() == Some(&b'\n');
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<Entry>(text) {
            Ok(entry) => ledger.entries.push(entry),
            Err(e) => ledger.warnings.push(Warning {
                path: path.to_path_buf(),
                line: number,
                reason: if complete {
                    format!("not a ledger entry ({e})")
                } else {
                    format!("torn line, cut off before its end ({e})")
                },
            }),
        }
    }
}

/// Parses `--since`: a day (`YYYY-MM-DD`, midnight UTC) or an RFC 3339 time.
pub(crate) fn parse_since(value: &str) -> Result<SystemTime, LedgerError> {
    let value = value.trim();
    let full = if value.len() == 10 {
        format!("{value}T00:00:00Z")
    } else {
        value.to_string()
    };
    humantime::parse_rfc3339_weak(&full).map_err(|e| LedgerError::BadDate {
        value: value.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::verdict::Verdict;

    fn entry(command: &str, verdict: LineVerdict) -> Entry {
        Entry {
            command: command.into(),
            verdict,
            ..Entry::new(command)
        }
    }

    #[test]
    fn missing_ledger_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = read(dir.path()).unwrap();
        assert!(ledger.entries.is_empty());
        assert!(ledger.warnings.is_empty());
    }

    #[test]
    fn append_then_read_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = entry("check", LineVerdict::Judged(Verdict::Block));
        first.task = Some("t1".into());
        append(dir.path(), &first).unwrap();
        append(
            dir.path(),
            &entry("verify", LineVerdict::Judged(Verdict::Pass)),
        )
        .unwrap();
        let ledger = read(dir.path()).unwrap();
        assert_eq!(ledger.entries.len(), 2);
        assert_eq!(ledger.entries[0], first);
        assert_eq!(ledger.entries[1].command, "verify");
        assert!(ledger.warnings.is_empty());
    }

    #[test]
    fn rotation_keeps_generations_and_reads_them_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let numbered = |i: u64| Entry {
            duration_ms: 100 + i,
            ..entry("check", LineVerdict::Judged(Verdict::Pass))
        };
        let line_len = serde_json::to_string(&numbered(0)).unwrap().len() as u64 + 1;
        // Room for two lines per file.
        let bound = line_len * 2 + 1;
        for i in 0..11 {
            append_bounded(dir.path(), std::slice::from_ref(&numbered(i)), bound).unwrap();
        }
        let ledger_dir = super::dir(dir.path());
        for n in 0..=GENERATIONS {
            let len = std::fs::metadata(generation(&ledger_dir, n)).unwrap().len();
            assert!(len <= bound, "generation {n} has {len} bytes");
        }
        assert!(!generation(&ledger_dir, GENERATIONS + 1).exists());
        let ledger = read(dir.path()).unwrap();
        let kept: Vec<u64> = ledger.entries.iter().map(|e| e.duration_ms).collect();
        // The oldest generation was dropped twice (100-101, then 102-103); the newest file
        // holds the one line that triggered the last rotation.
        assert_eq!(kept, (104..111).collect::<Vec<_>>());
    }

    #[test]
    fn corrupt_and_torn_lines_are_warnings() {
        let dir = tempfile::tempdir().unwrap();
        append(
            dir.path(),
            &entry("check", LineVerdict::Judged(Verdict::Pass)),
        )
        .unwrap();
        let file = path(dir.path());
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str("not json at all\n");
        text.push_str("{\"command\": 42}\n");
        text.push('\n');
        text.push_str("{\"command\":\"check\",\"future_field\":[1,2],\"verdict\":\"someday\"}\n");
        text.push_str("{\"command\":\"verify\",\"verd");
        std::fs::write(&file, text).unwrap();
        let ledger = read(dir.path()).unwrap();
        assert_eq!(ledger.entries.len(), 2);
        assert_eq!(
            ledger.entries[1].verdict,
            LineVerdict::Unknown("someday".into())
        );
        let lines: Vec<usize> = ledger.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![2, 3, 6]);
        assert!(ledger.warnings[0].reason.starts_with("not a ledger entry"));
        assert!(ledger.warnings[2].reason.starts_with("torn line"));

        // The next append starts on its own line, so only the torn line is lost.
        append(
            dir.path(),
            &entry("report", LineVerdict::Judged(Verdict::Pass)),
        )
        .unwrap();
        let ledger = read(dir.path()).unwrap();
        assert_eq!(ledger.entries.len(), 3);
        assert_eq!(ledger.entries[2].command, "report");
        assert_eq!(ledger.warnings.len(), 3);
    }

    #[test]
    fn empty_file_is_an_empty_ledger() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(super::dir(dir.path())).unwrap();
        std::fs::write(path(dir.path()), "").unwrap();
        let ledger = read(dir.path()).unwrap();
        assert!(ledger.entries.is_empty() && ledger.warnings.is_empty());
    }

    #[test]
    fn a_file_where_the_directory_belongs_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(super::dir(dir.path()), "oops").unwrap();
        let e = append(
            dir.path(),
            &entry("check", LineVerdict::Judged(Verdict::Pass)),
        )
        .unwrap_err();
        assert!(matches!(e, LedgerError::NotADirectory { .. }), "{e}");
        assert!(e.hint().is_some());
        let e = read(dir.path()).unwrap_err();
        assert!(matches!(e, LedgerError::NotADirectory { .. }), "{e}");
    }

    #[test]
    fn since_takes_days_and_times() {
        let day = parse_since("2026-01-02").unwrap();
        let time = parse_since("2026-01-02T00:00:00Z").unwrap();
        assert_eq!(day, time);
        assert!(parse_since("2026-01-02T10:00:00.123Z").unwrap() > day);
        assert!(matches!(
            parse_since("yesterday"),
            Err(LedgerError::BadDate { .. })
        ));
    }
}
