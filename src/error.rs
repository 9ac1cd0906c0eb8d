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
    Evidence(#[from] crate::evidence::EvidenceError),
    #[error(transparent)]
    Approval(#[from] crate::approval::ApprovalError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error(transparent)]
    Hooks(#[from] crate::hooks::HooksError),
    #[error("unknown risk category `{category}` (known: {known})")]
    UnknownCategory { category: String, known: String },
    #[error("the evidence note on {commit} under {notes_ref} is corrupt: {reason}")]
    CorruptNote {
        commit: String,
        notes_ref: String,
        reason: String,
    },
    #[error("cannot write {}: {source}", .path.display())]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Hook(#[from] crate::hooks::run::HookRunError),
    #[error("unknown hook `{0}` (agentguard handles pre-commit, commit-msg, post-commit, pre-push and post-rewrite)")]
    UnknownHook(String),
    #[error("there is no change to approve")]
    NothingToApprove,
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
            Error::Engine(EngineError::Approval(e)) | Error::Approval(e) => e.hint(),
            Error::UnknownCategory { .. } => {
                Some("name a category of the base policy's [risk] tables, as the finding shows it")
            }
            Error::CorruptNote { .. } => Some(
                "record it again with `agentguard check <commit> --record` (it replaces the note), or remove it with `git notes --ref <ref> remove <commit>`",
            ),
            Error::Hook(crate::hooks::run::HookRunError::Engine(EngineError::Repo(e))) => repo_hint(e),
            Error::UnknownHook(_) => Some("reinstall the hooks with `agentguard install`"),
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
        RepoError::Lock { .. } => {
            Some("check that the git directory is writable; another agentguard may hold the lock")
        }
        RepoError::NoUpstream { .. } => Some(
            "pass a range (agentguard verify origin/main..HEAD) or --base origin/main, or set one with `git branch --set-upstream-to`",
        ),
        RepoError::Walk { .. } => Some(
            "in a shallow clone, fetch the whole range (git fetch --unshallow, or actions/checkout with fetch-depth: 0)",
        ),
        RepoError::WriteTree { .. } => Some("check that `git write-tree` works in this repository"),
        RepoError::Git(_) => None,
    }
}
