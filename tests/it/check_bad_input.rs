//! `agentguard check` on bad input: broken policy and task files in the base, bad
//! trailer values, bad revisions and repositories, shallow clones, odd paths and file kinds,
//! merges, `-C`, and the JSON shape of a block. Every run must leave HEAD, the index and the
//! work tree alone, and must never panic.

use crate::support::{finding_keys, finding_keys_of, findings, keys, msg, TestRepo, TASK};
use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Output;

const ALLOW_SRC: &str = "Agent-Allow: src/**";

/// What one agentguard process did.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from_output(output: Output) -> Self {
        let run = Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(!run.stderr.contains("panicked"), "panic:\n{run}");
        run
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{self}"))
    }

    fn code(&self, expected: i32) -> &Self {
        assert_eq!(self.code, Some(expected), "exit code:\n{self}");
        self
    }

    /// Exit 2 with exactly one agentguard error paragraph naming every needle, plus a hint,
    /// and no verdict on stdout.
    fn error(&self, needles: &[&str]) -> &Self {
        self.code(2);
        assert!(
            ["error", "config error", "internal error"]
                .iter()
                .any(|kind| self.stderr.starts_with(&format!("agentguard: {kind}: "))),
            "not an agentguard error:\n{self}"
        );
        assert_eq!(
            self.stderr.matches("error:").count(),
            1,
            "one error:\n{self}"
        );
        assert!(self.stderr.contains("hint: "), "no hint:\n{self}");
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr lacks `{needle}`:\n{self}"
            );
        }
        assert!(
            !self.stdout.contains("verdict"),
            "a verdict despite the error:\n{self}"
        );
        self
    }

    /// A command-line usage error from the argument parser: exit 2, one error, a pointer to help.
    fn usage_error(&self, needles: &[&str]) -> &Self {
        self.code(2);
        assert_eq!(
            self.stderr.matches("error:").count(),
            1,
            "one error:\n{self}"
        );
        assert!(
            self.stderr.contains("--help"),
            "no pointer to --help:\n{self}"
        );
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr lacks `{needle}`:\n{self}"
            );
        }
        self
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// HEAD, index and status of the repository at `dir` (which need not be the TestRepo's).
fn state_in(repo: &TestRepo, dir: &Path) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let git = |args: &[&str]| {
        repo.git_command()
            .current_dir(dir)
            .args(args)
            .output()
            .expect("run git")
            .stdout
    };
    (
        git(&["rev-parse", "HEAD"]),
        git(&["ls-files", "--stage"]),
        git(&["status", "--porcelain", "--untracked-files=all"]),
    )
}

/// Runs `agentguard <args>` in `dir` and checks the repository there is left as it was.
fn ag_in(repo: &TestRepo, dir: &Path, args: &[&str]) -> Run {
    let before = state_in(repo, dir);
    let output = repo
        .agentguard()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run agentguard");
    assert_eq!(
        before,
        state_in(repo, dir),
        "agentguard {args:?} changed the repository"
    );
    Run::from_output(output)
}

/// Runs `agentguard <args>` in the work tree; HEAD, index and work tree must not change.
fn ag(repo: &TestRepo, args: &[&str]) -> Run {
    let before = repo.state();
    let output = repo
        .agentguard()
        .args(args)
        .output()
        .expect("run agentguard");
    assert_eq!(
        before,
        repo.state(),
        "agentguard {args:?} changed the repository"
    );
    Run::from_output(output)
}

/// `check HEAD --no-run --format json`, with the exit code asserted.
fn check_head(repo: &TestRepo, code: i32) -> serde_json::Value {
    let run = ag(repo, &["check", "HEAD", "--no-run", "--format", "json"]);
    run.code(code);
    run.json()
}

fn write_raw(repo: &TestRepo, path: &[u8], content: &[u8]) {
    let full = repo.path().join(OsStr::from_bytes(path));
    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    std::fs::write(full, content).expect("write");
}

fn symlink(repo: &TestRepo, link: &str, target: &str) {
    let full = repo.path().join(link);
    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    std::os::unix::fs::symlink(target, full).expect("symlink");
}

/// A human commit adding `path` with `content` on top of the initial commit, then an agent
/// commit (task T-1, no scope trailers) adding `src/a.rs`: the agent commit's base holds it.
fn base_file_then_agent_commit(path: &str, content: &[u8]) -> TestRepo {
    let repo = TestRepo::with_initial_commit();
    repo.write_bytes(path, content);
    repo.commit_all("human: add config");
    repo.write("src/a.rs", "pub fn a() {}\n");
    repo.commit_all(&msg(&[TASK]));
    repo
}

fn policy_error(policy: &str) -> Run {
    let repo = base_file_then_agent_commit(".agentguard.toml", policy.as_bytes());
    ag(&repo, &["check", "HEAD", "--no-run"])
}

// ---------------------------------------------------------------------------------------------
// Policy and task files in the base commit

#[test]
fn malformed_policy_toml_names_file_line_and_column() {
    let run = policy_error("[scope]\nallow = [\"src/**\"]\ndeny = [\"a\" \"b\"]\n");
    run.error(&[".agentguard.toml", ":3:13"]);
    assert!(
        run.stderr.contains("fix the file in the base commit"),
        "{run}"
    );
    policy_error("[scope\nallow = 1\n").error(&[".agentguard.toml", ":1:7"]);
}

