//! Output capture: stdout and stderr share one pipe, so the kept text interleaves them as a
//! terminal would. A reader thread hashes the whole stream and keeps only its head and tail,
//! so memory stays bounded however much a command prints.

use super::inventory::{self, Inventory};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

const CHUNK: usize = 64 * 1024;
/// Bytes of a line kept for progress: its start is what a person reads.
const LINE_MAX: usize = 512;

/// What was kept of one command's output.
#[derive(Debug, Clone, Default)]
pub(super) struct Captured {
    /// Head and tail, the elided middle replaced by a marker line.
    pub text: String,
    pub bytes: u64,
    pub sha256: String,
    pub truncated: bool,
    /// False when the stream could not be read to its end (a process outside the command's
    /// group kept it open); `sha256` then covers only what was read.
    pub complete: bool,
    /// The tests the runner reported, read from every line of the stream.
    pub tests: Inventory,
}

/// A pipe whose read end stays with us and whose write end goes to the child; both ends are
/// close-on-exec, so no other child inherits them.
pub(super) fn pipe() -> io::Result<(File, OwnedFd)> {
    let (read, write) = io::pipe()?;
    Ok((File::from(OwnedFd::from(read)), OwnedFd::from(write)))
}

/// Head and tail of a stream, plus its hash and length.
pub(super) struct Accumulator {
    head_limit: usize,
    tail_limit: usize,
    head: Vec<u8>,
    /// Grows to twice the limit between trims, so appends stay plain copies.
    tail: Vec<u8>,
    bytes: u64,
    hasher: Sha256,
    /// Whether to keep the last line (for progress, when someone watches).
    lines: bool,
    /// The line being printed, up to `LINE_MAX` bytes.
    partial: Vec<u8>,
    /// The last complete line that is not blank, and how often it changed.
    last_line: String,
    lines_seen: u64,
    /// Reads the runner's summary lines from the whole stream.
    tests: inventory::Parser,
}

