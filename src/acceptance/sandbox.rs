//! The sandbox a command runs in, where the platform allows: a new user namespace (also
//! for root, so no capability over the host's namespaces remains), a mount namespace in which
//! the user's repository (work tree and git directory) is read-only, and, when the network
//! is denied, a new, empty network namespace (only a loopback interface that is down), so
//! neither the internet nor the host's loopback servers are reachable.

#[cfg(target_os = "linux")]
use rustix::mount::{MountFlags, MountPropagationFlags};
#[cfg(target_os = "linux")]
use std::ffi::CStr;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The isolation a run actually got, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Applied {
    Denied,
    Allowed,
    /// Deny was wanted (`auto`) but the platform could not isolate.
    Unrestricted,
}

impl Applied {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Applied::Denied => "denied",
            Applied::Allowed => "allowed",
            Applied::Unrestricted => "unrestricted",
        }
    }
}

/// What a sandboxed command may not write, prepared before fork: the child may only make
/// async-signal-safe calls.
#[derive(Debug, Clone, Default)]
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(super) struct Mounts {
    /// Bound over itself first, so it stays writable inside a read-only repository.
    writable: Option<CString>,
    /// Each made read-only, with the flags its mount already has (a user namespace may not
    /// drop `nosuid`, `nodev`, ... from a mount it inherited).
    read_only: Vec<(CString, Locked)>,
}

/// The flags of a mount that a remount must keep.
#[cfg(target_os = "linux")]
type Locked = MountFlags;
#[cfg(not(target_os = "linux"))]
type Locked = ();

impl Mounts {
    /// Protects `paths` (the user's work tree and git directories), leaving `checkout`
    /// writable where it lies inside one of them.
    pub(super) fn protecting(paths: &[&Path], checkout: &Path) -> Self {
        // A path that cannot be canonicalized is still protected as given.
        let mut roots: Vec<PathBuf> = paths
            .iter()
            .map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()))
            .collect();
        roots.sort();
        roots.dedup();
        let outermost: Vec<PathBuf> = roots
            .iter()
            .filter(|p| !roots.iter().any(|q| q != *p && p.starts_with(q)))
            .cloned()
            .collect();
        let checkout = checkout
            .canonicalize()
            .unwrap_or_else(|_| checkout.to_path_buf());
        Self {
            writable: outermost
                .iter()
                .any(|root| checkout.starts_with(root))
                .then(|| c_path(&checkout))
                .flatten(),
            read_only: outermost
                .iter()
                .filter_map(|p| Some((c_path(p)?, locked_flags(p))))
                .collect(),
        }
    }

    /// The protected paths, for a sandbox that takes paths rather than mounts (Seatbelt).
    #[cfg(target_os = "macos")]
    pub(crate) fn protected(&self) -> impl Iterator<Item = &Path> {
        self.read_only
            .iter()
            .map(|(c, _)| Path::new(std::ffi::OsStr::from_bytes(c.as_bytes())))
    }
}

fn c_path(path: &Path) -> Option<CString> {
    CString::new(path.as_os_str().as_bytes()).ok()
}

/// The flags of the mount holding `path` that a remount must keep.
#[cfg(target_os = "linux")]
fn locked_flags(path: &Path) -> Locked {
    use rustix::fs::StatVfsMountFlags as St;
    let Ok(stat) = rustix::fs::statvfs(path) else {
        return MountFlags::empty();
    };
    let pairs = [
        (St::NOSUID, MountFlags::NOSUID),
        (St::NODEV, MountFlags::NODEV),
        (St::NOEXEC, MountFlags::NOEXEC),
        (St::NOATIME, MountFlags::NOATIME),
        (St::NODIRATIME, MountFlags::NODIRATIME),
        (St::RELATIME, MountFlags::RELATIME),
    ];
    pairs
        .iter()
        .filter(|(st, _)| stat.f_flag.contains(*st))
        .fold(MountFlags::empty(), |flags, (_, ms)| flags | *ms)
}

#[cfg(not(target_os = "linux"))]
fn locked_flags(_: &Path) -> Locked {}

/// `uid_map`/`gid_map` lines, formatted before fork.
#[cfg(target_os = "linux")]
#[derive(Debug, Clone)]
struct Maps {
    uid: Vec<u8>,
    gid: Vec<u8>,
}

