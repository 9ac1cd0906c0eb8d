//! `agentguard verify`: the CI gate over a range of commits.

use crate::ci::Ci;
use crate::cli::{VerifyArgs, VerifyFormat};
use crate::engine::{self, CheckRequest, CommitReport, Target};
use crate::error::Error;
use crate::ledger::Entry;
use crate::output::Output;
use crate::path_taken::RollbackTarget;
use crate::policy::{Policy, VerifyRun};
use crate::repo::{Range, Repo};
use crate::report::{self, human, Styles};
use crate::Verdict;
use clap::ValueEnum;
use std::path::PathBuf;

/// Where the reports of one run go: stdout (or the file a bare `--output` names) in
/// `--format`, and every other requested file in its own format.
struct Outputs {
    stdout: VerifyFormat,
    stdout_to: Option<PathBuf>,
    files: Vec<(VerifyFormat, PathBuf)>,
}

impl Outputs {
    fn of(args: &VerifyArgs) -> Result<Self, Error> {
        let mut outputs = Self {
            stdout: args.format,
            stdout_to: None,
            files: Vec::new(),
        };
        for value in &args.output {
            let format = value
                .split_once('=')
                .and_then(|(name, path)| Some((VerifyFormat::from_str(name, true).ok()?, path)));
            match format {
                Some((_, "")) => {
                    return Err(Error::BadOutput {
                        value: value.clone(),
                        reason: "no path after `=`".into(),
                    })
                }
                Some((format, path)) => outputs.files.push((format, PathBuf::from(path))),
                // The older form: the --format report to a file instead of stdout.
                None if outputs.stdout_to.is_none() => {
                    outputs.stdout_to = Some(PathBuf::from(value));
                }
                None => {
                    return Err(Error::BadOutput {
                        value: value.clone(),
                        reason: "a second path without a format; name each one's format".into(),
                    })
                }
            }
        }
        for (format, path) in [
            (VerifyFormat::Sarif, &args.sarif),
            (VerifyFormat::Junit, &args.junit),
            (VerifyFormat::Markdown, &args.markdown),
            (VerifyFormat::Json, &args.json),
        ] {
            if let Some(path) = path {
                outputs.files.push((format, path.clone()));
            }
        }
        let mut paths: Vec<&PathBuf> = outputs.files.iter().map(|(_, p)| p).collect();
        paths.extend(&outputs.stdout_to);
        for (i, path) in paths.iter().enumerate() {
            if paths[..i].contains(path) {
                return Err(Error::BadOutput {
                    value: path.display().to_string(),
                    reason: "two reports would be written to the same file".into(),
                });
            }
        }
        Ok(outputs)
    }
}

