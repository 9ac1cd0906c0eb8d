//! Hostile changes: what an agent might commit to get past the judge. Each case asserts the
//! exit code, a message that names the problem, no panic, and an untouched repository.

use crate::support::{finding_keys_of, msg, text, TestRepo, TASK};
use serde_json::Value;

/// `check --format json` with the repository's state asserted unchanged and no panic.
fn judge(repo: &TestRepo, args: &[&str], code: i32) -> Value {
    let before = repo.state();
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    let output = repo.run(&all);
    assert_eq!(output.status.code(), Some(code), "{}", text(&output));
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("panicked"),
        "{}",
        text(&output)
    );
    assert_eq!(repo.state(), before, "the check changed the repository");
    serde_json::from_slice(&output.stdout).expect("a JSON report")
}

fn deny_secrets() -> TestRepo {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[scope]\ndeny = [\"secrets/\"]\n");
    repo.commit_all("policy");
    repo
}

#[test]
fn files_named_like_options_are_judged_as_paths() {
    let repo = deny_secrets();
    repo.write("-rf", "x\n");
    repo.write("--exec=touch pwned", "x\n");
    repo.write("secrets/-n", "x\n");
    repo.commit_all(&msg(&[TASK]));
    let report = judge(&repo, &["HEAD", "--no-run"], 1);
    let scope = finding_keys_of(&report, "scope");
    assert_eq!(scope.len(), 1, "{scope:?}");
    assert_eq!(scope[0].2, "secrets/-n");
    assert!(!repo.path().join("pwned").exists());
}

#[test]
fn a_case_only_rename_into_a_denied_directory_blocks_at_both_paths() {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[scope]\ndeny = [\"secrets/\"]\n");
    repo.write("Secrets.txt", "x\n");
    repo.commit_all("policy");
    // Renamed by case only, and moved under a denied directory spelled in another case.
    std::fs::create_dir_all(repo.path().join("SECRETS")).unwrap();
    repo.git(&["mv", "Secrets.txt", "SECRETS/secrets.txt"]);
    repo.commit_all(&msg(&[TASK]));
    let report = judge(&repo, &["HEAD", "--no-run"], 1);
    let scope = finding_keys_of(&report, "scope");
    assert!(
        scope.iter().any(|(_, _, p)| p == "SECRETS/secrets.txt"),
        "deny lists ignore case: {scope:?}"
    );
}

#[test]
fn thousands_of_trailers_are_all_read() {
    let repo = TestRepo::with_initial_commit();
    let mut trailers: Vec<String> = vec![TASK.to_string()];
    trailers.extend((0..5000).map(|i| format!("Agent-Allow: src/module{i}/**")));
    trailers.push("Agent-Allow: docs/**".to_string());
    let refs: Vec<&str> = trailers.iter().map(String::as_str).collect();
    repo.write("docs/a.md", "x\n");
    // Too long for one argument: the message goes through a file, as an editor would write it.
    let file = repo.scratch().join("MSG");
    std::fs::write(&file, msg(&refs)).unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-F", file.to_str().unwrap()]);
    // Every allow trailer is one layer's globs: docs/** is among them. (How fast is for the
    // trailer benchmark in benches/hot_paths.rs.)
    judge(&repo, &["HEAD", "--no-run"], 0);
}

#[test]
fn hostile_trailer_values_are_data_never_code() {
    let repo = TestRepo::with_initial_commit();
    let planted = repo.path().join("planted");
    repo.write("a.txt", "a\n");
    repo.commit_all(&msg(&[
        "Agent-Task: T-1; touch planted",
        "Agent-Name: $(touch planted)\u{1b}[2J",
        &format!("Agent-Allow: {}", "x".repeat(100_000)),
    ]));
    let report = judge(&repo, &["HEAD", "--no-run"], 1);
    assert!(!planted.exists(), "a trailer value was executed");
    let metadata = finding_keys_of(&report, "metadata");
    assert!(
        metadata.iter().any(|(_, c, _)| c == "invalid-task"),
        "{metadata:?}"
    );
    // The human report shows the escape sequence escaped.
    let output = repo.run(&["check", "HEAD", "--no-run"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
}

#[test]
fn an_acceptance_trailer_with_shell_metacharacters_runs_only_in_the_sandbox() {
    let repo = TestRepo::with_initial_commit();
    repo.write("a.txt", "a\n");
    // The command runs (trailers may add checks), but in a checkout, with the user's
    // repository read-only and nothing outside the checkout writable.
    let target = repo.path().join("README.md");
    repo.commit_all(&msg(&[
        TASK,
        &format!(
            "Agent-Acceptance: true; rm -rf ~ 2>/dev/null; echo gone > {}; true",
            target.display()
        ),
    ]));
    let before = repo.read("README.md");
    judge(&repo, &["HEAD"], 0);
    assert_eq!(repo.read("README.md"), before);
    assert!(repo.home().join(".gitconfig").exists(), "HOME survived");
}

#[test]
fn a_hundred_megabyte_file_is_judged() {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[scope]\ndeny = [\"secrets/\"]\n");
    repo.commit_all("policy");
    // Mostly binary: what a model checkpoint or a database dump looks like.
    let mut blob = vec![0u8; 100 * 1024 * 1024];
    for (i, b) in blob.iter_mut().enumerate().step_by(4099) {
        *b = (i % 251) as u8;
    }
    repo.write_bytes("secrets/model.bin", &blob);
    drop(blob);
    repo.commit_all(&msg(&[TASK]));
    let report = judge(&repo, &["HEAD", "--no-run"], 1);
    assert_eq!(finding_keys_of(&report, "scope").len(), 1);
}

#[test]
fn an_empty_agent_commit_and_an_agent_root_commit_are_judged() {
    let repo = TestRepo::new();
    repo.write("secrets/k", "x\n");
    repo.commit_all(&msg(&[TASK, "Agent-Deny: secrets/"]));
    let report = judge(&repo, &["HEAD", "--no-run"], 1);
    assert_eq!(report["commits"][0]["base"], Value::Null);
    assert_eq!(finding_keys_of(&report, "scope").len(), 1);
    repo.commit_all(&msg(&[TASK]));
    judge(&repo, &["HEAD", "--no-run"], 0);
}
