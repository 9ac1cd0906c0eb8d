//! `agentguard install`.

use crate::error::Error;
use crate::output::Output;
use crate::repo::Repo;
use crate::Outcome;

pub fn run(_repo: &Repo, _args: &crate::cli::InstallArgs, _out: &Output) -> Result<Outcome, Error> {
    Err(Error::NotBuilt("install"))
}
