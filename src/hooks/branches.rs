//! Which branches run which hooks.
//!
//! Every hook git starts costs a process, and a `pre-commit` hook makes git read the index
//! again: four hooks that do nothing already add more to a person's commit in a large
//! repository than a tenth of its time. So git itself picks the hooks, before any starts: an
//! `includeIf "onbranch:…"` in the repository's config points `core.hooksPath`, on a named
//! branch outside `[agent] branches`, at a directory with no pre-commit and with commit hooks
//! that start agentguard only for an agent's work (`AGENTGUARD_TASK`, `AGENTGUARD_AGENT`, an
//! `Agent-` line in the message, something pending to attach), beside the usual push, merge
//! and rewrite hooks. A person's commit there is judged, credentials included, when it is
//! pushed. Everything else finds the full hooks: an agent branch, a detached HEAD, a git too
//! old for `onbranch`, and a repository moved since `install` (the include is bound to its git
//! directory by `gitdir:`).

use super::{
    io, person_branch_shim, run::HookName, write_atomically, write_executable, ConfigChange,
    HooksError,
};
use crate::policy::Policy;
use crate::repo::Repo;
use std::path::{Path, PathBuf};

/// Under the common git dir; the include's path is relative to the config file there.
const DIR: &str = "agentguard/branches";
const GATE: &str = "gate.config";
const PERSON: &str = "person.config";
const AGENT: &str = "agent.config";
/// The agent branch patterns the gate routes, one per line: a refresh only adds to them.
const PATTERNS: &str = "agent-branches";
const HOOKS: &str = "hooks";

/// The hooks a named branch outside `[agent] branches` runs: no pre-commit (whose mere
/// presence makes git read the index again), commit hooks that start agentguard only for an
/// agent's work, and the push and rewrite hooks as they are everywhere.
const PERSON_BRANCH_HOOKS: [HookName; 7] = [
    HookName::PrepareCommitMsg,
    HookName::CommitMsg,
    HookName::PostCommit,
    HookName::PostMerge,
    HookName::PrePush,
    HookName::PostRewrite,
    HookName::PostCheckout,
];

/// How `install` left the branches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Routing {
    /// Commits on named branches outside these patterns start no hook.
    Gated { agent_branches: Vec<String> },
    /// Every commit runs every hook, for this reason.
    EveryBranch { reason: String },
}

struct Layout {
    common: PathBuf,
}

impl Layout {
    fn new(repo: &Repo) -> Self {
        let common = repo.common_dir();
        Self {
            common: common
                .canonicalize()
                .unwrap_or_else(|_| common.to_path_buf()),
        }
    }
    fn dir(&self) -> PathBuf {
        self.common.join(DIR)
    }
    fn gate(&self) -> PathBuf {
        self.dir().join(GATE)
    }
    fn person_hooks(&self) -> PathBuf {
        self.dir().join(HOOKS)
    }
    fn full_hooks(&self) -> PathBuf {
        self.common.join("hooks")
    }
    /// The `.git/config` keys that include the gate, bound to this git directory: one for the
    /// main work tree, one for linked ones (`gitdir:<dir>/` would match neither: git makes it
    /// `<dir>/**`, which does not match `<dir>` itself).
    fn include_keys(&self) -> Option<[String; 2]> {
        let dir = self.common.to_str()?;
        // A glob character would make the condition match other directories or none; a
        // quote or newline cannot be written in the section name.
        let plain = !dir.contains(['*', '?', '[', ']', '\\', '"', '\n']);
        plain.then(|| {
            [
                format!("includeIf.gitdir:{dir}.path"),
                format!("includeIf.gitdir:{dir}/worktrees/*.path"),
            ]
        })
    }
    fn include_value() -> String {
        format!("{DIR}/{GATE}")
    }
}

/// The hooks directory git reports on a branch the gate routes to the push hooks is, for
/// `install`, `uninstall` and `doctor`, the full one.
pub(crate) fn unrouted(repo: &Repo, reported: PathBuf) -> PathBuf {
    let layout = Layout::new(repo);
    match reported.canonicalize() {
        Ok(dir) if dir == layout.person_hooks() => layout.full_hooks(),
        _ => reported,
    }
}

