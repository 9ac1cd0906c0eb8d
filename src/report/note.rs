//! The evidence note of a judged change: what it found and ran, each finding's message as its
//! reader was shown it (`agentguard.evidence/v1`).

use crate::engine::CommitReport;
use crate::evidence::{self, Evidence, NoteFinding, NoteRun};
use crate::finding::Kind;
use crate::verdict::Verdict;

/// Evidence of an agent change; `None` for a human commit, which is never diffed.
pub(crate) fn evidence(report: &CommitReport, acceptance_ran: bool) -> Option<Evidence> {
    let fingerprint = report.fingerprint.clone()?;
    Some(Evidence {
        schema: evidence::SCHEMA.to_string(),
        commit: report.commit.map(|c| c.to_string()),
        tree: report.tree.to_string(),
        base: report.base.map(|b| b.to_string()),
        fingerprint,
        task: report.task.id.clone(),
        agent: report.task.agent_name.clone(),
        policy: report.policy_source.clone(),
        verdict: report.verdict(),
        acceptance_ran: acceptance_ran || report.task.acceptance.is_empty(),
        tool: format!("agentguard {}", env!("CARGO_PKG_VERSION")),
        time: evidence::now_rfc3339(),
        awaiting_approval: {
            let mut due: Vec<String> = report
                .findings
                .iter()
                .filter(|f| f.deferred)
                .map(|f| f.category.clone())
                .collect();
            due.sort_unstable();
            due.dedup();
            due
        },
        findings: report
            .findings
            .iter()
            .map(|f| NoteFinding::new(f, super::message(report, f)))
            .collect(),
        acceptance: report.acceptance.iter().map(NoteRun::from).collect(),
        attempts: report.path_taken.attempts.clone(),
        session: report.path_taken.session.clone(),
        rollback: report.path_taken.rollback.clone(),
    })
}

/// Evidence of a change judged without running acceptance (after an amend), carrying the runs
/// `recorded` for the same tree: acceptance depends on the tree alone.
pub(crate) fn evidence_with_runs_of(
    report: &CommitReport,
    recorded: &Evidence,
) -> Option<Evidence> {
    let mut evidence = evidence(report, recorded.acceptance_ran)?;
    evidence.acceptance = recorded.acceptance.clone();
    // The amend's own commit-msg gathered these; this check did not.
    evidence.attempts = evidence.attempts.or_else(|| recorded.attempts.clone());
    evidence.session = evidence.session.or_else(|| recorded.session.clone());
    evidence.rollback = evidence.rollback.or_else(|| recorded.rollback.clone());
    if recorded.verdict == Verdict::Block {
        evidence.verdict = Verdict::Block;
    }
    // What the runs found: their failures and, when commit-msg judged the amend over the
    // same base (it knows an amend from prepare-commit-msg), the test count's fall.
    let same_base = recorded.base == evidence.base;
    let from_runs: Vec<_> = recorded
        .findings
        .iter()
        .filter(|f| {
            f.kind == Kind::Acceptance
                || (same_base && crate::risk::tampering::is_fewer_tests(&f.rule))
        })
        .cloned()
        .collect();
    for finding in &from_runs {
        if finding.deferred && !evidence.awaiting_approval.contains(&finding.category) {
            evidence.awaiting_approval.push(finding.category.clone());
        }
    }
    evidence.awaiting_approval.sort_unstable();
    evidence.findings.extend(from_runs);
    Some(evidence)
}
