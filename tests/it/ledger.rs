//! The ledger: what `check` records, `log` with its filters and formats, `report` with
//! rolled-back work, concurrent appends, and a damaged ledger.

use crate::support::{msg, TestRepo};
use agentguard::internals::ledger::{self, Entry, EntryRun};
use serde_json::Value;
use std::path::PathBuf;

/// A policy denying `secrets/`, then an agent commit of task t1 by codex touching it.
fn blocked_attempt() -> (TestRepo, String) {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[scope]\ndeny = [\"secrets/\"]\n");
    repo.commit_all("policy");
    repo.write("secrets/key.txt", "x\n");
    let commit = repo.commit_all(&msg(&["Agent-Task: t1", "Agent-Name: codex"]));
    repo.agentguard()
        .args(["check", "--no-run"])
        .assert()
        .code(1);
    (repo, commit)
}

/// An agent commit of task t2 by claude-code that passes.
fn passing_attempt(repo: &TestRepo) -> String {
    repo.write("src/ok.rs", "pub fn ok() {}\n");
    let commit = repo.commit_all(&msg(&["Agent-Task: t2", "Agent-Name: claude-code"]));
    repo.agentguard()
        .args(["check", "--no-run"])
        .assert()
        .code(0);
    commit
}

fn common_dir(repo: &TestRepo) -> PathBuf {
    repo.path().join(".git")
}

fn ledger_file(repo: &TestRepo) -> PathBuf {
    ledger::path(&common_dir(repo))
}

