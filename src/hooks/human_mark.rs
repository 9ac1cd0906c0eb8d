//! The human fast path. pre-commit judges everything about a commit except its message; when
//! that says "no agent's work", it leaves a mark naming the `git commit` process (its parent,
//! by pid and start time), and the prepare-commit-msg, commit-msg and post-commit shims of the
//! same process exit without starting agentguard (commit-msg only when the message has no
//! `Agent-` line). Every pre-commit and commit-msg run removes the mark first and post-commit
//! empties it, so it does not outlive its commit, and a mark another process wrote never
//! matches, in another PID namespace neither.

use super::run::HookRunError;
use crate::repo::Repo;
use std::path::PathBuf;

/// The shims' side: the shell function `marked`, true when the mark names the git process the
/// hook runs under.
pub(crate) const SHELL: &str = include_str!("../../hooks/human-mark.sh");

/// Where the shims look: `${GIT_DIR:-.git}/agentguard-human` from the work tree's top (git
/// names the git directory of a linked worktree in `GIT_DIR`).
fn mark_path(repo: &Repo) -> PathBuf {
    repo.git().path().join("agentguard-human")
}

/// Removes the mark. A mark that cannot be removed would let the shims skip a commit whose
/// message makes it agent work: that is an error.
pub(crate) fn forget(repo: &Repo) -> Result<(), HookRunError> {
    super::run::remove_stale(mark_path(repo))
}

/// Marks the commit git is making as no agent's work, unless the agent's environment names a
/// task or an agent (prepare-commit-msg has trailers to add or refuse then) or approvals are
/// pending (post-commit attaches them). A mark that cannot be written only costs the fast path.
pub(crate) fn mark(repo: &Repo, agent_env: &super::prepare::Prepare) {
    let named = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.is_empty());
    if named(&agent_env.task)
        || named(&agent_env.agent)
        || crate::approval::store::has_pending(repo)
    {
        return;
    }
    let git = std::os::unix::process::parent_id();
    let started = started(git).unwrap_or_default();
    let _ = std::fs::write(mark_path(repo), format!("{git} {started}\n"));
}

/// When process `pid` started, in clock ticks since boot (field 22 of `/proc/<pid>/stat`, read
/// after the command name, which may hold spaces and parentheses); `None` without `/proc`.
fn started(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    rest.split_whitespace().nth(19).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::started;

    #[test]
    fn a_running_process_has_a_start_time_and_the_shims_read_the_same_field() {
        if !std::path::Path::new("/proc/self/stat").exists() {
            return;
        }
        let ours = started(std::process::id()).unwrap();
        assert!(ours.parse::<u64>().is_ok(), "{ours}");
        // The shell the shims run parses the same line the same way.
        let shell = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{}\nread -r stat < /proc/{}/stat; started ${{stat##*\") \"}}; printf %s \"$since\"",
                super::SHELL,
                std::process::id()
            ))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&shell.stdout), ours);
    }
}
