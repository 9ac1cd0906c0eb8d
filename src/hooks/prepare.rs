//! prepare-commit-msg: adds `Agent-Task` and `Agent-Name` to an agent's commit message, so
//! neither the agent nor its operator has to remember them. The task comes from
//! `AGENTGUARD_TASK` in the agent's environment, or from a branch name that names a task the
//! repository defines (`agent/T-12-pagination` → `T-12`). Trailers already in the message are
//! never changed, and a commit that is not agent work is never touched.

use super::run::{HookRun, HookRunError};
use crate::policy::task::is_valid_task_id;
use crate::policy::Policy;
use crate::repo::Repo;
use crate::task::AgentTrailers;
use std::path::Path;

/// What the agent's environment says (`AGENTGUARD_TASK`, `AGENTGUARD_AGENT`), and git's `$2`
/// and `$3`: where the message came from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prepare {
    pub task: Option<String>,
    pub agent: Option<String>,
    /// `message`, `template`, `merge`, `squash` or `commit`; none when git opens the editor on
    /// an empty message.
    pub source: Option<String>,
    /// git's `$3`: the commit whose message is reused; `HEAD` for `--amend`.
    pub reused: Option<String>,
}

impl Prepare {
    /// What the agent's environment names (`AGENTGUARD_TASK`, `AGENTGUARD_AGENT`); git's
    /// arguments are the caller's to add.
    pub(crate) fn from_agent_env() -> Self {
        Self {
            task: std::env::var("AGENTGUARD_TASK").ok(),
            agent: std::env::var("AGENTGUARD_AGENT").ok(),
            ..Self::default()
        }
    }
}

/// Why work done where `AGENTGUARD_TASK` is set is an agent's even without a trailer (a merge
/// concluded, a cherry-pick, `git am`): the environment the harness gave the agent says so.
pub(crate) fn presumed_by_env() -> Option<String> {
    let task = std::env::var("AGENTGUARD_TASK").ok()?;
    let task = task.trim();
    (!task.is_empty()).then(|| format!("made in an agent's environment (AGENTGUARD_TASK={task})"))
}

/// The longest agent name a trailer takes from the environment.
const MAX_AGENT_NAME: usize = 100;

/// The trailers `prepare_commit_msg` will add to a message that has none yet: what pre-commit,
/// which runs before the message exists, judges the staged change with, so it applies the
/// task's scope as commit-msg will.
pub(crate) fn planned_trailers(repo: &Repo, input: &Prepare) -> Result<String, HookRunError> {
    let env_task = input
        .task
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let env_agent = input
        .agent
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let task = match env_task {
        Some(task) if is_valid_task_id(task) => Some(task.to_string()),
        // A bad value is refused by prepare-commit-msg, with its message.
        Some(_) => None,
        None => task_of_branch(repo, env_agent.is_some())?.map(|(task, _)| task),
    };
    Ok(task.map_or_else(String::new, |task| {
        format!("(message not written yet)\n\nAgent-Task: {task}\n")
    }))
}

pub(crate) fn prepare_commit_msg(
    repo: &Repo,
    message_file: &Path,
    input: &Prepare,
) -> Result<HookRun, HookRunError> {
    note_amend(repo, input.reused.as_deref() == Some("HEAD"))?;
    add_agent_trailers(repo, message_file, input)
}

