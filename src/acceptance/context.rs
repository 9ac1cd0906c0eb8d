//! What the commands of one run share, prepared once before the first starts: the
//! environment allowlist, the mounts that keep the user's repository read-only (where the
//! platform can sandbox), and a private temporary directory with the write rules (where
//! writes are restricted).

use super::signals::Interrupt;
use super::{filesystem, sandbox, worktree, AcceptanceError};
use crate::policy::acceptance::WorktreeMode;
use crate::policy::AcceptancePolicy;
use crate::repo::Repo;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// PATH for the commands when the allowlist does not pass the caller's.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

pub(super) struct Context<'a> {
    /// The checkout the commands run in.
    pub(super) dir: &'a Path,
    pub(super) env: Vec<(OsString, OsString)>,
    pub(super) path_var: OsString,
    pub(super) policy: &'a AcceptancePolicy,
    pub(super) worktree: &'static str,
    pub(super) interrupt: &'a Interrupt,
    /// The repository mounts, where the platform can sandbox.
    pub(super) sandbox: Option<sandbox::Mounts>,
    pub(super) write_rules: Option<filesystem::WriteRules>,
    pub(super) filesystem: filesystem::Applied,
    /// Restricted commands get a temporary directory of their own, removed with the run.
    _private_tmp: Option<TempDir>,
}

impl<'a> Context<'a> {
    pub(super) fn prepare(
        repo: &Repo,
        dir: &'a Path,
        policy: &'a AcceptancePolicy,
        interrupt: &'a Interrupt,
        filesystem: filesystem::Applied,
    ) -> Result<Self, AcceptanceError> {
        let work_trees = repo.work_trees();
        let mut protected: Vec<&Path> = vec![repo.common_dir(), repo.git().path()];
        protected.extend(work_trees.iter().map(PathBuf::as_path));
        let mounts = sandbox::Mounts::protecting(&protected, dir);
        let mut env = environment(&policy.env);
        let private_tmp = match filesystem {
            filesystem::Applied::Restricted => Some(
                tempfile::Builder::new()
                    .prefix("agentguard-tmp-")
                    .tempdir()
                    .map_err(|e| AcceptanceError::io("create a private temporary directory", e))?,
            ),
            _ => None,
        };
        let write_rules = match &private_tmp {
            Some(tmp) => {
                env.retain(|(k, _)| k != "TMPDIR");
                env.push(("TMPDIR".into(), tmp.path().as_os_str().to_os_string()));
                let mut writable = vec![dir.to_path_buf(), tmp.path().to_path_buf()];
                writable.extend(policy.writable.iter().filter(|p| p.exists()).cloned());
                Some(filesystem::WriteRules::new(&writable).map_err(AcceptanceError::Filesystem)?)
            }
            None => None,
        };
        let path_var = env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        Ok(Self {
            dir,
            env,
            path_var,
            policy,
            worktree: match policy.worktree {
                WorktreeMode::Fresh => "fresh",
                WorktreeMode::Reuse => "reuse",
            },
            interrupt,
            sandbox: sandbox::available().is_ok().then_some(mounts),
            write_rules,
            filesystem,
            _private_tmp: private_tmp,
        })
    }
}

/// The entries of the commands' PATH that lead into their checkout (relative ones, `.`, the
/// empty entry), relative to it: a file the change puts there runs instead of the program of
/// that name.
pub(crate) fn checkout_path_dirs(policy: &AcceptancePolicy) -> Vec<String> {
    let env = environment(&policy.env);
    let Some((_, path)) = env.iter().find(|(k, _)| k == "PATH") else {
        return Vec::new();
    };
    let mut dirs = Vec::new();
    for entry in std::env::split_paths(path) {
        let Some(entry) = entry.to_str() else {
            continue;
        };
        if entry.starts_with('/') {
            continue;
        }
        let dir = entry.trim_start_matches("./").trim_end_matches('/');
        let dir = if dir == "." { "" } else { dir };
        if !dir.split('/').any(|p| p == "..") && !dirs.iter().any(|d| d == dir) {
            dirs.push(dir.to_string());
        }
    }
    dirs
}

/// The commands' environment: only the allowlisted variables (a trailing `*` matches a
/// prefix), never git's repository variables, and a PATH even when none is passed.
fn environment(allowlist: &[String]) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(key, _)| {
            let Some(key) = key.to_str() else {
                return false;
            };
            !worktree::LOCAL_GIT_VARS.contains(&key)
                && allowlist.iter().any(|entry| match entry.strip_suffix('*') {
                    Some(prefix) => key.starts_with(prefix),
                    None => entry == key,
                })
        })
        .collect();
    if !env.iter().any(|(k, _)| k == "PATH") {
        env.push(("PATH".into(), DEFAULT_PATH.into()));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_is_the_allowlist_without_git_variables() {
        let env = environment(&["PATH".into(), "GIT_DIR".into(), "CARGO_*".into()]);
        assert!(env.iter().all(|(k, _)| k != "GIT_DIR"));
        assert!(env.iter().any(|(k, _)| k == "PATH"));
        let env = environment(&[]);
        assert_eq!(env, vec![("PATH".into(), DEFAULT_PATH.into())]);
    }
}
