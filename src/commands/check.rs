//! `agentguard check`: judges one change.

use crate::cli::{CheckArgs, Format};
use crate::engine::{self, CheckRequest, Target};
use crate::error::Error;
use crate::ledger;
use crate::output::Output;
use crate::repo::Repo;
use crate::report::{self, human};
use crate::Outcome;

pub fn run(
    repo: &Repo,
    args: &CheckArgs,
    out: &Output,
    verbosity: human::Verbosity,
) -> Result<Outcome, Error> {
    let started = std::time::Instant::now();
    let message = match &args.message_file {
        Some(path) => Some(read_message(path)?),
        None => None,
    };
    let target = if args.staged {
        Target::Staged
    } else {
        Target::Rev(args.rev.clone().unwrap_or_else(|| "HEAD".to_string()))
    };
    let request = CheckRequest {
        target,
        message,
        run_acceptance: !args.no_run,
        progress: out.progress && args.format == Format::Human,
    };
    let report = engine::check(repo, &request);
    record(repo, out, &report, started.elapsed());
    let report = report?;
    let reports = [report];
    let text = match args.format {
        Format::Json => report::json::render(&reports),
        Format::Human => human::render(&reports, &human::Styles::new(out.color), verbosity),
    };
    out.stdout(&text);
    Ok(if reports.iter().all(|r| r.passed()) {
        Outcome::Pass
    } else {
        Outcome::Block
    })
}

/// Appends the run to the ledger; a ledger that cannot be written never changes the verdict.
fn record(
    repo: &Repo,
    out: &Output,
    report: &Result<engine::CommitReport, engine::EngineError>,
    took: std::time::Duration,
) {
    let entry = match report {
        Ok(r) => ledger::Entry::from_report("check", r, repo.current_branch(), took),
        Err(e) => ledger::Entry::error("check", &e.to_string(), None, None).took(took),
    };
    if let Err(e) = ledger::append(repo.common_dir(), &entry) {
        out.stderr(&format!("agentguard: warning: {e}\n"));
    }
}

fn read_message(path: &std::path::Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::MessageFile {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
