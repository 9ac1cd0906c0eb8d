//! The filesystem sandbox (Landlock): a command may read anything it needs but write only
//! inside its checkout, its private temporary directory, the `[acceptance] writable` paths and
//! the terminal-like devices under `/dev`. The rules are built before fork; the child makes only
//! the two system calls that enforce them. On macOS the same limits are part of the Seatbelt
//! profile (`seatbelt`); elsewhere writes cannot be restricted.

#[cfg(target_os = "linux")]
use landlock::{
    path_beneath_rules, AccessFs, CompatLevel, Compatible, Ruleset, RulesetAttr,
    RulesetCreatedAttr, ABI,
};
#[cfg(target_os = "linux")]
use std::io;
#[cfg(target_os = "linux")]
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
#[cfg(target_os = "linux")]
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
#[cfg(target_os = "linux")]
use std::process::Command;
#[cfg(target_os = "linux")]
use std::sync::Arc;
use std::sync::OnceLock;

/// Every write right Landlock knows, up to the newest ABI this crate speaks.
#[cfg(target_os = "linux")]
const NEWEST: ABI = ABI::V5;
/// Below this ABI (Linux 6.2) truncating a file is not a right Landlock can withhold.
#[cfg(target_os = "linux")]
const OLDEST_ENOUGH: i64 = 3;
#[cfg(target_os = "linux")]
const DEVICES: [&str; 7] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
];

/// What the runs of one check actually got, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    /// Writes limited to the checkout, the private temporary directory and `writable`.
    Restricted,
    /// `filesystem = "allow"`.
    Allowed,
    /// Restriction was wanted (`auto`) but the kernel cannot enforce it.
    Unrestricted,
}

impl Applied {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Applied::Restricted => "restricted",
            Applied::Allowed => "allowed",
            Applied::Unrestricted => "unrestricted",
        }
    }
}

/// A prepared ruleset, shared by every command of a check.
#[cfg(target_os = "linux")]
#[derive(Debug, Clone)]
pub(crate) struct WriteRules {
    fd: Arc<OwnedFd>,
}

/// Elsewhere the rules are the writable paths, for a sandbox that takes paths (Seatbelt).
#[cfg(not(target_os = "linux"))]
#[derive(Debug, Clone)]
pub(crate) struct WriteRules {
    paths: Vec<PathBuf>,
}

#[cfg(not(target_os = "linux"))]
impl WriteRules {
    pub(crate) fn new(writable: &[PathBuf]) -> Result<Self, String> {
        Ok(Self {
            paths: writable.to_vec(),
        })
    }

    #[cfg_attr(not(target_os = "macos"), allow(dead_code))]
    pub(crate) fn paths(&self) -> &[PathBuf] {
        &self.paths
    }
}

#[cfg(target_os = "linux")]
impl WriteRules {
    /// Only `writable` (and `/dev`'s device files) may be written below.
    pub(crate) fn new(writable: &[PathBuf]) -> Result<Self, String> {
        let write = AccessFs::from_write(NEWEST);
        let created = Ruleset::default()
            .set_compatibility(CompatLevel::BestEffort)
            .handle_access(write)
            .and_then(|r| r.create())
            .and_then(|r| r.add_rules(path_beneath_rules(writable, write)))
            // Writing these devices stores nothing; /dev/shm and the rest of /dev stay closed.
            .and_then(|r| {
                r.add_rules(path_beneath_rules(
                    DEVICES.iter().filter(|d| std::path::Path::new(d).exists()),
                    AccessFs::WriteFile | AccessFs::Truncate,
                ))
            })
            .map_err(|e| format!("cannot prepare the filesystem sandbox: {e}"))?;
        let fd: Option<OwnedFd> = created.into();
        let fd = fd.ok_or("the kernel does not enforce Landlock rules")?;
        Ok(Self { fd: Arc::new(fd) })
    }

