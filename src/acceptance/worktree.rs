//! The checkout the commands run in: a separate repository that borrows the user's objects
//! through `objects/info/alternates`, with HEAD a detached commit (written into the
//! checkout's own object store) whose tree is exactly the judged tree. Nothing of the user's
//! repository changes: no ref moves, no linked worktree is registered, no object is written.
//!
//! `fresh` makes a temporary checkout removed afterwards; `reuse` keeps one checkout under
//! `<git common dir>/agentguard/worktrees/reuse`, locked while in use, reset to the tree and
//! cleaned except the `keep` globs so builds stay incremental.

use super::signals::Interrupt;
use super::AcceptanceError;
use crate::repo::Repo;
use git2::Oid;
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;

/// Variables that tell git which repository to use (`git rev-parse --local-env-vars`): git
/// run for the checkout must not see the ones a hook was given.
pub(super) const LOCAL_GIT_VARS: &[&str] = &[
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_OBJECT_DIRECTORY",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_GRAFT_FILE",
    "GIT_INDEX_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
    "GIT_PREFIX",
    "GIT_INTERNAL_SUPER_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
    "GIT_QUARANTINE_PATH",
    "GIT_NAMESPACE",
];

pub(crate) const REUSE_DIR: &str = "agentguard/worktrees/reuse";

pub(super) struct Checkout {
    path: PathBuf,
    temp: Option<TempDir>,
    /// Held (flock) while a reused checkout is in use.
    _lock: Option<File>,
}

impl Checkout {
    pub(super) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let path = temp.path().to_path_buf();
            if temp.close().is_err() {
                // Commands may leave read-only directories (Go's module cache does).
                let _ = remove_tree(&path);
            }
        }
    }
}

/// A new temporary checkout of `tree`.
pub(super) fn fresh(repo: &Repo, tree: Oid) -> Result<Checkout, AcceptanceError> {
    let temp = tempfile::Builder::new()
        .prefix("agentguard-run-")
        .tempdir()
        .map_err(|source| AcceptanceError::io("create a temporary checkout directory", source))?;
    let checkout = Checkout {
        path: temp.path().to_path_buf(),
        temp: Some(temp),
        _lock: None,
    };
    populate(repo, checkout.path(), tree, &[])?;
    Ok(checkout)
}

/// The kept checkout, locked and reset to `tree`; untracked files go except the `keep` globs.
pub(super) fn reuse(
    repo: &Repo,
    tree: Oid,
    keep: &[String],
    interrupt: &Interrupt,
) -> Result<Checkout, AcceptanceError> {
    let common = repo.common_dir();
    let path = common.join(REUSE_DIR);
    real_dir(
        common,
        Path::new(REUSE_DIR).parent().unwrap_or(Path::new("")),
    )?;
    let lock = lock(&path.with_extension("lock"), interrupt)?;
    // Under the lock: a command of an earlier run may have swapped a part of this path for a
    // link into the user's repository, which a reset or clean would then follow.
    real_dir(common, Path::new(REUSE_DIR))?;
    if populate(repo, &path, tree, keep).is_err() {
        // A command may have left the checkout in a state git cannot reset (unwritable
        // files): start over rather than fail.
        remove_tree(&path)
            .map_err(|source| AcceptanceError::io(format!("remove {}", path.display()), source))?;
        real_dir(common, Path::new(REUSE_DIR))?;
        populate(repo, &path, tree, keep)?;
    }
    Ok(Checkout {
        path,
        temp: None,
        _lock: Some(lock),
    })
}

/// Waits for the exclusive lock on `path`, giving up on interruption.
fn lock(path: &Path, interrupt: &Interrupt) -> Result<File, AcceptanceError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|source| AcceptanceError::io(format!("open {}", path.display()), source))?;
    loop {
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(file),
            Err(rustix::io::Errno::WOULDBLOCK) => {}
            Err(err) => {
                return Err(AcceptanceError::io(
                    format!("lock {}", path.display()),
                    err.into(),
                ))
            }
        }
        if let Some(signal) = interrupt.received() {
            return Err(AcceptanceError::Interrupted {
                signal: super::signals::name(signal),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Makes every component of `relative` below `root` a real directory, removing (never
/// following) a symlink or file found in its place.
fn real_dir(root: &Path, relative: &Path) -> Result<PathBuf, AcceptanceError> {
    let mut current = root.to_path_buf();
    for component in relative.components() {
        current.push(component);
        let io_err = |what: &str, source| {
            AcceptanceError::io(format!("{what} {}", current.display()), source)
        };
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.is_dir() => continue,
            Ok(_) => fs::remove_file(&current).map_err(|e| io_err("remove", e))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("inspect", e)),
        }
        match fs::create_dir(&current) {
            Ok(()) => {}
            // Another check made it first.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if !fs::symlink_metadata(&current).is_ok_and(|m| m.is_dir()) {
                    return Err(io_err("create", e));
                }
            }
            Err(e) => return Err(io_err("create", e)),
        }
    }
    Ok(current)
}

