//! The only door to git: opening the repository, resolving revisions, reading trees and blobs.

use git2::{ErrorCode, ObjectType, Oid, Repository, RepositoryOpenFlags};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("{} is not inside a git repository", .dir.display())]
    NotARepository { dir: PathBuf },
    #[error("{} is a bare repository: agentguard judges changes in a repository with a work tree", .dir.display())]
    Bare { dir: PathBuf },
    #[error("cannot resolve revision `{spec}`: {reason}")]
    BadRevision { spec: String, reason: String },
    #[error("`{spec}` names a {kind}, not a commit")]
    NotACommit { spec: String, kind: String },
    #[error("HEAD has no commits yet (unborn branch); there is no commit to check")]
    UnbornHead,
    #[error("commit {commit} has parent {parent}, which is missing from this repository (shallow clone?)")]
    MissingParent { commit: String, parent: String },
    #[error("cannot write the staged index as a tree with `git write-tree`: {reason}")]
    WriteTree { reason: String },
    #[error("`git diff-index --cached` failed: {reason}")]
    DiffIndex { reason: String },
    #[error("cannot read `{key}` with `git config --show-origin`: {reason}")]
    ConfigOrigins { key: String, reason: String },
    #[error("{path} in the base commit is {kind}, not a regular file")]
    NotARegularFile { path: String, kind: &'static str },
    #[error("the index has unresolved merge conflicts; there is no staged tree to check")]
    ConflictedIndex,
    #[error("cannot lock {}: {reason}", .path.display())]
    Lock { path: PathBuf, reason: String },
    #[error("cannot list the commits of `{range}`: {reason}")]
    Walk { range: String, reason: String },
    #[error("git error: {}", .0.message())]
    Git(#[from] git2::Error),
}

impl RepoError {
    /// What the user can do next.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
        RepoError::NotARepository { .. } => {
            Some("run agentguard inside a git work tree, or pass -C <dir>")
        }
        RepoError::Bare { .. } => {
            Some("run it in a clone with a work tree (git clone <bare> <dir>)")
        }
        RepoError::BadRevision { .. } | RepoError::NotACommit { .. } => {
            Some("name a commit, e.g. HEAD, a branch, or a commit id (see `git rev-parse`)")
        }
        RepoError::UnbornHead => {
            Some("make a first commit, or judge what is staged with `agentguard check --staged`")
        }
        RepoError::MissingParent { .. } => {
            Some("fetch more history (git fetch --deepen=1, or --unshallow) and run again")
        }
        RepoError::ConflictedIndex => {
            Some("resolve the conflicts and `git add` the files, then check again")
        }
        RepoError::NotARegularFile { .. } => {
            Some("replace it with a regular file in a human commit; agentguard does not follow links for its rules")
        }
        RepoError::Lock { .. } => {
            Some("check that the git directory is writable; another agentguard may hold the lock")
        }
        RepoError::Walk { .. } => Some(
            "in a shallow clone, fetch the whole range (git fetch --unshallow, or actions/checkout with fetch-depth: 0)",
        ),
        RepoError::WriteTree { .. } => Some("check that `git write-tree` works in this repository"),
        RepoError::DiffIndex { .. } => {
            Some("check that `git diff-index --cached HEAD` works in this repository")
        }
        RepoError::ConfigOrigins { .. } => {
            Some("check that `git config --show-origin --list` works in this repository")
        }
        RepoError::Git(_) => None,
    }
    }
}

/// The commits `verify` judges: reachable from `tip`, not from `exclude`.
#[derive(Debug, Clone)]
pub struct Range {
    pub text: String,
    pub exclude: Option<Oid>,
    pub tip: Oid,
}

/// The first `parent` line of a commit's raw header.
fn raw_first_parent(commit: &git2::Commit<'_>) -> Option<String> {
    commit
        .raw_header_bytes()
        .split(|b| *b == b'\n')
        .find_map(|line| line.strip_prefix(b"parent "))
        .map(|id| String::from_utf8_lossy(id).trim().to_string())
}

