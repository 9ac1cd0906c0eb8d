//! The change being judged: what a commit adds over its first parent (or the index over HEAD),
//! as a list of entries, and its fingerprint.

mod cache_tree;
mod change;
pub(crate) mod fsck;
pub(crate) mod gitmodules;
mod lines;
pub(crate) mod raw;
mod submodules;
mod walk;

pub(crate) use change::{display_path, hex, Symlink, MODE_GITLINK};
pub use change::{fingerprint, Change, Entry, Side, Status};
pub(crate) use lines::ReadAdditions;
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

    /// The staged entries over `head`'s tree as git lists them (`Repo::staged_raw_diff`),
    /// without writing the index as a tree: enough to read what the change adds. Its tree is
    /// the zero id. Where `git commit` has already written the staged tree (the index's cache
    /// tree, see `cache_tree`), the two trees are compared instead, which is cheaper.
    pub fn of_staged_entries(
        repo: &Repo,
        head: Option<&git2::Commit<'_>>,
    ) -> Result<Self, DiffError> {
        if let Some(staged) = repo
            .index_bytes()
            .as_deref()
            .and_then(cache_tree::root)
            .filter(|tree| repo.git().find_tree(*tree).is_ok())
        {
            let mut change = Self::between(repo, head.map(git2::Commit::tree_id), staged)?;
            change.tree = Oid::zero();
            return Ok(change);
        }
        let raw = repo.staged_raw_diff(head.map(git2::Commit::tree_id))?;
        let entries = parse_raw(&raw).ok_or_else(|| {
            DiffError::Repo(RepoError::DiffIndex {
                reason: "unexpected output".to_string(),
            })
        })?;
        // Read for a human change's credentials alone: tree problems and submodules are
        // judged on agent work, from a real tree.
        Ok(Self {
            tree: Oid::zero(),
            fingerprint: fingerprint(&entries),
            entries,
            malformed: Vec::new(),
            submodules: Vec::new(),
        })
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

/// Entries of `git diff --raw -z --no-renames` output: `:mode mode oid oid status\0path\0`.
fn parse_raw(raw: &[u8]) -> Option<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut fields = raw.split(|&b| b == 0);
    while let Some(head) = fields.next() {
        if head.is_empty() {
            continue;
        }
        let head = std::str::from_utf8(head.strip_prefix(b":")?).ok()?;
        let path = fields.next()?.to_vec();
        let parts: Vec<&str> = head.split(' ').collect();
        let [old_mode, new_mode, old_oid, new_oid, status] = parts[..] else {
            return None;
        };
        let mode = |m: &str| u32::from_str_radix(m, 8).ok();
        let oid = |o: &str| Oid::from_str(o).ok();
        let side = |mode: u32, oid: Oid| Side {
            path: path.clone(),
            mode,
            oid,
        };
        let (old_mode, new_mode) = (mode(old_mode)?, mode(new_mode)?);
        let (old_oid, new_oid) = (oid(old_oid)?, oid(new_oid)?);
        let status = match status.as_bytes().first()? {
            b'A' => Status::Added,
            b'D' => Status::Deleted,
            b'M' => Status::Modified,
            b'T' => Status::TypeChanged,
            // Unmerged paths have no staged content to read.
            b'U' => continue,
            _ => return None,
        };
        // An intent-to-add path has no staged content yet.
        if status != Status::Deleted && new_oid.is_zero() {
            continue;
        }
        entries.push(Entry {
            status,
            old: (status != Status::Added).then(|| side(old_mode, old_oid)),
            new: (status != Status::Deleted).then(|| side(new_mode, new_oid)),
            symlink: None,
        });
    }
    Some(entries)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_diff_entries() {
        let a = "1".repeat(40);
        let b = "2".repeat(40);
        let z = "0".repeat(40);
        let raw = format!(
            ":000000 100644 {z} {a} A\0new file.txt\0:100644 100644 {a} {b} M\0src/a.rs\0\
             :100644 000000 {a} {z} D\0gone\0:000000 100644 {z} {z} A\0ita.txt\0"
        );
        let entries = parse_raw(raw.as_bytes()).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].status, Status::Added);
        assert_eq!(entries[0].new.as_ref().unwrap().path, b"new file.txt");
        assert!(entries[0].old.is_none());
        assert_eq!(entries[1].status, Status::Modified);
        assert_eq!(entries[1].old.as_ref().unwrap().oid.to_string(), a);
        assert!(entries[2].new.is_none());
        assert!(parse_raw(b":bad\0x\0").is_none());
    }
}
