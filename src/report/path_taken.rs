//! The path a change took, in sentences every format shares: the attempts before it, the
//! agent's session, the way back. Each function returns plain text from the note's data;
//! the caller makes it safe for its medium (`printable`, Markdown's `inline`, XML escaping).

use super::plural;
use crate::evidence::path_taken::{
    Attempt, Attempts, NoteMigration, NoteRollback, NoteSession, SessionCommand,
};

/// The stored time, to the second, without the date's `T`.
pub(crate) fn when(time: &str) -> String {
    match humantime::parse_rfc3339_weak(time) {
        Ok(t) => humantime::format_rfc3339_seconds(t)
            .to_string()
            .replacen('T', " ", 1),
        Err(_) => time.to_string(),
    }
}

fn short(hex: &str) -> &str {
    hex.get(..10).unwrap_or(hex)
}

fn seconds(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// "passed the first time", or how many attempts came before it.
pub(crate) fn attempts_headline(attempts: &Attempts) -> String {
    let place = match (&attempts.branch, &attempts.previous_commit, &attempts.since) {
        (Some(branch), Some(previous), _) => {
            format!(" on {branch} since the previous commit {}", short(previous))
        }
        (Some(branch), None, Some(since)) => format!(" on {branch} since {}", when(since)),
        (Some(branch), None, None) => format!(" on {branch}"),
        (None, Some(previous), _) => format!(" since the previous commit {}", short(previous)),
        (None, None, _) => String::new(),
    };
    if attempts.first_time() {
        return format!("passed the first time{place}: no blocked attempt before it");
    }
    let n = attempts.count();
    format!("{n} earlier attempt{} did not pass{place}", plural(n))
}

/// One attempt: when, what, and why it did not pass.
pub(crate) fn attempt_line(attempt: &Attempt) -> String {
    let mut text = format!("{} {}", when(&attempt.time), attempt.command);
    if attempt.verdict == "bypass" {
        text.push_str(&format!(
            ": hooks skipped by {}",
            attempt.bypass_who.as_deref().unwrap_or("someone")
        ));
        if let Some(reason) = attempt.bypass_reason.as_deref().filter(|r| !r.is_empty()) {
            text.push_str(&format!(" — “{reason}”"));
        }
        if let Some(commit) = &attempt.committed {
            text.push_str(&format!(" (committed as {})", short(commit)));
        }
        return text;
    }
    text.push_str(": blocked");
    let mut why: Vec<String> = attempt
        .blocked_by
        .iter()
        .filter(|f| f.kind != "acceptance")
        .map(|f| match &f.path {
            Some(path) => format!("{}/{} {path}", f.kind, f.category),
            None => format!("{}/{}", f.kind, f.category),
        })
        .collect();
    if attempt.blocked_omitted > 0 {
        why.push(format!("{} more", attempt.blocked_omitted));
    }
    for run in &attempt.failed {
        let how = match run.exit_code {
            Some(code) => format!("exit {code}"),
            None => run.status.clone(),
        };
        let mut failed = format!("`{}` failed ({how}", run.command);
        if !run.output_sha256.is_empty() {
            failed.push_str(&format!(
                ", output sha256 {}",
                &run.output_sha256[..12.min(run.output_sha256.len())]
            ));
        }
        failed.push(')');
        if !run.output_last_line.is_empty() {
            failed.push_str(&format!(": {}", run.output_last_line));
        }
        why.push(failed);
    }
    if !why.is_empty() {
        text.push_str(&format!(" by {}", why.join("; ")));
    }
    text
}

/// The session in one line: which agent, when, what it did.
pub(crate) fn session_headline(session: &NoteSession) -> String {
    let t = &session.totals;
    let span = match (&session.started, &session.ended) {
        (Some(start), Some(end)) => format!(", {} → {}", when(start), when(end)),
        _ => String::new(),
    };
    format!(
        "the agent's session ({} transcript {}{span}): {} tool call{}, {} command{} ({} failed), \
         {} file{} written, {} network use{}",
        session.format,
        session.file,
        t.tool_calls,
        plural(t.tool_calls),
        t.commands,
        plural(t.commands),
        t.commands_failed,
        t.files_written,
        plural(t.files_written),
        t.network,
        plural(t.network),
    )
}

/// Whether a session command passed, for a mark.
pub(crate) fn command_passed(command: &SessionCommand) -> Option<bool> {
    match command.status.as_str() {
        "passed" => Some(true),
        "failed" | "interrupted" => Some(false),
        _ => None,
    }
}

/// One command: what, why, how it ended.
pub(crate) fn command_line(command: &SessionCommand) -> String {
    let mut text = format!("`{}`", command.command);
    if let Some(intent) = &command.intent {
        text.push_str(&format!(" — {intent}"));
    }
    let ended = match (command.status.as_str(), command.exit_code) {
        ("interrupted", _) => "interrupted".to_string(),
        (_, Some(code)) => format!("exit {code}"),
        (status, None) => status.to_string(),
    };
    text.push_str(&format!(" — {ended}"));
    if let Some(ms) = command.duration_ms {
        text.push_str(&format!(" after {}", seconds(ms)));
    }
    if command.status != "passed" && !command.output_last_line.is_empty() {
        text.push_str(&format!(": {}", command.output_last_line));
    }
    text
}

/// The way back in one line.
pub(crate) fn rollback_headline(rollback: &NoteRollback, commit: Option<&str>) -> String {
    let command = if rollback.command.is_empty() {
        commit.map_or_else(
            || "git revert <commit>".to_string(),
            |c| format!("git revert {c}"),
        )
    } else {
        rollback.command.clone()
    };
    let at = if rollback.target_commit.is_empty() {
        String::new()
    } else {
        format!(" (at {})", short(&rollback.target_commit))
    };
    let result = match rollback.applies.as_str() {
        "clean" => format!("applies cleanly to {}{at}", rollback.target),
        "conflicts" => format!(
            "conflicts on {}{at} in {}",
            rollback.target,
            rollback.conflicts.join(", ")
        ),
        _ => format!(
            "cannot be tried on {}{at}: {}",
            rollback.target, rollback.reason
        ),
    };
    format!("the way back: `{command}` {result}")
}

/// One migration's way down.
pub(crate) fn migration_line(migration: &NoteMigration) -> String {
    let down = match migration.down.as_str() {
        "found" => "down migration found",
        "reversible" => "reversible",
        "missing" => "no down migration",
        "irreversible" => "irreversible",
        _ => "down migration unknown",
    };
    format!(
        "migration {} ({}): {down} — {}",
        migration.path, migration.convention, migration.detail
    )
}

/// Whether a migration has a way down.
pub(crate) fn migration_ok(migration: &NoteMigration) -> Option<bool> {
    match migration.down.as_str() {
        "found" | "reversible" => Some(true),
        "missing" | "irreversible" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::path_taken::{AttemptFinding, AttemptRun};

    #[test]
    fn attempts_read_as_a_story() {
        let mut attempts = Attempts {
            branch: Some("agent/x".into()),
            previous_commit: Some("0123456789abcdef".into()),
            ..Attempts::default()
        };
        assert_eq!(
            attempts_headline(&attempts),
            "passed the first time on agent/x since the previous commit 0123456789: no blocked attempt before it"
        );
        attempts.entries.push(Attempt {
            time: "2026-01-01T10:00:00Z".into(),
            command: "hook commit-msg".into(),
            verdict: "block".into(),
            blocked_by: vec![AttemptFinding {
                kind: "scope".into(),
                category: "denied".into(),
                path: Some("secrets/k.pem".into()),
            }],
            failed: vec![AttemptRun {
                command: "make test".into(),
                status: "failed".into(),
                exit_code: Some(2),
                output_sha256: "ab".repeat(32),
                output_last_line: "FAIL: test_login".into(),
            }],
            ..Attempt::default()
        });
        assert_eq!(
            attempts_headline(&attempts),
            "1 earlier attempt did not pass on agent/x since the previous commit 0123456789"
        );
        assert_eq!(
            attempt_line(&attempts.entries[0]),
            "2026-01-01 10:00:00Z hook commit-msg: blocked by scope/denied secrets/k.pem; `make test` failed (exit 2, output sha256 abababababab): FAIL: test_login"
        );
    }
}
