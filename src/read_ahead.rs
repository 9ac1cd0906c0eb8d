//! A byte budget between a thread that reads ahead and the one that consumes what it read:
//! the reader waits while more than the budget is waiting, so a pipeline over a large change
//! holds a bounded amount of it however far ahead the reader could get.

/// The bytes a reading thread may hold ahead of the thread that consumes them.
pub(crate) struct ReadAhead {
    /// Bytes waiting, and whether the consumer is gone.
    state: std::sync::Mutex<(usize, bool)>,
    room: std::sync::Condvar,
    limit: usize,
}

impl ReadAhead {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            state: std::sync::Mutex::new((0, false)),
            room: std::sync::Condvar::new(),
            limit,
        }
    }

    /// Waits until `size` more bytes fit (always, when none are waiting); false once the
    /// consumer is gone.
    pub(crate) fn take(&self, size: usize) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        while !state.1 && state.0 > 0 && state.0 + size > self.limit {
            state = match self.room.wait(state) {
                Ok(state) => state,
                Err(_) => return false,
            };
        }
        state.0 += size;
        !state.1
    }

    pub(crate) fn give(&self, size: usize) {
        if let Ok(mut state) = self.state.lock() {
            state.0 = state.0.saturating_sub(size);
        }
        self.room.notify_one();
    }

    /// Closes the budget when dropped: on the consumer's way out, by return or by panic, so
    /// a reader waiting for room never outlives it.
    pub(crate) fn closer(&self) -> Closer<'_> {
        Closer(self)
    }

    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.1 = true;
        }
        self.room.notify_one();
    }
}

pub(crate) struct Closer<'a>(&'a ReadAhead);

impl Drop for Closer<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[cfg(test)]
mod tests {
    use super::ReadAhead;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn a_reader_waits_for_room_and_one_file_larger_than_the_budget_still_passes() {
        let ahead = ReadAhead::new(10);
        // Nothing waiting: even a file over the budget goes.
        assert!(ahead.take(25));
        ahead.give(25);
        assert!(ahead.take(8));
        let taken = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                assert!(ahead.take(5));
                taken.store(true, Ordering::SeqCst);
            });
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(
                !taken.load(Ordering::SeqCst),
                "8 + 5 bytes exceed the budget of 10"
            );
            ahead.give(8);
        });
        assert!(taken.load(Ordering::SeqCst));
    }

    #[test]
    fn a_consumer_that_panics_releases_a_waiting_reader() {
        let (done, finished) = std::sync::mpsc::channel();
        // The scope joins the reader: without the closer it would wait forever.
        std::thread::spawn(move || {
            let ahead = ReadAhead::new(10);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                std::thread::scope(|scope| {
                    let _closer = ahead.closer();
                    assert!(ahead.take(10));
                    scope.spawn(|| ahead.take(1));
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    panic!("a bug in the consumer");
                })
            }));
            let _ = done.send(result.is_err());
        });
        let panicked = finished
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the reader was left waiting");
        assert!(panicked);
    }

    #[test]
    fn a_closed_budget_releases_a_waiting_reader() {
        let ahead = ReadAhead::new(10);
        assert!(ahead.take(10));
        std::thread::scope(|scope| {
            let reader = scope.spawn(|| ahead.take(1));
            std::thread::sleep(std::time::Duration::from_millis(20));
            ahead.close();
            assert!(!reader.join().unwrap());
        });
        assert!(!ahead.take(1));
    }
}
