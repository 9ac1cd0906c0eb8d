//! `agentguard log`: the ledger, newest first, filtered.

use crate::cli::{LogArgs, LogFormat, VerdictFilter};
use crate::error::Error;
use crate::ledger::{self, Entry, LineVerdict};
use crate::output::Output;
use crate::repo::Repo;
use crate::report::Styles;
use crate::report::{self, ledger as render};
use crate::Verdict;

pub(crate) fn run(repo: &Repo, args: &LogArgs, out: &Output) -> Result<Verdict, Error> {
    let since = args.since.as_deref().map(ledger::parse_since).transpose()?;
    let ledger = ledger::read(repo.common_dir())?;
    warn_skipped(&ledger, out);
    let entries: Vec<&Entry> = ledger
        .entries
        .iter()
        .rev()
        .filter(|e| {
            args.task
                .as_ref()
                .is_none_or(|t| e.task.as_ref() == Some(t))
        })
        .filter(|e| {
            args.agent
                .as_ref()
                .is_none_or(|a| e.agent.as_ref() == Some(a))
        })
        .filter(|e| match args.verdict {
            None => true,
            Some(VerdictFilter::Pass) => e.verdict == LineVerdict::Judged(Verdict::Pass),
            Some(VerdictFilter::Block) => e.verdict == LineVerdict::Judged(Verdict::Block),
            Some(VerdictFilter::Bypass) => e.verdict == LineVerdict::Bypass,
            Some(VerdictFilter::Error) => e.verdict == LineVerdict::Error,
        })
        // A line whose time cannot be read is not known to be recent enough.
        .filter(|e| since.is_none_or(|s| e.system_time().is_some_and(|t| t >= s)))
        .collect();
    let text = match args.format {
        LogFormat::Json => render::log_json(&entries)?,
        LogFormat::Otel => report::otel::render(&entries),
        LogFormat::Human if ledger.entries.is_empty() => format!(
            "the ledger is empty: nothing recorded in {} yet\n",
            ledger::path(repo.common_dir()).display()
        ),
        LogFormat::Human => render::log_human(&entries, &Styles::new(out.color)),
    };
    out.stdout(&text)?;
    Ok(Verdict::Pass)
}

/// Unreadable lines are reported on stderr, so the output itself stays parseable.
pub(crate) fn warn_skipped(ledger: &ledger::Ledger, out: &Output) {
    for warning in &ledger.warnings {
        out.stderr(&format!("agentguard: warning: {warning}\n"));
    }
}
