//! Acceptance: the task's commands re-run fresh in an isolated checkout of the judged tree.
//!
//! `setup` commands run first with the network allowed, then the acceptance commands with the
//! policy's network mode. Each runs with `sh -c` in the checkout ([`worktree`]), in its own
//! process group killed whole at the timeout ([`process`]), with only the `env` allowlist,
//! its output capped and hashed ([`capture`]), and its program resolved beforehand
//! ([`program`]); where the platform allows, inside the sandbox ([`sandbox`], [`filesystem`])
//! that [`context`] prepares once per run. Each run leaves a record ([`record`]), findings for
//! what did not pass ([`findings`]), and progress events for a display ([`progress`]).

pub(crate) mod baseline;
mod capture;
mod context;
pub(crate) mod filesystem;
mod findings;
pub(crate) mod inventory;
mod local;
mod process;
mod program;
pub(crate) mod progress;
mod record;
mod sandbox;
// Generated everywhere, so its tests run on every platform; run only on macOS.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
mod seatbelt;
mod signals;
mod worktree;

use crate::finding::Finding;
use crate::policy::acceptance::WorktreeMode;
use crate::policy::AcceptancePolicy;
use crate::repo::Repo;
use crate::task::AcceptanceCommand;
use context::Context;
use sandbox::{Applied, Decision};
use std::path::PathBuf;

pub(crate) use context::checkout_path_dirs;
pub(crate) use record::{AcceptanceRun, Baseline, Phase, RunStatus};
/// Whether commands can run with the network isolated here (`doctor` says so).
pub(crate) use sandbox::available as network_isolation_available;

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

#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub runs: Vec<AcceptanceRun>,
    pub findings: Vec<Finding>,
}

pub(crate) struct RunOptions<'a> {
    /// Told as each command starts, prints and ends.
    pub progress: Option<&'a dyn progress::Progress>,
    /// A hook or `check`: where the platform cannot isolate, the run may go without
    /// (`[acceptance] local_isolation`). `verify` never sets it.
    pub local: bool,
}

/// Runs the setup and acceptance commands against `tree`.
pub(crate) fn run(
    repo: &Repo,
    tree: git2::Oid,
    commands: &[AcceptanceCommand],
    policy: &AcceptancePolicy,
    options: &RunOptions<'_>,
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
    let applied = match sandbox::decide(
        local::network(policy.network, degrades),
        sandbox::available(),
    ) {
        Decision::Run(applied) => applied,
        Decision::Refuse(cause) => {
            outcome.findings.push(findings::network_refused(&cause));
            return Ok(outcome);
        }
    };
    let filesystem = match filesystem::decide(
        local::filesystem(policy.filesystem, degrades),
        filesystem::available(),
    ) {
        filesystem::Decision::Run(applied) => applied,
        filesystem::Decision::Refuse(cause) => {
            outcome.findings.push(findings::filesystem_refused(&cause));
            return Ok(outcome);
        }
    };
    if filesystem == filesystem::Applied::Unrestricted {
        let cause = filesystem::available().err().unwrap_or_default();
        outcome
            .findings
            .push(findings::filesystem_unrestricted(policy.filesystem, &cause));
    }
    if applied == Applied::Unrestricted {
        let cause = sandbox::available().err().unwrap_or_default();
        outcome
            .findings
            .push(findings::network_unrestricted(policy.network, &cause));
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
    let context = Context::prepare(repo, checkout.path(), policy, &interrupt, filesystem)?;
    let mut progress = progress::Reporter::new(options.progress, setup.len() + commands.len());
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
            outcome
                .findings
                .push(findings::setup_failure(&run, policy, commands.len()));
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
            outcome
                .findings
                .push(findings::failure_finding(&run, policy));
        }
        outcome.runs.push(run);
    }
    for run in outcome.runs.iter().filter(|r| !r.output_complete) {
        outcome.findings.push(findings::output_incomplete(run));
    }
    drop(checkout);
    Ok(outcome)
}

fn run_one(
    cx: &Context<'_>,
    command: &AcceptanceCommand,
    phase: Phase,
    network: Applied,
    progress: &mut progress::Reporter<'_>,
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
        tests: None,
        baseline: None,
    };
    let Some(word) = program::first_word(&command.command) else {
        record.output_tail = "the command names no program".into();
        return Ok(record);
    };
    let Some(resolved) = program::resolve(&word, &cx.path_var, cx.dir) else {
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

    progress.started(phase, &command.command);
    let spec = process::Spec {
        command: &command.command,
        dir: cx.dir,
        env: &cx.env,
        timeout: cx.policy.timeout,
        sandbox: cx
            .sandbox
            .as_ref()
            .map(|mounts| (network == Applied::Denied, mounts)),
        write_rules: cx.write_rules.as_ref(),
        max_output: cx.policy.max_output,
    };
    let mut on_line = |line: &str| progress.output(line);
    let on_line = progress
        .listening()
        .then_some(&mut on_line as &mut dyn FnMut(&str));
    let started = std::time::SystemTime::now();
    let finished = match process::run(&spec, cx.interrupt, on_line) {
        Ok(finished) => finished,
        Err(failure) => {
            progress.abandoned();
            return Err(match failure {
                process::Failure::Interrupted(signal) => AcceptanceError::Interrupted {
                    signal: signals::name(signal),
                },
                process::Failure::Spawn(source) => AcceptanceError::Spawn {
                    command: command.command.clone(),
                    source,
                },
            });
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
    if phase == Phase::Acceptance {
        let reports = inventory::junit_reports(cx.dir, started);
        record.tests = Some(finished.output.tests.or_report(reports));
    }
    record.status = if finished.timed_out {
        RunStatus::TimedOut
    } else if finished.exit_code == Some(0) {
        RunStatus::Passed
    } else {
        RunStatus::Failed
    };
    progress.finished(&record);
    Ok(record)
}
