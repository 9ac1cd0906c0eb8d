//! The record of one command's run, as evidence notes and reports keep it, and how it ended
//! in words.

use super::inventory::Inventory;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Setup,
    Acceptance,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Acceptance => "acceptance",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    Passed,
    Failed,
    TimedOut,
    /// Not started: unknown or disallowed program, or setup failed before it.
    NotRun,
    /// Not started because the change was already blocked before any command ran.
    Skipped,
    /// A setup command not run again: a reused checkout already holds what it made from the
    /// same inputs.
    Reused,
}

/// What happened when one command ran (also read back from evidence notes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptanceRun {
    pub phase: Phase,
    pub command: String,
    /// Where the command came from: "policy setup", "policy", "task file", "trailer".
    pub source: String,
    pub status: RunStatus,
    /// The resolved program: an absolute path, `sh builtin <name>`, or `unresolved <word>`.
    pub program: Option<String>,
    pub exit_code: Option<i32>,
    /// The signal that ended the shell, if one did.
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub duration_ms: u64,
    /// Isolation actually applied: "denied", "allowed" or "unrestricted".
    pub network: String,
    /// Where the command could write: "restricted" (its checkout and temporary directory),
    /// "allowed" or "unrestricted".
    #[serde(default)]
    pub filesystem: String,
    pub worktree: String,
    /// Whether the command could write the user's repository: "read-only" in the sandbox,
    /// "writable" where the platform cannot sandbox.
    pub repository: String,
    /// Head and tail of stdout and stderr (interleaved), at most `max_output` bytes.
    pub output_tail: String,
    pub output_truncated: bool,
    pub output_bytes: u64,
    /// sha256 of the whole output stream.
    pub output_sha256: String,
    /// False when the stream could not be read to its end (a process that left the command's
    /// group kept it open); the hash then covers what was read.
    pub output_complete: bool,
    /// Why it was skipped or reused, or under what condition it ran.
    #[serde(default)]
    pub reason: Option<String>,
    /// The tests an acceptance command collected and ran, as its runner reported them; `None`
    /// for setup, for a command that did not run, and in records made before inventories.
    #[serde(default)]
    pub tests: Option<Inventory>,
    /// What the base ran for the same command, once compared.
    #[serde(default)]
    pub baseline: Option<Baseline>,
}

/// The tests the base ran for the same command, and where that count was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub ran: u64,
    /// "evidence note on 1a2b3c4" or "run of the base tree 5d6e7f8".
    pub from: String,
}

impl AcceptanceRun {
    /// The record of `command` before (or instead of) running it.
    pub fn not_started(
        phase: Phase,
        command: &crate::task::AcceptanceCommand,
        status: RunStatus,
    ) -> Self {
        Self {
            phase,
            command: command.command.clone(),
            source: command.source.clone(),
            status,
            program: None,
            exit_code: None,
            signal: None,
            timed_out: false,
            duration_ms: 0,
            network: String::new(),
            filesystem: String::new(),
            worktree: String::new(),
            repository: String::new(),
            output_tail: String::new(),
            output_truncated: false,
            output_bytes: 0,
            output_sha256: String::new(),
            output_complete: true,
            reason: None,
            tests: None,
            baseline: None,
        }
    }

    pub fn passed(&self) -> bool {
        matches!(self.status, RunStatus::Passed | RunStatus::Reused)
    }

    /// How it ended, in words: "passed", "exited with code 1", "timed out", ….
    pub fn outcome(&self) -> String {
        match (self.status, self.exit_code, self.signal) {
            (RunStatus::Passed, _, _) => "passed".to_string(),
            (RunStatus::TimedOut, _, _) => "timed out".to_string(),
            (RunStatus::NotRun, _, _) => "was not run".to_string(),
            (RunStatus::Skipped, _, _) => "was skipped".to_string(),
            (RunStatus::Reused, _, _) => "was reused".to_string(),
            (_, Some(code), _) => format!("exited with code {code}"),
            (_, None, Some(signal)) => format!("was killed by signal {signal}"),
            (_, None, None) => "did not finish".to_string(),
        }
    }
}
