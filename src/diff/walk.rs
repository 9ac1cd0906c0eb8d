//! The tree walk: the entries where two trees differ, found by descending only into subtrees
//! whose ids differ, reading each tree as git stores it and checking every tree the change
//! introduces as `git fsck` does. Where every tree is well-formed, libgit2's diff of exactly
//! those paths pairs renames; where one is not, the change is the walk's own list of every
//! path git would check out differently, so no path is judged fewer times than git writes it.
//! Symlinks are resolved in the judged tree, each link and each directory once.

use super::fsck::{self, Problem};
use super::raw::{join, EntryKind, RawEntry, RawTree, Read, Trees};
use super::{DiffError, Entry, Side, Status, Symlink};
use crate::repo::Repo;
use git2::{Delta, DiffFindOptions, DiffOptions, Oid, Tree};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

/// What `git fsck` says about one tree the change introduces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeProblem {
    /// The tree's path (empty for the root).
    pub tree: Vec<u8>,
    pub problem: Problem,
}

/// One non-directory path whose entry differs between the trees, as git reads them.
struct RawChange {
    path: Vec<u8>,
    old: Option<RawEntry>,
    new: Option<RawEntry>,
}

/// The walk of two trees.
struct Walk<'r> {
    trees: Trees<'r>,
    changes: Vec<RawChange>,
    /// Problems of the trees the change introduces.
    problems: Vec<TreeProblem>,
    /// Introduced trees already checked (a tree placed twice is reported once).
    checked: HashSet<Oid>,
    /// Whether a tree of the old side is malformed too (libgit2 cannot be trusted with it).
    old_malformed: bool,
}

impl<'r> Walk<'r> {
    /// A tree of the new side that differs from the old side's at its path: checked.
    fn read_new(&mut self, id: Oid, path: &[u8]) -> Result<Rc<RawTree>, git2::Error> {
        let tree = match self.trees.read(id)? {
            Read::Tree(tree) => tree,
            Read::NotATree(kind) => {
                if self.checked.insert(id) {
                    self.problems.push(TreeProblem {
                        tree: path.to_vec(),
                        problem: Problem::new(
                            "badTree",
                            None,
                            format!("is a directory entry whose object is a {kind}, not a tree"),
                        ),
                    });
                }
                return Ok(Rc::default());
            }
        };
        if self.checked.insert(id) {
            for problem in &tree.problems {
                self.problems.push(TreeProblem {
                    tree: path.to_vec(),
                    problem: problem.clone(),
                });
            }
            // git fsck reads every `.gitmodules` it meets and checks what it says.
            for entry in &tree.entries {
                if entry.kind() == EntryKind::File && fsck::is_gitmodules(&entry.name) {
                    let content = self.trees.blob(entry.oid)?;
                    for problem in fsck::check_gitmodules(&entry.name, &content) {
                        self.problems.push(TreeProblem {
                            tree: path.to_vec(),
                            problem,
                        });
                    }
                }
            }
        }
        Ok(tree)
    }

    fn read_old(&mut self, id: Oid) -> Result<Rc<RawTree>, git2::Error> {
        let tree = self.trees.tree(id)?;
        self.old_malformed |= !tree.problems.is_empty();
        Ok(tree)
    }

