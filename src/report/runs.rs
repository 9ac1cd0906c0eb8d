//! Human rendering of acceptance runs: one line per command, and the last lines of output
//! under each command that did not pass.

use super::{printable, Styles};
use crate::acceptance::{AcceptanceRun, Phase, RunStatus};
use std::fmt::Write;

/// Output lines shown under a failing command.
const TAIL_LINES: usize = 12;

pub(crate) fn render(out: &mut String, runs: &[AcceptanceRun], st: &Styles) {
    render_runs(out, runs, st, false);
}

/// Every run with its output tail, passing or not: what a reviewer reads in `show`.
pub(crate) fn render_all_tails(out: &mut String, runs: &[AcceptanceRun], st: &Styles) {
    render_runs(out, runs, st, true);
}

fn render_runs(out: &mut String, runs: &[AcceptanceRun], st: &Styles, all_tails: bool) {
    for run in runs {
        let status = match (run.status, run.exit_code, run.signal) {
            (RunStatus::Passed, _, _) => st.green.apply_to("ok".to_string()),
            (RunStatus::TimedOut, _, _) => st.red.apply_to("timed out".to_string()),
            (RunStatus::NotRun, _, _) => st.red.apply_to("not run".to_string()),
            (_, Some(code), _) => st.red.apply_to(format!("exit {code}")),
            (_, None, Some(signal)) => st.red.apply_to(format!("killed by signal {signal}")),
            (_, None, None) => st.red.apply_to("did not finish".to_string()),
        };
        let label = match run.phase {
            Phase::Setup => "setup",
            Phase::Acceptance => "ran",
        };
        let timing = if run.status == RunStatus::NotRun {
            String::new()
        } else {
            format!(" in {}", duration(run.duration_ms))
        };
        let _ = writeln!(
            out,
            "  {label}: {} … {status}{timing}{} (network {}, {}worktree {})",
            printable(&run.command),
            tests(run),
            run.network,
            if run.filesystem.is_empty() {
                String::new()
            } else {
                format!("filesystem {}, ", run.filesystem)
            },
            run.worktree
        );
        if all_tails || !run.passed() {
            render_tail(out, run, st);
        }
    }
}

/// ", 41 tests ran (the base ran 42)" when the runner reported a count.
fn tests(run: &AcceptanceRun) -> String {
    let Some(counts) = run.tests.as_ref().and_then(|t| t.counts) else {
        return String::new();
    };
    let ran = counts.ran();
    let mut text = format!(", {ran} test{} ran", if ran == 1 { "" } else { "s" });
    if let Some(base) = &run.baseline {
        text.push_str(&format!(" (the base ran {})", base.ran));
    }
    text
}

fn render_tail(out: &mut String, run: &AcceptanceRun, st: &Styles) {
    let lines: Vec<&str> = run.output_tail.lines().collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    if start > 0 || run.output_truncated {
        let _ = writeln!(
            out,
            "      {}",
            st.dim.apply_to(format!(
                "… last {} lines of {} bytes of output (sha256 {})",
                lines.len() - start,
                run.output_bytes,
                &run.output_sha256[..run.output_sha256.len().min(12)]
            ))
        );
    }
    for line in &lines[start..] {
        let _ = writeln!(out, "      {} {}", st.dim.apply_to("│"), printable(line));
    }
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60)
    }
}