#[test]
fn a_broken_policy_reads_the_same_from_check_and_from_a_hook() {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[scope\n");
    repo.commit_all("human: broken policy");
    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    let message = repo.scratch().join("COMMIT_EDITMSG");
    std::fs::write(&message, msg(&[TASK])).unwrap();
    let check = ag(&repo, &["check", "--staged"]);
    let hook = ag(&repo, &["hook", "commit-msg", message.to_str().unwrap()]);
    for run in [&check, &hook] {
        run.error(&[".agentguard.toml", ":1:"]);
        assert!(
            run.stderr.starts_with("agentguard: config error: "),
            "{run}"
        );
    }
    let hints = |run: &Run| -> Vec<String> {
        run.stderr
            .lines()
            .filter(|l| l.contains("hint: "))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(hints(&check), hints(&hook));
    assert!(
        hints(&hook)[0].contains("fix the file in the base commit"),
        "{hook}"
    );
}

#[test]
fn unknown_policy_key_is_named_with_its_position() {
    policy_error("[scope]\nallow = [\"**\"]\nalow = []\n").error(&[
        ".agentguard.toml",
        ":3:1",
        "alow",
    ]);
    policy_error("[agnet]\nrequire_task = false\n").error(&[".agentguard.toml", ":1:", "agnet"]);
    policy_error("[risk.secrets]\npaths = [\"k/**\"]\npattern = [\"x\"]\n").error(&[
        ".agentguard.toml",
        ":3:1",
        "pattern",
    ]);
}

#[test]
fn bad_scope_glob_is_named() {
    policy_error("[scope]\ndeny = [\"ok/**\", \"src/[a\"]\n").error(&[
        ".agentguard.toml",
        ":2:18",
        "src/[a",
    ]);
    policy_error("[scope]\nallow = [\"\"]\n").error(&[".agentguard.toml", ":2:10", "empty glob"]);
    policy_error("[agent]\nbranches = [\"agent/{x\"]\n").error(&[
        ".agentguard.toml",
        ":2:13",
        "agent/{x",
    ]);
}

#[test]
fn bad_risk_regex_is_named() {
    let run = policy_error("[risk.secrets]\ncontent = [\"(unclosed\"]\n");
    run.code(2);
    for needle in [
        ".agentguard.toml",
        ":2:12",
        "invalid regex `(unclosed`",
        "hint: ",
    ] {
        assert!(
            run.stderr.contains(needle),
            "stderr lacks `{needle}`:\n{run}"
        );
    }
}

#[test]
fn bad_risk_regex_error_is_one_paragraph() {
    policy_error("[risk.secrets]\ncontent = [\"(unclosed\"]\n").error(&[
        ".agentguard.toml",
        ":2:12",
        "(unclosed",
        "unclosed group",
    ]);
}

#[test]
fn bad_acceptance_timeout_is_named() {
    policy_error("[acceptance]\ntimeout = \"ten minutes\"\n").error(&[
        ".agentguard.toml",
        ":2:11",
        "ten minutes",
    ]);
    policy_error("[acceptance]\ntimeout = \"0s\"\n").error(&[".agentguard.toml", ":2:11", "zero"]);
    policy_error("[acceptance]\nmax_output = \"lots\"\n").error(&[
        ".agentguard.toml",
        ":2:14",
        "lots",
    ]);
}

#[test]
fn wrong_type_in_policy_has_a_position() {
    policy_error("[agent]\nrequire_task = \"yes\"\n").error(&[
        ".agentguard.toml",
        ":2:16",
        "boolean",
    ]);
    policy_error("[scope]\nallow = \"src/**\"\n").error(&[".agentguard.toml", ":2:9", "sequence"]);
    policy_error("[acceptance]\nnetwork = \"sometimes\"\n").error(&[
        ".agentguard.toml",
        ":2:11",
        "sometimes",
    ]);
    policy_error("[risk.auth]\naction = \"maybe\"\n").error(&[
        ".agentguard.toml",
        ":2:10",
        "maybe",
    ]);
}

#[test]
fn policy_that_is_not_utf8_is_an_error() {
    let repo = base_file_then_agent_commit(".agentguard.toml", b"[scope]\nallow = [\"\xff\"]\n");
    ag(&repo, &["check", "HEAD", "--no-run"]).error(&[".agentguard.toml", "UTF-8"]);
}

#[test]
fn policy_errors_apply_to_human_commits_too() {
    // The policy decides what counts as agent work, so it cannot be skipped.
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[scope\n");
    repo.commit_all("human: broken policy");
    repo.write("notes.txt", "x\n");
    repo.commit_all("human work");
    ag(&repo, &["check"]).error(&[".agentguard.toml", ":1:"]);
}

#[test]
fn broken_policy_in_the_change_itself_is_not_read() {
    // The base has no policy: the default governs; the agent's broken file is just a change.
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[scope\nallow = \n");
    repo.commit_all(&msg(&[TASK]));
    let run = ag(&repo, &["check", "HEAD", "--no-run", "--format", "json"]);
    // Not an error; what the guard-config rule makes of the file is risk.rs's business.
    assert_ne!(run.code, Some(2), "{run}");
    let report = run.json();
    assert_eq!(report["commits"][0]["task"], "T-1");
}

#[test]
fn broken_policy_in_a_root_commit_is_not_read() {
    // No base: the built-in default governs, whatever the root commit contains.
    let repo = TestRepo::new();
    repo.write(".agentguard.toml", "[scope\n");
    repo.commit_all("human root");
    let report = check_head(&repo, 0);
    assert_eq!(report["commits"][0]["agent"], false);
}

#[test]
fn malformed_task_file_in_base_names_file_and_position() {
    let repo = base_file_then_agent_commit(
        ".agentguard/tasks/T-1.toml",
        b"goal = \"x\"\nallow = [\"src/**\" \"lib/**\"]\n",
    );
    ag(&repo, &["check", "HEAD", "--no-run"]).error(&[
        ".agentguard/tasks/T-1.toml",
        ":2:19",
        "expected",
    ]);
}

#[test]
fn unknown_key_in_task_file_is_named() {
    let repo = base_file_then_agent_commit(
        ".agentguard/tasks/T-1.toml",
        b"goal = \"x\"\nallowed = [\"src/**\"]\n",
    );
    ag(&repo, &["check", "HEAD", "--no-run"]).error(&[
        ".agentguard/tasks/T-1.toml",
        ":2:1",
        "allowed",
    ]);
}

#[test]
fn bad_glob_and_category_in_task_file_are_named() {
    let repo = base_file_then_agent_commit(
        ".agentguard/tasks/T-1.toml",
        b"allow = [\"src/**\", \"a[\"]\n",
    );
    ag(&repo, &["check", "HEAD", "--no-run"]).error(&[".agentguard/tasks/T-1.toml", ":1:20", "a["]);
    let repo = base_file_then_agent_commit(
        ".agentguard/tasks/T-1.toml",
        b"requires_approval = [\"snacks\"]\n",
    );
    ag(&repo, &["check", "HEAD", "--no-run"]).error(&[
        ".agentguard/tasks/T-1.toml",
        ":1:22",
        "snacks",
    ]);
}

#[test]
fn task_file_of_another_task_is_not_read() {
    // Only the named task's file matters; a broken file for another task is no error.
    let repo = base_file_then_agent_commit(".agentguard/tasks/T-2.toml", b"goal = \n");
    let report = check_head(&repo, 1);
    assert_eq!(report["commits"][0]["task"], "T-1");
    // The repository defines its tasks, and T-1 is not one of them.
    assert_eq!(
        finding_keys(&report),
        vec![("metadata".into(), "unknown-task".into(), String::new())]
    );
}

#[test]
fn invalid_task_id_in_policy_tasks_table_is_named() {
    policy_error("[tasks.\"bad id!\"]\nallow = [\"src/**\"]\n").error(&[
        ".agentguard.toml",
        ":1:",
        "bad id!",
    ]);
}

#[test]
fn unknown_key_in_policy_tasks_table_is_named() {
    policy_error("[tasks.\"T-1\"]\nallow = [\"src/**\"]\ngoals = \"x\"\n").error(&[
        ".agentguard.toml",
        ":3:1",
        "goals",
    ]);
}

// ---------------------------------------------------------------------------------------------
// Bad trailer values: the change is bad, so these are findings, not errors

fn metadata_findings(report: &serde_json::Value) -> Vec<serde_json::Value> {
    findings(report)
        .into_iter()
        .filter(|f| f["kind"] == "metadata")
        .collect()
}

fn trailer_block(trailers: &[&str]) -> (TestRepo, serde_json::Value) {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "pub fn a() {}\n");
    repo.commit_all(&msg(trailers));
    let report = check_head(&repo, 1);
    (repo, report)
}

fn assert_one_metadata(report: &serde_json::Value, category: &str, action: &str, needle: &str) {
    let meta = metadata_findings(report);
    assert_eq!(meta.len(), 1, "{report:#}");
    assert_eq!(meta[0]["category"], category, "{report:#}");
    assert_eq!(meta[0]["action"], action, "{report:#}");
    let message = meta[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{message}");
}

#[test]
fn bad_glob_in_agent_allow_blocks_as_metadata() {
    let (_repo, report) = trailer_block(&[TASK, "Agent-Allow: src/[a"]);
    assert_one_metadata(&report, "invalid-trailer", "block", "src/[a");
    assert_eq!(report["verdict"], "block");
}

#[test]
fn empty_agent_allow_blocks_as_metadata() {
    let (_repo, report) = trailer_block(&[TASK, "Agent-Allow:"]);
    assert_one_metadata(&report, "invalid-trailer", "block", "Agent-Allow");
}

#[test]
fn bad_glob_in_agent_deny_blocks_as_metadata() {
    let (_repo, report) = trailer_block(&[TASK, ALLOW_SRC, "Agent-Deny: src/{x"]);
    assert_one_metadata(&report, "invalid-trailer", "block", "src/{x");
}

#[test]
fn unknown_category_in_requires_approval_blocks_as_metadata() {
    let (_repo, report) = trailer_block(&[TASK, ALLOW_SRC, "Agent-Requires-Approval: snacks"]);
    assert_one_metadata(&report, "invalid-trailer", "block", "snacks");
}

#[test]
fn empty_agent_task_blocks_as_metadata() {
    let (_repo, report) = trailer_block(&["Agent-Task:", ALLOW_SRC]);
    assert_one_metadata(&report, "invalid-task", "block", "empty");
    assert!(report["commits"][0]["task"].is_null(), "{report:#}");
}

#[test]
fn path_like_agent_task_blocks_and_reads_no_file() {
    let (_repo, report) = trailer_block(&["Agent-Task: ../../etc/passwd", ALLOW_SRC]);
    assert_one_metadata(&report, "invalid-task", "block", "../../etc/passwd");
    assert!(report["commits"][0]["task"].is_null(), "{report:#}");
    let (_repo, report) = trailer_block(&["Agent-Task: T 1", ALLOW_SRC]);
    assert_one_metadata(&report, "invalid-task", "block", "T 1");
}

#[test]
fn conflicting_agent_tasks_block_as_metadata() {
    let (_repo, report) = trailer_block(&[TASK, "Agent-Task: T-2", ALLOW_SRC]);
    assert_one_metadata(&report, "conflicting-task", "block", "T-2");
    // Repeating the same id is no conflict.
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "x\n");
    repo.commit_all(&msg(&[TASK, "agent-task: T-1", ALLOW_SRC]));
    let report = check_head(&repo, 0);
    assert_eq!(report["commits"][0]["task"], "T-1");
}

#[test]
fn unknown_agent_trailer_only_warns() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "x\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC, "Agent-Foo: bar"]));
    let report = check_head(&repo, 0);
    assert_eq!(report["verdict"], "pass");
    let meta = metadata_findings(&report);
    assert_eq!(meta.len(), 1, "{report:#}");
    assert_eq!(meta[0]["category"], "unknown-trailer");
    assert_eq!(meta[0]["action"], "warn");
    assert!(meta[0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("Agent-Foo"));
}

#[test]
fn empty_agent_acceptance_blocks_as_metadata() {
    let (_repo, report) = trailer_block(&[TASK, ALLOW_SRC, "Agent-Acceptance:"]);
    assert_one_metadata(&report, "invalid-trailer", "block", "Agent-Acceptance");
}

// ---------------------------------------------------------------------------------------------
// Revisions and repositories

#[test]
fn unknown_revision_is_named() {
    let repo = TestRepo::with_initial_commit();
    ag(&repo, &["check", "no-such-branch"]).error(&["no-such-branch"]);
    ag(&repo, &["check", "HEAD~5"]).error(&["HEAD~5"]);
    ag(
        &repo,
        &["check", "0123456789abcdef0123456789abcdef01234567"],
    )
    .error(&["0123456789abcdef0123456789abcdef01234567"]);
}

#[test]
fn range_is_not_a_revision_for_check() {
    let repo = TestRepo::with_initial_commit();
    repo.write("a", "x\n");
    repo.commit_all("second");
    ag(&repo, &["check", "HEAD~1..HEAD"]).error(&["HEAD~1..HEAD"]);
}

#[test]
fn tree_and_blob_ids_are_not_commits() {
    let repo = TestRepo::with_initial_commit();
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"]);
    ag(&repo, &["check", &tree]).error(&[&tree, "tree", "not a commit"]);
    ag(&repo, &["check", "HEAD:README.md"]).error(&["HEAD:README.md", "blob", "not a commit"]);
}

#[test]
fn annotated_tag_peels_to_its_commit() {
    let repo = TestRepo::with_initial_commit();
    repo.write("docs/x.md", "x\n");
    let commit = repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    repo.git(&["tag", "-a", "v1", "-m", "release v1"]);
    let run = ag(&repo, &["check", "v1", "--no-run", "--format", "json"]);
    run.code(1);
    let report = run.json();
    assert_eq!(report["commits"][0]["commit"], commit.as_str());
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "docs/x.md")])
    );
}