/// Adds the `Agent-Task` and `Agent-Name` trailers the environment or the branch names, where
/// the message has none. commit-msg calls it too, on a person's branch, where git runs no
/// prepare-commit-msg (see `branches`).
pub(crate) fn add_agent_trailers(
    repo: &Repo,
    message_file: &Path,
    input: &Prepare,
) -> Result<HookRun, HookRunError> {
    let mut run = HookRun::default();
    // A merge (a clean one needs no task) and a reused or amended message (`-c`, `-C`,
    // `--amend`, which carries its trailers already) are left as git wrote them. A squash is
    // new work whose summary quotes the squashed messages indented, where no trailer counts:
    // it gets its trailers like any message.
    if matches!(input.source.as_deref(), Some("merge" | "commit")) {
        return Ok(run);
    }
    let message = std::fs::read(message_file).map_err(|source| HookRunError::MessageFile {
        path: message_file.to_path_buf(),
        source,
    })?;
    let message = String::from_utf8_lossy(&message).into_owned();
    let comment = repo.comment_string();
    let present = AgentTrailers::from_trailers(&crate::trailers::parse(&message, &comment));

    let mut trailers: Vec<String> = Vec::new();
    let env_task = input
        .task
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let env_agent = input
        .agent
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if present.tasks.is_empty() {
        if let Some(task) = env_task {
            if !is_valid_task_id(task) {
                return Err(HookRunError::Environment(format!(
                    "AGENTGUARD_TASK=`{task}` is not a task id (letters, digits, `.`, `_` and `-`)"
                )));
            }
            trailers.push(format!("Agent-Task: {task}"));
            run.notes
                .push(format!("added `Agent-Task: {task}` from AGENTGUARD_TASK"));
        } else if let Some((task, branch)) = task_of_branch(repo, env_agent.is_some())? {
            trailers.push(format!("Agent-Task: {task}"));
            run.notes.push(format!(
                "added `Agent-Task: {task}` from the branch {branch}"
            ));
        }
    }
    if present.names.is_empty() {
        if let Some(agent) = env_agent {
            if agent.chars().any(char::is_control) || agent.chars().count() > MAX_AGENT_NAME {
                return Err(HookRunError::Environment(format!(
                    "AGENTGUARD_AGENT is not an agent name: one line of at most {MAX_AGENT_NAME} characters"
                )));
            }
            trailers.push(format!("Agent-Name: {agent}"));
            run.notes
                .push(format!("added `Agent-Name: {agent}` from AGENTGUARD_AGENT"));
        }
    }
    if trailers.is_empty() {
        return Ok(run);
    }
    let empty = message
        .lines()
        .all(|line| line.trim().is_empty() || line.starts_with(&comment));
    add_trailers(repo, message_file, &trailers)?;
    if empty && input.source.is_none() {
        // The editor opens on the trailers alone: a subject typed on the first line must not
        // join their paragraph, or git would no longer read them as trailers.
        let written = std::fs::read(message_file).map_err(|source| HookRunError::MessageFile {
            path: message_file.to_path_buf(),
            source,
        })?;
        let mut text = b"\n".to_vec();
        text.extend_from_slice(&written);
        std::fs::write(message_file, text).map_err(|source| HookRunError::MessageFile {
            path: message_file.to_path_buf(),
            source,
        })?;
    }
    Ok(run)
}

/// The task the current branch names, for agent work only: on a branch the policy calls an
/// agent's, by an agent author, or in an agent's environment (`AGENTGUARD_AGENT`); never for
/// a commit a person signs with git's commit signing.
fn task_of_branch(repo: &Repo, agent_env: bool) -> Result<Option<(String, String)>, HookRunError> {
    let Some(branch) = repo.current_branch() else {
        return Ok(None);
    };
    let head = repo.head_commit()?;
    let policy = Policy::for_base(repo, head.as_ref()).map_err(crate::engine::EngineError::from)?;
    let by_branch = policy.agent.branches.is_match(branch.as_bytes());
    let by_author = repo
        .configured_author_email()
        .is_some_and(|email| policy.agent.authors.is_match(email.as_bytes()));
    if !(by_branch || by_author || agent_env) {
        return Ok(None);
    }
    if !agent_env && repo_signs_commits(repo) {
        return Ok(None);
    }
    let defined = crate::task::defined_tasks(repo, &policy, head.as_ref())
        .map_err(crate::engine::EngineError::from)?;
    Ok(named_task(&branch, &defined).map(|task| (task.to_string(), branch.clone())))
}

/// `commit.gpgSign`: commits here are signed by whoever commits, a person with a key.
fn repo_signs_commits(repo: &Repo) -> bool {
    repo.git()
        .config()
        .and_then(|c| c.get_bool("commit.gpgsign"))
        .unwrap_or(false)
}

/// The longest defined task id that a component of `branch` starts with, followed by the end
/// of the component or a separator: `agent/T-12-pagination` names `T-12`, not `T-1`.
pub(crate) fn named_task<'t>(branch: &str, defined: &'t [String]) -> Option<&'t str> {
    let mut best: Option<&str> = None;
    for component in branch.split('/') {
        for id in defined {
            let Some(rest) = component.strip_prefix(id.as_str()) else {
                continue;
            };
            let ends = rest.is_empty() || rest.starts_with(['-', '_', '.', '+']);
            if ends && best.is_none_or(|b| id.len() > b.len()) {
                best = Some(id);
            }
        }
    }
    best
}

