//! Which branches run which hooks.
//!
//! Every hook git starts costs a process, and a `pre-commit` hook makes git read the index
//! again: four hooks that do nothing already add more to a person's commit in a large
//! repository than a tenth of its time. So git itself picks the hooks, before any starts: an
//! `includeIf "onbranch:…"` in the repository's config points `core.hooksPath`, on a named
//! branch outside `[agent] branches`, at a directory whose one commit hook, commit-msg, starts
//! agentguard only for an agent's work (`AGENTGUARD_TASK`, `AGENTGUARD_AGENT`, an `Agent-`
//! line in the message), beside the usual push, merge, rewrite and checkout hooks; pre-push
//! attaches the evidence post-commit would have. A person's commit there is judged,
//! credentials included, when it is pushed. Everything else finds the full hooks: an agent branch, a
//! detached HEAD, a git too old for `onbranch`, and a repository moved since `install` (the
//! include is bound to its git directory by `gitdir:`).
//!
//! The routing covers every work tree of the repository, so it follows the policies of all
//! their HEADs. Whatever makes it unsafe removes it: every branch then runs every hook.

use super::{
    io, is_shim, person_branch_shim, run::HookName, write_atomically, write_executable,
    ConfigChange, HooksError,
};
use crate::lock::Lock;
use crate::policy::Policy;
use crate::repo::Repo;
use std::fmt;
use std::path::{Path, PathBuf};

/// Under the common git dir; the include's path is relative to the config file there.
const DIR: &str = "agentguard/branches";
const GATE: &str = "gate.config";
const PERSON: &str = "person.config";
const AGENT: &str = "agent.config";
/// The agent branch patterns the gate routes, one per line: a refresh only adds to them.
const PATTERNS: &str = "agent-branches";
const HOOKS: &str = "hooks";
/// Beside `DIR`, which `remove` deletes: held while the gate's files are read and written.
const LOCK: &str = "agentguard/branches.lock";

/// The hooks a named branch outside `[agent] branches` runs. One commit hook: every hook git
/// starts costs a process, and a pre-commit hook's mere presence makes git read the index
/// again. commit-msg starts agentguard only for an agent's work, judges it in full and adds
/// the trailers prepare-commit-msg would have; pre-push attaches the evidence post-commit
/// would have. The push, merge, rewrite and checkout hooks are as they are everywhere.
const PERSON_BRANCH_HOOKS: [HookName; 5] = [
    HookName::CommitMsg,
    HookName::PostMerge,
    HookName::PrePush,
    HookName::PostRewrite,
    HookName::PostCheckout,
];

/// Why a person's branch is not routed to lighter hooks, so every commit runs every hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unrouted {
    /// `install --every-branch`.
    Asked,
    /// `[agent] authors` names agents by author, which only a running hook sees.
    AgentAuthors,
    /// The user's config sets `core.hooksPath` (the value): those hooks run everywhere.
    HooksPath(String),
    /// The hooks directory git uses is not the repository's own.
    ForeignHooksDir(PathBuf),
    /// Hooks that are not agentguard's, by file name: they run on every branch.
    OtherHooks(Vec<String>),
    /// The git directory's path has a character a `gitdir:` condition cannot name.
    UnnamablePath,
    /// A `[agent] branches` glob with syntax `onbranch` cannot say.
    Pattern(String),
    /// The list of routed agent branches is gone, so none could be kept.
    PatternsLost,
}

impl fmt::Display for Unrouted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unrouted::Asked => write!(f, "`install --every-branch`"),
            Unrouted::AgentAuthors => write!(
                f,
                "`[agent] authors` names agents by author, which only a running hook can see"
            ),
            Unrouted::HooksPath(path) => write!(
                f,
                "core.hooksPath is set ({path}), and the hooks there must run on every branch"
            ),
            Unrouted::ForeignHooksDir(dir) => write!(
                f,
                "the hooks directory {} is not the repository's own",
                dir.display()
            ),
            Unrouted::OtherHooks(names) => write!(
                f,
                "there are hooks that are not agentguard's ({}), and they must run on every branch",
                names.join(", ")
            ),
            Unrouted::UnnamablePath => write!(
                f,
                "the git directory's path holds a character a git config condition cannot name"
            ),
            Unrouted::Pattern(pattern) => write!(
                f,
                "the `[agent] branches` pattern `{pattern}` has no equivalent in git's `onbranch`"
            ),
            Unrouted::PatternsLost => write!(f, "the list of routed agent branches is gone"),
        }
    }
}

/// How `install` left the branches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Routing {
    /// Commits on named branches outside these patterns run the person's branch hooks.
    Gated { agent_branches: Vec<String> },
    /// Every commit runs every hook.
    EveryBranch(Unrouted),
}