#[test]
fn tag_of_a_tree_is_not_a_commit() {
    let repo = TestRepo::with_initial_commit();
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"]);
    repo.git(&["tag", "-a", "treetag", "-m", "a tree", &tree]);
    ag(&repo, &["check", "treetag"]).error(&["treetag", "not a commit"]);
}

#[test]
fn not_a_repository() {
    let repo = TestRepo::new();
    let plain = repo.scratch().join("plain");
    std::fs::create_dir_all(&plain).expect("mkdir");
    let output = repo
        .agentguard()
        .current_dir(&plain)
        .env("GIT_CEILING_DIRECTORIES", repo.scratch())
        .args(["check", "HEAD"])
        .output()
        .expect("run agentguard");
    let run = Run::from_output(output);
    run.error(&["plain", "not inside a git repository"]);
    assert_eq!(
        std::fs::read_dir(&plain).expect("ls").count(),
        0,
        "created files"
    );
}

#[test]
fn bare_repository() {
    let repo = TestRepo::with_initial_commit();
    let bare = repo.scratch().join("bare.git");
    repo.git(&["clone", "-q", "--bare", ".", bare.to_str().expect("utf-8")]);
    let output = repo
        .agentguard()
        .current_dir(&bare)
        .args(["check", "HEAD"])
        .output()
        .expect("run agentguard");
    Run::from_output(output).error(&["bare.git", "bare repository"]);
    let output = repo
        .agentguard()
        .current_dir(repo.scratch())
        .args(["-C", "bare.git", "check", "--staged"])
        .output()
        .expect("run agentguard");
    Run::from_output(output).error(&["bare repository"]);
}