pub(crate) fn run(repo: &Repo, args: &VerifyArgs, out: &Output) -> Result<Verdict, Error> {
    let outputs = Outputs::of(args)?;
    let ci = crate::ci::from_env();
    let range = match (&args.range, &args.base) {
        (Some(range), _) => repo.resolve_range(range)?,
        (None, Some(base)) => repo.resolve_range(&format!("{base}..HEAD"))?,
        (None, None) => {
            repo.resolve_range(&format!("{}..HEAD", default_base(repo, ci.as_ref())?))?
        }
    };
    let commits = repo.commits_in(&range)?;
    if commits.is_empty() && !args.allow_empty {
        let error = Error::NothingToVerify {
            range: range.text.clone(),
        };
        super::append_to_ledger(
            repo,
            out,
            &Entry::error("verify", &error.to_string(), None, None),
        );
        return Err(error);
    }
    // Policy and task files come from where the range leaves the target branch, so no commit
    // of the range can loosen the rules for a later one.
    // A range that shares no history with its base (an orphan branch) is judged by the base's
    // rules, never by what its own commits say.
    let policy_base = range
        .exclude
        .map(|exclude| repo.merge_base(exclude, range.tip).unwrap_or(exclude));
    super::policy::check_examples_at(
        repo,
        &policy_base
            .into_iter()
            .chain([range.tip])
            .collect::<Vec<_>>(),
    )?;
    let branches = range_branches(repo, &range, args.branch.as_deref(), ci.as_ref());
    // In CI, a range whose branch nobody can name might be an agent branch's: whatever is not
    // provably human is judged as agent work.
    let presume_agent = match &ci {
        Some(ci) if branches.is_empty() => Some(format!(
            "{} build of a checkout whose branch is unknown (name it with --branch)",
            ci.name
        )),
        _ => None,
    };
    let rollback_target = range
        .exclude
        .map(|exclude| RollbackTarget::of_range(&range.text, exclude, range.tip));
    let mut reports: Vec<CommitReport> = Vec::with_capacity(commits.len());
    // One ledger line per judged commit, written together at the end (or at the first error).
    let mut entries: Vec<Entry> = Vec::with_capacity(commits.len().max(1));
    let progress = (outputs.stdout == VerifyFormat::Human && outputs.stdout_to.is_none())
        .then(|| out.progress_sink())
        .flatten();
    let branch = branches.first().cloned();
    let tip_only = !args.no_run && run_mode(repo, &[policy_base, range.exclude])? == VerifyRun::Tip;
    let mut requests: Vec<CheckRequest> = commits
        .iter()
        .map(|commit| CheckRequest {
            run_acceptance: !args.no_run && !tip_only,
            vouched_by_evidence: tip_only,
            progress: progress.clone(),
            policy_base,
            // The target's rules as they are now narrow those the work began under.
            policy_tip: range.exclude,
            all_agent: args.all_agent,
            presume_agent: presume_agent.clone(),
            require_evidence: true,
            branches: Some(branches.clone()),
            rollback_target: rollback_target.clone(),
            ..CheckRequest::new(Target::Rev(commit.to_string()))
        })
        .collect();
    let fresh = |request: &mut CheckRequest| {
        request.run_acceptance = true;
        request.vouched_by_evidence = false;
    };
    if tip_only {
        if let Some(tip) = requests.last_mut() {
            fresh(tip);
        }
    }
    // Judged without running first (on several threads where there are many), the tip alone
    // with its runs.
    let last = requests.len().saturating_sub(1);
    let mut results = engine::check_all(repo, &requests[..last]);
    results.extend(engine::check_all(repo, &requests[last..]));
    if tip_only {
        if let Some(i) = fresh_run_also_due(&results) {
            fresh(&mut requests[i]);
            let mut again = engine::check_all(repo, &requests[i..=i]);
            if let Some(result) = again.pop() {
                results[i] = result;
            }
        }
    }
    for (commit, (result, took)) in commits.iter().zip(results) {
        match result {
            Ok(report) => {
                entries.push(Entry::from_report("verify", &report, branch.clone(), took));
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
    // Every report is rendered from the one judgement: acceptance ran once.
    for (format, path) in &outputs.files {
        let text = render(*format, &reports, &range.text, out)?;
        write_file(path, &text)?;
    }
    let text = render(outputs.stdout, &reports, &range.text, out)?;
    match &outputs.stdout_to {
        Some(path) => write_file(path, &text)?,
        None => out.stdout(&text)?,
    }
    Ok(Verdict::all(reports.iter().map(CommitReport::verdict)))
}

/// A commit's judgement and how long it took.
type Judged = (
    Result<CommitReport, engine::EngineError>,
    std::time::Duration,
);

/// Under `[verify] run = "tip"`, the agent commit that must run fresh too, because the tip's
/// run did not cover its task: the tip is a person's commit, or a clean merge of the main
/// branch (agent work that needs no task, whose run has no task's commands), or its run lacks
/// a command the newest task names. That commit is the newest agent commit with a task, else
/// the newest agent commit.
fn fresh_run_also_due(results: &[Judged]) -> Option<usize> {
    let (Ok(tip), _) = results.last()? else {
        return None;
    };
    let agent = |tasked: bool| {
        move |(r, _): &Judged| {
            r.as_ref()
                .is_ok_and(|r| r.agent && (!tasked || r.task.id.is_some()))
        }
    };
    let newest = results
        .iter()
        .rposition(agent(true))
        .or_else(|| results.iter().rposition(agent(false)))?;
    if newest + 1 == results.len() {
        return None;
    }
    let (Ok(report), _) = &results[newest] else {
        return None;
    };
    let ran = |command: &str| tip.acceptance.iter().any(|run| run.command == command);
    let covered = tip.agent && report.task.acceptance.iter().all(|c| ran(&c.command));
    (!covered).then_some(newest)
}

/// `[verify] run` of the policies the range is judged by (the base's and the target's): `each`
/// where either asks for it.
fn run_mode(repo: &Repo, bases: &[Option<git2::Oid>]) -> Result<VerifyRun, Error> {
    let mut mode = VerifyRun::Tip;
    for base in bases {
        let base = base
            .map(|oid| repo.git().find_commit(oid))
            .transpose()
            .map_err(|e| Error::from(engine::EngineError::Git(e)))?;
        let policy = Policy::for_base(repo, base.as_ref())
            .map_err(|e| Error::from(engine::EngineError::Policy(e)))?;
        if policy.verify.run == VerifyRun::Each {
            mode = VerifyRun::Each;
        }
    }
    Ok(mode)
}

fn write_file(path: &std::path::Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|source| Error::Output {
        path: path.to_path_buf(),
        source,
    })
}

/// Where a range given no base starts: the pull request's target branch as the CI names it,
/// else the remote's default branch (`<remote>/HEAD`). Never `@{upstream}`: after a push it
/// is the branch itself, and the range would be empty.
fn default_base(repo: &Repo, ci: Option<&Ci>) -> Result<String, Error> {
    let remote = crate::sync::default_remote(repo).ok();
    if let Some(ci) = ci {
        if let Some(base) = &ci.base {
            let candidates = remote
                .iter()
                .map(|r| format!("refs/remotes/{r}/{base}"))
                .chain([format!("refs/heads/{base}")]);
            for candidate in candidates {
                if repo.git().refname_to_id(&candidate).is_ok() {
                    return Ok(shorthand(&candidate));
                }
            }
        }
        if let Some(commit) = ci.base_commit.as_deref() {
            if repo.resolve_commit(commit).is_ok() {
                return Ok(commit.to_string());
            }
        }
        if let Some(base) = &ci.base {
            return Err(Error::NoBase {
                reason: format!(
                    "{} names `{base}` as the pull request's base, and this clone has no such branch (fetch it: git fetch {} {base})",
                    ci.name,
                    remote.as_deref().unwrap_or("origin")
                ),
            });
        }
    }
    let Some(remote) = remote else {
        return Err(Error::NoBase {
            reason: "no CI variable names a pull request's base, and this clone has no remote to take a default branch from (none, or several and none named origin)"
                .into(),
        });
    };
    let head = format!("refs/remotes/{remote}/HEAD");
    match repo.git().find_reference(&head) {
        Ok(reference) => match reference.symbolic_target() {
            Some(target) if repo.git().refname_to_id(target).is_ok() => Ok(shorthand(target)),
            _ => Ok(format!("{remote}/HEAD")),
        },
        Err(_) => Err(Error::NoBase {
            reason: format!(
                "no CI variable names a pull request's base, and {remote}'s default branch is not known here ({head} is not set)"
            ),
        }),
    }
}

/// `refs/remotes/origin/main` → `origin/main`, `refs/heads/main` → `main`.
fn shorthand(name: &str) -> String {
    name.strip_prefix("refs/remotes/")
        .or_else(|| name.strip_prefix("refs/heads/"))
        .unwrap_or(name)
        .to_string()
}

/// Every commit of the range is judged as being on the branch the range belongs to: the
/// branches at its tip, and the one `--branch` or the CI's variables name (CI checkouts are
/// often detached).
fn range_branches(repo: &Repo, range: &Range, named: Option<&str>, ci: Option<&Ci>) -> Vec<String> {
    let mut branches = repo.branches_of_tip(range.tip);
    let named = named
        .map(str::to_string)
        .or_else(|| ci.and_then(|ci| ci.branch.clone()));
    if let Some(name) = named {
        if !branches.contains(&name) {
            branches.insert(0, name);
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
