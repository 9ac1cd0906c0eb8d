//! Network isolation: a command runs in a new, empty network namespace (only a loopback
//! interface that is down), so neither the internet nor the host's loopback servers are
//! reachable. Root unshares the namespace directly; others first enter a user namespace
//! that maps their own ids, which needs unprivileged user namespaces.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The isolation a run actually got, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Denied,
    Allowed,
    /// Deny was wanted (`auto`) but the platform could not isolate.
    Unrestricted,
}

impl Applied {
    pub fn as_str(self) -> &'static str {
        match self {
            Applied::Denied => "denied",
            Applied::Allowed => "allowed",
            Applied::Unrestricted => "unrestricted",
        }
    }
}

/// `uid_map`/`gid_map` lines, formatted before fork: the child may only make
/// async-signal-safe calls.
#[cfg(target_os = "linux")]
#[derive(Debug, Clone)]
struct Maps {
    uid: Vec<u8>,
    gid: Vec<u8>,
}

#[cfg(target_os = "linux")]
impl Maps {
    fn current() -> Self {
        // SAFETY: getuid/getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        Self {
            uid: format!("{uid} {uid} 1\n").into_bytes(),
            gid: format!("{gid} {gid} 1\n").into_bytes(),
        }
    }
}

/// Makes `command` run in a fresh network namespace.
#[cfg(target_os = "linux")]
pub fn isolate(command: &mut Command) {
    let maps = Maps::current();
    // SAFETY: `enter` makes only async-signal-safe calls (unshare, open, write, close) on
    // data prepared before fork.
    unsafe {
        command.pre_exec(move || enter(&maps));
    }
}

/// Elsewhere there is no network namespace: a command that needs one must not start.
#[cfg(not(target_os = "linux"))]
pub fn isolate(command: &mut Command) {
    // SAFETY: returning an error is async-signal-safe.
    unsafe {
        command.pre_exec(|| Err(io::Error::from(io::ErrorKind::Unsupported)));
    }
}

#[cfg(target_os = "linux")]
fn enter(maps: &Maps) -> io::Result<()> {
    // SAFETY: plain syscalls on valid arguments.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } == 0 {
        return Ok(());
    }
    let direct = io::Error::last_os_error();
    if direct.raw_os_error() != Some(libc::EPERM) {
        return Err(direct);
    }
    // Not privileged: a user namespace gives the capability over a new network namespace.
    // SAFETY: as above.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // Without a mapping the process would run as `nobody`; map its own ids instead.
    match write_file(c"/proc/self/setgroups", b"deny") {
        Err(e) if e.raw_os_error() != Some(libc::ENOENT) => return Err(e),
        _ => {}
    }
    write_file(c"/proc/self/uid_map", &maps.uid)?;
    write_file(c"/proc/self/gid_map", &maps.gid)
}

#[cfg(target_os = "linux")]
fn write_file(path: &std::ffi::CStr, data: &[u8]) -> io::Result<()> {
    // SAFETY: `path` is NUL-terminated and `data` is a valid buffer.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let written = libc::write(fd, data.as_ptr().cast(), data.len());
        let result = if written == data.len() as isize {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        };
        libc::close(fd);
        result
    }
}

/// Whether this platform can isolate the network; `Err` names the cause. Probed once.
pub fn available() -> Result<(), String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    PROBE.get_or_init(probe).clone()
}

fn probe() -> Result<(), String> {
    if !cfg!(target_os = "linux") {
        return Err(format!(
            "network namespaces exist only on Linux, and this is {}",
            std::env::consts::OS
        ));
    }
    let mut command = Command::new("/bin/sh");
    command
        .args(["-c", ":"])
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    isolate(&mut command);
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!(
            "a probe in a new network namespace failed ({status})"
        )),
        Err(e) => Err(explain(&e)),
    }
}

fn explain(e: &io::Error) -> String {
    let why = match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => {
            "user namespaces are not permitted here (kernel.unprivileged_userns_clone = 0, \
             user.max_user_namespaces = 0, an AppArmor policy such as Ubuntu's \
             apparmor_restrict_unprivileged_userns, or a container's seccomp profile)"
        }
        Some(libc::ENOSPC) => {
            "a namespace limit is reached (sysctl user.max_net_namespaces or \
             user.max_user_namespaces)"
        }
        Some(libc::EINVAL) | Some(libc::ENOSYS) => {
            "the kernel lacks network or user namespace support"
        }
        _ => "the kernel refused to create a network namespace",
    };
    format!("cannot create a network namespace: {e}; {why}")
}

/// How one phase runs, given the policy's mode and whether isolation is possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Run(Applied),
    /// Deny is required but impossible: fail closed with this cause.
    Refuse(String),
}

pub fn decide(
    mode: crate::policy::acceptance::NetworkMode,
    available: Result<(), String>,
) -> Decision {
    use crate::policy::acceptance::NetworkMode;
    match (mode, available) {
        (NetworkMode::Allow, _) => Decision::Run(Applied::Allowed),
        (NetworkMode::Deny | NetworkMode::Auto, Ok(())) => Decision::Run(Applied::Denied),
        (NetworkMode::Auto, Err(_)) => Decision::Run(Applied::Unrestricted),
        (NetworkMode::Deny, Err(cause)) => Decision::Refuse(cause),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::acceptance::NetworkMode;

    #[test]
    fn decisions() {
        let no = || Err("no userns".to_string());
        assert_eq!(
            decide(NetworkMode::Allow, no()),
            Decision::Run(Applied::Allowed)
        );
        assert_eq!(
            decide(NetworkMode::Auto, Ok(())),
            Decision::Run(Applied::Denied)
        );
        assert_eq!(
            decide(NetworkMode::Auto, no()),
            Decision::Run(Applied::Unrestricted)
        );
        assert_eq!(
            decide(NetworkMode::Deny, no()),
            Decision::Refuse("no userns".into())
        );
    }
}
