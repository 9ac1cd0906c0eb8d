//! A hermetic scratch repository: the user's git config never leaks in, dates are fixed so
//! hashes are stable, and every git call must succeed unless the test says otherwise.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Output;
use tempfile::TempDir;

pub(crate) struct TestRepo {
    dir: TempDir,
    home: PathBuf,
}

/// Environment every git and agentguard process in a test runs with.
pub(crate) fn hermetic(cmd: &mut std::process::Command, home: &Path) {
    for (key, _) in std::env::vars_os() {
        let key_str = key.to_string_lossy();
        // The CI system running the tests must not make them CI runs of agentguard.
        let ci = [
            "CI",
            "GITLAB_CI",
            "BUILDKITE",
            "JENKINS_URL",
            "JENKINS_HOME",
            "CIRCLECI",
            "TF_BUILD",
            "TRAVIS",
            "DRONE",
            "BITBUCKET_BUILD_NUMBER",
            "BRANCH_NAME",
            "CHANGE_BRANCH",
        ];
        if key_str.starts_with("GIT_")
            || key_str == "NO_COLOR"
            || key_str.starts_with("AGENTGUARD")
            || key_str.starts_with("GITHUB_")
            || key_str.starts_with("CI_")
            || key_str.starts_with("BUILDKITE_")
            || ci.contains(&key_str.as_ref())
        {
            cmd.env_remove(&key);
        }
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("HOME", home)
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Test Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z");
}

impl TestRepo {
    /// An empty repository on branch `main` (unborn HEAD).
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("agentguard-test")
            .tempdir()
            .expect("tempdir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        std::fs::write(home.join(".gitconfig"), "").expect("gitconfig");
        let repo = Self { dir, home };
        std::fs::create_dir_all(repo.path()).expect("work");
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// A bare repository on `main`: a remote to push to and clone from.
    pub(crate) fn bare() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("agentguard-remote")
            .tempdir()
            .expect("tempdir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        std::fs::write(home.join(".gitconfig"), "").expect("gitconfig");
        let repo = Self { dir, home };
        let mut cmd = std::process::Command::new("git");
        hermetic(&mut cmd, &repo.home);
        let status = cmd
            .args(["init", "-q", "--bare", "-b", "main"])
            .arg(repo.path())
            .status()
            .expect("git init --bare");
        assert!(status.success(), "git init --bare failed");
        repo
    }

    /// A clone of `source` (`git clone <args> file://…`), with its own home and scratch space.
    pub(crate) fn clone_of(source: &TestRepo, args: &[&str]) -> Self {
        Self::clone_url(&format!("file://{}", source.path().display()), args)
    }

    /// A fresh clone of any repository (`git clone <args> <url>`), with its own home and
    /// scratch space: the CI checkout of a hosted remote.
    pub(crate) fn clone_url(url: &str, args: &[&str]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("agentguard-clone")
            .tempdir()
            .expect("tempdir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        std::fs::write(home.join(".gitconfig"), "").expect("gitconfig");
        let repo = Self { dir, home };
        let mut cmd = std::process::Command::new("git");
        hermetic(&mut cmd, &repo.home);
        let output = cmd
            .current_dir(repo.dir.path())
            .arg("clone")
            .arg("-q")
            .args(args)
            .arg(url)
            .arg("work")
            .output()
            .expect("git clone");
        assert!(
            output.status.success(),
            "git clone failed: {}",
            text(&output)
        );
        repo
    }

    /// A clone of the bare repository `remote`, with its own home and scratch space.
    pub(crate) fn clone_of_remote(remote: &Remote) -> Self {
        Self::clone_url(&remote.path.to_string_lossy(), &[])
    }

    /// `git push` (through the hooks) with the test's TMPDIR.
    pub(crate) fn push(&self, args: &[&str]) -> Output {
        let tmp = self.scratch().join("tmp");
        std::fs::create_dir_all(&tmp).expect("tmp");
        self.git_command()
            .arg("push")
            .args(args)
            .env("TMPDIR", tmp)
            .output()
            .expect("git push")
    }

    /// A bare repository in the scratch space with every branch of this one pushed to it,
    /// as an agent's pushes leave a hosted remote (which, like git's default, checks nothing
    /// it receives); its `file://` URL.
    pub(crate) fn push_to_bare(&self) -> String {
        let bare = self.scratch().join("remote.git");
        if !bare.exists() {
            self.git(&[
                "init",
                "-q",
                "--bare",
                "-b",
                "main",
                bare.to_str().expect("utf-8 path"),
            ]);
        }
        let url = format!("file://{}", bare.display());
        self.git(&["push", "-q", "--force", &url, "refs/heads/*:refs/heads/*"]);
        url
    }

    /// A repository with one human commit of `README.md`.
    pub(crate) fn with_initial_commit() -> Self {
        let repo = Self::new();
        repo.write("README.md", "hello\n");
        repo.commit_all("initial commit");
        repo
    }

    pub(crate) fn path(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub(crate) fn home(&self) -> &Path {
        &self.home
    }

    /// Scratch space beside the work tree (not inside it).
    pub(crate) fn scratch(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub(crate) fn git_command(&self) -> std::process::Command {
        self.command("git")
    }

    /// Runs git and returns trimmed stdout; panics with stderr on failure.
    pub(crate) fn git(&self, args: &[&str]) -> String {
        let output = self.git_command().args(args).output().expect("run git");
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    pub(crate) fn git_output(&self, args: &[&str]) -> Output {
        self.git_command().args(args).output().expect("run git")
    }

    pub(crate) fn write(&self, path: &str, content: &str) {
        self.write_bytes(path, content.as_bytes());
    }

    pub(crate) fn write_bytes(&self, path: &str, content: &[u8]) {
        let full = self.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(full, content).expect("write");
    }

    pub(crate) fn remove(&self, path: &str) {
        std::fs::remove_file(self.path().join(path)).expect("remove");
    }

    pub(crate) fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.path().join(path)).expect("read")
    }

    /// `git add -A && git commit -m message`; returns the new commit id.
    pub(crate) fn commit_all(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&[
            "commit",
            "-q",
            "--no-verify",
            "--allow-empty",
            "-m",
            message,
        ]);
        self.git(&["rev-parse", "HEAD"])
    }

    pub(crate) fn checkout_new(&self, branch: &str) {
        self.git(&["checkout", "-q", "-b", branch]);
    }

    /// Any program, run in the work tree with the hermetic environment.
    pub(crate) fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let mut cmd = std::process::Command::new(program);
        hermetic(&mut cmd, &self.home);
        cmd.current_dir(self.path());
        cmd
    }

    /// The built binary, run in the work tree with the hermetic environment.
    pub(crate) fn agentguard(&self) -> Command {
        Command::from_std(self.agentguard_std())
    }

    /// The same as a plain `std::process::Command`, for a test that sets its own stdio.
    pub(crate) fn agentguard_std(&self) -> std::process::Command {
        let mut std_cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("agentguard"));
        hermetic(&mut std_cmd, &self.home);
        std_cmd.current_dir(self.path());
        std_cmd
    }

    /// `agentguard check --format json <args>`, parsed; asserts the exit code.
    pub(crate) fn check_json(&self, args: &[&str], expected_code: i32) -> serde_json::Value {
        let output = self
            .agentguard()
            .arg("check")
            .args(args)
            .args(["--format", "json"])
            .output()
            .expect("run agentguard");
        assert_eq!(
            output.status.code(),
            Some(expected_code),
            "agentguard check {args:?}: stdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("valid JSON report")
    }

    /// Snapshot of what a check must never touch: HEAD, the index and the work tree status.
    pub(crate) fn state(&self) -> (String, String, String) {
        (
            self.git_output(&["rev-parse", "HEAD"])
                .stdout
                .escape_ascii()
                .to_string(),
            self.git(&["ls-files", "--stage"]),
            self.git(&["status", "--porcelain", "--untracked-files=all"]),
        )
    }
}

/// The findings of the first commit in a JSON report.
pub(crate) fn findings(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["commits"][0]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// (kind, category, path) of every finding, for compact assertions.
pub(crate) fn finding_keys(report: &serde_json::Value) -> Vec<(String, String, String)> {
    findings(report)
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap_or_default().to_string(),
                f["category"].as_str().unwrap_or_default().to_string(),
                f["path"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `finding_keys` restricted to one kind, where other checks' findings are beside the point.
pub(crate) fn finding_keys_of(
    report: &serde_json::Value,
    kind: &str,
) -> Vec<(String, String, String)> {
    finding_keys(report)
        .into_iter()
        .filter(|(k, _, _)| k == kind)
        .collect()
}

/// The trailer that makes a commit agent work on task T-1.
pub(crate) const TASK: &str = "Agent-Task: T-1";

/// An agent commit message: a title, a body, and `trailers` as the last paragraph.
pub(crate) fn msg(trailers: &[&str]) -> String {
    format!(
        "Agent change\n\nSome explanation.\n\n{}\n",
        trailers.join("\n")
    )
}

/// Owned (kind, category, path) triples, to compare with `finding_keys`.
pub(crate) fn keys(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    v.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

/// Output of a process as text, for assertion messages.
pub(crate) fn text(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

impl TestRepo {
    /// A fresh ed25519 key pair `<scratch>/keys/<name>` (no passphrase); returns the private
    /// key's path.
    pub(crate) fn ssh_key(&self, name: &str) -> PathBuf {
        let dir = self.scratch().join("keys");
        std::fs::create_dir_all(&dir).expect("keys dir");
        let path = dir.join(name);
        if !path.exists() {
            let status = std::process::Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
                .arg(&path)
                .status()
                .expect("run ssh-keygen");
            assert!(status.success(), "ssh-keygen failed");
        }
        path
    }

    /// The `allowed_signers` line for `identity` with the public half of key `name`.
    pub(crate) fn signer_line(&self, identity: &str, name: &str) -> String {
        let public =
            std::fs::read_to_string(self.ssh_key(name).with_extension("pub")).expect("public key");
        format!("{identity} {}", public.trim())
    }

    /// Runs the binary with the test's TMPDIR (acceptance checkouts stay inside the test).
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        let tmp = self.scratch().join("tmp");
        std::fs::create_dir_all(&tmp).expect("tmp");
        self.agentguard()
            .args(args)
            .env("TMPDIR", tmp)
            .output()
            .expect("run agentguard")
    }
}

/// Whether this machine can make the user and network namespaces the acceptance sandbox is
/// built from (probed once, with `unshare`, as an unprivileged user would).
pub(crate) fn user_namespaces() -> Result<(), String> {
    static PROBE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    PROBE
        .get_or_init(|| {
            match std::process::Command::new("unshare")
                .args(["--user", "--map-root-user", "--net", "true"])
                .output()
            {
                Ok(output) if output.status.success() => Ok(()),
                Ok(output) => Err(String::from_utf8_lossy(&output.stderr).trim().to_string()),
                Err(e) => Err(format!("cannot run unshare: {e}")),
            }
        })
        .clone()
}

/// The variable that declares a machine without user namespaces.
pub(crate) const NO_USERNS: &str = "AGENTGUARD_TEST_NO_USERNS";

/// Whether a test that needs user namespaces runs. Where they are missing it fails, naming
/// the cause, unless `AGENTGUARD_TEST_NO_USERNS=1` declares the machine lacks them: then it
/// is skipped with a line on stderr. It never passes without having run.
pub(crate) fn needs_user_namespaces(test: &str) -> bool {
    let Err(cause) = user_namespaces() else {
        return true;
    };
    if std::env::var(NO_USERNS).is_ok_and(|v| v == "1") {
        // The skip is said where the person running the tests sees it; tests have no Output.
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipped {test}: no user namespaces ({cause}), as {NO_USERNS}=1 declares");
        }
        return false;
    }
    panic!(
        "the tests in {test} need user namespaces, which this machine cannot make ({cause}); enable them \
         (kernel.unprivileged_userns_clone, AppArmor's restrict_unprivileged_userns), or set \
         {NO_USERNS}=1 to skip the tests that need them"
    );
}

/// At the top of a test that runs the acceptance sandbox: see [`needs_user_namespaces`].
#[macro_export]
macro_rules! require_user_namespaces {
    () => {
        if !$crate::support::needs_user_namespaces(module_path!()) {
            return;
        }
    };
}

/// A bare repository the clones of a test push to and fetch from.
pub(crate) struct Remote {
    _dir: TempDir,
    pub path: PathBuf,
}

impl Remote {
    /// An empty bare repository whose default branch is `main`.
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("agentguard-remote")
            .tempdir()
            .expect("tempdir");
        let path = dir.path().join("remote.git");
        let status = std::process::Command::new("git")
            .args(["init", "-q", "--bare", "-b", "main"])
            .arg(&path)
            .status()
            .expect("git init --bare");
        assert!(status.success());
        Self { _dir: dir, path }
    }

    /// A bare repository holding `source`'s `main`.
    pub(crate) fn with(source: &TestRepo) -> Self {
        let remote = Self::new();
        source.git(&[
            "push",
            "-q",
            "--no-verify",
            remote.path.to_str().unwrap(),
            "main",
        ]);
        remote
    }

    /// Where to push or fetch: the bare repository's path.
    pub(crate) fn url(&self) -> String {
        self.path.display().to_string()
    }

    fn git(&self, args: &[&str]) -> Output {
        std::process::Command::new("git")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .arg("--git-dir")
            .arg(&self.path)
            .args(args)
            .output()
            .expect("git")
    }

    /// The commits annotated under `refs/notes/<notes_ref>`, sorted.
    pub(crate) fn notes(&self, notes_ref: &str) -> Vec<String> {
        let output = self.git(&["notes", "--ref", notes_ref, "list"]);
        let mut commits: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
            .collect();
        commits.sort();
        commits
    }

    /// The note on `commit` under `refs/notes/<notes_ref>`.
    pub(crate) fn note(&self, notes_ref: &str, commit: &str) -> Option<String> {
        let output = self.git(&["notes", "--ref", notes_ref, "show", commit]);
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Where `branch` points, if it exists.
    pub(crate) fn branch(&self, branch: &str) -> Option<String> {
        let output = self.git(&[
            "rev-parse",
            "--verify",
            "-q",
            &format!("refs/heads/{branch}"),
        ]);
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    }
}

/// PATH without any directory that holds an `agentguard`: as if it were not installed.
pub(crate) fn path_without_agentguard() -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|d| !d.join("agentguard").exists())
        .collect();
    std::env::join_paths(dirs)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}
