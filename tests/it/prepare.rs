//! The prepare-commit-msg hook through real `git commit`: trailers from the agent's
//! environment or from a branch naming a defined task; existing trailers, human commits,
//! merges and amends left alone.

use crate::support::{text, TestRepo};

/// A repository that defines task T-12 (and T-1), with the hooks installed.
fn repo_with_tasks() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "hello\n");
    repo.write(
        ".agentguard/tasks/T-12.toml",
        "goal = \"pagination\"\nallow = [\"src/api/**\"]\n",
    );
    repo.write(".agentguard/tasks/T-1.toml", "goal = \"other\"\n");
    repo.commit_all("human: tasks");
    let output = repo.run(&["install"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo
}

fn commit(repo: &TestRepo, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let tmp = repo.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut cmd = repo.git_command();
    cmd.arg("commit").args(args).env("TMPDIR", &tmp);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn last_message(repo: &TestRepo) -> String {
    repo.git(&["log", "-1", "--format=%B"])
}

/// The values of one trailer in the last commit, as git parses them.
fn trailer(repo: &TestRepo, key: &str) -> Vec<String> {
    let format = format!("--format=%(trailers:key={key},valueonly,separator=%x2C)");
    let out = repo.git(&["log", "-1", &format]);
    out.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn a_branch_naming_a_defined_task_gives_the_commit_its_trailer() {
    let repo = repo_with_tasks();
    repo.checkout_new("agent/T-12-pagination");
    repo.write("src/api/users.rs", "pub fn page() {}\n");
    repo.git(&["add", "src"]);
    let output = commit(&repo, &["-m", "Add pagination"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("added `Agent-Task: T-12` from the branch agent/T-12-pagination"),
        "{stderr}"
    );
    assert_eq!(trailer(&repo, "Agent-Task"), ["T-12"]);
    assert_eq!(last_message(&repo), "Add pagination\n\nAgent-Task: T-12");
    // The trailer made it agent work on T-12, judged and recorded as such.
    let note = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    assert!(note.contains("task = \"T-12\""), "{note}");
}

#[test]
fn the_agent_environment_names_task_and_agent_on_any_branch() {
    let repo = repo_with_tasks();
    repo.checkout_new("feature");
    repo.write("src/api/users.rs", "pub fn page() {}\n");
    repo.git(&["add", "src"]);
    let env = [("AGENTGUARD_TASK", "T-12"), ("AGENTGUARD_AGENT", "codex")];
    let output = commit(&repo, &["-m", "Add pagination"], &env);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(trailer(&repo, "Agent-Task"), ["T-12"]);
    assert_eq!(trailer(&repo, "Agent-Name"), ["codex"]);

    // A bad value blocks the commit, naming the variable; nothing is committed.
    repo.write("src/api/more.rs", "pub fn more() {}\n");
    repo.git(&["add", "src"]);
    let before = repo.git(&["rev-parse", "HEAD"]);
    let output = commit(
        &repo,
        &["-m", "More"],
        &[("AGENTGUARD_TASK", "T 12; rm -rf /")],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("AGENTGUARD_TASK"),
        "{}",
        text(&output)
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), before);
}

#[test]
fn trailers_already_there_are_never_changed() {
    let repo = repo_with_tasks();
    repo.checkout_new("agent/T-12-pagination");
    repo.write("src/api/tidy.rs", "x\n");
    repo.git(&["add", "src"]);
    let message = "Tidy\n\nAgent-Task: T-1\nAgent-Name: claude-code\n";
    let env = [("AGENTGUARD_TASK", "T-12"), ("AGENTGUARD_AGENT", "codex")];
    let output = commit(&repo, &["-m", message], &env);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(trailer(&repo, "Agent-Task"), ["T-1"]);
    assert_eq!(trailer(&repo, "Agent-Name"), ["claude-code"]);
    assert!(!String::from_utf8_lossy(&output.stderr).contains("added `"));
}

#[test]
fn human_commits_are_never_touched() {
    let repo = repo_with_tasks();
    // A person's branch that happens to name a task is not an agent branch.
    repo.checkout_new("T-12-hotfix");
    repo.write("notes.txt", "x\n");
    repo.git(&["add", "notes.txt"]);
    let output = commit(&repo, &["-m", "Hotfix"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(last_message(&repo), "Hotfix");

    // A person signing their commit on an agent branch (git's SSH commit signing) is not an
    // agent either.
    repo.checkout_new("agent/T-12-review");
    let key = repo.ssh_key("reviewer");
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    repo.git(&["config", "commit.gpgSign", "true"]);
    repo.write("notes.txt", "y\n");
    repo.git(&["add", "notes.txt"]);
    let output = commit(&repo, &["--no-verify", "-m", "Review fixup"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(trailer(&repo, "Agent-Task"), Vec::<String>::new());
}

#[test]
fn merges_and_amends_keep_the_message_git_wrote_and_a_squash_gets_its_trailer() {
    let repo = repo_with_tasks();
    repo.checkout_new("agent/T-12-pagination");
    repo.write("src/api/users.rs", "pub fn page() {}\n");
    repo.git(&["add", "src"]);
    let output = commit(&repo, &["-m", "Add pagination"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));

    // Amend without a new message: source `commit`, left as it was (one trailer, not two).
    repo.write("src/api/users.rs", "pub fn page() { }\n");
    repo.git(&["add", "src"]);
    let output = commit(&repo, &["--amend", "--no-edit"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(last_message(&repo), "Add pagination\n\nAgent-Task: T-12");

    // A merge of main into the agent branch: source `merge`, no trailer added.
    repo.git(&["checkout", "-q", "main"]);
    repo.write("main.txt", "main\n");
    repo.commit_all("human: main moves");
    repo.git(&["checkout", "-q", "agent/T-12-pagination"]);
    let output = repo
        .git_command()
        .args(["merge", "--no-ff", "--no-edit", "main"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(trailer(&repo, "Agent-Task"), Vec::<String>::new());
    assert!(last_message(&repo).starts_with("Merge branch 'main'"));

    // A squash is new work: git's summary quotes the squashed messages indented, where their
    // trailers do not count, so it gets a trailer of its own below the summary.
    repo.git(&["checkout", "-q", "-b", "agent/T-12-squashed", "main"]);
    repo.git(&["merge", "--squash", "-q", "agent/T-12-pagination"]);
    let output = commit(&repo, &["--no-edit"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(last_message(&repo).starts_with("Squashed commit of the following"));
    assert_eq!(trailer(&repo, "Agent-Task"), ["T-12"]);
}

#[test]
fn in_the_editor_the_subject_typed_on_the_first_line_keeps_the_trailers_apart() {
    let repo = repo_with_tasks();
    repo.checkout_new("agent/T-12-pagination");
    repo.write("src/api/users.rs", "pub fn page() {}\n");
    repo.git(&["add", "src"]);
    let editor = repo.scratch().join("editor.sh");
    // Types a subject on the first line, as a person (or an agent driving an editor) does.
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'Add pagination' | cat - \"$1\" > \"$1.new\" && mv \"$1.new\" \"$1\"\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x", editor.to_str().unwrap()])
        .status()
        .unwrap();
    let editor = editor.to_str().unwrap();
    let output = commit(&repo, &[], &[("GIT_EDITOR", editor)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(trailer(&repo, "Agent-Task"), ["T-12"]);
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]), "Add pagination");
}

#[test]
fn agentguard_skip_adds_nothing() {
    let repo = repo_with_tasks();
    repo.checkout_new("agent/T-12-pagination");
    repo.write("notes.txt", "x\n");
    repo.git(&["add", "notes.txt"]);
    let output = commit(
        &repo,
        &["-m", "Skipped"],
        &[("AGENTGUARD_SKIP", "demo"), ("AGENTGUARD_TASK", "T-12")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(last_message(&repo), "Skipped");
}

#[test]
fn pre_commit_judges_under_the_task_the_branch_will_name() {
    let repo = repo_with_tasks();
    repo.checkout_new("agent/T-12-pagination");
    repo.write("src/api/users.rs", "pub fn page() {}\n");
    repo.write("docs/stray.md", "x\n");
    repo.git(&["add", "src", "docs"]);
    let output = commit(&repo, &["-m", "Add pagination"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Blocked before the message exists, with T-12's allow list already applied.
    assert!(stderr.contains("task: T-12"), "{stderr}");
    assert!(
        stderr.contains("[outside-allow] docs/stray.md is outside the allowed paths"),
        "{stderr}"
    );
    assert!(!stderr.contains("[missing-task]"), "{stderr}");
}

#[test]
fn check_staged_judges_with_the_task_the_hooks_would_add() {
    let repo = repo_with_tasks();
    repo.checkout_new("agent/T-12-pagination");
    repo.write("src/api/users.rs", "pub fn page() {}\n");
    repo.git(&["add", "src"]);
    let output = repo.run(&["check", "--staged", "--no-run"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("task: T-12"), "{stdout}");
    // The task's scope applies, as it will at commit.
    repo.write("src/other.rs", "x\n");
    repo.git(&["add", "src"]);
    let output = repo.run(&["check", "--staged", "--no-run"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("outside-allow"));
    // AGENTGUARD_TASK names it on a branch that does not.
    repo.git(&["rm", "-q", "--cached", "src/other.rs"]);
    repo.checkout_new("agent/work");
    let output = repo
        .agentguard()
        .args(["check", "--staged", "--no-run"])
        .env("AGENTGUARD_TASK", "T-12")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("task: T-12"));
    let output = repo.run(&["check", "--staged", "--no-run"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("missing-task"));
}
