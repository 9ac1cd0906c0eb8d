//! pre-push: every agent commit the remote lacks must carry passing evidence and its
//! approvals before it leaves this machine, and its notes leave with it.

use super::run::{HookRun, HookRunError};
use crate::engine::{self, CheckRequest, EngineError, Gate, Target};
use crate::repo::{Repo, RepoError};
use crate::sync::{self, NotesRefs};
use git2::Oid;

/// One line git writes on pre-push's stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PushedRef {
    pub local_ref: String,
    pub local: Oid,
    pub remote_ref: String,
    pub remote: Oid,
}

/// Parses `<local ref> <local sha> <remote ref> <remote sha>` lines; anything else is an error
/// (the hook fails closed rather than push unjudged commits).
pub(crate) fn parse(stdin: &str) -> Result<Vec<PushedRef>, HookRunError> {
    stdin
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let [local_ref, local, remote_ref, remote] = words.as_slice() else {
                return Err(HookRunError::PushInput(format!(
                    "expected four words, got `{line}`"
                )));
            };
            let oid = |text: &str| {
                Oid::from_str(text)
                    .map_err(|_| HookRunError::PushInput(format!("`{text}` is not an object id")))
            };
            Ok(PushedRef {
                local_ref: local_ref.to_string(),
                local: oid(local)?,
                remote_ref: remote_ref.to_string(),
                remote: oid(remote)?,
            })
        })
        .collect()
}

/// Judges the commits each pushed ref would add to `remote`. Acceptance is not re-run here:
/// the evidence recorded at commit time speaks for it, and the CI gate runs it fresh. When
/// agent commits go, their evidence and approval notes go too, merged with the remote's; if
/// they cannot, the push is stopped.
pub(crate) fn pre_push(repo: &Repo, remote: &str, stdin: &str) -> Result<HookRun, HookRunError> {
    let mut run = HookRun::default();
    let mut seen = std::collections::HashSet::new();
    // The branch the work is headed for: the remote's default branch as last fetched.
    let default_branch = repo
        .resolve_commit(&format!("refs/remotes/{remote}/HEAD"))
        .ok()
        .map(|c| c.id());
    let mut requests = Vec::new();
    let named_remote = repo.git().find_remote(remote).is_ok();
    for pushed in parse(stdin)? {
        if pushed.local.is_zero() {
            continue; // deleting a remote branch adds nothing
        }
        // Notes carry no change; agentguard pushes its own once the commits are judged.
        if pushed.local_ref.starts_with("refs/notes/")
            || pushed.remote_ref.starts_with("refs/notes/")
        {
            continue;
        }
        // A tag of a tree or blob carries no commit to judge.
        let Some(local) = repo.peel_to_commit(pushed.local) else {
            continue;
        };
        let known_remote =
            (!pushed.remote.is_zero() && repo.has_commit(pushed.remote)).then_some(pushed.remote);
        let destination = pushed
            .remote_ref
            .strip_prefix("refs/heads/")
            .map(str::to_string);
        let commits = new_commits(
            repo,
            remote,
            named_remote,
            local,
            known_remote,
            destination.as_deref(),
        )?;
        let policy_base = push_base(repo, &commits, known_remote, local);
        // Every commit pushed for a branch is judged as being on that branch.
        let mut branches: Vec<String> = [&pushed.local_ref, &pushed.remote_ref]
            .iter()
            .filter_map(|r| r.strip_prefix("refs/heads/"))
            .map(str::to_string)
            .collect();
        branches.dedup();
        for commit in commits {
            if !seen.insert(commit) {
                continue;
            }
            // Where git ran no post-commit (a person's branch), what commit-msg left pending
            // for this commit is attached now, before it is judged.
            let found = repo.git().find_commit(commit).map_err(RepoError::from)?;
            run.notes.extend(super::run::attach_pending(repo, &found)?);
            let request = CheckRequest {
                run_acceptance: false,
                require_evidence: true,
                policy_base,
                // The target's rules as they are now narrow those the work began under.
                policy_tip: default_branch.or(known_remote),
                branches: Some(branches.clone()),
                gate: Gate::Push {
                    branch: destination.clone(),
                },
                // Pushed from an agent's environment: what carries no trailer (a cherry-pick,
                // `git am`, a merge concluded there) is the agent's all the same.
                presume_agent: super::prepare::presumed_by_env(),
                ..CheckRequest::new(Target::Rev(commit.to_string()))
            };
            requests.push(request);
            run.branches
                .push(destination.clone().or_else(|| branches.first().cloned()));
        }
    }
    run.reports = judge(repo, &requests)?;
    // Evidence and approvals made in other clones (a lead's approval, the evidence of a branch
    // merged here) may be on the remote only: fetched and merged, the commits are judged again.
    if !run.verdict().passed() && needs_notes(&run) {
        match fetch_notes(repo, remote, &run) {
            Ok(()) => run.reports = judge(repo, &requests)?,
            Err(e) => run.notes.push(format!(
                "cannot fetch the evidence and approvals on {remote}, judged with this clone's: {e}"
            )),
        }
    }
    if !run.verdict().passed() {
        return Ok(run);
    }
    for refs in notes_refs_of(&run) {
        let report =
            sync::sync(repo, remote, &refs, true).map_err(|source| HookRunError::Notes {
                remote: remote.to_string(),
                source,
            })?;
        let pushed: Vec<&str> = report
            .refs
            .iter()
            .filter(|r| r.pushed)
            .map(|r| r.local_ref.as_str())
            .collect();
        run.notes.push(if pushed.is_empty() {
            format!("{remote} already has the evidence and approvals")
        } else {
            format!("notes pushed to {remote}: {}", pushed.join(", "))
        });
    }
    for report in &run.reports {
        let mut due: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.deferred)
            .map(|f| f.category.as_str())
            .collect();
        due.sort_unstable();
        due.dedup();
        if let (false, Some(commit)) = (due.is_empty(), &report.abbrev) {
            run.notes.push(format!(
                "{commit} awaits approval before merge: a reviewer signs off in their clone with `agentguard approve {commit} --category {}`, then `agentguard sync`",
                due.join(",")
            ));
        }
    }
    Ok(run)
}

