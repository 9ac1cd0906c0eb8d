//! Local runs where the platform cannot isolate. CI is where isolation is enforced: `verify`
//! always fails closed. A hook or `agentguard check` on a machine without the sandbox (macOS
//! without a usable `sandbox-exec`, Linux without user namespaces or Landlock, other systems)
//! instead runs the commands, records what they actually got (`"unrestricted"`) and warns,
//! unless the policy says `[acceptance] local_isolation = "required"`.

use crate::finding::{Action, Finding, Kind};
use crate::policy::acceptance::{FilesystemMode, LocalIsolation, NetworkMode};
use crate::policy::AcceptancePolicy;

/// Whether this run may go without the isolation its policy asks for: only a local run, and
/// only when the policy lets it.
pub fn degrades(policy: &AcceptancePolicy, local: bool) -> bool {
    local && policy.local_isolation == LocalIsolation::Warn
}

/// The mode to decide with: where the run degrades, `deny` is decided as `auto`.
pub fn network(mode: NetworkMode, degrades: bool) -> NetworkMode {
    match mode {
        NetworkMode::Deny if degrades => NetworkMode::Auto,
        mode => mode,
    }
}

/// The mode to decide with: where the run degrades, `restrict` is decided as `auto`.
pub fn filesystem(mode: FilesystemMode, degrades: bool) -> FilesystemMode {
    match mode {
        FilesystemMode::Restrict if degrades => FilesystemMode::Auto,
        mode => mode,
    }
}

/// The warning for commands that ran with the network although the policy says `mode`.
pub fn network_warning(mode: NetworkMode, cause: &str) -> Finding {
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
pub fn filesystem_warning(mode: FilesystemMode, cause: &str) -> Finding {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Policy, PolicySource};

    fn parse(text: &str) -> AcceptancePolicy {
        Policy::parse(text, ".agentguard.toml", PolicySource::DefaultNoBase)
            .expect("a valid policy")
            .acceptance
    }

    fn policy(local_isolation: &str) -> AcceptancePolicy {
        parse(&format!(
            "[acceptance]\nlocal_isolation = \"{local_isolation}\"\n"
        ))
    }

    #[test]
    fn only_a_local_run_under_warn_degrades() {
        assert!(degrades(&policy("warn"), true));
        assert!(!degrades(&policy("warn"), false), "verify never degrades");
        assert!(!degrades(&policy("required"), true));
        assert!(!degrades(&policy("required"), false));
        assert_eq!(parse("").local_isolation, LocalIsolation::Warn);
    }

    #[test]
    fn degrading_turns_only_the_strict_modes_into_auto() {
        use FilesystemMode as F;
        use NetworkMode as N;
        for (mode, degraded) in [(N::Deny, N::Auto), (N::Allow, N::Allow), (N::Auto, N::Auto)] {
            assert_eq!(network(mode, true), degraded);
            assert_eq!(network(mode, false), mode);
        }
        for (mode, degraded) in [
            (F::Restrict, F::Auto),
            (F::Allow, F::Allow),
            (F::Auto, F::Auto),
        ] {
            assert_eq!(filesystem(mode, true), degraded);
            assert_eq!(filesystem(mode, false), mode);
        }
    }

    #[test]
    fn warnings_name_the_rule_that_applied() {
        let degraded = network_warning(NetworkMode::Deny, "no userns");
        assert_eq!(degraded.action, Action::Warn);
        assert!(degraded.message.contains("no userns"));
        assert!(degraded.message.contains("local_isolation = \"required\""));
        let auto = filesystem_warning(FilesystemMode::Auto, "no landlock");
        assert_eq!(auto.category, "filesystem-isolation");
        assert!(!auto.message.contains("local_isolation"));
    }
}
