//! Human rendering of acceptance runs.

use super::human::Styles;
use crate::acceptance::AcceptanceRun;
use std::fmt::Write;

pub fn render(out: &mut String, runs: &[AcceptanceRun], st: &Styles) {
    for run in runs {
        let status = match run.exit_code {
            Some(0) => st.green.apply_to("ok".to_string()),
            Some(code) => st.red.apply_to(format!("exit {code}")),
            None => st.red.apply_to("did not finish".to_string()),
        };
        let _ = writeln!(
            out,
            "  ran: {} … {status} in {} ms (network {}, worktree {})",
            run.command, run.duration_ms, run.network, run.worktree
        );
    }
}
