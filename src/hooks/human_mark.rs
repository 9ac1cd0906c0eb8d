//! The human fast path. pre-commit judges everything about a commit except its message; when
//! that says "no agent's work", it leaves a mark naming the `git commit` process (its parent),
//! and the prepare-commit-msg, commit-msg and post-commit shims of the same process exit
//! without starting agentguard (commit-msg only when the message has no `Agent-` line). Every
//! pre-commit and commit-msg run removes the mark first, so it never outlives the commit that
//! earned it, and a mark another process wrote never matches.

use crate::repo::Repo;
use std::path::PathBuf;

/// Where the shims look: `${GIT_DIR:-.git}/agentguard-human` from the work tree's top.
fn mark_path(repo: &Repo) -> PathBuf {
    repo.git().path().join("agentguard-human")
}

/// Removes the mark. A mark that cannot be removed would let the shims skip a commit whose
/// message makes it agent work: that is an error.
pub(crate) fn forget(repo: &Repo) -> std::io::Result<()> {
    match std::fs::remove_file(mark_path(repo)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Marks the commit git is making as no agent's work, unless the agent's environment names a
/// task or an agent (prepare-commit-msg has trailers to add or refuse then). A mark that
/// cannot be written only costs the fast path.
pub(crate) fn mark(repo: &Repo) {
    let named = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if named("AGENTGUARD_TASK") || named("AGENTGUARD_AGENT") {
        return;
    }
    let _ = std::fs::write(
        mark_path(repo),
        format!("{}\n", std::os::unix::process::parent_id()),
    );
}
