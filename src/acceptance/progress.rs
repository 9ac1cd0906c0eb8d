//! A run's progress as events, for whoever shows it: the acceptance layer never prints.

use super::{AcceptanceRun, Phase};
use std::fmt;
use std::sync::Arc;

/// One step of a run, reported from the thread that runs the commands.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A command starts: the `number`th of at most `total` this run may start.
    Started {
        number: usize,
        total: usize,
        phase: Phase,
        command: &'a str,
    },
    /// The running command printed `line`, its last complete line that is not blank.
    Output { line: &'a str },
    /// The running command ended; `run` says how and how long it took.
    Finished { run: &'a AcceptanceRun },
    /// The running command was cut off (interrupted, or it could not start): the run ends with
    /// an error instead.
    Abandoned,
}

/// What receives a run's events.
pub trait Progress {
    fn event(&self, event: &Event<'_>);
}

/// A receiver that requests can carry across threads.
pub(crate) type ProgressSink = Arc<dyn Progress + Send + Sync>;

impl fmt::Debug for dyn Progress + Send + Sync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress")
    }
}

/// Numbers the commands of one run as they start and passes the events on, if anyone listens.
pub(super) struct Reporter<'a> {
    sink: Option<&'a dyn Progress>,
    total: usize,
    started: usize,
}

impl<'a> Reporter<'a> {
    pub(super) fn new(sink: Option<&'a dyn Progress>, total: usize) -> Self {
        Self {
            sink,
            total,
            started: 0,
        }
    }

    pub(super) fn started(&mut self, phase: Phase, command: &str) {
        self.started += 1;
        self.send(&Event::Started {
            number: self.started,
            total: self.total,
            phase,
            command,
        });
    }

    pub(super) fn output(&self, line: &str) {
        self.send(&Event::Output { line });
    }

    pub(super) fn finished(&self, run: &AcceptanceRun) {
        self.send(&Event::Finished { run });
    }

    pub(super) fn abandoned(&self) {
        self.send(&Event::Abandoned);
    }

    /// Whether anyone listens: output lines are looked for only then.
    pub(super) fn listening(&self) -> bool {
        self.sink.is_some()
    }

    fn send(&self, event: &Event<'_>) {
        if let Some(sink) = self.sink {
            sink.event(event);
        }
    }
}