fn judge(
    repo: &Repo,
    requests: &[CheckRequest],
) -> Result<Vec<engine::CommitReport>, HookRunError> {
    engine::check_all(repo, requests)
        .into_iter()
        .map(|(result, _)| result.map_err(HookRunError::from))
        .collect()
}

/// The commits a push adds to what it pushes to. Whatever the remote already has is not new:
/// the pushed ref's own tip, and, for a push to an agent branch, every remote-tracking branch
/// (main's commits merged or rebased into it). A push to any other branch is a merge: the
/// commits that are on the remote's agent branches only are new to it, and judged.
fn new_commits(
    repo: &Repo,
    remote: &str,
    named_remote: bool,
    local: Oid,
    known_remote: Option<Oid>,
    destination: Option<&str>,
) -> Result<Vec<Oid>, HookRunError> {
    let mut hide: Vec<Oid> = known_remote.into_iter().collect();
    if !named_remote {
        return Ok(repo.commits_not_in(local, &hide, None)?);
    }
    let rules = branch_rules(repo, remote, known_remote)?;
    let is_agent = |name: &str| rules.first_match(name.as_bytes()).is_some();
    if destination.is_none_or(is_agent) {
        let all = format!("refs/remotes/{remote}/*");
        return Ok(repo.commits_not_in(local, &hide, Some(&all))?);
    }
    let prefix = format!("refs/remotes/{remote}/");
    if let Ok(refs) = repo.git().references_glob(&format!("{prefix}*")) {
        for reference in refs.flatten() {
            let Some(name) = reference.name().and_then(|n| n.strip_prefix(&prefix)) else {
                continue;
            };
            if is_agent(name) {
                continue;
            }
            if let Ok(target) = reference.peel_to_commit() {
                hide.push(target.id());
            }
        }
    }
    Ok(repo.commits_not_in(local, &hide, None)?)
}

/// The `[agent] branches` that tell agent branches from others: of the pushed branch's tip on
/// the remote, else of the remote's default branch, else of HEAD.
fn branch_rules(
    repo: &Repo,
    remote: &str,
    known_remote: Option<Oid>,
) -> Result<crate::glob::GlobList, HookRunError> {
    let default = repo
        .git()
        .refname_to_id(&format!("refs/remotes/{remote}/HEAD"))
        .ok();
    let at = match known_remote.or(default) {
        Some(oid) => Some(
            repo.git()
                .find_commit(oid)
                .map_err(crate::repo::RepoError::from)?,
        ),
        None => repo.head_commit()?,
    };
    let policy = crate::policy::Policy::for_base(repo, at.as_ref()).map_err(EngineError::from)?;
    Ok(policy.agent.branches)
}

/// Whether an agent commit is held back by its evidence or an approval, which the remote may
/// have.
fn needs_notes(run: &HookRun) -> bool {
    run.reports.iter().any(|r| {
        r.agent
            && r.findings.iter().any(|f| {
                f.blocks() && (f.kind == crate::finding::Kind::Evidence || f.awaits_approval())
            })
    })
}

/// The notes refs of the agent commits judged.
fn notes_refs_of(run: &HookRun) -> Vec<NotesRefs> {
    let mut names: Vec<&str> = run
        .reports
        .iter()
        .filter(|r| r.agent)
        .map(|r| r.notes_ref.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    names.into_iter().map(NotesRefs::new).collect()
}

fn fetch_notes(repo: &Repo, remote: &str, run: &HookRun) -> Result<(), sync::SyncError> {
    for refs in notes_refs_of(run) {
        sync::sync(repo, remote, &refs, false)?;
    }
    Ok(())
}

/// Where the pushed commits' policy is read: where they leave what the remote already has
/// (the parent of the oldest new commit: after a rebase, the branch it was rebased onto), so
/// no pushed commit can loosen the rules for a later one. Without one (nothing new, or a root
/// commit), the merge base with the remote's tip, as before.
fn push_base(repo: &Repo, commits: &[Oid], remote_tip: Option<Oid>, local: Oid) -> Option<Oid> {
    let boundary = commits.first().and_then(|oldest| {
        let parent = repo.git().find_commit(*oldest).ok()?.parent_id(0).ok()?;
        (!commits.contains(&parent)).then_some(parent)
    });
    boundary.or_else(|| remote_tip.map(|r| repo.merge_base(r, local).unwrap_or(r)))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_gits_lines_and_refuses_anything_else() {
        let zero = "0".repeat(40);
        let sha = "a".repeat(40);
        let lines = format!("refs/heads/x {sha} refs/heads/x {zero}\n\n");
        let parsed = parse(&lines).unwrap();
        assert_eq!(parsed.len(), 1);
        assert!(parsed[0].remote.is_zero());
        assert!(parse("refs/heads/x abc").is_err());
        assert!(parse(&format!("a {sha} b nothex")).is_err());
    }
}
