//! Submodules repointed by an agent: a gitlink moved to another commit or a `.gitmodules`
//! url moved to another host makes the CI checkout fetch code the diff never shows.

use crate::support::{msg, text, TestRepo, TASK};
use serde_json::Value;

const GITMODULES: &str =
    "[submodule \"lib\"]\n\tpath = vendor/lib\n\turl = https://git.example.com/acme/lib.git\n";

fn pin(repo: &TestRepo, commit: &str) {
    repo.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{commit},vendor/lib"),
    ]);
}

/// main with a submodule pinned at `a…a`, a policy trusting `lead` to approve anything, and
/// no evidence required (this is about the submodule finding alone).
fn origin() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        ".agentguard/allowed_signers",
        &format!("{}\n", repo.signer_line("lead@example.com", "lead")),
    );
    repo.write(
        ".agentguard.toml",
        "[approvals]\nallowed_signers = \".agentguard/allowed_signers\"\n\
         approvers = { \"*\" = [\"lead@example.com\"] }\n\n[evidence]\nrequire = false\n",
    );
    repo.write(".gitmodules", GITMODULES);
    repo.write("README.md", "hello\n");
    repo.git(&["add", "-A"]);
    pin(&repo, &"a".repeat(40));
    repo.git(&["commit", "-q", "--no-verify", "-m", "base"]);
    repo
}

fn submodule_findings(report: &Value, commit: usize) -> Vec<(String, String, String)> {
    report["commits"][commit]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "submodules")
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["action"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_repointed_gitlink_and_a_moved_url_need_approval_in_the_ci_gate() {
    let origin = origin();
    origin.checkout_new("agent/bump");
    // The agent pins the submodule at another commit...
    pin(&origin, &"b".repeat(40));
    origin.git(&["commit", "-q", "--no-verify", "-m", &msg(&[TASK])]);
    // ...and then points it at another host.
    origin.write(
        ".gitmodules",
        &GITMODULES.replace("git.example.com/acme", "evil.example.net/fork"),
    );
    origin.commit_all(&msg(&[TASK]));
    let ci = TestRepo::clone_url(&origin.push_to_bare(), &["--branch", "agent/bump"]);

    let output = ci.run(&[
        "verify",
        "--base",
        "origin/main",
        "--no-run",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let repointed = submodule_findings(&report, 0);
    assert_eq!(repointed.len(), 1, "{repointed:?}");
    let (path, action, message) = &repointed[0];
    assert_eq!((path.as_str(), action.as_str()), ("vendor/lib", "approve"));
    assert!(
        message.contains("repoints submodule `vendor/lib`"),
        "{message}"
    );
    assert!(message.contains(&"a".repeat(12)), "{message}");
    assert!(message.contains(&"b".repeat(12)), "{message}");
    assert!(
        message.contains("git.example.com/acme/lib.git"),
        "{message}"
    );
    let moved = submodule_findings(&report, 1);
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(moved[0].0, ".gitmodules");
    assert!(
        moved[0].2.contains("from `https://git.example.com/acme/lib.git` to `https://evil.example.net/fork/lib.git`"),
        "{moved:?}"
    );

    // A human signs off on both; the gate passes.
    ci.git(&["config", "user.email", "lead@example.com"]);
    let key = origin.ssh_key("lead");
    for rev in ["HEAD~1", "HEAD"] {
        let approved = ci.run(&[
            "approve",
            rev,
            "--category",
            "submodules",
            "--key",
            key.to_str().unwrap(),
            "--reason",
            "lib bump reviewed",
        ]);
        assert_eq!(approved.status.code(), Some(0), "{}", text(&approved));
    }
    let output = ci.run(&[
        "verify",
        "--base",
        "origin/main",
        "--no-run",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn an_added_submodule_is_named_and_a_dangerous_gitmodules_is_malformed() {
    let repo = origin();
    repo.write(
        ".gitmodules",
        &format!(
            "{GITMODULES}[submodule \"tools\"]\n\tpath = tools\n\turl = https://git.example.com/acme/tools.git\n"
        ),
    );
    repo.git(&["add", ".gitmodules"]);
    repo.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{},tools", "c".repeat(40)),
    ]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &msg(&[TASK])]);
    let output = repo.run(&["check", "HEAD", "--no-run", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = submodule_findings(&report, 0);
    assert!(
        found
            .iter()
            .any(|(p, _, m)| p == "tools" && m.contains("adds submodule `tools`")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(p, _, m)| p == ".gitmodules" && m.contains("sets the url of submodule `tools`")),
        "{found:?}"
    );

    // A url git would pass to the transport as an option: git fsck's gitmodulesUrl.
    repo.write(
        ".gitmodules",
        &GITMODULES.replace(
            "https://git.example.com/acme/lib.git",
            "--upload-pack=touch pwned",
        ),
    );
    repo.commit_all(&msg(&[TASK]));
    let output = repo.run(&["check", "HEAD", "--no-run", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let malformed: Vec<&Value> = report["commits"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "malformed-tree")
        .collect();
    assert!(
        malformed
            .iter()
            .any(|f| f["rule"].as_str().unwrap().contains("gitmodulesUrl")),
        "{malformed:?}"
    );
    assert!(malformed.iter().all(|f| f["action"] == "block"));
}
