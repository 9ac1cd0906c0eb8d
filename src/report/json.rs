//! `--format json`: one object, schema `agentguard.report/v1`.

use super::{verdict, SCHEMA};
use crate::acceptance::AcceptanceRun;
use crate::approval::verify::Checked;
use crate::engine::CommitReport;
use crate::finding::Finding;
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
    task: Option<&'a str>,
    agent_name: Option<&'a str>,
    fingerprint: Option<&'a str>,
    policy: &'a str,
    verdict: Verdict,
    findings: &'a [Finding],
    acceptance: &'a [AcceptanceRun],
    approvals: &'a [Checked],
}

pub fn render(reports: &[CommitReport]) -> String {
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
                task: r.task.id.as_deref(),
                agent_name: r.task.agent_name.as_deref(),
                fingerprint: r.fingerprint.as_deref(),
                policy: &r.policy_source,
                verdict: r.verdict(),
                findings: &r.findings,
                acceptance: &r.acceptance,
                approvals: &r.approvals,
            })
            .collect(),
    };
    // Serialising plain data with string keys cannot fail.
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}