#[cfg(target_os = "linux")]
impl Maps {
    fn current() -> Self {
        let uid = rustix::process::getuid().as_raw();
        let gid = rustix::process::getgid().as_raw();
        Self {
            uid: format!("{uid} {uid} 1\n").into_bytes(),
            gid: format!("{gid} {gid} 1\n").into_bytes(),
        }
    }
}

/// Makes `command` run in the sandbox; without `network` it keeps the host's network.
#[cfg(target_os = "linux")]
pub(super) fn sandbox(
    command: &mut Command,
    network: bool,
    mounts: &Mounts,
    write_rules: Option<std::os::fd::RawFd>,
) {
    let maps = Maps::current();
    let mounts = mounts.clone();
    // SAFETY: `enter` and `restrict_self` make only async-signal-safe calls (unshare, open,
    // write, close, mount, mount_setattr, fork, prctl, landlock_restrict_self) on data
    // prepared before fork, through rustix's raw system calls or libc's.
    unsafe {
        command.pre_exec(move || {
            enter(&maps, network, &mounts)?;
            // Last: a Landlock-restricted process may not mount anything.
            match write_rules {
                Some(fd) => super::filesystem::restrict_self(fd),
                None => Ok(()),
            }
        });
    }
}

/// Elsewhere there are no namespaces: a command that needs them must not start.
#[cfg(not(target_os = "linux"))]
pub(crate) fn sandbox(
    command: &mut Command,
    _network: bool,
    _mounts: &Mounts,
    _write_rules: Option<std::os::fd::RawFd>,
) {
    // SAFETY: returning an error is async-signal-safe.
    unsafe {
        command.pre_exec(|| Err(io::Error::from(io::ErrorKind::Unsupported)));
    }
}

#[cfg(target_os = "linux")]
fn enter(maps: &Maps, network: bool, mounts: &Mounts) -> io::Result<()> {
    use rustix::thread::UnshareFlags;
    let mut flags = UnshareFlags::NEWUSER | UnshareFlags::NEWNS;
    if network {
        flags |= UnshareFlags::NEWNET;
    }
    unshare(flags)?;
    // Map the process's own ids (root stays root, but only inside the new namespace).
    maps.write()?;
    // Nothing mounted here may propagate back to the host.
    rustix::mount::mount_change(
        c"/",
        MountPropagationFlags::REC | MountPropagationFlags::PRIVATE,
    )?;
    for (path, locked) in &mounts.read_only {
        rustix::mount::mount_bind_recursive(path.as_c_str(), path.as_c_str())?;
        set_read_only(path, true, *locked)?;
    }
    if let Some(path) = &mounts.writable {
        rustix::mount::mount_bind_recursive(path.as_c_str(), path.as_c_str())?;
        set_read_only(path, false, MountFlags::empty())?;
    }
    // Lock the mounts: copied into a namespace of a new user namespace, they can no longer be
    // unmounted or made writable, even by root inside it. The new PID namespace makes the
    // command's shell an init whose end ends every process it left behind, `setsid` or not.
    unshare(UnshareFlags::NEWUSER | UnshareFlags::NEWNS | UnshareFlags::NEWPID)?;
    maps.write()?;
    // SAFETY: fork is async-signal-safe; this process has a single thread. (rustix offers
    // fork only to runtimes.)
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid > 0 {
        stand_in_for(pid);
    }
    // A /proc of the new PID namespace: the host's processes are not the command's business.
    let _ = rustix::mount::mount(
        c"proc",
        c"/proc",
        c"proc",
        MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        None,
    );
    Ok(())
}