/// How the routing stands, for `doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Health {
    /// Every commit runs every hook.
    Off,
    /// Commits on named branches outside these patterns run the person's branch hooks.
    Routed(Vec<String>),
    /// The includes name another git directory (the repository moved): every hook runs.
    Moved,
    /// In place, but no longer safe.
    Unsafe(Unrouted),
    /// In place, but not whole, or not readable: what is wrong.
    Broken(String),
}

/// What a refresh changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refreshed {
    /// These agent branch patterns are routed to every hook from now on.
    Added(Vec<String>),
    /// The routing was removed: every commit runs every hook.
    Removed(Unrouted),
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
    fn lock(&self) -> Result<Lock, HooksError> {
        let path = self.common.join(LOCK);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        Lock::exclusive(&path).map_err(io(&path))
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

/// The hooks directory git reports on a person's branch is, for `install`, `uninstall` and
/// `doctor`, the full one.
pub(crate) fn unrouted(repo: &Repo, reported: PathBuf) -> PathBuf {
    let layout = Layout::new(repo);
    match reported.canonicalize() {
        Ok(dir) if dir == layout.person_hooks() => layout.full_hooks(),
        _ => reported,
    }
}

pub(crate) fn health(repo: &Repo) -> Health {
    let layout = Layout::new(repo);
    if !layout.gate().is_file() {
        return Health::Off;
    }
    let present = match included_by(repo) {
        Ok(present) => present,
        Err(e) => return Health::Broken(e.to_string()),
    };
    let Some(wanted) = layout.include_keys() else {
        return Health::Unsafe(Unrouted::UnnamablePath);
    };
    if !wanted
        .iter()
        .all(|w| present.iter().any(|p| same_key(p, w)))
    {
        return Health::Moved;
    }
    let person_hooks = layout.person_hooks();
    let missing: Vec<&str> = PERSON_BRANCH_HOOKS
        .iter()
        .map(|h| h.as_str())
        .filter(|name| !std::fs::read(person_hooks.join(name)).is_ok_and(|c| is_shim(&c)))
        .collect();
    if !missing.is_empty() {
        return Health::Broken(format!(
            "missing or not agentguard's in {}: {}",
            person_hooks.display(),
            missing.join(", ")
        ));
    }
    let Some(patterns) = recorded(&layout) else {
        return Health::Unsafe(Unrouted::PatternsLost);
    };
    match head_policies(repo)
        .and_then(|policies| why_not(repo, &layout, &layout.full_hooks(), &policies))
    {
        Ok(None) => Health::Routed(patterns),
        Ok(Some(reason)) => Health::Unsafe(reason),
        Err(e) => Health::Broken(e.to_string()),
    }
}

/// A config key as git prints it against one as written: section and name regardless of case,
/// the subsection (the `gitdir:` path) exactly.
fn same_key(printed: &str, written: &str) -> bool {
    let split = |key: &str| -> Option<(String, String, String)> {
        let (section, rest) = key.split_once('.')?;
        let (subsection, name) = rest.rsplit_once('.')?;
        Some((
            section.to_ascii_lowercase(),
            subsection.to_string(),
            name.to_ascii_lowercase(),
        ))
    };
    split(printed).is_some() && split(printed) == split(written)
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

/// The policies of every work tree's HEAD (the default policy where none has a commit): the
/// routing covers them all.
fn head_policies(repo: &Repo) -> Result<Vec<Policy>, HooksError> {
    let heads = repo.work_tree_heads();
    if heads.is_empty() {
        return Ok(vec![Policy::for_base(repo, None)?]);
    }
    let mut policies = Vec::with_capacity(heads.len());
    for head in heads {
        let commit = repo
            .git()
            .find_commit(head)
            .map_err(crate::repo::RepoError::from)?;
        policies.push(Policy::for_base(repo, Some(&commit))?);
    }
    Ok(policies)
}

/// The `[agent] branches` of all `policies`, each once, in order.
fn agent_branches(policies: &[Policy]) -> Vec<String> {
    let mut patterns: Vec<String> = Vec::new();
    for pattern in policies.iter().flat_map(|p| p.agent.branches.patterns()) {
        if !patterns.contains(pattern) {
            patterns.push(pattern.clone());
        }
    }
    patterns
}

/// Sets the gate up after `install` removed any earlier one (`removed`, what that changed) and
/// wrote the full hooks into `hooks_dir`; or leaves it off when every branch is to run every
/// hook.
pub(crate) fn apply(
    repo: &Repo,
    hooks_dir: &Path,
    every_branch: bool,
    binary: Option<&Path>,
    removed: Vec<ConfigChange>,
) -> Result<(Routing, Vec<ConfigChange>), HooksError> {
    let layout = Layout::new(repo);
    let _lock = layout.lock()?;
    let mut changes = removed;
    let policies = head_policies(repo)?;
    let reason = if every_branch {
        Some(Unrouted::Asked)
    } else {
        why_not(repo, &layout, hooks_dir, &policies)?
    };
    if let Some(reason) = reason {
        return Ok((Routing::EveryBranch(reason), changes));
    }
    let Some(keys) = layout.include_keys() else {
        return Ok((Routing::EveryBranch(Unrouted::UnnamablePath), changes));
    };
    let patterns = agent_branches(&policies);
    let person_hooks = layout.person_hooks();
    std::fs::create_dir_all(&person_hooks).map_err(io(&person_hooks))?;
    for hook in PERSON_BRANCH_HOOKS {
        write_executable(
            &person_hooks,
            &person_hooks.join(hook.as_str()),
            person_branch_shim(hook, binary).as_bytes(),
        )?;
    }
    if let Err(pattern) = write_config(&layout, &patterns)? {
        return Ok((Routing::EveryBranch(Unrouted::Pattern(pattern)), changes));
    }
    let value = Layout::include_value();
    let mut local = repo.git().config()?.open_level(git2::ConfigLevel::Local)?;
    for key in keys {
        // Added beside any include of the user's under the same condition, never over it.
        local.set_multivar(&key, &super::exactly(&value), &value)?;
        let removed_same = changes
            .iter()
            .position(|c| matches!(c, ConfigChange::Removed { key: k, .. } if same_key(k, &key)));
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

/// Removes the gate: its includes from the repository's config and the files it wrote. A
/// file someone else put there is left.
pub(crate) fn remove(repo: &Repo) -> Result<Vec<ConfigChange>, HooksError> {
    let layout = Layout::new(repo);
    let _lock = layout.lock()?;
    let mut changes = Vec::new();
    let mut local = repo.git().config()?.open_level(git2::ConfigLevel::Local)?;
    let value = Layout::include_value();
    for key in included_by(repo)? {
        local.remove_multivar(&key, &super::exactly(&value))?;
        changes.push(ConfigChange::removed(&key, &value));
    }
    let dir = layout.dir();
    let person_hooks = layout.person_hooks();
    let ours = PERSON_BRANCH_HOOKS
        .iter()
        .map(|h| person_hooks.join(h.as_str()))
        .filter(|path| std::fs::read(path).is_ok_and(|c| is_shim(&c)));
    let files = [GATE, PERSON, AGENT, PATTERNS].map(|name| dir.join(name));
    for path in files.into_iter().chain(ours) {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&path)(e)),
            _ => {}
        }
    }
    // Only when empty: what is left is not agentguard's.
    for dir in [person_hooks, dir] {
        let _ = std::fs::remove_dir(dir);
    }
    Ok(changes)
}

/// Run by the hooks that run on every branch: keeps the gate true to the policies of the work
/// trees' HEADs and to the hooks directories as they are now. Agent branches a policy adds are
/// routed to the full hooks; none is ever taken away here (a change on a branch could
/// otherwise route itself out of the hooks). Anything that makes the gate unsafe removes it.
pub(crate) fn refresh(repo: &Repo) -> Result<Option<Refreshed>, HooksError> {
    let layout = Layout::new(repo);
    if !layout.gate().is_file() {
        return Ok(None);
    }
    let _lock = layout.lock()?;
    let policies = head_policies(repo)?;
    let unroute = |reason: Unrouted| -> Result<Option<Refreshed>, HooksError> {
        let gate = layout.gate();
        match std::fs::remove_file(&gate) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&gate)(e)),
            _ => Ok(Some(Refreshed::Removed(reason))),
        }
    };
    let Some(mut patterns) = recorded(&layout) else {
        return unroute(Unrouted::PatternsLost);
    };
    if let Some(reason) = why_not(repo, &layout, &layout.full_hooks(), &policies)? {
        return unroute(reason);
    }
    let added: Vec<String> = agent_branches(&policies)
        .into_iter()
        .filter(|p| !patterns.contains(p))
        .collect();
    if added.is_empty() {
        return Ok(None);
    }
    patterns.extend(added.iter().cloned());
    match write_config(&layout, &patterns)? {
        Ok(()) => Ok(Some(Refreshed::Added(added))),
        Err(pattern) => unroute(Unrouted::Pattern(pattern)),
    }
}

