//! Running a command under `sandbox-exec` (macOS only): the thin part that cannot be tested
//! off a Mac. Everything it decides is in the profile, generated and tested in the parent.

use super::{profile, Settings};
use crate::acceptance::process::Spec;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Never looked up on PATH: a replaced `sandbox-exec` would be a sandbox that is not one.
const SANDBOX_EXEC: &str = "/usr/bin/sandbox-exec";

/// `shell` for `spec`: under `sandbox-exec` with the profile of its settings when the run is
/// sandboxed, else as it is. The caller adds `-c <command>`.
pub(crate) fn command(shell: &str, spec: &Spec<'_>) -> Command {
    if spec.sandbox.is_none() && spec.write_rules.is_none() {
        return Command::new(shell);
    }
    let protected: Vec<PathBuf> = spec
        .sandbox
        .map(|(_, mounts)| mounts.protected().map(canonical).collect())
        .unwrap_or_default();
    let writable: Option<Vec<PathBuf>> = spec
        .write_rules
        .map(|rules| rules.paths().iter().map(|p| canonical(p)).collect());
    let checkout = canonical(spec.dir);
    let profile = profile(&Settings {
        checkout: &checkout,
        writable: writable.as_deref(),
        protected: &protected,
        deny_network: spec.sandbox.is_some_and(|(deny, _)| deny),
    });
    let mut command = Command::new(SANDBOX_EXEC);
    command.args(profile.args()).arg("--").arg(shell);
    command
}

/// Seatbelt matches the path a name resolves to (`/var` is `/private/var`).
fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// Whether `sandbox-exec` applies agentguard's profile here; `Err` names the cause. It
/// fails where the tool is missing or where agentguard already runs inside a sandbox
/// (an agent's own), which cannot be nested. Probed once.
pub(crate) fn probe() -> Result<(), String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    PROBE.get_or_init(run_probe).clone()
}

fn run_probe() -> Result<(), String> {
    if !Path::new(SANDBOX_EXEC).exists() {
        return Err(format!("{SANDBOX_EXEC} does not exist"));
    }
    // Every kind of rule the runs use, so a macOS that cannot compile one counts as unable.
    let dir = canonical(&std::env::temp_dir());
    let paths = [dir.clone()];
    let profile = profile(&Settings {
        checkout: &dir,
        writable: Some(&paths),
        protected: &paths,
        deny_network: true,
    });
    let output = Command::new(SANDBOX_EXEC)
        .args(profile.args())
        .args(["--", "/usr/bin/true"])
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {SANDBOX_EXEC}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&output.stderr);
    Err(format!(
        "{SANDBOX_EXEC} could not apply the acceptance profile ({}): {} (it cannot run inside \
         another sandbox, such as an agent's own)",
        output.status,
        said.trim()
    ))
}