    pub(crate) fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// In the child, after fork and before exec: no new privileges, then the rules. Both are
/// plain system calls (async-signal-safe).
#[cfg(target_os = "linux")]
pub(crate) fn restrict_self(fd: RawFd) -> io::Result<()> {
    rustix::thread::set_no_new_privs(true)?;
    // SAFETY: a system call with integer arguments; `fd` is open in this process. (Neither
    // rustix nor the landlock crate enforces a ruleset given by its descriptor.)
    if unsafe { libc::syscall(libc::SYS_landlock_restrict_self, fd, 0u32) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Restricts `command` where there is no namespace sandbox to do it in.
#[cfg(target_os = "linux")]
pub(crate) fn restrict(command: &mut Command, rules: &WriteRules) {
    let fd = rules.raw_fd();
    // SAFETY: `restrict_self` makes only async-signal-safe calls.
    unsafe {
        command.pre_exec(move || restrict_self(fd));
    }
}

/// Whether the kernel enforces Landlock; `Err` names the cause. Probed once.
pub(crate) fn available() -> Result<(), String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    PROBE.get_or_init(probe).clone()
}

/// Without Landlock, writes are restricted by Seatbelt on macOS, and nowhere else.
#[cfg(not(target_os = "linux"))]
fn probe() -> Result<(), String> {
    super::seatbelt::available().unwrap_or_else(|| {
        Err(format!(
            "writes can be restricted on Linux (Landlock) and macOS (sandbox-exec), and this \
             is {}",
            std::env::consts::OS
        ))
    })
}

#[cfg(target_os = "linux")]
fn probe() -> Result<(), String> {
    // SAFETY: the documented version query: null attributes, size 0.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32, // LANDLOCK_CREATE_RULESET_VERSION
        )
    };
    if abi >= OLDEST_ENOUGH {
        return Ok(());
    }
    if abi >= 1 {
        return Err(format!(
            "this kernel's Landlock (ABI {abi}) cannot stop a command from truncating files; \
             restricting writes needs ABI {OLDEST_ENOUGH} (Linux 6.2 or later)"
        ));
    }
    let e = io::Error::last_os_error();
    Err(match e.raw_os_error() {
        Some(libc::ENOSYS) => "the kernel has no Landlock support (Linux 5.13 or later, built with CONFIG_SECURITY_LANDLOCK)".to_string(),
        Some(libc::EOPNOTSUPP) => "Landlock is built in but not enabled (add `landlock` to the kernel's lsm= boot parameter)".to_string(),
        _ => format!("Landlock is not available: {e}"),
    })
}

/// How the runs go, given the policy's mode and whether the kernel can restrict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Run(Applied),
    /// Restriction is required but impossible: fail closed with this cause.
    Refuse(String),
}

pub(crate) fn decide(
    mode: crate::policy::acceptance::FilesystemMode,
    available: Result<(), String>,
) -> Decision {
    use crate::policy::acceptance::FilesystemMode;
    match (mode, available) {
        (FilesystemMode::Allow, _) => Decision::Run(Applied::Allowed),
        (FilesystemMode::Restrict | FilesystemMode::Auto, Ok(())) => {
            Decision::Run(Applied::Restricted)
        }
        (FilesystemMode::Auto, Err(_)) => Decision::Run(Applied::Unrestricted),
        (FilesystemMode::Restrict, Err(cause)) => Decision::Refuse(cause),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::acceptance::FilesystemMode;

    #[test]
    fn decisions() {
        let no = || Err("no landlock".to_string());
        assert_eq!(
            decide(FilesystemMode::Allow, no()),
            Decision::Run(Applied::Allowed)
        );
        assert_eq!(
            decide(FilesystemMode::Auto, Ok(())),
            Decision::Run(Applied::Restricted)
        );
        assert_eq!(
            decide(FilesystemMode::Auto, no()),
            Decision::Run(Applied::Unrestricted)
        );
        assert_eq!(
            decide(FilesystemMode::Restrict, no()),
            Decision::Refuse("no landlock".into())
        );
    }
}
