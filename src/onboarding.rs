//! Getting a repository started: `init` writes the policy and the tasks directory, `task new`
//! a task file, `task trailers` the trailer block an agent ends its commit messages with.

use crate::policy::task::is_valid_task_id;
use crate::policy::{Policy, PolicyError, DEFAULT_POLICY, POLICY_FILE};
use crate::repo::{Repo, RepoError};
use crate::task::{AgentTrailers, TASKS_DIR};
use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub(crate) enum OnboardingError {
    #[error("refusing to overwrite what is already there: {}", .paths.join(", "))]
    Exists { paths: Vec<String> },
    #[error(
        "invalid task id `{id}`: use letters, digits, `.`, `_` and `-` (not starting with `.`)"
    )]
    InvalidTaskId { id: String },
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the repository has no work tree to write into")]
    NoWorkTree,
    #[error("{path} has only one of the agentguard block markers, or they are out of order")]
    BrokenMarkers { path: String },
    #[error("{path} is not a file inside the work tree")]
    OutsideWorkTree { path: String },
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl OnboardingError {
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match self {
            OnboardingError::Exists { .. } => {
                Some("pass --force to overwrite it (`git diff` then shows what changed)")
            }
            OnboardingError::InvalidTaskId { .. } => {
                Some("task ids become file names, e.g. T-42, fix-login or JIRA-123")
            }
            OnboardingError::Io { .. } => Some("check that the work tree is writable"),
            OnboardingError::NoWorkTree => Some("run it in a clone with a work tree"),
            OnboardingError::BrokenMarkers { .. } => Some(
                "restore both `<!-- agentguard:begin … -->` and `<!-- agentguard:end -->` lines, or remove what is left of the block, then run it again",
            ),
            OnboardingError::OutsideWorkTree { .. } => {
                Some("name a file relative to the repository root, such as AGENTS.md or CLAUDE.md")
            }
            OnboardingError::Policy(e) => e.hint(),
            OnboardingError::Repo(e) => e.hint(),
        }
    }
}

/// A file written into the work tree, relative to its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    pub path: String,
    pub overwritten: bool,
}

/// The README that makes `.agentguard/tasks/` a directory git can commit.
pub(crate) const TASKS_README: &str = "\
# Task files

Each `<id>.toml` here defines one task an agent works on: `agentguard task new <id>` writes
a commented template. The agent names the task with an `Agent-Task: <id>` trailer on every
commit; `agentguard task trailers <id>` prints the trailer block.

agentguard reads these files from the base commit of each agent commit, never from the change
itself, so commit a task file before the agent starts. A task narrows the policy in
`.agentguard.toml`: a path is in scope only if every layer that lists `allow` globs allows it
and no layer denies it; acceptance commands add up.
";

fn work_tree(repo: &Repo) -> Result<&Path, OnboardingError> {
    repo.git().workdir().ok_or(OnboardingError::NoWorkTree)
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Writes through a temporary file and a rename: a symlink in the way is replaced, never
/// followed, and nobody reads a half-written file.
fn write_file(path: &Path, content: &str) -> Result<(), OnboardingError> {
    let io = |source| OnboardingError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".agentguard-")
        .tempfile_in(dir)
        .map_err(io)?;
    temp.write_all(content.as_bytes()).map_err(io)?;
    // Like any file git checks out: rw for the owner, readable by others.
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(io)?;
    }
    temp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Writes files relative to the work tree root, all or none refused.
fn write_all(
    repo: &Repo,
    files: &[(String, String)],
    force: bool,
) -> Result<Vec<Written>, OnboardingError> {
    let root = work_tree(repo)?;
    let taken: Vec<String> = files
        .iter()
        .filter(|(path, _)| exists(&root.join(path)))
        .map(|(path, _)| path.clone())
        .collect();
    if !force && !taken.is_empty() {
        return Err(OnboardingError::Exists { paths: taken });
    }
    let mut written = Vec::new();
    for (path, content) in files {
        write_file(&root.join(path), content)?;
        written.push(Written {
            path: path.clone(),
            overwritten: taken.contains(path),
        });
    }
    Ok(written)
}

/// `agentguard init`: the example policy and the tasks directory.
pub(crate) fn init(repo: &Repo, force: bool) -> Result<Vec<Written>, OnboardingError> {
    let files = [
        (POLICY_FILE.to_string(), DEFAULT_POLICY.to_string()),
        (format!("{TASKS_DIR}/README.md"), TASKS_README.to_string()),
    ];
    write_all(repo, &files, force)
}

