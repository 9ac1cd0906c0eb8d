//! What the commands of one run share, prepared once before the first starts: the
//! environment allowlist without credentials, the mounts that keep the user's work trees
//! read-only and its git directories out of sight (where the platform can sandbox), and a
//! private temporary directory with the write rules (where writes are restricted).

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
    /// Variables the `env` allowlist names that were withheld because they carry credentials.
    pub(super) withheld: Vec<String>,
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
        let read_only: Vec<&Path> = work_trees.iter().map(PathBuf::as_path).collect();
        let object_dirs = foreign_object_dirs(repo);
        let mut hidden: Vec<&Path> = vec![repo.common_dir(), repo.git().path()];
        hidden.extend(object_dirs.iter().map(PathBuf::as_path));
        let mounts = sandbox::Mounts::protecting(&read_only, &hidden, dir);
        let (mut env, withheld) = environment(&policy.env);
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
            withheld,
            _private_tmp: private_tmp,
        })
    }
}

/// Object directories outside the repository that it borrows from (`objects/info/alternates`,
/// and inside a hook the ones git named): hidden like the repository's own. The checkout
/// carries the objects it needs in its own git directory.
fn foreign_object_dirs(repo: &Repo) -> Vec<PathBuf> {
    let objects = repo.common_dir().join("objects");
    let mut dirs: Vec<PathBuf> = std::fs::read_to_string(objects.join("info/alternates"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| objects.join(l))
        .collect();
    for var in ["GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"] {
        if let Some(list) = std::env::var_os(var) {
            dirs.extend(std::env::split_paths(&list));
        }
    }
    dirs.retain(|d| d.is_absolute() && d.is_dir());
    dirs
}

/// The entries of the commands' PATH that lead into their checkout (relative ones, `.`, the
/// empty entry), relative to it: a file the change puts there runs instead of the program of
/// that name.
pub(crate) fn checkout_path_dirs(policy: &AcceptancePolicy) -> Vec<String> {
    let (env, _) = environment(&policy.env);
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
/// prefix), never git's repository variables nor a credential, and a PATH even when none is
/// passed. Also the allowlisted names withheld as credentials, to say so.
fn environment(allowlist: &[String]) -> (Vec<(OsString, OsString)>, Vec<String>) {
    let mut withheld = Vec::new();
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(key, value)| {
            let Some(key) = key.to_str() else {
                return false;
            };
            let listed = !worktree::LOCAL_GIT_VARS.contains(&key)
                && allowlist.iter().any(|entry| match entry.strip_suffix('*') {
                    Some(prefix) => key.starts_with(prefix),
                    None => entry == key,
                });
            if listed && carries_credentials(key, value) {
                withheld.push(key.to_string());
                return false;
            }
            listed
        })
        .collect();
    if !env.iter().any(|(k, _)| k == "PATH") {
        env.push(("PATH".into(), DEFAULT_PATH.into()));
    }
    withheld.sort();
    (env, withheld)
}

/// Variables that hold or lead to a credential: CI job tokens and identity-token endpoints,
/// registry and cloud keys, agent sockets, git's own config-by-environment, and any name
/// that says token, secret, password or key; also any value that is a URL with a password
/// in it (GitLab's `CI_REPOSITORY_URL` carries the job token so).
pub(crate) fn carries_credentials(name: &str, value: &std::ffi::OsStr) -> bool {
    const NAMES: &[&str] = &[
        "CI_JOB_JWT",
        "SYSTEM_ACCESSTOKEN",
        "SSH_AUTH_SOCK",
        "GPG_AGENT_INFO",
        "GIT_ASKPASS",
        "SSH_ASKPASS",
        "GIT_SSH_COMMAND",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "AWS_ACCESS_KEY_ID",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_PROFILE",
        "VAULT_ADDR",
        "KUBECONFIG",
        "DOCKER_AUTH_CONFIG",
        "NETRC",
    ];
    const PREFIXES: &[&str] = &[
        "ACTIONS_",
        "CI_JOB_JWT",
        "GIT_CONFIG_",
        "BITBUCKET_",
        "AWS_SECRET",
        "AWS_SESSION",
    ];
    const WORDS: &[&str] = &[
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "CREDENTIAL",
        "PRIVATE_KEY",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "JWT",
        "COOKIE",
        "SESSION_KEY",
    ];
    let upper = name.to_ascii_uppercase();
    let bitbucket_token = upper.starts_with("BITBUCKET_") && upper.contains("TOKEN");
    if NAMES.contains(&upper.as_str())
        || bitbucket_token
        || PREFIXES
            .iter()
            .filter(|p| **p != "BITBUCKET_")
            .any(|p| upper.starts_with(p))
        || WORDS.iter().any(|w| upper.contains(w))
        || upper.replace("AUTHOR", "").contains("AUTH")
        || upper.ends_with("_KEY")
    {
        return true;
    }
    // A URL with a password: `https://user:secret@host/`.
    let value = value.to_string_lossy();
    value.split("://").skip(1).any(|rest| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.contains(':'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_is_the_allowlist_without_git_variables() {
        let (env, _) = environment(&["PATH".into(), "GIT_DIR".into(), "CARGO_*".into()]);
        assert!(env.iter().all(|(k, _)| k != "GIT_DIR"));
        assert!(env.iter().any(|(k, _)| k == "PATH"));
        let (env, withheld) = environment(&[]);
        assert_eq!(env, vec![("PATH".into(), DEFAULT_PATH.into())]);
        assert!(withheld.is_empty());
    }

    #[test]
    fn credentials_are_known_by_name_and_by_value() {
        let none = std::ffi::OsStr::new("");
        for name in [
            "GITHUB_TOKEN",
            "GH_TOKEN",
            "CI_JOB_TOKEN",
            "CI_JOB_JWT_V2",
            "ACTIONS_RUNTIME_TOKEN",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "ACTIONS_CACHE_URL",
            "BUILDKITE_AGENT_ACCESS_TOKEN",
            "CIRCLE_TOKEN",
            "SYSTEM_ACCESSTOKEN",
            "BITBUCKET_STEP_OIDC_TOKEN",
            "NPM_TOKEN",
            "NODE_AUTH_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_ACCESS_KEY_ID",
            "CARGO_REGISTRY_TOKEN",
            "TWINE_PASSWORD",
            "AZURE_CLIENT_SECRET",
            "OPENAI_API_KEY",
            "SSH_AUTH_SOCK",
            "GIT_CONFIG_VALUE_0",
            "npm_config__authToken",
            "DEPLOY_KEY",
        ] {
            assert!(carries_credentials(name, none), "{name}");
        }
        for name in [
            "PATH",
            "HOME",
            "USER",
            "LANG",
            "TERM",
            "TMPDIR",
            "CARGO_HOME",
            "RUSTUP_TOOLCHAIN",
            "CI",
            "GITHUB_SHA",
            "BITBUCKET_BRANCH",
            "NODE_OPTIONS",
            "KEYBOARD",
            "GIT_AUTHOR_NAME",
        ] {
            assert!(
                !carries_credentials(name, std::ffi::OsStr::new("/usr/bin")),
                "{name}"
            );
        }
        let url =
            std::ffi::OsStr::new("https://gitlab-ci-token:glcbt-64_x@gitlab.example.com/g/p.git");
        assert!(carries_credentials("CI_REPOSITORY_URL", url));
        let plain = std::ffi::OsStr::new("https://pypi.org/simple/ user@host");
        assert!(!carries_credentials("PIP_INDEX_URL", plain));
    }
}
