//! Human output: findings grouped by kind, each with its path and the rule that fired, and a
//! last line with the verdict.

use super::{plural, printable, Styles};
use crate::engine::CommitReport;
use crate::finding::{Action, Finding, Kind};
use crate::output::Verbosity;
use crate::verdict::Verdict;
use std::fmt::Write;

pub(crate) fn render(reports: &[CommitReport], styles: &Styles, verbosity: Verbosity) -> String {
    let mut out = String::new();
    for report in reports {
        if verbosity == Verbosity::Quiet && report.verdict().passed() {
            continue;
        }
        render_one(&mut out, report, styles, verbosity);
    }
    if verbosity != Verbosity::Quiet || !super::verdict(reports).passed() {
        render_verdict(&mut out, reports, styles);
    }
    out
}

fn subject(report: &CommitReport) -> String {
    match report.commit {
        Some(c) => format!("commit {}", short(&c.to_string())),
        None if report.scanned => format!(
            "{} file{} of the work tree",
            report.files_changed,
            super::plural(report.files_changed)
        ),
        None => format!("staged change (tree {})", short(&report.tree.to_string())),
    }
}

fn short(hex: &str) -> &str {
    &hex[..hex.len().min(10)]
}

/// The findings of a report, grouped by kind.
fn render_groups(out: &mut String, report: &CommitReport, st: &Styles) {
    let kinds = [
        Kind::Metadata,
        Kind::Scope,
        Kind::Risk,
        Kind::Acceptance,
        Kind::Evidence,
        Kind::Approval,
    ];
    for kind in kinds {
        let group: Vec<&Finding> = report.findings.iter().filter(|f| f.kind == kind).collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  {} ({})",
            st.bold.apply_to(kind.as_str()),
            group.len()
        );
        for finding in group {
            render_finding(out, report, finding, st);
        }
    }
    let _ = writeln!(out);
}

fn render_one(out: &mut String, report: &CommitReport, st: &Styles, verbosity: Verbosity) {
    let _ = writeln!(
        out,
        "{}",
        st.bold.apply_to(format!("agentguard: {}", subject(report)))
    );
    if verbosity == Verbosity::Quiet {
        // Only what keeps the change from passing.
        for finding in report.findings.iter().filter(|f| f.blocks()) {
            render_finding(out, report, finding, st);
        }
        let _ = writeln!(out);
        return;
    }
    let _ = writeln!(out, "  policy: {}", report.policy_source);
    if !report.agent {
        let _ = writeln!(out, "  {}", st.dim.apply_to(super::human_state(report)));
        if report.findings.is_empty() {
            return;
        }
        render_groups(out, report, st);
        return;
    }
    let _ = writeln!(
        out,
        "  agent work: {}",
        printable(&report.agent_reasons.join("; "))
    );
    let task = &report.task;
    match &task.id {
        Some(id) => {
            let goal = task
                .goal
                .as_deref()
                .map(|g| format!(" — {}", printable(g)))
                .unwrap_or_default();
            let _ = writeln!(out, "  task: {id}{goal}");
        }
        None => {
            let _ = writeln!(out, "  task: none");
        }
    }
    if verbosity == Verbosity::Verbose {
        for layer in &task.layers {
            let allow = layer.allow.as_ref().map_or("(any)".to_string(), |a| {
                if a.is_empty() {
                    "(nothing)".to_string()
                } else {
                    a.patterns().join(", ")
                }
            });
            let _ = writeln!(
                out,
                "    layer {}: allow {allow}; deny {}",
                layer.name,
                if layer.deny.is_empty() {
                    "(none)".to_string()
                } else {
                    layer.deny.patterns().join(", ")
                }
            );
        }
        for command in &task.acceptance {
            let _ = writeln!(
                out,
                "    acceptance ({}): {}",
                command.source,
                printable(&command.command)
            );
        }
    }
    let _ = writeln!(
        out,
        "  change: {} {}, fingerprint {}",
        report.files_changed,
        if report.files_changed == 1 {
            "path"
        } else {
            "paths"
        },
        report.fingerprint.as_deref().map_or("-", short)
    );
    super::runs::render(out, &report.acceptance, st);
    if report.vouched {
        out.push_str(
            "  acceptance: not run again; its evidence note vouches for it ([verify] run = \"tip\")\n",
        );
    }
    render_path_taken(out, report);
    render_groups(out, report, st);
}

/// A line each for what deserves a look in the path the change took: attempts that did not
/// pass before it, the agent's session, a way back that does not apply cleanly or a
/// migration without a way down. `show` tells the whole story.
fn render_path_taken(out: &mut String, report: &CommitReport) {
    let path = &report.path_taken;
    if let Some(attempts) = path.attempts.as_ref().filter(|a| !a.first_time()) {
        let _ = writeln!(
            out,
            "  {}",
            printable(&super::path_taken::attempts_headline(attempts))
        );
    }
    if let Some(session) = &path.session {
        let _ = writeln!(
            out,
            "  {}",
            printable(&super::path_taken::session_headline(session))
        );
    }
    if let Some(rollback) = &path.rollback {
        if rollback.applies != "clean" {
            let commit = report.commit.map(|c| c.to_string());
            let _ = writeln!(
                out,
                "  {}",
                printable(&super::path_taken::rollback_headline(
                    rollback,
                    commit.as_deref()
                ))
            );
        }
        for migration in &rollback.migrations {
            if super::path_taken::migration_ok(migration) != Some(true) {
                let _ = writeln!(
                    out,
                    "  {}",
                    printable(&super::path_taken::migration_line(migration))
                );
            }
        }
    }
}

