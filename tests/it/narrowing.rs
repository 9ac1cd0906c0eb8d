//! An agent on an old base: the rules its branch began under are not the rules the target
//! branch has now. The range is judged by both, each narrowing the other, in the CI gate and
//! at pre-push.

use crate::support::{msg, text, TestRepo, TASK};
use serde_json::Value;

const LAX: &str = "[evidence]\nrequire = false\n";

/// (kind, category, path, rule) of every finding of the first commit.
fn findings(report: &Value) -> Vec<(String, String, String, String)> {
    report["commits"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("kind"), s("category"), s("path"), s("rule"))
        })
        .collect()
}

fn verify_json(ci: &TestRepo) -> (Option<i32>, Value) {
    let output = ci.run(&[
        "verify",
        "--base",
        "origin/main",
        "--no-run",
        "--format",
        "json",
    ]);
    let report =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", text(&output)));
    (output.status.code(), report)
}

/// A human's commit on main (made in `origin`, which stays on the agent branch).
fn on_main(origin: &TestRepo, path: &str, content: &str, message: &str) {
    let branch = origin.git(&["rev-parse", "--abbrev-ref", "HEAD"]);
    origin.git(&["checkout", "-q", "main"]);
    origin.write(path, content);
    origin.commit_all(message);
    origin.git(&["checkout", "-q", &branch]);
}

#[test]
fn rules_the_target_added_since_the_branch_began_hold_in_the_ci_gate() {
    let origin = TestRepo::new();
    origin.write(".agentguard.toml", LAX);
    origin.write("README.md", "hello\n");
    origin.commit_all("base");
    origin.checkout_new("agent/config");
    origin.write("config/prod.yml", "replicas: 1\n");
    origin.write("infra/main.tf", "resource \"x\" \"y\" {}\n");
    origin.commit_all(&msg(&[TASK]));
    // Meanwhile main denies production config and makes infrastructure a blocking risk.
    on_main(
        &origin,
        ".agentguard.toml",
        &format!("{LAX}\n[scope]\ndeny = [\"config/prod.yml\"]\n\n[risk.infra]\npaths = [\"infra/\"]\naction = \"block\"\n"),
        "tighten the policy",
    );
    let ci = TestRepo::clone_url(&origin.push_to_bare(), &["--branch", "agent/config"]);
    let (code, report) = verify_json(&ci);
    assert_eq!(code, Some(1), "{report:#}");
    let found = findings(&report);
    assert!(
        found.iter().any(|(k, c, p, rule)| k == "scope"
            && c == "denied"
            && p == "config/prod.yml"
            && rule.contains("target branch's policy")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(_, c, p, _)| c == "infra" && p == "infra/main.tf"),
        "{found:?}"
    );
    let source = report["commits"][0]["policy"].as_str().unwrap_or_default();
    assert!(source.contains("narrowed by the target's"), "{report:#}");
}

#[test]
fn a_rule_the_target_dropped_still_holds_for_work_begun_under_it() {
    let origin = TestRepo::new();
    origin.write(
        ".agentguard.toml",
        &format!("{LAX}\n[scope]\ndeny = [\"legacy/\"]\n"),
    );
    origin.write("README.md", "hello\n");
    origin.commit_all("base");
    origin.checkout_new("agent/legacy");
    origin.write("legacy/old.py", "x = 1\n");
    origin.commit_all(&msg(&[TASK]));
    on_main(&origin, ".agentguard.toml", LAX, "legacy/ is fair game now");
    let ci = TestRepo::clone_url(&origin.push_to_bare(), &["--branch", "agent/legacy"]);
    let (code, report) = verify_json(&ci);
    assert_eq!(code, Some(1), "{report:#}");
    assert!(findings(&report)
        .iter()
        .any(|(_, c, p, _)| c == "denied" && p == "legacy/old.py"));

    // Rebased onto the target, the branch is judged by the target's rules alone.
    origin.git(&["rebase", "-q", "main"]);
    let ci = TestRepo::clone_url(&origin.push_to_bare(), &["--branch", "agent/legacy"]);
    let (code, report) = verify_json(&ci);
    assert_eq!(code, Some(0), "{report:#}");
}

