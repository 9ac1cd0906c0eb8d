//! One error type at the edge: every module error becomes one clear message with a hint.

use crate::diff::DiffError;
use crate::engine::EngineError;
use crate::policy::PolicyError;
use crate::repo::RepoError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("cannot read message file {}: {source}", .path.display())]
    MessageFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error(transparent)]
    Hooks(#[from] crate::hooks::HooksError),
    #[error(transparent)]
    Onboarding(#[from] crate::onboarding::OnboardingError),
    #[error("`agentguard {0}` is not built yet")]
    NotBuilt(&'static str),
    #[error("cannot change to directory {}: {source}", .path.display())]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<RepoError> for Error {
    fn from(e: RepoError) -> Self {
        Error::Engine(EngineError::Repo(e))
    }
}

impl Error {
    /// What the user can do next.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Engine(EngineError::Repo(e))
            | Error::Engine(EngineError::Diff(DiffError::Repo(e)))
            | Error::Engine(EngineError::Policy(PolicyError::Repo(e))) => repo_hint(e),
            Error::Engine(EngineError::Policy(_)) => Some(
                "fix the file in the base commit; agentguard never falls back to defaults when a policy or task file is broken",
            ),
            Error::MessageFile { .. } => Some("pass the path of an existing commit message file"),
            Error::Ledger(e) => e.hint(),
            Error::Hooks(e) => e.hint(),
            Error::Onboarding(e) => e.hint(),
            Error::Directory { .. } => Some("pass -C an existing directory inside a git work tree"),
            _ => None,
        }
    }
}

fn repo_hint(error: &RepoError) -> Option<&'static str> {
    match error {
        RepoError::NotARepository { .. } => {
            Some("run agentguard inside a git work tree, or pass -C <dir>")
        }
        RepoError::Bare { .. } => {
            Some("run it in a clone with a work tree (git clone <bare> <dir>)")
        }
        RepoError::BadRevision { .. } | RepoError::NotACommit { .. } => {
            Some("name a commit, e.g. HEAD, a branch, or a commit id (see `git rev-parse`)")
        }
        RepoError::UnbornHead => {
            Some("make a first commit, or judge what is staged with `agentguard check --staged`")
        }
        RepoError::MissingParent { .. } => {
            Some("fetch more history (git fetch --deepen=1, or --unshallow) and run again")
        }
        RepoError::ConflictedIndex => {
            Some("resolve the conflicts and `git add` the files, then check again")
        }
        RepoError::NotARegularFile { .. } => {
            Some("replace it with a regular file in a human commit; agentguard does not follow links for its rules")
        }
        RepoError::WriteTree { .. } => Some("check that `git write-tree` works in this repository"),
        RepoError::Git(_) => None,
    }
}
