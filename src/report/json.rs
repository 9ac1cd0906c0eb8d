//! `--format json`: one object, schema `agentguard.report/v1`. The structs below are the wire
//! format, kept apart from the engine's types so that changing those never changes a byte of
//! the report.

use super::{verdict, RenderError, SCHEMA};
use crate::acceptance::{AcceptanceRun, Phase, RunStatus};
use crate::approval::verify::{Checked, Status};
use crate::engine::CommitReport;
use crate::evidence::path_taken::{Attempts, NoteRollback, NoteSession};
use crate::finding::{Action, Finding, Kind};
use crate::verdict::Verdict;
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    schema: &'static str,
    verdict: Verdict,
    commits: Vec<Commit<'a>>,
}

#[derive(Serialize)]
struct Commit<'a> {
    commit: Option<String>,
    tree: String,
    base: Option<String>,
    agent: bool,
    agent_reasons: &'a [String],
    /// Who signed a commit that is human work by its signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_by: Option<&'a str>,
    task: Option<&'a str>,
    agent_name: Option<&'a str>,
    fingerprint: Option<&'a str>,
    policy: &'a str,
    verdict: Verdict,
    findings: Vec<JsonFinding<'a>>,
    acceptance: Vec<JsonRun<'a>>,
    /// Not run again: another commit of the range was, and the evidence note vouches for
    /// this one (`[verify] run = "tip"`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    acceptance_vouched: bool,
    approvals: Vec<JsonApproval<'a>>,
    /// The attempts before it, as its evidence note records them.
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts: Option<&'a Attempts>,
    /// The agent's session, summed up, as its evidence note records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<&'a NoteSession>,
    /// The way back, tried on the target branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    rollback: Option<&'a NoteRollback>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    kind: Kind,
    category: &'a str,
    path: Option<&'a str>,
    line: Option<u32>,
    action: Action,
    message: String,
    rule: &'a str,
    approved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<&'a str>,
    /// Awaiting an approval that is due at merge.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    deferred: bool,
}

impl<'a> JsonFinding<'a> {
    fn new(finding: &'a Finding, message: String) -> Self {
        Self {
            kind: finding.kind,
            category: &finding.category,
            path: finding.path.as_deref(),
            line: finding.line,
            action: finding.action,
            message,
            rule: &finding.rule,
            approved: finding.approved(),
            detail: finding.detail.as_deref(),
            fingerprint: finding.fingerprint.as_deref(),
            deferred: finding.deferred,
        }
    }
}

#[derive(Serialize)]
struct JsonRun<'a> {
    phase: Phase,
    command: &'a str,
    source: &'a str,
    status: RunStatus,
    program: Option<&'a str>,
    exit_code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    duration_ms: u64,
    network: &'a str,
    filesystem: &'a str,
    worktree: &'a str,
    repository: &'a str,
    output_tail: &'a str,
    output_truncated: bool,
    output_bytes: u64,
    output_sha256: &'a str,
    output_complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    /// The evidence note's shape: runner, collected, ran, passed, failed, skipped, base_ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    tests: Option<crate::evidence::NoteTests>,
}

impl<'a> From<&'a AcceptanceRun> for JsonRun<'a> {
    fn from(run: &'a AcceptanceRun) -> Self {
        Self {
            phase: run.phase,
            command: &run.command,
            source: &run.source,
            status: run.status,
            program: run.program.as_deref(),
            exit_code: run.exit_code,
            signal: run.signal,
            timed_out: run.timed_out,
            duration_ms: run.duration_ms,
            network: &run.network,
            filesystem: &run.filesystem,
            worktree: &run.worktree,
            repository: &run.repository,
            output_tail: &run.output_tail,
            output_truncated: run.output_truncated,
            output_bytes: run.output_bytes,
            output_sha256: &run.output_sha256,
            output_complete: run.output_complete,
            reason: run.reason.as_deref(),
            tests: run
                .tests
                .as_ref()
                .map(|t| crate::evidence::NoteTests::new(t, run.baseline.as_ref())),
        }
    }
}

/// A stored approval and whether it counts; the approval's fields are absent when it could
/// not be read.
#[derive(Serialize)]
struct JsonApproval<'a> {
    source: &'a str,
    #[serde(flatten)]
    approval: Option<SignedText<'a>>,
    #[serde(flatten)]
    status: JsonStatus<'a>,
}

#[derive(Serialize)]
struct SignedText<'a> {
    fingerprint: &'a str,
    categories: &'a [String],
    approver: &'a str,
    time: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
enum JsonStatus<'a> {
    Verified,
    Malformed { reason: &'a str },
    Tampered,
    WrongChange { approved: &'a str },
    UnknownKey { key_listed_for: &'a [String] },
    NoSigners { reason: &'a str },
}

impl<'a> From<&'a Checked> for JsonApproval<'a> {
    fn from(checked: &'a Checked) -> Self {
        Self {
            source: checked.source,
            approval: checked.approval.as_ref().map(|a| SignedText {
                fingerprint: &a.fingerprint,
                categories: &a.categories,
                approver: &a.approver,
                time: &a.time,
                reason: &a.reason,
            }),
            status: match &checked.status {
                Status::Verified => JsonStatus::Verified,
                Status::Malformed { reason } => JsonStatus::Malformed { reason },
                Status::Tampered => JsonStatus::Tampered,
                Status::WrongChange { approved } => JsonStatus::WrongChange { approved },
                Status::UnknownKey { key_listed_for } => JsonStatus::UnknownKey { key_listed_for },
                Status::NoSigners { reason } => JsonStatus::NoSigners { reason },
            },
        }
    }
}

/// Approvals as this format writes them, for the other JSON outputs (`show`).
pub(crate) fn approvals<S: serde::Serializer>(
    checked: &[Checked],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(checked.iter().map(JsonApproval::from))
}

pub(crate) fn render(reports: &[CommitReport]) -> Result<String, RenderError> {
    let report = Report {
        schema: SCHEMA,
        verdict: verdict(reports),
        commits: reports
            .iter()
            .map(|r| Commit {
                commit: r.commit.map(|c| c.to_string()),
                tree: r.tree.to_string(),
                base: r.base.map(|b| b.to_string()),
                agent: r.agent,
                agent_reasons: &r.agent_reasons,
                signed_by: r.signed_by.as_ref().map(|s| s.identity()),
                task: r.task.id.as_deref(),
                agent_name: r.task.agent_name.as_deref(),
                fingerprint: r.fingerprint.as_deref(),
                policy: &r.policy_source,
                verdict: r.verdict(),
                findings: r
                    .findings
                    .iter()
                    .map(|f| JsonFinding::new(f, super::message(r, f)))
                    .collect(),
                acceptance: r.acceptance.iter().map(JsonRun::from).collect(),
                acceptance_vouched: r.vouched,
                approvals: r.approvals.iter().map(JsonApproval::from).collect(),
                attempts: r.path_taken.attempts.as_ref(),
                session: r.path_taken.session.as_ref(),
                rollback: r.path_taken.rollback.as_ref(),
            })
            .collect(),
    };
    super::pretty_json(&report)
}
