//! The change being judged: what a commit adds over its first parent (or the index over HEAD),
//! as a list of entries, and its fingerprint.

use crate::repo::{Repo, RepoError};
use git2::{Delta, DiffFindOptions, DiffOptions, Oid, Tree};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

pub const MODE_SYMLINK: u32 = 0o120000;
pub const MODE_GITLINK: u32 = 0o160000;
pub const MODE_TREE: u32 = 0o040000;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Added,
    Deleted,
    Modified,
    Renamed,
    TypeChanged,
}

impl Status {
    pub fn letter(self) -> char {
        match self {
            Status::Added => 'A',
            Status::Deleted => 'D',
            Status::Modified => 'M',
            Status::Renamed => 'R',
            Status::TypeChanged => 'T',
        }
    }
}

/// One side (old or new) of a changed entry.
#[derive(Debug, Clone)]
pub struct Side {
    /// Repository-relative path, as raw bytes (paths need not be UTF-8).
    pub path: Vec<u8>,
    pub mode: u32,
    pub oid: Oid,
}

impl Side {
    pub fn display_path(&self) -> String {
        display_path(&self.path)
    }
    pub fn is_symlink(&self) -> bool {
        self.mode == MODE_SYMLINK
    }
    pub fn is_submodule(&self) -> bool {
        self.mode == MODE_GITLINK
    }
}

#[derive(Debug, Clone)]
pub struct Symlink {
    /// The target as stored in the blob.
    pub target: Vec<u8>,
    /// The repository-relative path it resolves to in the judged tree, or `None` if it
    /// leaves the repository.
    pub resolved: Option<Vec<u8>>,
    /// When it resolves to a directory: the files below it, which the link exposes (shared by
    /// every link to the same directory).
    pub exposes: Arc<Vec<Vec<u8>>>,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub status: Status,
    pub old: Option<Side>,
    pub new: Option<Side>,
    /// For a new-side symlink: where it points.
    pub symlink: Option<Symlink>,
}

impl Entry {
    /// The path shown for this entry (the new path, or the old one for deletions).
    pub fn display_path(&self) -> String {
        self.new
            .as_ref()
            .or(self.old.as_ref())
            .map(Side::display_path)
            .unwrap_or_default()
    }

    /// Every path this entry touches: both ends of a rename, once each.
    pub fn touched_paths(&self) -> Vec<&[u8]> {
        let mut paths: Vec<&[u8]> = Vec::with_capacity(2);
        if let Some(old) = &self.old {
            paths.push(&old.path);
        }
        if let Some(new) = &self.new {
            if self.old.as_ref().map(|o| &o.path) != Some(&new.path) {
                paths.push(&new.path);
            }
        }
        paths
    }

    fn fingerprint_line(&self) -> Vec<u8> {
        let zero = Oid::zero();
        let old_path = self.old.as_ref().or(self.new.as_ref()).map(|s| &s.path);
        let new_path = self.new.as_ref().or(self.old.as_ref()).map(|s| &s.path);
        let mut line = format!(
            "{} {:06o} {:06o} {} {} ",
            self.status.letter(),
            self.old.as_ref().map_or(0, |s| s.mode),
            self.new.as_ref().map_or(0, |s| s.mode),
            self.old.as_ref().map_or(zero, |s| s.oid),
            self.new.as_ref().map_or(zero, |s| s.oid),
        )
        .into_bytes();
        line.extend_from_slice(&quote_path(old_path.map_or(&[][..], |p| p.as_slice())));
        line.push(b'\t');
        line.extend_from_slice(&quote_path(new_path.map_or(&[][..], |p| p.as_slice())));
        line
    }
}

/// What is being judged.
#[derive(Debug, Clone)]
pub struct Change {
    /// The judged tree.
    pub tree: Oid,
    pub entries: Vec<Entry>,
    pub fingerprint: String,
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
        let entries = diff_trees(repo, old.as_ref(), &new)?;
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

/// A path as git's `--raw` output writes it with `core.quotePath=false`: as is, unless it holds
/// a control character, `"` or `\`; then C-quoted, so a tab or newline in a path cannot make
/// two different changes print the same lines.
fn quote_path(path: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let special = |b: u8| b < 0x20 || b == 0x7f || b == b'"' || b == b'\\';
    if !path.iter().any(|b| special(*b)) {
        return std::borrow::Cow::Borrowed(path);
    }
    let mut out = Vec::with_capacity(path.len() + 8);
    out.push(b'"');
    for &b in path {
        match b {
            b'\x07' => out.extend_from_slice(b"\\a"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\x0b' => out.extend_from_slice(b"\\v"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b if special(b) => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
            b => out.push(b),
        }
    }
    out.push(b'"');
    std::borrow::Cow::Owned(out)
}

/// sha256 over the sorted entry lines, as the contract defines the fingerprint.
pub fn fingerprint(entries: &[Entry]) -> String {
    let mut lines: Vec<Vec<u8>> = entries.iter().map(Entry::fingerprint_line).collect();
    lines.sort();
    let mut hasher = Sha256::new();
    for line in &lines {
        hasher.update(line);
        hasher.update(b"\n");
    }
    hex(&hasher.finalize())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

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

fn diff_trees(
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

pub fn display_path(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{printable_runs, quote_path};

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

    #[test]
    fn quotes_only_paths_that_need_it() {
        assert_eq!(&*quote_path(b"src/a b.rs"), b"src/a b.rs");
        assert_eq!(&*quote_path(b"caf\xc3\xa9"), b"caf\xc3\xa9");
        assert_eq!(&*quote_path(b"a\tb"), b"\"a\\tb\"");
        assert_eq!(&*quote_path(b"a\nR 1"), b"\"a\\nR 1\"");
        assert_eq!(&*quote_path(b"q\"\\"), b"\"q\\\"\\\\\"");
        assert_eq!(&*quote_path(b"x\x01"), b"\"x\\001\"");
    }
}
