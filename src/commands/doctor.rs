//! `agentguard doctor`: one line per check, and the fix for each problem.

use crate::doctor::{self, Status};
use crate::error::Error;
use crate::output::Output;
use crate::repo::Repo;
use crate::Verdict;
use std::fmt::Write;

pub(crate) fn run(repo: &Repo, out: &Output) -> Result<Verdict, Error> {
    let checks = doctor::run(repo);
    let mut text = String::new();
    for check in &checks {
        let _ = write!(
            text,
            "{:<5} {}: {}",
            check.status.as_str(),
            check.name,
            check.message
        );
        if let Some(fix) = &check.fix {
            let _ = write!(text, "; fix: {fix}");
        }
        text.push('\n');
    }
    let fails = checks.iter().filter(|c| c.status == Status::Fail).count();
    let warns = checks.iter().filter(|c| c.status == Status::Warn).count();
    let _ = writeln!(
        text,
        "{} checks: {} ok, {warns} warn, {fails} fail",
        checks.len(),
        checks.len() - fails - warns
    );
    out.stdout(&text)?;
    Ok(if fails == 0 {
        Verdict::Pass
    } else {
        Verdict::Block
    })
}
