//! An advisory lock (`flock`) on a file of its own: the ledger's appends and rotation, and
//! the read-modify-write of notes refs, each serialise on one.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::Path;

/// Held until dropped (closing the file releases the lock).
pub struct Lock {
    _file: File,
}

impl Lock {
    pub fn exclusive(path: &Path) -> std::io::Result<Self> {
        Self::take(path, libc::LOCK_EX)
    }

    pub fn shared(path: &Path) -> std::io::Result<Self> {
        Self::take(path, libc::LOCK_SH)
    }

    fn take(path: &Path, operation: libc::c_int) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        loop {
            // SAFETY: the descriptor is open and owned by `file` for the whole call.
            if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
                return Ok(Self { _file: file });
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(error);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::Lock;
    use std::os::fd::AsRawFd;

    #[test]
    fn exclusive_lock_excludes_others_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        let held = Lock::exclusive(&path).unwrap();
        let other = std::fs::File::open(&path).unwrap();
        let try_lock = || unsafe { libc::flock(other.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        assert_ne!(try_lock(), 0);
        drop(held);
        assert_eq!(try_lock(), 0);
    }
}
