//! The real thing: `agentguard install`, then `git commit` and `git push` through the installed
//! hooks, with the built binary judging.

use crate::support::{msg, text, TestRepo, TASK};
use serde_json::Value;

/// Base policy: secrets/ denied, one acceptance command; hooks installed; on an agent branch.
fn hooked_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        ".agentguard.toml",
        "[scope]\ndeny = [\"secrets/\"]\n[acceptance]\ncommands = [\"test -f README.md\"]\n",
    );
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    let output = repo.run(&["install"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo.checkout_new("agent/work");
    repo
}

/// `git commit` through the hooks, with the test's TMPDIR; returns the output.
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

fn head(repo: &TestRepo) -> String {
    repo.git(&["rev-parse", "HEAD"])
}

fn evidence_of(repo: &TestRepo, rev: &str) -> Option<toml::Value> {
    let output = repo.git_output(&["notes", "--ref", "agentguard", "show", rev]);
    output
        .status
        .success()
        .then(|| toml::from_str(&String::from_utf8_lossy(&output.stdout)).expect("TOML note"))
}

fn ledger(repo: &TestRepo) -> Vec<Value> {
    let output = repo.run(&["log", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    serde_json::from_slice::<Value>(&output.stdout)
        .unwrap()
        .as_array()
        .cloned()
        .unwrap()
}

#[test]
fn a_human_commit_passes_untouched() {
    let repo = hooked_repo();
    repo.git(&["checkout", "-q", "main"]);
    repo.write("notes.txt", "human\n");
    repo.git(&["add", "-A"]);
    let output = commit(&repo, &["-q", "-m", "human change"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(output.stderr.is_empty(), "{}", text(&output));
    assert!(evidence_of(&repo, "HEAD").is_none());
}

#[test]
fn an_out_of_scope_agent_commit_is_blocked_and_head_stays() {
    let repo = hooked_repo();
    let before = head(&repo);
    repo.write("secrets/token.txt", "x\n");
    repo.git(&["add", "-A"]);
    let state = repo.state();
    let output = commit(&repo, &["-q", "-m", &msg(&[TASK])], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("secrets/token.txt") && stderr.contains("denied"),
        "{stderr}"
    );
    assert_eq!(head(&repo), before);
    assert_eq!(
        repo.state(),
        state,
        "the index and work tree are as they were"
    );
    let entries = ledger(&repo);
    assert_eq!(entries[0]["command"], "hook pre-commit");
    assert_eq!(entries[0]["verdict"], "block");
}

#[test]
fn a_failing_acceptance_blocks_at_commit_msg_and_keeps_the_message() {
    let repo = hooked_repo();
    let before = head(&repo);
    repo.write("src/app.py", "x = 1\n");
    repo.git(&["add", "-A"]);
    let message = msg(&[TASK, "Agent-Acceptance: echo tests failed; exit 3"]);
    let output = commit(&repo, &["-q", "-m", &message], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tests failed"), "{stderr}");
    assert!(stderr.contains("COMMIT_EDITMSG"), "{stderr}");
    assert!(stderr.contains("git commit -F "), "{stderr}");
    assert_eq!(head(&repo), before);
    let kept = std::fs::read_to_string(repo.path().join(".git/COMMIT_EDITMSG")).unwrap();
    assert!(
        kept.contains("Agent-Acceptance: echo tests failed"),
        "{kept}"
    );
    assert!(!repo
        .path()
        .join(".git/agentguard/pending")
        .read_dir()
        .is_ok_and(|mut d| d.next().is_some()));
}

#[test]
fn a_good_agent_commit_gets_its_evidence_attached() {
    let repo = hooked_repo();
    repo.write("src/app.py", "x = 1\n");
    repo.git(&["add", "-A"]);
    let output = commit(
        &repo,
        &["-q", "-m", &msg(&[TASK, "Agent-Name: codex"])],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("evidence attached"), "{stderr}");
    let evidence = evidence_of(&repo, "HEAD").expect("a note on the new commit");
    assert_eq!(evidence["commit"].as_str().unwrap(), head(&repo));
    assert_eq!(evidence["verdict"].as_str(), Some("pass"));
    assert_eq!(evidence["acceptance"][0]["exit_code"].as_integer(), Some(0));
    // And the CI gate agrees.
    let output = repo.run(&["verify", "--base", "main"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    // Every hook run is in the ledger, newest first.
    let commands: Vec<String> = ledger(&repo)
        .iter()
        .map(|e| e["command"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        &commands[..5],
        [
            "verify",
            "hook post-commit",
            "hook commit-msg",
            "hook prepare-commit-msg",
            "hook pre-commit"
        ]
    );
}

#[test]
fn commit_all_uses_gits_temporary_index() {
    let repo = hooked_repo();
    repo.write("src/app.py", "x = 1\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &msg(&[TASK])]);
    repo.write("src/app.py", "x = 2\n");
    let output = commit(&repo, &["-q", "-a", "-m", &msg(&[TASK])], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let evidence = evidence_of(&repo, "HEAD").expect("evidence");
    assert_eq!(
        evidence["tree"].as_str().unwrap(),
        repo.git(&["rev-parse", "HEAD^{tree}"])
    );
}

#[test]
fn amend_keeps_evidence_that_matches_the_new_commit() {
    let repo = hooked_repo();
    repo.write("src/app.py", "x = 1\n");
    repo.git(&["add", "-A"]);
    assert!(commit(&repo, &["-q", "-m", &msg(&[TASK])], &[])
        .status
        .success());

    // A message-only amend: git carries the note over (notes.rewriteRef set by install).
    let output = commit(
        &repo,
        &["-q", "--amend", "-m", &msg(&[TASK, "Agent-Name: codex"])],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let evidence = evidence_of(&repo, "HEAD").expect("note carried over");
    assert_eq!(
        evidence["tree"].as_str().unwrap(),
        repo.git(&["rev-parse", "HEAD^{tree}"])
    );

    // A content amend: the new commit gets evidence of its own tree.
    repo.write("src/app.py", "x = 2\n");
    repo.git(&["add", "-A"]);
    let output = commit(&repo, &["-q", "--amend", "--no-edit"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let evidence = evidence_of(&repo, "HEAD").expect("fresh note");
    assert_eq!(
        evidence["tree"].as_str().unwrap(),
        repo.git(&["rev-parse", "HEAD^{tree}"])
    );
    assert_eq!(evidence["commit"].as_str().unwrap(), head(&repo));
    let output = repo.run(&["verify", "--base", "main"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(ledger(&repo)
        .iter()
        .any(|e| e["command"] == "hook post-rewrite"));
}

#[test]
fn the_skip_variable_bypasses_and_is_recorded() {
    let repo = hooked_repo();
    repo.write("secrets/token.txt", "x\n");
    repo.git(&["add", "-A"]);
    let output = commit(
        &repo,
        &["-q", "-m", &msg(&[TASK])],
        &[("AGENTGUARD_SKIP", "hotfix for the outage")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bypass"));
    let bypasses: Vec<Value> = ledger(&repo)
        .into_iter()
        .filter(|e| e["verdict"] == "bypass")
        .collect();
    assert!(!bypasses.is_empty());
    assert_eq!(bypasses[0]["bypass"]["reason"], "hotfix for the outage");
}

fn bare_remote(repo: &TestRepo) -> std::path::PathBuf {
    let remote = repo.scratch().join("remote.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    remote
}

fn push(repo: &TestRepo, args: &[&str]) -> std::process::Output {
    let mut cmd = repo.git_command();
    cmd.arg("push").args(args);
    cmd.output().unwrap()
}

fn remote_has(repo: &TestRepo, remote: &std::path::Path, branch: &str) -> Option<String> {
    let output = repo.git_output(&[
        "--git-dir",
        remote.to_str().unwrap(),
        "rev-parse",
        "--verify",
        "-q",
        branch,
    ]);
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

#[test]
fn pre_push_requires_evidence_on_new_and_existing_branches() {
    let repo = hooked_repo();
    let remote = bare_remote(&repo);
    let output = push(&repo, &["-q", "origin", "main"]);
    assert!(output.status.success(), "{}", text(&output));

    // An agent commit made past the hooks has no evidence: the new branch is refused.
    repo.write("src/app.py", "x = 1\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &msg(&[TASK])]);
    let output = push(&repo, &["-q", "origin", "agent/work"]);
    assert!(!output.status.success(), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no evidence note"));
    assert_eq!(remote_has(&repo, &remote, "agent/work"), None);

    // Recorded: accepted.
    assert_eq!(repo.run(&["check", "--record"]).status.code(), Some(0));
    let output = push(&repo, &["-q", "origin", "agent/work"]);
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(remote_has(&repo, &remote, "agent/work"), Some(head(&repo)));

    // An existing branch: a commit through the hooks goes, one past them does not.
    repo.write("src/b.py", "y = 1\n");
    repo.git(&["add", "-A"]);
    assert!(commit(&repo, &["-q", "-m", &msg(&[TASK])], &[])
        .status
        .success());
    let output = push(&repo, &["-q", "origin", "agent/work"]);
    assert!(output.status.success(), "{}", text(&output));
    repo.write("src/c.py", "z = 1\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &msg(&[TASK])]);
    let pushed = remote_has(&repo, &remote, "agent/work");
    let output = push(&repo, &["-q", "origin", "agent/work"]);
    assert!(!output.status.success(), "{}", text(&output));
    assert_eq!(remote_has(&repo, &remote, "agent/work"), pushed);

    // Deleting a branch adds nothing and is not judged.
    let output = push(&repo, &["-q", "origin", ":agent/work"]);
    assert!(output.status.success(), "{}", text(&output));
}

#[test]
fn a_staged_approval_is_attached_by_post_commit() {
    let repo = TestRepo::new();
    let signer = repo.signer_line("lead@example.com", "lead");
    repo.write("allowed_signers", &format!("{signer}\n"));
    repo.write(
        ".agentguard.toml",
        "[approvals]\nallowed_signers = \"allowed_signers\"\napprovers = { \"*\" = [\"lead@example.com\"] }\n",
    );
    repo.commit_all("base");
    // Every hook on main too: on a person's branch pre-push attaches it (approve.rs).
    assert_eq!(
        repo.run(&["install", "--every-branch"]).status.code(),
        Some(0)
    );
    repo.write("migrations/001.sql", "CREATE TABLE t (id int);\n");
    repo.git(&["add", "-A"]);
    let output = commit(&repo, &["-q", "-m", &msg(&[TASK])], &[]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "blocked until approved: {}",
        text(&output)
    );

    repo.git(&["config", "user.email", "lead@example.com"]);
    let key = repo.ssh_key("lead");
    let output = repo.run(&[
        "approve",
        "--staged",
        "--category",
        "migrations",
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = commit(&repo, &["-q", "-m", &msg(&[TASK])], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("pending approval attached"));
    let note = repo.git(&["notes", "--ref", "agentguard-approvals", "show", "HEAD"]);
    assert!(note.contains("categories migrations"), "{note}");
    let evidence = evidence_of(&repo, "HEAD").expect("evidence");
    assert_eq!(evidence["verdict"].as_str(), Some("pass"));
}

#[test]
fn a_commit_in_a_linked_worktree_gets_evidence() {
    let repo = hooked_repo();
    let linked = repo.scratch().join("linked");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "agent/other",
        linked.to_str().unwrap(),
        "main",
    ]);
    std::fs::write(linked.join("extra.py"), "x = 1\n").unwrap();
    let tmp = repo.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut add = repo.git_command();
    add.current_dir(&linked).args(["add", "-A"]);
    assert!(add.status().unwrap().success());
    let mut cmd = repo.git_command();
    cmd.current_dir(&linked)
        .env("TMPDIR", &tmp)
        .args(["commit", "-q", "-m", &msg(&[TASK])]);
    let output = cmd.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(evidence_of(&repo, "agent/other").is_some());
}

#[test]
fn commits_in_two_linked_worktrees_at_once_get_their_own_verdicts() {
    let repo = hooked_repo();
    let tmp = repo.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut trees = Vec::new();
    for (i, name) in ["agent/one", "agent/two", "agent/three", "agent/four"]
        .iter()
        .enumerate()
    {
        let dir = repo.scratch().join(format!("wt{i}"));
        repo.git(&[
            "worktree",
            "add",
            "-q",
            "-b",
            name,
            dir.to_str().unwrap(),
            "main",
        ]);
        // Odd ones stray into the denied directory.
        let path = if i % 2 == 0 {
            format!("src/f{i}.py")
        } else {
            format!("secrets/f{i}")
        };
        let full = dir.join(&path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, format!("{i}\n")).unwrap();
        let mut add = repo.git_command();
        add.current_dir(&dir).args(["add", "-A"]);
        assert!(add.status().unwrap().success());
        trees.push((dir, i % 2 == 0));
    }
    let children: Vec<_> = trees
        .iter()
        .map(|(dir, _)| {
            let mut cmd = repo.git_command();
            cmd.current_dir(dir)
                .env("TMPDIR", &tmp)
                .args(["commit", "-q", "-m", &msg(&[TASK])])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for ((dir, good), child) in trees.iter().zip(children) {
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.success(),
            *good,
            "{}: {}",
            dir.display(),
            text(&output)
        );
        let mut head = repo.git_command();
        head.current_dir(dir).args(["rev-parse", "HEAD"]);
        let head = String::from_utf8(head.output().unwrap().stdout).unwrap();
        let head = head.trim();
        if *good {
            let evidence = evidence_of(&repo, head)
                .unwrap_or_else(|| panic!("no evidence for {head}: {}", text(&output)));
            assert_eq!(evidence["commit"].as_str(), Some(head));
        } else {
            assert_eq!(
                head,
                repo.git(&["rev-parse", "main"]),
                "the blocked commit was not made"
            );
        }
    }
}

/// A hooked repository whose agent branch and main have each committed one file since they
/// parted, through the hooks; left on the agent branch.
fn diverged(agent: (&str, &str), human: (&str, &str)) -> TestRepo {
    let repo = hooked_repo();
    for ((path, content), branch, message) in [
        (agent, "main", msg(&[TASK])),
        (human, "agent/work", "human change".to_string()),
    ] {
        repo.write(path, content);
        repo.git(&["add", "-A"]);
        let output = commit(&repo, &["-q", "-m", &message], &[]);
        assert!(output.status.success(), "{}", text(&output));
        repo.git(&["checkout", "-q", branch]);
    }
    repo
}

#[test]
fn merging_main_into_an_agent_branch_through_the_hooks_adds_nothing_of_the_agents() {
    // Meanwhile a human changes what the agent may not touch, on main.
    let repo = diverged(("src/app.py", "x = 1\n"), ("secrets/rotated.txt", "new\n"));
    let tmp = repo.scratch().join("tmp");
    let mut merge = repo.git_command();
    merge
        .args([
            "merge",
            "-q",
            "--no-ff",
            "main",
            "-m",
            "Merge branch 'main' into agent/work",
        ])
        .env("TMPDIR", &tmp);
    let output = merge.output().unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(
        repo.git(&["rev-list", "--parents", "-n1", "HEAD"])
            .split(' ')
            .count(),
        3,
        "a merge commit was made"
    );
    let evidence = evidence_of(&repo, "HEAD").expect("the merge has evidence");
    assert_eq!(evidence["verdict"].as_str(), Some("pass"));
    let output = repo.run(&["verify", "--base", "main"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn a_conflict_resolution_is_judged_as_the_merges_change() {
    let repo = diverged(("README.md", "agent\n"), ("README.md", "human\n"));
    assert!(
        !repo.git_output(&["merge", "-q", "main"]).status.success(),
        "a conflict"
    );
    // The resolution sneaks in a denied file.
    repo.write("README.md", "resolved\n");
    repo.write("secrets/extra.txt", "x\n");
    repo.git(&["add", "-A"]);
    let output = commit(&repo, &["-q", "--no-edit"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("secrets/extra.txt"));
}

#[test]
fn a_blocked_merge_is_attributed_to_the_task_its_message_names() {
    let repo = diverged(("README.md", "agent\n"), ("README.md", "human\n"));
    let output = repo.git_output(&[
        "merge",
        "-q",
        "-m",
        "Merge main\n\nAgent-Task: T-9\nAgent-Name: codex",
        "main",
    ]);
    assert!(!output.status.success(), "a conflict");
    repo.write("README.md", "resolved\n");
    repo.write("secrets/extra.txt", "x\n");
    repo.git(&["add", "-A"]);
    let output = commit(&repo, &["-q", "--no-edit"], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    // pre-commit judged before the message was final; git had prepared it (MERGE_MSG).
    let blocked = ledger(&repo)
        .into_iter()
        .find(|e| e["command"] == "hook pre-commit")
        .unwrap();
    assert_eq!(blocked["verdict"], "block");
    assert_eq!(blocked["task"], "T-9");
    assert_eq!(blocked["agent"], "codex");
}

#[test]
fn a_bypass_names_what_it_skipped_and_log_finds_it() {
    let repo = hooked_repo();
    repo.write("secrets/token.txt", "x\n");
    repo.git(&["add", "-A"]);
    let tree = repo.git(&["write-tree"]);
    let output = commit(
        &repo,
        &["-q", "-m", &msg(&[TASK, "Agent-Name: codex"])],
        &[("AGENTGUARD_SKIP", "hotfix for the outage")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = repo.run(&["log", "--verdict", "bypass", "--format", "json"]);
    let lines: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    for line in &lines {
        assert_eq!(line["verdict"], "bypass");
        assert_eq!(line["tree"], tree.as_str());
        assert_eq!(line["branch"], "agent/work");
        assert_eq!(line["bypass"]["reason"], "hotfix for the outage");
    }
    let commit_msg = lines
        .iter()
        .find(|l| l["command"] == "hook commit-msg")
        .unwrap();
    assert_eq!(commit_msg["task"], "T-1");
    assert_eq!(commit_msg["agent"], "codex");

    // A skipped push names each pushed commit and the branch it went to.
    let remote = bare_remote(&repo);
    let output = repo
        .git_command()
        .args(["push", "-q", "origin", "agent/work:agent/other"])
        .env("AGENTGUARD_SKIP", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert!(remote_has(&repo, &remote, "agent/other").is_some());
    let output = repo.run(&["log", "--verdict", "bypass", "--format", "json"]);
    let lines: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let push = &lines[0];
    assert_eq!(push["command"], "hook pre-push");
    assert_eq!(push["commit"], head(&repo).as_str());
    assert_eq!(push["branch"], "agent/other");
    assert_eq!(push["task"], "T-1");
    assert_eq!(push["bypass"]["reason"], "no reason given");
    let human = repo.run(&["log", "--verdict", "bypass"]);
    assert!(
        String::from_utf8_lossy(&human.stdout).contains("skipped by"),
        "{}",
        text(&human)
    );
}

#[test]
fn a_block_offers_no_way_around_and_is_still_someones() {
    let repo = hooked_repo();
    repo.write("secrets/token.txt", "x\n");
    repo.git(&["add", "-A"]);
    let output = commit(
        &repo,
        &["-q", "-m", &msg(&[TASK])],
        &[("AGENTGUARD_TASK", "T-7"), ("AGENTGUARD_AGENT", "codex")],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("verdict: block"), "{err}");
    assert!(
        !err.contains("AGENTGUARD_SKIP") && !err.contains("--no-verify"),
        "{err}"
    );
    // pre-commit ran before the message existed: the block is the task's and agent's the
    // environment names.
    let blocked: Vec<Value> = ledger(&repo)
        .into_iter()
        .filter(|e| e["command"] == "hook pre-commit")
        .collect();
    assert_eq!(blocked[0]["verdict"], "block");
    assert_eq!(blocked[0]["task"], "T-7");
    assert_eq!(blocked[0]["agent"], "codex");

    // A push is recorded on the branch it goes to, not the checked-out one.
    repo.git(&["reset", "-q", "--hard"]);
    let remote = bare_remote(&repo);
    assert!(push(&repo, &["-q", "origin", "main"]).status.success());
    repo.git(&["checkout", "-q", "-b", "work", "main"]);
    repo.write("src/app.py", "x = 1\n");
    repo.git(&["add", "-A"]);
    assert!(commit(&repo, &["-q", "-m", &msg(&[TASK])], &[])
        .status
        .success());
    let output = push(&repo, &["-q", "origin", "work:agent/pushed"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(remote_has(&repo, &remote, "agent/pushed").is_some());
    let pushed = ledger(&repo)
        .into_iter()
        .find(|e| e["command"] == "hook pre-push")
        .unwrap();
    assert_eq!(pushed["branch"], "agent/pushed");
}

#[test]
fn a_bypass_that_cannot_be_recorded_is_refused() {
    let repo = hooked_repo();
    // The ledger's directory is taken by a file: nothing can be appended.
    let ledger_dir = repo.path().join(".git/agentguard");
    std::fs::remove_dir_all(&ledger_dir).ok();
    std::fs::write(&ledger_dir, "not a directory").unwrap();
    repo.write("secrets/token.txt", "x\n");
    repo.git(&["add", "-A"]);
    let before = head(&repo);
    let output = commit(
        &repo,
        &["-q", "-m", &msg(&[TASK])],
        &[("AGENTGUARD_SKIP", "in a hurry")],
    );
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("ledger"),
        "{}",
        text(&output)
    );
    assert_eq!(head(&repo), before);
}

#[test]
fn post_commit_never_falls_back_to_the_default_policy_when_the_parent_is_unreadable() {
    let repo = TestRepo::with_initial_commit();
    let parent = repo.git(&["rev-parse", "HEAD"]);
    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    let message = repo.scratch().join("MSG");
    std::fs::write(&message, msg(&[TASK])).unwrap();
    // What commit-msg leaves: evidence pending for the staged tree.
    let output = repo.run(&[
        "check",
        "--staged",
        "--no-run",
        "--record",
        "--message-file",
        message.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-F",
        message.to_str().unwrap(),
    ]);
    // The parent's object goes missing (a broken or partial clone).
    let object = repo
        .path()
        .join(".git/objects")
        .join(&parent[..2])
        .join(&parent[2..]);
    std::fs::remove_file(&object).unwrap();

    let output = repo.run(&["hook", "post-commit"]);
    // git ignores post-commit's status; the failure is said and recorded, nothing attached.
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("warning: post-commit failed"), "{stderr}");
    assert!(stderr.contains(&parent[..10]), "{stderr}");
    assert!(
        evidence_of(&repo, "HEAD").is_none(),
        "attached under the default policy"
    );
    let errors: Vec<Value> = ledger(&repo)
        .into_iter()
        .filter(|e| e["command"] == "hook post-commit")
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["verdict"], "error");
}

/// The indented lines of a hook's report: its findings and the rules behind them.
fn finding_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.starts_with("    "))
        .map(str::to_string)
        .collect()
}

#[test]
fn pre_commit_never_says_pass_for_a_change_commit_msg_then_blocks() {
    let repo = hooked_repo();
    let before = head(&repo);
    repo.write("src/app.py", "x = 1\n");
    repo.git(&["add", "-A"]);
    let message = msg(&[TASK, "Agent-Acceptance: echo tests failed; exit 3"]);
    let output = commit(&repo, &["-q", "-m", &message], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let pre_commit: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("agentguard pre-commit:"))
        .collect();
    assert_eq!(
        pre_commit,
        ["agentguard pre-commit: no static finding blocks — 1 path; commit-msg judges the message and runs acceptance"],
        "{stderr}"
    );
    assert!(!stderr.contains("pass"), "{stderr}");
    assert!(stderr.contains("tests failed"), "{stderr}");
    assert_eq!(head(&repo), before);
}

#[test]
fn pre_commit_prints_the_static_findings_commit_msg_prints() {
    let repo = hooked_repo();
    let before = head(&repo);
    repo.write("secrets/token.txt", "x\n");
    repo.write("src/app.py", "x = 1\n");
    repo.git(&["add", "-A"]);
    let message = msg(&[TASK]);
    let output = commit(&repo, &["-q", "-m", &message], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let at_pre_commit = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(head(&repo), before);
    // What commit-msg says of the same staged change and message, had pre-commit let it by.
    let file = repo.scratch().join("message.txt");
    std::fs::write(&file, &message).unwrap();
    let output = repo.run(&["hook", "commit-msg", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let at_commit_msg = String::from_utf8_lossy(&output.stderr).into_owned();
    let findings = finding_lines(&at_pre_commit);
    assert!(
        findings.iter().any(|l| l.contains("secrets/token.txt")),
        "{at_pre_commit}"
    );
    assert_eq!(
        findings,
        finding_lines(&at_commit_msg),
        "{at_pre_commit}\n---\n{at_commit_msg}"
    );
    assert!(!at_pre_commit.contains("pass"), "{at_pre_commit}");
}
