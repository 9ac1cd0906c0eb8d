//! Errors at the edge. Modules keep their own error enums, each with the hint made where the
//! error is made; here every error is classified (the user's input, the configuration, or
//! agentguard and its surroundings) and becomes one `CommandError`: one message, its hints.

use crate::acceptance::AcceptanceError;
use crate::approval::ApprovalError;
use crate::diff::DiffError;
use crate::engine::EngineError;
use crate::evidence::EvidenceError;
use crate::hooks::run::HookRunError;
use crate::hooks::HooksError;
use crate::ledger::LedgerError;
use crate::onboarding::OnboardingError;
use crate::policy::PolicyError;
use crate::repo::RepoError;
use crate::sync::SyncError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("cannot read message file {}: {source}", .path.display())]
    MessageFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    #[error(transparent)]
    Approval(#[from] ApprovalError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Hooks(#[from] HooksError),
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
    Hook(#[from] HookRunError),
    #[error("unknown hook `{0}` (agentguard handles pre-commit, prepare-commit-msg, commit-msg, post-commit, post-merge, pre-push and post-rewrite)")]
    UnknownHook(String),
    #[error("there is no change to approve")]
    NothingToApprove,
    #[error("`agentguard scan` takes either commits or paths, not both")]
    MixedScanTargets,
    #[error("cannot roll back {commit}: {reason}")]
    Rollback { commit: String, reason: String },
    #[error("commit {commit} is not agent work: it has no evidence to attach a session to")]
    NotAgentWork { commit: String },
    #[error("commit {commit} has no evidence note under {notes_ref} to attach the session to")]
    NoEvidence { commit: String, notes_ref: String },
    #[error(transparent)]
    Onboarding(#[from] OnboardingError),
    #[error(transparent)]
    Render(#[from] crate::report::RenderError),
    #[error(transparent)]
    Stdout(#[from] crate::output::WriteError),
    #[error("cannot change to directory {}: {source}", .path.display())]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the policy no longer says what its examples say ({policy}):\n{}", .failures.join("\n"))]
    ExamplesFail {
        policy: String,
        failures: Vec<String>,
    },
    #[error("cannot read {}: {source}", .path.display())]
    ReadPolicy {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error("no base to verify against: {reason}")]
    NoBase { reason: String },
    #[error("nothing to verify: {range} has no commits")]
    NothingToVerify { range: String },
    #[error("--output `{value}`: {reason}")]
    BadOutput { value: String, reason: String },
}

impl From<RepoError> for Error {
    fn from(e: RepoError) -> Self {
        Error::Engine(EngineError::Repo(e))
    }
}

impl Error {
    /// What the user can do next: the hint made with the error, whichever way it came.
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Engine(e) => e.hint(),
            Error::Evidence(e) => e.hint(),
            Error::Approval(e) => e.hint(),
            Error::Ledger(e) => e.hint(),
            Error::Hooks(e) => e.hint(),
            Error::Hook(e) => e.hint(),
            Error::Onboarding(e) => e.hint(),
            Error::MessageFile { .. } => Some("pass the path of an existing commit message file"),
            Error::UnknownCategory { .. } => {
                Some("name a category of the base policy's [risk] tables, as the finding shows it")
            }
            Error::CorruptNote { .. } => Some(
                "record it again with `agentguard check <commit> --record` (it replaces the note), or remove it with `git notes --ref <ref> remove <commit>`",
            ),
            Error::UnknownHook(_) => Some("reinstall the hooks with `agentguard install`"),
            Error::Rollback { .. } => Some(
                "`agentguard rollback` reverts one commit on top of HEAD; resolve what it names, \
                 or revert by hand with `git revert` (the ledger then does not say why)",
            ),
            Error::NotAgentWork { .. } => None,
            Error::NoEvidence { .. } => Some(
                "record the evidence and the session together: `agentguard check <commit> --record \
                 --session <file>`",
            ),
            Error::Directory { .. } => Some("pass -C an existing directory inside a git work tree"),
            Error::MixedScanTargets => Some("scan the commits and the files in two runs"),
            Error::ExamplesFail { .. } => Some(
                "a policy edit changed what these paths get: restore the rule, or update the `[[examples]]` on purpose (`agentguard policy test` shows each)",
            ),
            Error::ReadPolicy { .. } => Some("check that the file is readable"),
            Error::Sync(e) => e.hint(),
            Error::NoBase { .. } => Some(
                "pass a range (agentguard verify origin/main..HEAD) or --base origin/main; `git remote set-head origin --auto` records the remote's default branch",
            ),
            Error::NothingToVerify { .. } => Some(
                "check the range and that the checkout has the pull request's commits; pass --allow-empty where a range with no commits is expected",
            ),
            Error::BadOutput { .. } => Some(
                "write --output FORMAT=PATH (json, junit, sarif, github, markdown or human), once per path",
            ),
            Error::Output { .. }
            | Error::NothingToApprove
            | Error::Render(_) => None,
            Error::Stdout(_) => Some("check the file or device standard output goes to"),
        }
    }

    /// Whose move it is: the person's input, the configuration, or agentguard's own.
    pub(crate) fn kind(&self) -> ErrorKind {
        match self {
            Error::Engine(e) => engine_kind(e),
            Error::Evidence(e) => evidence_kind(e),
            Error::Approval(e) => approval_kind(e),
            Error::Ledger(e) => match e {
                LedgerError::Encode(_) => ErrorKind::Internal,
                _ => ErrorKind::User,
            },
            Error::Hooks(e) => match e {
                HooksError::Policy(e) => policy_kind(e),
                HooksError::Repo(e) => repo_kind(e),
                HooksError::Config(_) => ErrorKind::Config,
                _ => ErrorKind::User,
            },
            Error::Hook(e) => match e {
                HookRunError::Engine(e) => engine_kind(e),
                HookRunError::Evidence(e) => evidence_kind(e),
                HookRunError::Approval(e) => approval_kind(e),
                HookRunError::Repo(e) => repo_kind(e),
                HookRunError::MessageFile { .. }
                | HookRunError::PushInput(_)
                | HookRunError::Environment(_)
                | HookRunError::State { .. }
                | HookRunError::Stale { .. }
                | HookRunError::Notes { .. } => ErrorKind::User,
            },
            Error::Onboarding(e) => match e {
                OnboardingError::Policy(e) => policy_kind(e),
                OnboardingError::Repo(e) => repo_kind(e),
                _ => ErrorKind::User,
            },
            Error::UnknownHook(_) | Error::ExamplesFail { .. } => ErrorKind::Config,
            Error::ReadPolicy { .. } => ErrorKind::User,
            Error::Sync(e) => match e {
                SyncError::Repo(e) => repo_kind(e),
                SyncError::Policy(e) => policy_kind(e),
                SyncError::Spawn(_) => ErrorKind::Internal,
                SyncError::Git { .. } | SyncError::Rejected { .. } | SyncError::NoRemote => {
                    ErrorKind::User
                }
            },
            Error::NoBase { .. } | Error::NothingToVerify { .. } | Error::BadOutput { .. } => {
                ErrorKind::User
            }
            Error::Render(_) => ErrorKind::Internal,
            Error::MessageFile { .. }
            | Error::UnknownCategory { .. }
            | Error::CorruptNote { .. }
            | Error::Output { .. }
            | Error::Stdout(_)
            | Error::NothingToApprove
            | Error::MixedScanTargets
            | Error::Rollback { .. }
            | Error::NotAgentWork { .. }
            | Error::NoEvidence { .. }
            | Error::Directory { .. } => ErrorKind::User,
        }
    }
}

/// Who can fix an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// The command, its arguments, or the repository's state.
    User,
    /// The policy, a task file, the hooks or git's configuration.
    Config,
    /// agentguard itself, or git or the system failing under it.
    Internal,
}

/// An error as the person reads it: its kind, one message, and what to do next.
#[derive(Debug)]
pub(crate) struct CommandError {
    pub kind: ErrorKind,
    pub message: String,
    pub hints: Vec<String>,
}

impl From<Error> for CommandError {
    fn from(error: Error) -> Self {
        let kind = error.kind();
        let mut hints: Vec<String> = error.hint().map(str::to_string).into_iter().collect();
        if kind == ErrorKind::Internal {
            hints.push(
                "this is not a problem with your input; if it persists, report it with the command that failed"
                    .to_string(),
            );
        }
        Self {
            kind,
            message: error.to_string(),
            hints,
        }
    }
}

impl CommandError {
    /// The paragraph printed on stderr.
    pub(crate) fn render(&self) -> String {
        let label = match self.kind {
            ErrorKind::User => "error",
            ErrorKind::Config => "config error",
            ErrorKind::Internal => "internal error",
        };
        let mut text = format!("agentguard: {label}: {}\n", self.message);
        for hint in &self.hints {
            text.push_str(&format!("  hint: {hint}\n"));
        }
        text
    }
}

fn engine_kind(error: &EngineError) -> ErrorKind {
    match error {
        EngineError::Repo(e) => repo_kind(e),
        EngineError::Policy(e) => policy_kind(e),
        EngineError::Diff(e) => match e {
            DiffError::Repo(e) => repo_kind(e),
            DiffError::ConflictedIndex => ErrorKind::User,
            DiffError::Git(_) => ErrorKind::Internal,
        },
        EngineError::Acceptance(e) => match e {
            AcceptanceError::Interrupted { .. } => ErrorKind::User,
            AcceptanceError::Filesystem(_) => ErrorKind::Config,
            _ => ErrorKind::Internal,
        },
        EngineError::Approval(e) => approval_kind(e),
        EngineError::Git(_) => ErrorKind::Internal,
        EngineError::UnknownCategory { .. } | EngineError::Read { .. } => ErrorKind::User,
        EngineError::PathTaken(e) => match e {
            crate::path_taken::PathTakenError::Session(_) => ErrorKind::User,
            crate::path_taken::PathTakenError::Git(_) => ErrorKind::Internal,
        },
    }
}

fn policy_kind(error: &PolicyError) -> ErrorKind {
    match error {
        PolicyError::Repo(e) => repo_kind(e),
        PolicyError::Parse { .. } | PolicyError::Invalid { .. } => ErrorKind::Config,
    }
}

fn evidence_kind(error: &EvidenceError) -> ErrorKind {
    match error {
        EvidenceError::Repo(e) => repo_kind(e),
        EvidenceError::Io { .. } => ErrorKind::User,
        EvidenceError::Serialize(_) => ErrorKind::Internal,
    }
}

fn approval_kind(error: &ApprovalError) -> ErrorKind {
    match error {
        ApprovalError::Repo(e) => repo_kind(e),
        ApprovalError::NoKey | ApprovalError::NoIdentity => ErrorKind::Config,
        ApprovalError::NoSshKeygen | ApprovalError::Sign { .. } | ApprovalError::Io { .. } => {
            ErrorKind::User
        }
        ApprovalError::Spawn { .. } => ErrorKind::Internal,
    }
}

fn repo_kind(error: &RepoError) -> ErrorKind {
    match error {
        // A policy or task file that is a link is the configuration's problem.
        RepoError::NotARegularFile { .. } => ErrorKind::Config,
        RepoError::WriteTree { .. } | RepoError::DiffIndex { .. } | RepoError::Git(_) => {
            ErrorKind::Internal
        }
        _ => ErrorKind::User,
    }
}
