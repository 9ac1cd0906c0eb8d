//! The findings of a run: a command that did not pass, isolation that could not be had.

use super::{AcceptanceRun, Phase, RunStatus};
use crate::finding::{Action, Finding, Kind};
use crate::policy::AcceptancePolicy;

/// The finding for a command that did not pass.
pub(super) fn failure_finding(run: &AcceptanceRun, policy: &AcceptancePolicy) -> Finding {
    let what = match run.phase {
        Phase::Setup => "setup command",
        Phase::Acceptance => "acceptance command",
    };
    let (category, message) = match run.status {
        RunStatus::TimedOut => (
            "timeout",
            format!(
                "{what} `{}` did not finish within {} and was killed with its process group",
                run.command,
                humantime::format_duration(policy.timeout)
            ),
        ),
        RunStatus::NotRun if run.program.is_none() => (
            "unknown-program",
            format!(
                "{what} `{}` was not run: {}",
                run.command,
                run.output_tail.lines().next().unwrap_or_default()
            ),
        ),
        RunStatus::NotRun => (
            "program-not-allowed",
            format!(
                "{what} `{}` was not run: its program ({}) is not in [acceptance] \
                 allowed_programs ({})",
                run.command,
                run.program.as_deref().unwrap_or("?"),
                policy.allowed_programs.join(", ")
            ),
        ),
        _ => {
            let how = match (run.exit_code, run.signal) {
                (Some(code), _) => format!("exited with code {code}"),
                (None, Some(signal)) => format!("was killed by signal {signal}"),
                (None, None) => "did not finish".to_string(),
            };
            let last = run
                .output_tail
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| format!(": {}", truncate(l.trim(), 200)))
                .unwrap_or_default();
            let category = match run.phase {
                Phase::Setup => "setup-failed",
                Phase::Acceptance => "command-failed",
            };
            (category, format!("{what} `{}` {how}{last}", run.command))
        }
    };
    Finding::new(Kind::Acceptance, category, Action::Block, message)
        .rule(format!("acceptance command ({})", run.source))
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(truncate("hi", 5), "hi");
    }
}