/// `GIT_INDEX_ENTRY_INTENT_TO_ADD` in an index entry's extended flags (`git add -N`).
const INDEX_INTENT_TO_ADD: u16 = 1 << 13;

pub struct Repo {
    git: Repository,
    /// Where it was opened from, to open it again on another thread.
    opened_from: PathBuf,
}

impl Repo {
    /// Opens the repository at or above `dir`, honouring git's environment (`GIT_DIR`,
    /// `GIT_INDEX_FILE`, `GIT_WORK_TREE`, `GIT_OBJECT_DIRECTORY`, ...) as git hooks expect.
    pub fn open(dir: &Path) -> Result<Self, RepoError> {
        // Objects are named by their hash; like git, read them without hashing them again.
        git2::opts::strict_hash_verification(false);
        let git = if std::env::var_os("GIT_DIR").is_some() {
            Repository::open_from_env()
        } else {
            Repository::open_ext(
                dir,
                RepositoryOpenFlags::FROM_ENV,
                std::iter::empty::<&str>(),
            )
        }
        .map_err(|e| match e.code() {
            ErrorCode::NotFound => RepoError::NotARepository {
                dir: std::env::var_os("GIT_DIR").map_or_else(|| dir.to_path_buf(), PathBuf::from),
            },
            _ => RepoError::Git(e),
        })?;
        if git.is_bare() {
            return Err(RepoError::Bare {
                dir: git.path().to_path_buf(),
            });
        }
        Ok(Self {
            git,
            opened_from: dir.to_path_buf(),
        })
    }

    /// The same repository, opened again (a git2 repository is used by one thread at a time).
    pub fn open_again(&self) -> Result<Self, RepoError> {
        Self::open(&self.opened_from)
    }

    pub fn git(&self) -> &Repository {
        &self.git
    }

    /// Every work tree of the repository: this one, the main one and each linked one.
    pub fn work_trees(&self) -> Vec<PathBuf> {
        let mut trees: Vec<PathBuf> = self
            .git
            .workdir()
            .map(Path::to_path_buf)
            .into_iter()
            .collect();
        let common = self.common_dir();
        if common.file_name().is_some_and(|n| n == ".git") {
            trees.extend(common.parent().map(Path::to_path_buf));
        }
        if let Ok(names) = self.git.worktrees() {
            for name in names.iter().flatten() {
                if let Ok(worktree) = self.git.find_worktree(name) {
                    trees.push(worktree.path().to_path_buf());
                }
            }
        }
        trees
    }

    /// The commit each work tree has checked out: the main one's and each linked one's (an
    /// unborn or unreadable HEAD is left out).
    pub fn work_tree_heads(&self) -> Vec<Oid> {
        let head_of = |repo: &Repository| repo.head().ok().and_then(|h| h.target());
        let mut heads: Vec<Oid> = head_of(&self.git).into_iter().collect();
        if let Ok(main) = Repository::open(self.common_dir()) {
            heads.extend(head_of(&main));
        }
        if let Ok(names) = self.git.worktrees() {
            for name in names.iter().flatten() {
                let linked = self
                    .git
                    .find_worktree(name)
                    .and_then(|w| Repository::open_from_worktree(&w));
                if let Ok(linked) = linked {
                    heads.extend(head_of(&linked));
                }
            }
        }
        heads.sort();
        heads.dedup();
        heads
    }