impl Accumulator {
    pub(super) fn new(limit: u64) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        // Failures show at the end: most of the budget goes to the tail.
        let head_limit = limit / 4;
        Self {
            head_limit,
            tail_limit: limit - head_limit,
            head: Vec::new(),
            tail: Vec::new(),
            bytes: 0,
            hasher: Sha256::new(),
            lines: false,
            partial: Vec::new(),
            last_line: String::new(),
            lines_seen: 0,
            tests: inventory::Parser::new(),
        }
    }

    /// Also keeps the last line printed.
    pub(super) fn with_lines(self) -> Self {
        Self {
            lines: true,
            ..self
        }
    }

    pub(super) fn push(&mut self, mut data: &[u8]) {
        self.hasher.update(data);
        self.bytes += data.len() as u64;
        self.tests.push(data);
        if self.lines {
            self.note_lines(data);
        }
        if self.head.len() < self.head_limit {
            let take = data.len().min(self.head_limit - self.head.len());
            self.head.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        if data.len() >= self.tail_limit {
            self.tail.clear();
            self.tail
                .extend_from_slice(&data[data.len() - self.tail_limit..]);
        } else {
            self.tail.extend_from_slice(data);
            if self.tail.len() > self.tail_limit.saturating_mul(2) {
                let cut = self.tail.len() - self.tail_limit;
                self.tail.drain(..cut);
            }
        }
    }

    /// Keeps the last complete line of `data` that is not blank (looking back no further than
    /// needed), and the start of the line it leaves unfinished.
    fn note_lines(&mut self, data: &[u8]) {
        let Some(last_newline) = memchr::memrchr(b'\n', data) else {
            self.extend_partial(data);
            return;
        };
        let mut end = last_newline;
        loop {
            let start = memchr::memrchr(b'\n', &data[..end]).map_or(0, |i| i + 1);
            let line = &data[start..end];
            // The first line of the chunk began in an earlier one.
            let first = start == 0;
            let blank = line.iter().all(u8::is_ascii_whitespace)
                && (!first || self.partial.iter().all(u8::is_ascii_whitespace));
            if !blank {
                let mut text = if first {
                    std::mem::take(&mut self.partial)
                } else {
                    Vec::new()
                };
                text.extend_from_slice(
                    &line[..line.len().min(LINE_MAX.saturating_sub(text.len()))],
                );
                self.last_line = String::from_utf8_lossy(&text).trim_end().to_string();
                self.lines_seen += 1;
                break;
            }
            if first {
                break;
            }
            end = start - 1;
        }
        self.partial.clear();
        self.extend_partial(&data[last_newline + 1..]);
    }

    fn extend_partial(&mut self, data: &[u8]) {
        let room = LINE_MAX.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&data[..data.len().min(room)]);
    }

    pub(super) fn snapshot(&self, complete: bool) -> Captured {
        let tail = &self.tail[self.tail.len().saturating_sub(self.tail_limit)..];
        let kept = (self.head.len() + tail.len()) as u64;
        let elided = self.bytes - kept;
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if elided > 0 {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!("[… {elided} bytes elided …]\n"));
        }
        text.push_str(&String::from_utf8_lossy(tail));
        Captured {
            text,
            bytes: self.bytes,
            sha256: hex(&self.hasher.clone().finalize()),
            truncated: elided > 0,
            complete,
            tests: Inventory::unknown(),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A running reader thread.
pub(super) struct Reader {
    state: Arc<Mutex<Accumulator>>,
    done: mpsc::Receiver<()>,
    thread: thread::JoinHandle<()>,
}

/// Reads `source` to its end on a thread of its own; with `lines`, it also keeps the last line.
pub(super) fn spawn_reader(
    mut source: impl Read + Send + 'static,
    limit: u64,
    lines: bool,
) -> io::Result<Reader> {
    let accumulator = Accumulator::new(limit);
    let accumulator = if lines {
        accumulator.with_lines()
    } else {
        accumulator
    };
    let state = Arc::new(Mutex::new(accumulator));
    let (tx, done) = mpsc::channel();
    let shared = Arc::clone(&state);
    let thread = thread::Builder::new()
        .name("acceptance-output".into())
        .spawn(move || {
            let mut buf = vec![0u8; CHUNK];
            loop {
                match source.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => shared
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = tx.send(());
        })?;
    Ok(Reader {
        state,
        done,
        thread,
    })
}

impl Reader {
    /// The last complete line printed that is not blank, if it changed since `seen` last
    /// was updated.
    pub(super) fn last_line(&self, seen: &mut u64) -> Option<String> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.lines_seen == *seen {
            return None;
        }
        *seen = state.lines_seen;
        Some(state.last_line.clone())
    }

    /// Waits up to `grace` for the end of the stream, then takes what was read.
    pub(super) fn finish(self, grace: Duration) -> Captured {
        let complete = match self.done.recv_timeout(grace) {
            Ok(()) => true,
            // Still blocked on a pipe an escaped process holds open: it is left behind.
            Err(mpsc::RecvTimeoutError::Timeout) => false,
            // Gone without saying it was done: it panicked, and its panic is ours.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                if let Err(panic) = self.thread.join() {
                    std::panic::resume_unwind(panic);
                }
                false
            }
        };
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let tests = std::mem::take(&mut state.tests).finish();
        Captured {
            tests,
            ..state.snapshot(complete)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_that_panicked_is_not_taken_for_a_short_output() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                panic!("reader failed")
            }
        }
        let reader = spawn_reader(Failing, 64, false).unwrap();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            reader.finish(Duration::from_secs(10))
        }));
        let panic = caught.expect_err("the reader's panic reaches the caller");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"reader failed"));
    }

    fn run(limit: u64, chunks: &[&[u8]]) -> Captured {
        let mut acc = Accumulator::new(limit);
        for chunk in chunks {
            acc.push(chunk);
        }
        acc.snapshot(true)
    }

    #[test]
    fn short_output_is_kept_whole() {
        let c = run(100, &[b"hello ", b"world\n"]);
        assert_eq!(c.text, "hello world\n");
        assert!(!c.truncated);
        assert_eq!(c.bytes, 12);
        assert_eq!(
            c.sha256,
            hex(&Sha256::digest(b"hello world\n")),
            "hash of the whole stream"
        );
    }

    #[test]
    fn long_output_keeps_head_and_tail() {
        let data: Vec<u8> = (0..1000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let mut acc = Accumulator::new(40);
        for chunk in data.chunks(7) {
            acc.push(chunk);
        }
        let c = acc.snapshot(true);
        assert!(c.truncated);
        assert_eq!(c.bytes, 1000);
        assert!(c
            .text
            .starts_with(std::str::from_utf8(&data[..10]).unwrap()));
        assert!(c.text.ends_with(std::str::from_utf8(&data[970..]).unwrap()));
        assert!(c.text.contains("[… 960 bytes elided …]"));
        assert_eq!(c.sha256, hex(&Sha256::digest(&data)));
    }

    #[test]
    fn one_huge_chunk() {
        let data = vec![b'x'; 10_000];
        let c = run(8, &[&data]);
        assert_eq!(c.text, "xx\n[… 9992 bytes elided …]\nxxxxxx");
    }

    fn last_line(chunks: &[&[u8]]) -> (String, u64) {
        let mut acc = Accumulator::new(0).with_lines();
        for chunk in chunks {
            acc.push(chunk);
        }
        (acc.last_line, acc.lines_seen)
    }

    #[test]
    fn last_line_is_the_last_complete_one_that_is_not_blank() {
        assert_eq!(last_line(&[b"one\ntwo\nthr"]), ("two".to_string(), 1));
        assert_eq!(last_line(&[b"one\ntw", b"o\r\n\n  \nthree"]).0, "two");
        assert_eq!(last_line(&[b"a\n", b"\n", b"\n"]), ("a".to_string(), 1));
        assert_eq!(last_line(&[b"no newline yet"]), (String::new(), 0));
        let long = vec![b'x'; 3 * LINE_MAX];
        assert_eq!(last_line(&[&long, b"\n"]).0.len(), LINE_MAX);
        assert_eq!(
            last_line(&[b"x\n", &long[..LINE_MAX - 1], b"yz\n"]).0.len(),
            LINE_MAX
        );
    }

    #[test]
    fn zero_limit_keeps_nothing() {
        let c = run(0, &[b"abc"]);
        assert_eq!(c.bytes, 3);
        assert!(c.truncated);
        assert_eq!(c.text, "[… 3 bytes elided …]\n");
    }
}
