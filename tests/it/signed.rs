//! A person's commit on an agent branch: signed with git's own SSH commit signing by a key the
//! base's allowed signers list, it is human work; any other signature, or none, is not.

use crate::support::{msg, text, Remote, TestRepo, TASK};
use serde_json::Value;

/// A repository whose base trusts `lead`'s key, with the hooks, on an agent branch.
fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        ".agentguard/allowed_signers",
        &format!("{}\n", repo.signer_line("lead@example.com", "lead")),
    );
    repo.write(
        ".agentguard.toml",
        "[approvals]\nallowed_signers = \".agentguard/allowed_signers\"\n",
    );
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    repo.ssh_key("stranger");
    let output = repo.run(&["install"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo.checkout_new("agent/work");
    repo
}

/// Sets git to sign every commit with key `name`.
fn sign_with(repo: &TestRepo, name: &str) {
    let key = repo.ssh_key(name).with_extension("pub");
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    repo.git(&["config", "commit.gpgsign", "true"]);
}

fn commit(repo: &TestRepo, message: &str) -> std::process::Output {
    repo.git(&["add", "-A"]);
    repo.git_command()
        .args(["commit", "-q", "-m", message])
        .output()
        .unwrap()
}

fn verify(repo: &TestRepo) -> (Option<i32>, Vec<Value>) {
    let output = repo.run(&["verify", "--base", "main", "--format", "json", "--no-run"]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (
        output.status.code(),
        report["commits"].as_array().cloned().unwrap_or_default(),
    )
}

#[test]
fn a_fixup_signed_by_a_trusted_key_is_human_work_on_an_agent_branch() {
    let repo = repo();
    sign_with(&repo, "lead");
    repo.write("src/app.py", "x = 1\n");
    let output = commit(&repo, "Fix the page size");
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("missing-task"),
        "{}",
        text(&output)
    );
    let (code, commits) = verify(&repo);
    assert_eq!(code, Some(0), "{commits:#?}");
    assert_eq!(commits[0]["agent"], false);
    assert_eq!(commits[0]["signed_by"], "lead@example.com");
    let human = repo.run(&["verify", "--base", "main", "--no-run"]);
    assert!(
        String::from_utf8_lossy(&human.stdout).contains(
            "human commit: signed by lead@example.com, whose key the base's allowed signers list"
        ),
        "{}",
        text(&human)
    );

    // pre-push checks the signature itself.
    let remote = Remote::new();
    repo.git(&["remote", "add", "origin", remote.path.to_str().unwrap()]);
    let output = repo.push(&["origin", "main", "agent/work"]);
    assert!(output.status.success(), "{}", text(&output));
}

#[test]
fn a_key_the_base_does_not_list_signs_nothing_human() {
    let repo = repo();
    // The hooks see the key is not listed: agent work, without a task.
    sign_with(&repo, "stranger");
    repo.write("src/app.py", "x = 1\n");
    let output = commit(&repo, "Fix the page size");
    assert!(!output.status.success(), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing-task"));

    // The change lists the key itself, and a later commit is signed with it: the base's
    // list is the one that counts.
    repo.write(
        ".agentguard/allowed_signers",
        &format!(
            "{}\n{}\n",
            repo.signer_line("lead@example.com", "lead"),
            repo.signer_line("me@example.com", "stranger")
        ),
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &msg(&[TASK])]);
    repo.write("src/app.py", "x = 2\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "Fix the page size"]);
    assert!(repo
        .git(&["cat-file", "commit", "HEAD"])
        .contains("BEGIN SSH SIGNATURE"));
    let (code, commits) = verify(&repo);
    assert_eq!(code, Some(1));
    let last = commits.last().unwrap();
    assert_eq!(last["agent"], true, "{last:#}");
    assert_eq!(last["signed_by"], Value::Null);
}

#[test]
fn a_signature_does_not_outweigh_a_task_trailer_or_an_unlisted_config() {
    let repo = repo();
    sign_with(&repo, "lead");
    // Signed, but it says it is the task's work: judged as such.
    repo.write("src/app.py", "x = 1\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &msg(&[TASK])]);
    let (_, commits) = verify(&repo);
    assert_eq!(commits[0]["agent"], true);

    // Without [approvals] allowed_signers in the base, git config's file does not count.
    let plain = TestRepo::with_initial_commit();
    plain.checkout_new("agent/work");
    sign_with(&plain, "lead");
    let signers = plain.scratch().join("signers");
    std::fs::write(
        &signers,
        format!("{}\n", plain.signer_line("lead@example.com", "lead")),
    )
    .unwrap();
    plain.git(&[
        "config",
        "gpg.ssh.allowedSignersFile",
        signers.to_str().unwrap(),
    ]);
    plain.write("src/app.py", "x = 1\n");
    plain.git(&["add", "-A"]);
    plain.git(&["commit", "-q", "--no-verify", "-m", "Fix"]);
    let (code, commits) = verify(&plain);
    assert_eq!(code, Some(1));
    assert_eq!(commits[0]["agent"], true);
}
