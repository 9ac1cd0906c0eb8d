//! `agentguard hook <name>`: what the installed shims call. Hooks that can stop git fail
//! closed; every run lands in the ledger.

use crate::cli::HookArgs;
use crate::error::Error;
use crate::hooks::run::{self, HookName, HookRun};
use crate::hooks::{human_mark, prepare, push};
use crate::ledger::Entry;
use crate::output::Output;
use crate::output::Verbosity;
use crate::repo::Repo;
use crate::report::{human, Styles};
use crate::Verdict;
use std::io::Read;
use std::time::Instant;

pub(crate) fn run(repo: &Repo, args: &HookArgs, out: &Output) -> Result<Verdict, Error> {
    let started = Instant::now();
    let name = HookName::parse(&args.name).ok_or_else(|| Error::UnknownHook(args.name.clone()))?;
    let command = format!("hook {}", name.as_str());
    // A branch checkout keeps the branch routing true to the policy it checked out, before
    // the branch's first commit; it judges nothing and is no run for the ledger.
    if name == HookName::PostCheckout {
        refresh_routing(repo, out);
        return Ok(Verdict::Pass);
    }
    // Adding trailers is no check: skipping it is no bypass of its own, and the hooks that
    // judge the commit record the bypass.
    if name == HookName::PrepareCommitMsg && skip_reason().is_some() {
        return Ok(Verdict::Pass);
    }
    // Before any bypass too: nothing an earlier commit left may speak for this one. A bypass
    // goes ahead all the same (every hook it skips is recorded, and a mark that cannot be
    // removed is no mark the shims read).
    let fresh = match name {
        HookName::PreCommit => fresh_commit(repo),
        // commit-msg runs when the message may make the commit agent work: post-commit must
        // run too.
        HookName::CommitMsg => human_mark::forget(repo),
        _ => Ok(()),
    };
    match fresh {
        Err(e) if skip_reason().is_none() => {
            let entry = Entry::error(&command, &e.to_string(), None, None).took(started.elapsed());
            super::append_to_ledger(repo, out, &entry);
            return Err(e.into());
        }
        _ => {}
    }
    if name.can_block() {
        if let Some(reason) = skip_reason() {
            let who = who(repo);
            let entries: Vec<Entry> = bypassed(repo, name, args)?
                .into_iter()
                .map(|skipped| {
                    let entry =
                        Entry::bypass(&command, &reason, &who, skipped.commit, skipped.tree);
                    Entry {
                        branch: skipped.branch,
                        task: skipped.task,
                        agent: skipped.agent,
                        ..entry.took(started.elapsed())
                    }
                })
                .collect();
            // A bypass is allowed because it is recorded: one that cannot be is refused.
            crate::ledger::append_all(repo.common_dir(), &entries)?;
            let head = repo.head_commit().ok().flatten().map(|c| c.id());
            super::ship(repo, out, &entries, head);
            out.stderr(&format!(
                "agentguard: {} skipped by AGENTGUARD_SKIP ({reason}); recorded in the ledger as a bypass by {who}\n",
                name.as_str()
            ));
            return Ok(Verdict::Pass);
        }
    }
    let arg = |i: usize| args.args.get(i).map(std::path::PathBuf::from);
    let result = match name {
        HookName::PreCommit => {
            let input = prepare_input(&args.args);
            prepare::planned_trailers(repo, &input)
                .and_then(|planned| run::pre_commit(repo, planned))
                .inspect(|run| {
                    if run.verdict().passed() && run.reports.iter().all(|r| !r.agent) {
                        human_mark::mark(repo, &input);
                    }
                })
        }
        HookName::CommitMsg => match arg(0) {
            Some(file) => run::commit_msg(repo, &file, out.progress_sink()),
            None => Err(run::HookRunError::MessageFile {
                path: "(none given)".into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "git passes it as the first argument",
                ),
            }),
        },
        HookName::PrepareCommitMsg => match arg(0) {
            Some(file) => prepare::prepare_commit_msg(repo, &file, &prepare_input(&args.args)),
            None => Err(run::HookRunError::MessageFile {
                path: "(none given)".into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "git passes it as the first argument",
                ),
            }),
        },
        HookName::PostCommit | HookName::PostMerge => run::post_commit(repo),
        // Handled above, before anything else.
        HookName::PostCheckout => Ok(run::HookRun::default()),
        HookName::PrePush => {
            let remote = args
                .args
                .first()
                .map(|r| r.to_string_lossy().into_owned())
                .or_else(|| std::env::var("PRE_COMMIT_REMOTE_NAME").ok())
                .unwrap_or_default();
            read_stdin()
                .map(|stdin| from_pre_commit_framework(repo, stdin))
                .and_then(|stdin| push::pre_push(repo, &remote, &stdin))
        }
        HookName::PostRewrite => {
            let kind = args
                .args
                .first()
                .map(|k| k.to_string_lossy().into_owned())
                .unwrap_or_default();
            read_stdin().and_then(|stdin| run::post_rewrite(repo, &kind, &stdin))
        }
    };
    // What brings a policy in (a merge, a rebase) or sends work out keeps the routing current.
    if matches!(
        name,
        HookName::PrePush | HookName::PostMerge | HookName::PostRewrite
    ) {
        refresh_routing(repo, out);
    }
    let took = started.elapsed();
    let hook_run = match result {
        Ok(hook_run) => hook_run,
        Err(e) => {
            super::append_to_ledger(
                repo,
                out,
                &Entry::error(&command, &e.to_string(), None, None).took(took),
            );
            if name.can_block() {
                return Err(e.into());
            }
            // git ignores what post-* hooks return; say what went wrong and carry on.
            out.stderr(&format!(
                "agentguard: warning: {} failed: {e}\n",
                name.as_str()
            ));
            return Ok(Verdict::Pass);
        }
    };
    let rewrite_kind = args
        .args
        .first()
        .map(|k| k.to_string_lossy().into_owned())
        .unwrap_or_default();
    record(repo, out, &command, (name, &rewrite_kind), &hook_run, took);
    render(&hook_run, name, out);
    Ok(hook_run.verdict())
}

