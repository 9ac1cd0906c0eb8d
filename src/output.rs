//! The only place that writes to the terminal.

use crate::acceptance::progress::{Event, Progress, ProgressSink};
use crate::cli::ColorChoice;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How much the human output says: `-q` only what blocks, `-v` the task's layers and commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write to standard output: {0}")]
pub(crate) struct WriteError(std::io::Error);

pub(crate) struct Output {
    pub color: bool,
    pub progress: bool,
    pub verbosity: Verbosity,
}

impl Output {
    pub(crate) fn new(choice: ColorChoice, verbosity: Verbosity) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stdout().is_terminal(),
        };
        Self {
            color,
            progress: std::io::stderr().is_terminal(),
            verbosity,
        }
    }

    /// Writes the report to stdout. A closed pipe (`| head`) is the reader's choice; any
    /// other failure (a full disk) is an error, so a report is never lost quietly.
    pub(crate) fn stdout(&self, text: &str) -> Result<(), WriteError> {
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(WriteError(e)),
            _ => Ok(()),
        }
    }

    /// Writes a message to stderr. If stderr itself fails there is nowhere left to say so.
    pub(crate) fn stderr(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }

    /// What shows the progress of acceptance runs: a spinner when stderr is a terminal.
    pub(crate) fn progress_sink(&self) -> Option<ProgressSink> {
        self.progress
            .then(|| Arc::new(Spinner::default()) as ProgressSink)
    }
}

/// One spinner line on stderr per acceptance command: the command, the time it has run and
/// the last line it printed; when it ends, a line saying how.
#[derive(Default)]
struct Spinner {
    /// The running command's bar and its prefix.
    current: Mutex<Option<(ProgressBar, String)>>,
}

impl Progress for Spinner {
    fn event(&self, event: &Event<'_>) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        match *event {
            Event::Started {
                number,
                total,
                phase,
                command,
            } => {
                if let Some((bar, _)) = current.take() {
                    bar.finish_and_clear();
                }
                let style = ProgressStyle::with_template(
                    "{spinner} {prefix} {elapsed:.dim} {wide_msg:.dim}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
                let bar = ProgressBar::new_spinner().with_style(style);
                let prefix = format!("[{number}/{total}] {}: {}", phase.as_str(), short(command));
                bar.set_prefix(prefix.clone());
                bar.enable_steady_tick(Duration::from_millis(100));
                *current = Some((bar, prefix));
            }
            Event::Output { line } => {
                if let Some((bar, _)) = &*current {
                    bar.set_message(printable(line));
                }
            }
            Event::Finished { run } => {
                if let Some((bar, prefix)) = current.take() {
                    // Printed above the bar, then the bar is cleared: the line ends cleanly
                    // whatever the terminal's width.
                    bar.println(format!(
                        "  {prefix} — {} in {}",
                        run.outcome(),
                        humantime::format_duration(Duration::from_millis(run.duration_ms))
                    ));
                    bar.finish_and_clear();
                }
            }
            Event::Abandoned => {
                if let Some((bar, _)) = current.take() {
                    bar.finish_and_clear();
                }
            }
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        let current = self
            .current
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((bar, _)) = current.take() {
            bar.finish_and_clear();
        }
    }
}

/// The command as one short line: a spinner line must not wrap.
fn short(command: &str) -> String {
    let first = command.lines().next().unwrap_or_default();
    match first.char_indices().nth(48) {
        Some((at, _)) => format!("{}…", &first[..at]),
        None if first.len() < command.len() => format!("{first}…"),
        None => first.to_string(),
    }
}

/// A line a command printed, without the control characters that would move the cursor.
fn printable(line: &str) -> String {
    line.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