/// How the routing stands, for `doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Health {
    /// Every commit runs every hook.
    Off,
    /// Commits on named branches outside these patterns run the person's branch hooks.
    Routed(Vec<String>),
    /// The include names another git directory (the repository moved): every hook runs.
    Moved,
    /// In place, but no longer safe or no longer whole, for this reason.
    Unsafe(String),
}

pub(crate) fn health(repo: &Repo) -> Health {
    let layout = Layout::new(repo);
    if !layout.gate().is_file() {
        return Health::Off;
    }
    let names_this_dir = match (layout.include_keys(), included_by(repo)) {
        (Some(wanted), Ok(present)) => wanted
            .iter()
            .any(|w| present.iter().any(|p| p.eq_ignore_ascii_case(w))),
        _ => false,
    };
    if !names_this_dir {
        return Health::Moved;
    }
    let person_hooks = layout.person_hooks();
    let missing: Vec<&str> = PERSON_BRANCH_HOOKS
        .iter()
        .map(|h| h.as_str())
        .filter(|name| !std::fs::read(person_hooks.join(name)).is_ok_and(|c| super::is_shim(&c)))
        .collect();
    if !missing.is_empty() {
        return Health::Unsafe(format!(
            "missing or not agentguard's in {}: {}",
            person_hooks.display(),
            missing.join(", ")
        ));
    }
    let reason = repo
        .head_commit()
        .map_err(HooksError::from)
        .and_then(|head| Ok(Policy::for_base(repo, head.as_ref())?))
        .and_then(|policy| why_not(repo, &layout, &layout.full_hooks(), &policy));
    match reason {
        Ok(None) => Health::Routed(recorded(&layout)),
        Ok(Some(reason)) => Health::Unsafe(reason),
        Err(e) => Health::Unsafe(e.to_string()),
    }
}

/// The repository config keys that include the gate: for this path, or one the repository
/// had before it moved.
fn included_by(repo: &Repo) -> Result<Vec<String>, HooksError> {
    let local = repo.git().config()?.open_level(git2::ConfigLevel::Local)?;
    let value = Layout::include_value();
    let mut keys = Vec::new();
    let mut entries = local.entries(Some(r"^includeif\..*\.path$"))?;
    while let Some(entry) = entries.next() {
        let entry = entry?;
        if entry.value() == Some(value.as_str()) {
            if let Some(name) = entry.name() {
                keys.push(name.to_string());
            }
        }
    }
    Ok(keys)
}

/// Sets the gate up after `install` removed any earlier one (`removed`, what that changed) and
/// wrote the full hooks into `hooks_dir`; or leaves it off when every branch is to run every
/// hook.
pub(crate) fn apply(
    repo: &Repo,
    hooks_dir: &Path,
    policy: &Policy,
    every_branch: bool,
    binary: Option<&Path>,
    removed: Vec<ConfigChange>,
) -> Result<(Routing, Vec<ConfigChange>), HooksError> {
    let layout = Layout::new(repo);
    let mut changes = removed;
    let reason = if every_branch {
        Some("`install --every-branch`".to_string())
    } else {
        why_not(repo, &layout, hooks_dir, policy)?
    };
    if let Some(reason) = reason {
        return Ok((Routing::EveryBranch { reason }, changes));
    }
    let Some(keys) = layout.include_keys() else {
        return Ok((
            Routing::EveryBranch {
                reason: "the git directory's path cannot be written in a git config condition"
                    .into(),
            },
            changes,
        ));
    };
    let patterns = policy.agent.branches.patterns().to_vec();
    let person_hooks = layout.person_hooks();
    std::fs::create_dir_all(&person_hooks).map_err(io(&person_hooks))?;
    for hook in PERSON_BRANCH_HOOKS {
        write_executable(
            &person_hooks,
            &person_hooks.join(hook.as_str()),
            person_branch_shim(hook, binary).as_bytes(),
        )?;
    }
    write_config(&layout, &patterns)?;
    let value = Layout::include_value();
    let mut local = repo.git().config()?.open_level(git2::ConfigLevel::Local)?;
    for key in keys {
        local.set_str(&key, &value)?;
        // `remove` reports keys as git prints them: section and name in lower case.
        let removed_same = changes.iter().position(
            |c| matches!(c, ConfigChange::Removed { key: k, .. } if k.eq_ignore_ascii_case(&key)),
        );
        match removed_same {
            Some(i) => changes[i] = ConfigChange::already_set(&key, &value),
            None => changes.push(ConfigChange::added(&key, &value)),
        }
    }
    Ok((
        Routing::Gated {
            agent_branches: patterns,
        },
        changes,
    ))
}

