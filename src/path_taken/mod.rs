//! The path a change took: the attempts before it (from the ledger), the agent's own session
//! (from its transcript), and the way back (a revert tried in memory, and the down migrations
//! beside any migration). One engine stage gathers them into the report; the evidence note
//! keeps them, and `verify` reads them back from the note.

pub(crate) mod attempts;
pub(crate) mod migrations;
pub(crate) mod revert;
pub(crate) mod session;

use crate::diff::Change;
use crate::engine::{CheckRequest, CommitReport};
use crate::evidence::path_taken::NoteRollback;
use crate::evidence::Evidence;
use crate::finding::{Finding, Kind};
use crate::repo::Repo;
use crate::risk::CompiledPolicy;
use crate::task::Task;
use std::path::{Path, PathBuf};

pub(crate) use revert::RollbackTarget;
pub(crate) use session::SessionError;

#[derive(Debug, thiserror::Error)]
pub enum PathTakenError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("git error while trying the revert: {}", .0.message())]
    Git(#[from] git2::Error),
}

impl PathTakenError {
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            PathTakenError::Session(e) => e.hint(),
            PathTakenError::Git(_) => None,
        }
    }
}

/// What the stage reads besides the report.
pub(crate) struct Inputs<'a> {
    pub request: &'a CheckRequest,
    pub compiled: &'a CompiledPolicy,
    /// The `Agent-Session` trailer's value, if any.
    pub session_trailer: Option<&'a str>,
    pub task: &'a Task,
    pub change: &'a Change,
}

/// Gathers the path the change took into `report.path_taken`, and the session's
/// cross-checks into `findings`.
pub(crate) fn gather(
    repo: &Repo,
    inputs: &Inputs<'_>,
    report: &mut CommitReport,
    findings: &mut Vec<Finding>,
) -> Result<(), PathTakenError> {
    let request = inputs.request;
    let recorded = if request.require_evidence {
        recorded_evidence(repo, report)
    } else {
        None
    };
    let session = match session_source(repo, inputs) {
        Some(source) => match session::summarize(&source.path, repo, inputs.compiled) {
            Ok(summary) => Some(summary),
            Err(e) if source.explicit => return Err(e.into()),
            // A trailer is the agent's word; what it names may be missing or in a format not
            // read here: said as a finding, the commit is not stopped for it.
            Err(e) => {
                findings.push(session::unreadable(&e, inputs.compiled));
                None
            }
        },
        None => recorded.as_ref().and_then(|e| e.session.clone()),
    };
    if let Some(summary) = &session {
        findings.extend(session::crosscheck::findings(
            summary,
            &session::crosscheck::Context {
                repo,
                change: inputs.change,
                task: inputs.task,
                policy: &inputs.compiled.policy,
            },
        ));
    }
    report.path_taken.session = session;
    if request.recording {
        report.path_taken.attempts =
            attempts::gather(repo, report.commit, inputs.task.id.as_deref());
    } else if let Some(evidence) = &recorded {
        report.path_taken.attempts.clone_from(&evidence.attempts);
    }
    let target = match &request.rollback_target {
        Some(target) => Some(target.clone()),
        None if request.recording => revert::local_target(repo),
        None => None,
    };
    if request.recording || target.is_some() {
        report.path_taken.rollback = Some(rollback(repo, report, target.as_ref(), findings)?);
    }
    Ok(())
}

/// The way back: the revert tried against `target`, and the migrations' down side.
fn rollback(
    repo: &Repo,
    report: &CommitReport,
    target: Option<&RollbackTarget>,
    findings: &[Finding],
) -> Result<NoteRollback, PathTakenError> {
    let mut rollback = revert::check(repo, report, target)?;
    let migrations: Vec<&str> = findings
        .iter()
        .filter(|f| f.kind == Kind::Risk && f.category == "migrations")
        .filter_map(|f| f.path.as_deref())
        .collect();
    rollback.migrations = migrations::down_of(repo, report.tree, &migrations);
    Ok(rollback)
}

/// The evidence note as recorded, when it speaks of this exact tree (`verify`).
fn recorded_evidence(repo: &Repo, report: &CommitReport) -> Option<Evidence> {
    let commit = report.commit?;
    let note = repo.note(&report.notes_ref, commit).ok()??;
    Evidence::parse(&note)
        .ok()
        .filter(|e| e.tree == report.tree.to_string())
}

struct SessionSource {
    path: PathBuf,
    /// Named on the command line (an error if unreadable), not by a trailer.
    explicit: bool,
}

/// The transcript to read: `--session`, or in a local run the `Agent-Session` trailer (a path
/// on the machine the commit is made on; in CI the note's summary stands instead).
fn session_source(repo: &Repo, inputs: &Inputs<'_>) -> Option<SessionSource> {
    if let Some(path) = &inputs.request.session {
        return Some(SessionSource {
            path: path.clone(),
            explicit: true,
        });
    }
    let trailer = inputs.session_trailer.filter(|_| inputs.request.local)?;
    Some(SessionSource {
        path: resolve(repo, trailer.trim()),
        explicit: false,
    })
}

/// `~/…` under the home directory; a relative path from the top of the work tree.
pub(crate) fn resolve(repo: &Repo, path: &str) -> PathBuf {
    if let Some(rest) = path.strip_prefix("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return Path::new(&home).join(rest);
        }
    }
    let path = Path::new(path);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    match repo.git().workdir() {
        Some(top) => top.join(path),
        None => path.to_path_buf(),
    }
}
