//! Where the sandbox cannot isolate: local runs (the hooks, `check`) run the commands, record
//! what they got and warn, unless `[acceptance] local_isolation = "required"`; `verify` always
//! fails closed.
//!
//! A user namespace whose network namespace limit is zero stands in for a machine that forbids
//! them (AppArmor, seccomp, a disabled sysctl): the sandbox's own probe finds it cannot isolate
//! the network, as it would there. Nothing in agentguard is told it is being tested.

use crate::require_user_namespaces;
use crate::support::{msg, text, TestRepo, TASK};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const LIMIT: &str = "echo 0 > /proc/sys/user/max_net_namespaces";

/// Makes sure this machine can make a user namespace without network namespaces; a machine
/// declared to lack user namespaces (`AGENTGUARD_TEST_NO_USERNS=1`) skips the test.
macro_rules! require_simulation {
    () => {
        require_user_namespaces!();
        let probe = Command::new("unshare")
            .args(["--user", "--map-root-user", "sh", "-c", LIMIT])
            .output()
            .expect("unshare runs");
        assert!(
            probe.status.success(),
            "cannot limit network namespaces inside a user namespace: {}",
            String::from_utf8_lossy(&probe.stderr)
        );
    };
}

/// `program args` in the repository, with the test's environment, where no network namespace
/// can be made.
fn without_netns(repo: &TestRepo, program: &Path, args: &[&str]) -> Output {
    let tmp = repo.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    repo.command("unshare")
        .env("TMPDIR", &tmp)
        .args(["--user", "--map-root-user", "sh", "-c"])
        .arg(format!("{LIMIT} && exec \"$0\" \"$@\""))
        .arg(program)
        .args(args)
        .output()
        .unwrap()
}

fn agentguard(repo: &TestRepo, args: &[&str]) -> Output {
    without_netns(repo, &assert_cmd::cargo::cargo_bin("agentguard"), args)
}

fn expect(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "{}", text(output));
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("JSON: {}", text(output)))
}

/// The network-isolation finding of the first judged commit.
fn isolation_finding(report: &Value) -> Value {
    let findings = report["commits"][0]["findings"].as_array().unwrap();
    findings
        .iter()
        .find(|f| f["category"] == "network-isolation")
        .cloned()
        .unwrap_or_else(|| panic!("no network-isolation finding: {report:#}"))
}

