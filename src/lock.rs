//! An advisory lock (`flock`) on a file of its own: the ledger's appends and rotation, and
//! the read-modify-write of notes refs, each serialise on one.

use rustix::fs::{flock, FlockOperation};
use rustix::io::Errno;
use std::fs::{File, OpenOptions};
use std::path::Path;

/// Held until dropped (closing the file releases the lock).
pub(crate) struct Lock {
    _file: File,
}

impl Lock {
    pub(crate) fn exclusive(path: &Path) -> std::io::Result<Self> {
        Self::take(path, FlockOperation::LockExclusive)
    }

    pub(crate) fn shared(path: &Path) -> std::io::Result<Self> {
        Self::take(path, FlockOperation::LockShared)
    }

    fn take(path: &Path, operation: FlockOperation) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        loop {
            match flock(&file, operation) {
                Ok(()) => return Ok(Self { _file: file }),
                Err(Errno::INTR) => {}
                Err(error) => return Err(error.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::Lock;
    use rustix::fs::{flock, FlockOperation};

    #[test]
    fn exclusive_lock_excludes_others_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        let held = Lock::exclusive(&path).unwrap();
        let other = std::fs::File::open(&path).unwrap();
        let try_lock = || flock(&other, FlockOperation::NonBlockingLockExclusive);
        assert!(try_lock().is_err());
        drop(held);
        assert!(try_lock().is_ok());
    }
}