/// Keeps which branches run which hooks true to HEAD's policy and the hooks directory (see
/// `hooks::branches`); a hook that cannot stop anything, so a failure is a warning.
fn refresh_routing(repo: &Repo, out: &Output) {
    use crate::hooks::branches::Refreshed;
    match crate::hooks::branches::refresh(repo) {
        Ok(Some(Refreshed::Added(patterns))) => out.stderr(&format!(
            "agentguard: commits on {} now run every hook ([agent] branches)\n",
            patterns.join(", ")
        )),
        Ok(Some(Refreshed::Removed(reason))) => out.stderr(&format!(
            "agentguard: every branch now runs all of agentguard's hooks: {reason} (`agentguard install` says more)\n"
        )),
        Ok(None) => {}
        Err(e) => out.stderr(&format!(
            "agentguard: warning: cannot update which branches run which hooks: {e}\n"
        )),
    }
}

/// pre-commit starts every commit: nothing a commit before it left (the human mark, an
/// aborted amend's note) may speak for this one.
fn fresh_commit(repo: &Repo) -> Result<(), run::HookRunError> {
    human_mark::forget(repo)?;
    prepare::forget_amend(repo)
}

fn record(
    repo: &Repo,
    out: &Output,
    command: &str,
    (name, kind): (HookName, &str),
    hook_run: &HookRun,
    took: std::time::Duration,
) {
    if name == HookName::PostRewrite {
        let pairs: Vec<(git2::Oid, git2::Oid)> = hook_run
            .rewritten
            .iter()
            .filter_map(|(old, new)| {
                Some((
                    git2::Oid::from_str(old).ok()?,
                    git2::Oid::from_str(new).ok()?,
                ))
            })
            .collect();
        super::append_to_ledger(repo, out, &Entry::rewrite(kind, &pairs).took(took));
        return;
    }
    let branch = repo.current_branch();
    if hook_run.reports.is_empty() {
        // post-commit judges nothing, but every hook run is in the ledger.
        let mut entry = Entry::new(command).took(took);
        entry.commit = repo
            .head_commit()
            .ok()
            .flatten()
            .map(|c| c.id().to_string());
        entry.branch = branch;
        super::append_to_ledger(repo, out, &entry);
        return;
    }
    // pre-commit judges before the message exists: a block is still someone's.
    let (task, agent) = if name == HookName::PreCommit {
        run::attribution(repo, None)
    } else {
        (None, None)
    };
    for (i, report) in hook_run.reports.iter().enumerate() {
        let branch = match hook_run.branches.get(i) {
            Some(pushed) => pushed.clone(),
            None => branch.clone(),
        };
        let mut entry = Entry::from_report(command, report, branch, took);
        entry.task = entry.task.or_else(|| task.clone());
        entry.agent = entry.agent.or_else(|| agent.clone());
        super::append_to_ledger(repo, out, &entry);
    }
}

/// What a skipped hook would have judged, for the ledger.
struct Skipped {
    commit: Option<git2::Oid>,
    tree: Option<git2::Oid>,
    branch: Option<String>,
    task: Option<String>,
    agent: Option<String>,
}

