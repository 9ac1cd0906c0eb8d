//! The path a change took, as evidence: the blocked attempts before a commit (from a real
//! ledger, written by the real hooks), the agent's own session (Codex CLI and Claude Code
//! transcripts built here, as those tools write them), the way back (reverts that apply and
//! one that conflicts, tried in memory), `agentguard rollback`, and the OTLP shipping of the
//! ledger to a collector that goes away and comes back.

use crate::support::{msg, text, TestRepo, TASK};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A fake secret, built at run time so no scanner flags this file.
fn token() -> String {
    format!("ghp_{}", "x7Qm2LpR9vK4tZ8wN3cF6hJ1yB5dS0gTaE2u")
}

/// A base on `main` whose acceptance command fails while `src/` says BUGGY, that denies
/// `secrets/`, with the hooks installed; then an agent branch.
fn repo_with_hooks() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        ".agentguard.toml",
        "[scope]\ndeny = [\"secrets/\"]\n\n[acceptance]\ncommands = [\"sh check.sh\"]\n",
    );
    repo.write("check.sh", "echo checking; ! grep -rqs BUGGY src\n");
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    let output = repo.run(&["install"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo.checkout_new("agent/t1");
    repo
}

/// `git commit` through the hooks with an agent message; returns whether it was made.
fn commit_through_hooks(repo: &TestRepo, trailers: &[&str]) -> bool {
    repo.git(&["add", "-A"]);
    let tmp = repo.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let output = repo
        .git_command()
        .args(["commit", "-q", "-m", &msg(trailers)])
        .env("TMPDIR", tmp)
        .output()
        .unwrap();
    output.status.success()
}

fn note(repo: &TestRepo, rev: &str) -> toml::Value {
    let text = repo.git(&["notes", "--ref", "agentguard", "show", rev]);
    toml::from_str(&text).expect("the note is TOML")
}

fn show(repo: &TestRepo, rev: &str) -> String {
    let output = repo.run(&["--color", "never", "show", rev]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn blocked_attempts_travel_with_the_commit_and_show_tells_the_story() {
    crate::require_user_namespaces!();
    let repo = repo_with_hooks();
    let trailers = [TASK, "Agent-Name: claude-code"];

    // Attempt 1: the acceptance command fails.
    repo.write("src/lib.rs", "BUGGY\n");
    assert!(!commit_through_hooks(&repo, &trailers));
    // Attempt 2: the fix, but a file in a denied path.
    repo.write("src/lib.rs", "fixed\n");
    repo.write("secrets/token.txt", "not really\n");
    assert!(!commit_through_hooks(&repo, &trailers));
    // Attempt 3: a person commits the fix with the hooks skipped.
    repo.remove("secrets/token.txt");
    repo.git(&["add", "-A"]);
    let output = repo
        .git_command()
        .args(["commit", "-q", "-m", &msg(&trailers)])
        .env("AGENTGUARD_SKIP", "hotfix")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let skipped = repo.git(&["rev-parse", "HEAD"]);
    // Then a commit that passes.
    repo.write("src/more.rs", "more\n");
    assert!(commit_through_hooks(&repo, &trailers));
    let state = repo.state();

    let evidence = note(&repo, "HEAD");
    let attempts = &evidence["attempts"];
    assert_eq!(attempts["branch"].as_str(), Some("agent/t1"));
    let entries = attempts["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{attempts:#?}");
    let failed = &entries[0]["failed"][0];
    assert_eq!(failed["command"].as_str(), Some("sh check.sh"));
    assert_eq!(failed["exit_code"].as_integer(), Some(1));
    assert_eq!(failed["output_last_line"].as_str(), Some("checking"));
    assert_eq!(failed["output_sha256"].as_str().map(str::len), Some(64));
    assert_eq!(entries[1]["command"].as_str(), Some("hook pre-commit"));
    let scope = entries[1]["blocked_by"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"].as_str() == Some("scope"))
        .expect("blocked by scope");
    assert_eq!(scope["path"].as_str(), Some("secrets/token.txt"));
    assert_eq!(entries[2]["verdict"].as_str(), Some("bypass"));
    assert_eq!(entries[2]["bypass_reason"].as_str(), Some("hotfix"));
    assert_eq!(entries[2]["committed"].as_str(), Some(skipped.as_str()));
    let head = repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(
        evidence["rollback"]["command"].as_str(),
        Some(format!("git revert {head}").as_str())
    );
    assert_eq!(evidence["rollback"]["target"].as_str(), Some("main"));
    assert_eq!(evidence["rollback"]["applies"].as_str(), Some("clean"));

    let story = show(&repo, "HEAD");
    assert!(story.contains("the path it took"), "{story}");
    assert!(
        story.contains("3 earlier attempts did not pass on agent/t1"),
        "{story}"
    );
    assert!(
        story.contains("hook commit-msg: blocked by `sh check.sh` failed (exit 1, output sha256"),
        "{story}"
    );
    assert!(story.contains("): checking"), "{story}");
    assert!(story.contains("hook pre-commit: blocked by "), "{story}");
    assert!(story.contains("scope/denied secrets/token.txt"), "{story}");
    assert!(story.contains("hooks skipped by "), "{story}");
    assert!(
        story.contains(&format!("— “hotfix” (committed as {})", &skipped[..10])),
        "{story}"
    );
    assert!(
        story.contains(&format!(
            "the way back: `git revert {head}` applies cleanly to main"
        )),
        "{story}"
    );
    assert_eq!(repo.state(), state, "show never touches the work tree");

    // The next commit passes the first time, and says so.
    repo.write("src/most.rs", "most\n");
    assert!(commit_through_hooks(&repo, &trailers));
    let next = note(&repo, "HEAD");
    assert_eq!(
        next["attempts"]["entries"].as_array().map(Vec::len),
        Some(0)
    );
    assert_eq!(
        next["attempts"]["previous_commit"].as_str(),
        Some(head.as_str())
    );
    assert!(show(&repo, "HEAD").contains("passed the first time on agent/t1"));

    // verify carries the path into its reports.
    let output = repo.run(&["verify", "main..HEAD", "--format", "markdown"]);
    let markdown = String::from_utf8_lossy(&output.stdout);
    assert!(
        markdown.contains("**The path it took**"),
        "{}",
        text(&output)
    );
    assert!(
        markdown.contains("3 earlier attempts did not pass"),
        "{markdown}"
    );
    let output = repo.run(&["verify", "main..HEAD", "--format", "junit"]);
    let junit = String::from_utf8_lossy(&output.stdout);
    assert!(junit.contains("name=\"path taken\""), "{junit}");
    assert!(junit.contains("applies cleanly to main"), "{junit}");
    let output = repo.run(&["verify", "main..HEAD", "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let commits = sarif["runs"][0]["properties"]["commits"]
        .as_array()
        .unwrap();
    // The commit made with the hooks skipped has no evidence; its way back is still tried.
    assert_eq!(commits.len(), 3, "{sarif:#}");
    assert!(commits[0].get("attempts").is_none());
    assert_eq!(commits[1]["attempts"], 3);
    assert_eq!(commits[2]["passedFirstTime"], true);
    assert_eq!(commits[1]["rollbackApplies"], "clean");
}

/// One line of a Claude Code transcript.
fn claude_line(kind: &str, time: &str, content: Value, extra: Value) -> String {
    let mut line = json!({
        "parentUuid": null,
        "isSidechain": false,
        "userType": "external",
        "cwd": "/home/dev/shop",
        "sessionId": "9d2f6c1e-5b7a-4c38-9e0f-2a1b3c4d5e6f",
        "version": "2.0.65",
        "gitBranch": "agent/t1",
        "type": kind,
        "message": { "role": kind, "content": content },
        "uuid": format!("u-{time}"),
        "timestamp": time,
    });
    if let (Some(line), Some(extra)) = (line.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            line.insert(k.clone(), v.clone());
        }
    }
    line.to_string()
}

fn tool_use(id: &str, name: &str, input: Value) -> Value {
    json!([{ "type": "tool_use", "id": id, "name": name, "input": input }])
}

fn tool_result(id: &str, content: &str, is_error: bool) -> Value {
    json!([{ "tool_use_id": id, "type": "tool_result", "content": content, "is_error": is_error }])
}

/// A Claude Code session: the tests fail, the agent fixes `src/lib.rs`, the tests pass; it
/// also writes a scratch note, fetches docs, and runs a command with a token in it.
fn claude_transcript(secret: &str) -> String {
    let aws = format!("AKIA{}", "Q3ZJ7M2XN5B6C4VR");
    [
        json!({"type": "summary", "summary": "Fix the cart total", "leafUuid": "x"}).to_string(),
        claude_line("user", "2026-03-02T10:00:00.000Z", json!("fix the failing cart test"), json!({})),
        claude_line(
            "assistant",
            "2026-03-02T10:00:05.000Z",
            tool_use("toolu_01", "Bash", json!({"command": "cargo test", "description": "Run the tests"})),
            json!({}),
        ),
        claude_line(
            "user",
            "2026-03-02T10:00:09.250Z",
            tool_result("toolu_01", "Exit code 101\nrunning 2 tests\ntest cart::total ... FAILED\ntest result: FAILED. 1 passed; 1 failed", true),
            json!({"toolUseResult": "Error: Exit code 101\nrunning 2 tests\ntest result: FAILED. 1 passed; 1 failed"}),
        ),
        claude_line(
            "assistant",
            "2026-03-02T10:00:20.000Z",
            tool_use("toolu_02", "Edit", json!({"file_path": "/home/dev/shop/src/lib.rs", "old_string": "a", "new_string": "b"})),
            json!({}),
        ),
        claude_line(
            "user",
            "2026-03-02T10:00:20.100Z",
            tool_result("toolu_02", "The file /home/dev/shop/src/lib.rs has been updated.", false),
            json!({"toolUseResult": {"filePath": "/home/dev/shop/src/lib.rs", "oldString": "a", "newString": "b"}}),
        ),
        claude_line(
            "assistant",
            "2026-03-02T10:00:30.000Z",
            tool_use("toolu_03", "Bash", json!({"command": "cargo   test", "description": "Re-run the tests after the fix"})),
            json!({}),
        ),
        claude_line(
            "user",
            "2026-03-02T10:00:33.500Z",
            tool_result("toolu_03", "running 2 tests\ntest result: ok. 2 passed; 0 failed", false),
            json!({"toolUseResult": {"stdout": "running 2 tests\ntest result: ok. 2 passed; 0 failed", "stderr": "", "interrupted": false, "isImage": false}}),
        ),
        claude_line(
            "assistant",
            "2026-03-02T10:00:40.000Z",
            tool_use("toolu_04", "Write", json!({"file_path": "/home/dev/shop/NOTES.md", "content": "scratch"})),
            json!({}),
        ),
        claude_line(
            "user",
            "2026-03-02T10:00:40.050Z",
            tool_result("toolu_04", "File created successfully at: /home/dev/shop/NOTES.md", false),
            json!({}),
        ),
        claude_line(
            "assistant",
            "2026-03-02T10:00:50.000Z",
            tool_use("toolu_05", "WebFetch", json!({"url": "https://docs.rs/rust_decimal", "prompt": "rounding"})),
            json!({}),
        ),
        claude_line(
            "user",
            "2026-03-02T10:00:52.000Z",
            tool_result("toolu_05", "Decimal rounding strategies ...", false),
            json!({}),
        ),
        claude_line(
            "assistant",
            "2026-03-02T10:01:00.000Z",
            tool_use("toolu_06", "Bash", json!({
                "command": format!("curl -s -H 'Authorization: token {secret}' https://api.github.com/user"),
                "description": format!("Check the token {secret} works"),
            })),
            json!({}),
        ),
        claude_line(
            "user",
            "2026-03-02T10:01:01.000Z",
            tool_result("toolu_06", &format!("Exit code 22\nleaked {aws}"), true),
            json!({"toolUseResult": format!("Error: Exit code 22\nleaked {aws}")}),
        ),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn a_claude_code_session_is_summed_up_redacted_and_cross_checked() {
    let repo = TestRepo::new();
    repo.write(
        ".agentguard.toml",
        "[acceptance]\ncommands = [\"cargo test\", \"make lint\"]\n",
    );
    repo.write("README.md", "hello\n");
    repo.write("src/lib.rs", "a\n");
    repo.commit_all("base");
    repo.checkout_new("agent/t1");
    let secret = token();
    let transcript = repo.scratch().join("9d2f6c1e.jsonl");
    std::fs::write(&transcript, claude_transcript(&secret)).unwrap();
    // The session wrote src/lib.rs; README.md changed without it; NOTES.md was left out.
    repo.write("src/lib.rs", "b\n");
    repo.write("README.md", "hello again\n");
    repo.write("NOTES.md", "scratch\n");
    repo.git(&["add", "src/lib.rs", "README.md"]);
    let session_trailer = format!("Agent-Session: {}", transcript.display());
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        &msg(&[TASK, "Agent-Name: claude-code", &session_trailer]),
    ]);
    let state = repo.state();
    let output = repo.run(&["check", "--record", "--no-run", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(repo.state(), state);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let session_findings: Vec<(String, String)> = report["commits"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"].as_str().unwrap().starts_with("session-"))
        .map(|f| {
            (
                f["category"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("session-acceptance", ""),
        ("session-network", ""),
        ("session-unlisted", "NOTES.md"),
        ("session-untouched", "README.md"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let mut sorted = session_findings.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "{report:#}");
    let acceptance = report["commits"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["category"] == "session-acceptance")
        .unwrap();
    assert!(acceptance["message"]
        .as_str()
        .unwrap()
        .contains("never ran the acceptance command `make lint`"));
    assert_eq!(acceptance["action"], "warn");

    let raw = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    assert!(!raw.contains(&secret), "a token reached the note:\n{raw}");
    assert!(
        !raw.contains("Q3ZJ7M2XN5B6C4VR"),
        "a key reached the note:\n{raw}"
    );
    let evidence: toml::Value = toml::from_str(&raw).unwrap();
    let session = &evidence["session"];
    assert_eq!(session["format"].as_str(), Some("claude-code"));
    assert_eq!(session["file"].as_str(), Some("9d2f6c1e.jsonl"));
    assert_eq!(session["totals"]["commands"].as_integer(), Some(3));
    assert_eq!(session["totals"]["commands_failed"].as_integer(), Some(2));
    assert_eq!(session["totals"]["tool_calls"].as_integer(), Some(6));
    let commands = session["commands"].as_array().unwrap();
    assert_eq!(commands[0]["command"].as_str(), Some("cargo test"));
    assert_eq!(commands[0]["intent"].as_str(), Some("Run the tests"));
    assert_eq!(commands[0]["status"].as_str(), Some("failed"));
    assert_eq!(commands[0]["exit_code"].as_integer(), Some(101));
    assert_eq!(commands[0]["duration_ms"].as_integer(), Some(4250));
    assert_eq!(
        commands[0]["output_last_line"].as_str(),
        Some("test result: FAILED. 1 passed; 1 failed")
    );
    assert_eq!(commands[1]["status"].as_str(), Some("passed"));
    assert_eq!(commands[1]["exit_code"].as_integer(), Some(0));
    assert_eq!(commands[2]["network"].as_bool(), Some(true));
    assert_eq!(
        session["files_written"].as_array().unwrap(),
        &vec![
            toml::Value::from("NOTES.md"),
            toml::Value::from("src/lib.rs")
        ]
    );
    let network: Vec<&str> = session["network"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["tool"].as_str().unwrap())
        .collect();
    assert_eq!(network, ["WebFetch", "command"]);

    let story = show(&repo, "HEAD");
    assert!(!story.contains(&secret));
    assert!(
        story.contains("the agent's session (claude-code transcript 9d2f6c1e.jsonl"),
        "{story}"
    );
    assert!(
        story
            .contains("✗ `cargo test` — Run the tests — exit 101 after 4.2 s: test result: FAILED"),
        "{story}"
    );
    assert!(
        story.contains("✓ `cargo test` — Re-run the tests after the fix — exit 0 after 3.5 s"),
        "{story}"
    );
    assert!(story.contains("wrote: NOTES.md, src/lib.rs"), "{story}");
    assert!(
        story.contains("network: WebFetch https://docs.rs/rust_decimal"),
        "{story}"
    );
}

/// One line of a Codex rollout.
fn rollout(time: &str, kind: &str, payload: Value) -> String {
    json!({ "timestamp": time, "type": kind, "payload": payload }).to_string()
}

/// A Codex session: pytest fails, apply_patch edits `app/cart.py`, pytest passes; then a
/// package install.
fn codex_transcript(cwd: &str) -> String {
    let call = |id: &str, name: &str, arguments: Value| json!({"type": "function_call", "name": name, "arguments": arguments.to_string(), "call_id": id});
    let output = |id: &str, output: String| json!({"type": "function_call_output", "call_id": id, "output": output});
    let patch = "*** Begin Patch\n*** Update File: app/cart.py\n@@\n-    return sum(prices)\n+    return round(sum(prices), 2)\n*** End Patch\n";
    [
        rollout("2026-03-03T09:00:00.000Z", "session_meta", json!({"id": "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "timestamp": "2026-03-03T09:00:00.000Z", "cwd": cwd, "originator": "codex_cli_rs", "cli_version": "0.58.0", "instructions": null, "git": {"branch": "agent/t1"}})),
        rollout("2026-03-03T09:00:00.100Z", "turn_context", json!({"cwd": cwd, "approval_policy": "on-request", "sandbox_policy": {"mode": "workspace-write"}, "model": "gpt-5-codex"})),
        rollout("2026-03-03T09:00:01.000Z", "response_item", json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "fix the rounding bug"}]})),
        rollout("2026-03-03T09:00:04.000Z", "response_item", json!({"type": "reasoning", "summary": [], "encrypted_content": "gAAAA"})),
        rollout("2026-03-03T09:00:05.000Z", "response_item", call("call_a", "shell", json!({"command": ["bash", "-lc", "pytest -q"], "workdir": cwd, "timeout_ms": 120000}))),
        rollout("2026-03-03T09:00:06.000Z", "event_msg", json!({"type": "exec_command_end", "call_id": "call_a", "exit_code": 1})),
        rollout("2026-03-03T09:00:06.100Z", "response_item", output("call_a", json!({"output": "F..\nFAILED tests/test_cart.py::test_total - assert 0.30000000000000004 == 0.3\n1 failed, 2 passed in 0.08s\n", "metadata": {"exit_code": 1, "duration_seconds": 0.8}}).to_string())),
        rollout("2026-03-03T09:00:10.000Z", "response_item", json!({"type": "custom_tool_call", "status": "completed", "call_id": "call_b", "name": "apply_patch", "input": patch})),
        rollout("2026-03-03T09:00:10.200Z", "response_item", json!({"type": "custom_tool_call_output", "call_id": "call_b", "output": json!({"output": "Success. Updated the following files:\nM app/cart.py\n", "metadata": {"exit_code": 0, "duration_seconds": 0.0}}).to_string()})),
        rollout("2026-03-03T09:00:15.000Z", "response_item", call("call_c", "exec_command", json!({"cmd": "pytest -q", "workdir": cwd, "justification": "confirm the fix"}))),
        rollout("2026-03-03T09:00:15.900Z", "response_item", output("call_c", "Chunk ID: 5e1a\nWall time: 0.7 seconds\nProcess exited with code 0\nOutput:\n...\n3 passed in 0.05s\n".to_string())),
        rollout("2026-03-03T09:00:20.000Z", "response_item", json!({"type": "local_shell_call", "call_id": "call_d", "status": "completed", "action": {"type": "exec", "command": ["bash", "-lc", "pip install requests"], "timeout_ms": null, "working_directory": cwd, "env": null, "user": null}})),
        rollout("2026-03-03T09:00:24.000Z", "response_item", output("call_d", "Exit code: 0\nWall time: 3.9 seconds\nOutput:\nSuccessfully installed requests-2.32.3\n".to_string())),
        rollout("2026-03-03T09:00:25.000Z", "response_item", json!({"type": "web_search_call", "status": "completed", "action": {"type": "search", "query": "python round half even"}})),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn a_codex_rollout_attached_afterwards_joins_the_evidence() {
    let repo = TestRepo::new();
    repo.write(
        ".agentguard.toml",
        "[acceptance]\ncommands = [\"pytest -q\"]\n\n[session]\nnetwork = \"block\"\n",
    );
    repo.write(
        "app/cart.py",
        "def total(prices):\n    return sum(prices)\n",
    );
    repo.commit_all("base");
    repo.checkout_new("agent/t1");
    repo.write(
        "app/cart.py",
        "def total(prices):\n    return round(sum(prices), 2)\n",
    );
    repo.commit_all(&msg(&[TASK, "Agent-Name: codex"]));
    let output = repo.run(&["check", "--record", "--no-run"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let dir = repo.scratch().join("sessions/2026/03/03");
    std::fs::create_dir_all(&dir).unwrap();
    let rollout_path = dir.join("rollout-2026-03-03T09-00-00-0199a1b2.jsonl");
    std::fs::write(
        &rollout_path,
        codex_transcript(&repo.path().display().to_string()),
    )
    .unwrap();

    let state = repo.state();
    let output = repo.run(&[
        "--color",
        "never",
        "attach-session",
        "HEAD",
        rollout_path.to_str().unwrap(),
    ]);
    // The session used the network, which this policy blocks.
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(repo.state(), state);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("block    evidence/session-network"),
        "{stdout}"
    );
    assert!(stdout.contains("pip install requests"), "{stdout}");
    assert!(stdout.contains("recorded verdict now: block"), "{stdout}");

    let evidence = note(&repo, "HEAD");
    assert_eq!(evidence["verdict"].as_str(), Some("block"));
    let session = &evidence["session"];
    assert_eq!(session["format"].as_str(), Some("codex"));
    assert_eq!(
        session["id"].as_str(),
        Some("0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
    );
    let commands = session["commands"].as_array().unwrap();
    let summary: Vec<(String, String, Option<i64>, Option<i64>)> = commands
        .iter()
        .map(|c| {
            (
                c["command"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
                c["exit_code"].as_integer(),
                c["duration_ms"].as_integer(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "pytest -q".to_string(),
                "failed".to_string(),
                Some(1),
                Some(800)
            ),
            (
                "pytest -q".to_string(),
                "passed".to_string(),
                Some(0),
                Some(700)
            ),
            (
                "pip install requests".to_string(),
                "passed".to_string(),
                Some(0),
                Some(3900)
            ),
        ]
    );
    assert_eq!(commands[1]["intent"].as_str(), Some("confirm the fix"));
    assert_eq!(
        session["files_written"].as_array().unwrap(),
        &vec![toml::Value::from("app/cart.py")]
    );
    let findings: Vec<&str> = evidence["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["category"].as_str().unwrap())
        .collect();
    assert_eq!(findings, ["session-network"]);

    // Attaching again replaces the session and its findings; the base's policy in verify
    // repeats the cross-checks from the note.
    let output = repo.run(&["attach-session", "HEAD", rollout_path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(
        note(&repo, "HEAD")["findings"].as_array().map(Vec::len),
        Some(1)
    );
    let output = repo.run(&["verify", "main..HEAD", "--no-run", "--format", "json"]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let categories: Vec<&str> = report["commits"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["category"].as_str().unwrap())
        .collect();
    assert!(categories.contains(&"session-network"), "{report:#}");
    assert!(categories.contains(&"recorded-block"), "{report:#}");
    assert_eq!(report["commits"][0]["session"]["format"], "codex");
}

#[test]
fn a_session_that_cannot_be_read_is_a_clear_error_or_a_warning() {
    let repo = TestRepo::new();
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    repo.checkout_new("agent/t1");
    repo.write("src/a.rs", "a\n");
    repo.commit_all(&msg(&[TASK]));

    let plain = repo.scratch().join("session.txt");
    std::fs::write(&plain, "PRIVATE-CONTENT $ cargo test\nok\n").unwrap();
    let output = repo.run(&["check", "--no-run", "--session", plain.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is not a transcript agentguard reads: its first line is not JSON"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Codex CLI rollout files") && stderr.contains("Claude Code transcripts"),
        "{stderr}"
    );
    assert!(!stderr.contains("PRIVATE-CONTENT"), "{stderr}");

    let other = repo.scratch().join("other.jsonl");
    std::fs::write(&other, "{\"event\":\"start\"}\n{\"event\":\"stop\"}\n").unwrap();
    let output = repo.run(&["check", "--no-run", "--session", other.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not the records of a known agent"));

    let missing = repo.scratch().join("gone.jsonl");
    let output = repo.run(&["attach-session", "HEAD", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read the agent session"));

    // Named by a trailer, an unreadable session is a warning: the commit is not stopped.
    repo.write("src/b.rs", "b\n");
    repo.commit_all(&msg(&[TASK, "Agent-Session: ~/.codex/sessions/none.jsonl"]));
    let report = repo.check_json(&["--no-run"], 0);
    let finding = report["commits"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["category"] == "session-unreadable")
        .cloned()
        .expect("a session-unreadable finding");
    assert_eq!(finding["action"], "warn");
}

/// A repository where two agent commits change the same line: reverting the first conflicts
/// once the second is there; reverting the second applies.
fn repo_with_stacked_commits() -> (TestRepo, String, String) {
    let repo = TestRepo::new();
    repo.write("config/limits.txt", "max = 10\nmin = 1\n");
    repo.commit_all("base");
    repo.checkout_new("agent/t1");
    repo.write("config/limits.txt", "max = 20\nmin = 1\n");
    let first = repo.commit_all(&msg(&[TASK]));
    repo.write("config/limits.txt", "max = 30\nmin = 1\n");
    repo.write(
        "db/migrations/0002_add_email.up.sql",
        "ALTER TABLE users ADD email text;\n",
    );
    let second = repo.commit_all(&msg(&[TASK]));
    (repo, first, second)
}

#[test]
fn verify_tries_each_revert_on_the_target_without_touching_anything() {
    let (repo, first, second) = repo_with_stacked_commits();
    let state = repo.state();
    let output = repo.run(&["verify", "main..HEAD", "--no-run", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(repo.state(), state, "the revert is tried in memory only");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let commits = report["commits"].as_array().unwrap();
    let one = &commits[0]["rollback"];
    assert_eq!(commits[0]["commit"], first.as_str());
    assert_eq!(one["command"], format!("git revert {first}"));
    assert_eq!(one["target"], "main");
    assert_eq!(one["applies"], "conflicts");
    assert_eq!(one["conflicts"], json!(["config/limits.txt"]));
    let two = &commits[1]["rollback"];
    assert_eq!(commits[1]["commit"], second.as_str());
    assert_eq!(two["applies"], "clean");
    assert_eq!(
        two["migrations"],
        json!([{
            "path": "db/migrations/0002_add_email.up.sql",
            "convention": "golang-migrate",
            "down": "missing",
            "detail": "no db/migrations/0002_add_email.down.sql",
        }])
    );

    let output = repo.run(&["--color", "never", "verify", "main..HEAD", "--no-run"]);
    let human = String::from_utf8_lossy(&output.stdout);
    assert!(
        human.contains(&format!(
            "the way back: `git revert {first}` conflicts on main (at "
        )),
        "{human}"
    );
    assert!(human.contains(") in config/limits.txt"), "{human}");
    let output = repo.run(&["verify", "main..HEAD", "--no-run", "--format", "markdown"]);
    let markdown = String::from_utf8_lossy(&output.stdout);
    assert!(
        markdown.contains("❌ migration db/migrations/0002\\_add\\_email\\.up\\.sql \\(golang\\-migrate\\)\\: no down migration"),
        "{markdown}"
    );
}

#[test]
fn rollback_reverts_through_the_hooks_and_the_ledger_counts_it_with_its_reason() {
    let repo = TestRepo::new();
    repo.write("src/cart.rs", "fn total() -> u32 { 1 }\n");
    repo.commit_all("base");
    let output = repo.run(&["install"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo.checkout_new("agent/t1");
    repo.write("src/cart.rs", "fn total() -> u32 { 2 }\n");
    assert!(commit_through_hooks(&repo, &[TASK, "Agent-Name: codex"]));
    let original = repo.git(&["rev-parse", "HEAD"]);

    let output = repo.run(&["rollback", "HEAD", "--reason", "totals are off by one"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with(&format!("rolled back {}", &original[..7])),
        "{stdout}"
    );
    assert_eq!(repo.read("src/cart.rs"), "fn total() -> u32 { 1 }\n");
    let message = repo.git(&["log", "-1", "--format=%B"]);
    assert!(message.starts_with("Revert \"Agent change\""), "{message}");
    assert!(message.contains(&format!("This reverts commit {original}.")));
    assert!(message.contains("Reason: totals are off by one"));
    assert!(message.contains("Agent-Task: T-1"));
    assert!(message.contains(&format!("Agent-Rollback-Of: {original}")));
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    // The hooks judged the revert and recorded its evidence.
    assert_eq!(note(&repo, "HEAD")["verdict"].as_str(), Some("pass"));

    let output = repo.run(&["--color", "never", "log"]);
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(log.contains("rollback"), "{log}");
    assert!(log.contains("“totals are off by one”"), "{log}");
    let output = repo.run(&["--color", "never", "report"]);
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("1 rolled back"), "{report}");
    assert!(
        report.contains(&format!(
            "{}  task T-1  agent codex  reverted by",
            &original[..7]
        )),
        "{report}"
    );
    assert!(report.contains("“totals are off by one”"), "{report}");
    let output = repo.run(&["report", "--format", "json"]);
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rollback = &summary["rollbacks"][0];
    assert_eq!(rollback["cause"], "reverted");
    assert_eq!(rollback["reason"], "totals are off by one");
    let task = summary["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "T-1")
        .unwrap();
    assert_eq!(task["rolled_back"], 1);
    let agent = summary["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "codex")
        .unwrap();
    assert_eq!(agent["rolled_back"], 1);
}

#[test]
fn a_rollback_that_would_conflict_is_refused_before_anything_changes() {
    let (repo, first, _) = repo_with_stacked_commits();
    let state = repo.state();
    let output = repo.run(&["rollback", &first, "--reason", "wrong limit"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("its revert conflicts with HEAD in config/limits.txt"),
        "{stderr}"
    );
    assert_eq!(repo.state(), state);
    assert!(!repo.path().join(".git/REVERT_HEAD").exists());

    repo.write("config/limits.txt", "max = 99\n");
    repo.git(&["add", "config/limits.txt"]);
    let output = repo.run(&["rollback", "HEAD"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("changes are staged"));
}

/// A minimal OTLP/HTTP collector: answers every POST with 200 and keeps the bodies; after
/// `limit` requests, or when stopped, it stops listening (the collector goes away).
struct Collector {
    stopping: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Collector {
    fn start(port: u16, limit: usize, bodies: Arc<Mutex<Vec<(String, Value)>>>) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the collector");
        let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = Arc::clone(&stopping);
        let thread = std::thread::spawn(move || {
            let mut served = 0;
            while served < limit {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                if let Some(request) = serve(stream) {
                    bodies.lock().unwrap().push(request);
                    served += 1;
                }
            }
            // The listener is dropped here: the port refuses connections from now on.
        });
        Self {
            stopping,
            thread: Some(thread),
        }
    }

    /// Stops listening (waking the accept with a connection of its own) and waits.
    fn stop(mut self, port: u16) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if self.thread.as_ref().is_some_and(|t| !t.is_finished()) {
            let _ = TcpStream::connect(("127.0.0.1", port));
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

/// Reads one HTTP/1.1 request and answers 200; returns the path and the JSON body of a POST.
fn serve(stream: TcpStream) -> Option<(String, Value)> {
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut length = 0usize;
    let mut content_type = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (key, value) = line.split_once(':')?;
        match key.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "content-type" => content_type = value.trim().to_string(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let mut stream = stream;
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
    let mut words = request_line.split_whitespace();
    if words.next()? != "POST" {
        return None;
    }
    assert_eq!(content_type, "application/json");
    Some((
        words.next()?.to_string(),
        serde_json::from_slice(&body).ok()?,
    ))
}

fn record_ids(bodies: &[(String, Value)]) -> Vec<String> {
    let mut ids = Vec::new();
    for (path, body) in bodies {
        assert_eq!(path, "/v1/logs");
        for record in body["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
            .as_array()
            .unwrap()
        {
            let id = record["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["key"] == "agentguard.record_id")
                .unwrap()["value"]["stringValue"]
                .as_str()
                .unwrap()
                .to_string();
            ids.push(id);
        }
    }
    ids
}

#[test]
fn ledger_records_reach_a_collector_that_goes_away_and_comes_back() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let repo = TestRepo::new();
    repo.write(
        ".agentguard.toml",
        &format!("[ledger]\notlp_endpoint = \"http://127.0.0.1:{port}\"\n"),
    );
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    repo.checkout_new("agent/t1");
    repo.write("src/a.rs", "a\n");
    repo.commit_all(&msg(&[TASK, "Agent-Name: codex"]));
    let check = || {
        let output = repo.run(&["check", "--no-run"]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let spooled = || {
        std::fs::read_dir(repo.path().join(".git/agentguard/otlp-spool"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .count()
    };
    let bodies = Arc::new(Mutex::new(Vec::new()));

    // Up: the record is delivered at once.
    let collector = Collector::start(port, usize::MAX, Arc::clone(&bodies));
    assert_eq!(check(), "");
    collector.stop(port);
    assert_eq!(bodies.lock().unwrap().len(), 1);
    assert_eq!(spooled(), 0);

    // Gone: records wait in the spool, and the check is not held up.
    let started = std::time::Instant::now();
    let warning = check();
    assert!(warning.contains("not reached"), "{warning}");
    assert!(warning.contains("1 batch kept in"), "{warning}");
    assert!(check().contains("2 batches kept in"));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(spooled(), 2);

    // Back for one request, then gone again mid-run: the oldest batch goes, the rest wait.
    let collector = Collector::start(port, 1, Arc::clone(&bodies));
    let warning = check();
    collector.stop(port);
    assert!(warning.contains("2 batches kept in"), "{warning}");
    assert_eq!(bodies.lock().unwrap().len(), 2);
    assert_eq!(spooled(), 2);

    // Back for good: everything spooled is delivered, oldest first, then the new record.
    let collector = Collector::start(port, usize::MAX, Arc::clone(&bodies));
    assert_eq!(check(), "");
    collector.stop(port);
    assert_eq!(spooled(), 0);

    let bodies = bodies.lock().unwrap();
    let ids = record_ids(&bodies);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), 5, "every check's line arrived: {ids:?}");
    assert_eq!(unique.len(), 5, "none twice: {ids:?}");
    let ledger = repo.run(&["log", "--format", "json"]);
    let lines: Value = serde_json::from_slice(&ledger.stdout).unwrap();
    assert_eq!(lines.as_array().unwrap().len(), 5);
    let first = &bodies[0].1["resourceLogs"][0];
    assert_eq!(
        first["resource"]["attributes"][0]["value"]["stringValue"],
        "agentguard"
    );
    let record = &first["scopeLogs"][0]["logRecords"][0];
    let task = record["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == "agentguard.task")
        .unwrap();
    assert_eq!(task["value"]["stringValue"], "T-1");
}

#[test]
fn an_https_collector_is_a_policy_error_naming_the_key() {
    let repo = TestRepo::new();
    repo.write(
        ".agentguard.toml",
        "[ledger]\notlp_endpoint = \"https://collector.example:4318\"\n",
    );
    repo.commit_all("base");
    repo.checkout_new("agent/t1");
    repo.write("a.txt", "a\n");
    repo.commit_all(&msg(&[TASK]));
    let output = repo.run(&["check", "--no-run"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(".agentguard.toml"), "{stderr}");
    assert!(stderr.contains("https is not supported"), "{stderr}");
}
