//! The only place that writes to the terminal.

use crate::cli::ColorChoice;
use std::io::{IsTerminal, Write};

/// How much the human output says: `-q` only what blocks, `-v` the task's layers and commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write to standard output: {0}")]
pub struct WriteError(std::io::Error);

pub struct Output {
    pub color: bool,
    pub progress: bool,
    pub verbosity: Verbosity,
}

impl Output {
    pub fn new(choice: ColorChoice, verbosity: Verbosity) -> Self {
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
    pub fn stdout(&self, text: &str) -> Result<(), WriteError> {
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(WriteError(e)),
            _ => Ok(()),
        }
    }

    /// Writes a message to stderr. If stderr itself fails there is nowhere left to say so.
    pub fn stderr(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }
}
