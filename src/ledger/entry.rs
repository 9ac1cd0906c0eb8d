//! One ledger line and the constructors for each kind of run.

use crate::acceptance::AcceptanceRun;
use crate::engine::CommitReport;
use crate::finding::{Action, Finding};
use crate::verdict::{self, Verdict};
use git2::Oid;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};

/// What a line records in its `verdict` field: the verdict of a judgement, or what else the
/// run was. Values written by other versions are kept as `Unknown`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum LineVerdict {
    Judged(Verdict),
    /// agentguard could not evaluate (a hook failed closed).
    Error,
    /// The hooks were skipped with `AGENTGUARD_SKIP`.
    Bypass,
    /// A post-rewrite record: not a judgement.
    Rewrite,
    /// `agentguard rollback` reverted an agent commit: not a judgement.
    Rollback,
    #[default]
    None,
    Unknown(String),
}

impl LineVerdict {
    pub fn as_str(&self) -> &str {
        match self {
            LineVerdict::Judged(verdict) => verdict.as_str(),
            LineVerdict::Error => "error",
            LineVerdict::Bypass => "bypass",
            LineVerdict::Rewrite => "rewrite",
            LineVerdict::Rollback => "rollback",
            LineVerdict::None => "",
            LineVerdict::Unknown(s) => s,
        }
    }
}

impl From<String> for LineVerdict {
    fn from(s: String) -> Self {
        if let Some(verdict) = Verdict::parse(&s) {
            return LineVerdict::Judged(verdict);
        }
        match s.as_str() {
            "error" => LineVerdict::Error,
            "bypass" => LineVerdict::Bypass,
            "rewrite" => LineVerdict::Rewrite,
            "rollback" => LineVerdict::Rollback,
            "" => LineVerdict::None,
            _ => LineVerdict::Unknown(s),
        }
    }
}

impl From<LineVerdict> for String {
    fn from(v: LineVerdict) -> Self {
        v.as_str().to_string()
    }
}

/// A finding as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EntryFinding {
    pub kind: String,
    pub category: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub action: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub approved: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// An approval due at merge, not yet: it did not block.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deferred: bool,
}

impl EntryFinding {
    /// Whether it kept the change from passing (as `Finding::blocks`).
    pub fn blocks(&self) -> bool {
        !self.deferred
            && Action::parse(&self.action)
                .is_some_and(|action| verdict::blocks(action, self.approved))
    }

    /// `kind/category`, the key findings are counted by.
    pub fn key(&self) -> String {
        format!("{}/{}", self.kind, self.category)
    }
}

impl From<&Finding> for EntryFinding {
    fn from(f: &Finding) -> Self {
        Self {
            kind: f.kind.as_str().to_string(),
            category: f.category.clone(),
            path: f.path.clone(),
            line: f.line,
            action: f.action.as_str().to_string(),
            approved: f.approved(),
            message: f.message.clone(),
            deferred: f.deferred,
        }
    }
}

/// An acceptance run as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EntryRun {
    pub command: String,
    /// "setup" or "acceptance".
    pub phase: String,
    /// "passed", "failed", "timed-out" or "not-run".
    pub status: String,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub network: String,
    /// sha256 of the whole output (absent from lines written before it was kept).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub output_sha256: String,
    /// The last line of a failed run's output, redacted and cut short.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub output_last_line: String,
}

/// How much of a failed run's last output line a ledger line keeps.
const LAST_LINE_CHARS: usize = 200;

