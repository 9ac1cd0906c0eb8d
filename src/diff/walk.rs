//! The tree walk: the entries where two trees differ, found by descending only into subtrees
//! whose ids differ, with renames paired and symlinks resolved in the judged tree.

use super::{DiffError, Entry, Side, Status, Symlink, MODE_SYMLINK};
use crate::repo::Repo;
use git2::{Delta, DiffFindOptions, DiffOptions, Tree};
use std::collections::HashMap;
use std::sync::Arc;

/// The target of the symlink at `path` in `tree`, if that path is a symlink there.
fn symlink_in_tree(repo: &Repo, tree: &Tree<'_>, path: &[u8]) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let entry = tree
        .get_path(std::path::Path::new(std::ffi::OsStr::from_bytes(path)))
        .ok()?;
    if u32::try_from(entry.filemode()).ok()? != MODE_SYMLINK {
        return None;
    }
    repo.blob(entry.id()).ok().map(|b| b.content().to_vec())
}

/// Every file below the directory `dir` of `tree` (`.` is the root); empty if `dir` is not
/// a directory there.
fn files_below(repo: &Repo, tree: &Tree<'_>, dir: &[u8]) -> Result<Vec<Vec<u8>>, DiffError> {
    use std::os::unix::ffi::OsStrExt;
    let (subtree, prefix) = if dir == b"." {
        (tree.clone(), Vec::new())
    } else {
        let Ok(entry) = tree.get_path(std::path::Path::new(std::ffi::OsStr::from_bytes(dir)))
        else {
            return Ok(Vec::new());
        };
        if entry.kind() != Some(git2::ObjectType::Tree) {
            return Ok(Vec::new());
        }
        let mut prefix = dir.to_vec();
        prefix.push(b'/');
        (repo.git().find_tree(entry.id())?, prefix)
    };
    let mut files = Vec::new();
    subtree.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
        if entry.kind() != Some(git2::ObjectType::Tree) {
            let mut path = prefix.clone();
            path.extend_from_slice(parent.as_bytes());
            path.extend_from_slice(entry.name_bytes());
            files.push(path);
        }
        git2::TreeWalkResult::Ok
    })?;
    Ok(files)
}

pub(super) fn diff_trees(
    repo: &Repo,
    old: Option<&Tree<'_>>,
    new_tree: &Tree<'_>,
) -> Result<Vec<Entry>, DiffError> {
    let new = new_tree;
    let git = repo.git();
    let mut opts = DiffOptions::new();
    opts.include_typechange(true)
        .ignore_submodules(false)
        .context_lines(0);
    // libgit2 reads every entry of both trees; an exact list of the changed paths, found by
    // descending only into subtrees whose ids differ, lets it skip the rest.
    let mut paths = Vec::new();
    changed_paths(git, old, Some(new), &mut Vec::new(), &mut paths)?;
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    // Tree entry names hold no NUL; were one to, the whole trees are diffed instead.
    if let Ok(paths) = paths
        .into_iter()
        .map(std::ffi::CString::new)
        .collect::<Result<Vec<_>, _>>()
    {
        opts.disable_pathspec_match(true);
        for path in paths {
            opts.pathspec(path);
        }
    }
    let mut diff = git.diff_tree_to_tree(old, Some(new), Some(&mut opts))?;
    let mut find = DiffFindOptions::new();
    // Fixed, not read from the user's config, so the fingerprint is the same everywhere.
    find.renames(true).rename_threshold(50).rename_limit(1000);
    diff.find_similar(Some(&mut find))?;
    let mut entries = Vec::with_capacity(diff.deltas().len());
    let mut directories: HashMap<Vec<u8>, Arc<Vec<Vec<u8>>>> = HashMap::new();
    for delta in diff.deltas() {
        let side = |file: git2::DiffFile<'_>| -> Option<Side> {
            let mode = u32::from(file.mode());
            (file.exists() && mode != 0).then(|| Side {
                path: file.path_bytes().unwrap_or_default().to_vec(),
                mode,
                oid: file.id(),
            })
        };
        let (status, old, new) = match delta.status() {
            Delta::Added => (Status::Added, None, side(delta.new_file())),
            Delta::Deleted => (Status::Deleted, side(delta.old_file()), None),
            Delta::Modified => (
                Status::Modified,
                side(delta.old_file()),
                side(delta.new_file()),
            ),
            Delta::Renamed => (
                Status::Renamed,
                side(delta.old_file()),
                side(delta.new_file()),
            ),
            Delta::Typechange => (
                Status::TypeChanged,
                side(delta.old_file()),
                side(delta.new_file()),
            ),
            // Copies are not searched for; anything else is unexpected for a tree diff.
            _ => (
                Status::Modified,
                side(delta.old_file()),
                side(delta.new_file()),
            ),
        };
        let symlink = match &new {
            Some(side) if side.is_symlink() => {
                let target = repo.blob(side.oid)?.content().to_vec();
                let resolved = crate::symlink::resolve(&side.path, &target, |path| {
                    symlink_in_tree(repo, new_tree, path)
                });
                let exposes = match &resolved {
                    Some(path) => match directories.get(path) {
                        Some(files) => Arc::clone(files),
                        None => {
                            let files = Arc::new(files_below(repo, new_tree, path)?);
                            directories.insert(path.clone(), Arc::clone(&files));
                            files
                        }
                    },
                    None => Arc::default(),
                };
                Some(Symlink {
                    target,
                    resolved,
                    exposes,
                })
            }
            _ => None,
        };
        entries.push(Entry {
            status,
            old,
            new,
            symlink,
        });
    }
    Ok(entries)
}