/// The commit or staged tree, branch, task and agent a bypass skipped: one for a commit, one
/// per pushed ref for a push.
fn bypassed(repo: &Repo, name: HookName, args: &HookArgs) -> Result<Vec<Skipped>, Error> {
    let staged = |message: Option<String>| {
        let (task, agent) = run::attribution(repo, message.as_deref());
        Skipped {
            commit: None,
            // A conflicted index has no tree to name; the bypass is recorded without one.
            tree: repo.staged_tree().ok(),
            branch: repo.current_branch(),
            task,
            agent,
        }
    };
    Ok(match name {
        HookName::PreCommit => vec![staged(None)],
        HookName::CommitMsg => {
            let message = args
                .args
                .first()
                .and_then(|file| std::fs::read(file).ok())
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
            vec![staged(message)]
        }
        HookName::PrePush => {
            let pushed = push::parse(&read_stdin()?)?;
            pushed
                .iter()
                .filter(|p| !p.local.is_zero())
                .map(|p| {
                    let commit = repo.peel_to_commit(p.local);
                    let message = commit
                        .and_then(|c| repo.git().find_commit(c).ok())
                        .map(|c| String::from_utf8_lossy(c.message_bytes()).into_owned());
                    let (task, agent) = run::attribution(repo, message.as_deref());
                    Skipped {
                        commit,
                        tree: None,
                        branch: p.remote_ref.strip_prefix("refs/heads/").map(str::to_string),
                        task,
                        agent,
                    }
                })
                .collect()
        }
        _ => Vec::new(),
    })
    .map(|mut skipped: Vec<Skipped>| {
        // Every bypass is a line, even one that skipped nothing in particular.
        if skipped.is_empty() {
            skipped.push(Skipped {
                commit: None,
                tree: None,
                branch: repo.current_branch(),
                task: None,
                agent: None,
            });
        }
        skipped
    })
}

/// Hooks talk on stderr; git shows it to the person committing or pushing.
fn render(hook_run: &HookRun, name: HookName, out: &Output) {
    let styles = Styles::new(out.color);
    let mut text = String::new();
    if hook_run.verdict().passed() {
        for report in hook_run.reports.iter().filter(|r| r.agent) {
            // pre-commit has judged only what it can see without the message: saying "pass"
            // would promise what commit-msg may still refuse.
            let line = if name == HookName::PreCommit {
                human::static_line(report)
            } else {
                human::summary_line(report)
            };
            text.push_str(&format!("agentguard {}: {line}\n", name.as_str()));
        }
    } else {
        text.push_str(&human::render(
            &hook_run.reports,
            &styles,
            Verbosity::Normal,
        ));
    }
    // No way around the block is offered here: whoever reads it may be the agent.
    for note in &hook_run.notes {
        text.push_str(&format!("agentguard: {note}\n"));
    }
    if !text.is_empty() {
        out.stderr(&text);
    }
}

/// `AGENTGUARD_SKIP=1` or `AGENTGUARD_SKIP="<reason>"`; empty or `0` does not skip.
fn skip_reason() -> Option<String> {
    let value = std::env::var("AGENTGUARD_SKIP").ok()?;
    let value = value.trim();
    match value {
        "" | "0" => None,
        "1" => Some("no reason given".to_string()),
        reason => Some(reason.to_string()),
    }
}

/// Who is at the keyboard: git's configured identity, else the login name.
pub(crate) fn who(repo: &Repo) -> String {
    let name = repo.config_string("user.name").unwrap_or_default();
    let email = repo.configured_author_email().unwrap_or_default();
    match (name.is_empty(), email.is_empty()) {
        (false, false) => format!("{name} <{email}>"),
        (false, true) => name,
        (true, false) => email,
        (true, true) => std::env::var("USER").unwrap_or_else(|_| "unknown".to_string()),
    }
}

fn read_stdin() -> Result<String, run::HookRunError> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| run::HookRunError::PushInput(e.to_string()))?;
    Ok(text)
}

/// The pre-commit framework reads git's pre-push lines itself and hands its hooks the first
/// ref to check in its environment instead: that ref as git's line, when stdin is empty.
fn from_pre_commit_framework(repo: &Repo, stdin: String) -> String {
    if !stdin.trim().is_empty() {
        return stdin;
    }
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(local), Some(remote)) = (
        var("PRE_COMMIT_LOCAL_BRANCH"),
        var("PRE_COMMIT_REMOTE_BRANCH"),
    ) else {
        return stdin;
    };
    let zero = git2::Oid::zero().to_string();
    // Without `PRE_COMMIT_TO_REF` the whole branch is new, down to its root commit.
    let to = var("PRE_COMMIT_TO_REF").or_else(|| {
        repo.git()
            .revparse_single(&local)
            .ok()
            .map(|object| object.id().to_string())
    });
    let Some(to) = to else {
        return stdin;
    };
    let from = var("PRE_COMMIT_FROM_REF").unwrap_or(zero);
    format!("{local} {to} {remote} {from}\n")
}

/// What prepare-commit-msg (and pre-commit, which plans for it) reads from the agent's
/// environment, and git's source argument.
fn prepare_input(args: &[std::ffi::OsString]) -> prepare::Prepare {
    prepare::Prepare {
        source: args
            .get(1)
            .map(|s| s.to_string_lossy().into_owned())
            // pre-commit (the framework) passes the source in its environment.
            .or_else(|| std::env::var("PRE_COMMIT_COMMIT_MSG_SOURCE").ok())
            .filter(|s| !s.is_empty()),
        reused: args
            .get(2)
            .map(|s| s.to_string_lossy().into_owned())
            .or_else(|| std::env::var("PRE_COMMIT_COMMIT_OBJECT_NAME").ok())
            .filter(|s| !s.is_empty()),
        ..prepare::Prepare::from_agent_env()
    }
}