/// `git interpret-trailers`, as `git commit --trailer` does: it knows where the trailer
/// block goes among comments, scissors lines and an existing block.
fn add_trailers(repo: &Repo, message_file: &Path, trailers: &[String]) -> Result<(), HookRunError> {
    let mut command = std::process::Command::new("git");
    if let Some(dir) = repo.git().workdir() {
        command.current_dir(dir);
    }
    // `--no-divider`: a `---` line is message text, as agentguard reads trailers.
    command.args([
        "interpret-trailers",
        "--in-place",
        "--no-divider",
        "--if-exists",
        "doNothing",
    ]);
    for trailer in trailers {
        command.arg("--trailer").arg(trailer);
    }
    let output = command
        .arg(message_file)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            HookRunError::Environment(format!("cannot run git interpret-trailers: {e}"))
        })?;
    if !output.status.success() {
        return Err(HookRunError::Environment(format!(
            "git interpret-trailers failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

/// Where prepare-commit-msg leaves the commit an amend replaces, for commit-msg (which git
/// does not tell): per worktree, as HEAD is.
fn amend_marker(repo: &Repo) -> std::path::PathBuf {
    repo.git().path().join("agentguard-amending")
}

/// Records whether the commit being made replaces HEAD (`git commit --amend`, which passes
/// `HEAD` as the reused commit; so does `-C HEAD`, whose change is then judged over more than
/// it adds, never less). pre-commit removes it and prepare-commit-msg writes it again, so it
/// never outlives the commit it was written for.
fn note_amend(repo: &Repo, amending: bool) -> Result<(), HookRunError> {
    let head = match repo.head_commit() {
        Ok(Some(head)) if amending => head.id(),
        _ => return forget_amend(repo),
    };
    let marker = amend_marker(repo);
    std::fs::write(&marker, format!("{head}\n")).map_err(|e| marker_error(&marker, e))
}

/// Forgets an amend an earlier, aborted commit noted.
pub(crate) fn forget_amend(repo: &Repo) -> Result<(), HookRunError> {
    super::run::remove_stale(amend_marker(repo))
}

fn marker_error(marker: &Path, source: std::io::Error) -> HookRunError {
    HookRunError::State {
        path: marker.to_path_buf(),
        source,
    }
}

/// The commit prepare-commit-msg saw being amended, if any.
fn amend_replaces(repo: &Repo) -> Option<git2::Oid> {
    let text = std::fs::read_to_string(amend_marker(repo)).ok()?;
    git2::Oid::from_str(text.trim()).ok()
}

/// Whether prepare-commit-msg saw this commit amend the current HEAD.
pub(crate) fn amending(repo: &Repo) -> bool {
    matches!(
        (amend_replaces(repo), repo.head_commit()),
        (Some(replaced), Ok(Some(head))) if replaced == head.id()
    )
}

/// Whether `commit` (the new HEAD, in post-commit) just replaced the commit prepare-commit-msg
/// saw being amended: a sibling of it, on the same parent.
pub(crate) fn amended(repo: &Repo, commit: &git2::Commit<'_>) -> bool {
    let Some(replaced) = amend_replaces(repo) else {
        return false;
    };
    if replaced == commit.id() || commit.parent_ids().any(|p| p == replaced) {
        return false;
    }
    let Ok(replaced) = repo.git().find_commit(replaced) else {
        return false;
    };
    replaced.parent_ids().next() == commit.parent_ids().next()
}

#[cfg(test)]
mod tests {
    use super::named_task;

    #[test]
    fn a_branch_names_the_longest_task_it_starts_a_component_with() {
        let defined: Vec<String> = ["T-1", "T-12", "fix-login"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(named_task("agent/T-12-pagination", &defined), Some("T-12"));
        assert_eq!(named_task("agent/T-1", &defined), Some("T-1"));
        assert_eq!(named_task("codex/fix-login", &defined), Some("fix-login"));
        assert_eq!(named_task("agent/T-123", &defined), None);
        assert_eq!(named_task("agent/xT-12", &defined), None);
        assert_eq!(named_task("main", &defined), None);
    }
}
