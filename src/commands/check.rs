//! `agentguard check`: judges one change.

use crate::cli::{CheckArgs, Format};
use crate::engine::{self, CheckRequest, Target};
use crate::error::Error;
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
    let report = engine::check(repo, &request)?;
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

fn read_message(path: &std::path::Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::MessageFile {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
