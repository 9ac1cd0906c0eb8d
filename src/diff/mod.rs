//! The change being judged: what a commit adds over its first parent (or the index over HEAD),
//! as a list of entries, and its fingerprint.

mod change;
pub(crate) mod fsck;
pub(crate) mod gitmodules;
mod lines;
pub(crate) mod raw;
mod submodules;
mod walk;

pub(crate) use change::{display_path, hex, Symlink, MODE_GITLINK};
pub use change::{fingerprint, Change, Entry, Side, Status};
pub use lines::{AddedLine, FileAdditions};
pub use submodules::{SubmoduleChange, SubmoduleEdit};
pub use walk::TreeProblem;

use crate::repo::{Repo, RepoError};
use git2::Oid;

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(
        "the index has unresolved merge conflicts; resolve them before checking the staged change"
    )]
    ConflictedIndex,
    #[error("git error while computing the change: {}", .0.message())]
    Git(#[from] git2::Error),
}

impl DiffError {
    /// What the user can do next.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            DiffError::Repo(e) => e.hint(),
            DiffError::ConflictedIndex => {
                Some("resolve the conflicts and `git add` the files, then check again")
            }
            DiffError::Git(_) => None,
        }
    }
}

impl Change {
    /// The change a commit makes over its first parent `base`; a root commit over the empty
    /// tree; a merge over the clean merge of its parents.
    pub fn of_commit(
        repo: &Repo,
        commit: &git2::Commit<'_>,
        base: Option<&git2::Commit<'_>>,
    ) -> Result<Self, DiffError> {
        let old_tree: Option<Oid> = match commit.parent_count() {
            0 => None,
            1 => base.map(git2::Commit::tree_id),
            _ => {
                let parents: Vec<Oid> = commit.parent_ids().collect();
                Some(merged_parents_tree(repo, commit.id(), &parents)?)
            }
        };
        Self::between(repo, old_tree, commit.tree_id())
    }

    /// The staged tree (see `Repo::staged_tree`) over HEAD's tree; while a merge is being
    /// concluded (`merge_heads` from `MERGE_HEAD`), over the clean merge of HEAD and them, as
    /// the merge commit will be judged.
    pub fn of_index(
        repo: &Repo,
        head: Option<&git2::Commit<'_>>,
        staged_tree: Oid,
        merge_heads: &[Oid],
    ) -> Result<Self, DiffError> {
        let old_tree = match head {
            Some(head) if !merge_heads.is_empty() => {
                let mut parents = vec![head.id()];
                parents.extend_from_slice(merge_heads);
                Some(merged_parents_tree(repo, head.id(), &parents)?)
            }
            _ => head.map(git2::Commit::tree_id),
        };
        Self::between(repo, old_tree, staged_tree)
    }

    fn between(repo: &Repo, old_tree: Option<Oid>, tree: Oid) -> Result<Self, DiffError> {
        let walked = walk::diff_trees(repo, old_tree, tree)?;
        Ok(Self {
            tree,
            fingerprint: fingerprint(&walked.entries),
            entries: walked.entries,
            malformed: walked.malformed,
            submodules: walked.submodules,
        })
    }
}

/// The tree a clean merge of a merge commit's parents would give; conflicted paths keep the
/// first parent's side, so whatever the merge commit resolved them to counts as its change.
/// Octopus merges fold parent by parent onto the first.
/// The tree a clean merge of `parent_ids` gives (`commit` names the merge, for errors).
fn merged_parents_tree(repo: &Repo, commit: Oid, parent_ids: &[Oid]) -> Result<Oid, DiffError> {
    use std::os::unix::ffi::OsStrExt;
    let git = repo.git();
    let mut parents = Vec::new();
    for id in parent_ids {
        parents.push(git.find_commit(*id).map_err(|_| RepoError::MissingParent {
            commit: commit.to_string(),
            parent: id.to_string(),
        })?);
    }
    let first = &parents[0];
    let mut tree = first.tree()?;
    for other in &parents[1..] {
        let ancestor = match git.merge_base(first.id(), other.id()) {
            Ok(base) => git.find_commit(base)?.tree()?,
            Err(_) => git.find_tree(git.treebuilder(None)?.write()?)?,
        };
        let mut index = git.merge_trees(&ancestor, &tree, &other.tree()?, None)?;
        if index.has_conflicts() {
            let conflicts: Vec<_> = index.conflicts()?.collect::<Result<_, _>>()?;
            for conflict in conflicts {
                let Some(path) = [&conflict.our, &conflict.their, &conflict.ancestor]
                    .into_iter()
                    .flatten()
                    .map(|e| e.path.clone())
                    .next()
                else {
                    continue;
                };
                // No side stands as merged: whatever the merge commit has at a conflicted path
                // is its own doing (a resolution that keeps one side drops the other's change),
                // so the whole file is judged as added by the merge.
                index.conflict_remove(std::path::Path::new(std::ffi::OsStr::from_bytes(&path)))?;
            }
        }
        tree = git.find_tree(index.write_tree_to(git)?)?;
    }
    Ok(tree.id())
}
