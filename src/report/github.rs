//! `--format github`: GitHub Actions workflow commands, which the runner turns into
//! annotations on the changed files (`::error` for a finding that blocks, `::warning` for a
//! warning, `::notice` for an approved category), and the Markdown job summary, which the
//! caller appends to `$GITHUB_STEP_SUMMARY`.
//!
//! Messages and properties are escaped as GitHub's toolkit escapes them, so text from the
//! change can never end a command early or start a command of its own on a new line. Command
//! output is never echoed to the log here: a line of it could be a workflow command. It is in
//! the summary, in fenced code blocks.

use super::plural;
use super::{printable, short_commit, verdict};
use crate::engine::CommitReport;
use crate::finding::{Action, Finding};
use std::fmt::Write;

/// Returns the workflow commands for stdout and the Markdown summary.
pub(crate) fn render(reports: &[CommitReport]) -> (String, String) {
    let mut commands = String::new();
    // A human commit has findings only when its credentials check found some.
    for report in reports {
        for finding in &report.findings {
            let _ = writeln!(commands, "{}", command(report, finding));
        }
    }
    let agent = reports.iter().filter(|r| r.agent).count();
    let blocked = reports
        .iter()
        .filter(|r| r.agent && !r.verdict().passed())
        .count();
    let human = reports.len() - agent;
    let human_blocked = reports
        .iter()
        .filter(|r| !r.agent && !r.verdict().passed())
        .count();
    let humans = if human_blocked > 0 {
        format!(
            "{human_blocked} of {human} human commit{} blocked by credentials",
            plural(human)
        )
    } else if reports.iter().any(|r| !r.agent && r.credentials_checked) {
        format!(
            "{human} human commit{} passed (credentials checked)",
            plural(human)
        )
    } else {
        format!("{human} human commit{} passed untouched", plural(human))
    };
    let _ = writeln!(
        commands,
        "agentguard: {} — {blocked} of {agent} agent commit{} blocked, {humans}",
        verdict(reports),
        plural(agent),
    );
    (commands, super::markdown::render(reports))
}

fn command(report: &CommitReport, finding: &Finding) -> String {
    let name = if finding.blocks() {
        "error"
    } else if finding.action == Action::Warn {
        "warning"
    } else {
        "notice"
    };
    let mut properties = Vec::new();
    if let Some(path) = &finding.path {
        properties.push(format!("file={}", escape_property(&printable(path))));
        if let Some(line) = finding.line.filter(|&l| l >= 1) {
            properties.push(format!("line={line}"));
        }
    }
    let title = format!(
        "agentguard {}/{} ({})",
        finding.kind,
        finding.category,
        short_commit(report)
    );
    properties.push(format!("title={}", escape_property(&printable(&title))));
    let state = match (finding.action, finding.approved()) {
        (Action::Approve, false) => " (awaiting approval)",
        (Action::Approve, true) => " (approved)",
        _ => "",
    };
    let task = report
        .task
        .id
        .as_deref()
        .map(|t| format!(" [task {t}]"))
        .unwrap_or_default();
    let message = format!("{}{state}{task}", super::message(report, finding));
    format!(
        "::{name} {}::{}",
        properties.join(","),
        escape_data(&printable(&message))
    )
}

/// A command's message, as the toolkit's `escapeData`: `%`, CR and LF.
pub(crate) fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command's property value, as the toolkit's `escapeProperty`: also `:` and `,`, which
/// would end the value.
pub(crate) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::{escape_data, escape_property, render};
    use crate::report::printable;
    use crate::report::test_support::{self, HOSTILE_PATH};

    #[test]
    fn escaping_matches_the_toolkit() {
        assert_eq!(escape_data("100%\r\nnext"), "100%25%0D%0Anext");
        assert_eq!(escape_data("a:b,c"), "a:b,c");
        assert_eq!(escape_property("100%\r\na:b,c"), "100%25%0D%0Aa%3Ab%2Cc");
        // `%` goes first, so an escape already in the text is not decoded by the runner.
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn one_command_per_finding_of_agent_commits() {
        let (commands, summary) = render(&test_support::sample_reports());
        let lines: Vec<&str> = commands.lines().collect();
        let findings: usize = test_support::sample_reports()
            .iter()
            .map(|r| r.findings.len())
            .sum();
        assert_eq!(lines.len(), findings + 1);
        assert!(lines.contains(
            &"::error file=src/config.rs,line=12,title=agentguard risk/credentials (bbbbbbbbbb)::an AWS access key was added (redacted) [task T-2]"
        ));
        assert!(lines.iter().any(|l| l.starts_with(
            "::warning file=Cargo.toml,line=20,title=agentguard risk/dependencies (bbbbbbbbbb)::"
        )));
        assert!(lines
            .iter()
            .any(|l| l.starts_with("::notice file=db/migrate/001.sql,title=")
                && l.contains("(approved)")));
        assert!(lines
            .iter()
            .any(|l| l.starts_with("::error file=src/auth.rs,line=3,")
                && l.contains("(awaiting approval)")));
        // A finding about the whole change has no file.
        assert!(lines
            .iter()
            .any(|l| l
                .starts_with("::error title=agentguard acceptance/command-failed (bbbbbbbbbb)::")));
        assert_eq!(
            lines.last().unwrap(),
            &"agentguard: block — 2 of 3 agent commits blocked, 1 human commit passed untouched"
        );
        assert_eq!(
            summary,
            crate::report::markdown::render(&test_support::sample_reports())
        );
    }

    #[test]
    fn hostile_text_cannot_start_or_end_a_command() {
        let (commands, _) = render(&[test_support::hostile()]);
        let lines: Vec<&str> = commands.lines().collect();
        assert_eq!(lines.len(), 4, "{commands}");
        for line in &lines[..3] {
            assert!(line.starts_with("::error ") || line.starts_with("::warning "));
            // Exactly one `::` ends the properties: the message's own `::` come after it.
            let (head, _) = line[2..].split_once("::").unwrap();
            assert!(!head.contains('\n') && !head.contains('\r'));
            assert!(!line.contains('\r') && !line.contains('\u{1b}') && !line.contains('\u{0}'));
        }
        let scope = lines[0];
        let file = format!("file={}", escape_property(&printable(HOSTILE_PATH)));
        assert!(scope.contains(&file), "{scope}");
        assert!(file.contains("%0A") && file.contains("100%25"));
        // Line 0 is no line.
        assert!(!scope.contains("line="));
        assert!(scope.contains("::error::injected %250A"));
    }

    #[test]
    fn human_commits_get_no_commands() {
        let (commands, _) = render(&[test_support::human()]);
        assert_eq!(
            commands,
            "agentguard: pass — 0 of 0 agent commits blocked, 1 human commit passed untouched\n"
        );
    }
}