#[test]
fn unborn_head_cannot_be_checked_as_a_commit() {
    let repo = TestRepo::new();
    repo.write("src/a.rs", "x\n");
    repo.git(&["add", "-A"]);
    for args in [&["check", "HEAD"][..], &["check"][..]] {
        let run = ag(&repo, args);
        run.error(&["no commits yet"]);
        assert!(run.stderr.contains("--staged"), "{run}");
    }
}

#[test]
fn staged_on_an_unborn_branch_judges_against_the_empty_tree() {
    let repo = TestRepo::new();
    repo.write("src/a.rs", "x\n");
    repo.write("docs/b.md", "y\n");
    repo.git(&["add", "-A"]);
    let message = repo.scratch().join("MSG");
    std::fs::write(&message, msg(&[TASK, ALLOW_SRC])).expect("write");
    let message = message.to_str().expect("utf-8");
    let run = ag(
        &repo,
        &[
            "check",
            "--staged",
            "--message-file",
            message,
            "--no-run",
            "--format",
            "json",
        ],
    );
    run.code(1);
    let report = run.json();
    let commit = &report["commits"][0];
    assert!(commit["commit"].is_null(), "{report:#}");
    assert!(commit["base"].is_null(), "{report:#}");
    assert_eq!(commit["task"], "T-1");
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "docs/b.md")])
    );
}

#[test]
fn staged_on_an_unborn_agent_branch_without_a_task_blocks() {
    let repo = TestRepo::new();
    repo.git(&["checkout", "-q", "-b", "agent/x"]);
    repo.write("src/a.rs", "x\n");
    repo.git(&["add", "-A"]);
    let run = ag(
        &repo,
        &["check", "--staged", "--no-run", "--format", "json"],
    );
    run.code(1);
    let report = run.json();
    assert_eq!(
        finding_keys(&report),
        keys(&[("metadata", "missing-task", "")])
    );
}

#[test]
fn missing_message_file_is_named() {
    let repo = TestRepo::with_initial_commit();
    let missing = repo.scratch().join("no-such-message");
    let missing = missing.to_str().expect("utf-8");
    ag(&repo, &["check", "--staged", "--message-file", missing]).error(&["no-such-message"]);
    let dir = repo.scratch().to_str().expect("utf-8").to_string();
    ag(&repo, &["check", "HEAD", "--message-file", &dir]).error(&[&dir]);
}

#[test]
fn staged_together_with_a_revision_is_a_usage_error() {
    let repo = TestRepo::with_initial_commit();
    ag(&repo, &["check", "--staged", "HEAD"]).usage_error(&["--staged"]);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let repo = TestRepo::with_initial_commit();
    ag(&repo, &["check", "--frobnicate"]).usage_error(&["--frobnicate"]);
    ag(&repo, &["check", "--format", "yaml"]).usage_error(&["yaml"]);
    ag(&repo, &["frobnicate"]).usage_error(&["frobnicate"]);
}

#[test]
fn dash_c_to_a_repository_and_to_a_subdirectory() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "x\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let work = repo.path();
    let work = work.to_str().expect("utf-8");
    let run = ag_in(
        &repo,
        &repo.scratch(),
        &["-C", work, "check", "HEAD", "--no-run", "--format", "json"],
    );
    run.code(0);
    assert_eq!(run.json()["commits"][0]["task"], "T-1");
    let sub = format!("{work}/src");
    ag_in(&repo, &repo.scratch(), &["-C", &sub, "check", "--no-run"]).code(0);
}