/// The agent branch patterns the gate routes; `None` if their list is gone.
fn recorded(layout: &Layout) -> Option<Vec<String>> {
    std::fs::read_to_string(layout.dir().join(PATTERNS))
        .ok()
        .map(|text| text.lines().map(str::to_string).collect())
}

/// Why the gate cannot be set up safely, if it cannot.
fn why_not(
    repo: &Repo,
    layout: &Layout,
    hooks_dir: &Path,
    policies: &[Policy],
) -> Result<Option<Unrouted>, HooksError> {
    if policies
        .iter()
        .any(|p| !p.agent.authors.patterns().is_empty())
    {
        return Ok(Some(Unrouted::AgentAuthors));
    }
    if let Some(path) = user_hooks_path(repo)? {
        return Ok(Some(Unrouted::HooksPath(path)));
    }
    if hooks_dir.canonicalize().ok().as_deref() != Some(layout.full_hooks().as_path()) {
        return Ok(Some(Unrouted::ForeignHooksDir(hooks_dir.to_path_buf())));
    }
    let mut others = other_hooks(hooks_dir)?;
    others.extend(
        other_hooks(&layout.person_hooks())?
            .into_iter()
            .map(|name| format!("{HOOKS}/{name} here")),
    );
    if !others.is_empty() {
        return Ok(Some(Unrouted::OtherHooks(others)));
    }
    if layout.include_keys().is_none() {
        return Ok(Some(Unrouted::UnnamablePath));
    }
    if let Some(pattern) = agent_branches(policies)
        .into_iter()
        .find(|p| onbranch(p).is_none())
    {
        return Ok(Some(Unrouted::Pattern(pattern)));
    }
    Ok(None)
}

