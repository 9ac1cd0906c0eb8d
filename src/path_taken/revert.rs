//! The way back, tried in memory: whether `git revert <commit>` applies cleanly to the target
//! branch with the change merged in. Trees are merged with git2 and nothing else is touched:
//! not the work tree, not the index, not a ref (merged trees are written as loose objects,
//! which nothing references).

use super::PathTakenError;
use crate::engine::CommitReport;
use crate::evidence::path_taken::NoteRollback;
use crate::repo::Repo;
use git2::{BranchType, Oid};
use std::sync::{Arc, OnceLock};

/// Conflicting paths named in a note.
const CONFLICTS_KEPT: usize = 20;

/// Where a revert is tried.
#[derive(Debug, Clone)]
pub struct RollbackTarget {
    /// How the user names it: `origin/main`.
    pub name: String,
    pub commit: Oid,
    /// The tip whose merge into the target the revert is tried on (`verify`: the range's
    /// tip); `None`: the judged change itself.
    pub tip: Option<Oid>,
    /// The target with the tip merged in, made once for every commit of a range.
    merged: Arc<OnceLock<Result<Oid, String>>>,
}

impl RollbackTarget {
    /// `verify`'s target: the side a range excludes, named as the range names it.
    pub(crate) fn of_range(text: &str, exclude: Oid, tip: Oid) -> Self {
        let name = text
            .split("..")
            .next()
            .map(str::trim)
            .filter(|n| !n.is_empty() && text.contains(".."))
            .map_or_else(|| exclude.to_string()[..10].to_string(), str::to_string);
        Self {
            name,
            commit: exclude,
            tip: Some(tip),
            merged: Arc::default(),
        }
    }
}

/// The branch a local change will be merged into: the remote's default branch
/// (`origin/HEAD`), else a local `main` or `master` other than the current branch.
pub(crate) fn local_target(repo: &Repo) -> Option<RollbackTarget> {
    let git = repo.git();
    if let Ok(reference) = git.find_reference("refs/remotes/origin/HEAD") {
        if let Ok(resolved) = reference.resolve() {
            if let (Some(name), Ok(commit)) = (resolved.shorthand(), resolved.peel_to_commit()) {
                return Some(RollbackTarget {
                    name: name.to_string(),
                    commit: commit.id(),
                    tip: None,
                    merged: Arc::default(),
                });
            }
        }
    }
    let current = repo.current_branch();
    ["main", "master"]
        .into_iter()
        .filter(|name| current.as_deref() != Some(*name))
        .find_map(|name| {
            let branch = git.find_branch(name, BranchType::Local).ok()?;
            let commit = branch.get().peel_to_commit().ok()?;
            Some(RollbackTarget {
                name: name.to_string(),
                commit: commit.id(),
                tip: None,
                merged: Arc::default(),
            })
        })
}

/// Tries the revert of the judged change on `target` (with the change merged in), or where no
/// target is known on the change's own tree.
pub(crate) fn check(
    repo: &Repo,
    report: &CommitReport,
    target: Option<&RollbackTarget>,
) -> Result<NoteRollback, PathTakenError> {
    let git = repo.git();
    let command = match report.commit {
        Some(commit) => {
            let merge = git.find_commit(commit).is_ok_and(|c| c.parent_count() > 1);
            format!("git revert {}{commit}", if merge { "-m 1 " } else { "" })
        }
        None => String::new(),
    };
    let mut rollback = NoteRollback {
        command,
        checked: crate::evidence::now_rfc3339(),
        ..NoteRollback::default()
    };
    let changed = git.find_tree(report.tree)?;
    let parent = match report.base {
        Some(base) => git.find_commit(base)?.tree()?,
        None => git.find_tree(empty_tree(git)?)?,
    };
    let Some(target) = target else {
        // Reverting a change on top of itself always applies; said, not claimed as more.
        rollback.target = "its own branch (no target branch known)".to_string();
        if let Some(base) = report.base {
            rollback.target_commit = base.to_string();
        }
        rollback.applies = "clean".to_string();
        return Ok(rollback);
    };
    rollback.target.clone_from(&target.name);
    rollback.target_commit = target.commit.to_string();
    let merged = match merged_into_target(repo, report, target)? {
        Ok(tree) => tree,
        Err(reason) => {
            rollback.applies = "unknown".to_string();
            rollback.reason = reason;
            return Ok(rollback);
        }
    };
    let ours = git.find_tree(merged)?;
    let index = git.merge_trees(&changed, &ours, &parent, None)?;
    if index.has_conflicts() {
        rollback.applies = "conflicts".to_string();
        let mut paths: Vec<String> = index
            .conflicts()?
            .flatten()
            .filter_map(|c| c.our.or(c.their).or(c.ancestor))
            .map(|e| String::from_utf8_lossy(&e.path).into_owned())
            .collect();
        paths.sort();
        paths.dedup();
        paths.truncate(CONFLICTS_KEPT);
        rollback.conflicts = paths;
    } else {
        rollback.applies = "clean".to_string();
    }
    Ok(rollback)
}

/// The tree of the target with the change (or the range's tip) merged in; the reason when
/// there is no such tree. A range's is made once and shared by its commits.
fn merged_into_target(
    repo: &Repo,
    report: &CommitReport,
    target: &RollbackTarget,
) -> Result<Result<Oid, String>, PathTakenError> {
    if target.tip.is_none() {
        return merge_into_target(repo, report, target);
    }
    if let Some(merged) = target.merged.get() {
        return Ok(merged.clone());
    }
    let merged = merge_into_target(repo, report, target)?;
    let _ = target.merged.set(merged.clone());
    Ok(merged)
}

fn merge_into_target(
    repo: &Repo,
    report: &CommitReport,
    target: &RollbackTarget,
) -> Result<Result<Oid, String>, PathTakenError> {
    let git = repo.git();
    // The commit whose history joins the target's, and the tree at the tip of it.
    let (joins, tip_tree) = match (target.tip, report.commit, report.base) {
        (Some(tip), _, _) => (Some(tip), git.find_commit(tip)?.tree_id()),
        (None, Some(commit), _) => (Some(commit), report.tree),
        (None, None, base) => (base, report.tree),
    };
    let Some(joins) = joins else {
        return Ok(Err(format!(
            "the change has no history in common with {}",
            target.name
        )));
    };
    let Ok(base) = git.merge_base(target.commit, joins) else {
        return Ok(Err(format!(
            "the change has no history in common with {}",
            target.name
        )));
    };
    if base == target.commit {
        return Ok(Ok(tip_tree));
    }
    let target_tree = git.find_commit(target.commit)?.tree()?;
    if base == joins && git.find_commit(joins)?.tree_id() == tip_tree {
        // The target already contains the change (verified after the merge).
        return Ok(Ok(target_tree.id()));
    }
    let ancestor = git.find_commit(base)?.tree()?;
    let tip = git.find_tree(tip_tree)?;
    let mut index = git.merge_trees(&ancestor, &target_tree, &tip, None)?;
    if index.has_conflicts() {
        return Ok(Err(format!(
            "the change does not merge cleanly into {}, so its revert cannot be tried there",
            target.name
        )));
    }
    Ok(Ok(index.write_tree_to(git)?))
}

fn empty_tree(git: &git2::Repository) -> Result<Oid, git2::Error> {
    git.treebuilder(None)?.write()
}
