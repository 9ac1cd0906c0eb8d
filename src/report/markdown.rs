//! `--format markdown`: a summary a reviewer reads in a pull request or a job summary. A
//! headline verdict, a table of the judged commits, then for each agent commit that has any:
//! the findings that block, the acceptance commands that failed with the end of their output,
//! and the warnings and approvals folded away in `<details>`.
//!
//! Paths, messages, task names and commands come from the agent's change, so they are
//! rendered as inert text: HTML is escaped to entities, Markdown punctuation is
//! backslash-escaped, line breaks cannot end a table row, and control characters are shown
//! escaped. Command output goes in fenced code blocks whose fence is longer than any backtick
//! run in the output.

use super::plural;
use super::{printable, short_commit, verdict};
use crate::acceptance::{AcceptanceRun, RunStatus};
use crate::engine::CommitReport;
use crate::finding::{Action, Finding};
use std::fmt::Write;

/// Output lines shown under a failed command.
const TAIL_LINES: usize = 30;

pub(crate) fn render(reports: &[CommitReport]) -> String {
    let mut out = String::new();
    let agent: Vec<&CommitReport> = reports.iter().filter(|r| r.agent).collect();
    let blocked = agent.iter().filter(|r| !r.verdict().passed()).count();
    // Human commits are detailed only when their credentials check found something.
    let detailed: Vec<&CommitReport> = reports
        .iter()
        .filter(|r| r.agent || !r.findings.is_empty())
        .collect();
    let human = reports.len() - agent.len();
    let mark = if verdict(reports).passed() {
        "✅"
    } else {
        "❌"
    };
    let _ = writeln!(out, "## agentguard: {mark} {}", verdict(reports));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{} commit{} judged: {} agent commit{} ({blocked} blocked), {human} human commit{}.",
        reports.len(),
        plural(reports.len()),
        agent.len(),
        plural(agent.len()),
        plural(human),
    );
    if reports.is_empty() {
        return out;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "| commit | task | agent | verdict | findings |");
    let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
    for report in reports {
        let (task, agent_name, verdict, findings) = if report.agent {
            (
                report.task.id.as_deref().map_or("—".to_string(), inline),
                report
                    .task
                    .agent_name
                    .as_deref()
                    .map_or("—".to_string(), inline),
                if report.verdict().passed() {
                    "✅ pass"
                } else {
                    "❌ block"
                },
                counts(&report.findings),
            )
        } else if report.findings.is_empty() {
            (
                "—".to_string(),
                "human".to_string(),
                "✅ pass (human commit)",
                "—".to_string(),
            )
        } else {
            // A human commit's credentials check found something.
            (
                "—".to_string(),
                "human".to_string(),
                if report.verdict().passed() {
                    "✅ pass (human commit)"
                } else {
                    "❌ block (human commit)"
                },
                counts(&report.findings),
            )
        };
        let _ = writeln!(
            out,
            "| `{}` | {task} | {agent_name} | {verdict} | {findings} |",
            short_commit(report)
        );
    }
    for report in detailed {
        render_commit(&mut out, report);
    }
    out
}

fn counts(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "0".to_string();
    }
    let blocking = findings.iter().filter(|f| f.blocks()).count();
    let warnings = findings.iter().filter(|f| f.action == Action::Warn).count();
    let approved = findings.len() - blocking - warnings;
    let mut parts = Vec::new();
    if blocking > 0 {
        parts.push(format!("{blocking} blocking"));
    }
    if warnings > 0 {
        parts.push(format!("{warnings} warning{}", plural(warnings)));
    }
    if approved > 0 {
        parts.push(format!("{approved} approved"));
    }
    format!("{} ({})", findings.len(), parts.join(", "))
}