/// The last non-empty line of `output`, cut to `max` characters.
pub(crate) fn last_line(output: &str, max: usize) -> String {
    let line = output
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    if line.chars().count() <= max {
        return line.to_string();
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

impl EntryRun {
    pub fn passed(&self) -> bool {
        self.status == "passed"
    }
}

impl From<&AcceptanceRun> for EntryRun {
    fn from(run: &AcceptanceRun) -> Self {
        // The enum's serde name is the stable spelling.
        let status = serde_json::to_value(run.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        Self {
            command: run.command.clone(),
            phase: run.phase.as_str().to_string(),
            status,
            exit_code: run.exit_code,
            duration_ms: run.duration_ms,
            network: run.network.clone(),
            output_sha256: run.output_sha256.clone(),
            output_last_line: if run.passed() {
                String::new()
            } else {
                last_line(&run.output_tail, LAST_LINE_CHARS)
            },
        }
    }
}

/// Who skipped the hooks and why.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Bypass {
    pub reason: String,
    pub who: String,
}

/// A commit replaced by amend or rebase.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Rewrite {
    pub old: String,
    pub new: String,
}

/// An agent commit reverted with `agentguard rollback`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RollbackRecord {
    /// The revert commit.
    pub revert: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    pub who: String,
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Entry {
    /// RFC 3339, UTC.
    pub time: String,
    /// The agentguard version that wrote the line.
    pub version: String,
    /// "check", "verify", "hook pre-commit", ...
    pub command: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree: Option<String>,
    /// Whether the judged change counted as agent work.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub agent_work: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// `Agent-Name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    pub verdict: LineVerdict,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<EntryFinding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acceptance: Vec<EntryRun>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypass: Option<Bypass>,
    /// Why agentguard could not evaluate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// "amend" or "rebase", for post-rewrite lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rewrite: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rewritten: Vec<Rewrite>,
    /// For rollback lines: the revert that undid `commit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackRecord>,
    /// How long agentguard took.
    pub duration_ms: u64,
}

fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Entry {
    /// A line for `command`, stamped with the current time and version.
    pub fn new(command: &str) -> Self {
        Self {
            time: now(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            command: command.to_string(),
            ..Self::default()
        }
    }

    /// The judgement of one change.
    pub fn from_report(
        command: &str,
        report: &CommitReport,
        branch: Option<String>,
        duration: Duration,
    ) -> Self {
        Self {
            commit: report.commit.map(|c| c.to_string()),
            // A human staged change is never written as a tree (its report shows zeros).
            tree: (!report.tree.is_zero()).then(|| report.tree.to_string()),
            agent_work: report.agent,
            task: report.task.id.clone(),
            agent: report.task.agent_name.clone(),
            branch,
            verdict: LineVerdict::Judged(report.verdict()),
            findings: report.findings.iter().map(EntryFinding::from).collect(),
            acceptance: report.acceptance.iter().map(EntryRun::from).collect(),
            duration_ms: millis(duration),
            ..Self::new(command)
        }
    }

    /// Hooks skipped with `AGENTGUARD_SKIP`.
    pub fn bypass(
        command: &str,
        reason: &str,
        who: &str,
        commit: Option<Oid>,
        tree: Option<Oid>,
    ) -> Self {
        Self {
            commit: commit.map(|c| c.to_string()),
            tree: tree.map(|t| t.to_string()),
            verdict: LineVerdict::Bypass,
            bypass: Some(Bypass {
                reason: reason.to_string(),
                who: who.to_string(),
            }),
            ..Self::new(command)
        }
    }

    /// A run that could not evaluate.
    pub fn error(command: &str, message: &str, commit: Option<Oid>, tree: Option<Oid>) -> Self {
        Self {
            commit: commit.map(|c| c.to_string()),
            tree: tree.map(|t| t.to_string()),
            verdict: LineVerdict::Error,
            error: Some(message.to_string()),
            ..Self::new(command)
        }
    }

    /// What the post-rewrite hook saw: `kind` is "amend" or "rebase", pairs are (old, new).
    pub fn rewrite(kind: &str, pairs: &[(Oid, Oid)]) -> Self {
        Self {
            verdict: LineVerdict::Rewrite,
            rewrite: Some(kind.to_string()),
            rewritten: pairs
                .iter()
                .map(|(old, new)| Rewrite {
                    old: old.to_string(),
                    new: new.to_string(),
                })
                .collect(),
            ..Self::new("hook post-rewrite")
        }
    }

    /// Sets how long the run took.
    pub fn took(mut self, duration: Duration) -> Self {
        self.duration_ms = millis(duration);
        self
    }

    /// Whether this line judged a commit (as opposed to a bypass, error or rewrite record).
    pub fn is_judgement(&self) -> bool {
        matches!(self.verdict, LineVerdict::Judged(_))
            && (self.command == "check"
                || self.command == "verify"
                || self.command.starts_with("hook "))
    }

    /// The time of the line, if it can be read.
    pub fn system_time(&self) -> Option<SystemTime> {
        humantime::parse_rfc3339_weak(&self.time).ok()
    }

    pub fn blocking_findings(&self) -> impl Iterator<Item = &EntryFinding> {
        self.findings.iter().filter(|f| f.blocks())
    }

    pub fn failed_runs(&self) -> impl Iterator<Item = &EntryRun> {
        self.acceptance.iter().filter(|r| !r.passed())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_line_is_compact_and_round_trips() {
        let oid = Oid::from_str("1234567890123456789012345678901234567890").unwrap();
        let entry = Entry::bypass("hook pre-commit", "hotfix", "Jane <j@x>", None, Some(oid));
        let line = serde_json::to_string(&entry).unwrap();
        assert!(!line.contains('\n'));
        assert!(line.contains("\"verdict\":\"bypass\""), "{line}");
        assert!(!line.contains("findings"), "{line}");
        let back: Entry = serde_json::from_str(&line).unwrap();
        assert_eq!(back, entry);
        assert!(!back.is_judgement());
    }

    #[test]
    fn reading_is_liberal() {
        let e: Entry = serde_json::from_str(
            r#"{"command":"check","verdict":"block","new_field":{"a":1},
                "findings":[{"kind":"scope","category":"denied","action":"block","extra":true}]}"#,
        )
        .unwrap();
        assert_eq!(e.verdict, LineVerdict::Judged(Verdict::Block));
        assert_eq!(e.findings[0].key(), "scope/denied");
        assert!(e.findings[0].blocks());
        assert!(e.is_judgement());
        assert_eq!(e.time, "");
        assert!(serde_json::from_str::<Entry>(r#"{"findings":"x"}"#).is_err());
        assert!(serde_json::from_str::<Entry>(r#"[1,2]"#).is_err());
    }

    #[test]
    fn rewrite_and_error_lines() {
        let a = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let b = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        let e = Entry::rewrite("amend", &[(a, b)]);
        assert_eq!(e.command, "hook post-rewrite");
        assert_eq!(e.rewritten[0].old, a.to_string());
        let e = Entry::error("check", "bad policy", None, None).took(Duration::from_millis(7));
        assert_eq!(e.verdict, LineVerdict::Error);
        assert_eq!(e.duration_ms, 7);
        assert!(e.system_time().is_some());
    }
}
