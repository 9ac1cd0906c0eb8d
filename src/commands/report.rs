//! `agentguard report`.

use crate::error::Error;
use crate::output::Output;
use crate::repo::Repo;
use crate::Outcome;

pub fn run(_repo: &Repo, _args: &crate::cli::ReportArgs, _out: &Output) -> Result<Outcome, Error> {
    Err(Error::NotBuilt("report"))
}