fn render_finding(out: &mut String, report: &CommitReport, finding: &Finding, st: &Styles) {
    let label = match (finding.action, finding.approved()) {
        (Action::Block, _) => st.red.apply_to("✗ block  ".to_string()),
        (Action::Approve, false) => st.yellow.apply_to("◆ approve".to_string()),
        (Action::Approve, true) => st.green.apply_to("✓ approved".to_string()),
        (Action::Warn, _) => st.yellow.apply_to("! warn   ".to_string()),
    };
    let location = match (&finding.path, finding.line) {
        (Some(path), Some(line)) => format!(
            "{} ",
            st.cyan.apply_to(format!("{}:{line}", printable(path)))
        ),
        (Some(path), None) => format!("{} ", st.cyan.apply_to(printable(path))),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "    {label} {location}[{}] {}",
        finding.category,
        printable(&super::message(report, finding))
    );
    if !finding.rule.is_empty() {
        let _ = writeln!(
            out,
            "              {}",
            st.dim.apply_to(format!("rule: {}", finding.rule))
        );
    }
    if let Some(detail) = &finding.detail {
        for line in detail.lines() {
            let _ = writeln!(out, "              {}", printable(line));
        }
    }
}

/// One line for a change that passed: what was judged and what ran.
pub(crate) fn summary_line(report: &CommitReport) -> String {
    let task = task_prefix(report);
    let runs = &report.acceptance;
    let passed = runs.iter().filter(|r| r.passed()).count();
    let acceptance = if runs.is_empty() {
        String::from("no acceptance run")
    } else {
        format!("acceptance {passed}/{} passed", runs.len())
    };
    let approved = report.findings.iter().filter(|f| f.approved()).count();
    let mut approvals = if approved > 0 {
        format!(", {approved} approved")
    } else {
        String::new()
    };
    let mut due: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.deferred)
        .map(|f| f.category.as_str())
        .collect();
    due.sort_unstable();
    due.dedup();
    if !due.is_empty() {
        approvals.push_str(&format!(", awaiting approval at merge: {}", due.join(", ")));
    }
    let warnings = warnings_suffix(report);
    format!(
        "pass — {task}{} path{}, {acceptance}{approvals}{warnings}",
        report.files_changed,
        plural(report.files_changed)
    )
}

/// pre-commit's line for an agent change its static checks let through: what it judged, and
/// that the verdict is commit-msg's (the task, the message's trailers, acceptance).
pub(crate) fn static_line(report: &CommitReport) -> String {
    let task = task_prefix(report);
    let warnings = warnings_suffix(report);
    format!(
        "no static finding blocks — {task}{} path{}{warnings}; commit-msg judges the message and runs acceptance",
        report.files_changed,
        plural(report.files_changed)
    )
}

/// `task T-1, ` for a change under a task, else nothing.
fn task_prefix(report: &CommitReport) -> String {
    report
        .task
        .id
        .as_deref()
        .map(|id| format!("task {}, ", printable(id)))
        .unwrap_or_default()
}

/// `, 2 warnings` when findings warn, else nothing.
fn warnings_suffix(report: &CommitReport) -> String {
    let warnings = report
        .findings
        .iter()
        .filter(|f| f.action == Action::Warn)
        .count();
    if warnings > 0 {
        format!(", {warnings} warning{}", plural(warnings))
    } else {
        String::new()
    }
}

fn render_verdict(out: &mut String, reports: &[CommitReport], st: &Styles) {
    let findings: Vec<&Finding> = reports.iter().flat_map(|r| &r.findings).collect();
    let blocking = findings
        .iter()
        .filter(|f| f.action == Action::Block)
        .count();
    let pending = findings
        .iter()
        .filter(|f| f.action == Action::Approve && !f.approved())
        .count();
    let warnings = findings.iter().filter(|f| f.action == Action::Warn).count();
    if super::verdict(reports).passed() {
        let mut notes = Vec::new();
        if pending > 0 {
            notes.push(format!("{pending} awaiting approval at merge"));
        }
        if warnings > 0 {
            notes.push(format!("{warnings} warning{}", plural(warnings)));
        }
        let extra = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        let _ = writeln!(out, "verdict: {}{extra}", st.green.apply_to(Verdict::Pass));
    } else {
        let mut parts = Vec::new();
        if blocking > 0 {
            parts.push(format!("{blocking} blocking finding{}", plural(blocking)));
        }
        if pending > 0 {
            parts.push(format!("{pending} awaiting approval"));
        }
        if warnings > 0 {
            parts.push(format!("{warnings} warning{}", plural(warnings)));
        }
        let _ = writeln!(
            out,
            "verdict: {} — {}",
            st.red.apply_to(Verdict::Block),
            parts.join(", ")
        );
    }
}
