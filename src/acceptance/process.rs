//! Running one command: `sh -c` in its own process group, in the checkout, with only the
//! given environment; the whole group is killed at the timeout, on interruption, and once
//! the shell has exited (so forked children never outlive the run).

use super::capture::{self, Captured};
use super::signals::Interrupt;
use super::{filesystem, sandbox};
use rustix::process::{kill_process_group, waitid, Pid, Signal, WaitId, WaitIdOptions};
use std::ffi::OsString;
use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const SHELL: &str = "/bin/sh";
/// How long to wait for the output pipe to close once the group is dead.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

pub(super) struct Spec<'a> {
    pub command: &'a str,
    pub dir: &'a Path,
    pub env: &'a [(OsString, OsString)],
    pub timeout: Duration,
    /// `None` where the platform cannot sandbox; else whether the network is denied too.
    pub sandbox: Option<(bool, &'a sandbox::Mounts)>,
    /// Where the command may write, when the filesystem is restricted.
    pub write_rules: Option<&'a filesystem::WriteRules>,
    pub max_output: u64,
}

#[derive(Debug)]
pub(super) struct Finished {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub duration: Duration,
    pub output: Captured,
}

#[derive(Debug)]
pub(super) enum Failure {
    Spawn(io::Error),
    /// An interrupting signal arrived; the group has been killed.
    Interrupted(i32),
}

/// Runs the command; `on_line`, if given, hears each new last line of its output while it runs.
pub(super) fn run(
    spec: &Spec<'_>,
    interrupt: &Interrupt,
    mut on_line: Option<&mut dyn FnMut(&str)>,
) -> Result<Finished, Failure> {
    let (read, write) = capture::pipe().map_err(Failure::Spawn)?;
    let write_err = write.try_clone().map_err(Failure::Spawn)?;
    // On macOS the shell starts under `sandbox-exec`: Seatbelt applies a profile at exec.
    #[cfg(target_os = "macos")]
    let mut command = super::seatbelt::exec::command(SHELL, spec);
    #[cfg(not(target_os = "macos"))]
    let mut command = std::process::Command::new(SHELL);
    command
        .arg("-c")
        .arg(spec.command)
        .current_dir(spec.dir)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(write))
        .stderr(Stdio::from(write_err))
        .process_group(0);
    #[cfg(target_os = "linux")]
    match (spec.sandbox, spec.write_rules) {
        (Some((deny_network, mounts)), rules) => {
            sandbox::sandbox(
                &mut command,
                deny_network,
                mounts,
                rules.map(|r| r.raw_fd()),
            );
        }
        (None, Some(rules)) => filesystem::restrict(&mut command, rules),
        (None, None) => {}
    }
    // Elsewhere there is no sandbox (`available` says so): a run that wants one must not start.
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    if spec.sandbox.is_some() || spec.write_rules.is_some() {
        return Err(Failure::Spawn(io::ErrorKind::Unsupported.into()));
    }
    let start = Instant::now();
    let spawned = command.spawn();
    // The Command holds our copies of the pipe's write end: close them so EOF can arrive.
    drop(command);
    let mut child = spawned.map_err(Failure::Spawn)?;
    let pgid = i32::try_from(child.id()).unwrap_or(i32::MAX);
    let reader = match capture::spawn_reader(read, spec.max_output, on_line.is_some()) {
        Ok(reader) => reader,
        Err(e) => {
            kill_group(pgid);
            let _ = child.wait();
            return Err(Failure::Spawn(e));
        }
    };

    let mut timed_out = false;
    let mut interrupted = None;
    let mut pause = Duration::from_millis(2);
    let mut lines_seen = 0;
    // An error from waitid means there is nothing left to wait for: stop polling.
    while let Ok(false) = has_exited(pgid) {
        if let Some(on_line) = on_line.as_mut() {
            if let Some(line) = reader.last_line(&mut lines_seen) {
                on_line(&line);
            }
        }
        if let Some(signal) = interrupt.received() {
            interrupted = Some(signal);
            break;
        }
        let elapsed = start.elapsed();
        if elapsed >= spec.timeout {
            timed_out = true;
            break;
        }
        std::thread::sleep(pause.min(spec.timeout - elapsed));
        pause = (pause * 2).min(Duration::from_millis(25));
    }
    // The leader is not reaped yet, so its pid (the group id) cannot have been reused: kill
    // the whole group, including children the shell left running in the background.
    kill_group(pgid);
    let status = child.wait().ok();
    let duration = start.elapsed();
    let output = reader.finish(DRAIN_GRACE);
    if let Some(signal) = interrupted {
        return Err(Failure::Interrupted(signal));
    }
    Ok(Finished {
        exit_code: status.and_then(|s| s.code()),
        signal: status.and_then(|s| s.signal()),
        timed_out,
        duration,
        output,
    })
}

/// Whether the leader has exited, without reaping it.
fn has_exited(pid: i32) -> io::Result<bool> {
    let pid = Pid::from_raw(pid).ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    let flags = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    Ok(waitid(WaitId::Pid(pid), flags)?.is_some())
}

/// SIGKILL to every process in the group.
fn kill_group(pgid: i32) {
    if let Some(pgid) = Pid::from_raw(pgid).filter(|_| pgid > 1) {
        // ESRCH (the group is gone) is fine.
        let _ = kill_process_group(pgid, Signal::KILL);
    }
}
