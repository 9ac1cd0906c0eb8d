//! The path a change took, as its evidence note keeps it: the attempts before it, the agent's
//! own session summed up, and the way back. Wire types of their own, like the rest of the
//! note; every section is optional, so notes written before them still parse.

use serde::{Deserialize, Serialize};

/// What `check` and the hooks gather besides findings and runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathTaken {
    pub attempts: Option<Attempts>,
    pub session: Option<NoteSession>,
    pub rollback: Option<NoteRollback>,
}

/// The attempts made before this commit on its branch and task, since the previous commit
/// that passed there (from the ledger of the clone the commit was made in).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// When the previous passing commit was made there; absent when there was none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_commit: Option<String>,
    /// Older attempts left out beyond the kept ones.
    #[serde(default)]
    pub omitted: usize,
    /// Oldest first.
    #[serde(default)]
    pub entries: Vec<Attempt>,
}

impl Attempts {
    /// Whether the commit passed at its first attempt.
    pub(crate) fn first_time(&self) -> bool {
        self.entries.is_empty() && self.omitted == 0
    }

    pub(crate) fn count(&self) -> usize {
        self.entries.len() + self.omitted
    }
}

/// One attempt that did not pass: a blocked check, or the hooks skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub time: String,
    /// "hook commit-msg", "check", ...
    pub command: String,
    /// "block" or "bypass".
    pub verdict: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<AttemptFinding>,
    /// Blocking findings left out beyond the kept ones.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub blocked_omitted: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<AttemptRun>,
    /// The commit made with the hooks skipped, for a bypass that made one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bypass_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bypass_who: Option<String>,
}

/// A finding that blocked an attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptFinding {
    pub kind: String,
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// An acceptance command that failed in an attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRun {
    pub command: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// sha256 of the whole output.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output_sha256: String,
    /// The output's last line, redacted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output_last_line: String,
}

/// The agent's own session, summed up: bounded, every text redacted, never the transcript.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteSession {
    /// "codex" or "claude-code".
    pub format: String,
    /// The transcript's file name (never its directory, which names the user's home).
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// sha256 of the transcript file as read.
    pub sha256: String,
    pub totals: SessionTotals,
    /// Commands left out beyond the kept ones (the first few and the last are kept).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub commands_omitted: usize,
    #[serde(default)]
    pub commands: Vec<SessionCommand>,
    /// Repository-relative paths the agent wrote or edited with its edit tools.
    #[serde(default)]
    pub files_written: Vec<String>,
    /// Whether `files_written` was cut at its cap (cross-checks on it are then skipped).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub files_truncated: bool,
    /// Files written outside the repository (scratch files), counted, not named.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub files_outside: usize,
    #[serde(default)]
    pub network: Vec<SessionFetch>,
}

/// Counts over the whole session, whatever the caps kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTotals {
    pub tool_calls: usize,
    pub commands: usize,
    pub commands_failed: usize,
    pub files_written: usize,
    pub network: usize,
}

/// One command the agent ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCommand {
    pub command: String,
    /// What the agent said it was for (Claude Code's Bash `description`, Codex's
    /// `justification`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// "passed", "failed", "interrupted" or "unknown" (no result recorded).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// The output's last line, redacted and cut short.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output_last_line: String,
    /// sha256 of the output as the transcript has it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output_sha256: String,
    /// Whether the command reaches the network (curl, a package install, a git fetch).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub network: bool,
}

/// One use of the network: a web fetch or search, or a command that downloads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionFetch {
    /// "WebFetch", "WebSearch", "web_search", or "command".
    pub tool: String,
    /// The URL, query or command, redacted.
    pub target: String,
}

/// The way back: how to undo the commit, whether that applies cleanly, and what a migration
/// in it leaves behind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteRollback {
    /// `git revert <commit>`, once the commit exists.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    /// The branch the revert was tried on (`origin/main`), or where none is known, the
    /// change's own base.
    pub target: String,
    /// The commit the target was at.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_commit: String,
    /// "clean", "conflicts" or "unknown".
    pub applies: String,
    /// Paths the revert conflicts in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
    /// Why `applies` is unknown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    pub checked: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migrations: Vec<NoteMigration>,
}

/// A migration in the change and its way down.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteMigration {
    pub path: String,
    /// The convention recognised: "golang-migrate", "diesel", "flyway", "dbmate", "goose",
    /// "sql" (a forward-only SQL file), "rails", "alembic", "django", "prisma", "knex", or
    /// "unknown".
    pub convention: String,
    /// "found", "reversible", "missing", "irreversible" or "unknown".
    pub down: String,
    /// The down migration's path, or what was checked.
    pub detail: String,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}
