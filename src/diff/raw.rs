//! Trees as git stores them, read entry by entry from the object database, so a tree that
//! libgit2 would refuse, reorder or half-read is seen exactly as `git checkout` sees it.

use super::fsck::{self, Problem};
use git2::{ObjectType, Oid};
use std::collections::HashMap;
use std::rc::Rc;

/// Longest name `git fsck` accepts without a `largePathname` warning.
pub(crate) const MAX_NAME: usize = 4096;

/// One entry of a stored tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry {
    /// The mode as written in the tree.
    pub mode: u32,
    /// Whether the written mode had a leading zero (`040000`).
    pub zero_padded: bool,
    pub name: Vec<u8>,
    pub oid: Oid,
}

/// What git does with an entry on checkout, by its mode (git's `canon_mode`): every regular
/// mode becomes 644 or 755, and a mode git cannot place is a submodule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Tree,
    File,
    Symlink,
    Gitlink,
}

impl RawEntry {
    pub fn kind(&self) -> EntryKind {
        match self.mode & 0o170000 {
            0o040000 => EntryKind::Tree,
            0o100000 => EntryKind::File,
            0o120000 => EntryKind::Symlink,
            _ => EntryKind::Gitlink,
        }
    }

    /// The mode git checks the entry out with.
    pub fn canonical_mode(&self) -> u32 {
        match self.kind() {
            EntryKind::Tree => 0o040000,
            EntryKind::File if self.mode & 0o100 != 0 => 0o100755,
            EntryKind::File => 0o100644,
            EntryKind::Symlink => 0o120000,
            EntryKind::Gitlink => 0o160000,
        }
    }

    pub fn is_tree(&self) -> bool {
        self.kind() == EntryKind::Tree
    }
}

/// A parsed tree: its entries in stored order, and whatever `git fsck` would say about it.
#[derive(Debug, Default)]
pub struct RawTree {
    pub entries: Vec<RawEntry>,
    /// Problems of this tree object alone (not of its subtrees).
    pub problems: Vec<Problem>,
    /// Whether the entries are strictly in git's order with no name twice: only then can two
    /// trees be walked side by side by name.
    pub ordered: bool,
}

impl RawTree {
    /// The first entry called `name` (a malformed tree may hold several).
    pub fn get(&self, name: &[u8]) -> Option<&RawEntry> {
        self.entries.iter().find(|e| e.name == name)
    }
}

/// Parses a tree object's bytes as git's `decode_tree_entry` does: an octal mode, a space,
/// a NUL-terminated name and a 20-byte id, repeated. Whatever cannot be parsed ends the tree
/// with a `badTree` problem (git itself stops there and refuses the checkout).
pub fn parse(data: &[u8]) -> RawTree {
    let mut tree = RawTree::default();
    let mut rest = data;
    while !rest.is_empty() {
        match parse_entry(rest) {
            Ok((entry, after)) => {
                tree.entries.push(entry);
                rest = after;
            }
            Err(reason) => {
                tree.problems.push(Problem::new("badTree", None, reason));
                break;
            }
        }
    }
    tree.ordered = fsck::check_tree(&mut tree);
    tree
}

fn parse_entry(data: &[u8]) -> Result<(RawEntry, &[u8]), &'static str> {
    let space = data
        .iter()
        .position(|b| *b == b' ')
        .ok_or("an entry has no mode")?;
    let mode_text = &data[..space];
    if mode_text.is_empty() || !mode_text.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return Err("an entry has a malformed mode");
    }
    let mode = mode_text
        .iter()
        .try_fold(0u32, |m, b| {
            m.checked_mul(8)?.checked_add(u32::from(b - b'0'))
        })
        .ok_or("an entry has a malformed mode")?;
    let rest = &data[space + 1..];
    let nul = rest
        .iter()
        .position(|b| *b == 0)
        .ok_or("an entry's name is not terminated")?;
    let name = rest[..nul].to_vec();
    let id_bytes = rest
        .get(nul + 1..nul + 21)
        .ok_or("the tree ends inside an object id")?;
    let oid = Oid::from_bytes(id_bytes).map_err(|_| "an entry has a malformed object id")?;
    Ok((
        RawEntry {
            mode,
            zero_padded: mode_text.len() > 1 && mode_text[0] == b'0',
            name,
            oid,
        },
        &rest[nul + 21..],
    ))
}

/// Reads trees from one repository, each parsed once: a change's symlinks look up the same
/// directories again and again.
pub(crate) struct Trees<'r> {
    odb: git2::Odb<'r>,
    parsed: HashMap<Oid, Rc<RawTree>>,
}

/// What stands at an id that a tree entry calls a directory.
pub(crate) enum Read {
    Tree(Rc<RawTree>),
    /// Another kind of object: git cannot check it out as a directory.
    NotATree(ObjectType),
}

