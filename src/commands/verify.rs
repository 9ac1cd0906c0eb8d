//! `agentguard verify`: the CI gate over a range of commits.

use crate::cli::{VerifyArgs, VerifyFormat};
use crate::engine::{self, CheckRequest, CommitReport, Target};
use crate::error::Error;
use crate::ledger::Entry;
use crate::output::Output;
use crate::path_taken::RollbackTarget;
use crate::repo::Repo;
use crate::report::{self, human, Styles};
use crate::Verdict;

pub(crate) fn run(repo: &Repo, args: &VerifyArgs, out: &Output) -> Result<Verdict, Error> {
    let range = match (&args.range, &args.base) {
        (Some(range), _) => repo.resolve_range(range)?,
        (None, Some(base)) => repo.resolve_range(&format!("{base}..HEAD"))?,
        (None, None) => repo.upstream_range()?,
    };
    let commits = repo.commits_in(&range)?;
    // Policy and task files come from where the range leaves the target branch, so no commit
    // of the range can loosen the rules for a later one.
    // A range that shares no history with its base (an orphan branch) is judged by the base's
    // rules, never by what its own commits say.
    let policy_base = range
        .exclude
        .map(|exclude| repo.merge_base(exclude, range.tip).unwrap_or(exclude));
    let branches = range_branches(repo, range.tip);
    let rollback_target = range
        .exclude
        .map(|exclude| RollbackTarget::of_range(&range.text, exclude, range.tip));
    let mut reports: Vec<CommitReport> = Vec::with_capacity(commits.len());
    // One ledger line per judged commit, written together at the end (or at the first error).
    let mut entries: Vec<Entry> = Vec::with_capacity(commits.len().max(1));
    let progress = (args.format == VerifyFormat::Human)
        .then(|| out.progress_sink())
        .flatten();
    let requests: Vec<CheckRequest> = commits
        .iter()
        .map(|commit| CheckRequest {
            run_acceptance: !args.no_run,
            progress: progress.clone(),
            policy_base,
            all_agent: args.all_agent,
            require_evidence: true,
            branches: Some(branches.clone()),
            rollback_target: rollback_target.clone(),
            ..CheckRequest::new(Target::Rev(commit.to_string()))
        })
        .collect();
    for (commit, (result, took)) in commits.iter().zip(engine::check_all(repo, &requests)) {
        match result {
            Ok(report) => {
                entries.push(Entry::from_report("verify", &report, None, took));
                reports.push(report);
            }
            Err(e) => {
                entries
                    .push(Entry::error("verify", &e.to_string(), Some(*commit), None).took(took));
                super::append_all_to_ledger_under(repo, out, &entries, policy_base);
                return Err(e.into());
            }
        }
    }
    if commits.is_empty() {
        entries.push(Entry {
            verdict: crate::ledger::LineVerdict::Judged(Verdict::Pass),
            ..Entry::new("verify")
        });
    }
    super::append_all_to_ledger_under(repo, out, &entries, policy_base);
    let text = render(args.format, &reports, &range.text, out)?;
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|source| Error::Output {
            path: path.clone(),
            source,
        })?,
        None => out.stdout(&text)?,
    }
    Ok(Verdict::all(reports.iter().map(CommitReport::verdict)))
}

/// Every commit of the range is judged as being on the branch the range belongs to. CI
/// checkouts are often detached, so the CI system's own variables name it too.
fn range_branches(repo: &Repo, tip: git2::Oid) -> Vec<String> {
    let mut branches = repo.branches_of_tip(tip);
    for var in [
        "GITHUB_HEAD_REF",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
        "CI_COMMIT_BRANCH",
    ] {
        if let Some(name) = std::env::var(var).ok().filter(|v| !v.is_empty()) {
            if !branches.contains(&name) {
                branches.push(name);
            }
        }
    }
    branches
}

fn render(
    format: VerifyFormat,
    reports: &[CommitReport],
    range: &str,
    out: &Output,
) -> Result<String, Error> {
    Ok(match format {
        VerifyFormat::Json => report::json::render(reports)?,
        VerifyFormat::Human => {
            let mut text = if reports.is_empty() {
                format!("agentguard: no commits in {range}\n")
            } else {
                String::new()
            };
            text.push_str(&human::render(
                reports,
                &Styles::new(out.color),
                out.verbosity,
            ));
            text
        }
        VerifyFormat::Junit => report::junit::render(reports)?,
        VerifyFormat::Sarif => report::sarif::render(reports)?,
        VerifyFormat::Markdown => report::markdown::render(reports),
        VerifyFormat::Github => {
            let (commands, summary) = report::github::render(reports);
            append_step_summary(&summary)?;
            commands
        }
    })
}

/// GitHub Actions shows `$GITHUB_STEP_SUMMARY` on the run's page; outside Actions it is unset.
fn append_step_summary(summary: &str) -> Result<(), Error> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let path = std::path::PathBuf::from(path);
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        file.write_all(summary.as_bytes())
    };
    write().map_err(|source| Error::Output {
        path: path.clone(),
        source,
    })
}