/// Runs agentguard, asserts exit 0, returns (stdout, stderr).
fn run_ok(repo: &TestRepo, args: &[&str]) -> (String, String) {
    let output = repo.agentguard().args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

fn log_json(repo: &TestRepo, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["log", "--format", "json"];
    all.extend_from_slice(args);
    let (stdout, _) = run_ok(repo, &all);
    serde_json::from_str::<Value>(&stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn report_json(repo: &TestRepo) -> Value {
    let (stdout, _) = run_ok(repo, &["report", "--format", "json"]);
    serde_json::from_str(&stdout).unwrap()
}

fn field<'a>(entries: &'a [Value], key: &str) -> Vec<&'a str> {
    entries
        .iter()
        .map(|e| e[key].as_str().unwrap_or_default())
        .collect()
}

#[test]
fn a_blocked_attempt_is_logged_with_task_agent_and_findings() {
    let (repo, commit) = blocked_attempt();
    let entries = log_json(&repo, &[]);
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let e = &entries[0];
    assert_eq!(e["command"], "check");
    assert_eq!(e["commit"], commit.as_str());
    assert_eq!(e["task"], "t1");
    assert_eq!(e["agent"], "codex");
    assert_eq!(e["branch"], "main");
    assert_eq!(e["verdict"], "block");
    assert_eq!(e["agent_work"], true);
    assert_eq!(e["version"], env!("CARGO_PKG_VERSION"));
    assert!(e["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(e["findings"][0]["kind"], "scope");
    assert_eq!(e["findings"][0]["category"], "denied");
    assert_eq!(e["findings"][0]["path"], "secrets/key.txt");
    assert_eq!(e["findings"][0]["action"], "block");

    let (human, stderr) = run_ok(&repo, &["log"]);
    assert!(stderr.is_empty(), "{stderr}");
    let first = human.lines().next().unwrap();
    for part in [
        "check",
        &commit[..7],
        "block",
        "task t1",
        "agent codex",
        "on main",
    ] {
        assert!(first.contains(part), "`{part}` missing in {human}");
    }
    assert!(human.contains("1 blocking: scope/denied"), "{human}");
}

#[test]
fn human_commits_and_errors_are_recorded_too() {
    let repo = TestRepo::with_initial_commit();
    repo.agentguard().args(["check"]).assert().code(0);
    repo.agentguard()
        .args(["check", "no-such-rev"])
        .assert()
        .code(2);
    let entries = log_json(&repo, &[]);
    assert_eq!(field(&entries, "verdict"), ["error", "pass"]);
    assert!(entries[0]["error"]
        .as_str()
        .unwrap()
        .contains("no-such-rev"));
    assert!(entries[1].get("agent_work").is_none());
    let report = report_json(&repo);
    assert_eq!(report["human_passes"], 1);
}

#[test]
fn twelve_concurrent_checks_append_twelve_whole_lines() {
    let (repo, _) = blocked_attempt();
    std::fs::remove_file(ledger_file(&repo)).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..12 {
            scope.spawn(|| {
                repo.agentguard()
                    .args(["check", "--no-run", "--format", "json"])
                    .assert()
                    .code(1);
            });
        }
    });
    let text = std::fs::read_to_string(ledger_file(&repo)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 12, "{text}");
    for line in lines {
        let entry: Value = serde_json::from_str(line).unwrap();
        assert_eq!(entry["verdict"], "block");
        assert_eq!(entry["task"], "t1");
    }
    assert!(text.ends_with('\n'));
}

#[test]
fn corrupt_and_torn_lines_are_skipped_with_a_warning() {
    let (repo, _) = blocked_attempt();
    let file = ledger_file(&repo);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("this is not json\n");
    text.push_str("{\"command\":\"check\",\"findings\":\"wrong type\"}\n");
    text.push_str("{\"command\":\"check\",\"verdict\":\"pa");
    std::fs::write(&file, text).unwrap();
    // The next run starts a fresh line after the torn one.
    passing_attempt(&repo);

    let (human, stderr) = run_ok(&repo, &["log"]);
    assert!(
        stderr.contains("ledger.jsonl:2: skipped: not a ledger entry"),
        "{stderr}"
    );
    assert!(stderr.contains("ledger.jsonl:3: skipped"), "{stderr}");
    assert!(
        stderr.contains("ledger.jsonl:4: skipped: not a ledger entry"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 3, "{stderr}");
    assert!(
        human.contains("task t1") && human.contains("task t2"),
        "{human}"
    );

    let entries = log_json(&repo, &[]);
    assert_eq!(field(&entries, "task"), ["t2", "t1"]);
    let report = report_json(&repo);
    assert_eq!(report["skipped_lines"], 3);
}

#[test]
fn a_bypass_is_shown_in_log_and_report() {
    let repo = TestRepo::with_initial_commit();
    let entry = Entry::bypass(
        "hook pre-commit",
        "hotfix for the outage",
        "Jane Doe <jane@example.com>",
        None,
        None,
    );
    ledger::append(&common_dir(&repo), &entry).unwrap();
    let (human, _) = run_ok(&repo, &["log"]);
    assert!(human.contains("hook pre-commit"), "{human}");
    assert!(human.contains("bypass"), "{human}");
    assert!(
        human.contains("skipped by Jane Doe <jane@example.com>: hotfix for the outage"),
        "{human}"
    );
    let entries = log_json(&repo, &[]);
    assert_eq!(entries[0]["bypass"]["reason"], "hotfix for the outage");
    assert_eq!(entries[0]["bypass"]["who"], "Jane Doe <jane@example.com>");
    let report = report_json(&repo);
    assert_eq!(report["tasks"][0]["name"], "(none)");
    assert_eq!(report["tasks"][0]["bypasses"], 1);
}

#[test]
fn a_reset_away_agent_commit_is_reported_as_rolled_back() {
    let (repo, blocked) = blocked_attempt();
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let kept = passing_attempt(&repo);
    let report = report_json(&repo);
    let rollbacks = report["rollbacks"].as_array().unwrap();
    assert_eq!(rollbacks.len(), 1, "{report:#}");
    let r = &rollbacks[0];
    assert_eq!(r["commit"], blocked.as_str());
    assert_eq!(r["cause"], "unreachable");
    assert_eq!(r["task"], "t1");
    assert_eq!(r["agent"], "codex");
    assert_eq!(r["last_verdict"], "block");
    assert_eq!(r["findings"][0]["category"], "denied");
    assert_ne!(r["commit"], kept.as_str());
    let t1 = report["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "t1")
        .unwrap();
    assert_eq!(t1["rolled_back"], 1);
    assert_eq!(t1["blocks"], 1);
    assert_eq!(t1["blocked_by"]["scope/denied"], 1);

    let (human, _) = run_ok(&repo, &["report"]);
    let section = human.split("\nrolled back\n").nth(1).unwrap();
    assert!(section.contains(&blocked[..7]), "{human}");
    assert!(
        section.contains("discarded: no ref or HEAD reaches it"),
        "{human}"
    );
    assert!(section.contains("block (scope/denied)"), "{human}");
    assert!(!section.contains(&kept[..7]), "{human}");

    // A branch that still holds the commit keeps it in the history.
    repo.git(&["branch", "keep", &blocked]);
    let report = report_json(&repo);
    assert_eq!(
        report["rollbacks"].as_array().unwrap().len(),
        0,
        "{report:#}"
    );
}

#[test]
fn an_amended_agent_commit_is_reported_as_rewritten() {
    let (repo, blocked) = blocked_attempt();
    repo.git(&["commit", "-q", "--amend", "--no-verify", "-m", "amended"]);
    let new = repo.git(&["rev-parse", "HEAD"]);
    // The reflog and a branch still reach the old commit; the rewrite record is what counts.
    repo.git(&["branch", "old", &blocked]);
    let pairs = [(
        git2::Oid::from_str(&blocked).unwrap(),
        git2::Oid::from_str(&new).unwrap(),
    )];
    ledger::append(&common_dir(&repo), &Entry::rewrite("amend", &pairs)).unwrap();
    let report = report_json(&repo);
    let r = &report["rollbacks"][0];
    assert_eq!(r["commit"], blocked.as_str());
    assert_eq!(r["cause"], "rewritten");
    assert_eq!(r["kind"], "amend");
    assert_eq!(r["new"], new.as_str());
    let (human, _) = run_ok(&repo, &["log"]);
    assert!(
        human.contains(&format!("amend {} -> {}", &blocked[..7], &new[..7])),
        "{human}"
    );
}

#[test]
fn log_filters_by_task_agent_verdict_and_time() {
    let (repo, _) = blocked_attempt();
    passing_attempt(&repo);
    let old = Entry {
        time: "2020-06-01T12:00:00Z".into(),
        task: Some("t0".into()),
        agent: Some("codex".into()),
        ..Entry::error("hook pre-commit", "policy broken", None, None)
    };
    ledger::append(&common_dir(&repo), &old).unwrap();

    let tasks = |args: &[&str]| {
        log_json(&repo, args)
            .iter()
            .map(|e| e["task"].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(tasks(&[]), ["t0", "t2", "t1"]);
    assert_eq!(tasks(&["--task", "t1"]), ["t1"]);
    assert_eq!(tasks(&["--agent", "codex"]), ["t0", "t1"]);
    assert_eq!(tasks(&["--agent", "claude-code"]), ["t2"]);
    assert_eq!(tasks(&["--verdict", "pass"]), ["t2"]);
    assert_eq!(tasks(&["--verdict", "block"]), ["t1"]);
    assert_eq!(tasks(&["--since", "2021-01-01"]), ["t2", "t1"]);
    assert_eq!(
        tasks(&["--since", "2020-06-01T11:59:59Z"]),
        ["t0", "t2", "t1"]
    );
    assert!(tasks(&["--since", "2999-01-01"]).is_empty());
    assert!(tasks(&["--task", "t1", "--agent", "claude-code"]).is_empty());
    let (human, _) = run_ok(&repo, &["log", "--task", "nothing"]);
    assert!(human.is_empty(), "{human}");

    let output = repo
        .agentguard()
        .args(["log", "--since", "last tuesday"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`last tuesday` is not a date"), "{stderr}");
    assert!(
        stderr.contains("hint: give a date as YYYY-MM-DD"),
        "{stderr}"
    );
}

#[test]
fn json_otel_and_markdown_outputs_parse() {
    let (repo, _) = blocked_attempt();
    let failing = Entry {
        task: Some("t3".into()),
        agent: Some("cursor".into()),
        agent_work: true,
        verdict: ledger::LineVerdict::Judged(agentguard::internals::verdict::Verdict::Block),
        acceptance: vec![
            EntryRun {
                command: "cargo test".into(),
                phase: "acceptance".into(),
                status: "failed".into(),
                exit_code: Some(101),
                duration_ms: 4200,
                network: "denied".into(),
                ..EntryRun::default()
            },
            EntryRun {
                command: "make lint".into(),
                phase: "acceptance".into(),
                status: "passed".into(),
                exit_code: Some(0),
                duration_ms: 900,
                network: "denied".into(),
                ..EntryRun::default()
            },
        ],
        ..Entry::new("verify")
    };
    ledger::append(&common_dir(&repo), &failing).unwrap();

    let (otel, _) = run_ok(&repo, &["log", "--format", "otel"]);
    let records: Vec<Value> = otel
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    for r in &records {
        assert!(r["timeUnixNano"].as_str().unwrap().parse::<u128>().unwrap() > 0);
        assert_eq!(r["severityText"], "WARN");
        assert!(r["body"]["stringValue"]
            .as_str()
            .unwrap()
            .starts_with("agentguard "));
        for a in r["attributes"].as_array().unwrap() {
            assert!(a["key"].as_str().unwrap().starts_with("agentguard."), "{a}");
        }
    }
    let attr = |r: &Value, key: &str| {
        r["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| a["value"].clone())
    };
    assert_eq!(
        attr(&records[0], "agentguard.acceptance.failed").unwrap()["intValue"],
        "1"
    );
    assert_eq!(
        attr(&records[1], "agentguard.task").unwrap()["stringValue"],
        "t1"
    );

    let (human, _) = run_ok(&repo, &["log", "--task", "t3"]);
    assert!(
        human.contains("acceptance failed: `cargo test` (exit 101, 4.2s)"),
        "{human}"
    );

    let report = report_json(&repo);
    assert_eq!(report["schema"], "agentguard.ledger-report/v1");
    let t3 = report["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "t3")
        .unwrap();
    assert_eq!(t3["acceptance_runs"], 2);
    assert_eq!(t3["acceptance_failure_rate"], 0.5);
    assert_eq!(t3["slowest"][0]["command"], "cargo test");
    assert_eq!(report["agents"].as_array().unwrap().len(), 2);

    let (human, _) = run_ok(&repo, &["report"]);
    assert!(
        human.contains("acceptance: 2 runs, 1 failed (50%)"),
        "{human}"
    );
    assert!(human.contains("blocked by: scope/denied ×1"), "{human}");
    let (markdown, _) = run_ok(&repo, &["report", "--format", "markdown"]);
    assert!(
        markdown.starts_with("# agentguard ledger report"),
        "{markdown}"
    );
    assert!(markdown.contains("| t1 | 1 | 0 | 1 |"), "{markdown}");
}

#[test]
fn an_empty_or_missing_ledger_is_empty() {
    let repo = TestRepo::with_initial_commit();
    let (human, _) = run_ok(&repo, &["log"]);
    assert!(human.starts_with("the ledger is empty"), "{human}");
    assert!(log_json(&repo, &[]).is_empty());
    let (otel, _) = run_ok(&repo, &["log", "--format", "otel"]);
    assert!(otel.is_empty());
    std::fs::create_dir_all(common_dir(&repo).join("agentguard")).unwrap();
    std::fs::write(ledger_file(&repo), "").unwrap();
    let (human, stderr) = run_ok(&repo, &["log"]);
    assert!(human.starts_with("the ledger is empty"), "{human}");
    assert!(stderr.is_empty());
    let (report, _) = run_ok(&repo, &["report"]);
    assert!(report.contains("no agent work recorded"), "{report}");
}

#[test]
fn a_file_where_the_ledger_directory_belongs() {
    let repo = TestRepo::with_initial_commit();
    std::fs::write(common_dir(&repo).join("agentguard"), "not a directory").unwrap();
    repo.write("src/lib.rs", "x\n");
    repo.commit_all(&msg(&["Agent-Task: t1"]));
    // The verdict stands; the ledger problem is a warning.
    let output = repo
        .agentguard()
        .args(["check", "--no-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("warning: the ledger directory"), "{stderr}");

    for command in ["log", "report"] {
        let output = repo.agentguard().arg(command).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("is not a directory"), "{stderr}");
        assert!(
            stderr.contains("hint: move the file out of the way"),
            "{stderr}"
        );
    }
}
