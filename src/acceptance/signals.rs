//! Ctrl-C, SIGTERM, SIGHUP (a closed terminal) and SIGQUIT during a run: instead of dying
//! with the checkout and the command's process group left behind, agentguard notes the
//! signal, kills the group, removes the checkout and exits with an error. Outside a run the
//! signals keep their default action.

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

struct Handlers {
    received: Arc<AtomicUsize>,
    /// True outside runs: the handler then emulates the default action (terminate).
    idle: Arc<AtomicBool>,
}

/// Handlers are installed once per process: signal-hook cannot give the default action back
/// after an unregister, so "restoring" means switching them back to the default behaviour.
fn handlers() -> Result<&'static Handlers, String> {
    static HANDLERS: OnceLock<Result<Handlers, String>> = OnceLock::new();
    HANDLERS
        .get_or_init(|| {
            let handlers = Handlers {
                received: Arc::new(AtomicUsize::new(0)),
                idle: Arc::new(AtomicBool::new(true)),
            };
            for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
                let note = signal_hook::flag::register_usize(
                    signal,
                    Arc::clone(&handlers.received),
                    signal as usize,
                );
                let default = signal_hook::flag::register_conditional_default(
                    signal,
                    Arc::clone(&handlers.idle),
                );
                if let Err(e) = note.and(default) {
                    return Err(format!("cannot install a handler for signal {signal}: {e}"));
                }
            }
            Ok(handlers)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Held for the duration of a run.
pub(super) struct Interrupt {
    handlers: &'static Handlers,
}

impl Interrupt {
    pub(super) fn enter() -> Result<Self, String> {
        let handlers = handlers()?;
        handlers.received.store(0, Ordering::SeqCst);
        handlers.idle.store(false, Ordering::SeqCst);
        Ok(Self { handlers })
    }

    /// The signal that arrived since the run began, if any.
    pub(super) fn received(&self) -> Option<i32> {
        match self.handlers.received.load(Ordering::SeqCst) {
            0 => None,
            signal => i32::try_from(signal).ok(),
        }
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        self.handlers.idle.store(true, Ordering::SeqCst);
    }
}

pub(super) fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        SIGQUIT => "SIGQUIT",
        _ => "a signal",
    }
}
