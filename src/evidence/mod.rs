//! Evidence: what a check found and ran, kept as a TOML note on the commit, or as pending
//! evidence keyed by the staged tree until the post-commit hook attaches it.

pub mod compare;
pub(crate) mod pending;
mod side_by_side;

use crate::acceptance::AcceptanceRun;
use crate::finding::Finding;
use crate::repo::{Repo, RepoError};
use crate::verdict::Verdict;
use git2::Oid;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub use pending::{peek_pending, pending_dir, remove_pending, write_pending};

pub const SCHEMA: &str = "agentguard.evidence/v1";

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

/// One evidence note (SPEC §5). Unknown keys are ignored so newer notes stay readable.
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
    #[serde(default)]
    pub findings: Vec<Finding>,
    #[serde(default)]
    pub acceptance: Vec<AcceptanceRun>,
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
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Writes evidence where it belongs: a note on its commit, or pending for its staged tree.
/// Returns where it went, for the user.
pub fn record(repo: &Repo, notes_ref: &str, evidence: &Evidence) -> Result<String, EvidenceError> {
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

/// Attaches the pending evidence of `commit`'s tree to it (post-commit). The evidence must have
/// been made on the commit's first parent; otherwise (an amend, judged against the commit it
/// replaces) it stays pending for post-rewrite.
pub fn attach_pending(
    repo: &Repo,
    commit: &git2::Commit<'_>,
    notes_ref: &str,
) -> Result<Option<Evidence>, EvidenceError> {
    let Some(mut evidence) = peek_pending(repo, commit.tree_id())? else {
        return Ok(None);
    };
    let parent = commit.parent_id(0).ok().map(|p| p.to_string());
    if evidence.base != parent {
        return Ok(None);
    }
    evidence.commit = Some(commit.id().to_string());
    repo.write_note(notes_ref, commit.id(), &evidence.to_toml()?)?;
    remove_pending(repo, commit.tree_id())?;
    Ok(Some(evidence))
}
