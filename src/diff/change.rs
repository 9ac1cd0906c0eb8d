//! The change model: the entries a change consists of, each with its old and new side, and
//! the fingerprint that names the change exactly.

use git2::Oid;
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub(crate) const MODE_SYMLINK: u32 = 0o120000;
pub(crate) const MODE_GITLINK: u32 = 0o160000;

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
    /// The trees of the change that `git fsck` would fault; with any, `entries` lists every
    /// path git would check out differently, as git reads the trees.
    pub malformed: Vec<super::TreeProblem>,
    /// What the change does to submodules: gitlinks added or repointed, urls changed.
    pub submodules: Vec<super::SubmoduleChange>,
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

/// sha256 over the sorted entry lines, as the docs define the fingerprint (reference/findings).
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

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn display_path(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

#[cfg(test)]
mod tests {
    use super::quote_path;

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
