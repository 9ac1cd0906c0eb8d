//! The change being judged: what a commit adds over its first parent (or the index over HEAD),
//! as a list of entries, and its fingerprint.

mod change;
mod walk;

pub use change::{
    display_path, fingerprint, hex, Change, Entry, Side, Status, Symlink, MODE_GITLINK,
    MODE_SYMLINK, MODE_TREE,
};

use crate::repo::{Repo, RepoError};
use git2::{DiffOptions, Oid};

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

/// Lines a change adds to one file, for content rules.
#[derive(Debug, Clone)]
pub struct FileAdditions {
    pub path: String,
    /// Binary by content sniffing. A binary file's "lines" are the printable strings it gains
    /// (numbered in order, not by line), so a key cannot hide behind one NUL byte.
    pub binary: bool,
    pub lines: Vec<AddedLine>,
}

#[derive(Debug, Clone)]
pub struct AddedLine {
    pub number: u32,
    pub text: String,
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
        let git = repo.git();
        let old = old_tree.map(|t| git.find_tree(t)).transpose()?;
        let new = git.find_tree(tree)?;
        let entries = walk::diff_trees(repo, old.as_ref(), &new)?;
        Ok(Self {
            tree,
            fingerprint: fingerprint(&entries),
            entries,
        })
    }

    /// The lines each text file gains, with their line numbers in the new file.
    pub fn added_lines(&self, repo: &Repo) -> Result<Vec<FileAdditions>, DiffError> {
        self.additions(repo).collect()
    }

    /// `added_lines` one file at a time, in entry order, read as the iterator is advanced: a
    /// large change is never held whole.
    pub fn additions<'c>(
        &'c self,
        repo: &'c Repo,
    ) -> impl Iterator<Item = Result<FileAdditions, DiffError>> + 'c {
        self.entries
            .iter()
            .filter_map(move |entry| file_additions(repo, entry).transpose())
    }
}

/// The lines the new side of `entry` gains; `None` for deletions, symlinks and submodules.
fn file_additions(repo: &Repo, entry: &Entry) -> Result<Option<FileAdditions>, DiffError> {
    let Some(new) = &entry.new else {
        return Ok(None);
    };
    if new.is_symlink() || new.is_submodule() {
        return Ok(None);
    }
    let new_blob = repo.blob(new.oid)?;
    let path = new.display_path();
    let old_blob = match &entry.old {
        Some(old) if !old.is_symlink() && !old.is_submodule() => Some(repo.blob(old.oid)?),
        _ => None,
    };
    if is_binary(&new_blob) {
        return Ok(Some(FileAdditions {
            path,
            binary: true,
            lines: new_strings(old_blob.as_ref(), &new_blob),
        }));
    }
    let old_blob = match old_blob {
        Some(old) if !is_binary(&old) => Some(old),
        _ => None,
    };
    let lines = match old_blob {
        None => String::from_utf8_lossy(new_blob.content())
            .lines()
            .enumerate()
            .map(|(i, text)| AddedLine {
                number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                text: text.to_string(),
            })
            .collect(),
        Some(old_blob) => added_between(&old_blob, &new_blob)?,
    };
    Ok(Some(FileAdditions {
        path,
        binary: false,
        lines,
    }))
}

/// Binary by git's sniffing (a NUL in the first 8000 bytes), unless the content is valid
/// UTF-8 or text but for a few stray control bytes: padding a script with NULs must not
/// switch its content rules off.
fn is_binary(blob: &git2::Blob<'_>) -> bool {
    if !blob.is_binary() {
        return false;
    }
    let content = blob.content();
    // Valid UTF-8 is text, however many control bytes it carries.
    if std::str::from_utf8(content).is_ok() {
        return false;
    }
    let controls = content
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    controls * 100 > content.len()
}

/// Printable runs this long or longer count as strings of a binary file (as `strings` does,
/// with a bar high enough that chance bytes rarely form one).
const MIN_BINARY_STRING: usize = 8;

/// The printable strings of `new` that `old` does not have.
fn new_strings(old: Option<&git2::Blob<'_>>, new: &git2::Blob<'_>) -> Vec<AddedLine> {
    let before: std::collections::HashSet<&str> = old
        .map(|b| printable_runs(b.content()).collect())
        .unwrap_or_default();
    printable_runs(new.content())
        .filter(|run| !before.contains(run))
        .enumerate()
        .map(|(i, text)| AddedLine {
            number: u32::try_from(i + 1).unwrap_or(u32::MAX),
            text: text.to_string(),
        })
        .collect()
}

/// Runs of printable ASCII (and tabs), split at line breaks like text.
fn printable_runs(content: &[u8]) -> impl Iterator<Item = &str> {
    content
        .split(|b| !(b.is_ascii_graphic() || *b == b' ' || *b == b'\t'))
        .filter(|run| run.len() >= MIN_BINARY_STRING)
        .filter_map(|run| std::str::from_utf8(run).ok())
}

fn added_between(old: &git2::Blob<'_>, new: &git2::Blob<'_>) -> Result<Vec<AddedLine>, DiffError> {
    let mut opts = DiffOptions::new();
    // Both sides are text by `is_binary`, even where a stray NUL would make git say binary.
    opts.context_lines(0).force_text(true);
    let patch = git2::Patch::from_blobs(old, None, new, None, Some(&mut opts))?;
    let mut lines = Vec::new();
    for hunk in 0..patch.num_hunks() {
        for n in 0..patch.num_lines_in_hunk(hunk)? {
            let line = patch.line_in_hunk(hunk, n)?;
            if line.origin() != '+' {
                continue;
            }
            let text = String::from_utf8_lossy(line.content());
            lines.push(AddedLine {
                number: line.new_lineno().unwrap_or(0),
                text: text.trim_end_matches(['\n', '\r']).to_string(),
            });
        }
    }
    Ok(lines)
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
    use super::printable_runs;

    #[test]
    fn binary_strings_split_at_unprintable_bytes() {
        let content = b"\x00\x01-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\x00short\x7fAKIAQWERTYUIOPASDFGH\x00";
        let runs: Vec<&str> = printable_runs(content).collect();
        assert_eq!(
            runs,
            vec![
                "-----BEGIN OPENSSH PRIVATE KEY-----",
                "b3BlbnNzaC1rZXktdjEAAAAA",
                "AKIAQWERTYUIOPASDFGH"
            ]
        );
    }
}
