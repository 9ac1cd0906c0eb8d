//! Pending evidence: written by `check --staged --record` (the commit-msg hook) before the
//! commit exists, keyed by the staged tree, and taken by post-commit.

use super::{Evidence, EvidenceError};
use crate::repo::Repo;
use git2::Oid;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Pending files older than this are from commits that never happened.
const STALE_AFTER: Duration = Duration::from_secs(14 * 24 * 60 * 60);

pub(crate) fn pending_dir(repo: &Repo) -> PathBuf {
    repo.common_dir().join("agentguard").join("pending")
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> EvidenceError {
    let path = path.to_path_buf();
    move |source| EvidenceError::Io { what, path, source }
}

/// Writes atomically (temp file + rename) so post-commit never reads half a file.
pub(crate) fn write_pending(
    repo: &Repo,
    evidence: &Evidence,
    text: &str,
) -> Result<PathBuf, EvidenceError> {
    let dir = pending_dir(repo);
    std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
    prune_stale(&dir);
    let path = dir.join(format!("{}.toml", evidence.tree));
    let mut file = tempfile::NamedTempFile::new_in(&dir).map_err(io("write", &dir))?;
    file.write_all(text.as_bytes())
        .map_err(io("write", &path))?;
    file.persist(&path)
        .map_err(|e| io("write", &path)(e.error))?;
    Ok(path)
}

/// The pending evidence for `tree`, left in place. A corrupt file reads as none: the commit
/// then simply has no evidence, which `verify` reports.
pub(crate) fn peek_pending(repo: &Repo, tree: Oid) -> Result<Option<Evidence>, EvidenceError> {
    let path = pending_path(repo, tree);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Evidence::parse(&bytes).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("read", &path)(e)),
    }
}

/// Removes the pending evidence for `tree` once it is attached.
pub(crate) fn remove_pending(repo: &Repo, tree: Oid) -> Result<(), EvidenceError> {
    let path = pending_path(repo, tree);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("remove", &path)(e)),
        _ => Ok(()),
    }
}

fn pending_path(repo: &Repo, tree: Oid) -> PathBuf {
    pending_dir(repo).join(format!("{tree}.toml"))
}

/// Removes files in `dir` older than two weeks: pending items of commits that never happened.
pub(crate) fn prune_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
