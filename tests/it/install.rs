//! `agentguard install` / `uninstall`: where the hooks go, chaining to the hooks that were
//! there, `notes.rewriteRef`, and what the shims do when git runs them.

use crate::support::{path_without_agentguard, TestRepo};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

const HOOKS: [&str; 8] = [
    "pre-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "post-merge",
    "pre-push",
    "post-rewrite",
    "post-checkout",
];

fn hooks_dir(repo: &TestRepo) -> PathBuf {
    repo.path().join(".git/hooks")
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs the built binary with `args` and asserts the exit code; returns stdout.
fn run(repo: &TestRepo, args: &[&str], code: i32) -> String {
    let output = repo.agentguard().args(args).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "agentguard {args:?}:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

fn rewrite_refs(repo: &TestRepo) -> Vec<String> {
    let output = repo.git_output(&["config", "--get-all", "notes.rewriteRef"]);
    stdout(&output).lines().map(str::to_string).collect()
}

fn write_hook(path: &Path, body: &str, mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn install_chains_a_user_hook_and_uninstall_restores_it_byte_for_byte() {
    let repo = TestRepo::with_initial_commit();
    let dir = hooks_dir(&repo);
    let user = b"#!/bin/sh\r\n# mine \xff\necho user\n".to_vec();
    std::fs::write(dir.join("pre-commit"), &user).unwrap();
    std::fs::set_permissions(
        dir.join("pre-commit"),
        std::fs::Permissions::from_mode(0o740),
    )
    .unwrap();

    let out = run(&repo, &["install"], 0);
    assert!(
        out.contains("pre-commit: written; your hook was kept as pre-commit.agentguard-chained"),
        "{out}"
    );
    let kept = dir.join("pre-commit.agentguard-chained");
    assert_eq!(std::fs::read(&kept).unwrap(), user);
    assert_eq!(mode(&kept), 0o740);
    for hook in HOOKS {
        let text = std::fs::read_to_string(dir.join(hook)).unwrap();
        assert!(text.contains("# agentguard hook shim v2"), "{hook}");
        assert_eq!(mode(&dir.join(hook)), 0o755, "{hook}");
    }

    let out = run(&repo, &["uninstall"], 0);
    assert!(
        out.contains("pre-commit: removed; restored your hook"),
        "{out}"
    );
    assert_eq!(std::fs::read(dir.join("pre-commit")).unwrap(), user);
    assert_eq!(mode(&dir.join("pre-commit")), 0o740);
    assert!(!kept.exists());
    for hook in &HOOKS[1..] {
        assert!(!dir.join(hook).exists(), "{hook}");
    }
    let out = run(&repo, &["uninstall"], 0);
    assert!(
        out.contains("pre-commit: not agentguard's: left alone"),
        "{out}"
    );
    assert!(out.contains("nothing changed"), "{out}");
}

#[test]
fn a_second_install_changes_nothing_and_an_old_shim_is_updated() {
    let repo = TestRepo::with_initial_commit();
    run(&repo, &["install"], 0);
    let dir = hooks_dir(&repo);
    let before: Vec<Vec<u8>> = HOOKS
        .iter()
        .map(|h| std::fs::read(dir.join(h)).unwrap())
        .collect();
    let out = run(&repo, &["install"], 0);
    assert!(out.contains("nothing changed"), "{out}");
    for (hook, bytes) in HOOKS.iter().zip(&before) {
        assert_eq!(&std::fs::read(dir.join(hook)).unwrap(), bytes, "{hook}");
        assert!(out.contains(&format!("{hook}: unchanged")), "{out}");
    }
    assert_eq!(rewrite_refs(&repo), ["refs/notes/agentguard*"]);

    // An older shim is agentguard's own: replaced, not chained.
    write_hook(
        &dir.join("pre-push"),
        "#!/bin/sh\n# agentguard hook shim v0\nexec agentguard hook pre-push\n",
        0o755,
    );
    let out = run(&repo, &["install"], 0);
    assert!(out.contains("pre-push: updated"), "{out}");
    assert!(!out.contains("nothing changed"), "{out}");
    assert!(!dir.join("pre-push.agentguard-chained").exists());
    assert_eq!(std::fs::read(dir.join("pre-push")).unwrap(), before[5]);
}

#[test]
fn rewrite_refs_are_added_once_and_only_added_ones_are_removed() {
    let repo = TestRepo::with_initial_commit();
    repo.git(&["config", "--add", "notes.rewriteRef", "refs/notes/commits"]);
    repo.git(&[
        "config",
        "--add",
        "notes.rewriteRef",
        "refs/notes/agentguard",
    ]);
    // The approvals are not covered: one glob carries both.
    let out = run(&repo, &["install"], 0);
    assert!(
        out.contains("git config --add notes.rewriteRef refs/notes/agentguard*"),
        "{out}"
    );
    let out = run(&repo, &["install"], 0);
    assert!(
        out.contains("notes.rewriteRef refs/notes/agentguard*: already set"),
        "{out}"
    );
    assert_eq!(
        rewrite_refs(&repo),
        [
            "refs/notes/commits",
            "refs/notes/agentguard",
            "refs/notes/agentguard*"
        ]
    );
    let out = run(&repo, &["uninstall"], 0);
    assert!(
        out.contains("git config --unset notes.rewriteRef refs/notes/agentguard*"),
        "{out}"
    );
    assert_eq!(
        rewrite_refs(&repo),
        ["refs/notes/commits", "refs/notes/agentguard"]
    );
}

#[test]
fn the_refs_an_earlier_install_named_give_way_to_a_glob_git_does_not_warn_about() {
    let repo = TestRepo::with_initial_commit();
    // As an earlier install left them.
    for value in ["refs/notes/agentguard", "refs/notes/agentguard-approvals"] {
        repo.git(&["config", "--add", "notes.rewriteRef", value]);
        repo.git(&["config", "--add", "agentguard.installedRewriteRef", value]);
    }
    let out = run(&repo, &["install"], 0);
    assert!(
        out.contains("git config --unset notes.rewriteRef refs/notes/agentguard-approvals"),
        "{out}"
    );
    assert_eq!(rewrite_refs(&repo), ["refs/notes/agentguard*"]);
    // No local notes yet, as in a fresh clone: an amend says nothing about them.
    let output = repo.git_output(&["commit", "-q", "--amend", "--no-verify", "-m", "amended"]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("notes ref"), "{stderr}");
    // A note on the amended commit still follows it.
    repo.git(&[
        "notes",
        "--ref",
        "agentguard-approvals",
        "add",
        "-m",
        "kept",
        "HEAD",
    ]);
    repo.git(&["commit", "-q", "--amend", "--no-verify", "-m", "again"]);
    assert_eq!(
        repo.git(&["notes", "--ref", "agentguard-approvals", "show", "HEAD"]),
        "kept"
    );
}

#[test]
fn the_policy_in_head_names_the_notes_refs() {
    let repo = TestRepo::new();
    repo.write(
        ".agentguard.toml",
        "[evidence]\nnotes_ref = \"refs/notes/evidence\"\n",
    );
    repo.commit_all("policy");
    run(&repo, &["install"], 0);
    assert_eq!(rewrite_refs(&repo), ["refs/notes/evidence*"]);
    run(&repo, &["uninstall"], 0);
    assert!(rewrite_refs(&repo).is_empty());
}

#[test]
fn an_unborn_repository_gets_the_default_refs() {
    let repo = TestRepo::new();
    run(&repo, &["install"], 0);
    assert_eq!(rewrite_refs(&repo), ["refs/notes/agentguard*"]);
}

#[test]
fn core_hooks_path_relative_and_absolute_is_where_hooks_go() {
    let repo = TestRepo::with_initial_commit();
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    let out = run(&repo, &["install"], 0);
    assert!(out.contains("core.hooksPath is .githooks"), "{out}");
    for hook in HOOKS {
        assert!(repo.path().join(".githooks").join(hook).is_file(), "{hook}");
        assert!(!hooks_dir(&repo).join(hook).exists(), "{hook}");
    }
    // Run from a subdirectory: the relative path is still the work tree's.
    std::fs::create_dir_all(repo.path().join("sub")).unwrap();
    let output = repo
        .agentguard()
        .current_dir(repo.path().join("sub"))
        .arg("install")
        .output()
        .unwrap();
    assert!(stdout(&output).contains("nothing changed"), "{output:?}");
    assert!(!repo.path().join("sub/.githooks").exists());

    let absolute = repo.scratch().join("shared-hooks");
    repo.git(&["config", "core.hooksPath", absolute.to_str().unwrap()]);
    run(&repo, &["install"], 0);
    for hook in HOOKS {
        assert!(absolute.join(hook).is_file(), "{hook}");
    }
    run(&repo, &["uninstall"], 0);
    for hook in HOOKS {
        assert!(!absolute.join(hook).exists(), "{hook}");
        assert!(repo.path().join(".githooks").join(hook).is_file(), "{hook}");
    }
}

#[test]
fn a_linked_worktree_installs_into_the_common_hooks_dir() {
    let repo = TestRepo::with_initial_commit();
    let linked = repo.scratch().join("linked");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "other",
        linked.to_str().unwrap(),
    ]);
    let output = repo
        .agentguard()
        .current_dir(&linked)
        .arg("install")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for hook in HOOKS {
        assert!(hooks_dir(&repo).join(hook).is_file(), "{hook}");
    }
    assert!(!repo.path().join(".git/worktrees/linked/hooks").exists());
}

#[test]
fn a_symlinked_hook_is_refused_without_force_and_backed_up_with_it() {
    let repo = TestRepo::with_initial_commit();
    let dir = hooks_dir(&repo);
    write_hook(
        &repo.scratch().join("shared/pre-commit"),
        "#!/bin/sh\n",
        0o755,
    );
    symlink(
        repo.scratch().join("shared/pre-commit"),
        dir.join("pre-commit"),
    )
    .unwrap();

    let output = repo.agentguard().arg("install").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("is a symlink, not a regular file"), "{err}");
    assert!(err.contains("--force"), "{err}");
    // Refused before touching anything.
    assert!(!dir.join("commit-msg").exists());
    assert!(rewrite_refs(&repo).is_empty());

    let out = run(&repo, &["install", "--force"], 0);
    assert!(out.contains("pre-commit.agentguard-backup"), "{out}");
    let backup = dir.join("pre-commit.agentguard-backup");
    assert!(std::fs::symlink_metadata(&backup)
        .unwrap()
        .file_type()
        .is_symlink());
    run(&repo, &["uninstall"], 0);
    assert_eq!(
        std::fs::read_link(dir.join("pre-commit")).unwrap(),
        repo.scratch().join("shared/pre-commit")
    );
}