/// The first line of the instructions block `init --agents` writes; everything up to
/// `AGENTS_END` is agentguard's and is replaced on the next run.
pub(crate) const AGENTS_BEGIN: &str =
    "<!-- agentguard:begin (written by `agentguard init --agents`; run it again to update) -->";
pub(crate) const AGENTS_END: &str = "<!-- agentguard:end -->";

/// The files `init --agents` tries, in order, when none is named: the first that exists is
/// updated, else the first is written.
pub(crate) const AGENT_FILES: [&str; 2] = ["AGENTS.md", "CLAUDE.md"];

/// What an agent needs to know to commit here, between the markers.
pub const AGENTS_BLOCK: &str = "\
## Commits in this repository (agentguard)

agentguard judges every commit you make here: the git hooks check it as you commit, and CI
checks it again. Human sign-off is part of the process, not an obstacle to route around.

- **Name your task.** Every commit message ends with `Agent-Task: <task id>` as its last
  paragraph, after a blank line. The hooks add it for you when your branch is named after the
  task (`agent/T-12-short-description`) or `AGENTGUARD_TASK=T-12` is set where you run; check
  `git log -1` after committing. `agentguard task trailers <id>` prints the full trailer block
  for a task, and `.agentguard/tasks/` holds the tasks defined here.
- **Stay in scope.** Touch only the paths your task allows. Before editing a file you are unsure
  about, run `agentguard explain <path> --task <id>`: it says whether the path is in scope, which
  risk rules match, and who may approve. Do not edit `.agentguard.toml`, `.agentguard/`, git
  hooks or CI configuration, and do not delete, skip or weaken tests.
- **Prove the work.** Run the task's acceptance commands yourself before committing; the hooks
  run them again on the exact tree and block on failure.
- **Attach your session.** If you know the path of this session's transcript (Codex CLI:
  `~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`; Claude Code:
  `~/.claude/projects/<project>/<session>.jsonl`), add `Agent-Session: <path>` after
  `Agent-Task`. Reviewers get a redacted summary of what you ran; the transcript stays here.
- **When a commit is blocked**, read the findings; your message is kept (the output says where).
  - `block` (scope, metadata, a failing command, a secret): fix the change, `git add` the fix and
    commit again with the kept message.
  - `approve` (a risky area such as auth, migrations or production configuration): stop and ask
    a human to review; name the finding and why the change needs it. Only a person can sign off.
  - `warn`: mention it in your summary; the commit went through.
- **Never bypass.** No `git commit --no-verify`, no `git push --no-verify`, no `AGENTGUARD_SKIP`,
  no changing `core.hooksPath` or editing `.git/hooks`, no writing `git notes` under
  `refs/notes/agentguard*`, no `agentguard approve`, and no one's signing key. If the task itself
  is wrong, say so and stop.
";

/// What `init --agents` did to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AgentsWritten {
    /// The file did not exist and was written with the block alone.
    Created(String),
    /// The block was added at the end of the file.
    Appended(String),
    /// The block between the markers was replaced.
    Updated(String),
    /// The block there was already this one.
    Unchanged(String),
}

/// `agentguard init --agents`: writes the instructions block into each of `files` (relative to
/// the work tree root), or into the first of `AGENT_FILES` that exists (else `AGENTS.md`).
/// Text outside the markers is kept as it is; running it again changes nothing.
pub(crate) fn agent_instructions(
    repo: &Repo,
    files: &[PathBuf],
) -> Result<Vec<AgentsWritten>, OnboardingError> {
    let root = work_tree(repo)?;
    let files: Vec<PathBuf> = if files.is_empty() {
        let existing = AGENT_FILES
            .iter()
            .find(|name| exists(&root.join(name)))
            .unwrap_or(&AGENT_FILES[0]);
        vec![PathBuf::from(existing)]
    } else {
        files.to_vec()
    };
    let block = format!("{AGENTS_BEGIN}\n{AGENTS_BLOCK}{AGENTS_END}\n");
    let mut done = Vec::new();
    for file in files {
        let shown = file.display().to_string();
        let path = agent_file_path(root, &file)?;
        let io = |source| OnboardingError::Io {
            path: path.clone(),
            source,
        };
        let current = match std::fs::read(&path) {
            Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| {
                io(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "not valid UTF-8",
                ))
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(e)),
        };
        let (text, what) = match current {
            None => (block.clone(), AgentsWritten::Created(shown)),
            Some(text) => match (text.find(AGENTS_BEGIN), text.find(AGENTS_END)) {
                (Some(begin), Some(end)) if begin < end => {
                    let end = end + AGENTS_END.len();
                    let end = if text[end..].starts_with('\n') {
                        end + 1
                    } else {
                        end
                    };
                    let updated = format!("{}{block}{}", &text[..begin], &text[end..]);
                    if updated == text {
                        done.push(AgentsWritten::Unchanged(shown));
                        continue;
                    }
                    (updated, AgentsWritten::Updated(shown))
                }
                (None, None) => {
                    let separator = match text.len() {
                        0 => "",
                        _ if text.ends_with("\n\n") => "",
                        _ if text.ends_with('\n') => "\n",
                        _ => "\n\n",
                    };
                    (
                        format!("{text}{separator}{block}"),
                        AgentsWritten::Appended(shown),
                    )
                }
                _ => {
                    return Err(OnboardingError::BrokenMarkers { path: shown });
                }
            },
        };
        write_file(&path, &text)?;
        done.push(what);
    }
    Ok(done)
}

