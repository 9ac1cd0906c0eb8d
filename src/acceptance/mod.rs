//! Acceptance: the task's commands re-run fresh in an isolated checkout of the judged tree.
//!
//! `setup` commands run first with the network allowed, then the acceptance commands with the
//! policy's network mode. Each runs with `sh -c` in the checkout ([`worktree`]), in its own
//! process group killed whole at the timeout ([`process`]), with only the `env` allowlist,
//! its output capped and hashed ([`capture`]), and its program resolved beforehand
//! ([`program`]).

mod capture;
pub mod filesystem;
mod local;
mod network;
mod process;
mod program;
mod progress;
pub mod seatbelt;
mod signals;
mod worktree;

use crate::finding::{Action, Finding, Kind};
use crate::policy::acceptance::WorktreeMode;
use crate::policy::AcceptancePolicy;
use crate::repo::Repo;
use crate::task::AcceptanceCommand;
use network::{Applied, Decision};
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use network::available as network_isolation_available;
pub use worktree::REUSE_DIR;

/// PATH for the commands when the allowlist does not pass the caller's.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

#[derive(Debug, thiserror::Error)]
pub enum AcceptanceError {
    #[error("git error while preparing the acceptance checkout: {}", .0.message())]
    Git(#[from] git2::Error),
    #[error("`git {args}` failed in the acceptance checkout {}: {stderr}", .dir.display())]
    GitCommand {
        args: String,
        dir: PathBuf,
        stderr: String,
    },
    #[error("cannot {what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("cannot start acceptance command `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("interrupted by {signal}: the running command was killed and its checkout removed")]
    Interrupted { signal: &'static str },
    #[error("cannot watch for interruption: {0}")]
    Signals(String),
    #[error("{0}")]
    Filesystem(String),
}

impl AcceptanceError {
    fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        AcceptanceError::Io {
            what: what.into(),
            source,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Setup,
    Acceptance,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Acceptance => "acceptance",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    Passed,
    Failed,
    TimedOut,
    /// Not started: unknown or disallowed program, or setup failed before it.
    NotRun,
}

/// What happened when one command ran (also read back from evidence notes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptanceRun {
    pub phase: Phase,
    pub command: String,
    /// Where the command came from: "policy setup", "policy", "task file", "trailer".
    pub source: String,
    pub status: RunStatus,
    /// The resolved program: an absolute path, `sh builtin <name>`, or `unresolved <word>`.
    pub program: Option<String>,
    pub exit_code: Option<i32>,
    /// The signal that ended the shell, if one did.
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub duration_ms: u64,
    /// Isolation actually applied: "denied", "allowed" or "unrestricted".
    pub network: String,
    /// Where the command could write: "restricted" (its checkout and temporary directory),
    /// "allowed" or "unrestricted".
    #[serde(default)]
    pub filesystem: String,
    pub worktree: String,
    /// Whether the command could write the user's repository: "read-only" in the sandbox,
    /// "writable" where the platform cannot sandbox.
    pub repository: String,
    /// Head and tail of stdout and stderr (interleaved), at most `max_output` bytes.
    pub output_tail: String,
    pub output_truncated: bool,
    pub output_bytes: u64,
    /// sha256 of the whole output stream.
    pub output_sha256: String,
    /// False when the stream could not be read to its end (a process that left the command's
    /// group kept it open); the hash then covers what was read.
    pub output_complete: bool,
}

impl AcceptanceRun {
    pub fn passed(&self) -> bool {
        self.status == RunStatus::Passed
    }

    /// How it ended, in words: "passed", "exited with code 1", "timed out", ….
    pub fn outcome(&self) -> String {
        match (self.status, self.exit_code, self.signal) {
            (RunStatus::Passed, _, _) => "passed".to_string(),
            (RunStatus::TimedOut, _, _) => "timed out".to_string(),
            (RunStatus::NotRun, _, _) => "was not run".to_string(),
            (_, Some(code), _) => format!("exited with code {code}"),
            (_, None, Some(signal)) => format!("was killed by signal {signal}"),
            (_, None, None) => "did not finish".to_string(),
        }
    }
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub runs: Vec<AcceptanceRun>,
    pub findings: Vec<Finding>,
}

pub struct RunOptions {
    /// Show a progress line per command (only when stderr is a terminal).
    pub progress: bool,
    /// A hook or `check`: where the platform cannot isolate, the run may go without
    /// (`[acceptance] local_isolation`). `verify` never sets it.
    pub local: bool,
}

/// Runs the setup and acceptance commands against `tree`.
pub fn run(
    repo: &Repo,
    tree: git2::Oid,
    commands: &[AcceptanceCommand],
    policy: &AcceptancePolicy,
    options: &RunOptions,
) -> Result<Outcome, AcceptanceError> {
    let mut outcome = Outcome::default();
    let setup: Vec<AcceptanceCommand> = policy
        .setup
        .iter()
        .filter(|c| !c.trim().is_empty())
        .map(|c| AcceptanceCommand {
            command: c.trim().to_string(),
            source: "policy setup".into(),
        })
        .collect();
    let degrades = local::degrades(policy, options.local);
    let applied = match network::decide(
        local::network(policy.network, degrades),
        network::available(),
    ) {
        Decision::Run(applied) => applied,
        Decision::Refuse(cause) => {
            outcome.findings.push(
                Finding::new(
                    Kind::Acceptance,
                    "network-isolation",
                    Action::Block,
                    format!(
                        "network = \"deny\" but the network cannot be isolated here, so no \
                         acceptance command was run: {cause}. Run where the network can be \
                         isolated (Linux user namespaces, macOS sandbox-exec), or set network = \
                         \"auto\" (runs unisolated and records it) or \"allow\" in the base \
                         commit's policy"
                    ),
                )
                .rule("[acceptance] network = \"deny\""),
            );
            return Ok(outcome);
        }
    };
    let filesystem = match filesystem::decide(
        local::filesystem(policy.filesystem, degrades),
        filesystem::available(),
    ) {
        filesystem::Decision::Run(applied) => applied,
        filesystem::Decision::Refuse(cause) => {
            outcome.findings.push(
                Finding::new(
                    Kind::Acceptance,
                    "filesystem-isolation",
                    Action::Block,
                    format!(
                        "filesystem = \"restrict\" but writes cannot be restricted here, so no \
                         acceptance command was run: {cause}. Run where writes can be restricted \
                         (Linux Landlock, macOS sandbox-exec), or set filesystem = \"auto\" \
                         (runs unrestricted and records it) or \"allow\" in the base commit's \
                         policy"
                    ),
                )
                .rule("[acceptance] filesystem = \"restrict\""),
            );
            return Ok(outcome);
        }
    };
    if filesystem == filesystem::Applied::Unrestricted {
        let cause = filesystem::available().err().unwrap_or_default();
        outcome
            .findings
            .push(local::filesystem_warning(policy.filesystem, &cause));
    }
    if applied == Applied::Unrestricted {
        let cause = network::available().err().unwrap_or_default();
        outcome
            .findings
            .push(local::network_warning(policy.network, &cause));
    }

    let interrupt = signals::Interrupt::enter().map_err(AcceptanceError::Signals)?;
    let keep: Vec<String> = policy.keep.patterns().to_vec();
    let checkout = match policy.worktree {
        WorktreeMode::Fresh => worktree::fresh(repo, tree),
        WorktreeMode::Reuse => worktree::reuse(repo, tree, &keep, &interrupt),
    };
    // A Ctrl-C also reaches the git processes preparing the checkout: report the cause.
    if let Some(signal) = interrupt.received() {
        return Err(AcceptanceError::Interrupted {
            signal: signals::name(signal),
        });
    }
    let checkout = checkout?;
    let work_trees = repo.work_trees();
    let mut protected: Vec<&Path> = vec![repo.common_dir(), repo.git().path()];
    protected.extend(work_trees.iter().map(PathBuf::as_path));
    let mounts = network::Mounts::protecting(&protected, checkout.path());
    let mut env = environment(&policy.env);
    // Restricted commands get a temporary directory of their own, removed with the run.
    let private_tmp = match filesystem {
        filesystem::Applied::Restricted => Some(
            tempfile::Builder::new()
                .prefix("agentguard-tmp-")
                .tempdir()
                .map_err(|e| AcceptanceError::io("create a private temporary directory", e))?,
        ),
        _ => None,
    };
    let write_rules = match &private_tmp {
        Some(tmp) => {
            env.retain(|(k, _)| k != "TMPDIR");
            env.push(("TMPDIR".into(), tmp.path().as_os_str().to_os_string()));
            let mut writable = vec![checkout.path().to_path_buf(), tmp.path().to_path_buf()];
            writable.extend(policy.writable.iter().filter(|p| p.exists()).cloned());
            Some(filesystem::WriteRules::new(&writable).map_err(AcceptanceError::Filesystem)?)
        }
        None => None,
    };
    let path_var = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let context = Context {
        dir: checkout.path(),
        env: &env,
        path_var: &path_var,
        policy,
        worktree: match policy.worktree {
            WorktreeMode::Fresh => "fresh",
            WorktreeMode::Reuse => "reuse",
        },
        interrupt: &interrupt,
        sandbox: network::available().is_ok().then_some(&mounts),
        write_rules: write_rules.as_ref(),
        filesystem,
    };
    let mut progress = progress::Progress::new(options.progress, setup.len() + commands.len());
    let mut setup_failed = false;
    for command in &setup {
        let run = run_one(
            &context,
            command,
            Phase::Setup,
            Applied::Allowed,
            &mut progress,
        )?;
        if !run.passed() {
            setup_failed = true;
            let mut finding = failure_finding(&run, policy);
            if !commands.is_empty() {
                finding.message.push_str(&format!(
                    "; the {} acceptance command{} did not run",
                    commands.len(),
                    if commands.len() == 1 { "" } else { "s" }
                ));
            }
            outcome.findings.push(finding);
        }
        outcome.runs.push(run);
        if setup_failed {
            break;
        }
    }
    // Without its setup an acceptance command proves nothing: they run only after all passed.
    for command in commands.iter().filter(|_| !setup_failed) {
        let run = run_one(&context, command, Phase::Acceptance, applied, &mut progress)?;
        if !run.passed() {
            outcome.findings.push(failure_finding(&run, policy));
        }
        outcome.runs.push(run);
    }
    for run in outcome.runs.iter().filter(|r| !r.output_complete) {
        outcome.findings.push(
            Finding::new(
                Kind::Acceptance,
                "output-incomplete",
                Action::Warn,
                format!(
                    "the output of `{}` was cut short: a process that left its process group \
                     kept the output open after the command ended",
                    run.command
                ),
            )
            .rule(format!("acceptance command ({})", run.source)),
        );
    }
    drop(checkout);
    Ok(outcome)
}

struct Context<'a> {
    dir: &'a Path,
    env: &'a [(OsString, OsString)],
    path_var: &'a OsString,
    policy: &'a AcceptancePolicy,
    worktree: &'static str,
    interrupt: &'a signals::Interrupt,
    /// The repository mounts, where the platform can sandbox.
    sandbox: Option<&'a network::Mounts>,
    write_rules: Option<&'a filesystem::WriteRules>,
    filesystem: filesystem::Applied,
}

fn run_one(
    cx: &Context<'_>,
    command: &AcceptanceCommand,
    phase: Phase,
    network: Applied,
    progress: &mut progress::Progress,
) -> Result<AcceptanceRun, AcceptanceError> {
    let mut record = AcceptanceRun {
        phase,
        command: command.command.clone(),
        source: command.source.clone(),
        status: RunStatus::NotRun,
        program: None,
        exit_code: None,
        signal: None,
        timed_out: false,
        duration_ms: 0,
        network: network.as_str().to_string(),
        filesystem: cx.filesystem.as_str().to_string(),
        worktree: cx.worktree.to_string(),
        repository: if cx.sandbox.is_some() {
            "read-only"
        } else {
            "writable"
        }
        .to_string(),
        output_tail: String::new(),
        output_truncated: false,
        output_bytes: 0,
        output_sha256: String::new(),
        output_complete: true,
    };
    let Some(word) = program::first_word(&command.command) else {
        record.output_tail = "the command names no program".into();
        return Ok(record);
    };
    let Some(resolved) = program::resolve(&word, cx.path_var, cx.dir) else {
        record.output_tail = format!(
            "program `{}` was not found on the commands' PATH (is it installed, and is PATH in \
             [acceptance] env?)\nPATH={}",
            word.text,
            cx.path_var.to_string_lossy()
        );
        return Ok(record);
    };
    record.program = Some(resolved.describe());
    if !program::is_allowed(&word, &resolved, &cx.policy.allowed_programs, cx.dir) {
        record.output_tail = format!(
            "program `{}` is not in [acceptance] allowed_programs",
            word.text
        );
        return Ok(record);
    }

    let line = progress.start(phase.as_str(), &command.command);
    let spec = process::Spec {
        command: &command.command,
        dir: cx.dir,
        env: cx.env,
        timeout: cx.policy.timeout,
        sandbox: cx
            .sandbox
            .map(|mounts| (network == Applied::Denied, mounts)),
        write_rules: cx.write_rules,
        max_output: cx.policy.max_output,
    };
    let finished = match process::run(&spec, cx.interrupt) {
        Ok(finished) => finished,
        Err(process::Failure::Interrupted(signal)) => {
            return Err(AcceptanceError::Interrupted {
                signal: signals::name(signal),
            })
        }
        Err(process::Failure::Spawn(source)) => {
            return Err(AcceptanceError::Spawn {
                command: command.command.clone(),
                source,
            })
        }
    };
    record.exit_code = finished.exit_code;
    record.signal = finished.signal;
    record.timed_out = finished.timed_out;
    record.duration_ms = u64::try_from(finished.duration.as_millis()).unwrap_or(u64::MAX);
    record.output_tail = finished.output.text;
    record.output_truncated = finished.output.truncated;
    record.output_bytes = finished.output.bytes;
    record.output_sha256 = finished.output.sha256;
    record.output_complete = finished.output.complete;
    record.status = if finished.timed_out {
        RunStatus::TimedOut
    } else if finished.exit_code == Some(0) {
        RunStatus::Passed
    } else {
        RunStatus::Failed
    };
    line.finish(&summary(&record));
    Ok(record)
}

fn summary(run: &AcceptanceRun) -> String {
    let status = match (run.status, run.exit_code, run.signal) {
        (RunStatus::Passed, _, _) => "ok".to_string(),
        (RunStatus::TimedOut, _, _) => "timed out".to_string(),
        (_, Some(code), _) => format!("exit {code}"),
        (_, None, Some(signal)) => format!("killed by signal {signal}"),
        _ => "did not finish".to_string(),
    };
    format!(
        "{status} in {}",
        humantime::format_duration(Duration::from_millis(run.duration_ms))
    )
}

/// The finding for a command that did not pass.
fn failure_finding(run: &AcceptanceRun, policy: &AcceptancePolicy) -> Finding {
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

/// The commands' environment: only the allowlisted variables (a trailing `*` matches a
/// prefix), never git's repository variables, and a PATH even when none is passed.
fn environment(allowlist: &[String]) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(key, _)| {
            let Some(key) = key.to_str() else {
                return false;
            };
            !worktree::LOCAL_GIT_VARS.contains(&key)
                && allowlist.iter().any(|entry| match entry.strip_suffix('*') {
                    Some(prefix) => key.starts_with(prefix),
                    None => entry == key,
                })
        })
        .collect();
    if !env.iter().any(|(k, _)| k == "PATH") {
        env.push(("PATH".into(), DEFAULT_PATH.into()));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_is_the_allowlist_without_git_variables() {
        let env = environment(&["PATH".into(), "GIT_DIR".into(), "CARGO_*".into()]);
        assert!(env.iter().all(|(k, _)| k != "GIT_DIR"));
        assert!(env.iter().any(|(k, _)| k == "PATH"));
        let env = environment(&[]);
        assert_eq!(env, vec![("PATH".into(), DEFAULT_PATH.into())]);
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(truncate("hi", 5), "hi");
    }
}
