//! `agentguard rollback <rev> --reason …`: reverts an agent commit with a commit of its own,
//! made by `git commit` so the installed hooks judge it like any other, and records the
//! rollback and its reason in the ledger. The revert is tried in memory first: one that
//! would conflict is refused before the work tree is touched.

use crate::cli::RollbackArgs;
use crate::error::Error;
use crate::ledger::{Entry, LineVerdict, RollbackRecord};
use crate::output::Output;
use crate::repo::Repo;
use crate::task::AgentTrailers;
use crate::Verdict;
use std::process::{Command, Stdio};

/// Where the revert's message is kept while `git commit` runs (and after, if it is refused).
const MESSAGE_FILE: &str = "AGENTGUARD_ROLLBACK_MSG";

pub(crate) fn run(repo: &Repo, args: &RollbackArgs, out: &Output) -> Result<Verdict, Error> {
    let started = std::time::Instant::now();
    let git = repo.git();
    let commit = repo.resolve_commit(&args.rev)?;
    let short = repo.short(commit.id());
    let refuse = |reason: String| Error::Rollback {
        commit: short.clone(),
        reason,
    };
    if commit.parent_count() > 1 {
        return Err(refuse(
            "it is a merge; revert it with `git revert -m 1` and say which parent stays".into(),
        ));
    }
    let workdir = git
        .workdir()
        .ok_or_else(|| refuse("the repository has no work tree".into()))?
        .to_path_buf();
    if git.state() != git2::RepositoryState::Clean {
        return Err(refuse(
            "a merge, revert, cherry-pick or rebase is in progress; finish or abort it first"
                .into(),
        ));
    }
    let head = repo
        .head_commit()?
        .ok_or_else(|| refuse("HEAD has no commit".into()))?;
    if repo.staged_tree()? != head.tree_id() {
        return Err(refuse(
            "changes are staged; commit or unstage them first, so the revert commit holds only the revert"
                .into(),
        ));
    }
    let index = git
        .revert_commit(&commit, &head, 0, None)
        .map_err(crate::engine::EngineError::from)?;
    if index.has_conflicts() {
        let mut paths: Vec<String> = index
            .conflicts()
            .map_err(crate::engine::EngineError::from)?
            .flatten()
            .filter_map(|c| c.our.or(c.their).or(c.ancestor))
            .map(|e| String::from_utf8_lossy(&e.path).into_owned())
            .collect();
        paths.sort();
        paths.dedup();
        return Err(refuse(format!(
            "its revert conflicts with HEAD in {}; nothing was changed",
            paths.join(", ")
        )));
    }

    let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
    let trailers =
        AgentTrailers::from_trailers(&crate::trailers::parse(&message, &repo.comment_string()));
    let reason = args.reason.as_deref().map(str::trim).unwrap_or_default();
    let text = revert_message(
        commit.summary().unwrap_or_default(),
        &commit.id().to_string(),
        reason,
        trailers.tasks.last().map(String::as_str),
    );
    let message_path = git.path().join(MESSAGE_FILE);
    std::fs::write(&message_path, &text).map_err(|source| Error::Output {
        path: message_path.clone(),
        source,
    })?;

    let git_run = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(&workdir)
            .stdin(Stdio::null())
            .status()
    };
    let reverted = git_run(&["revert", "--no-commit", &commit.id().to_string()])
        .map_err(|e| refuse(format!("cannot run git: {e}")))?;
    if !reverted.success() {
        return Err(refuse(
            "`git revert --no-commit` failed (its message is above); nothing was committed".into(),
        ));
    }
    let message_arg = message_path.to_string_lossy().into_owned();
    let committed = git_run(&["commit", "-q", "-F", &message_arg])
        .map_err(|e| refuse(format!("cannot run git: {e}")))?;
    if !committed.success() {
        return Err(refuse(format!(
            "the revert is staged, but `git commit` was refused (the hooks say why, above); \
             fix it and commit with `git commit -F {message_arg}`, or undo it with `git revert \
             --abort`"
        )));
    }
    let _ = std::fs::remove_file(&message_path);
    let revert = repo
        .head_commit()?
        .map(|c| c.id())
        .ok_or_else(|| refuse("HEAD has no commit after the revert".into()))?;

    let entry = Entry {
        commit: Some(commit.id().to_string()),
        agent_work: trailers.has_task_trailer() || !trailers.names.is_empty(),
        task: trailers.tasks.last().cloned(),
        agent: trailers.names.last().cloned(),
        branch: repo.current_branch(),
        verdict: LineVerdict::Rollback,
        rollback: Some(RollbackRecord {
            revert: revert.to_string(),
            reason: reason.to_string(),
            who: super::hook::who(repo),
        }),
        ..Entry::new("rollback")
    }
    .took(started.elapsed());
    super::append_to_ledger(repo, out, &entry);
    out.stdout(&format!(
        "rolled back {short} with {}{}\n",
        repo.short(revert),
        if reason.is_empty() {
            String::new()
        } else {
            format!(": {reason}")
        }
    ))?;
    Ok(Verdict::Pass)
}

/// git's own revert message, the reason, and the trailers: the original's task (an agent
/// branch requires one) and the link to the original.
fn revert_message(subject: &str, sha: &str, reason: &str, task: Option<&str>) -> String {
    let mut text = format!("Revert \"{subject}\"\n\nThis reverts commit {sha}.\n");
    if !reason.is_empty() {
        text.push_str(&format!("\nReason: {reason}\n"));
    }
    text.push('\n');
    if let Some(task) = task {
        text.push_str(&format!("Agent-Task: {task}\n"));
    }
    text.push_str(&format!("Agent-Rollback-Of: {sha}\n"));
    text
}

#[cfg(test)]
mod tests {
    use super::revert_message;

    #[test]
    fn the_message_links_the_original_and_keeps_its_task() {
        let text = revert_message("Add cache", "abc", "breaks login", Some("T-1"));
        assert_eq!(
            text,
            "Revert \"Add cache\"\n\nThis reverts commit abc.\n\nReason: breaks login\n\n\
             Agent-Task: T-1\nAgent-Rollback-Of: abc\n"
        );
        let text = revert_message("x", "abc", "", None);
        assert!(text.ends_with("This reverts commit abc.\n\nAgent-Rollback-Of: abc\n"));
    }
}