/// Where to write an agent file: inside the work tree; a symlink (`CLAUDE.md` -> `AGENTS.md`)
/// is followed when it stays inside, so the file it points at gets the block.
fn agent_file_path(root: &Path, file: &Path) -> Result<PathBuf, OnboardingError> {
    let outside = || OnboardingError::OutsideWorkTree {
        path: file.display().to_string(),
    };
    if file.is_absolute()
        || file
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(outside());
    }
    let path = root.join(file);
    let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return Ok(path);
    }
    let resolved = std::fs::canonicalize(&path).map_err(|source| OnboardingError::Io {
        path: path.clone(),
        source,
    })?;
    let root = std::fs::canonicalize(root).map_err(|source| OnboardingError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    if resolved.starts_with(&root) {
        Ok(resolved)
    } else {
        Err(outside())
    }
}

fn check_id(id: &str) -> Result<(), OnboardingError> {
    if is_valid_task_id(id) {
        Ok(())
    } else {
        Err(OnboardingError::InvalidTaskId { id: id.to_string() })
    }
}

/// `agentguard task new <id>`: a commented task file listing the risk categories HEAD knows.
pub(crate) fn new_task(repo: &Repo, id: &str, force: bool) -> Result<Written, OnboardingError> {
    check_id(id)?;
    let head = repo.head_commit()?;
    let policy = Policy::for_base(repo, head.as_ref())?;
    let path = format!("{TASKS_DIR}/{id}.toml");
    let content = task_template(id, &policy.risk.category_names());
    let mut written = write_all(repo, &[(path, content)], force)?;
    written.pop().ok_or(OnboardingError::NoWorkTree)
}

/// The task file template; it parses as a task as written.
pub(crate) fn task_template(id: &str, categories: &BTreeSet<String>) -> String {
    let categories = categories
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"# Task {id}: what the agent may change, and how the work is proven.
#
# agentguard reads this file from the base commit of each agent commit: commit it
# before the agent starts. The agent names the task with an `Agent-Task: {id}`
# trailer (`agentguard task trailers {id}` prints the block). Layers only narrow:
# the policy's [scope] still applies, and trailers can narrow this task further.
# Globs follow .gitignore rules (`*` stays in a directory, `**` spans directories,
# `name` matches at any depth, `dir/` matches everything below a directory).

# What done looks like, for the agent and for the reviewer.
goal = "TODO: describe the outcome of task {id}"

# Paths the change may touch. Narrow this, e.g. ["src/billing/**", "tests/billing/**"].
allow = ["**"]

# Paths the change must not touch, even inside `allow`, e.g. ["src/billing/legacy/"].
deny = []

# Commands that prove the work, each run with `sh -c` in a fresh checkout of the
# exact tree, after the policy's own, e.g. ["cargo test --locked billing"].
acceptance = []

# Risk categories that need a human sign-off (`agentguard approve`) even where no
# rule hits. Known here: {categories}.
requires_approval = []

# Which agents and branches may work on this task (globs; unset: any). An agent is
# named by its `Agent-Name` trailer (or, without one, its author name); a glob with
# `@` matches the author email instead. A commit they do not admit is blocked.
# agents = ["codex", "*@bots.example.com"]
# branches = ["agent/{id}-*"]
"#
    )
}

/// The trailer block for a task, and notes for the person who asked.
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskTrailers {
    pub lines: Vec<String>,
    pub notes: Vec<String>,
}

