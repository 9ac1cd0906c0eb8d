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
    pub fn passed(&self) -> bool {
        self.status == RunStatus::Passed
    }

    /// How it ended, in words: "passed", "exited with code 1", "timed out", ….
    pub fn outcome(&self) -> String {
        match (self.status, self.exit_code, self.signal) {
            (RunStatus::Passed, _, _) => "passed".to_string(),
            (RunStatus::TimedOut, _, _) => "timed out".to_string(),
            (RunStatus::NotRun, _, _) => "was not run".to_string(),
            (_, Some(code), _) => format!("exited with code {code}"),
            (_, None, Some(signal)) => format!("was killed by signal {signal}"),
            (_, None, None) => "did not finish".to_string(),
        }
    }
}