fn runs(report: &Value) -> Vec<Value> {
    report["commits"][0]["acceptance"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A base commit with `acceptance` as its policy's `[acceptance]` table, and an agent commit
/// on top whose acceptance command records that it ran.
fn repo_with(acceptance: &str) -> TestRepo {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", &format!("[acceptance]\n{acceptance}"));
    repo.commit_all("policy");
    repo.write("a.txt", "a\n");
    repo.commit_all(&msg(&[TASK, "Agent-Acceptance: test -f a.txt"]));
    repo
}

#[test]
fn check_runs_unisolated_with_a_warning_where_deny_cannot_be_honoured() {
    require_simulation!();
    // The default: network = "deny", local_isolation = "warn".
    let repo = repo_with("");
    let before = repo.state();
    let output = agentguard(&repo, &["check", "--format", "json"]);
    expect(&output, 0);
    let report = json(&output);
    let found = isolation_finding(&report);
    assert_eq!(found["action"], "warn", "{found:#}");
    let message = found["message"].as_str().unwrap();
    assert!(
        message.contains("max_net_namespaces"),
        "names the cause: {message}"
    );
    assert!(
        message.contains("verify"),
        "says CI still enforces: {message}"
    );
    assert!(
        message.contains("local_isolation"),
        "says how to block: {message}"
    );
    let run = &runs(&report)[0];
    assert_eq!(run["status"], "passed");
    assert_eq!(run["network"], "unrestricted", "recorded as it was");
    assert_eq!(run["repository"], "writable");
    assert_eq!(repo.state(), before);
}

#[test]
fn local_isolation_required_makes_check_block_as_before() {
    require_simulation!();
    for (acceptance, code, action) in [
        (
            "network = \"deny\"\nlocal_isolation = \"required\"\n",
            1,
            "block",
        ),
        // `auto` never asked for isolation it must have: it warns, required or not.
        (
            "network = \"auto\"\nlocal_isolation = \"required\"\n",
            0,
            "warn",
        ),
    ] {
        let repo = repo_with(acceptance);
        let output = agentguard(&repo, &["check", "--format", "json"]);
        expect(&output, code);
        let report = json(&output);
        let found = isolation_finding(&report);
        assert_eq!(found["action"], action, "{acceptance}: {found:#}");
        assert!(found["message"]
            .as_str()
            .unwrap()
            .contains("max_net_namespaces"));
        if action == "block" {
            assert!(runs(&report).is_empty(), "nothing runs unisolated");
        } else {
            assert_eq!(runs(&report)[0]["network"], "unrestricted");
        }
    }
}

/// Hooks installed on an agent branch of a repository with `acceptance` as its policy.
fn hooked(acceptance: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".agentguard.toml", &format!("[acceptance]\n{acceptance}"));
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    let output = repo.run(&["install"]);
    expect(&output, 0);
    repo.checkout_new("agent/work");
    repo.write("a.txt", "a\n");
    repo.git(&["add", "-A"]);
    repo
}

fn commit(repo: &TestRepo) -> Output {
    let message = msg(&[TASK, "Agent-Acceptance: test -f a.txt"]);
    without_netns(repo, Path::new("git"), &["commit", "-q", "-m", &message])
}

#[test]
fn hooks_commit_with_a_warning_and_verify_still_fails_closed() {
    require_simulation!();
    let repo = hooked("");
    let base = repo.git(&["rev-parse", "HEAD"]);
    let output = commit(&repo);
    expect(&output, 0);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: network = \"deny\" but the network cannot be isolated")
            && stderr.contains("max_net_namespaces"),
        "the person committing is told: {stderr}"
    );
    assert_ne!(
        repo.git(&["rev-parse", "HEAD"]),
        base,
        "the commit was made"
    );
    // The evidence says what the commands got.
    let note = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    let evidence: toml::Value = toml::from_str(&note).unwrap();
    let run = &evidence["acceptance"][0];
    assert_eq!(run["network"].as_str(), Some("unrestricted"), "{note}");
    assert_eq!(run["status"].as_str(), Some("passed"), "{note}");

    // CI without the sandbox refuses to vouch for it, whatever the local policy allowed.
    let output = agentguard(&repo, &["verify", "HEAD", "--format", "json"]);
    expect(&output, 1);
    let report = json(&output);
    let found = isolation_finding(&report);
    assert_eq!(found["action"], "block", "{found:#}");
    assert!(
        runs(&report).is_empty(),
        "nothing runs unisolated in verify"
    );

    // Where the sandbox works, verify re-runs the command isolated and passes.
    let output = repo.run(&["verify", "HEAD", "--format", "json"]);
    expect(&output, 0);
    assert_eq!(runs(&json(&output))[0]["network"], "denied");
}

#[test]
fn hooks_block_where_the_policy_requires_local_isolation() {
    require_simulation!();
    let repo = hooked("local_isolation = \"required\"\n");
    let base = repo.git(&["rev-parse", "HEAD"]);
    let output = commit(&repo);
    expect(&output, 1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("network-isolation") && stderr.contains("max_net_namespaces"),
        "{stderr}"
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), base, "no commit was made");
}

#[test]
fn an_unknown_local_isolation_value_is_a_policy_error() {
    let repo = repo_with("local_isolation = \"sometimes\"\n");
    let output = repo.run(&["check", "HEAD"]);
    expect(&output, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(".agentguard.toml") && stderr.contains("sometimes"),
        "{stderr}"
    );
}