fn render_commit(out: &mut String, report: &CommitReport) {
    let blocking: Vec<&Finding> = report.findings.iter().filter(|f| f.blocks()).collect();
    let failed: Vec<&AcceptanceRun> = report
        .acceptance
        .iter()
        .filter(|r| !r.passed() && r.status != RunStatus::Skipped)
        .collect();
    let skipped = super::runs::skipped_reason(&report.acceptance);
    let others: Vec<&Finding> = report.findings.iter().filter(|f| !f.blocks()).collect();
    let path = &report.path_taken;
    let has_path = path.attempts.is_some() || path.session.is_some() || path.rollback.is_some();
    if blocking.is_empty() && failed.is_empty() && others.is_empty() && !has_path {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "### {} `{}` — {}",
        if report.verdict().passed() {
            "✅"
        } else {
            "❌"
        },
        short_commit(report),
        report
            .task
            .id
            .as_deref()
            .map_or("no task".to_string(), inline)
    );
    if !blocking.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "**Blocking findings**");
        let _ = writeln!(out);
        for finding in blocking {
            let _ = writeln!(out, "{}", item(report, finding));
        }
    }
    if let Some(reason) = skipped {
        let _ = writeln!(out);
        let _ = writeln!(out, "**Acceptance skipped**: {}", inline(reason));
    }
    if !failed.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "**Failed acceptance commands**");
        for run in failed {
            render_run(out, run);
        }
    }
    if !others.is_empty() {
        let warnings = others.iter().filter(|f| f.action == Action::Warn).count();
        let approved = others.len() - warnings;
        let mut label = Vec::new();
        if warnings > 0 {
            label.push(format!("{warnings} warning{}", plural(warnings)));
        }
        if approved > 0 {
            label.push(format!("{approved} approved"));
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "<details><summary>{}</summary>", label.join(", "));
        let _ = writeln!(out);
        for finding in others {
            let _ = writeln!(out, "{}", item(report, finding));
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "</details>");
    }
    if has_path {
        render_path_taken(out, report);
    }
}

/// The attempts before the commit, the agent's session and the way back.
fn render_path_taken(out: &mut String, report: &CommitReport) {
    use super::path_taken as story;
    let path = &report.path_taken;
    let _ = writeln!(out);
    let _ = writeln!(out, "**The path it took**");
    let _ = writeln!(out);
    if let Some(attempts) = &path.attempts {
        let _ = writeln!(out, "- {}", inline(&story::attempts_headline(attempts)));
        for attempt in &attempts.entries {
            let mark = if attempt.verdict == "bypass" {
                "⚠️"
            } else {
                "❌"
            };
            let _ = writeln!(out, "  - {mark} {}", inline(&story::attempt_line(attempt)));
        }
    }
    if let Some(session) = &path.session {
        let _ = writeln!(out, "- {}", inline(&story::session_headline(session)));
        if !session.commands.is_empty() {
            let _ = writeln!(
                out,
                "  <details><summary>{} command{} kept</summary>",
                session.commands.len(),
                plural(session.commands.len())
            );
            let _ = writeln!(out);
            for command in &session.commands {
                let mark = match story::command_passed(command) {
                    Some(true) => "✅",
                    Some(false) => "❌",
                    None => "❔",
                };
                let _ = writeln!(out, "  - {mark} {}", inline(&story::command_line(command)));
            }
            let _ = writeln!(out);
            let _ = writeln!(out, "  </details>");
        }
    }
    if let Some(rollback) = &path.rollback {
        let commit = report.commit.map(|c| c.to_string());
        let _ = writeln!(
            out,
            "- {}",
            inline(&story::rollback_headline(rollback, commit.as_deref()))
        );
        for migration in &rollback.migrations {
            let mark = match story::migration_ok(migration) {
                Some(true) => "✅",
                Some(false) => "❌",
                None => "❔",
            };
            let _ = writeln!(
                out,
                "  - {mark} {}",
                inline(&story::migration_line(migration))
            );
        }
    }
}

fn item(report: &CommitReport, finding: &Finding) -> String {
    let state = super::state(finding);
    let location = match (&finding.path, finding.line) {
        (Some(path), Some(line)) if line > 0 => format!(" {}:{line}", inline(path)),
        (Some(path), _) => format!(" {}", inline(path)),
        (None, _) => String::new(),
    };
    format!(
        "- {state} **{}/{}**{location} — {}",
        finding.kind,
        inline(&finding.category),
        inline(&super::message(report, finding))
    )
}

fn render_run(out: &mut String, run: &AcceptanceRun) {
    let status = run.outcome();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "- **{}** {status} after {:.1} s (network {}, worktree {})",
        inline(&run.command),
        run.duration_ms as f64 / 1000.0,
        inline(&run.network),
        inline(&run.worktree)
    );
    let text = printable(&run.output_tail);
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return;
    }
    let start = lines.len().saturating_sub(TAIL_LINES);
    if start > 0 || run.output_truncated {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Last {} lines of {} bytes of output:",
            lines.len() - start,
            run.output_bytes
        );
    }
    let body = lines[start..].join("\n");
    let _ = writeln!(out);
    let _ = write!(out, "{}", fenced(&body));
}

/// A fenced code block holding `body` verbatim: the fence is longer than any backtick run in
/// it, so nothing inside can close the block.
pub(crate) fn fenced(body: &str) -> String {
    let longest = body
        .split(|c| c != '`')
        .map(str::len)
        .max()
        .unwrap_or_default();
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}text\n{body}\n{fence}\n")
}