/// Writes an executable file from a child process: a write descriptor open in this
/// multi-threaded test process could leak into a sibling test's fork and make git's exec of
/// the file fail with "text file busy".
fn write_executable(path: &Path, content: &str) {
    use std::io::Write;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut child = std::process::Command::new("sh")
        .args(["-c", "cat >\"$1\" && chmod 755 \"$1\"", "sh"])
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(content.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

/// Points every installed shim at `program` instead of the binary that installed it.
fn point_shims_at(repo: &TestRepo, program: &Path) {
    for hook in HOOKS {
        let path = hooks_dir(repo).join(hook);
        let text = std::fs::read_to_string(&path).unwrap();
        let text: String = text
            .lines()
            .map(|line| {
                if line.starts_with("agentguard='") {
                    format!("agentguard='{}'\n", program.display())
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        write_executable(&path, &text);
    }
}

/// Installs the hooks and points them at a stub `agentguard` that logs its arguments and
/// stdin and exits with `code`; returns the log.
fn install_stubbed(repo: &TestRepo, code: i32) -> PathBuf {
    // Every hook on every branch: these tests are about the shims in the hooks directory.
    run(repo, &["install", "--every-branch"], 0);
    let stub = repo.scratch().join("bin/agentguard");
    let log = repo.scratch().join("hooks.log");
    write_executable(
        &stub,
        &format!(
            "#!/bin/sh\necho \"agentguard $*\" >>'{log}'\nsed 's/^/  stdin: /' >>'{log}'\nexit {code}\n",
            log = log.display()
        ),
    );
    point_shims_at(repo, &stub);
    log
}

/// A user hook that logs like the stub and exits with `code`.
fn user_hook(path: &Path, log: &Path, code: i32) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let name = name.trim_end_matches(".agentguard-chained");
    write_executable(
        path,
        &format!(
            "#!/bin/sh\necho \"user {name} $*\" >>'{log}'\nsed 's/^/  stdin: /' >>'{log}'\nexit {code}\n",
            log = log.display()
        ),
    );
}

fn read_log(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn the_user_hook_runs_first_and_its_failure_blocks_the_commit() {
    let repo = TestRepo::with_initial_commit();
    let log = repo.scratch().join("hooks.log");
    user_hook(&hooks_dir(&repo).join("pre-commit"), &log, 0);
    install_stubbed(&repo, 0);

    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    repo.git(&["commit", "-q", "-m", "first"]);
    let lines = read_log(&log);
    assert_eq!(
        lines,
        [
            "user pre-commit ",
            "agentguard hook pre-commit",
            "agentguard hook prepare-commit-msg .git/COMMIT_EDITMSG message",
            "agentguard hook commit-msg .git/COMMIT_EDITMSG",
            "agentguard hook post-commit",
        ],
        "{lines:#?}"
    );

    std::fs::remove_file(&log).unwrap();
    user_hook(
        &hooks_dir(&repo).join("pre-commit.agentguard-chained"),
        &log,
        3,
    );
    let head = repo.git(&["rev-parse", "HEAD"]);
    repo.write("b.txt", "b\n");
    repo.git(&["add", "b.txt"]);
    let output = repo.git_output(&["commit", "-q", "-m", "second"]);
    assert!(!output.status.success());
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(read_log(&log), ["user pre-commit "]);
}

#[test]
fn agentguard_blocking_blocks_the_commit() {
    let repo = TestRepo::with_initial_commit();
    let log = install_stubbed(&repo, 1);
    let head = repo.git(&["rev-parse", "HEAD"]);
    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    assert!(!repo
        .git_output(&["commit", "-q", "-m", "x"])
        .status
        .success());
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(read_log(&log), ["agentguard hook pre-commit"]);
}

#[test]
fn pre_push_and_post_rewrite_stdin_reaches_both_hooks() {
    let repo = TestRepo::with_initial_commit();
    let remote = repo.scratch().join("remote.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    let log = repo.scratch().join("hooks.log");
    user_hook(&hooks_dir(&repo).join("pre-push"), &log, 0);
    user_hook(&hooks_dir(&repo).join("post-rewrite"), &log, 0);
    install_stubbed(&repo, 0);

    let head = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["push", "-q", "origin", "main"]);
    let refs = format!(
        "  stdin: refs/heads/main {head} refs/heads/main {}",
        "0".repeat(40)
    );
    let url = remote.to_str().unwrap();
    assert_eq!(
        read_log(&log),
        [
            format!("user pre-push origin {url}"),
            refs.clone(),
            format!("agentguard hook pre-push origin {url}"),
            refs,
        ]
    );

    std::fs::remove_file(&log).unwrap();
    repo.git(&["commit", "-q", "--amend", "--no-verify", "-m", "amended"]);
    let new = repo.git(&["rev-parse", "HEAD"]);
    let lines = read_log(&log);
    let rewritten = format!("  stdin: {head} {new}");
    let at = lines
        .iter()
        .position(|l| l == "user post-rewrite amend")
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert_eq!(
        lines[at..],
        [
            "user post-rewrite amend".to_string(),
            rewritten.clone(),
            "agentguard hook post-rewrite amend".to_string(),
            rewritten,
        ]
    );
}

#[test]
fn a_failing_user_pre_push_blocks_the_push() {
    let repo = TestRepo::with_initial_commit();
    let remote = repo.scratch().join("remote.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    let log = repo.scratch().join("hooks.log");
    user_hook(&hooks_dir(&repo).join("pre-push"), &log, 1);
    install_stubbed(&repo, 0);
    assert!(!repo
        .git_output(&["push", "-q", "origin", "main"])
        .status
        .success());
    assert!(read_log(&log).iter().all(|l| !l.starts_with("agentguard")));
    let remote_refs = std::process::Command::new("git")
        .args(["--git-dir", remote.to_str().unwrap(), "for-each-ref"])
        .output()
        .unwrap();
    assert!(remote_refs.stdout.is_empty());
}

/// PATH without any directory holding an `agentguard`.
#[test]
fn a_missing_binary_blocks_the_commit_with_a_clear_message() {
    let repo = TestRepo::with_initial_commit();
    run(&repo, &["install", "--every-branch"], 0);
    // As if the binary that installed the hooks were gone, and none is on PATH.
    point_shims_at(&repo, &repo.scratch().join("gone/agentguard"));
    let head = repo.git(&["rev-parse", "HEAD"]);
    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    let output = repo
        .git_command()
        .env("PATH", path_without_agentguard())
        .args(["commit", "-q", "-m", "x"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(err.contains("commit blocked"), "{err}");
    assert!(err.contains("cannot find the agentguard binary"), "{err}");
    assert!(err.contains("cargo install --locked --path"), "{err}");
    // Whoever reads this may be the agent: no way around the hook is offered.
    assert!(
        !err.contains("--no-verify") && !err.contains("AGENTGUARD_SKIP"),
        "{err}"
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);

    // post-commit only warns: the commit is already made.
    std::fs::remove_file(hooks_dir(&repo).join("pre-commit")).unwrap();
    std::fs::remove_file(hooks_dir(&repo).join("commit-msg")).unwrap();
    let output = repo
        .git_command()
        .env("PATH", path_without_agentguard())
        .args(["commit", "-q", "-m", "x"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("warning: the post-commit hook cannot find"),
        "{}",
        stderr(&output)
    );
    assert_ne!(repo.git(&["rev-parse", "HEAD"]), head);
}

#[test]
fn without_the_installing_binary_the_shim_uses_path() {
    let repo = TestRepo::with_initial_commit();
    let log = install_stubbed(&repo, 0);
    point_shims_at(&repo, Path::new(""));
    let path = format!(
        "{}:{}",
        repo.scratch().join("bin").display(),
        path_without_agentguard()
    );
    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    let output = repo
        .git_command()
        .env("PATH", path)
        .args(["commit", "-q", "-m", "x"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(read_log(&log)[0], "agentguard hook pre-commit");
}
