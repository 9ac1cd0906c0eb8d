//! `agentguard report`: the ledger summed up per task and per agent, with rolled-back work.

use crate::cli::{ReportArgs, ReportFormat};
use crate::error::Error;
use crate::ledger::{self, Summary};
use crate::output::Output;
use crate::repo::Repo;
use crate::report::ledger as render;
use crate::report::Styles;
use crate::Verdict;

pub(crate) fn run(repo: &Repo, args: &ReportArgs, out: &Output) -> Result<Verdict, Error> {
    let ledger = ledger::read(repo.common_dir())?;
    super::log::warn_skipped(&ledger, out);
    let rollbacks = ledger::rolled_back(repo, &ledger);
    let summary = Summary::new(&ledger, rollbacks);
    let text = match args.format {
        ReportFormat::Human => render::report_human(&summary, &Styles::new(out.color)),
        ReportFormat::Json => render::report_json(&summary)?,
        ReportFormat::Markdown => render::report_markdown(&summary),
    };
    out.stdout(&text)?;
    Ok(Verdict::Pass)
}
