//! The git hooks: the shims `install` writes and `uninstall` removes, the hooks they keep and
//! chain to, and the `notes.rewriteRef` values that carry evidence notes through amend and rebase.

use crate::policy::{Policy, PolicyError};
use crate::repo::{Repo, RepoError};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The hooks agentguard installs, in the order git runs them.
pub(crate) fn hook_names() -> impl Iterator<Item = &'static str> {
    run::HookName::ALL.into_iter().map(run::HookName::as_str)
}

/// The line every shim carries; a hook without it is someone else's.
pub(crate) const SHIM_MARKER: &str = "# agentguard hook shim";

/// A hook that was there before agentguard, kept beside the shim, which runs it first.
pub(crate) const CHAINED_SUFFIX: &str = ".agentguard-chained";

/// A hook `install --force` replaced without chaining (a symlink or not a regular file).
pub(crate) const BACKUP_SUFFIX: &str = ".agentguard-backup";

/// Where the shims find the binary that installed them before they look on PATH.
const BIN_PLACEHOLDER: &str = "@AGENTGUARD_BIN@";

/// Where the prepare-commit-msg, commit-msg and post-commit shims take the one copy of the
/// shell code that reads the human mark (`hooks/human-mark.sh`, see `human_mark`).
const HUMAN_MARK_PLACEHOLDER: &str = "@HUMAN_MARK@\n";

/// Where the commit-msg shims take `hooks/agent-line.sh`, which finds `Agent-` in a message.
const AGENT_LINE_PLACEHOLDER: &str = "@AGENT_LINE@\n";
const AGENT_LINE: &str = include_str!("../../hooks/agent-line.sh");

/// The `notes.rewriteRef` values this install added, so `uninstall` removes only those.
const ADDED_CONFIG_KEY: &str = "agentguard.installedRewriteRef";
const REWRITE_REF_KEY: &str = "notes.rewriteRef";
/// The fetch refspecs this install added, as `<remote> <refspec>`.
const ADDED_FETCH_KEY: &str = "agentguard.installedFetch";

pub(crate) mod branches;
pub(crate) mod human_mark;
pub(crate) mod prepare;
pub(crate) mod push;
pub(crate) mod run;

#[derive(Debug, thiserror::Error)]
pub(crate) enum HooksError {
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot find the hooks directory with `git rev-parse --git-path hooks`: {reason}")]
    HooksDir { reason: String },
    #[error("{} is {kind}, not a regular file: agentguard cannot chain to it", .path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{} is not agentguard's, and {} is already taken", .path.display(), .taken.display())]
    Taken { path: PathBuf, taken: PathBuf },
    #[error("cannot read the policy that names the evidence notes: {0}")]
    Policy(#[from] PolicyError),
    #[error("cannot update git config: {}", .0.message())]
    Config(#[from] git2::Error),
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl HooksError {
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match self {
            HooksError::Io { .. } => {
                Some("check that the hooks directory exists and is writable, then run again")
            }
            HooksError::HooksDir { .. } => {
                Some("check that `git rev-parse --git-path hooks` works in this work tree")
            }
            HooksError::NotRegular { .. } => Some(
                "replace it with a regular file yourself, or run `agentguard install --force` to move it aside (it is kept as <hook>.agentguard-backup)",
            ),
            HooksError::Taken { .. } => Some(
                "move that file away (an earlier install kept a hook there), or run `agentguard install --force` to back the current hook up instead of chaining it",
            ),
            HooksError::Policy(e) => e.hint(),
            HooksError::Config(_) => Some("check that `git config --local --list` works here"),
            HooksError::Repo(e) => e.hint(),
        }
    }
}

/// What `install` did to one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Installed {
    /// The shim was written where there was no hook.
    Written,
    /// An older or edited shim was rewritten.
    Updated,
    /// The shim was already there, byte for byte.
    Unchanged,
    /// The existing hook was moved to `kept` and the shim runs it first.
    Chained { kept: PathBuf },
    /// The existing hook could not be chained (`--force`): it was moved to `backup`.
    Replaced { backup: PathBuf },
}

/// What `uninstall` did to one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Uninstalled {
    /// The shim was removed; there was no earlier hook.
    Removed,
    /// The shim was removed and the earlier hook put back from `from`.
    Restored { from: PathBuf },
    /// The hook there is not agentguard's: left alone.
    NotOurs,
    /// No hook there.
    Absent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HookLine<T> {
    pub name: &'static str,
    pub path: PathBuf,
    pub action: T,
    /// The kept hook the shim runs first, if there is one.
    pub chains: Option<PathBuf>,
}

/// One value of a multi-valued git config key that install or uninstall looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConfigChange {
    Added {
        key: String,
        value: String,
    },
    AlreadySet {
        key: String,
        value: String,
    },
    Removed {
        key: String,
        value: String,
    },
    /// A fetch refspec that wrote the remote's notes over the local ones (the refspec earlier
    /// docs gave): removed, since every fetch deleted unpushed evidence.
    RemovedClobbering {
        key: String,
        value: String,
    },
    /// Someone else's fetch refspec that overwrites the local notes refs: left alone, warned.
    Clobbers {
        key: String,
        value: String,
    },
}

