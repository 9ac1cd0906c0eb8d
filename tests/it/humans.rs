//! `[risk.credentials] humans`: a leaked key is a leak whoever commits it. Human commits get
//! the credentials check of their added lines through the installed hooks and `check`, and
//! nothing else about them is judged. Here every branch runs every hook (`install
//! --every-branch`); `branches.rs` tests a person's branch under the default install.

use crate::support::{text, TestRepo};
use serde_json::Value;

/// A token of GitHub's published shape, assembled here so no literal sits in the repository.
fn token() -> String {
    format!("gh{}_{}", "p", "HumanCommitFixture7Qz2Lp9Xw4Rt8Kd3Vx")
}

fn hooked(policy: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".agentguard.toml", policy);
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    let output = repo.run(&["install", "--every-branch"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo
}

fn commit(repo: &TestRepo, message: &str) -> std::process::Output {
    repo.git(&["add", "-A"]);
    repo.git_command()
        .args(["commit", "-q", "-m", message])
        .output()
        .unwrap()
}

#[test]
fn a_human_commit_that_adds_a_credential_is_blocked_and_the_secret_is_not_shown() {
    let repo = hooked("");
    let before = repo.git(&["rev-parse", "HEAD"]);
    repo.write(
        "deploy/env.sh",
        &format!("export GITHUB_TOKEN={}\n", token()),
    );
    let output = commit(&repo, "add deploy script");
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    let shown = text(&output);
    assert!(shown.contains("credentials"), "{shown}");
    assert!(shown.contains("deploy/env.sh"), "{shown}");
    assert!(!shown.contains(&token()[4..]), "{shown}");
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), before, "HEAD moved");
    // The ledger says a human change was blocked.
    let log: Value =
        serde_json::from_slice(&repo.run(&["log", "--format", "json"]).stdout).unwrap();
    let last = &log.as_array().unwrap()[0];
    assert_eq!(last["verdict"], "block", "{last:#}");
}

