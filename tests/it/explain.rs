//! `agentguard explain`, `agentguard policy test` and the `[[examples]]` that `verify` checks.

use crate::support::{text, TestRepo};

const POLICY: &str = r#"[scope]
deny = ["secrets/"]

[approvals]
allowed_signers = ".agentguard/allowed_signers"
approvers = { "*" = ["lead@example.com"], migrations = ["dba@example.com"] }

[[examples]]
path = "src/auth/login.rs"
expect = ["approve:auth"]

[[examples]]
path = "src/auth/login.rs"
task = "T-12"
expect = ["deny", "approve:auth"]

[[examples]]
path = "docs/guide.md"
expect = ["allow"]
"#;

fn repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".agentguard.toml", POLICY);
    repo.write(".agentguard/tasks/T-12.toml", "allow = [\"src/api/**\"]\n");
    repo.write(".agentguard/allowed_signers", "");
    repo.write("README.md", "hello\n");
    repo.commit_all("human: policy");
    repo
}

fn run(repo: &TestRepo, args: &[&str], code: i32) -> String {
    let output = repo.run(args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}\n{}",
        text(&output)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn explain_names_the_layer_the_rules_and_the_approvers() {
    let repo = repo();
    let out = run(
        &repo,
        &[
            "explain",
            "src/auth/session.rs",
            "./secrets/key.txt",
            "db/migrations/1.sql",
            "--task",
            "T-12",
            "--agent",
            "codex",
        ],
        0,
    );
    for needed in [
        "task: T-12, defined in .agentguard/tasks/T-12.toml (at base",
        "agent: codex",
        "src/auth/session.rs\n  scope: out of scope\n    policy [scope]: allows it: allow `**`\n",
        "does not allow it: allow `src/api/**`",
        "risk: auth (approve): path matches `auth/` (built-in path rule)",
        "may approve auth: lead@example.com",
        "signatures checked against: .agentguard/allowed_signers (in the base commit)",
        "secrets/key.txt\n  scope: out of scope\n    policy [scope]: denies it: deny `secrets/`",
        "may approve migrations: dba@example.com, lead@example.com",
        "as an example: expect = [\"deny\", \"approve:auth\"]",
    ] {
        assert!(out.contains(needed), "{needed}\n---\n{out}");
    }

    // Without a task, the policy's layer alone; JSON for tools and agents.
    let out = run(
        &repo,
        &["explain", "src/auth/session.rs", "--format", "json"],
        0,
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["schema"], "agentguard.explain/v1");
    let path = &json["paths"][0];
    assert_eq!(path["in_scope"], true);
    assert_eq!(
        path["outcomes"],
        serde_json::json!(["allow", "approve:auth"])
    );
    assert_eq!(
        path["approvers"]["auth"],
        serde_json::json!(["lead@example.com"])
    );

    // A task the base does not define is said, not guessed.
    let out = run(&repo, &["explain", "src/x.rs", "--task", "T-99"], 0);
    assert!(
        out.contains("task `T-99` is not defined in the base"),
        "{out}"
    );
}

#[test]
fn policy_test_checks_the_examples_of_the_policy_being_edited() {
    let repo = repo();
    let out = run(&repo, &["policy", "test"], 0);
    assert!(
        out.contains("policy: .agentguard.toml in the work tree"),
        "{out}"
    );
    assert!(
        out.contains("ok    src/auth/login.rs: approve:auth"),
        "{out}"
    );
    assert!(out.contains("3 examples: 3 passed, 0 failed"), "{out}");

    // An uncommitted edit that stops protecting auth: the examples say so before a commit.
    repo.write(
        ".agentguard.toml",
        &format!("{POLICY}\n[risk.auth]\naction = \"warn\"\n"),
    );
    let out = run(&repo, &["policy", "test"], 1);
    assert!(
        out.contains("FAIL  src/auth/login.rs (.agentguard.toml:8): expected approve:auth; the policy says allow, warn:auth"),
        "{out}"
    );
    assert!(out.contains("3 examples: 1 passed, 2 failed"), "{out}");
    // The committed policy still holds.
    let out = run(&repo, &["policy", "test", "HEAD"], 0);
    assert!(out.contains("policy: .agentguard.toml at base"), "{out}");

    // A bad example is a policy error with its position.
    repo.write(
        ".agentguard.toml",
        "[[examples]]\npath = \"a.rs\"\nexpect = [\"approve:secrets\"]\n",
    );
    let out = run(&repo, &["policy", "test"], 2);
    assert!(out.contains(".agentguard.toml:3:"), "{out}");
    assert!(out.contains("unknown risk category `secrets`"), "{out}");

    // No examples: said, with how to add one.
    repo.write(".agentguard.toml", "");
    let out = run(&repo, &["policy", "test"], 0);
    assert!(out.contains("no [[examples]] in the policy"), "{out}");
}

#[test]
fn verify_fails_a_policy_edit_that_silently_stops_protecting_a_path() {
    let repo = repo();
    repo.checkout_new("loosen-auth");
    repo.write(
        ".agentguard.toml",
        &POLICY.replace(
            "[approvals]",
            "[risk.auth]\naction = \"warn\"\n\n[approvals]",
        ),
    );
    repo.commit_all("human: auth only warns");
    let out = run(&repo, &["verify", "--base", "main", "--no-run"], 2);
    assert!(
        out.contains("the policy no longer says what its examples say"),
        "{out}"
    );
    assert!(out.contains("FAIL  src/auth/login.rs"), "{out}");
    assert!(
        out.contains("expected approve:auth; the policy says allow, warn:auth"),
        "{out}"
    );
    assert!(out.contains("agentguard policy test"), "{out}");

    // Changing the examples with the rule is deliberate, visible in review: verify passes.
    repo.write(
        ".agentguard.toml",
        &POLICY
            .replace(
                "[approvals]",
                "[risk.auth]\naction = \"warn\"\n\n[approvals]",
            )
            .replace("\"approve:auth\"", "\"warn:auth\""),
    );
    repo.commit_all("human: and the examples say so");
    run(&repo, &["verify", "--base", "main", "--no-run"], 0);
}