/// `core.hooksPath` as the user's configuration sets it, anywhere but in the gate's own files.
fn user_hooks_path(repo: &Repo) -> Result<Option<String>, HooksError> {
    let own = [PERSON, AGENT].map(|name| format!("{DIR}/{name}"));
    Ok(repo
        .config_origins("core.hooksPath")?
        .into_iter()
        .find(|(origin, _)| !own.iter().any(|file| origin.ends_with(file.as_str())))
        .map(|(_, value)| value))
}

/// Executable files in a hooks directory that are not agentguard's shims or git's samples:
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
        if !std::fs::read(&path).is_ok_and(|content| is_shim(&content)) {
            others.push(name);
        }
    }
    others.sort();
    Ok(others)
}

/// The `onbranch` patterns (git's wildmatch) a policy glob compiles to, as `glob` compiles it
/// for globset; `None` for syntax the two may read differently (classes, alternatives,
/// escapes, spaces).
pub(crate) fn onbranch(pattern: &str) -> Option<Vec<String>> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+@*?".contains(c);
    if !pattern.chars().all(plain) {
        return None;
    }
    crate::glob::expand(pattern).ok()
}

/// Writes the gate's files, the gate last; `Err(pattern)` (nothing written) for a pattern
/// `onbranch` cannot say.
fn write_config(layout: &Layout, patterns: &[String]) -> Result<Result<(), String>, HooksError> {
    let dir = layout.dir();
    let quoted = |path: &Path| format!("\"{}\"", path.display());
    let mut gate = format!(
        "# Written by `agentguard install`; `install --every-branch` and `uninstall` remove it.\n\
         # On a named branch outside [agent] branches git runs the hooks in hooks/ here; a\n\
         # later include wins, so an agent branch runs every hook.\n\
         [includeIf \"onbranch:**\"]\n\tpath = {PERSON}\n",
    );
    for pattern in patterns {
        let Some(translated) = onbranch(pattern) else {
            return Ok(Err(pattern.clone()));
        };
        for onbranch in translated {
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
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    for (name, content) in files {
        write_atomically(&dir, &dir.join(name), content.as_bytes(), 0o644)?;
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::{onbranch, same_key};

    #[test]
    fn policy_globs_become_the_onbranch_patterns_glob_compiles_them_to() {
        assert_eq!(onbranch("agent/**").unwrap(), ["agent/**"]);
        assert_eq!(onbranch("bots/*").unwrap(), ["bots/*/**", "bots/*"]);
        assert_eq!(onbranch("codex").unwrap(), ["**/codex/**", "**/codex"]);
        assert_eq!(onbranch("bots/").unwrap(), ["**/bots/**", "**/bots"]);
        assert_eq!(
            onbranch("/release-*").unwrap(),
            ["release-*/**", "release-*"]
        );
        assert_eq!(onbranch("**").unwrap(), ["**"]);
    }

    #[test]
    fn syntax_onbranch_cannot_say_is_refused() {
        for pattern in [
            "{agent,bot}/**",
            "agent/[ab]*",
            "a\\*",
            "x y",
            "\"q\"",
            "/",
            "!x",
        ] {
            assert!(onbranch(pattern).is_none(), "{pattern}");
        }
    }

    #[test]
    fn a_key_git_prints_matches_its_section_in_any_case_and_its_path_exactly() {
        assert!(same_key(
            "includeif.gitdir:/r/Repo/.git.path",
            "includeIf.gitdir:/r/Repo/.git.path"
        ));
        assert!(!same_key(
            "includeif.gitdir:/r/repo/.git.path",
            "includeIf.gitdir:/r/Repo/.git.path"
        ));
        assert!(!same_key("nodots", "nodots"));
    }
}
