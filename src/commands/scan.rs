//! `agentguard scan`: credentials (or any risk category) in history or in files, with the
//! formats, redaction and allowlist of `check`.

use crate::cli::{ScanArgs, ScanFormat};
use crate::engine::{self, CommitReport, ScanTarget};
use crate::error::Error;
use crate::output::Output;
use crate::repo::Repo;
use crate::report::{self, human, Styles};
use crate::Verdict;
use std::path::PathBuf;

pub(crate) fn run(repo: &Repo, args: &ScanArgs, out: &Output) -> Result<Verdict, Error> {
    let target = target(repo, args)?;
    let categories = if args.categories.is_empty() {
        vec![crate::risk::CREDENTIALS.to_string()]
    } else {
        args.categories.clone()
    };
    let reports = engine::scan(repo, &target, &categories)?;
    let text = match args.format {
        ScanFormat::Json => report::json::render(&reports)?,
        ScanFormat::Sarif => report::sarif::render(&reports)?,
        ScanFormat::Human => {
            // A history holds many commits; the ones with findings are the report.
            let found: Vec<CommitReport> = reports
                .iter()
                .filter(|r| !r.findings.is_empty())
                .cloned()
                .collect();
            let scanned = match &target {
                ScanTarget::Commits(commits) => format!(
                    "{} commit{}",
                    commits.len(),
                    if commits.len() == 1 { "" } else { "s" }
                ),
                _ => {
                    let files = reports.first().map_or(0, |r| r.files_changed);
                    format!("{files} file{}", if files == 1 { "" } else { "s" })
                }
            };
            let mut text = format!(
                "agentguard scan: {scanned} scanned for {}\n",
                categories.join(", ")
            );
            if found.is_empty() {
                text.push_str("nothing found\n");
            } else {
                text.push_str(&human::render(
                    &found,
                    &Styles::new(out.color),
                    out.verbosity,
                ));
            }
            text
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|source| Error::Output {
            path: path.clone(),
            source,
        })?,
        None => out.stdout(&text)?,
    }
    Ok(Verdict::all(reports.iter().map(CommitReport::verdict)))
}

/// What the arguments name: every commit (`--all`), HEAD's files (nothing), commits (a
/// range or a revision that is no path), or paths.
fn target(repo: &Repo, args: &ScanArgs) -> Result<ScanTarget, Error> {
    if args.all {
        return Ok(ScanTarget::Commits(repo.all_commits()?));
    }
    if args.targets.is_empty() {
        return Ok(ScanTarget::Head);
    }
    let mut paths = Vec::new();
    let mut commits = Vec::new();
    for target in &args.targets {
        let path = PathBuf::from(target);
        if path.exists() {
            paths.push(path);
        } else {
            let range = repo.resolve_range(target)?;
            commits.extend(repo.commits_in(&range)?);
        }
    }
    match (paths.is_empty(), commits.is_empty()) {
        (false, true) => Ok(ScanTarget::Paths(paths)),
        (true, _) => Ok(ScanTarget::Commits(commits)),
        (false, false) => Err(Error::MixedScanTargets),
    }
}
