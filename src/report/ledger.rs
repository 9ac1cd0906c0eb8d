//! The ledger as text, for `log` and `report`: human, JSON and Markdown.

use super::{printable, Styles};
use crate::ledger::summary::{Group, Rollback, RollbackCause, Summary, NONE};
use crate::ledger::{Entry, EntryFinding, LineVerdict};
use crate::verdict::Verdict;
use std::collections::BTreeMap;
use std::fmt::Write;

fn short(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}

fn seconds(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{:.1}s", ms as f64 / 1000.0)
    }
}

/// The stored time, shown to the second.
fn when(entry_time: &str) -> String {
    match humantime::parse_rfc3339_weak(entry_time) {
        Ok(t) => humantime::format_rfc3339_seconds(t)
            .to_string()
            .replacen('T', " ", 1),
        Err(_) if entry_time.is_empty() => "(no time)".to_string(),
        Err(_) => printable(entry_time).into_owned(),
    }
}

fn subject(entry: &Entry) -> String {
    match (&entry.commit, &entry.tree) {
        (Some(commit), _) => printable(short(commit)).into_owned(),
        (None, Some(tree)) => format!("tree {}", printable(short(tree))),
        (None, None) => "-".to_string(),
    }
}

/// `scope/denied ×2, risk/auth` for findings counted by kind and category.
fn counted<'a>(findings: impl Iterator<Item = &'a EntryFinding>) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings {
        *counts.entry(f.key()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(key, n)| match n {
            1 => printable(key).into_owned(),
            n => format!("{} ×{n}", printable(key)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `log` for people: newest first, one headline per run and a few indented details.
pub(crate) fn log_human(entries: &[&Entry], styles: &Styles) -> String {
    let mut out = String::new();
    for entry in entries {
        // Padded before styling: escape codes would count as width.
        let verdict = format!("{:<7}", printable(entry.verdict.as_str()));
        let verdict = match entry.verdict {
            LineVerdict::Judged(Verdict::Pass) => styles.green.apply_to(verdict),
            LineVerdict::Judged(Verdict::Block) | LineVerdict::Error => {
                styles.red.apply_to(verdict)
            }
            LineVerdict::Bypass | LineVerdict::Rollback => styles.yellow.apply_to(verdict),
            _ => styles.dim.apply_to(verdict),
        };
        let _ = write!(
            out,
            "{}  {:<16} {:<12} {}",
            styles.dim.apply_to(when(&entry.time)),
            printable(&entry.command),
            subject(entry),
            verdict
        );
        if let Some(task) = &entry.task {
            let _ = write!(out, "  task {}", styles.bold.apply_to(printable(task)));
        }
        if let Some(agent) = &entry.agent {
            let _ = write!(out, "  agent {}", printable(agent));
        }
        if let Some(branch) = &entry.branch {
            let _ = write!(out, "  on {}", printable(branch));
        }
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
        let blocking: Vec<&EntryFinding> = entry.blocking_findings().collect();
        if !blocking.is_empty() {
            let _ = writeln!(
                out,
                "    {} blocking: {}",
                blocking.len(),
                counted(blocking.iter().copied())
            );
        }
        let other: Vec<&EntryFinding> = entry.findings.iter().filter(|f| !f.blocks()).collect();
        if !other.is_empty() {
            let _ = writeln!(
                out,
                "    {} not blocking: {}",
                other.len(),
                counted(other.iter().copied())
            );
        }
        for run in entry.failed_runs() {
            let how = match run.exit_code {
                Some(code) => format!("exit {code}"),
                None => printable(&run.status).into_owned(),
            };
            let _ = writeln!(
                out,
                "    acceptance failed: `{}` ({how}, {})",
                printable(&run.command),
                seconds(run.duration_ms)
            );
        }
        if let Some(bypass) = &entry.bypass {
            let _ = writeln!(
                out,
                "    skipped by {}: {}",
                printable(&bypass.who),
                printable(&bypass.reason)
            );
        }
        if let Some(error) = &entry.error {
            let _ = writeln!(out, "    error: {}", printable(error));
        }
        if let Some(rollback) = &entry.rollback {
            let _ = write!(
                out,
                "    reverted by {} ({})",
                printable(short(&rollback.revert)),
                printable(&rollback.who)
            );
            if !rollback.reason.is_empty() {
                let _ = write!(out, ": “{}”", printable(&rollback.reason));
            }
            out.push('\n');
        }
        for pair in &entry.rewritten {
            let _ = writeln!(
                out,
                "    {} {} -> {}",
                printable(entry.rewrite.as_deref().unwrap_or("rewrite")),
                printable(short(&pair.old)),
                printable(short(&pair.new))
            );
        }
    }
    out
}

/// `log --format json`: one array, newest first.
pub(crate) fn log_json(entries: &[&Entry]) -> Result<String, super::RenderError> {
    super::pretty_json(&entries)
}

fn percent(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

fn cause(rollback: &Rollback) -> String {
    match &rollback.cause {
        RollbackCause::Rewritten { kind, new } => format!(
            "rewritten by {} into {}",
            printable(if kind.is_empty() { "rewrite" } else { kind }),
            printable(short(new))
        ),
        RollbackCause::Unreachable => "discarded: no ref or HEAD reaches it".to_string(),
        RollbackCause::Reverted {
            revert,
            reason,
            who,
        } => {
            let mut text = format!(
                "reverted by {} ({})",
                printable(short(revert)),
                printable(who)
            );
            if !reason.is_empty() {
                let _ = write!(text, ": “{}”", printable(reason));
            }
            text
        }
    }
}

fn why(rollback: &Rollback) -> String {
    if rollback.last_verdict.is_empty() {
        return format!("reverted {}", when(&rollback.last_time));
    }
    let blocking = counted(rollback.findings.iter().filter(|f| f.blocks()));
    let mut text = format!(
        "last judged {} by {}: {}",
        when(&rollback.last_time),
        printable(&rollback.last_command),
        printable(&rollback.last_verdict)
    );
    if !blocking.is_empty() {
        let _ = write!(text, " ({blocking})");
    }
    text
}

fn group_human(out: &mut String, group: &Group, width: usize, styles: &Styles) {
    let name = format!("{:<width$}", printable(&group.name));
    let _ = writeln!(
        out,
        "  {}  {} attempts: {} pass, {} block, {} error, {} bypass, {} rolled back",
        styles.bold.apply_to(name),
        group.attempts,
        group.passes,
        group.blocks,
        group.errors,
        group.bypasses,
        group.rolled_back
    );
    if !group.blocked_by.is_empty() {
        let by: Vec<String> = group
            .blocked_by
            .iter()
            .map(|(key, n)| format!("{} ×{n}", printable(key)))
            .collect();
        let _ = writeln!(out, "      blocked by: {}", by.join(", "));
    }
    if group.acceptance_runs > 0 {
        let slowest: Vec<String> = group
            .slowest
            .iter()
            .map(|s| {
                format!(
                    "`{}` {} max, {} mean",
                    printable(&s.command),
                    seconds(s.max_ms),
                    seconds(s.mean_ms)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "      acceptance: {} runs, {} failed ({}); slowest: {}",
            group.acceptance_runs,
            group.acceptance_failures,
            percent(group.acceptance_failure_rate),
            slowest.join("; ")
        );
    }
}

/// `report` for people.
pub(crate) fn report_human(summary: &Summary, styles: &Styles) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "ledger: {} runs recorded, {} of them human commits that passed untouched{}",
        summary.entries,
        summary.human_passes,
        match summary.skipped_lines {
            0 => String::new(),
            n => format!(", {n} unreadable lines skipped"),
        }
    );
    for (title, groups) in [("by task", &summary.tasks), ("by agent", &summary.agents)] {
        let _ = writeln!(out, "\n{}", styles.bold.apply_to(title));
        if groups.is_empty() {
            out.push_str("  no agent work recorded\n");
        }
        let width = groups
            .iter()
            .map(|g| printable(&g.name).chars().count())
            .max()
            .unwrap_or(0);
        for group in groups {
            group_human(&mut out, group, width, styles);
        }
    }
    let _ = writeln!(out, "\n{}", styles.bold.apply_to("rolled back"));
    if summary.rollbacks.is_empty() {
        out.push_str("  none\n");
    }
    for rollback in &summary.rollbacks {
        let _ = writeln!(
            out,
            "  {}  task {}  agent {}  {}",
            styles.yellow.apply_to(printable(short(&rollback.commit))),
            printable(rollback.task.as_deref().unwrap_or(NONE)),
            printable(rollback.agent.as_deref().unwrap_or(NONE)),
            cause(rollback)
        );
        let _ = writeln!(out, "      {}", why(rollback));
    }
    out
}

/// `report --format json`.
pub(crate) fn report_json(summary: &Summary) -> Result<String, super::RenderError> {
    super::pretty_json(summary)
}

/// Table cells: no pipes or line breaks from user text.
fn cell(text: &str) -> String {
    printable(text)
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn group_table(out: &mut String, title: &str, groups: &[Group]) {
    let _ = writeln!(out, "## {title}\n");
    if groups.is_empty() {
        out.push_str("No agent work recorded.\n\n");
        return;
    }
    out.push_str(
        "| name | attempts | pass | block | error | bypass | rolled back | blocked by | \
         acceptance failed | slowest |\n",
    );
    out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |\n");
    for g in groups {
        let by: Vec<String> = g
            .blocked_by
            .iter()
            .map(|(key, n)| format!("{} ×{n}", cell(key)))
            .collect();
        let slowest = g
            .slowest
            .first()
            .map(|s| format!("`{}` {}", cell(&s.command), seconds(s.max_ms)))
            .unwrap_or_default();
        let failed = if g.acceptance_runs == 0 {
            "-".to_string()
        } else {
            format!(
                "{}/{} ({})",
                g.acceptance_failures,
                g.acceptance_runs,
                percent(g.acceptance_failure_rate)
            )
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&g.name),
            g.attempts,
            g.passes,
            g.blocks,
            g.errors,
            g.bypasses,
            g.rolled_back,
            by.join(", "),
            failed,
            slowest
        );
    }
    out.push('\n');
}

/// `report --format markdown`, for a pull request comment or a job summary.
pub(crate) fn report_markdown(summary: &Summary) -> String {
    let mut out = String::from("# agentguard ledger report\n\n");
    let _ = writeln!(
        out,
        "{} runs recorded, {} of them human commits that passed untouched; {} unreadable lines \
         skipped.\n",
        summary.entries, summary.human_passes, summary.skipped_lines
    );
    group_table(&mut out, "By task", &summary.tasks);
    group_table(&mut out, "By agent", &summary.agents);
    out.push_str("## Rolled back\n\n");
    if summary.rollbacks.is_empty() {
        out.push_str("None.\n");
    }
    for r in &summary.rollbacks {
        let _ = writeln!(
            out,
            "- `{}` task {}, agent {}: {}; {}",
            cell(short(&r.commit)),
            cell(r.task.as_deref().unwrap_or(NONE)),
            cell(r.agent.as_deref().unwrap_or(NONE)),
            cell(&cause(r)),
            cell(&why(r))
        );
    }
    out
}