#[test]
fn dash_c_to_a_missing_directory() {
    let repo = TestRepo::with_initial_commit();
    let missing = repo.scratch().join("nowhere");
    let missing = missing.to_str().expect("utf-8");
    ag(&repo, &["-C", missing, "check"]).error(&["nowhere"]);
}

// ---------------------------------------------------------------------------------------------
// Shallow clones and root commits

#[test]
fn shallow_clone_missing_the_parent_names_it() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "x\n");
    let parent = repo.commit_all("human work");
    repo.write("src/b.rs", "y\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let shallow = repo.scratch().join("shallow");
    let url = format!("file://{}", repo.path().display());
    repo.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &url,
        shallow.to_str().expect("utf-8"),
    ]);
    let run = ag_in(&repo, &shallow, &["check", "HEAD", "--no-run"]);
    run.error(&[&parent, "missing"]);
    assert!(
        run.stderr.contains("--deepen") || run.stderr.contains("--unshallow"),
        "{run}"
    );
}

#[test]
fn root_agent_commit_is_judged_against_the_empty_tree() {
    let repo = TestRepo::new();
    repo.write("src/a.rs", "x\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 0);
    let commit = &report["commits"][0];
    assert!(commit["base"].is_null(), "{report:#}");
    assert_eq!(commit["policy"], "built-in default (no base commit)");
    let repo = TestRepo::new();
    repo.write("src/a.rs", "x\n");
    repo.write("README.md", "x\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "README.md")])
    );
}

// ---------------------------------------------------------------------------------------------
// Odd paths and file kinds

#[test]
fn non_utf8_paths_in_and_out_of_scope() {
    let repo = TestRepo::with_initial_commit();
    write_raw(&repo, b"src/\xff.rs", b"x\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    check_head(&repo, 0);

    write_raw(&repo, b"docs/\xfe\xff.md", b"x\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "docs/\u{fffd}\u{fffd}.md")])
    );
    // Human output names it too, without failing on the bytes.
    let run = ag(&repo, &["check", "--no-run"]);
    run.code(1);
    assert!(run.stdout.contains("docs/"), "{run}");
}

#[test]
fn non_utf8_path_added_to_the_index_only() {
    let repo = TestRepo::with_initial_commit();
    let blob = repo.git(&["hash-object", "-w", "README.md"]);
    // `--cacheinfo mode,sha,path`, with the path glued on as raw bytes.
    let mut arg = format!("100644,{blob},secret/").into_bytes();
    arg.extend_from_slice(b"\xffkey");
    let status = repo
        .git_command()
        .args(["update-index", "--add", "--cacheinfo"])
        .arg(OsStr::from_bytes(&arg))
        .status()
        .expect("git");
    assert!(status.success());
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        &msg(&[TASK, ALLOW_SRC]),
    ]);
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "secret/\u{fffd}key")])
    );
}

#[test]
fn deny_glob_with_star_matches_non_utf8_names() {
    let repo = TestRepo::with_initial_commit();
    write_raw(&repo, b"src/\xff.key", b"x\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC, "Agent-Deny: *.key"]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys_of(&report, "scope"),
        keys(&[("scope", "denied", "src/\u{fffd}.key")])
    );
}

#[test]
fn allow_glob_with_star_matches_non_utf8_names() {
    let repo = TestRepo::with_initial_commit();
    write_raw(&repo, b"src/\xff.rs", b"x\n");
    repo.commit_all(&msg(&[TASK, "Agent-Allow: src/*.rs"]));
    check_head(&repo, 0);
}

#[test]
fn very_long_paths_in_and_out_of_scope() {
    let segments: Vec<String> = (0..12).map(|i| format!("segment-number-{i:03}")).collect();
    let deep = segments.join("/");
    let inside = format!("src/{deep}/module.rs");
    let outside = format!("docs/{deep}/{}.md", "n".repeat(200));
    assert_eq!((inside.len(), outside.len()), (241, 436));
    let repo = TestRepo::with_initial_commit();
    repo.write(&inside, "x\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    check_head(&repo, 0);
    repo.write(&outside, "x\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", &outside)])
    );
}

#[test]
fn crlf_file_and_crlf_commit_message() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "fn a() {}\r\nfn b() {}\r\n");
    repo.write("docs/b.md", "x\r\n");
    repo.git(&["add", "-A"]);
    let message =
        "Agent change\r\n\r\nBody line.\r\n\r\nAgent-Task: T-1\r\nAgent-Allow: src/**\r\n";
    let file = repo.scratch().join("CRLF_MSG");
    std::fs::write(&file, message).expect("write");
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "--cleanup=verbatim",
        "-F",
        file.to_str().expect("utf-8"),
    ]);
    let raw = repo.git_output(&["cat-file", "commit", "HEAD"]).stdout;
    assert!(raw.windows(2).any(|w| w == b"\r\n"), "message lost its CRs");
    let report = check_head(&repo, 1);
    assert_eq!(report["commits"][0]["task"], "T-1");
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "docs/b.md")])
    );
    // The same message from a file, for the staged index.
    repo.write("src/c.rs", "x\r\n");
    repo.git(&["add", "-A"]);
    let file = file.to_str().expect("utf-8");
    let run = ag(
        &repo,
        &[
            "check",
            "--staged",
            "--message-file",
            file,
            "--no-run",
            "--format",
            "json",
        ],
    );
    run.code(0);
    assert_eq!(run.json()["commits"][0]["task"], "T-1");
}

#[test]
fn binary_files_in_and_out_of_scope() {
    let mut bytes: Vec<u8> = (0..=255u8).cycle().take(64 * 1024).collect();
    bytes.extend_from_slice(b"\0\0\xff\xfe");
    let repo = TestRepo::with_initial_commit();
    repo.write_bytes("src/data.bin", &bytes);
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    check_head(&repo, 0);
    bytes.reverse();
    repo.write_bytes("src/data.bin", &bytes);
    repo.write_bytes("assets/logo.png", &bytes);
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "assets/logo.png")])
    );
}

#[test]
fn symlink_inside_the_allowed_scope_passes() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/impl.rs", "x\n");
    symlink(&repo, "src/link.rs", "impl.rs");
    symlink(&repo, "src/nested/up.rs", "../impl.rs");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    check_head(&repo, 0);
}

