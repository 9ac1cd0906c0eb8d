//! The findings of a run: a command that did not pass, isolation that could not be had.

use super::{AcceptanceRun, Phase, RunStatus};
use crate::finding::{Action, Finding, Kind};
use crate::policy::acceptance::{FilesystemMode, NetworkMode};
use crate::policy::AcceptancePolicy;

/// `network = "deny"` where the network cannot be isolated: nothing runs.
pub(super) fn network_refused(cause: &str) -> Finding {
    Finding::new(
        Kind::Acceptance,
        "network-isolation",
        Action::Block,
        format!(
            "network = \"deny\" but the network cannot be isolated here, so no acceptance \
             command was run: {cause}. Run where the network can be isolated (Linux user \
             namespaces, macOS sandbox-exec), or set network = \"auto\" (runs unisolated and \
             records it) or \"allow\" in the base commit's policy"
        ),
    )
    .rule("[acceptance] network = \"deny\"")
}

/// `filesystem = "restrict"` where writes cannot be restricted: nothing runs.
pub(super) fn filesystem_refused(cause: &str) -> Finding {
    Finding::new(
        Kind::Acceptance,
        "filesystem-isolation",
        Action::Block,
        format!(
            "filesystem = \"restrict\" but writes cannot be restricted here, so no acceptance \
             command was run: {cause}. Run where writes can be restricted (Linux Landlock, \
             macOS sandbox-exec), or set filesystem = \"auto\" (runs unrestricted and records \
             it) or \"allow\" in the base commit's policy"
        ),
    )
    .rule("[acceptance] filesystem = \"restrict\"")
}

/// The warning for commands that ran with the network although the policy says `mode`.
pub(super) fn network_unrestricted(mode: NetworkMode, cause: &str) -> Finding {
    let (message, rule) = match mode {
        NetworkMode::Deny => (
            format!(
                "network = \"deny\" but the network cannot be isolated here, so the acceptance \
                 commands ran with unrestricted network: {cause}. {}",
                only_warns()
            ),
            "[acceptance] network = \"deny\", local_isolation = \"warn\"",
        ),
        _ => (
            format!("the acceptance commands ran with unrestricted network: {cause}"),
            "[acceptance] network = \"auto\"",
        ),
    };
    Finding::new(Kind::Acceptance, "network-isolation", Action::Warn, message).rule(rule)
}

/// The warning for commands that could write anywhere although the policy says `mode`.
pub(super) fn filesystem_unrestricted(mode: FilesystemMode, cause: &str) -> Finding {
    let (message, rule) = match mode {
        FilesystemMode::Restrict => (
            format!(
                "filesystem = \"restrict\" but writes cannot be restricted here, so the \
                 acceptance commands could write outside their checkout: {cause}. {}",
                only_warns()
            ),
            "[acceptance] filesystem = \"restrict\", local_isolation = \"warn\"",
        ),
        _ => (
            format!("the acceptance commands could write outside their checkout: {cause}"),
            "[acceptance] filesystem = \"auto\"",
        ),
    };
    Finding::new(
        Kind::Acceptance,
        "filesystem-isolation",
        Action::Warn,
        message,
    )
    .rule(rule)
}

fn only_warns() -> &'static str {
    "A local check only warns about this; `agentguard verify` still requires the isolation, and \
     local_isolation = \"required\" in the base commit's policy makes local checks block too"
}

/// Credential-bearing variables the `env` allowlist names, withheld from every command.
pub(super) fn env_withheld(names: &[String]) -> Finding {
    Finding::new(
        Kind::Acceptance,
        "env-withheld",
        Action::Warn,
        format!(
            "[acceptance] env passes {}, but variables that carry credentials never reach setup \
             or acceptance commands, which run the change's code: they were withheld",
            names.join(", ")
        ),
    )
    .rule("[acceptance] env")
}

/// A setup command that did not pass, and the `skipped` acceptance commands it kept from
/// running.
pub(super) fn setup_failure(
    run: &AcceptanceRun,
    policy: &AcceptancePolicy,
    skipped: usize,
) -> Finding {
    let mut finding = failure_finding(run, policy);
    if skipped > 0 {
        finding.message.push_str(&format!(
            "; the {skipped} acceptance command{} did not run",
            if skipped == 1 { "" } else { "s" }
        ));
    }
    finding
}

/// A run whose output stream stayed open after its command ended.
pub(super) fn output_incomplete(run: &AcceptanceRun) -> Finding {
    Finding::new(
        Kind::Acceptance,
        "output-incomplete",
        Action::Warn,
        format!(
            "the output of `{}` was cut short: a process that left its process group kept the \
             output open after the command ended",
            run.command
        ),
    )
    .rule(format!("acceptance command ({})", run.source))
}

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
            let how = run.outcome();
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
