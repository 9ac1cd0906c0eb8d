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
