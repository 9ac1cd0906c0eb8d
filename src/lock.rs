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

    /// The exclusive lock if nobody holds it now; `None` if somebody does.
    pub(crate) fn try_exclusive(path: &Path) -> std::io::Result<Option<Self>> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        loop {
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(Some(Self { _file: file })),
                Err(Errno::INTR) => {}
                Err(Errno::WOULDBLOCK) => return Ok(None),
                Err(error) => return Err(error.into()),
            }
        }
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

    #[test]
    fn try_exclusive_gives_way_to_a_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l");
        let held = Lock::try_exclusive(&path).unwrap();
        assert!(held.is_some());
        assert!(Lock::try_exclusive(&path).unwrap().is_none());
        drop(held);
        assert!(Lock::try_exclusive(&path).unwrap().is_some());
    }
}