/// `agentguard task trailers <id>`: `Agent-Task` plus a restatement of the task as HEAD
/// defines it. Trailers only narrow, so restating changes nothing while the task stays as it
/// is, and each commit then says in its own message what it was allowed to do.
pub(crate) fn task_trailers(repo: &Repo, id: &str) -> Result<TaskTrailers, OnboardingError> {
    check_id(id)?;
    let head = repo.head_commit()?;
    let policy = Policy::for_base(repo, head.as_ref())?;
    let wanted = AgentTrailers {
        tasks: vec![id.to_string()],
        ..AgentTrailers::default()
    };
    let (task, findings) = crate::task::assemble(
        repo,
        &policy,
        head.as_ref(),
        &wanted,
        &mut crate::task::TrailerGlobs::default(),
    )?;
    let mut out = TaskTrailers {
        lines: vec![format!("Agent-Task: {id}")],
        notes: Vec::new(),
    };

    // The first layer and source are the policy's own; the rest are the task's definitions.
    let definitions = task.layers.get(1..).unwrap_or_default();
    let sources = task.sources.get(1..).unwrap_or_default();
    if definitions.is_empty() {
        out.notes.push(format!(
            "no task file defines `{id}` in HEAD ({TASKS_DIR}/{id}.toml or [tasks.\"{id}\"] in {POLICY_FILE}): the policy's scope and acceptance apply; add Agent-Allow, Agent-Deny and Agent-Acceptance lines to narrow it"
        ));
        // Where humans define tasks, naming an undefined one blocks: say so now.
        for finding in findings.iter().filter(|f| f.category == "unknown-task") {
            out.notes.push(format!(
                "a commit with these trailers will be blocked: {}",
                finding.message
            ));
        }
        if let Ok(root) = work_tree(repo) {
            if exists(&root.join(format!("{TASKS_DIR}/{id}.toml"))) {
                out.notes.push(format!(
                    "{TASKS_DIR}/{id}.toml exists in the work tree but not in HEAD: commit it before the agent starts, agentguard reads task files from the base commit"
                ));
            }
        }
        return Ok(out);
    }

    let with_allow: Vec<_> = definitions
        .iter()
        .filter_map(|l| l.allow.as_ref())
        .collect();
    // `**` allows everything: restating it would narrow nothing.
    if let Some(allow) = with_allow.last().filter(|a| a.patterns() != ["**"]) {
        for glob in allow.patterns() {
            out.lines.push(format!("Agent-Allow: {glob}"));
        }
    }
    let mut deny: Vec<&String> = Vec::new();
    for layer in definitions {
        for glob in layer.deny.patterns() {
            if !deny.contains(&glob) {
                deny.push(glob);
            }
        }
    }
    for glob in deny {
        out.lines.push(format!("Agent-Deny: {glob}"));
    }
    for command in task.acceptance.iter().filter(|c| c.source != "policy") {
        // A trailer value is one line; such a command still runs from the task file.
        if command.command.contains('\n') {
            out.notes.push(format!(
                "an acceptance command spans several lines and is not restated: `{}`",
                command.command.lines().next().unwrap_or_default()
            ));
        } else {
            out.lines
                .push(format!("Agent-Acceptance: {}", command.command));
        }
    }
    for (category, _) in &task.requires_approval {
        out.lines
            .push(format!("Agent-Requires-Approval: {category}"));
    }
    if with_allow.len() > 1 {
        out.notes.push(
            "both the policy and the task file list `allow` globs: the trailers restate the task file's, and both still apply".to_string(),
        );
    }
    out.notes.push(format!(
        "these trailers restate {} as HEAD has it; they only narrow, so print them again if the task changes",
        sources.join(" and ")
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicySource, RawTask, SourceText, TaskSpec};

    #[test]
    fn the_template_parses_as_a_task() {
        let policy = Policy::parse(DEFAULT_POLICY, "default", PolicySource::DefaultNoBase).unwrap();
        let categories = policy.risk.category_names();
        let text = task_template("T-42", &categories);
        let source = SourceText {
            file: "T-42.toml".into(),
            text: &text,
        };
        let raw: RawTask = source.parse().unwrap();
        let spec = TaskSpec::compile(raw, &source, &categories).unwrap();
        assert_eq!(
            spec.goal.as_deref(),
            Some("TODO: describe the outcome of task T-42")
        );
        assert_eq!(spec.allow.unwrap().patterns(), ["**"]);
        assert!(spec.deny.is_empty());
        assert!(spec.acceptance.is_empty());
        assert!(spec.requires_approval.is_empty());
        for key in ["goal", "allow", "deny", "acceptance", "requires_approval"] {
            assert!(text.contains(&format!("\n{key} = ")), "{key}");
        }
        assert!(text.contains("\"credentials\""), "{text}");
    }

    #[test]
    fn bad_ids_are_refused() {
        for id in ["", "../x", "a b", ".hidden", "a/b"] {
            assert!(check_id(id).is_err(), "{id:?}");
        }
        assert!(check_id("T-1.2_x").is_ok());
    }
}