    /// The directory at `path` on both sides.
    fn dir(&mut self, old: Option<Oid>, new: Option<Oid>, path: &[u8]) -> Result<(), git2::Error> {
        let new_tree = new.map(|id| self.read_new(id, path)).transpose()?;
        let old_tree = old.map(|id| self.read_old(id)).transpose()?;
        let ordered = |t: &Option<Rc<RawTree>>| t.as_ref().is_none_or(|t| t.ordered);
        if !ordered(&new_tree) || !ordered(&old_tree) {
            // Entries cannot be paired by name: every path below is listed on both sides.
            return self.flat(old, new, path);
        }
        let no_entries: &[RawEntry] = &[];
        let olds = old_tree.as_ref().map_or(no_entries, |t| &t.entries);
        let news = new_tree.as_ref().map_or(no_entries, |t| &t.entries);
        let (mut i, mut j) = (0, 0);
        while i < olds.len() || j < news.len() {
            let order = match (olds.get(i), news.get(j)) {
                (Some(o), Some(n)) => fsck::git_order(o, n),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            let (o, n) = match order {
                // Only one name pairs with itself (`a/b` and the directory `a` sort alike).
                std::cmp::Ordering::Equal if olds[i].name == news[j].name => {
                    (olds.get(i), news.get(j))
                }
                std::cmp::Ordering::Less | std::cmp::Ordering::Equal => (olds.get(i), None),
                std::cmp::Ordering::Greater => (None, news.get(j)),
            };
            i += usize::from(o.is_some());
            j += usize::from(n.is_some());
            if let (Some(o), Some(n)) = (o, n) {
                if o.oid == n.oid && o.mode == n.mode {
                    continue;
                }
            }
            let name = n.or(o).map_or(&[][..], |e| e.name.as_slice());
            let here = join(path, name);
            let tree = |e: Option<&RawEntry>| e.filter(|e| e.is_tree()).map(|e| e.oid);
            let leaf = |e: Option<&RawEntry>| e.filter(|e| !e.is_tree()).cloned();
            if tree(o).is_some() || tree(n).is_some() {
                self.dir(tree(o), tree(n), &here)?;
            }
            let (old_leaf, new_leaf) = (leaf(o), leaf(n));
            if old_leaf.is_some() || new_leaf.is_some() {
                self.changes.push(RawChange {
                    path: here,
                    old: old_leaf,
                    new: new_leaf,
                });
            }
        }
        Ok(())
    }

    /// Every path below `path` on both sides, compared path by path; each introduced
    /// subtree is checked.
    fn flat(&mut self, old: Option<Oid>, new: Option<Oid>, path: &[u8]) -> Result<(), git2::Error> {
        let mut olds = Vec::new();
        let mut old_trees = HashSet::new();
        if let Some(id) = old {
            self.list(id, path, &mut olds, &mut old_trees, None)?;
        }
        let mut news = Vec::new();
        if let Some(id) = new {
            self.list(id, path, &mut news, &mut HashSet::new(), Some(&old_trees))?;
        }
        let mut old_at: HashMap<Vec<u8>, Vec<RawEntry>> = HashMap::new();
        for (p, entry) in olds {
            old_at.entry(p).or_default().push(entry);
        }
        for (p, entry) in news {
            let same = old_at.get_mut(&p).and_then(|list| {
                let found = list
                    .iter()
                    .position(|o| o.oid == entry.oid && o.mode == entry.mode);
                found.map(|index| list.swap_remove(index))
            });
            if same.is_some() {
                continue;
            }
            let old = old_at.get_mut(&p).and_then(Vec::pop);
            self.changes.push(RawChange {
                path: p,
                old,
                new: Some(entry),
            });
        }
        for (p, list) in old_at {
            for entry in list {
                self.changes.push(RawChange {
                    path: p.clone(),
                    old: Some(entry),
                    new: None,
                });
            }
        }
        Ok(())
    }

    /// The leaves below tree `id` at `path`. On the new side (`known` given), each subtree
    /// that is not one of the old side's is checked.
    fn list(
        &mut self,
        id: Oid,
        path: &[u8],
        out: &mut Vec<(Vec<u8>, RawEntry)>,
        trees: &mut HashSet<Oid>,
        known: Option<&HashSet<Oid>>,
    ) -> Result<(), git2::Error> {
        trees.insert(id);
        let tree = match known {
            Some(known) if !known.contains(&id) => self.read_new(id, path)?,
            Some(_) => self.trees.tree(id)?,
            None => self.read_old(id)?,
        };
        for entry in &tree.entries {
            let here = join(path, &entry.name);
            if entry.is_tree() {
                self.list(entry.oid, &here, out, trees, known)?;
            } else {
                out.push((here, entry.clone()));
            }
        }
        Ok(())
    }
}

/// Where symlinks of the judged tree point, each link and each directory looked up once.
struct Links<'t, 'r> {
    trees: &'t mut Trees<'r>,
    root: Oid,
    /// path -> the target of the symlink there, if that path is a symlink.
    targets: HashMap<Vec<u8>, Option<Vec<u8>>>,
    /// directory -> the files below it, shared by every link to it.
    below: HashMap<Vec<u8>, Arc<Vec<Vec<u8>>>>,
}

impl Links<'_, '_> {
    fn target_at(&mut self, path: &[u8]) -> Result<Option<Vec<u8>>, git2::Error> {
        if let Some(target) = self.targets.get(path) {
            return Ok(target.clone());
        }
        let target = match self.trees.entry_at(self.root, path)? {
            Some(entry) if entry.kind() == EntryKind::Symlink => Some(self.trees.blob(entry.oid)?),
            _ => None,
        };
        self.targets.insert(path.to_vec(), target.clone());
        Ok(target)
    }