impl<'r> Trees<'r> {
    pub(crate) fn new(git: &'r git2::Repository) -> Result<Self, git2::Error> {
        Ok(Self {
            odb: git.odb()?,
            parsed: HashMap::new(),
        })
    }

    /// The tree at `id`; an error when the object is missing (a repository git cannot read
    /// either).
    pub(crate) fn read(&mut self, id: Oid) -> Result<Read, git2::Error> {
        if let Some(tree) = self.parsed.get(&id) {
            return Ok(Read::Tree(Rc::clone(tree)));
        }
        let object = self.odb.read(id)?;
        if object.kind() != ObjectType::Tree {
            return Ok(Read::NotATree(object.kind()));
        }
        let tree = Rc::new(parse(object.data()));
        self.parsed.insert(id, Rc::clone(&tree));
        Ok(Read::Tree(tree))
    }

    /// The tree at `id`, or an empty one when the id names no tree (git fails there too).
    pub(crate) fn tree(&mut self, id: Oid) -> Result<Rc<RawTree>, git2::Error> {
        Ok(match self.read(id)? {
            Read::Tree(tree) => tree,
            Read::NotATree(_) => Rc::default(),
        })
    }

    /// The entry at the repository-relative `path` below the tree `root`.
    pub(crate) fn entry_at(
        &mut self,
        root: Oid,
        path: &[u8],
    ) -> Result<Option<RawEntry>, git2::Error> {
        let mut tree = self.tree(root)?;
        let mut components = path.split(|b| *b == b'/').peekable();
        while let Some(component) = components.next() {
            let Some(entry) = tree.get(component).cloned() else {
                return Ok(None);
            };
            if components.peek().is_none() {
                return Ok(Some(entry));
            }
            if !entry.is_tree() {
                return Ok(None);
            }
            tree = self.tree(entry.oid)?;
        }
        Ok(None)
    }

    /// The bytes of the blob at `id`.
    pub(crate) fn blob(&self, id: Oid) -> Result<Vec<u8>, git2::Error> {
        Ok(self.odb.read(id)?.data().to_vec())
    }

    /// Every non-directory path below the tree `id`, each prefixed with `prefix`, as git
    /// would check them out (names joined with `/` as they stand).
    pub(crate) fn leaves(
        &mut self,
        id: Oid,
        prefix: &[u8],
        out: &mut Vec<(Vec<u8>, RawEntry)>,
    ) -> Result<(), git2::Error> {
        let tree = self.tree(id)?;
        for entry in &tree.entries {
            let path = join(prefix, &entry.name);
            if entry.is_tree() {
                self.leaves(entry.oid, &path, out)?;
            } else {
                out.push((path, entry.clone()));
            }
        }
        Ok(())
    }
}

/// `prefix/name`, or `name` at the root.
pub(crate) fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut path = Vec::with_capacity(prefix.len() + name.len() + 1);
    path.extend_from_slice(prefix);
    if !prefix.is_empty() {
        path.push(b'/');
    }
    path.extend_from_slice(name);
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(mode: &str, name: &[u8]) -> Vec<u8> {
        let mut out = mode.as_bytes().to_vec();
        out.push(b' ');
        out.extend_from_slice(name);
        out.push(0);
        out.extend_from_slice(&[7u8; 20]);
        out
    }

    #[test]
    fn parses_what_git_writes() {
        let mut data = entry("100644", b"a.txt");
        data.extend(entry("40000", b"src"));
        let tree = parse(&data);
        assert!(tree.problems.is_empty(), "{:?}", tree.problems);
        assert!(tree.ordered);
        assert_eq!(tree.entries.len(), 2);
        assert_eq!(tree.entries[1].kind(), EntryKind::Tree);
    }

    #[test]
    fn modes_are_canonical_as_git_checks_them_out() {
        let tree = parse(&entry("100600", b"a"));
        assert_eq!(tree.entries[0].canonical_mode(), 0o100644);
        let tree = parse(&entry("100700", b"a"));
        assert_eq!(tree.entries[0].canonical_mode(), 0o100755);
        let tree = parse(&entry("170000", b"a"));
        assert_eq!(tree.entries[0].kind(), EntryKind::Gitlink);
        let tree = parse(&entry("040000", b"a"));
        assert!(tree.entries[0].zero_padded);
    }

    #[test]
    fn truncated_and_garbled_trees_are_bad_trees() {
        let mut data = entry("100644", b"a");
        data.truncate(data.len() - 3);
        let tree = parse(&data);
        assert!(tree.entries.is_empty());
        assert_eq!(tree.problems[0].check, "badTree");
        let tree = parse(b"10x644 a\0");
        assert_eq!(tree.problems[0].check, "badTree");
    }
}