#[test]
fn an_approver_the_target_removed_approves_nothing() {
    let origin = TestRepo::new();
    let signers = [
        origin.signer_line("lead@example.com", "lead"),
        origin.signer_line("dba@example.com", "dba"),
    ]
    .join("\n");
    origin.write(".agentguard/allowed_signers", &format!("{signers}\n"));
    let policy = |approvers: &str| {
        format!(
            "{LAX}\n[approvals]\nallowed_signers = \".agentguard/allowed_signers\"\napprovers = {{ \"*\" = [{approvers}] }}\n"
        )
    };
    origin.write(
        ".agentguard.toml",
        &policy("\"lead@example.com\", \"dba@example.com\""),
    );
    origin.write("README.md", "hello\n");
    origin.commit_all("base");
    origin.checkout_new("agent/schema");
    origin.write("migrations/001_users.sql", "CREATE TABLE users (id int);\n");
    origin.commit_all(&msg(&[TASK]));
    let approve = |who: &str| {
        origin.git(&["config", "user.email", &format!("{who}@example.com")]);
        let key = origin.ssh_key(who);
        let output = origin.run(&[
            "approve",
            "--category",
            "migrations",
            "--key",
            key.to_str().unwrap(),
            "--reason",
            "reviewed",
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    };
    approve("dba");
    // main no longer lets the DBA approve.
    on_main(
        &origin,
        ".agentguard.toml",
        &policy("\"lead@example.com\""),
        "only the lead approves",
    );
    let ci_of = |origin: &TestRepo| {
        let url = origin.push_to_bare();
        origin.git(&["push", "-q", "--force", &url, "refs/notes/*:refs/notes/*"]);
        let ci = TestRepo::clone_url(&url, &["--branch", "agent/schema"]);
        ci.git(&["fetch", "-q", "origin", "+refs/notes/*:refs/notes/*"]);
        ci
    };
    let (code, report) = verify_json(&ci_of(&origin));
    assert_eq!(code, Some(1), "{report:#}");
    let migration = report["commits"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["category"] == "migrations")
        .cloned()
        .unwrap();
    assert_eq!(migration["approved"], false, "{migration:#}");
    assert!(
        migration["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("dba@example.com is not listed"),
        "{migration:#}"
    );
    approve("lead");
    let (code, report) = verify_json(&ci_of(&origin));
    assert_eq!(code, Some(0), "{report:#}");
}

#[test]
fn pre_push_judges_by_the_remote_default_branch_too() {
    let origin = TestRepo::new();
    origin.write(".agentguard.toml", LAX);
    origin.write("README.md", "hello\n");
    origin.commit_all("base");
    let url = origin.push_to_bare();
    // The agent's clone, hooks installed, a branch from today's main.
    let agent = TestRepo::clone_url(&url, &[]);
    assert_eq!(agent.run(&["install"]).status.code(), Some(0));
    agent.checkout_new("agent/config");
    agent.write("config/prod.yml", "replicas: 1\n");
    agent.git(&["add", "-A"]);
    agent.git(&["commit", "-q", "--no-verify", "-m", &msg(&[TASK])]);
    // A human denies production config on main; the agent fetches before pushing.
    on_main(
        &origin,
        ".agentguard.toml",
        &format!("{LAX}\n[scope]\ndeny = [\"config/prod.yml\"]\n"),
        "deny prod config",
    );
    origin.push_to_bare();
    agent.git(&["fetch", "-q", "origin"]);
    let output = agent
        .git_command()
        .args(["push", "-q", "origin", "agent/config"])
        .env("TMPDIR", agent.scratch())
        .output()
        .unwrap();
    assert!(!output.status.success(), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("config/prod.yml matches a denied path"),
        "{stderr}"
    );
}

#[test]
fn a_signer_the_target_no_longer_trusts_makes_no_commit_human() {
    let origin = TestRepo::new();
    let lead = origin.signer_line("lead@example.com", "lead");
    let dev = origin.signer_line("dev@example.com", "dev");
    origin.write(".agentguard/allowed_signers", &format!("{lead}\n{dev}\n"));
    let policy = format!("{LAX}\n[approvals]\nallowed_signers = \".agentguard/allowed_signers\"\n");
    origin.write(".agentguard.toml", &policy);
    origin.write("README.md", "hello\n");
    origin.commit_all("base");
    origin.checkout_new("agent/fix");
    let key = origin.ssh_key("dev").with_extension("pub");
    origin.git(&["config", "gpg.format", "ssh"]);
    origin.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    origin.git(&["config", "commit.gpgsign", "true"]);
    origin.write("src/app.py", "x = 1\n");
    origin.commit_all("Fix the page size");
    origin.git(&["config", "commit.gpgsign", "false"]);
    let ci_of = |origin: &TestRepo| {
        let url = origin.push_to_bare();
        TestRepo::clone_url(&url, &["--branch", "agent/fix"])
    };
    // Under the base's signers alone the signed fix is human work.
    let (code, report) = verify_json(&ci_of(&origin));
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["commits"][0]["signed_by"], "dev@example.com");
    // main has since dropped the developer's key: the same commit is agent work without a task.
    on_main(
        &origin,
        ".agentguard/allowed_signers",
        &format!("{lead}\n"),
        "dev left the team",
    );
    let (code, report) = verify_json(&ci_of(&origin));
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["commits"][0]["agent"], true, "{report:#}");
    assert_eq!(report["commits"][0]["signed_by"], Value::Null);
    assert!(
        findings(&report).iter().any(|f| f.1 == "missing-task"),
        "{report:#}"
    );
}
