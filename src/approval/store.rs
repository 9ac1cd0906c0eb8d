//! Where approvals live: a note per commit under `<notes_ref>-approvals` (blocks appended), and
//! pending files keyed by fingerprint for a change not yet committed.

use super::{parse_blocks, Approval, ApprovalError};
use crate::repo::Repo;
use git2::Oid;
use std::io::Write;
use std::path::PathBuf;

/// Approvals sit beside the evidence: `refs/notes/agentguard` → `refs/notes/agentguard-approvals`.
pub(crate) fn notes_ref(evidence_ref: &str) -> String {
    format!("{evidence_ref}-approvals")
}

pub(crate) fn pending_dir(repo: &Repo) -> PathBuf {
    repo.common_dir()
        .join("agentguard")
        .join("pending-approvals")
}

fn pending_file(repo: &Repo, fingerprint: &str) -> PathBuf {
    pending_dir(repo).join(format!("{fingerprint}.txt"))
}

/// One stored approval block and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    /// "note" or "pending".
    pub source: &'static str,
    pub approval: Result<Approval, String>,
}

/// Appends to the commit's approvals note: several approvals per commit accumulate.
pub(crate) fn append_to_note(
    repo: &Repo,
    notes_ref: &str,
    commit: Oid,
    block: &str,
) -> Result<(), ApprovalError> {
    repo.update_note(notes_ref, commit, |old| {
        let mut text = old
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(block);
        text
    })?;
    Ok(())
}

/// Appends to the pending approvals of a fingerprint, in one write.
pub(crate) fn append_pending(
    repo: &Repo,
    fingerprint: &str,
    block: &str,
) -> Result<PathBuf, ApprovalError> {
    let dir = pending_dir(repo);
    std::fs::create_dir_all(&dir).map_err(ApprovalError::io("create", &dir))?;
    crate::evidence::pending::prune_stale(&dir);
    let path = pending_file(repo, fingerprint);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(ApprovalError::io("write", &path))?;
    file.write_all(block.as_bytes())
        .map_err(ApprovalError::io("write", &path))?;
    Ok(path)
}

/// Every approval that could speak for this change: the commit's note and the pending ones made
/// for its fingerprint. Whether each counts is for `verify` to say.
pub(crate) fn load(
    repo: &Repo,
    notes_ref: &str,
    commit: Option<Oid>,
    fingerprint: &str,
) -> Result<Vec<Stored>, ApprovalError> {
    let mut stored = Vec::new();
    if let Some(commit) = commit {
        if let Some(bytes) = repo.note(notes_ref, commit)? {
            let text = String::from_utf8_lossy(&bytes);
            stored.extend(parse_blocks(&text).into_iter().map(|approval| Stored {
                source: "note",
                approval,
            }));
        }
    }
    let path = pending_file(repo, fingerprint);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            stored.extend(parse_blocks(&text).into_iter().map(|approval| Stored {
                source: "pending",
                approval,
            }));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(ApprovalError::io("read", &path)(e)),
    }
    Ok(stored)
}

/// Moves the pending approvals of `fingerprint` onto `commit`'s note (post-commit). Returns how
/// many blocks moved.
pub(crate) fn attach_pending(
    repo: &Repo,
    notes_ref: &str,
    commit: Oid,
    fingerprint: &str,
) -> Result<usize, ApprovalError> {
    let path = pending_file(repo, fingerprint);
    // Claim the file first: an `approve --staged` appending meanwhile starts a new one.
    let claimed = path.with_extension(format!("attaching-{}", std::process::id()));
    match std::fs::rename(&path, &claimed) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(ApprovalError::io("claim", &path)(e)),
    }
    let text = std::fs::read_to_string(&claimed).map_err(ApprovalError::io("read", &claimed))?;
    let count = parse_blocks(&text).iter().filter(|a| a.is_ok()).count();
    append_to_note(repo, notes_ref, commit, &text)?;
    std::fs::remove_file(&claimed).map_err(ApprovalError::io("remove", &claimed))?;
    Ok(count)
}

/// Whether any approval is waiting to be attached (post-commit skips the diff otherwise).
pub(crate) fn has_pending(repo: &Repo) -> bool {
    std::fs::read_dir(pending_dir(repo)).is_ok_and(|mut entries| entries.next().is_some())
}
