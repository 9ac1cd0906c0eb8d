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
    #[error("the index has unresolved merge conflicts; there is no staged tree to check")]
    ConflictedIndex,
    #[error("git error: {0}")]
    Git(#[from] git2::Error),
}

/// The first `parent` line of a commit's raw header.
fn raw_first_parent(commit: &git2::Commit<'_>) -> Option<String> {
    commit
        .raw_header_bytes()
        .split(|b| *b == b'\n')
        .find_map(|line| line.strip_prefix(b"parent "))
        .map(|id| String::from_utf8_lossy(id).trim().to_string())
}

pub struct Repo {
    git: Repository,
}

impl Repo {
    /// Opens the repository at or above `dir`, honouring git's environment (`GIT_DIR`,
    /// `GIT_INDEX_FILE`, `GIT_WORK_TREE`, `GIT_OBJECT_DIRECTORY`, ...) as git hooks expect.
    pub fn open(dir: &Path) -> Result<Self, RepoError> {
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
                dir: dir.to_path_buf(),
            },
            _ => RepoError::Git(e),
        })?;
        if git.is_bare() {
            return Err(RepoError::Bare {
                dir: git.path().to_path_buf(),
            });
        }
        Ok(Self { git })
    }

    pub fn git(&self) -> &Repository {
        &self.git
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
    /// tree objects only, never the index file or HEAD.
    pub fn staged_tree(&self) -> Result<Oid, RepoError> {
        let mut index = self.git.index()?;
        if index.has_conflicts() {
            return Err(RepoError::ConflictedIndex);
        }
        Ok(index.write_tree()?)
    }

    /// The content of the blob at `path` in the tree `tree`, if it is a regular file there.
    pub fn read_file_at(&self, tree: Oid, path: &str) -> Result<Option<Vec<u8>>, RepoError> {
        let tree = self.git.find_tree(tree)?;
        let entry = match tree.get_path(Path::new(path)) {
            Ok(entry) => entry,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if entry.kind() != Some(ObjectType::Blob) {
            return Ok(None);
        }
        Ok(Some(self.git.find_blob(entry.id())?.content().to_vec()))
    }

    pub fn blob(&self, oid: Oid) -> Result<git2::Blob<'_>, RepoError> {
        Ok(self.git.find_blob(oid)?)
    }

    /// The author email configured for new commits (`GIT_AUTHOR_EMAIL`, then `user.email`).
    pub fn configured_author_email(&self) -> Option<String> {
        if let Some(email) = std::env::var_os("GIT_AUTHOR_EMAIL") {
            return email.into_string().ok();
        }
        self.git.config().ok()?.get_string("user.email").ok()
    }

    pub fn short(&self, oid: Oid) -> String {
        let full = oid.to_string();
        full[..full.len().min(10)].to_string()
    }
}