#[test]
fn symlink_into_a_denied_directory_blocks() {
    let repo = TestRepo::with_initial_commit();
    symlink(&repo, "src/key", "../secrets/prod.key");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC, "Agent-Deny: secrets/"]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys_of(&report, "scope"),
        keys(&[("scope", "denied", "src/key")])
    );
    let message = findings(&report)[0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("secrets/prod.key"), "{message}");
}

#[test]
fn symlink_to_a_path_outside_the_allowed_scope_blocks() {
    let repo = TestRepo::with_initial_commit();
    symlink(&repo, "src/readme", "../README.md");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "src/readme")])
    );
}

#[test]
fn symlink_to_a_denied_directory_itself_blocks() {
    let repo = TestRepo::with_initial_commit();
    repo.write("secrets/prod.key", "k\n");
    repo.commit_all("human: secrets");
    symlink(&repo, "src/s", "../secrets");
    // No allow layer narrows here, so only the deny rule can catch the link.
    repo.commit_all(&msg(&[TASK, "Agent-Deny: secrets/"]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys_of(&report, "scope"),
        keys(&[("scope", "denied", "src/s")])
    );
}

#[test]
fn symlink_into_dot_git_blocks() {
    let repo = TestRepo::with_initial_commit();
    symlink(&repo, "src/hook", "../.git/hooks/pre-commit");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "denied", "src/hook")])
    );
}

#[test]
fn symlinks_out_of_the_repository_block() {
    for target in ["/etc/passwd", "../../x", "../../../../../../etc/shadow"] {
        let repo = TestRepo::with_initial_commit();
        symlink(&repo, "src/link", target);
        repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
        let report = check_head(&repo, 1);
        assert_eq!(
            finding_keys(&report),
            keys(&[("scope", "symlink-escape", "src/link")]),
            "{target}"
        );
        let message = findings(&report)[0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(message.contains(target), "{message}");
    }
}

#[test]
fn symlink_outside_scope_pointing_inside_blocks_by_its_own_path() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "x\n");
    symlink(&repo, "docs/a.rs", "../src/a.rs");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "docs/a.rs")])
    );
}

/// Adds a gitlink at `path` pointing at `commit` and commits with `message` (no `add -A`,
/// which would stage the missing submodule directory as a deletion).
fn commit_gitlink(repo: &TestRepo, path: &str, commit: &str, message: &str) {
    repo.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{commit},{path}"),
    ]);
    repo.git(&["commit", "-q", "--no-verify", "-m", message]);
}

#[test]
fn submodule_change_in_scope_needs_only_a_submodule_approval() {
    let repo = TestRepo::with_initial_commit();
    let head = repo.git(&["rev-parse", "HEAD"]);
    commit_gitlink(
        &repo,
        "vendor/sub",
        &head,
        &msg(&[TASK, "Agent-Allow: vendor/**"]),
    );
    // A new submodule brings in code from elsewhere: in scope, but a human signs off on it.
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("risk", "submodules", "vendor/sub")])
    );
}

#[test]
fn submodule_change_out_of_scope_blocks() {
    let repo = TestRepo::with_initial_commit();
    let head = repo.git(&["rev-parse", "HEAD"]);
    commit_gitlink(&repo, "vendor/sub", &head, &msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[
            ("scope", "outside-allow", "vendor/sub"),
            ("risk", "submodules", "vendor/sub")
        ])
    );
    // Moving the pointer is a change too.
    let other = "0123456789abcdef0123456789abcdef01234567";
    commit_gitlink(&repo, "vendor/sub", other, &msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[
            ("scope", "outside-allow", "vendor/sub"),
            ("risk", "submodules", "vendor/sub")
        ])
    );
}

#[test]
fn mode_change_only_out_of_scope_is_a_change() {
    use std::os::unix::fs::PermissionsExt;
    let repo = TestRepo::with_initial_commit();
    repo.write("scripts/run.sh", "#!/bin/sh\necho hi\n");
    repo.commit_all("human: script");
    let path = repo.path().join("scripts/run.sh");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    repo.git(&["update-index", "--chmod=+x", "scripts/run.sh"]);
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let changed = repo.git(&["diff-tree", "--raw", "-r", "HEAD~1", "HEAD"]);
    assert!(changed.contains(":100644 100755"), "{changed}");
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "scripts/run.sh")])
    );
}

#[test]
fn twenty_megabyte_single_file_change_completes() {
    let line = format!("{}\n", "abcdefghij".repeat(10));
    let content = line.repeat(20 * 1024 * 1024 / line.len());
    let repo = TestRepo::with_initial_commit();
    repo.write("src/big.txt", &content);
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 0);
    assert!(findings(&report).is_empty(), "{report:#}");
}

// ---------------------------------------------------------------------------------------------
// Merge commits: the change is what the merge adds beyond a clean merge of its parents.

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// main: README, src/a.rs, docs/guide.md. `feature` (human) edits docs/guide.md; `agent/t1`
/// (agent, allowed src/**) edits src/a.rs. HEAD is left on `agent/t1`.
fn merge_setup() -> TestRepo {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "one\n");
    repo.write("docs/guide.md", "guide\n");
    repo.commit_all("human: base");
    repo.checkout_new("feature");
    repo.write("docs/guide.md", "guide, revised\n");
    repo.commit_all("human: docs");
    repo.git(&["checkout", "-q", "main"]);
    repo.checkout_new("agent/t1");
    repo.write("src/a.rs", "two\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    repo
}

#[test]
fn clean_merge_adds_nothing_and_passes() {
    // The merged branch's commits are judged on their own; the merge itself changes nothing.
    let repo = merge_setup();
    repo.git(&[
        "merge",
        "-q",
        "--no-ff",
        "feature",
        "-m",
        &msg(&[TASK, ALLOW_SRC]),
    ]);
    assert_eq!(
        repo.git(&["rev-list", "--parents", "-n1", "HEAD"])
            .split(' ')
            .count(),
        3
    );
    let report = check_head(&repo, 0);
    assert!(findings(&report).is_empty(), "{report:#}");
    assert_eq!(report["commits"][0]["fingerprint"], EMPTY_SHA256);
}