    /// Each value git's configuration gives `key`, with where it comes from (`git config
    /// --show-origin --get-all`, includes followed as git follows them): `(origin, value)`.
    pub fn config_origins(&self, key: &str) -> Result<Vec<(String, String)>, RepoError> {
        let failed = |reason: String| RepoError::ConfigOrigins {
            key: key.to_string(),
            reason,
        };
        let mut command = std::process::Command::new("git");
        command
            .args(["config", "--show-origin", "--get-all", key])
            .stdin(std::process::Stdio::null());
        if let Some(dir) = self.git.workdir() {
            command.current_dir(dir);
        }
        let output = command
            .output()
            .map_err(|e| failed(format!("cannot run git: {e}")))?;
        match output.status.code() {
            Some(0) => {}
            // 1: the key is not set anywhere.
            Some(1) => return Ok(Vec::new()),
            _ => {
                return Err(failed(
                    String::from_utf8_lossy(&output.stderr).trim().to_string(),
                ))
            }
        }
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .map(|(origin, value)| (origin.to_string(), value.to_string()))
            .collect())
    }

    /// The common git dir (shared by linked worktrees).
    pub fn common_dir(&self) -> &Path {
        self.git.commondir()
    }

    pub fn resolve_commit(&self, spec: &str) -> Result<git2::Commit<'_>, RepoError> {
        let object = self
            .git
            .revparse_single(spec)
            .map_err(|e| match (e.code(), spec) {
                (ErrorCode::UnbornBranch | ErrorCode::NotFound, "HEAD") if self.is_unborn() => {
                    RepoError::UnbornHead
                }
                _ => RepoError::BadRevision {
                    spec: spec.to_string(),
                    reason: e.message().to_string(),
                },
            })?;
        let kind = object.kind();
        object.peel_to_commit().map_err(|_| RepoError::NotACommit {
            spec: spec.to_string(),
            kind: kind.map_or("object", |k| k.str()).to_string(),
        })
    }

    pub fn is_unborn(&self) -> bool {
        matches!(self.git.head(), Err(e) if e.code() == ErrorCode::UnbornBranch || e.code() == ErrorCode::NotFound)
    }

    /// The commit HEAD points at, or `None` on an unborn branch.
    pub fn head_commit(&self) -> Result<Option<git2::Commit<'_>>, RepoError> {
        match self.git.head() {
            Ok(head) => Ok(Some(head.peel_to_commit()?)),
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The short name of the checked-out branch (also on an unborn branch).
    pub fn current_branch(&self) -> Option<String> {
        let head = self.git.find_reference("HEAD").ok()?;
        let target = head.symbolic_target()?;
        target.strip_prefix("refs/heads/").map(str::to_string)
    }

    /// Short names of the local branches whose tip is `commit`.
    pub fn branches_at(&self, commit: Oid) -> Vec<String> {
        let Ok(branches) = self.git.branches(Some(git2::BranchType::Local)) else {
            return Vec::new();
        };
        branches
            .flatten()
            .filter(|(b, _)| b.get().target() == Some(commit))
            .filter_map(|(b, _)| b.name().ok().flatten().map(str::to_string))
            .collect()
    }

    /// The branches a range ending at `tip` belongs to: local and remote-tracking branches
    /// whose tip it is (without the remote's name), and the checked-out branch at it.
    pub fn branches_of_tip(&self, tip: Oid) -> Vec<String> {
        let mut names = self.branches_at(tip);
        if let Ok(remotes) = self.git.branches(Some(git2::BranchType::Remote)) {
            for (branch, _) in remotes.flatten() {
                if branch.get().target() != Some(tip) {
                    continue;
                }
                if let Some(name) = branch.name().ok().flatten() {
                    let short = name.split_once('/').map_or(name, |(_, rest)| rest);
                    if short != "HEAD" {
                        names.push(short.to_string());
                    }
                }
            }
        }
        if self.head_commit().ok().flatten().map(|h| h.id()) == Some(tip) {
            names.extend(self.current_branch());
        }
        names.sort();
        names.dedup();
        names
    }

    /// The first parent, checking that it is present (a shallow clone may lack it).
    pub fn first_parent<'r>(
        &'r self,
        commit: &git2::Commit<'r>,
    ) -> Result<Option<git2::Commit<'r>>, RepoError> {
        let Some(parent_id) = commit.parent_ids().next() else {
            // A shallow clone's boundary commit looks parentless to libgit2; its raw header
            // still names the parent, which is missing here.
            if let Some(parent) = raw_first_parent(commit) {
                return Err(RepoError::MissingParent {
                    commit: commit.id().to_string(),
                    parent,
                });
            }
            return Ok(None);
        };
        self.git
            .find_commit(parent_id)
            .map(Some)
            .map_err(|_| RepoError::MissingParent {
                commit: commit.id().to_string(),
                parent: parent_id.to_string(),
            })
    }

    /// The tree of the staged index (as git gave it to us, `GIT_INDEX_FILE` included); writes
    /// tree objects only, never the index file or HEAD. It is the tree `git commit` would make.
    pub fn staged_tree(&self) -> Result<Oid, RepoError> {
        // A split or sparse index libgit2 cannot read is left to git itself.
        if let Ok(mut index) = self.git.index() {
            if index.has_conflicts() {
                return Err(RepoError::ConflictedIndex);
            }
            // git leaves intent-to-add entries out of the tree it writes; libgit2 does not.
            if !index
                .iter()
                .any(|e| e.flags_extended & INDEX_INTENT_TO_ADD != 0)
            {
                return Ok(index.write_tree()?);
            }
        }
        self.git_write_tree()
    }

    /// The bytes of the index git is committing from: `GIT_INDEX_FILE` when git names one
    /// (git does for hooks, often relative to the work tree, where hooks run), else the git
    /// directory's `index`. `None` where it cannot be read or ids are not SHA-1: the caller
    /// then asks git.
    pub fn index_bytes(&self) -> Option<memmap2::Mmap> {
        let format = self.config_string("extensions.objectformat");
        if format.is_some_and(|f| !f.eq_ignore_ascii_case("sha1")) {
            return None;
        }
        let path = match std::env::var_os("GIT_INDEX_FILE") {
            // Relative to the current directory, as git and libgit2 read it.
            Some(named) => std::path::PathBuf::from(named),
            None => self.git.path().join("index"),
        };
        let file = std::fs::File::open(path).ok()?;
        // SAFETY: git never writes an index in place; it writes `index.lock` and renames it
        // over, so the mapped file keeps its contents while it is mapped.
        unsafe { memmap2::Mmap::map(&file) }.ok()
    }

    /// `git diff-index --cached --raw -z` of the index over the tree `base` (the empty tree
    /// when there is none), run by git itself in the work tree: git reads a large index far
    /// faster than libgit2, and a human commit's pre-commit hook needs nothing else.
    pub fn staged_raw_diff(&self, base: Option<Oid>) -> Result<Vec<u8>, RepoError> {
        const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
        let base = base.map_or_else(|| EMPTY_TREE.to_string(), |b| b.to_string());
        let mut command = std::process::Command::new("git");
        if let Some(dir) = self.git.workdir() {
            command.current_dir(dir);
        }
        let output = command
            .args([
                "diff-index",
                "--cached",
                "--raw",
                "-z",
                "--no-renames",
                "--ignore-submodules=none",
            ])
            .arg(&base)
            .arg("--")
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| RepoError::DiffIndex {
                reason: format!("cannot run git: {e}"),
            })?;
        if !output.status.success() {
            return Err(RepoError::DiffIndex {
                reason: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        Ok(output.stdout)
    }

    fn git_write_tree(&self) -> Result<Oid, RepoError> {
        let output = std::process::Command::new("git")
            .arg("write-tree")
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| RepoError::WriteTree {
                reason: format!("cannot run git: {e}"),
            })?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(RepoError::WriteTree {
                reason: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        Oid::from_str(stdout.trim()).map_err(|_| RepoError::WriteTree {
            reason: format!("unexpected output `{}`", stdout.trim()),
        })
    }

    /// The content of the regular file at `path` in the tree `tree`, `None` if nothing is
    /// there, an error if something other than a regular file is.
    pub fn read_file_at(&self, tree: Oid, path: &str) -> Result<Option<Vec<u8>>, RepoError> {
        let tree = self.git.find_tree(tree)?;
        let entry = match tree.get_path(Path::new(path)) {
            Ok(entry) => entry,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        // A symlink or directory where a rules file belongs is an error, never "no rules".
        let kind = match entry.filemode() {
            0o100644 | 0o100755 => {
                return Ok(Some(self.git.find_blob(entry.id())?.content().to_vec()))
            }
            0o120000 => "a symlink",
            0o040000 => "a directory",
            0o160000 => "a submodule",
            _ => "not a regular file",
        };
        Err(RepoError::NotARegularFile {
            path: path.to_string(),
            kind,
        })
    }

    /// Names of the files directly inside directory `dir` of tree `tree` (none if absent).
    pub fn file_names_in(&self, tree: Oid, dir: &str) -> Result<Vec<String>, RepoError> {
        let tree = self.git.find_tree(tree)?;
        let entry = match tree.get_path(Path::new(dir)) {
            Ok(entry) => entry,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        if entry.kind() != Some(ObjectType::Tree) {
            return Ok(Vec::new());
        }
        let dir = self.git.find_tree(entry.id())?;
        Ok(dir
            .iter()
            .filter(|e| e.kind() == Some(ObjectType::Blob))
            .filter_map(|e| e.name().map(str::to_string))
            .collect())
    }

    pub fn blob(&self, oid: Oid) -> Result<git2::Blob<'_>, RepoError> {
        Ok(self.git.find_blob(oid)?)
    }

    /// The author email for new commits.
    pub fn configured_author_email(&self) -> Option<String> {
        if let Some(email) = std::env::var_os("GIT_AUTHOR_EMAIL") {
            return email.into_string().ok();
        }
        // git's own order: the environment, then `user.email`, then `EMAIL`.
        self.git
            .config()
            .ok()
            .and_then(|c| c.get_string("user.email").ok())
            .or_else(|| std::env::var("EMAIL").ok())
    }

    /// The author name for new commits, in git's order: the environment, then `user.name`.
    pub fn configured_author_name(&self) -> Option<String> {
        if let Some(name) = std::env::var_os("GIT_AUTHOR_NAME") {
            return name.into_string().ok();
        }
        self.git
            .config()
            .ok()
            .and_then(|c| c.get_string("user.name").ok())
    }

    /// `core.hooksPath`, relative to the work tree, when it points inside it.
    pub fn hooks_path_in_work_tree(&self) -> Option<String> {
        let configured = self.git.config().ok()?.get_path("core.hooksPath").ok()?;
        let workdir = self.git.workdir()?;
        let absolute = if configured.is_absolute() {
            configured
        } else {
            workdir.join(configured)
        };
        let workdir = workdir.canonicalize().ok()?;
        let absolute = absolute.canonicalize().unwrap_or(absolute);
        // Inside the git directory (where `install` routes a person's branches) is not in
        // the work tree.
        let common = self.common_dir().canonicalize().ok()?;
        if absolute.starts_with(&common) {
            return None;
        }
        let relative = absolute.strip_prefix(&workdir).ok()?;
        let relative = relative.to_str()?.to_string();
        (!relative.is_empty()).then_some(relative)
    }

    /// What starts a comment line in commit messages (`core.commentString`/`core.commentChar`).
    pub fn comment_string(&self) -> String {
        let configured = self.git.config().ok().and_then(|c| {
            c.get_string("core.commentString")
                .or_else(|_| c.get_string("core.commentChar"))
                .ok()
        });
        match configured {
            // `auto` picks a character per message; `#` is its first choice.
            Some(s) if !s.is_empty() && s != "auto" => s,
            _ => "#".to_string(),
        }
    }

    pub fn short(&self, oid: Oid) -> String {
        let full = oid.to_string();
        full[..full.len().min(10)].to_string()
    }

    /// The note on `target` under `notes_ref`, or `None` when there is none.
    pub fn note(&self, notes_ref: &str, target: Oid) -> Result<Option<Vec<u8>>, RepoError> {
        match self.git.find_note(Some(notes_ref), target) {
            Ok(note) => Ok(Some(note.message_bytes().to_vec())),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes (replacing) the note on `target` under `notes_ref`.
    pub fn write_note(&self, notes_ref: &str, target: Oid, text: &str) -> Result<(), RepoError> {
        self.update_note(notes_ref, target, |_| text.to_string())
    }

    /// Replaces the note on `target` with `update(old note)`. libgit2 moves the notes ref
    /// without checking who moved it last, so concurrent writers (two worktrees committing at
    /// once) would lose notes: every agentguard writer serialises on one lock file.
    pub fn update_note(
        &self,
        notes_ref: &str,
        target: Oid,
        update: impl FnOnce(Option<Vec<u8>>) -> String,
    ) -> Result<(), RepoError> {
        let lock = self.lock_notes()?;
        let text = update(self.note(notes_ref, target)?);
        let signature = self.notes_signature()?;
        self.git
            .note(&signature, &signature, Some(notes_ref), target, &text, true)?;
        drop(lock);
        Ok(())
    }

    /// The lock every agentguard writer of notes refs holds while it reads and moves one.
    pub(crate) fn lock_notes(&self) -> Result<crate::lock::Lock, RepoError> {
        let dir = self.common_dir().join("agentguard");
        let lock_path = dir.join("notes.lock");
        std::fs::create_dir_all(&dir)
            .and_then(|()| crate::lock::Lock::exclusive(&lock_path))
            .map_err(|e| RepoError::Lock {
                path: lock_path,
                reason: e.to_string(),
            })
    }

    /// Who writes notes: the configured identity, else a neutral one (a note's author is not
    /// what makes it trustworthy; approvals carry their own signatures).
    pub fn notes_signature(&self) -> Result<git2::Signature<'static>, RepoError> {
        match self.git.signature() {
            Ok(signature) => Ok(signature.to_owned()),
            Err(_) => Ok(git2::Signature::now("agentguard", "agentguard@localhost")?),
        }
    }

    /// A string from git config, if set.
    pub fn config_string(&self, key: &str) -> Option<String> {
        self.git.config().ok()?.get_string(key).ok()
    }

    /// A path from git config (`~/` expanded), if set.
    pub fn config_path(&self, key: &str) -> Option<PathBuf> {
        self.git.config().ok()?.get_path(key).ok()
    }

    /// The tree of the commit HEAD points at, if any.
    pub fn head_tree(&self) -> Option<Oid> {
        self.head_commit().ok().flatten().map(|c| c.tree_id())
    }

    /// `A..B`, `A...B` (from their merge base), or a single revision (that one commit).
    pub fn resolve_range(&self, spec: &str) -> Result<Range, RepoError> {
        let text = spec.to_string();
        if let Some((a, b)) = spec.split_once("...") {
            let a = self.resolve_commit(or_head(a))?.id();
            let b = self.resolve_commit(or_head(b))?.id();
            let base = self.git.merge_base(a, b).map_err(|e| RepoError::Walk {
                range: text.clone(),
                reason: e.message().to_string(),
            })?;
            return Ok(Range {
                text,
                exclude: Some(base),
                tip: b,
            });
        }
        if let Some((a, b)) = spec.split_once("..") {
            return Ok(Range {
                exclude: Some(self.resolve_commit(or_head(a))?.id()),
                tip: self.resolve_commit(or_head(b))?.id(),
                text,
            });
        }
        let commit = self.resolve_commit(spec)?;
        Ok(Range {
            text,
            exclude: commit.parent_id(0).ok(),
            tip: commit.id(),
        })
    }

    /// The commits of `range`, oldest first (parents before children).
    pub fn commits_in(&self, range: &Range) -> Result<Vec<Oid>, RepoError> {
        let walk_error = |e: git2::Error| RepoError::Walk {
            range: range.text.clone(),
            reason: e.message().to_string(),
        };
        let mut walk = self.git.revwalk()?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
            .map_err(walk_error)?;
        walk.push(range.tip).map_err(walk_error)?;
        if let Some(exclude) = range.exclude {
            walk.hide(exclude).map_err(walk_error)?;
        }
        walk.map(|oid| oid.map_err(walk_error)).collect()
    }

    /// Every commit reachable from a branch, a tag, a remote-tracking branch or HEAD, oldest
    /// first: the whole history, as `git log --all` sees it (notes are not history).
    pub fn all_commits(&self) -> Result<Vec<Oid>, RepoError> {
        let walk_error = |e: git2::Error| RepoError::Walk {
            range: "--all".to_string(),
            reason: e.message().to_string(),
        };
        let mut walk = self.git.revwalk()?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
            .map_err(walk_error)?;
        for glob in ["refs/heads", "refs/tags", "refs/remotes"] {
            walk.push_glob(glob).map_err(walk_error)?;
        }
        if let Some(head) = self.head_commit()? {
            walk.push(head.id()).map_err(walk_error)?;
        }
        walk.map(|oid| oid.map_err(walk_error)).collect()
    }

    /// The blobs of a tree (regular files and executables, not symlinks or submodules) with
    /// their repository-relative paths, in tree order.
    pub fn tree_files(&self, tree: Oid) -> Result<Vec<(Vec<u8>, Oid)>, RepoError> {
        let tree = self.git.find_tree(tree)?;
        let mut files = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if matches!(entry.filemode(), 0o100644 | 0o100755) {
                let mut path = dir.as_bytes().to_vec();
                path.extend_from_slice(entry.name_bytes());
                files.push((path, entry.id()));
            }
            git2::TreeWalkResult::Ok
        })?;
        Ok(files)
    }

    /// Whether git ignores `path` (relative to the work tree), as `.gitignore` says.
    pub fn is_ignored(&self, path: &Path) -> bool {
        self.git.is_path_ignored(path).unwrap_or(false)
    }

    /// The work tree's root, if the repository has one.
    pub fn work_dir(&self) -> Option<&Path> {
        self.git.workdir()
    }

    /// Commits reachable from `tip` but from none of `hide` nor any ref matching `hide_glob`,
    /// oldest first.
    pub fn commits_not_in(
        &self,
        tip: Oid,
        hide: &[Oid],
        hide_glob: Option<&str>,
    ) -> Result<Vec<Oid>, RepoError> {
        let text = format!("{tip} --not …");
        let walk_error = |e: git2::Error| RepoError::Walk {
            range: text.clone(),
            reason: e.message().to_string(),
        };
        let mut walk = self.git.revwalk()?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
            .map_err(walk_error)?;
        walk.push(tip).map_err(walk_error)?;
        for oid in hide {
            walk.hide(*oid).map_err(walk_error)?;
        }
        if let Some(glob) = hide_glob {
            walk.hide_glob(glob).map_err(walk_error)?;
        }
        walk.map(|oid| oid.map_err(walk_error)).collect()
    }

    /// The commits being merged while a merge is concluded (`MERGE_HEAD` of this work tree),
    /// else none.
    pub fn merge_heads(&self) -> Vec<Oid> {
        if self.git.state() != git2::RepositoryState::Merge {
            return Vec::new();
        }
        std::fs::read_to_string(self.git.path().join("MERGE_HEAD"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| Oid::from_str(line.trim()).ok())
            .collect()
    }

    /// The commit `oid` names, through annotated tags; `None` for a tree, a blob, or nothing.
    pub fn peel_to_commit(&self, oid: Oid) -> Option<Oid> {
        let object = self.git.find_object(oid, None).ok()?;
        object.peel_to_commit().ok().map(|c| c.id())
    }

    pub fn has_commit(&self, oid: Oid) -> bool {
        self.git.find_commit(oid).is_ok()
    }

    /// Where policy for a range is read: the merge base of its two ends.
    pub fn merge_base(&self, a: Oid, b: Oid) -> Option<Oid> {
        self.git.merge_base(a, b).ok()
    }

    pub fn is_shallow(&self) -> bool {
        self.git.is_shallow()
    }
}

fn or_head(spec: &str) -> &str {
    if spec.is_empty() {
        "HEAD"
    } else {
        spec
    }
}
