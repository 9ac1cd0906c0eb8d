//! The reports every renderer's tests use. `CommitReport` values are built here and nowhere
//! else in the renderer tests, so a new field is added in one place.

use crate::acceptance::{AcceptanceRun, Phase, RunStatus};
use crate::engine::CommitReport;
use crate::finding::{Action, Finding, Kind};
use crate::task::Task;
use git2::Oid;

/// Text an agent's change could put in a path, a message or a command's output: markup,
/// CDATA terminators, control characters, backtick runs, workflow-command syntax.
pub(crate) const HOSTILE: &str = "]]> <script>alert(1)</script> | pipe\nnext line\r\u{1b}[31m\u{0}\u{7}\u{b}\u{fffe} ``` ```` ::error::injected %0A & \"q\" 'a'";

/// A path with spaces, `%`, `#`, `?`, non-ASCII characters, a newline and markup.
pub(crate) const HOSTILE_PATH: &str = "dir with space/100% #1?é\n<script>.rs";

fn oid(c: char) -> Oid {
    Oid::from_str(&c.to_string().repeat(40)).unwrap()
}

pub(crate) fn finding(kind: Kind, category: &str, action: Action, message: &str) -> Finding {
    Finding::new(kind, category, action, message).rule(format!("{kind} rule for {category}"))
}

pub(crate) fn run(
    command: &str,
    status: RunStatus,
    exit_code: Option<i32>,
    ms: u64,
    tail: &str,
) -> AcceptanceRun {
    AcceptanceRun {
        phase: Phase::Acceptance,
        command: command.to_string(),
        source: "trailer".to_string(),
        status,
        program: Some("/usr/bin/sh".to_string()),
        exit_code,
        signal: None,
        timed_out: status == RunStatus::TimedOut,
        duration_ms: ms,
        network: "denied".to_string(),
        worktree: "fresh".to_string(),
        repository: "read-only".to_string(),
        output_tail: tail.to_string(),
        output_truncated: false,
        output_bytes: tail.len() as u64,
        output_sha256: "0".repeat(64),
        output_complete: true,
        reason: None,
        filesystem: "restricted".to_string(),
        tests: None,
        baseline: None,
    }
}

pub(crate) fn report(
    commit: char,
    agent: bool,
    task: Option<&str>,
    agent_name: Option<&str>,
    findings: Vec<Finding>,
    acceptance: Vec<AcceptanceRun>,
) -> CommitReport {
    CommitReport {
        commit: Some(oid(commit)),
        tree: oid('e'),
        base: Some(oid('f')),
        agent,
        agent_reasons: if agent {
            vec!["Agent-Task trailer".to_string()]
        } else {
            Vec::new()
        },
        signed_by: None,
        task: Task {
            id: task.map(str::to_string),
            agent_name: agent_name.map(str::to_string),
            ..Task::default()
        },
        fingerprint: agent.then(|| "1".repeat(64)),
        abbrev: Some(commit.to_string().repeat(10)),
        policy_source: ".agentguard.toml at ffffffffff".to_string(),
        notes_ref: "refs/notes/agentguard".to_string(),
        files_changed: 2,
        findings,
        acceptance,
        approvals: Vec::new(),
        credentials_checked: false,
        scanned: false,
        vouched: false,
        path_taken: Default::default(),
    }
}

/// A passing agent commit.
pub(crate) fn passing() -> CommitReport {
    report(
        'a',
        true,
        Some("T-1"),
        Some("codex"),
        Vec::new(),
        vec![run("cargo test", RunStatus::Passed, Some(0), 1234, "ok\n")],
    )
}

/// A blocked agent commit: a scope violation, a credential on a line, a failed acceptance
/// command, an approval still pending, an approved category and a warning.
pub(crate) fn blocked() -> CommitReport {
    let mut credential = finding(
        Kind::Risk,
        "credentials",
        Action::Block,
        "an AWS access key was added (redacted)",
    )
    .at("src/config.rs")
    .line(12);
    credential.fingerprint = Some("c0ffee1234".to_string());
    let mut migrations = finding(
        Kind::Risk,
        "migrations",
        Action::Approve,
        "a migration was added",
    )
    .at("db/migrate/001.sql");
    migrations.approved_by = Some(crate::finding::SignOff {
        approver: "dba@example.com".to_string(),
        time: "2026-01-01T00:00:00Z".to_string(),
    });
    report(
        'b',
        true,
        Some("T-2"),
        Some("claude-code"),
        vec![
            finding(
                Kind::Scope,
                "out-of-scope",
                Action::Block,
                "secrets/key.txt is outside the task's scope",
            )
            .at("secrets/key.txt"),
            credential,
            finding(
                Kind::Risk,
                "auth",
                Action::Approve,
                "the login flow changed",
            )
            .at("src/auth.rs")
            .line(3),
            migrations,
            finding(
                Kind::Risk,
                "dependencies",
                Action::Warn,
                "a dependency was added",
            )
            .at("Cargo.toml")
            .line(20),
            finding(
                Kind::Acceptance,
                "command-failed",
                Action::Block,
                "acceptance command `cargo test --all` exited with code 101: test result: FAILED",
            ),
        ],
        vec![
            run(
                "cargo build",
                RunStatus::Passed,
                Some(0),
                20_500,
                "Finished\n",
            ),
            run(
                "cargo test --all",
                RunStatus::Failed,
                Some(101),
                61_250,
                "running 2 tests\n```rust\nassert_eq!(1, 2)\n```\ntest result: FAILED\n",
            ),
        ],
    )
}

/// A commit no agent made.
pub(crate) fn human() -> CommitReport {
    report('c', false, None, None, Vec::new(), Vec::new())
}

/// An agent commit whose task, path, messages, command and output are hostile text.
pub(crate) fn hostile() -> CommitReport {
    report(
        'd',
        true,
        Some(&format!("evil {HOSTILE}")),
        Some("agent `x` <b>"),
        vec![
            finding(Kind::Scope, "out-of-scope", Action::Block, HOSTILE)
                .at(HOSTILE_PATH)
                .line(0),
            finding(Kind::Evidence, "missing", Action::Block, HOSTILE),
            finding(Kind::Risk, "test-tampering", Action::Warn, HOSTILE).at(HOSTILE_PATH),
        ],
        vec![run(
            &format!("echo '{HOSTILE}'"),
            RunStatus::Failed,
            Some(1),
            7,
            HOSTILE,
        )],
    )
}

/// Every case, in the order a range would list them.
pub(crate) fn sample_reports() -> Vec<CommitReport> {
    vec![passing(), blocked(), human(), hostile()]
}