#[test]
fn evil_merge_is_judged_on_what_it_adds() {
    let repo = merge_setup();
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "feature"]);
    repo.write("docs/evil.md", "slipped in\n");
    repo.git(&["add", "-A"]);
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        &msg(&[TASK, ALLOW_SRC]),
    ]);
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "docs/evil.md")])
    );
}

#[test]
fn conflict_resolution_counts_as_the_merge_change() {
    let repo = merge_setup();
    repo.write("docs/guide.md", "guide, agent version\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let output = repo.git_output(&["merge", "-q", "--no-ff", "feature"]);
    assert!(!output.status.success(), "expected a conflict");
    repo.write("docs/guide.md", "guide, both versions\n");
    repo.git(&["add", "-A"]);
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        &msg(&[TASK, ALLOW_SRC]),
    ]);
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "docs/guide.md")])
    );
}

#[test]
fn a_merge_that_keeps_one_side_of_a_conflict_is_judged_not_waved_through() {
    // `-X ours` throws away the other side's change to the conflicted file: the merge is
    // the agent's doing, not a clean merge that adds nothing.
    let repo = merge_setup();
    repo.write("docs/guide.md", "guide, agent version\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    repo.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-X",
        "ours",
        "feature",
        "-m",
        "Merge branch 'feature'",
    ]);
    let report = check_head(&repo, 1);
    let keys = finding_keys(&report);
    assert!(
        keys.contains(&("metadata".into(), "missing-task".into(), String::new())),
        "{keys:?}"
    );
    assert_ne!(
        report["commits"][0]["fingerprint"], EMPTY_SHA256,
        "the resolution is a change"
    );
}

// ---------------------------------------------------------------------------------------------
// JSON shape of a block without errors

#[test]
fn json_shape_of_a_block() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "x\n");
    repo.write("docs/b.md", "y\n");
    let commit = repo.commit_all(&msg(&[TASK, ALLOW_SRC, "Agent-Name: codex"]));
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"]);
    let report = check_head(&repo, 1);
    assert_eq!(report["schema"], "agentguard.report/v1");
    assert_eq!(report["verdict"], "block");
    let commits = report["commits"].as_array().expect("commits array");
    assert_eq!(commits.len(), 1);
    let c = &commits[0];
    assert_eq!(c["commit"], commit.as_str());
    assert_eq!(c["tree"], tree.as_str());
    assert_eq!(c["agent"], true);
    assert_eq!(c["task"], "T-1");
    let fingerprint = c["fingerprint"].as_str().expect("fingerprint");
    assert_eq!(fingerprint.len(), 64);
    assert!(fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(c["acceptance"], serde_json::json!([]));
    let all = c["findings"].as_array().expect("findings array");
    assert_eq!(all.len(), 1, "{report:#}");
    let f = all[0].as_object().expect("finding object");
    for key in [
        "kind", "category", "path", "line", "action", "message", "approved",
    ] {
        assert!(f.contains_key(key), "finding lacks `{key}`: {report:#}");
    }
    assert_eq!(f["kind"], "scope");
    assert_eq!(f["category"], "outside-allow");
    assert_eq!(f["path"], "docs/b.md");
    assert!(f["line"].is_null());
    assert_eq!(f["action"], "block");
    assert_eq!(f["approved"], false);
    assert!(f["message"]
        .as_str()
        .expect("message")
        .contains("docs/b.md"));
}

// ---------------------------------------------------------------------------------------------
// More bad input

#[test]
fn bad_risk_category_definitions_are_named() {
    policy_error("[risk.\"Bad Name\"]\npaths = [\"x/**\"]\n")
        .error(&[".agentguard.toml", "Bad Name"]);
    policy_error("[risk.empty-rules]\naction = \"block\"\n")
        .error(&[".agentguard.toml", "empty-rules"]);
    policy_error("[risk.custom]\npaths = [\"x/[\"]\n").error(&[".agentguard.toml", ":2:10", "x/["]);
}

#[test]
fn policy_error_with_json_format_prints_no_report() {
    let repo = base_file_then_agent_commit(".agentguard.toml", b"[scope]\nallow = 3\n");
    let run = ag(&repo, &["check", "HEAD", "--no-run", "--format", "json"]);
    run.error(&[".agentguard.toml", ":2:9"]);
    assert!(run.stdout.trim().is_empty(), "{run}");
}

#[test]
fn staged_check_with_a_conflicted_index_is_an_error() {
    let repo = merge_setup();
    repo.write("docs/guide.md", "guide, agent version\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let output = repo.git_output(&["merge", "-q", "--no-ff", "feature"]);
    assert!(!output.status.success(), "expected a conflict");
    let work_file = repo.read("docs/guide.md");
    ag(&repo, &["check", "--staged", "--no-run"]).error(&["merge conflicts"]);
    assert_eq!(repo.read("docs/guide.md"), work_file);
}

#[test]
fn over_long_task_id_blocks_as_metadata() {
    let id = format!("Agent-Task: {}", "t".repeat(129));
    let (_repo, report) = trailer_block(&[&id, ALLOW_SRC]);
    assert_one_metadata(&report, "invalid-task", "block", "invalid task id");
}

#[test]
fn non_utf8_revision_argument_is_an_error() {
    let repo = TestRepo::with_initial_commit();
    let before = repo.state();
    let output = repo
        .agentguard()
        .arg("check")
        .arg(OsStr::from_bytes(b"HEAD\xff"))
        .output()
        .expect("run agentguard");
    assert_eq!(before, repo.state());
    Run::from_output(output).usage_error(&["UTF-8"]);
}

#[test]
fn non_utf8_message_file_is_read_lossily() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "x\n");
    repo.git(&["add", "-A"]);
    let file = repo.scratch().join("MSG");
    let mut message = b"Title \xff\xfe\n\nBody \xc3\x28.\n\n".to_vec();
    message.extend_from_slice(b"Agent-Task: T-1\nAgent-Allow: src/**\n");
    std::fs::write(&file, message).expect("write");
    let file = file.to_str().expect("utf-8");
    let run = ag(
        &repo,
        &[
            "check",
            "--staged",
            "--message-file",
            file,
            "--no-run",
            "--format",
            "json",
        ],
    );
    run.code(0);
    assert_eq!(run.json()["commits"][0]["task"], "T-1");
}