    fn files_below(&mut self, dir: &[u8]) -> Result<Arc<Vec<Vec<u8>>>, git2::Error> {
        if let Some(files) = self.below.get(dir) {
            return Ok(Arc::clone(files));
        }
        let tree = if dir == b"." {
            Some(self.root)
        } else {
            match self.trees.entry_at(self.root, dir)? {
                Some(entry) if entry.is_tree() => Some(entry.oid),
                _ => None,
            }
        };
        let mut leaves = Vec::new();
        if let Some(id) = tree {
            let prefix = if dir == b"." { &[][..] } else { dir };
            self.trees.leaves(id, prefix, &mut leaves)?;
        }
        let files = Arc::new(leaves.into_iter().map(|(path, _)| path).collect());
        self.below.insert(dir.to_vec(), Arc::clone(&files));
        Ok(files)
    }

    /// The symlink at `link` with `target`: where it resolves, and what it exposes.
    fn symlink(&mut self, link: &[u8], target: Vec<u8>) -> Result<Symlink, git2::Error> {
        let mut failed = None;
        let resolved = crate::symlink::resolve(link, &target, |path| {
            self.target_at(path).unwrap_or_else(|e| {
                failed = Some(e);
                None
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        let exposes = match &resolved {
            Some(path) => self.files_below(path)?,
            None => Arc::default(),
        };
        Ok(Symlink {
            target,
            resolved,
            exposes,
        })
    }
}

/// What the walk of two trees found.
pub(super) struct Walked {
    pub(crate) entries: Vec<Entry>,
    /// The problems of the trees the change introduces.
    pub(crate) malformed: Vec<TreeProblem>,
    pub(crate) submodules: Vec<super::SubmoduleChange>,
}

/// The change from `old` to `new`, the problems of the trees it introduces and what it does
/// to submodules.
pub(super) fn diff_trees(repo: &Repo, old: Option<Oid>, new: Oid) -> Result<Walked, DiffError> {
    let git = repo.git();
    let mut walk = Walk {
        trees: Trees::new(git)?,
        changes: Vec::new(),
        problems: Vec::new(),
        checked: HashSet::new(),
        old_malformed: false,
    };
    if old != Some(new) {
        walk.dir(old, Some(new), &[])?;
    }
    if walk.changes.is_empty() {
        return Ok(Walked {
            entries: Vec::new(),
            malformed: walk.problems,
            submodules: Vec::new(),
        });
    }
    let Walk {
        mut trees,
        changes,
        problems,
        old_malformed,
        ..
    } = walk;
    let mut links = Links {
        trees: &mut trees,
        root: new,
        targets: HashMap::new(),
        below: HashMap::new(),
    };
    let entries = if problems.is_empty() && !old_malformed {
        let old_tree = old.map(|id| git.find_tree(id)).transpose()?;
        let new_tree = git.find_tree(new)?;
        let paths = changes.into_iter().map(|c| c.path).collect();
        libgit2_entries(repo, old_tree.as_ref(), &new_tree, paths, &mut links)?
    } else {
        raw_entries(repo, changes, &mut links)?
    };
    let submodules = super::submodules::changes(&mut trees, old, new, &entries)?;
    Ok(Walked {
        entries,
        malformed: problems,
        submodules,
    })
}

/// The entries of a walk over malformed trees: each changed path as git reads it, with the
/// mode git checks it out with; no renames are paired.
fn raw_entries(
    repo: &Repo,
    mut changes: Vec<RawChange>,
    links: &mut Links<'_, '_>,
) -> Result<Vec<Entry>, DiffError> {
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    let mut entries = Vec::with_capacity(changes.len());
    for change in changes {
        let side = |e: &RawEntry| Side {
            path: change.path.clone(),
            mode: e.canonical_mode(),
            oid: e.oid,
        };
        let old = change.old.as_ref().map(side);
        let new = change.new.as_ref().map(side);
        let status = match (&old, &new) {
            (None, _) => Status::Added,
            (_, None) => Status::Deleted,
            (Some(o), Some(n)) if (o.mode & 0o170000) != (n.mode & 0o170000) => Status::TypeChanged,
            _ => Status::Modified,
        };
        let symlink = match &new {
            Some(side) if side.is_symlink() => {
                let target = repo.blob(side.oid)?.content().to_vec();
                Some(links.symlink(&side.path, target)?)
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

/// libgit2's diff of exactly `paths`, with renames paired.
fn libgit2_entries(
    repo: &Repo,
    old: Option<&Tree<'_>>,
    new: &Tree<'_>,
    paths: Vec<Vec<u8>>,
    links: &mut Links<'_, '_>,
) -> Result<Vec<Entry>, DiffError> {
    let git = repo.git();
    let mut opts = DiffOptions::new();
    opts.include_typechange(true)
        .ignore_submodules(false)
        .context_lines(0);
    // libgit2 reads every entry of both trees; the exact list of the changed paths, found by
    // the walk, lets it skip the rest.
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
                Some(links.symlink(&side.path, target)?)
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
