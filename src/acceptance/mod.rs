//! Acceptance: the task's commands re-run fresh in an isolated checkout of the judged tree.
//!
//! Nothing runs while the change is blocked by what can be judged without running anything
//! (the engine decides that first; [`skipped`] records it). Then `setup` commands run, with
//! the network unless the change touched what setup reads ([`setup_inputs`]) without an
//! approval, and in a reused checkout not at all when those inputs are unchanged since the
//! last setup passed there; then the acceptance commands with the policy's network mode.
//! Each runs with `sh -c` in the checkout ([`worktree`]), in its own process group killed
//! whole at the timeout ([`process`]), with only the `env` allowlist minus credentials, its
//! output capped and hashed ([`capture`]), and its program resolved beforehand
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
pub(crate) mod setup_inputs;
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
pub(crate) use setup_inputs::SetupInputs;

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
pub struct Outcome {
    pub runs: Vec<AcceptanceRun>,
    pub findings: Vec<Finding>,
}

pub struct RunOptions<'a> {
    /// Told as each command starts, prints and ends.
    pub progress: Option<&'a dyn progress::Progress>,
    /// A hook or `check`: where the platform cannot isolate, the run may go without
    /// (`[acceptance] local_isolation`). `verify` never sets it.
    pub local: bool,
    /// Whether setup may use the network: not while the change touches what setup reads
    /// without a `test-tampering` approval.
    pub setup_network: bool,
    /// What setup reads: in a reused checkout, setup is skipped while its hash is unchanged.
    pub setup_inputs: Option<&'a SetupInputs>,
}

/// The policy's setup commands, as the runs name them.
fn setup_commands(policy: &AcceptancePolicy) -> Vec<AcceptanceCommand> {
    policy
        .setup
        .iter()
        .filter(|c| !c.trim().is_empty())
        .map(|c| AcceptanceCommand {
            command: c.trim().to_string(),
            source: "policy setup".into(),
        })
        .collect()
}

/// The records of a run that did not start because the change was already blocked: every
/// setup and acceptance command, each `skipped` with `reason`.
pub(crate) fn skipped(
    commands: &[AcceptanceCommand],
    policy: &AcceptancePolicy,
    reason: &str,
) -> Vec<AcceptanceRun> {
    let setup = setup_commands(policy);
    let phases = setup
        .iter()
        .map(|c| (c, Phase::Setup))
        .chain(commands.iter().map(|c| (c, Phase::Acceptance)));
    phases
        .map(|(command, phase)| {
            let mut run = AcceptanceRun::not_started(phase, command, RunStatus::Skipped);
            run.reason = Some(reason.to_string());
            run
        })
        .collect()
}

/// Runs the setup and acceptance commands against `tree`.
pub fn run(
    repo: &Repo,
    tree: git2::Oid,
    commands: &[AcceptanceCommand],
    policy: &AcceptancePolicy,
    options: &RunOptions<'_>,
) -> Result<Outcome, AcceptanceError> {
    let mut outcome = Outcome::default();
    let setup = setup_commands(policy);
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
    if !context.withheld.is_empty() {
        outcome
            .findings
            .push(findings::env_withheld(&context.withheld));
    }
    // Without an approval for what the change did to setup's inputs, setup runs offline.
    let setup_network = if options.setup_network {
        Applied::Allowed
    } else {
        match sandbox::decide(
            crate::policy::acceptance::NetworkMode::Deny,
            sandbox::available(),
        ) {
            Decision::Run(applied) => applied,
            Decision::Refuse(cause) => {
                outcome.findings.push(findings::network_refused(&cause));
                return Ok(outcome);
            }
        }
    };
    let reuse = SetupReuse::prepare(repo, tree, policy, options, setup_network)?;
    let mut progress = progress::Reporter::new(options.progress, setup.len() + commands.len());
    let mut setup_failed = false;
    if let Some(reason) = reuse.as_ref().and_then(SetupReuse::unchanged) {
        for command in &setup {
            let mut run = AcceptanceRun::not_started(Phase::Setup, command, RunStatus::Reused);
            run.network = setup_network.as_str().to_string();
            run.filesystem = context.filesystem.as_str().to_string();
            run.worktree = context.worktree.to_string();
            run.reason = Some(reason.clone());
            outcome.runs.push(run);
        }
    } else {
        match &reuse {
            Some(reuse) => reuse.forget()?,
            // Setup of unknown inputs (the base's, for its test count) in the reused
            // checkout: what the stamp vouched for is gone.
            None if policy.worktree == WorktreeMode::Reuse && !setup.is_empty() => {
                SetupReuse::forget_path(&worktree::setup_stamp(repo))?
            }
            None => {}
        }
        for command in &setup {
            let run = run_one(
                &context,
                command,
                Phase::Setup,
                setup_network,
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
        if let (Some(reuse), false) = (&reuse, setup_failed) {
            reuse.remember()?;
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
    let mut record = AcceptanceRun::not_started(phase, command, RunStatus::NotRun);
    record.network = network.as_str().to_string();
    record.filesystem = cx.filesystem.as_str().to_string();
    record.worktree = cx.worktree.to_string();
    record.repository = if cx.sandbox.is_some() {
        "read-only"
    } else {
        "writable"
    }
    .to_string();
    if phase == Phase::Setup && network == Applied::Denied {
        record.reason = Some(
            "ran without the network: the change touches what setup reads, and no \
             test-tampering approval covers it"
                .into(),
        );
    }
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

/// The setup stamp of a reused checkout: the hash of the inputs whose setup last passed
/// there, kept beside the checkout where no command can write it.
struct SetupReuse {
    stamp: PathBuf,
    /// The hash with the network setup gets, as the stamp spells it.
    current: String,
}

impl SetupReuse {
    /// `None` unless setup runs in a reused checkout and its inputs are known.
    fn prepare(
        repo: &Repo,
        tree: git2::Oid,
        policy: &AcceptancePolicy,
        options: &RunOptions<'_>,
        network: Applied,
    ) -> Result<Option<Self>, AcceptanceError> {
        let Some(inputs) = options.setup_inputs else {
            return Ok(None);
        };
        if policy.worktree != WorktreeMode::Reuse || policy.setup.is_empty() {
            return Ok(None);
        }
        let hash = inputs
            .hash(repo.git(), tree, &policy.setup)
            .map_err(|e| AcceptanceError::Filesystem(format!("cannot hash setup's inputs: {e}")))?;
        Ok(Some(Self {
            stamp: worktree::setup_stamp(repo),
            current: format!("{hash} network {}\n", network.as_str()),
        }))
    }

    /// The reason to reuse, when the last setup that passed here had the same inputs.
    fn unchanged(&self) -> Option<String> {
        let stamp = std::fs::read_to_string(&self.stamp).ok()?;
        (stamp == self.current).then(|| {
            format!(
                "setup reused (inputs unchanged, hash {})",
                &self.current[..self.current.len().min(12)]
            )
        })
    }

    /// Before setup runs: an interrupted or failed setup must not count as done.
    fn forget(&self) -> Result<(), AcceptanceError> {
        Self::forget_path(&self.stamp)
    }

    fn forget_path(stamp: &std::path::Path) -> Result<(), AcceptanceError> {
        match std::fs::remove_file(stamp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(AcceptanceError::io(
                format!("remove {}", stamp.display()),
                e,
            )),
            _ => Ok(()),
        }
    }

    fn remember(&self) -> Result<(), AcceptanceError> {
        std::fs::write(&self.stamp, &self.current)
            .map_err(|e| AcceptanceError::io(format!("write {}", self.stamp.display()), e))
    }
}