#[test]
fn dash_c_to_a_file_is_an_error() {
    let repo = TestRepo::with_initial_commit();
    let file = repo.path().join("README.md");
    let file = file.to_str().expect("utf-8");
    let run = ag(&repo, &["-C", file, "check"]);
    run.code(2);
    assert!(run.stderr.contains("README.md"), "{run}");
}

#[test]
fn shallow_clone_with_the_parent_present_works() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "x\n");
    repo.commit_all("human work");
    repo.write("src/b.rs", "y\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let shallow = repo.scratch().join("shallow");
    let url = format!("file://{}", repo.path().display());
    repo.git(&[
        "clone",
        "-q",
        "--depth",
        "2",
        &url,
        shallow.to_str().expect("utf-8"),
    ]);
    let run = ag_in(
        &repo,
        &shallow,
        &["check", "HEAD", "--no-run", "--format", "json"],
    );
    run.code(0);
    assert_eq!(run.json()["commits"][0]["task"], "T-1");
}

#[test]
fn shallow_clone_never_falls_back_to_the_default_policy() {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[scope]\ndeny = [\"secrets/\"]\n");
    repo.commit_all("human: policy");
    repo.write("secrets/prod.key", "k\n");
    repo.commit_all(&msg(&[TASK, "Agent-Allow: **"]));
    let shallow = repo.scratch().join("shallow");
    let url = format!("file://{}", repo.path().display());
    repo.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &url,
        shallow.to_str().expect("utf-8"),
    ]);
    let run = ag_in(&repo, &shallow, &["check", "HEAD", "--no-run"]);
    assert_ne!(run.code, Some(0), "passed without its policy:\n{run}");
    run.error(&["missing"]);
}

#[test]
fn empty_agent_commit_passes_with_the_empty_fingerprint() {
    let repo = TestRepo::with_initial_commit();
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 0);
    assert_eq!(report["commits"][0]["fingerprint"], EMPTY_SHA256);
}

#[test]
fn paths_with_newlines_tabs_and_glob_characters() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a\nb.rs", "x\n");
    repo.write("src/[x]*?.rs", "x\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    check_head(&repo, 0);
    repo.write("docs/tab\there.md", "x\n");
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "docs/tab\there.md")])
    );
}

#[test]
fn path_longer_than_path_max_in_the_index_only() {
    // Git stores it; no file system could check it out.
    let repo = TestRepo::with_initial_commit();
    let blob = repo.git(&["hash-object", "-w", "README.md"]);
    let long = format!("docs/{}/x.md", vec!["d".repeat(200); 25].join("/"));
    assert_eq!(long.len(), 5034);
    repo.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("100644,{blob},{long}"),
    ]);
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        &msg(&[TASK, ALLOW_SRC]),
    ]);
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", &long)])
    );
}

#[test]
fn symlink_chain_that_leaves_the_repository_blocks() {
    // `src/e -> l/..` looks inside on its own; through `src/l -> ..` it leaves the repository.
    let repo = TestRepo::with_initial_commit();
    symlink(&repo, "src/l", "..");
    symlink(&repo, "src/e", "l/..");
    repo.commit_all(&msg(&[TASK, "Agent-Allow: **"]));
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "symlink-escape", "src/e")])
    );
}

#[test]
fn many_files_out_of_scope_are_all_named() {
    let repo = TestRepo::with_initial_commit();
    for i in 0..500 {
        repo.write(&format!("docs/page-{i:04}.md"), &format!("{i}\n"));
    }
    repo.commit_all(&msg(&[TASK, ALLOW_SRC]));
    let report = check_head(&repo, 1);
    let keys = finding_keys(&report);
    assert_eq!(keys.len(), 500);
    assert!(keys
        .iter()
        .all(|(k, c, _)| k == "scope" && c == "outside-allow"));
}

#[test]
fn clean_merge_of_unrelated_history_adds_nothing() {
    // The orphan branch's own commits are judged on their own; the merge only joins them.
    let repo = merge_setup();
    repo.git(&["checkout", "-q", "--orphan", "other"]);
    repo.git(&["rm", "-rq", "--cached", "."]);
    for path in ["README.md", "src/a.rs", "docs/guide.md"] {
        repo.remove(path);
    }
    repo.write("elsewhere/file.txt", "x\n");
    repo.commit_all("human: unrelated root");
    repo.git(&["checkout", "-q", "agent/t1"]);
    repo.git(&[
        "merge",
        "-q",
        "--no-ff",
        "--allow-unrelated-histories",
        "other",
        "-m",
        &msg(&[TASK, ALLOW_SRC]),
    ]);
    let report = check_head(&repo, 0);
    assert_eq!(report["commits"][0]["fingerprint"], EMPTY_SHA256);
}

#[test]
fn merge_reads_the_policy_from_its_first_parent() {
    // The merged branch deletes the policy; the merge is still judged by the first parent's.
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[scope]\ndeny = [\"docs/\"]\n");
    repo.commit_all("human: policy");
    repo.checkout_new("feature");
    repo.remove(".agentguard.toml");
    repo.commit_all("human: drop the policy");
    repo.git(&["checkout", "-q", "main"]);
    repo.checkout_new("agent/t1");
    repo.write("src/a.rs", "x\n");
    repo.commit_all(&msg(&[TASK, "Agent-Allow: **"]));
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "feature"]);
    repo.write("docs/evil.md", "slipped in\n");
    repo.git(&["add", "-A"]);
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        &msg(&[TASK, "Agent-Allow: **"]),
    ]);
    let report = check_head(&repo, 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "denied", "docs/evil.md")])
    );
}

#[test]
fn a_report_that_cannot_be_written_is_an_error() {
    let repo = TestRepo::with_initial_commit();
    repo.write("a.txt", "a\n");
    repo.commit_all(&msg(&[TASK]));
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = repo
        .agentguard_std()
        .args(["check", "--no-run", "--format", "json"])
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("agentguard: error: cannot write to standard output"),
        "{stderr}"
    );
}