/// Removes the gate: the include from the repository's config and the files it names.
pub(crate) fn remove(repo: &Repo) -> Result<Vec<ConfigChange>, HooksError> {
    let layout = Layout::new(repo);
    let mut changes = Vec::new();
    let mut local = repo.git().config()?.open_level(git2::ConfigLevel::Local)?;
    let value = Layout::include_value();
    for key in included_by(repo)? {
        local.remove(&key)?;
        changes.push(ConfigChange::removed(&key, &value));
    }
    let dir = layout.dir();
    match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&dir)(e)),
        _ => {}
    }
    Ok(changes)
}

/// Run by the hooks that run on every branch (pre-push, post-merge): keeps the gate true to
/// the policy and the hooks directory as they are now. Agent branches the policy adds are
/// routed to the full hooks; none is ever taken away here (a change on a branch could
/// otherwise route itself out of the hooks). Anything that makes the gate unsafe removes it,
/// and every branch runs every hook. Returns what changed, for the hook's output.
pub(crate) fn refresh(repo: &Repo) -> Result<Option<String>, HooksError> {
    let layout = Layout::new(repo);
    if !layout.gate().is_file() {
        return Ok(None);
    }
    let head = repo.head_commit()?;
    let policy = Policy::for_base(repo, head.as_ref())?;
    if let Some(reason) = why_not(repo, &layout, &layout.full_hooks(), &policy)? {
        let gate = layout.gate();
        std::fs::remove_file(&gate).map_err(io(&gate))?;
        return Ok(Some(format!(
            "every branch now runs all of agentguard's hooks: {reason} (`agentguard install` says more)"
        )));
    }
    let mut patterns = recorded(&layout);
    let added: Vec<String> = policy
        .agent
        .branches
        .patterns()
        .iter()
        .filter(|p| !patterns.contains(p))
        .cloned()
        .collect();
    if added.is_empty() {
        return Ok(None);
    }
    patterns.extend(added.iter().cloned());
    write_config(&layout, &patterns)?;
    Ok(Some(format!(
        "commits on {} now run every hook ([agent] branches)",
        added.join(", ")
    )))
}

fn recorded(layout: &Layout) -> Vec<String> {
    std::fs::read_to_string(layout.dir().join(PATTERNS))
        .map(|text| text.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Why the gate cannot be set up safely, if it cannot.
fn why_not(
    repo: &Repo,
    layout: &Layout,
    hooks_dir: &Path,
    policy: &Policy,
) -> Result<Option<String>, HooksError> {
    if !policy.agent.authors.patterns().is_empty() {
        return Ok(Some(
            "`[agent] authors` names agents by author, which only a hook can see".into(),
        ));
    }
    if let Some(path) = user_hooks_path(repo) {
        return Ok(Some(format!(
            "core.hooksPath is set ({path}), and the hooks there must run on every branch"
        )));
    }
    if hooks_dir.canonicalize().ok().as_deref() != Some(layout.full_hooks().as_path()) {
        return Ok(Some(format!(
            "the hooks directory {} is not the repository's own",
            hooks_dir.display()
        )));
    }
    let others = other_hooks(hooks_dir)?;
    if !others.is_empty() {
        return Ok(Some(format!(
            "the hooks directory holds hooks that are not agentguard's ({}), and they must run on every branch",
            others.join(", ")
        )));
    }
    if layout.include_keys().is_none() {
        return Ok(Some(
            "the git directory's path holds a character a git config condition cannot name".into(),
        ));
    }
    for pattern in policy.agent.branches.patterns() {
        if onbranch(pattern).is_none() {
            return Ok(Some(format!(
                "the `[agent] branches` pattern `{pattern}` has no equivalent in git's `onbranch`"
            )));
        }
    }
    Ok(None)
}

/// `core.hooksPath` as the user's config sets it, the gate's includes left out. Unknown
/// (git cannot run) counts as set: the gate is only for what is known to be safe.
fn user_hooks_path(repo: &Repo) -> Option<String> {
    let workdir = repo.git().workdir()?;
    let output = std::process::Command::new("git")
        .args(["config", "--no-includes", "--get", "core.hooksPath"])
        .current_dir(workdir)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    match output {
        // 1: the key is not set.
        Ok(out) if out.status.code() == Some(1) => None,
        Ok(out) if out.status.success() => {
            Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        _ => Some("(git could not say)".into()),
    }
}

/// Executable files in the hooks directory that are not agentguard's shims or git's samples:
/// hooks someone else installed (a hook agentguard chains to included).
fn other_hooks(dir: &Path) -> Result<Vec<String>, HooksError> {
    use std::os::unix::fs::PermissionsExt;
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut others = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".sample") || name.ends_with(super::BACKUP_SUFFIX) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
            continue;
        }
        let ours = std::fs::read(&path).is_ok_and(|content| super::is_shim(&content));
        if !ours {
            others.push(name);
        }
    }
    others.sort();
    Ok(others)
}

