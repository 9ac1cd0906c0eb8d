//! Evidence notes: `check --record`, `show`, and `verify` requiring a note that agrees with a
//! fresh run.

use crate::support::{msg, text, TestRepo, TASK};
use serde_json::Value;

/// A base whose acceptance command prints the content of a flag file outside the repository
/// and passes while it says `ok`: the test can make a later fresh run disagree.
fn repo_with_acceptance() -> (TestRepo, std::path::PathBuf) {
    repo_with_acceptance_on("agent/work")
}

fn repo_with_acceptance_on(branch: &str) -> (TestRepo, std::path::PathBuf) {
    let repo = TestRepo::new();
    let flag = repo.scratch().join("flag");
    std::fs::write(&flag, "ok\n").unwrap();
    repo.write(
        ".agentguard.toml",
        &format!(
            "[acceptance]\ncommands = [\"cat {0} && grep -qx ok {0}\"]\n",
            flag.display()
        ),
    );
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    repo.checkout_new(branch);
    (repo, flag)
}

fn agent_commit(repo: &TestRepo, path: &str) -> String {
    repo.write(path, "print('work')\n");
    repo.commit_all(&msg(&[TASK, "Agent-Name: codex"]))
}

fn verify_json(repo: &TestRepo, args: &[&str]) -> (std::process::Output, Value) {
    let mut all = vec!["verify", "--format", "json"];
    all.extend_from_slice(args);
    let output = repo.run(&all);
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output, report)
}