/// Untrusted text as inert inline Markdown, on one line (safe in a table cell): HTML
/// characters become entities, Markdown punctuation is backslash-escaped, line breaks become
/// `<br>`, control characters are shown escaped.
pub(crate) fn inline(text: &str) -> String {
    let text = printable(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '|' | '~' | '#' | '!' | '{' | '}'
            | '+' | '-' | '.' | ':' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{fenced, inline, render};
    use crate::report::test_support::{self, HOSTILE};

    #[test]
    fn headline_and_table() {
        let md = render(&test_support::sample_reports());
        assert!(md.starts_with("## agentguard: ❌ block\n"));
        assert!(md.contains("4 commits judged: 3 agent commits (2 blocked), 1 human commit."));
        assert!(md.contains("| `aaaaaaaaaa` | T\\-1 | codex | ✅ pass | 0 |"));
        assert!(md.contains(
            "| `bbbbbbbbbb` | T\\-2 | claude\\-code | ❌ block | 6 (4 blocking, 1 warning, 1 approved) |"
        ));
        assert!(md.contains("| `cccccccccc` | — | human | ✅ pass (human commit) | — |"));
        let pass = render(&[test_support::passing(), test_support::human()]);
        assert!(pass.starts_with("## agentguard: ✅ pass\n"));
        // A passing commit with nothing to say gets no section.
        assert!(!pass.contains("###"));
    }

    #[test]
    fn blocked_commit_lists_findings_runs_and_folded_warnings() {
        let md = render(&[test_support::blocked()]);
        assert!(md.contains("### ❌ `bbbbbbbbbb` — T\\-2"));
        assert!(md.contains("- block **risk/credentials** src/config\\.rs:12 — an AWS access key"));
        assert!(md.contains("- awaiting approval **risk/auth** src/auth\\.rs:3"));
        assert!(md.contains("**Failed acceptance commands**"));
        assert!(md.contains("- **cargo test \\-\\-all** exited with code 101 after 61.2 s"));
        // The output holds a ``` run, so the fence is four backticks.
        assert!(md.contains("````text\nrunning 2 tests\n```rust\n"));
        assert!(!md.contains("cargo build exited"));
        let details = md.split("<details>").nth(1).unwrap();
        assert!(details.starts_with("<summary>1 warning, 1 approved</summary>\n\n"));
        assert!(details.contains("- warning **risk/dependencies** Cargo\\.toml:20"));
        assert!(details.contains("- approved **risk/migrations**"));
        assert!(details.contains("\n\n</details>\n"));
        let before = md.split("<details>").next().unwrap();
        assert!(!before.contains("dependencies"));
    }

    #[test]
    fn hostile_text_renders_inert() {
        let md = render(&[test_support::hostile()]);
        // Raw markup appears only inside the fenced output block, where it is code.
        let outside: String = md.split("`````").step_by(2).collect();
        assert!(!outside.contains("<script>"), "{md}");
        assert!(!outside.contains("]]>"));
        assert!(md.contains("&lt;script&gt;alert\\(1\\)&lt;/script&gt;"));
        assert!(!md.contains('\u{1b}') && !md.contains('\u{0}') && !md.contains('\r'));
        // Every table row stays one line with five cells.
        for row in md.lines().filter(|l| l.starts_with("| `")) {
            let unescaped_pipes = row
                .char_indices()
                .filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\'))
                .count();
            assert_eq!(unescaped_pipes, 6, "{row}");
        }
        // The output's longest backtick run is four, so the fence is five.
        assert!(md.contains("`````text\n"));
        let block = md.split("`````text\n").nth(1).unwrap();
        let body = block.split("\n`````\n").next().unwrap();
        assert!(body.contains("]]> <script>alert(1)</script> | pipe"));
        assert!(body.contains("\\u{1b}[31m"));
    }

    #[test]
    fn inline_escapes() {
        assert_eq!(inline("a|b\nc"), "a\\|b<br>c");
        assert_eq!(
            inline("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert\\(1\\)&gt;"
        );
        assert_eq!(
            inline("[x](javascript:alert)"),
            "\\[x\\]\\(javascript\\:alert\\)"
        );
        assert_eq!(inline("`code` *b*"), "\\`code\\` \\*b\\*");
        assert_eq!(inline("a\u{202e}b"), "a\\\\u\\{202e\\}b");
        assert!(!inline(HOSTILE).contains('\n'));
    }

    #[test]
    fn fences_outlast_backtick_runs() {
        assert_eq!(fenced("plain"), "```text\nplain\n```\n");
        assert_eq!(fenced("a ``` b"), "````text\na ``` b\n````\n");
        assert_eq!(fenced("``````"), "```````text\n``````\n```````\n");
    }
}