/// Appends to `out` every path below `prefix` where `old` and `new` differ: each changed,
/// added or deleted entry that is not a directory, and everything below a directory that is
/// on one side only. Subtrees with the same id on both sides are never read.
fn changed_paths(
    git: &git2::Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    prefix: &mut Vec<u8>,
    out: &mut Vec<Vec<u8>>,
) -> Result<(), git2::Error> {
    // Both sides in git's tree order, walked side by side. Should a malformed tree be out of
    // order, entries go unpaired and are listed as changed: more paths, never fewer.
    let mut old_entries = old.into_iter().flat_map(Tree::iter).peekable();
    let mut new_entries = new.into_iter().flat_map(Tree::iter).peekable();
    loop {
        let order = match (old_entries.peek(), new_entries.peek()) {
            (None, None) => return Ok(()),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(o), Some(n)) => tree_order(o, n),
        };
        let (before, after) = match order {
            std::cmp::Ordering::Less => (old_entries.next(), None),
            std::cmp::Ordering::Greater => (None, new_entries.next()),
            std::cmp::Ordering::Equal => (old_entries.next(), new_entries.next()),
        };
        let name = after
            .as_ref()
            .or(before.as_ref())
            .map_or(&[][..], |e| e.name_bytes());
        changed_entry(git, name, before.as_ref(), after.as_ref(), prefix, out)?;
    }
}

/// git's order of tree entries: by name, a directory's name as if it ended in `/`.
fn tree_order(a: &git2::TreeEntry<'_>, b: &git2::TreeEntry<'_>) -> std::cmp::Ordering {
    let (x, y) = (a.name_bytes(), b.name_bytes());
    let common = x.len().min(y.len());
    x[..common].cmp(&y[..common]).then_with(|| {
        let next = |name: &[u8], e: &git2::TreeEntry<'_>| {
            name.get(common)
                .copied()
                .or((e.kind() == Some(git2::ObjectType::Tree)).then_some(b'/'))
        };
        next(x, a).cmp(&next(y, b))
    })
}

/// One name of a directory on either side, for `changed_paths`.
fn changed_entry(
    git: &git2::Repository,
    name: &[u8],
    old: Option<&git2::TreeEntry<'_>>,
    new: Option<&git2::TreeEntry<'_>>,
    prefix: &mut Vec<u8>,
    out: &mut Vec<Vec<u8>>,
) -> Result<(), git2::Error> {
    if let (Some(o), Some(n)) = (old, new) {
        if o.id() == n.id() && o.filemode() == n.filemode() {
            return Ok(());
        }
    }
    let is_tree = |e: &&git2::TreeEntry<'_>| e.kind() == Some(git2::ObjectType::Tree);
    let subtree = |e: Option<&git2::TreeEntry<'_>>| {
        e.filter(is_tree).map(|e| git.find_tree(e.id())).transpose()
    };
    let (old_tree, new_tree) = (subtree(old)?, subtree(new)?);
    let len = prefix.len();
    prefix.extend_from_slice(name);
    if old.is_some_and(|e| !is_tree(&e)) || new.is_some_and(|e| !is_tree(&e)) {
        out.push(prefix.clone());
    }
    if old_tree.is_some() || new_tree.is_some() {
        prefix.push(b'/');
        changed_paths(git, old_tree.as_ref(), new_tree.as_ref(), prefix, out)?;
    }
    prefix.truncate(len);
    Ok(())
}
