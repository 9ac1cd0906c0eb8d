//! `agentguard doctor`: green on a repository set up as the README says, and a named fix for
//! each thing broken on purpose.

use crate::support::{text, TestRepo};

/// `agentguard init`, commit, push, `agentguard install`: the README's setup.
fn set_up() -> TestRepo {
    let repo = TestRepo::with_initial_commit();
    assert_eq!(repo.run(&["init"]).status.code(), Some(0));
    repo.commit_all("Adopt agentguard");
    let remote = repo.scratch().join("origin.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    repo.git(&["push", "-q", "origin", "main"]);
    let output = repo.run(&["install"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo
}

/// Runs doctor, asserts the exit code, returns stdout.
fn doctor(repo: &TestRepo, code: i32) -> String {
    let output = repo.run(&["doctor"]);
    assert_eq!(output.status.code(), Some(code), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The line of one check.
fn line<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find(|l| l[6..].starts_with(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no `{name}` line in\n{out}"))
}

/// Approvals set up: an allowed signers file with the lead's key, the lead approves anything.
fn with_approvals(repo: &TestRepo) {
    repo.write(
        ".agentguard/allowed_signers",
        &format!("{}\n", repo.signer_line("lead@example.com", "lead")),
    );
    let policy = repo.read(".agentguard.toml").replace(
        "[approvals]\n",
        "[approvals]\nallowed_signers = \".agentguard/allowed_signers\"\napprovers = { \"*\" = [\"lead@example.com\"] }\n",
    );
    repo.write(".agentguard.toml", &policy);
    repo.commit_all("human: approvals");
}

#[test]
fn green_on_the_readme_setup_and_all_ok_with_approvals() {
    let repo = set_up();
    let out = doctor(&repo, 0);
    assert!(
        line(&out, "hooks")
            .starts_with("ok    hooks: 8 hooks installed in .git/hooks, running this agentguard"),
        "{out}"
    );
    assert!(line(&out, "policy").starts_with("ok "), "{out}");
    assert!(line(&out, "notes rewrite").starts_with("ok "), "{out}");
    // install had the remote fetch the notes beside the local ones; pre-push pushes them.
    assert!(
        line(&out, "notes fetch").starts_with(
            "ok    notes fetch: `git fetch origin` brings its evidence and approval notes"
        ),
        "{out}"
    );
    assert!(line(&out, "notes push").starts_with("ok "), "{out}");
    // Approvals are the one thing the README's first steps leave for later: said, not failed.
    assert!(line(&out, "allowed signers").starts_with("warn "), "{out}");
    assert!(line(&out, "allowed signers").contains("fix: "), "{out}");
    assert!(!out.contains("fail "), "{out}");

    with_approvals(&repo);
    let out = doctor(&repo, 0);
    assert!(
        line(&out, "allowed signers")
            .starts_with("ok    allowed signers: .agentguard/allowed_signers in HEAD: 1 signer"),
        "{out}"
    );
    assert!(line(&out, "approvers").starts_with("ok "), "{out}");
    if crate::support::user_namespaces().is_ok() {
        assert!(!out.contains("warn "), "{out}");
    }
}

#[test]
fn each_broken_hook_and_notes_setting_is_named_with_its_fix() {
    let repo = set_up();
    let hooks = repo.path().join(".git/hooks");
    std::fs::remove_file(hooks.join("pre-push")).unwrap();
    std::fs::write(hooks.join("commit-msg"), "#!/bin/sh\nexit 0\n").unwrap();
    repo.git(&["config", "--unset-all", "notes.rewriteRef"]);
    // A refspec that writes the remote's notes over this clone's (old advice, or a hand edit).
    repo.git(&["config", "--unset-all", "remote.origin.fetch", "notes"]);
    repo.git(&[
        "config",
        "--add",
        "remote.origin.fetch",
        "+refs/notes/*:refs/notes/*",
    ]);
    let out = doctor(&repo, 1);
    let hooks_line = line(&out, "hooks");
    assert!(
        hooks_line.starts_with(
            "fail  hooks: missing in .git/hooks: pre-push; not agentguard's: commit-msg"
        ),
        "{out}"
    );
    assert!(
        hooks_line.contains("fix: run `agentguard install`"),
        "{out}"
    );
    assert!(line(&out, "notes rewrite").starts_with("fail "), "{out}");
    let fetch = line(&out, "notes fetch");
    assert!(fetch.starts_with("fail  notes fetch: remote.origin.fetch = +refs/notes/*:refs/notes/* writes origin's notes over this clone's"), "{out}");
    assert!(
        fetch.contains("git config --unset-all remote.origin.fetch"),
        "{out}"
    );
    assert!(line(&out, "notes push").starts_with("fail "), "{out}");

    // A fetch into the local refs' own names is gone; with no notes fetch at all, a warning.
    repo.git(&["config", "--unset-all", "remote.origin.fetch", "notes"]);
    let out = doctor(&repo, 1);
    assert!(
        line(&out, "notes fetch")
            .starts_with("warn  notes fetch: `git fetch origin` does not bring the notes"),
        "{out}"
    );
    // A fetch beside the local notes is what install sets up.
    repo.git(&[
        "config",
        "--add",
        "remote.origin.fetch",
        "+refs/notes/agentguard*:refs/notes/remotes/origin/agentguard*",
    ]);
    let out = doctor(&repo, 1);
    assert!(line(&out, "notes fetch").starts_with("ok "), "{out}");

    // Hooks that run another agentguard than this one.
    let output = repo.run(&["install", "--force"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let other = repo.scratch().join("other-agentguard");
    std::fs::copy(assert_cmd::cargo::cargo_bin("agentguard"), &other).unwrap();
    let shim = std::fs::read_to_string(hooks.join("pre-commit")).unwrap();
    let this = assert_cmd::cargo::cargo_bin("agentguard");
    std::fs::write(
        hooks.join("pre-commit"),
        shim.replace(this.to_str().unwrap(), other.to_str().unwrap()),
    )
    .unwrap();
    let out = doctor(&repo, 0);
    let hooks_line = line(&out, "hooks");
    assert!(
        hooks_line.starts_with("warn  hooks: installed in .git/hooks, but they run"),
        "{out}"
    );
    assert!(hooks_line.contains("other-agentguard"), "{out}");
}

#[test]
fn broken_approvals_policy_and_tasks_are_named_with_their_fix() {
    let repo = set_up();
    with_approvals(&repo);
    // A key line that is not one, an approver without a key, a category nobody may approve.
    repo.write(".agentguard/allowed_signers", "lead@example.com\n");
    let policy = repo.read(".agentguard.toml").replace(
        "approvers = { \"*\" = [\"lead@example.com\"] }",
        "approvers = { auth = [\"dev@example.com\"] }",
    );
    repo.write(".agentguard.toml", &policy);
    repo.write(
        ".agentguard/tasks/T-1.toml",
        "goal = \"x\"\nallow = [\"src/[\"]\n",
    );
    repo.commit_all("human: broken on purpose");
    let out = doctor(&repo, 1);
    let signers = line(&out, "allowed signers");
    assert!(signers.starts_with("fail  allowed signers: .agentguard/allowed_signers in HEAD: not `<principals> [options] <key type> <key>` at line 1"), "{out}");
    let approvers = line(&out, "approvers");
    assert!(
        approvers.starts_with("fail  approvers: nobody may approve migrations, payments"),
        "{out}"
    );
    assert!(
        approvers.contains("fix: add them to [approvals] approvers"),
        "{out}"
    );
    let tasks = line(&out, "tasks");
    assert!(
        tasks.starts_with("fail  tasks: .agentguard/tasks/T-1.toml:2:"),
        "{out}"
    );
    assert!(tasks.contains("src/["), "{out}");

    // An approver with no key.
    repo.write(
        ".agentguard/allowed_signers",
        &format!("{}\n", repo.signer_line("lead@example.com", "lead")),
    );
    let policy = repo.read(".agentguard.toml").replace(
        "approvers = { auth = [\"dev@example.com\"] }",
        "approvers = { \"*\" = [\"lead@example.com\", \"dev@example.com\"] }",
    );
    repo.write(".agentguard.toml", &policy);
    repo.write(".agentguard/tasks/T-1.toml", "goal = \"x\"\n");
    repo.commit_all("human: half fixed");
    let out = doctor(&repo, 1);
    assert!(
        line(&out, "approvers")
            .starts_with("fail  approvers: dev@example.com may approve but have no key"),
        "{out}"
    );
    assert!(
        line(&out, "tasks").starts_with("ok    tasks: 1 task file in HEAD"),
        "{out}"
    );

    // A policy whose examples fail, and a broken edit in the work tree.
    repo.write(
        ".agentguard.toml",
        &format!(
            "{}\n[[examples]]\npath = \"src/auth/x.rs\"\nexpect = [\"allow\"]\n",
            repo.read(".agentguard.toml")
        ),
    );
    repo.commit_all("human: a wrong example");
    repo.write(".agentguard.toml", "[scope\n");
    let out = doctor(&repo, 1);
    assert!(
        line(&out, "examples")
            .starts_with("fail  examples: these [[examples]] no longer hold: src/auth/x.rs"),
        "{out}"
    );
    assert!(
        line(&out, "policy (work tree)")
            .starts_with("fail  policy (work tree): .agentguard.toml:1:"),
        "{out}"
    );

    // A broken policy in HEAD is a failed check (exit 1), not an error of doctor's own.
    repo.commit_all("human: broken policy");
    let out = doctor(&repo, 1);
    assert!(
        line(&out, "policy").starts_with("fail  policy: .agentguard.toml (at base"),
        "{out}"
    );
}
