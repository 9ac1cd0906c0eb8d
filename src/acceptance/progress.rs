//! One spinner line per command on stderr with the elapsed time; silent when not asked for.

use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

pub struct Progress {
    enabled: bool,
    total: usize,
    done: usize,
}

pub struct Line(Option<(ProgressBar, String)>);

impl Progress {
    pub fn new(enabled: bool, total: usize) -> Self {
        Self {
            enabled,
            total,
            done: 0,
        }
    }

    pub fn start(&mut self, phase: &str, command: &str) -> Line {
        self.done += 1;
        if !self.enabled {
            return Line(None);
        }
        let style = ProgressStyle::with_template("{spinner} {prefix} {elapsed:.dim}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bar = ProgressBar::new_spinner().with_style(style);
        let prefix = format!("[{}/{}] {phase}: {}", self.done, self.total, short(command));
        bar.set_prefix(prefix.clone());
        bar.enable_steady_tick(Duration::from_millis(100));
        Line(Some((bar, prefix)))
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

impl Line {
    /// Replaces the spinner with a final line: the command, then `result`.
    pub fn finish(mut self, result: &str) {
        if let Some((bar, prefix)) = self.0.take() {
            // Printed above the bar, then the bar is cleared: the line ends cleanly whatever
            // the terminal's width.
            bar.println(format!("  {prefix} — {result}"));
            bar.finish_and_clear();
        }
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if let Some((bar, _)) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