/// The process the caller spawned, now the parent of the namespace's init: it holds nothing
/// open, waits for the init, and ends the way the init ended.
#[cfg(target_os = "linux")]
fn stand_in_for(init: libc::pid_t) -> ! {
    use rustix::process::{waitpid, Pid, WaitOptions};
    // Release the spawn pipes and the output pipe, so the caller sees the exec and EOF.
    // SAFETY: plain system calls; no descriptor is used again in this process. (rustix has no
    // close_range.)
    unsafe {
        if libc::syscall(libc::SYS_close_range, 0u32, u32::MAX, 0u32) != 0 {
            for fd in 0..1024 {
                libc::close(fd);
            }
        }
    }
    let Some(init) = Pid::from_raw(init) else {
        exit(127)
    };
    let status = loop {
        match waitpid(Some(init), WaitOptions::empty()) {
            Ok(Some((_, status))) => break status,
            Ok(None) | Err(rustix::io::Errno::INTR) => {}
            Err(_) => exit(127),
        }
    };
    if let Some(signal) = status.terminating_signal() {
        // End the same way. SAFETY: plain system calls with integer arguments. (rustix raises
        // only the signals it names.)
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::kill(libc::getpid(), signal);
        }
        exit(128 + signal);
    }
    exit(status.exit_status().unwrap_or(127))
}

/// Ends a forked child at once: no exit handlers, no unwinding, nothing of the parent's.
#[cfg(target_os = "linux")]
fn exit(code: i32) -> ! {
    // SAFETY: `_exit` is async-signal-safe and runs nothing of this process's.
    unsafe { libc::_exit(code) }
}

#[cfg(target_os = "linux")]
impl Maps {
    fn write(&self) -> io::Result<()> {
        match write_file(c"/proc/self/setgroups", b"deny") {
            Err(e) if e.raw_os_error() != Some(libc::ENOENT) => return Err(e),
            _ => {}
        }
        write_file(c"/proc/self/uid_map", &self.uid)?;
        write_file(c"/proc/self/gid_map", &self.gid)
    }
}

#[cfg(target_os = "linux")]
fn unshare(flags: rustix::thread::UnshareFlags) -> io::Result<()> {
    // SAFETY: the descriptor table (`FILES`) is never unshared, which is what could leave
    // another thread with descriptors it cannot use; this process has a single thread anyway.
    Ok(unsafe { rustix::thread::unshare_unsafe(flags) }?)
}

/// `struct mount_attr` of mount_setattr(2).
#[cfg(target_os = "linux")]
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

#[cfg(target_os = "linux")]
const MOUNT_ATTR_RDONLY: u64 = 0x1;

/// Makes the mount at `path` and every mount below it read-only (or writable again).
/// Kernels before 5.12 lack mount_setattr: there the top mount alone is remounted.
#[cfg(target_os = "linux")]
fn set_read_only(path: &CStr, read_only: bool, locked: Locked) -> io::Result<()> {
    let attr = MountAttr {
        attr_set: if read_only { MOUNT_ATTR_RDONLY } else { 0 },
        attr_clr: if read_only { 0 } else { MOUNT_ATTR_RDONLY },
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: `path` is NUL-terminated and `attr` lives across the call. (rustix has no
    // mount_setattr.)
    let done = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            path.as_ptr(),
            libc::AT_RECURSIVE as libc::c_uint,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if done == 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    if error.raw_os_error() != Some(libc::ENOSYS) {
        return Err(error);
    }
    let rdonly = if read_only {
        MountFlags::RDONLY
    } else {
        MountFlags::empty()
    };
    // A bind remount reads no options.
    Ok(rustix::mount::mount_remount(
        path,
        MountFlags::BIND | rdonly | locked,
        c"",
    )?)
}

#[cfg(target_os = "linux")]
fn write_file(path: &CStr, data: &[u8]) -> io::Result<()> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(path, OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())?;
    if rustix::io::write(&fd, data)? != data.len() {
        return Err(io::ErrorKind::WriteZero.into());
    }
    Ok(())
}

/// Whether this platform can sandbox commands (and so isolate the network); `Err` names the
/// cause. Probed once.
pub(crate) fn available() -> Result<(), String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    PROBE.get_or_init(probe).clone()
}

fn probe() -> Result<(), String> {
    // macOS has no namespaces; its sandbox (Seatbelt) isolates the network instead.
    if let Some(seatbelt) = super::seatbelt::available() {
        return seatbelt;
    }
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
    sandbox(&mut command, true, &Mounts::default(), None);
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
pub(super) enum Decision {
    Run(Applied),
    /// Deny is required but impossible: fail closed with this cause.
    Refuse(String),
}

pub(super) fn decide(
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