/// `onbranch` patterns (git's wildmatch, `*` within a component) that together match at least
/// every branch the policy glob matches; `None` for syntax they cannot say.
pub(crate) fn onbranch(pattern: &str) -> Option<Vec<String>> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "/._-+@*?".contains(c);
    if !pattern.chars().all(ok) {
        return None;
    }
    let body = pattern.trim_start_matches('/').trim_end_matches('/');
    if body.is_empty() {
        return None;
    }
    // As `glob` compiles it: a name without `/` at any depth, and what lies below.
    let base = if body == "**" || pattern.starts_with('/') || body.contains('/') {
        body.to_string()
    } else {
        format!("**/{body}")
    };
    if base == "**" || base.ends_with("/**") {
        return Some(vec![base]);
    }
    Some(vec![base.clone(), format!("{base}/**")])
}

fn write_config(layout: &Layout, patterns: &[String]) -> Result<(), HooksError> {
    let dir = layout.dir();
    let quoted = |path: &Path| format!("\"{}\"", path.display());
    let mut gate = format!(
        "# Written by `agentguard install`; `install --every-branch` and `uninstall` remove it.\n\
         # On a named branch outside [agent] branches git runs the hooks in hooks/ here; a\n\
         # later include wins, so an agent branch runs every hook.\n\
         [includeIf \"onbranch:**\"]\n\tpath = {PERSON}\n",
    );
    for pattern in patterns {
        for onbranch in onbranch(pattern).unwrap_or_default() {
            gate.push_str(&format!(
                "[includeIf \"onbranch:{onbranch}\"]\n\tpath = {AGENT}\n"
            ));
        }
    }
    let files = [
        (
            PERSON,
            format!("[core]\n\thooksPath = {}\n", quoted(&layout.person_hooks())),
        ),
        (
            AGENT,
            format!("[core]\n\thooksPath = {}\n", quoted(&layout.full_hooks())),
        ),
        (
            PATTERNS,
            patterns.iter().map(|p| format!("{p}\n")).collect(),
        ),
        // Last: git reads nothing of the gate until this file is complete.
        (GATE, gate),
    ];
    for (name, content) in files {
        write_atomically(&dir, &dir.join(name), content.as_bytes(), 0o644)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::onbranch;

    #[test]
    fn policy_globs_become_onbranch_patterns_that_match_at_least_as_much() {
        assert_eq!(onbranch("agent/**").unwrap(), ["agent/**"]);
        assert_eq!(onbranch("bots/*").unwrap(), ["bots/*", "bots/*/**"]);
        assert_eq!(onbranch("codex").unwrap(), ["**/codex", "**/codex/**"]);
        assert_eq!(
            onbranch("/release-*").unwrap(),
            ["release-*", "release-*/**"]
        );
        assert_eq!(onbranch("**").unwrap(), ["**"]);
    }

    #[test]
    fn syntax_onbranch_cannot_say_is_refused() {
        for pattern in ["{agent,bot}/**", "agent/[ab]*", "a\\*", "x y", "\"q\"", "/"] {
            assert!(onbranch(pattern).is_none(), "{pattern}");
        }
    }
}
