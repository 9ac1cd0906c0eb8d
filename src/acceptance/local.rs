//! Local runs where the platform cannot isolate. CI is where isolation is enforced: `verify`
//! always fails closed. A hook or `agentguard check` on a machine without the sandbox (macOS
//! without a usable `sandbox-exec`, Linux without user namespaces or Landlock, other systems)
//! instead runs the commands, records what they actually got (`"unrestricted"`) and warns,
//! unless the policy says `[acceptance] local_isolation = "required"`.

use crate::policy::acceptance::{FilesystemMode, LocalIsolation, NetworkMode};
use crate::policy::AcceptancePolicy;

/// Whether this run may go without the isolation its policy asks for: only a local run, and
/// only when the policy lets it.
pub(super) fn degrades(policy: &AcceptancePolicy, local: bool) -> bool {
    local && policy.local_isolation == LocalIsolation::Warn
}

/// The mode to decide with: where the run degrades, `deny` is decided as `auto`.
pub(super) fn network(mode: NetworkMode, degrades: bool) -> NetworkMode {
    match mode {
        NetworkMode::Deny if degrades => NetworkMode::Auto,
        mode => mode,
    }
}

/// The mode to decide with: where the run degrades, `restrict` is decided as `auto`.
pub(super) fn filesystem(mode: FilesystemMode, degrades: bool) -> FilesystemMode {
    match mode {
        FilesystemMode::Restrict if degrades => FilesystemMode::Auto,
        mode => mode,
    }
}

#[cfg(test)]
mod tests {
    use super::super::findings;
    use super::*;
    use crate::finding::Action;
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
        let degraded = findings::network_unrestricted(NetworkMode::Deny, "no userns");
        assert_eq!(degraded.action, Action::Warn);
        assert!(degraded.message.contains("no userns"));
        assert!(degraded.message.contains("local_isolation = \"required\""));
        let auto = findings::filesystem_unrestricted(FilesystemMode::Auto, "no landlock");
        assert_eq!(auto.category, "filesystem-isolation");
        assert!(!auto.message.contains("local_isolation"));
    }
}
