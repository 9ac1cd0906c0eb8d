//! Renderers: each turns reports into text in one format (the evidence note included); none
//! decides anything. The sentences findings need (what to do next, who approved) are made
//! here from the findings' facts, the same for every format.

pub(crate) mod github;
pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod ledger;
pub(crate) mod markdown;
pub(crate) mod note;
pub(crate) mod otel;
pub(crate) mod path_taken;
pub(crate) mod runs;
pub(crate) mod sarif;
pub(crate) mod show;
mod style;
#[cfg(test)]
pub(crate) mod test_support;

pub(crate) use style::Styles;

use crate::engine::CommitReport;
use crate::finding::{Action, Finding};
use crate::verdict::Verdict;

pub(crate) const SCHEMA: &str = "agentguard.report/v1";

/// A report that could not be written: an error, never an empty or partial output.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RenderError {
    #[error("cannot write the report as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot write the report as XML: {0}")]
    Xml(String),
}

/// What a human change's report says about it: who signed it, and whether it was left
/// untouched or checked for credentials alone (`[risk.credentials] humans`).
pub(crate) fn human_state(report: &CommitReport) -> String {
    if report.scanned {
        return if report.findings.is_empty() {
            "scanned: nothing found".to_string()
        } else {
            "scanned".to_string()
        };
    }
    let who = match &report.signed_by {
        Some(crate::approval::commit::Signer::Verified(who)) => format!(
            "human commit: signed by {}, whose key the base's allowed signers list",
            printable(who)
        ),
        Some(crate::approval::commit::Signer::Configured(who)) => format!(
            "human commit: git signs it with the key of {}, which the base's allowed signers list",
            printable(who)
        ),
        None => "human commit: not agent work".to_string(),
    };
    match (report.credentials_checked, report.findings.is_empty()) {
        (false, _) if report.signed_by.is_some() => format!("{who}; passes untouched"),
        (false, _) => format!("{who}, passes untouched"),
        (true, true) => format!("{who}; no credentials in its added lines"),
        (true, false) => format!("{who}; credentials in its added lines"),
    }
}

/// Pretty JSON with a final newline.
pub(crate) fn pretty_json(value: &impl serde::Serialize) -> Result<String, RenderError> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

/// Text from the change or from a command, made safe for a terminal: control characters
/// (escape sequences could rewrite what the reviewer sees) and invisible formatting characters
/// (bidirectional overrides, zero-width characters could hide or reorder it) are shown escaped.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                if needs_escape(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// "s" for anything but one.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The overall verdict over every judged commit.
pub(crate) fn verdict(reports: &[CommitReport]) -> Verdict {
    Verdict::all(reports.iter().map(CommitReport::verdict))
}

/// What `agentguard approve` names for this change: the commit as git abbreviates it, or
/// `--staged`.
pub(crate) fn approve_target(report: &CommitReport) -> &str {
    report.abbrev.as_deref().unwrap_or("--staged")
}

/// A finding's message as a reader sees it: the fact, then who approved it or, while an
/// approval is missing, the command that gives it.
pub(crate) fn message(report: &CommitReport, finding: &Finding) -> String {
    match (&finding.approved_by, finding.action) {
        (Some(sign_off), _) => format!(
            "{} — approved by {} at {}",
            finding.message, sign_off.approver, sign_off.time
        ),
        (None, Action::Approve) if finding.deferred => format!(
            "{}; due before merge ([approvals] when = \"merge\"): a reviewer signs off with `agentguard approve <commit> --category {}`",
            finding.message, finding.category
        ),
        // A scan reports what history holds; there is no change to approve.
        (None, Action::Approve) if !report.scanned => format!(
            "{}; sign off with `agentguard approve {} --category {}`",
            finding.message,
            approve_target(report),
            finding.category
        ),
        (None, _) => finding.message.clone(),
    }
}

/// A finding's state in words: "block", "awaiting approval", "approved" or "warning".
pub(crate) fn state(finding: &Finding) -> &'static str {
    match (finding.action, finding.approved()) {
        (Action::Block, _) => "block",
        (Action::Approve, false) if finding.deferred => "awaiting approval at merge",
        (Action::Approve, false) => "awaiting approval",
        (Action::Approve, true) => "approved",
        (Action::Warn, _) => "warning",
    }
}

/// The commit a report is about, shortened for display: ten hex digits, or `staged` for a
/// staged change.
pub(crate) fn short_commit(report: &CommitReport) -> String {
    match report.commit {
        Some(commit) => {
            let hex = commit.to_string();
            hex[..hex.len().min(10)].to_string()
        }
        None => "staged".to_string(),
    }
}

/// The full commit id, or `staged`.
pub(crate) fn full_commit(report: &CommitReport) -> String {
    report
        .commit
        .map_or_else(|| "staged".to_string(), |c| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::{message, printable, test_support};
    use crate::finding::{Action, Kind};

    #[test]
    fn the_hint_is_composed_from_the_findings_data() {
        let mut report = test_support::blocked();
        let pending = report
            .findings
            .iter()
            .find(|f| f.category == "auth")
            .unwrap()
            .clone();
        assert_eq!(pending.message, "the login flow changed");
        assert_eq!(
            message(&report, &pending),
            "the login flow changed; sign off with `agentguard approve bbbbbbbbbb --category auth`"
        );
        let approved = report
            .findings
            .iter()
            .find(|f| f.category == "migrations")
            .unwrap()
            .clone();
        assert_eq!(
            message(&report, &approved),
            "a migration was added — approved by dba@example.com at 2026-01-01T00:00:00Z"
        );
        report.abbrev = None;
        assert!(
            message(&report, &pending).contains("`agentguard approve --staged --category auth`")
        );
        let block = test_support::finding(Kind::Scope, "denied", Action::Block, "no");
        assert_eq!(message(&report, &block), "no");
    }

    #[test]
    fn a_value_that_cannot_be_serialised_is_an_error_not_an_empty_report() {
        // JSON object keys must be strings.
        let map = std::collections::BTreeMap::from([((1, 2), "x")]);
        assert!(super::pretty_json(&map).is_err());
        assert_eq!(super::pretty_json(&[1]).unwrap(), "[\n  1\n]\n");
    }

    #[test]
    fn escapes_control_characters_only() {
        assert_eq!(printable("ok\ttab\nline"), "ok\ttab\nline");
        assert_eq!(printable("\u{1b}[2Kgood"), "\\u{1b}[2Kgood");
        assert_eq!(printable("a\rb"), "a\\u{d}b");
        assert_eq!(printable("ok\u{202e}gnp.exe"), "ok\\u{202e}gnp.exe");
        assert_eq!(printable("a\u{200b}b"), "a\\u{200b}b");
        assert_eq!(printable("café ✓"), "café ✓");
    }
}