#[test]
fn everything_else_about_a_human_commit_stays_untouched() {
    let repo = hooked("[scope]\ndeny = [\"secrets/\"]\n");
    // Out of an agent's scope, a migration, a CI file, a dropped table: none of it is judged.
    repo.write("secrets/notes.txt", "rotation plan\n");
    repo.write("db/migrations/001.sql", "DROP TABLE users;\n");
    repo.write(".github/workflows/ci.yml", "on: push\n");
    let output = commit(&repo, "human housekeeping");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let check = repo.run(&["check", "HEAD", "--format", "json", "--no-run"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(report["commits"][0]["findings"], Value::Array(Vec::new()));
}

#[test]
fn check_judges_a_human_commit_by_its_credentials_alone() {
    let repo = TestRepo::with_initial_commit();
    repo.write("app/settings.py", &format!("TOKEN = \"{}\"\n", token()));
    repo.commit_all("human change");
    let output = repo.run(&["check", "HEAD", "--format", "json", "--no-run"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = report["commits"][0]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["category"], "credentials");
    assert!(!String::from_utf8_lossy(&output.stdout).contains(&token()[4..]));
    let human = repo.run(&["check", "HEAD", "--no-run", "--color", "never"]);
    let shown = String::from_utf8_lossy(&human.stdout);
    assert!(
        shown.contains("human commit: not agent work; credentials in its added lines"),
        "{shown}"
    );
}

#[test]
fn humans_false_leaves_human_commits_untouched() {
    let repo = hooked("[risk.credentials]\nhumans = false\n");
    repo.write(
        "deploy/env.sh",
        &format!("export GITHUB_TOKEN={}\n", token()),
    );
    let output = commit(&repo, "add deploy script");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn an_allowlisted_credential_passes_a_human_commit() {
    let repo = TestRepo::with_initial_commit();
    repo.write("app/settings.py", &format!("TOKEN = \"{}\"\n", token()));
    repo.commit_all("human change");
    let first = repo.run(&["check", "HEAD", "--format", "json", "--no-run"]);
    let report: Value = serde_json::from_slice(&first.stdout).unwrap();
    let print = report["commits"][0]["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    // The allowlist lives in the base's policy: a new base with it, the same change on top.
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.write(
        ".agentguard.toml",
        &format!("[allowlist]\nfindings = [\"{print}\"]\n"),
    );
    repo.commit_all("allowlist the reviewed token");
    repo.write("app/settings.py", &format!("TOKEN = \"{}\"\n", token()));
    repo.commit_all("human change");
    let output = repo.run(&["check", "HEAD", "--format", "json", "--no-run"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn humans_is_rejected_outside_credentials() {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[risk.auth]\nhumans = true\n");
    repo.commit_all("policy");
    repo.write("a.txt", "a\n");
    repo.commit_all("change");
    let output = repo.run(&["check", "HEAD", "--no-run"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("`humans` applies to `[risk.credentials]` only"),
        "{}",
        text(&output)
    );
}

#[test]
fn every_way_of_committing_gets_the_credentials_check() {
    // `git commit` (the staged tree read from the index's cache tree), `git commit -a` (the
    // temporary index git names in GIT_INDEX_FILE), and `git commit <path>` (a partial commit,
    // whose index has no tree yet: git lists the entries).
    let repo = hooked("");
    repo.write("app/config.py", "DEBUG = True\n");
    repo.write("app/other.py", "x = 1\n");
    let output = commit(&repo, "app");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let before = repo.git(&["rev-parse", "HEAD"]);
    let leak = format!("DEBUG = True\nGITHUB_TOKEN = \"{}\"\n", token());
    let attempts: [&[&str]; 3] = [&[], &["-a"], &["app/config.py"]];
    for args in attempts {
        repo.write("app/config.py", &leak);
        repo.write("app/other.py", "x = 2\n");
        if args.is_empty() {
            repo.git(&["add", "-A"]);
        }
        let output = repo
            .git_command()
            .args(["commit", "-q", "-m", "settings"])
            .args(args)
            .output()
            .unwrap();
        assert_ne!(output.status.code(), Some(0), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains("app/config.py"),
            "{args:?}: {}",
            text(&output)
        );
        assert_eq!(repo.git(&["rev-parse", "HEAD"]), before, "{args:?}");
        repo.git(&["reset", "-q"]);
    }
    // Without the credential each goes through.
    repo.write("app/config.py", "DEBUG = False\n");
    let output = repo
        .git_command()
        .args(["commit", "-q", "-m", "settings", "app/config.py"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

/// The hook commands the ledger recorded, oldest first.
fn hook_runs(repo: &TestRepo) -> Vec<String> {
    let log: Value =
        serde_json::from_slice(&repo.run(&["log", "--format", "json"]).stdout).unwrap();
    let mut commands: Vec<String> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["command"].as_str())
        .filter(|c| c.starts_with("hook "))
        .map(str::to_string)
        .collect();
    commands.reverse();
    commands
}

#[test]
fn a_human_commit_starts_agentguard_once_and_the_other_hooks_see_its_mark() {
    let repo = hooked("");
    repo.write("notes.txt", "hello\n");
    let output = commit(&repo, "human change");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    // pre-commit judged it; prepare-commit-msg, commit-msg and post-commit did not start
    // agentguard for a commit it found to be no agent's work.
    assert_eq!(hook_runs(&repo), vec!["hook pre-commit"]);
    // post-commit matched the mark and emptied it: it speaks for no later commit.
    let mark = repo.path().join(".git/agentguard-human");
    assert_eq!(std::fs::read_to_string(&mark).unwrap(), "");
}

#[test]
fn an_agent_task_trailer_in_a_human_commit_message_is_still_judged() {
    let repo = hooked("");
    repo.write("notes.txt", "hello\n");
    // Only the message makes this agent work, and its own trailer puts the change out of scope.
    let message = "tidy notes\n\nAgent-Task: T-9\nAgent-Deny: notes.txt\n";
    let output = commit(&repo, message);
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("notes.txt"), "{}", text(&output));
    assert_eq!(hook_runs(&repo), vec!["hook pre-commit", "hook commit-msg"]);
    // A lower-case key anywhere in the message is enough to start it.
    let output = commit(
        &repo,
        "tidy notes\n\nagent-task: T-9\nagent-deny: notes.txt\n",
    );
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(hook_runs(&repo).last().unwrap(), "hook commit-msg");
}

#[test]
fn a_mark_another_git_process_left_is_ignored() {
    let repo = hooked("");
    // Left by an earlier commit: its process is gone (pid 1 is never `git commit`).
    std::fs::write(repo.path().join(".git/agentguard-human"), "1\n").unwrap();
    repo.write("notes.txt", "hello\n");
    repo.git(&["add", "-A"]);
    // --no-verify skips pre-commit, which would have replaced it: the hooks that still run
    // start agentguard.
    let output = repo
        .git_command()
        .args(["commit", "-q", "--no-verify", "-m", "skipped"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(
        hook_runs(&repo),
        vec!["hook prepare-commit-msg", "hook post-commit"]
    );
}

#[test]
fn an_agent_name_in_the_environment_still_gets_its_trailer_on_a_human_commit() {
    let repo = hooked("");
    repo.write("notes.txt", "hello\n");
    repo.git(&["add", "-A"]);
    let output = repo
        .git_command()
        .env("AGENTGUARD_AGENT", "helper-bot")
        .args(["commit", "-q", "-m", "notes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let message = repo.git(&["log", "-1", "--format=%B"]);
    assert!(message.contains("Agent-Name: helper-bot"), "{message}");
    assert!(!repo.path().join(".git/agentguard-human").exists());
}

#[test]
fn a_human_commit_reads_the_staged_tree_git_wrote_without_asking_git_again() {
    let repo = hooked("");
    repo.write("notes.txt", "hello\n");
    repo.git(&["add", "-A"]);
    // git names the index to hooks relative to the work tree (`GIT_INDEX_FILE=.git/index`).
    let trace = repo.path().join(".git/trace2.log");
    let output = repo
        .git_command()
        .env("GIT_TRACE2", &trace)
        .args(["commit", "-q", "-m", "notes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let trace = std::fs::read_to_string(trace).unwrap();
    assert!(trace.contains("pre-commit"), "{trace}");
    assert!(!trace.contains("diff-index"), "{trace}");
}

#[test]
fn a_bypass_clears_the_mark_and_every_hook_it_skips_is_recorded() {
    let repo = hooked("");
    repo.write("notes.txt", "hello\n");
    assert_eq!(commit(&repo, "human change").status.code(), Some(0));
    repo.write("notes.txt", "hello again\n");
    repo.git(&["add", "-A"]);
    let output = repo
        .git_command()
        .env("AGENTGUARD_SKIP", "hotfix")
        .args(["commit", "-q", "-m", "skipped"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let runs = hook_runs(&repo);
    assert_eq!(
        runs[runs.len() - 3..],
        ["hook pre-commit", "hook commit-msg", "hook post-commit"],
        "{runs:?}"
    );
    assert!(!repo.path().join(".git/agentguard-human").exists());
}

#[test]
fn a_git_process_that_got_the_marked_pid_again_is_not_the_marked_one() {
    crate::require_user_namespaces!();
    let repo = hooked("");
    // In a new PID namespace git is process 1 every time.
    let in_namespace = |args: &[&str]| {
        repo.command("unshare")
            .args([
                "--user",
                "--map-root-user",
                "--pid",
                "--fork",
                "--mount-proc",
                "git",
            ])
            .args(args)
            .output()
            .unwrap()
    };
    repo.write("notes.txt", "hello\n");
    repo.git(&["add", "-A"]);
    // An empty message aborts the commit after pre-commit marked it: the mark stays.
    let output = in_namespace(&["commit", "-q", "-m", ""]);
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    let mark = std::fs::read_to_string(repo.path().join(".git/agentguard-human")).unwrap();
    assert_eq!(mark.split_whitespace().next(), Some("1"), "{mark:?}");
    // The next git is process 1 too; without pre-commit (--no-verify) the shims start
    // agentguard all the same.
    let output = in_namespace(&["commit", "-q", "--no-verify", "-m", "second"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let runs = hook_runs(&repo);
    assert_eq!(
        runs[runs.len() - 2..],
        ["hook prepare-commit-msg", "hook post-commit"],
        "{runs:?}"
    );
}

#[test]
fn git_under_a_name_with_a_newline_still_commits_through_every_hook() {
    let repo = hooked("");
    let git = which::which("git").unwrap();
    // The kernel names a process after its file: this one's `stat` line breaks in two.
    let named = repo.scratch().join("g\nit");
    std::os::unix::fs::symlink(&git, &named).unwrap();
    repo.write("notes.txt", "hello\n");
    repo.git(&["add", "-A"]);
    let output = repo
        .command(&named)
        .args(["commit", "-q", "-m", "human change"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(!text(&output).contains("shift"), "{}", text(&output));
    // No mark matched: every hook started agentguard.
    assert_eq!(
        hook_runs(&repo),
        vec![
            "hook pre-commit",
            "hook prepare-commit-msg",
            "hook commit-msg",
            "hook post-commit"
        ]
    );
}

#[test]
fn a_mark_that_cannot_be_removed_blocks_a_commit_but_not_a_bypass() {
    let repo = hooked("");
    std::fs::create_dir(repo.path().join(".git/agentguard-human")).unwrap();
    repo.write("notes.txt", "hello\n");
    let output = commit(&repo, "human change");
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("cannot remove"), "{}", text(&output));
    repo.git(&["add", "-A"]);
    let output = repo
        .git_command()
        .env("AGENTGUARD_SKIP", "mark is stuck")
        .args(["commit", "-q", "-m", "human change"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}