/// Makes `dir` a checkout of `tree`. The `.git` directory, index included, is rebuilt every
/// time, so nothing a previous command wrote there (config, hooks, refs, index flags such as
/// skip-worktree) survives; refreshing the new index against the files keeps the timestamps
/// of unchanged files, so incremental builds stay valid.
fn populate(repo: &Repo, dir: &Path, tree: Oid, keep: &[String]) -> Result<(), AcceptanceError> {
    let git_dir = dir.join(".git");
    // `remove_dir_all` removes a symlink itself, never what it points at.
    remove_tree(&git_dir)
        .map_err(|source| AcceptanceError::io(format!("remove {}", git_dir.display()), source))?;
    let mut options = git2::RepositoryInitOptions::new();
    options.external_template(false).no_reinit(true);
    git2::Repository::init_opts(dir, &options)?;

    let alternates: String = object_dirs(repo)
        .iter()
        .filter_map(|d| d.to_str())
        .filter(|d| !d.contains('\n'))
        .map(|d| format!("{d}\n"))
        .collect();
    write(&git_dir.join("objects/info/alternates"), &alternates)?;
    // Kept directories are ignored so `git status` stays clean in a reused checkout.
    let exclude: String = keep.iter().map(|k| format!("{k}\n")).collect();
    write(&git_dir.join("info/exclude"), &exclude)?;

    let checkout = git2::Repository::open(dir)?;
    let tree = checkout.find_tree(tree)?;
    let signature =
        git2::Signature::new("agentguard", "agentguard@localhost", &git2::Time::new(0, 0))?;
    let commit = checkout.commit(
        None,
        &signature,
        &signature,
        &format!("agentguard: acceptance checkout of tree {}\n", tree.id()),
        &tree,
        &[],
    )?;
    checkout.set_head_detached(commit)?;
    git(dir, &["read-tree", "HEAD"])?;
    // Exits 1 when files differ from the tree; the reset below takes care of those.
    let _ = git(dir, &["update-index", "-q", "--refresh"]);
    git(dir, &["reset", "-q", "--hard", "HEAD"])?;
    let mut clean: Vec<&str> = vec!["clean", "-ffdxq"];
    for pattern in keep {
        clean.extend(["-e", pattern.as_str()]);
    }
    git(dir, &clean)
}

fn write(path: &Path, text: &str) -> Result<(), AcceptanceError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|source| {
            AcceptanceError::io(format!("create {}", parent.display()), source)
        })?;
    }
    fs::write(path, text)
        .map_err(|source| AcceptanceError::io(format!("write {}", path.display()), source))
}

/// Every object directory the judged tree may live in: the repository's own and, inside a
/// hook, the ones git pointed agentguard at (a push quarantine, extra alternates).
fn object_dirs(repo: &Repo) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let cwd = std::env::current_dir().unwrap_or_default();
    if let Some(dir) = std::env::var_os("GIT_OBJECT_DIRECTORY") {
        dirs.push(cwd.join(dir));
    }
    dirs.push(repo.common_dir().join("objects"));
    if let Some(list) = std::env::var_os("GIT_ALTERNATE_OBJECT_DIRECTORIES") {
        dirs.extend(std::env::split_paths(&list).map(|d| cwd.join(d)));
    }
    let mut out: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        let dir = dir.canonicalize().unwrap_or(dir);
        if dir.is_dir() && !out.contains(&dir) {
            out.push(dir);
        }
    }
    out
}

/// Runs git on the checkout, with none of the caller's repository variables.
fn git(dir: &Path, args: &[&str]) -> Result<(), AcceptanceError> {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        // The checkout's own config is ours, but the user's global config could name hooks.
        .args([
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.fsmonitor=false",
        ])
        .args(args)
        // Only the checkout's own config, rebuilt every run: a command may have written the
        // user's global config (`$HOME` is writable to it), and a filter or attributes file
        // named there would run here, outside the sandbox.
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null());
    for var in LOCAL_GIT_VARS {
        command.env_remove(var);
    }
    let output = command
        .output()
        .map_err(|source| AcceptanceError::io("run git", source))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(AcceptanceError::GitCommand {
            args: args.join(" "),
            dir: dir.to_path_buf(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

/// `remove_dir_all` that also copes with read-only directories; a missing path is fine.
pub(super) fn remove_tree(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(_) => {
            make_writable(path);
            match fs::remove_dir_all(path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        }
    }
}

fn make_writable(path: &Path) {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return;
    };
    if !meta.is_dir() {
        return;
    }
    let mut perms = meta.permissions();
    perms.set_mode(perms.mode() | 0o700);
    let _ = fs::set_permissions(path, perms);
    if let Ok(entries) = fs::read_dir(path) {
        for entry in entries.flatten() {
            make_writable(&entry.path());
        }
    }
}