fn evidence_categories(report: &Value) -> Vec<Vec<String>> {
    report["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["kind"] == "evidence")
                .map(|f| f["category"].as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn check_record_writes_a_toml_note_that_show_renders() {
    let (repo, _) = repo_with_acceptance();
    let commit = agent_commit(&repo, "src/app.py");
    let state = repo.state();
    let output = repo.run(&["check", "--record"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("evidence recorded"));
    assert_eq!(
        repo.state(),
        state,
        "recording evidence must not touch the work tree"
    );

    let note = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    let parsed: toml::Value = toml::from_str(&note).expect("the note is TOML");
    assert_eq!(parsed["schema"].as_str(), Some("agentguard.evidence/v1"));
    assert_eq!(parsed["commit"].as_str(), Some(commit.as_str()));
    assert_eq!(
        parsed["tree"].as_str().map(str::to_string),
        Some(repo.git(&["rev-parse", "HEAD^{tree}"]))
    );
    assert_eq!(parsed["verdict"].as_str(), Some("pass"));
    assert_eq!(parsed["task"].as_str(), Some("T-1"));
    assert_eq!(parsed["agent"].as_str(), Some("codex"));
    let run = &parsed["acceptance"][0];
    assert_eq!(run["exit_code"].as_integer(), Some(0));
    assert_eq!(run["network"].as_str(), Some("denied"));
    assert_eq!(run["worktree"].as_str(), Some("fresh"));
    assert_eq!(run["output_tail"].as_str(), Some("ok\n"));
    assert_eq!(run["output_sha256"].as_str().map(str::len), Some(64));
    assert!(parsed["fingerprint"]
        .as_str()
        .is_some_and(|f| f.len() == 64));
    assert!(parsed["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(parsed["tool"]
        .as_str()
        .is_some_and(|t| t.starts_with("agentguard ")));

    let output = repo.run(&["show"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let shown = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "task: T-1",
        "agent: codex",
        "recorded verdict: pass",
        "cat ",
        "│ ok",
        "no approvals",
    ] {
        assert!(
            shown.contains(expected),
            "missing {expected:?} in:\n{shown}"
        );
    }
    let output = repo.run(&["show", "--format", "json"]);
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["evidence"]["verdict"], "pass");
    assert_eq!(json["evidence_matches"], true);
}

#[test]
fn show_without_a_note_says_how_to_make_one() {
    let (repo, _) = repo_with_acceptance();
    agent_commit(&repo, "src/app.py");
    let output = repo.run(&["show"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.contains("no evidence note"), "{shown}");
    assert!(shown.contains("--record"), "{shown}");
}

#[test]
fn a_human_commit_records_nothing() {
    let (repo, _) = repo_with_acceptance();
    repo.git(&["checkout", "-q", "main"]);
    repo.write("notes.txt", "human\n");
    repo.commit_all("human change");
    let output = repo.run(&["check", "--record"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no evidence recorded"));
    assert!(!repo
        .git_output(&["notes", "--ref", "agentguard", "show", "HEAD"])
        .status
        .success());
}

#[test]
fn staged_record_writes_pending_evidence_keyed_by_tree() {
    let (repo, _) = repo_with_acceptance();
    repo.write("src/app.py", "x = 1\n");
    repo.git(&["add", "-A"]);
    let message = repo.scratch().join("MSG");
    std::fs::write(&message, msg(&[TASK])).unwrap();
    let output = repo.run(&[
        "check",
        "--staged",
        "--record",
        "--message-file",
        message.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let tree = repo.git(&["write-tree"]);
    let common = repo.git(&["rev-parse", "--git-common-dir"]);
    let pending = repo
        .path()
        .join(common)
        .join(format!("agentguard/pending/{tree}.toml"));
    let text = std::fs::read_to_string(&pending).expect("pending evidence");
    assert!(text.contains(&format!("tree = \"{tree}\"")), "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("commit = ")),
        "pending evidence has no commit yet:\n{text}"
    );
}

#[test]
fn verify_requires_evidence_for_each_agent_commit() {
    let (repo, _) = repo_with_acceptance();
    agent_commit(&repo, "src/a.py");
    agent_commit(&repo, "src/b.py");
    let (output, report) = verify_json(&repo, &["--base", "main"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(
        evidence_categories(&report),
        vec![vec!["missing"], vec!["missing"]]
    );
    let message = report["commits"][0]["findings"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("--record") && message.contains("agentguard sync"),
        "{message}"
    );
}

#[test]
fn verify_passes_with_recorded_evidence_and_ignores_human_commits() {
    // Not an agent branch: only the commit with trailers is agent work.
    let (repo, _) = repo_with_acceptance_on("feature");
    agent_commit(&repo, "src/a.py");
    repo.run(&["check", "--record"]);
    repo.write("docs.md", "human\n");
    repo.commit_all("human docs");
    let (output, report) = verify_json(&repo, &["main..HEAD"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(report["commits"].as_array().unwrap().len(), 2);
    assert_eq!(report["commits"][1]["agent"], false);
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["commits"][0]["acceptance"][0]["exit_code"], 0);
}

#[test]
fn verify_blocks_when_the_fresh_run_contradicts_the_note() {
    let (repo, flag) = repo_with_acceptance();
    agent_commit(&repo, "src/a.py");
    repo.run(&["check", "--record"]);
    std::fs::write(&flag, "broken\n").unwrap();
    let (output, report) = verify_json(&repo, &["--base", "main"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let finding = report["commits"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["category"] == "contradicted")
        .cloned()
        .expect("a contradicted finding");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("passed when recorded but exited with code 1 now"),
        "{finding}"
    );
    let detail = finding["detail"].as_str().unwrap();
    assert!(
        detail.lines().next().unwrap().starts_with("recorded"),
        "{detail}"
    );
    assert!(
        detail.contains("ok") && detail.contains("| broken"),
        "{detail}"
    );

    // The human report shows both sides.
    let output = repo.run(&["verify", "--base", "main"]);
    let human = String::from_utf8_lossy(&output.stdout);
    assert!(human.contains("| broken"), "{human}");
}

#[test]
fn a_note_copied_from_another_commit_does_not_vouch() {
    let (repo, _) = repo_with_acceptance();
    let first = agent_commit(&repo, "src/a.py");
    repo.run(&["check", "--record"]);
    agent_commit(&repo, "src/b.py");
    repo.git(&["notes", "--ref", "agentguard", "copy", &first, "HEAD"]);
    let (output, report) = verify_json(&repo, &["--base", "main"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(
        evidence_categories(&report),
        vec![Vec::<String>::new(), vec!["wrong-tree".to_string()]]
    );
    let output = repo.run(&["show"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("does not vouch for this commit"));
}

#[test]
fn a_corrupt_note_is_named_never_a_panic() {
    let (repo, _) = repo_with_acceptance();
    agent_commit(&repo, "src/a.py");
    let bodies: [&[u8]; 3] = [
        b"schema = [unclosed",
        b"\x00\x01\xffbinary",
        b"schema = \"agentguard.evidence/v9\"\n",
    ];
    for body in bodies {
        let file = repo.scratch().join("corrupt-note");
        std::fs::write(&file, body).unwrap();
        repo.git(&[
            "notes",
            "--ref",
            "agentguard",
            "add",
            "-f",
            "-F",
            file.to_str().unwrap(),
            "HEAD",
        ]);
        let (output, report) = verify_json(&repo, &["--base", "main"]);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        assert_eq!(evidence_categories(&report), vec![vec!["corrupt"]]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        let output = repo.run(&["show"]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        assert!(String::from_utf8_lossy(&output.stderr).contains("is corrupt"));
    }
}

#[test]
fn a_forged_passing_note_does_not_hide_what_the_change_does() {
    let (repo, _) = repo_with_acceptance();
    repo.write(".agentguard.toml", "[scope]\ndeny = [\"secrets/\"]\n");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_all("deny secrets");
    repo.git(&["checkout", "-q", "-B", "agent/work"]);
    agent_commit(&repo, "src/a.py");
    repo.run(&["check", "--record"]);
    let good = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    // The agent amends in a denied file and re-attaches the old passing note with the new tree.
    repo.write("secrets/key.txt", "x\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--amend", "--no-edit", "--no-verify"]);
    let old_tree = toml::from_str::<toml::Value>(&good).unwrap()["tree"]
        .as_str()
        .unwrap()
        .to_string();
    let forged = good.replace(&old_tree, &repo.git(&["rev-parse", "HEAD^{tree}"]));
    repo.git(&[
        "notes",
        "--ref",
        "agentguard",
        "add",
        "-f",
        "-m",
        &forged,
        "HEAD",
    ]);
    let (output, report) = verify_json(&repo, &["--base", "main"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let kinds: Vec<&str> = report["commits"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"scope"), "{kinds:?}");
}

#[test]
fn verify_without_a_base_says_what_to_pass_and_never_uses_the_upstream() {
    let (repo, _) = repo_with_acceptance();
    agent_commit(&repo, "src/a.py");
    let output = repo.run(&["verify"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no base to verify against"), "{stderr}");
    assert!(stderr.contains("--base"), "{stderr}");

    // An upstream is not a base: after a push it is the branch itself.
    repo.git(&["branch", "--set-upstream-to", "main"]);
    let output = repo.run(&["verify"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));

    // The remote's default branch is.
    repo.git(&["remote", "add", "origin", "/nonexistent"]);
    repo.git(&["update-ref", "refs/remotes/origin/main", "main"]);
    repo.git(&[
        "symbolic-ref",
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/main",
    ]);
    let (output, report) = verify_json(&repo, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(report["commits"].as_array().unwrap().len(), 1);

    let output = repo.run(&["verify", "nope..HEAD"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}

#[test]
fn an_empty_range_is_nothing_to_verify_unless_allowed() {
    let (repo, _) = repo_with_acceptance();
    let output = repo.run(&["verify", "--base", "HEAD"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("nothing to verify: HEAD..HEAD has no commits"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-empty"), "{stderr}");
    let output = repo.run(&["verify", "--base", "HEAD", "--allow-empty"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("no commits in HEAD..HEAD"));
}

#[test]
fn verify_reads_policy_from_the_merge_base() {
    let (repo, _) = repo_with_acceptance();
    // The first agent commit loosens the policy (and is flagged for it); the second relies on
    // the loosened policy, which verify must not honour.
    repo.write(".agentguard.toml", "[scope]\nallow = [\"**\"]\n");
    repo.commit_all(&msg(&[TASK]));
    agent_commit(&repo, "src/a.py");
    let (_, report) = verify_json(&repo, &["--base", "main", "--no-run"]);
    let policy = report["commits"][1]["policy"].as_str().unwrap();
    let base = repo.git(&["rev-parse", "--short=10", "main"]);
    assert!(
        policy.contains(&base),
        "{policy} should name the merge base {base}"
    );
}

#[test]
fn record_without_running_acceptance_is_not_enough_for_verify() {
    let (repo, _) = repo_with_acceptance();
    agent_commit(&repo, "src/a.py");
    repo.run(&["check", "--record", "--no-run"]);
    let (output, report) = verify_json(&repo, &["--base", "main"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(evidence_categories(&report), vec![vec!["not-run"]]);
}