impl ConfigChange {
    fn added(key: &str, value: &str) -> Self {
        Self::Added {
            key: key.to_string(),
            value: value.to_string(),
        }
    }

    fn already_set(key: &str, value: &str) -> Self {
        Self::AlreadySet {
            key: key.to_string(),
            value: value.to_string(),
        }
    }

    fn removed(key: &str, value: &str) -> Self {
        Self::Removed {
            key: key.to_string(),
            value: value.to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct InstallReport {
    pub hooks_dir: PathBuf,
    /// `core.hooksPath` relative to the work tree, when the hooks are files in it.
    pub tracked_hooks_path: Option<String>,
    pub hooks: Vec<HookLine<Installed>>,
    pub config: Vec<ConfigChange>,
    pub routing: branches::Routing,
}

impl InstallReport {
    pub(crate) fn changed_nothing(&self) -> bool {
        self.hooks.iter().all(|h| h.action == Installed::Unchanged)
            && self
                .config
                .iter()
                .all(|c| matches!(c, ConfigChange::AlreadySet { .. }))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct UninstallReport {
    pub hooks_dir: PathBuf,
    pub hooks: Vec<HookLine<Uninstalled>>,
    pub config: Vec<ConfigChange>,
}

/// The shim text for `hook`, pointing first at `binary` (the installing executable). Every
/// hook has one: an install never writes an empty hook.
pub(crate) fn shim(hook: run::HookName, binary: Option<&Path>) -> String {
    let template = match hook {
        run::HookName::PreCommit => include_str!("../../hooks/pre-commit"),
        run::HookName::PrepareCommitMsg => include_str!("../../hooks/prepare-commit-msg"),
        run::HookName::CommitMsg => include_str!("../../hooks/commit-msg"),
        run::HookName::PostCommit => include_str!("../../hooks/post-commit"),
        run::HookName::PostMerge => include_str!("../../hooks/post-merge"),
        run::HookName::PrePush => include_str!("../../hooks/pre-push"),
        run::HookName::PostRewrite => include_str!("../../hooks/post-rewrite"),
        run::HookName::PostCheckout => include_str!("../../hooks/post-checkout"),
    };
    fill(template, binary)
}

/// The shim git runs for `hook` on a person's branch (see `branches`), where that differs
/// from `shim`'s: the commit hooks there start the binary only for an agent's work.
pub(crate) fn person_branch_shim(hook: run::HookName, binary: Option<&Path>) -> String {
    let template = match hook {
        run::HookName::CommitMsg => include_str!("../../hooks/person-branch/commit-msg"),
        _ => return shim(hook, binary),
    };
    fill(template, binary)
}

fn fill(template: &str, binary: Option<&Path>) -> String {
    // The shim quotes the path in single quotes; a path that cannot be written there safely
    // is left out and the shim looks on PATH only.
    let binary = binary
        .and_then(Path::to_str)
        .filter(|p| !p.contains(['\'', '\n']))
        .unwrap_or("");
    template
        .replace(BIN_PLACEHOLDER, binary)
        .replace(HUMAN_MARK_PLACEHOLDER, human_mark::SHELL)
        .replace(AGENT_LINE_PLACEHOLDER, AGENT_LINE)
}

/// Whether a hook file is one of agentguard's shims (any version).
pub(crate) fn is_shim(content: &[u8]) -> bool {
    content
        .split(|b| *b == b'\n')
        .take(5)
        .any(|line| line.starts_with(SHIM_MARKER.as_bytes()))
}

/// The hooks directory git actually uses: `core.hooksPath` if set, else the common git dir's
/// `hooks` (shared by linked worktrees).
pub(crate) fn hooks_dir(repo: &Repo) -> Result<PathBuf, HooksError> {
    let workdir = repo.git().workdir().ok_or_else(|| HooksError::HooksDir {
        reason: "the repository has no work tree".into(),
    })?;
    let output = std::process::Command::new("git")
        .args(["rev-parse", "--git-path", "hooks"])
        .current_dir(workdir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| HooksError::HooksDir {
            reason: format!("cannot run git: {e}"),
        })?;
    if !output.status.success() {
        return Err(HooksError::HooksDir {
            reason: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    let text = String::from_utf8(output.stdout).map_err(|_| HooksError::HooksDir {
        reason: "the path is not valid UTF-8".into(),
    })?;
    let text = text.trim_end_matches('\n');
    if text.is_empty() {
        return Err(HooksError::HooksDir {
            reason: "git printed nothing".into(),
        });
    }
    // A relative answer is relative to where git ran.
    Ok(branches::unrouted(repo, workdir.join(text)))
}

/// The policy install follows: which notes refs travel, which branches are agents'.
fn head_policy(repo: &Repo) -> Result<Policy, HooksError> {
    let head = repo.head_commit()?;
    Ok(Policy::for_base(repo, head.as_ref())?)
}

enum Plan {
    Write,
    Update,
    Unchanged,
    Chain,
    Backup(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HooksError + '_ {
    move |source| HooksError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_symlink() {
        "a symlink"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Installs the shims into the hooks directory git uses and sets `notes.rewriteRef`. Every
/// hook is judged before any is touched, so a refusal leaves everything as it was.
pub(crate) fn install(
    repo: &Repo,
    force: bool,
    every_branch: bool,
) -> Result<InstallReport, HooksError> {
    // An earlier routing sets core.hooksPath itself: off first, so that git names the hooks
    // directory the user's own config chooses, and the routing is judged without it.
    let removed = branches::remove(repo)?;
    let dir = hooks_dir(repo)?;
    let policy = head_policy(repo)?;
    let refs = crate::sync::NotesRefs::new(&policy.evidence.notes_ref);
    let binary = std::env::current_exe().ok();

    let mut plans = Vec::new();
    for hook in run::HookName::ALL {
        let name = hook.as_str();
        let path = dir.join(name);
        let wanted = shim(hook, binary.as_deref());
        let plan = match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Plan::Write,
            Err(e) => return Err(io(&path)(e)),
            Ok(meta) if meta.file_type().is_file() => {
                let content = std::fs::read(&path).map_err(io(&path))?;
                if is_shim(&content) {
                    if content == wanted.as_bytes() && meta.permissions().mode() & 0o777 == 0o755 {
                        Plan::Unchanged
                    } else {
                        Plan::Update
                    }
                } else {
                    let kept = sibling(&path, CHAINED_SUFFIX);
                    if !exists(&kept) {
                        Plan::Chain
                    } else if force {
                        Plan::Backup(free_backup(&path)?)
                    } else {
                        return Err(HooksError::Taken { path, taken: kept });
                    }
                }
            }
            Ok(meta) => {
                if !force {
                    return Err(HooksError::NotRegular {
                        path,
                        kind: file_kind(&meta),
                    });
                }
                Plan::Backup(free_backup(&path)?)
            }
        };
        plans.push((name, path, wanted, plan));
    }

    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let mut hooks = Vec::new();
    for (name, path, wanted, plan) in plans {
        let action = match plan {
            Plan::Unchanged => Installed::Unchanged,
            Plan::Write => Installed::Written,
            Plan::Update => Installed::Updated,
            Plan::Chain => {
                let kept = sibling(&path, CHAINED_SUFFIX);
                // A rename keeps the bytes and the mode, and cannot cross file systems here.
                std::fs::rename(&path, &kept).map_err(io(&path))?;
                Installed::Chained { kept }
            }
            Plan::Backup(backup) => {
                std::fs::rename(&path, &backup).map_err(io(&path))?;
                Installed::Replaced { backup }
            }
        };
        if action != Installed::Unchanged {
            write_executable(&dir, &path, wanted.as_bytes())?;
        }
        let kept = sibling(&path, CHAINED_SUFFIX);
        hooks.push(HookLine {
            name,
            chains: exists(&kept).then_some(kept),
            path,
            action,
        });
    }

    let mut config = add_rewrite_refs(repo, &refs)?;
    config.extend(add_fetch_refspecs(repo, &refs)?);
    let (routing, changes) = branches::apply(repo, &dir, every_branch, binary.as_deref(), removed)?;
    config.extend(changes);
    Ok(InstallReport {
        hooks_dir: dir,
        tracked_hooks_path: repo.hooks_path_in_work_tree(),
        hooks,
        config,
        routing,
    })
}

/// `<hook>.agentguard-backup`, refusing to overwrite an earlier backup.
fn free_backup(path: &Path) -> Result<PathBuf, HooksError> {
    let backup = sibling(path, BACKUP_SUFFIX);
    if exists(&backup) {
        return Err(HooksError::Taken {
            path: path.to_path_buf(),
            taken: backup,
        });
    }
    Ok(backup)
}

/// Writes through a temporary file and a rename, so git never runs a half-written hook.
fn write_executable(dir: &Path, path: &Path, content: &[u8]) -> Result<(), HooksError> {
    write_atomically(dir, path, content, 0o755)
}

/// Writes `content` to `path` in `dir` with `mode` through a temporary file and a rename, so
/// git never reads half of it.
fn write_atomically(dir: &Path, path: &Path, content: &[u8], mode: u32) -> Result<(), HooksError> {
    let mut temp = tempfile::Builder::new()
        .prefix(".agentguard-")
        .tempfile_in(dir)
        .map_err(io(dir))?;
    temp.write_all(content).map_err(io(path))?;
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(io(path))?;
    temp.persist(path).map_err(|e| HooksError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// Removes the shims, puts back the hooks they chained to (or a `--force` backup), and
/// removes the `notes.rewriteRef` values `install` added.
pub(crate) fn uninstall(repo: &Repo) -> Result<UninstallReport, HooksError> {
    let dir = hooks_dir(repo)?;
    let mut hooks = Vec::new();
    for name in hook_names() {
        let path = dir.join(name);
        let kept = sibling(&path, CHAINED_SUFFIX);
        let backup = sibling(&path, BACKUP_SUFFIX);
        let ours = match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(&path)(e)),
            Ok(meta) if meta.file_type().is_file() => {
                Some(is_shim(&std::fs::read(&path).map_err(io(&path))?))
            }
            Ok(_) => Some(false),
        };
        let action = match ours {
            None => Uninstalled::Absent,
            Some(false) => Uninstalled::NotOurs,
            Some(true) => {
                std::fs::remove_file(&path).map_err(io(&path))?;
                let earlier = [kept.clone(), backup.clone()]
                    .into_iter()
                    .find(|p| exists(p));
                match earlier {
                    Some(from) => {
                        std::fs::rename(&from, &path).map_err(io(&from))?;
                        Uninstalled::Restored { from }
                    }
                    None => Uninstalled::Removed,
                }
            }
        };
        hooks.push(HookLine {
            name,
            chains: exists(&kept).then_some(kept),
            path,
            action,
        });
    }
    let mut config = remove_rewrite_refs(repo)?;
    config.extend(remove_fetch_refspecs(repo)?);
    config.extend(branches::remove(repo)?);
    // The shims' state goes with them; the ledger and pending evidence stay.
    let _ = human_mark::forget(repo);
    Ok(UninstallReport {
        hooks_dir: dir,
        hooks,
        config,
    })
}

/// The values of a multi-valued key, or none if it is not set.
fn values(config: &git2::Config, key: &str) -> Result<Vec<String>, git2::Error> {
    let mut entries = match config.multivar(key, None) {
        Ok(entries) => entries,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    while let Some(entry) = entries.next() {
        if let Some(value) = entry?.value() {
            out.push(value.to_string());
        }
    }
    Ok(out)
}

/// A POSIX regex matching exactly `value` (git and libgit2 select multivar values by regex).
pub(crate) fn exactly(value: &str) -> String {
    let mut out = String::from("^");
    for c in value.chars() {
        if ".[]{}()\\*+?^$|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('$');
    out
}

/// Whether a `notes.rewriteRef` value names `notes_ref`: exactly, or as a glob that ends in
/// `*` (git reads the values as globs).
pub(crate) fn rewrites(value: &str, notes_ref: &str) -> bool {
    match value.strip_suffix('*') {
        Some(prefix) if !prefix.contains(['*', '?', '[', '\\']) => notes_ref.starts_with(prefix),
        _ => value == notes_ref,
    }
}

/// One glob, `<evidence ref>*`, carries the evidence and the approvals (`<evidence ref>-approvals`)
/// through amend and rebase. Not the two refs by name: git warns on every amend and rebase about
/// a value naming a ref the clone does not have yet (a fresh clone has no local notes), and is
/// silent about a glob that matches nothing. Values an earlier install added by name give way.
fn add_rewrite_refs(
    repo: &Repo,
    refs: &crate::sync::NotesRefs,
) -> Result<Vec<ConfigChange>, HooksError> {
    let glob = format!("{}*", refs.evidence);
    let all = repo.git().config()?;
    let mut local = all.open_level(git2::ConfigLevel::Local)?;
    let mut changes = Vec::new();
    for value in values(&local, ADDED_CONFIG_KEY)? {
        if value != glob && rewrites(&glob, &value) {
            let pattern = exactly(&value);
            if values(&local, REWRITE_REF_KEY)?.contains(&value) {
                local.remove_multivar(REWRITE_REF_KEY, &pattern)?;
                changes.push(ConfigChange::removed(REWRITE_REF_KEY, &value));
            }
            local.remove_multivar(ADDED_CONFIG_KEY, &pattern)?;
        }
    }
    let present = values(&repo.git().config()?, REWRITE_REF_KEY)?;
    let mut covering: Vec<&String> = Vec::new();
    for notes_ref in [&refs.evidence, &refs.approvals] {
        match present.iter().find(|v| rewrites(v, notes_ref)) {
            Some(value) if !covering.contains(&value) => covering.push(value),
            Some(_) => {}
            None => {
                let pattern = exactly(&glob);
                local.set_multivar(REWRITE_REF_KEY, &pattern, &glob)?;
                local.set_multivar(ADDED_CONFIG_KEY, &pattern, &glob)?;
                changes.push(ConfigChange::added(REWRITE_REF_KEY, &glob));
                return Ok(changes);
            }
        }
    }
    changes.extend(
        covering
            .into_iter()
            .map(|value| ConfigChange::already_set(REWRITE_REF_KEY, value)),
    );
    Ok(changes)
}

fn remove_rewrite_refs(repo: &Repo) -> Result<Vec<ConfigChange>, HooksError> {
    let mut local = repo.git().config()?.open_level(git2::ConfigLevel::Local)?;
    let added = values(&local, ADDED_CONFIG_KEY)?;
    let present = values(&local, REWRITE_REF_KEY)?;
    let mut changes = Vec::new();
    for value in added {
        let pattern = exactly(&value);
        if present.contains(&value) {
            local.remove_multivar(REWRITE_REF_KEY, &pattern)?;
            changes.push(ConfigChange::removed(REWRITE_REF_KEY, &value));
        }
        local.remove_multivar(ADDED_CONFIG_KEY, &pattern)?;
    }
    Ok(changes)
}

/// Each remote fetches the notes into remote-tracking refs, so `git fetch` brings them and
/// `agentguard sync` (or pre-push) merges them. A refspec that writes the remote's notes over
/// the local ones is the opposite: agentguard's own old advice is removed, anyone else's is
/// warned about.
fn add_fetch_refspecs(
    repo: &Repo,
    refs: &crate::sync::NotesRefs,
) -> Result<Vec<ConfigChange>, HooksError> {
    let all = repo.git().config()?;
    let mut local = all.open_level(git2::ConfigLevel::Local)?;
    let mut changes = Vec::new();
    let remotes = repo.git().remotes()?;
    for remote in remotes.iter().flatten() {
        let key = format!("remote.{remote}.fetch");
        let wanted = refs.fetch_refspec(remote);
        let present = values(&all, &key)?;
        for value in &present {
            if !overwrites_local(value, refs) {
                continue;
            }
            if is_old_advice(value, refs) {
                local.remove_multivar(&key, &exactly(value))?;
                changes.push(ConfigChange::RemovedClobbering {
                    key: key.clone(),
                    value: value.clone(),
                });
            } else {
                changes.push(ConfigChange::Clobbers {
                    key: key.clone(),
                    value: value.clone(),
                });
            }
        }
        if present.contains(&wanted) {
            changes.push(ConfigChange::already_set(&key, &wanted));
            continue;
        }
        let pattern = exactly(&wanted);
        local.set_multivar(&key, &pattern, &wanted)?;
        let record = format!("{remote} {wanted}");
        local.set_multivar(ADDED_FETCH_KEY, &exactly(&record), &record)?;
        changes.push(ConfigChange::added(&key, &wanted));
    }
    Ok(changes)
}

fn remove_fetch_refspecs(repo: &Repo) -> Result<Vec<ConfigChange>, HooksError> {
    let mut local = repo.git().config()?.open_level(git2::ConfigLevel::Local)?;
    let mut changes = Vec::new();
    for record in values(&local, ADDED_FETCH_KEY)? {
        if let Some((remote, refspec)) = record.split_once(' ') {
            let key = format!("remote.{remote}.fetch");
            if values(&local, &key)?.iter().any(|v| v == refspec) {
                local.remove_multivar(&key, &exactly(refspec))?;
                changes.push(ConfigChange::removed(&key, refspec));
            }
        }
        local.remove_multivar(ADDED_FETCH_KEY, &exactly(&record))?;
    }
    Ok(changes)
}

/// Whether a fetch refspec's destination is one of the local notes refs.
fn overwrites_local(refspec: &str, refs: &crate::sync::NotesRefs) -> bool {
    let Some((_, dst)) = refspec.trim_start_matches('+').split_once(':') else {
        return false;
    };
    [&refs.evidence, &refs.approvals]
        .iter()
        .any(|local| refspec_matches(dst, local))
}

/// `refs/notes/agentguard*:refs/notes/agentguard*`, forced or not: what earlier docs said.
fn is_old_advice(refspec: &str, refs: &crate::sync::NotesRefs) -> bool {
    let glob = format!("{}*", refs.evidence);
    refspec.trim_start_matches('+') == format!("{glob}:{glob}")
}

/// A refspec side (at most one `*`) against a full ref name.
fn refspec_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((prefix, suffix)) => {
            name.len() >= prefix.len() + suffix.len()
                && name.starts_with(prefix)
                && name.ends_with(suffix)
        }
        None => pattern == name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shim_is_marked_and_names_its_hook() {
        for hook in run::HookName::ALL {
            let name = hook.as_str();
            let text = shim(hook, Some(Path::new("/opt/bin/agentguard")));
            assert!(text.starts_with("#!/bin/sh\n"), "{name}");
            assert!(is_shim(text.as_bytes()), "{name}");
            assert!(text.contains(&format!("hook {name} \"$@\"")), "{name}");
            assert!(text.contains("agentguard='/opt/bin/agentguard'"), "{name}");
            assert!(!text.contains(BIN_PLACEHOLDER), "{name}");
        }
    }

    #[test]
    fn a_path_that_cannot_be_quoted_is_left_out() {
        let text = shim(
            run::HookName::PreCommit,
            Some(Path::new("/tmp/it's/agentguard")),
        );
        assert!(text.contains("agentguard=''"), "{text}");
    }

    #[test]
    fn someone_elses_hook_is_not_a_shim() {
        assert!(!is_shim(b"#!/bin/sh\nexec husky\n"));
        assert!(!is_shim(&[0xff, 0xfe, 0]));
    }

    #[test]
    fn refspecs_that_write_the_local_notes_are_found() {
        let refs = crate::sync::NotesRefs::new("refs/notes/agentguard");
        let old = "+refs/notes/agentguard*:refs/notes/agentguard*";
        assert!(overwrites_local(old, &refs) && is_old_advice(old, &refs));
        let unforced = "refs/notes/agentguard*:refs/notes/agentguard*";
        assert!(overwrites_local(unforced, &refs) && is_old_advice(unforced, &refs));
        let all = "+refs/notes/*:refs/notes/*";
        assert!(overwrites_local(all, &refs) && !is_old_advice(all, &refs));
        let exact = "+refs/notes/agentguard-approvals:refs/notes/agentguard-approvals";
        assert!(overwrites_local(exact, &refs));
        for fine in [
            refs.fetch_refspec("origin").as_str(),
            "+refs/heads/*:refs/remotes/origin/*",
            "+refs/notes/commits:refs/notes/commits",
            "refs/notes/agentguard",
        ] {
            assert!(!overwrites_local(fine, &refs), "{fine}");
        }
    }

    #[test]
    fn exact_regex_escapes_metacharacters() {
        assert_eq!(exactly("refs/notes/a.b"), "^refs/notes/a\\.b$");
        assert_eq!(exactly("refs/notes/agentguard"), "^refs/notes/agentguard$");
    }
}
