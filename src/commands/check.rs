//! `agentguard check`: judges one change.

use crate::cli::{CheckArgs, Format};
use crate::engine::{self, CheckRequest, Target};
use crate::error::Error;
use crate::evidence;
use crate::ledger;
use crate::output::Output;
use crate::repo::Repo;
use crate::report::{self, human, Styles};
use crate::Verdict;

pub(crate) fn run(repo: &Repo, args: &CheckArgs, out: &Output) -> Result<Verdict, Error> {
    let started = std::time::Instant::now();
    let message = match &args.message_file {
        Some(path) => Some(read_message(path)?),
        // Judged as the hooks will judge the commit: with the task prepare-commit-msg would
        // add from AGENTGUARD_TASK or the branch name.
        None if args.staged => Some(crate::hooks::prepare::planned_trailers(
            repo,
            &crate::hooks::prepare::Prepare::from_agent_env(),
        )?),
        None => None,
    };
    let target = if args.staged {
        Target::Staged
    } else {
        Target::Rev(args.rev.clone().unwrap_or_else(|| "HEAD".to_string()))
    };
    let request = CheckRequest {
        message,
        run_acceptance: !args.no_run,
        progress: (args.format == Format::Human)
            .then(|| out.progress_sink())
            .flatten(),
        local: true,
        session: args.session.clone(),
        recording: args.record,
        gate: engine::Gate::Commit,
        ..CheckRequest::new(target)
    };
    let report = engine::check(repo, &mut engine::Cache::default(), &request);
    let entry = match &report {
        Ok(r) => ledger::Entry::from_report("check", r, repo.current_branch(), started.elapsed()),
        Err(e) => ledger::Entry::error("check", &e.to_string(), None, None).took(started.elapsed()),
    };
    super::append_to_ledger(repo, out, &entry);
    let report = report?;
    if args.record {
        record(repo, &report, !args.no_run, out)?;
    }
    let reports = [report];
    let text = match args.format {
        Format::Json => report::json::render(&reports)?,
        Format::Human => human::render(&reports, &Styles::new(out.color), out.verbosity),
    };
    out.stdout(&text)?;
    Ok(Verdict::all(
        reports.iter().map(engine::CommitReport::verdict),
    ))
}

/// Writes the evidence and says where to stderr, so stdout stays the report.
fn record(
    repo: &Repo,
    report: &engine::CommitReport,
    acceptance_ran: bool,
    out: &Output,
) -> Result<(), Error> {
    match report::note::evidence(report, acceptance_ran) {
        Some(evidence) => {
            let place = evidence::record(repo, &report.notes_ref, &evidence)?;
            out.stderr(&format!("agentguard: evidence recorded: {place}\n"));
        }
        None => out.stderr("agentguard: a human commit is not agent work; no evidence recorded\n"),
    }
    Ok(())
}

fn read_message(path: &std::path::Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::MessageFile {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
