//! `agentguard show`: the evidence and approvals of one commit, for a reviewer.

use super::{path_taken, printable, runs, Styles};
use crate::acceptance::AcceptanceRun;
use crate::approval::verify::Checked;
use crate::evidence::path_taken::NoteSession;
use crate::evidence::Evidence;
use crate::finding::Action;
use crate::verdict::Verdict;
use serde::Serialize;
use std::fmt::Write;

/// Commands shown before the ones a summary left out (as it keeps them).
const SESSION_FIRST_SHOWN: usize = 10;

/// What `show` gathered about one commit.
#[derive(Serialize)]
pub(crate) struct Shown<'a> {
    pub schema: &'static str,
    pub commit: String,
    pub tree: String,
    /// The change's fingerprint now.
    pub fingerprint: Option<&'a str>,
    pub notes_ref: &'a str,
    pub approvals_ref: String,
    pub evidence: Option<&'a Evidence>,
    /// Why the note could not be read, when it could not.
    pub evidence_error: Option<String>,
    /// Whether the note speaks of this commit's exact tree and change.
    pub evidence_matches: bool,
    #[serde(serialize_with = "super::json::approvals")]
    pub approvals: &'a [Checked],
}

pub(crate) fn render_json(shown: &Shown<'_>) -> Result<String, super::RenderError> {
    super::pretty_json(shown)
}

pub(crate) fn render_human(shown: &Shown<'_>, st: &Styles) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        st.bold.apply_to(format!("commit {}", shown.commit))
    );
    let _ = writeln!(out, "  tree {}", shown.tree);
    if let Some(fingerprint) = shown.fingerprint {
        let _ = writeln!(out, "  change fingerprint {fingerprint}");
    }
    let _ = writeln!(out);
    match (shown.evidence, &shown.evidence_error) {
        (_, Some(error)) => {
            let _ = writeln!(
                out,
                "{} the evidence note under {} is corrupt: {}",
                st.red.apply_to("✗"),
                shown.notes_ref,
                printable(error)
            );
        }
        (None, None) => {
            let short = &shown.commit[..shown.commit.len().min(10)];
            let _ = writeln!(
                out,
                "no evidence note under {} on this commit.\n  Create one with `agentguard check {short} --record` (the installed hooks record it on commit),\n  or get the remote's notes: agentguard sync (it merges them with yours; `git fetch` alone keeps them apart)",
                shown.notes_ref
            );
        }
        (Some(evidence), None) => render_evidence(&mut out, shown, evidence, st),
    }
    let _ = writeln!(out);
    render_approvals(&mut out, shown, st);
    out
}

fn render_evidence(out: &mut String, shown: &Shown<'_>, evidence: &Evidence, st: &Styles) {
    let _ = writeln!(
        out,
        "{} ({}), recorded {} by {}",
        st.bold.apply_to("evidence"),
        shown.notes_ref,
        printable(&evidence.time),
        printable(&evidence.tool)
    );
    if !shown.evidence_matches {
        let _ = writeln!(
            out,
            "  {} it was recorded for tree {} / change {}, not this commit's: it does not vouch for this commit",
            st.red.apply_to("✗"),
            printable(&evidence.tree),
            printable(&evidence.fingerprint)
        );
    }
    let _ = writeln!(
        out,
        "  task: {}   agent: {}",
        printable(evidence.task.as_deref().unwrap_or("none")),
        printable(evidence.agent.as_deref().unwrap_or("unknown"))
    );
    let _ = writeln!(out, "  policy: {}", printable(&evidence.policy));
    let verdict = match evidence.verdict {
        Verdict::Pass => st.green.apply_to(Verdict::Pass),
        Verdict::Block => st.red.apply_to(Verdict::Block),
    };
    let _ = writeln!(out, "  recorded verdict: {verdict}");
    if !evidence.awaiting_approval.is_empty() {
        let _ = writeln!(
            out,
            "  awaiting approval at merge: {}",
            printable(&evidence.awaiting_approval.join(", "))
        );
    }
    if evidence.findings.is_empty() {
        let _ = writeln!(out, "  findings: none");
    } else {
        let _ = writeln!(out, "  findings ({}):", evidence.findings.len());
        for f in &evidence.findings {
            let action = if f.action == Action::Approve && f.approved {
                "approved"
            } else {
                f.action.as_str()
            };
            let location = match (&f.path, f.line) {
                (Some(p), Some(l)) => format!("{}:{l} ", printable(p)),
                (Some(p), None) => format!("{} ", printable(p)),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "    {action:<8} {}/{} {location}{}",
                f.kind,
                f.category,
                printable(&f.message)
            );
        }
    }
    if !evidence.acceptance_ran {
        let _ = writeln!(
            out,
            "  acceptance: {}",
            st.yellow.apply_to("not run (recorded with --no-run)")
        );
    } else if evidence.acceptance.is_empty() {
        let _ = writeln!(out, "  acceptance: no commands");
    } else {
        let _ = writeln!(out, "  acceptance:");
        let recorded: Vec<AcceptanceRun> = evidence.acceptance.iter().map(Into::into).collect();
        runs::render_all_tails(out, &recorded, st);
    }
    render_path_taken(out, evidence, st);
}

/// The attempts before the commit, the agent's session, the way back: the story of the task.
fn render_path_taken(out: &mut String, evidence: &Evidence, st: &Styles) {
    if evidence.attempts.is_none() && evidence.session.is_none() && evidence.rollback.is_none() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", st.bold.apply_to("the path it took"));
    if let Some(attempts) = &evidence.attempts {
        let _ = writeln!(
            out,
            "  {}",
            printable(&path_taken::attempts_headline(attempts))
        );
        for attempt in &attempts.entries {
            let mark = if attempt.verdict == "bypass" {
                st.yellow.apply_to("!")
            } else {
                st.red.apply_to("✗")
            };
            let _ = writeln!(
                out,
                "    {mark} {}",
                printable(&path_taken::attempt_line(attempt))
            );
        }
    }
    if let Some(session) = &evidence.session {
        render_session(out, session, st);
    }
    if let Some(rollback) = &evidence.rollback {
        let _ = writeln!(
            out,
            "  {}",
            printable(&path_taken::rollback_headline(
                rollback,
                evidence.commit.as_deref()
            ))
        );
        for migration in &rollback.migrations {
            let mark = match path_taken::migration_ok(migration) {
                Some(true) => st.green.apply_to("✓"),
                Some(false) => st.red.apply_to("✗"),
                None => st.yellow.apply_to("?"),
            };
            let _ = writeln!(
                out,
                "    {mark} {}",
                printable(&path_taken::migration_line(migration))
            );
        }
    }
}

fn render_session(out: &mut String, session: &NoteSession, st: &Styles) {
    let _ = writeln!(
        out,
        "  {}",
        printable(&path_taken::session_headline(session))
    );
    for (i, command) in session.commands.iter().enumerate() {
        if session.commands_omitted > 0 && i == SESSION_FIRST_SHOWN {
            let _ = writeln!(
                out,
                "    {}",
                st.dim
                    .apply_to(format!("… {} more commands …", session.commands_omitted))
            );
        }
        let mark = match path_taken::command_passed(command) {
            Some(true) => st.green.apply_to("✓"),
            Some(false) => st.red.apply_to("✗"),
            None => st.yellow.apply_to("?"),
        };
        let _ = writeln!(
            out,
            "    {mark} {}",
            printable(&path_taken::command_line(command))
        );
    }
    if !session.files_written.is_empty() {
        let _ = writeln!(
            out,
            "    wrote: {}{}",
            printable(&session.files_written.join(", ")),
            if session.files_truncated { ", …" } else { "" }
        );
    }
    if session.files_outside > 0 {
        let _ = writeln!(
            out,
            "    wrote {} file{} outside the repository",
            session.files_outside,
            super::plural(session.files_outside)
        );
    }
    for fetch in &session.network {
        let _ = writeln!(
            out,
            "    network: {} {}",
            printable(&fetch.tool),
            printable(&fetch.target)
        );
    }
}

/// What `attach-session` prints: the session and the findings it raised.
pub(crate) fn render_session_findings(evidence: &Evidence, st: &Styles) -> String {
    let mut out = String::new();
    if let Some(session) = &evidence.session {
        render_session(&mut out, session, st);
    }
    let session_findings: Vec<_> = evidence
        .findings
        .iter()
        .filter(|f| crate::commands::attach_session::is_session_finding(f.kind, &f.category))
        .collect();
    if session_findings.is_empty() {
        let _ = writeln!(out, "  cross-checks with the change: nothing to report");
    }
    for f in session_findings {
        let location = f
            .path
            .as_deref()
            .map(|p| format!("{} ", printable(p)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<8} {}/{} {location}{}",
            f.action.as_str(),
            f.kind,
            f.category,
            printable(&f.message)
        );
    }
    let verdict = match evidence.verdict {
        Verdict::Pass => st.green.apply_to(Verdict::Pass),
        Verdict::Block => st.red.apply_to(Verdict::Block),
    };
    let _ = writeln!(out, "  recorded verdict now: {verdict}");
    out
}

fn render_approvals(out: &mut String, shown: &Shown<'_>, st: &Styles) {
    if shown.approvals.is_empty() {
        let _ = writeln!(
            out,
            "no approvals (under {} or pending for this change)",
            shown.approvals_ref
        );
        return;
    }
    let _ = writeln!(
        out,
        "{} ({})",
        st.bold.apply_to("approvals"),
        shown.approvals_ref
    );
    for checked in shown.approvals {
        let mark = if checked.verified() {
            st.green.apply_to("✓")
        } else {
            st.red.apply_to("✗")
        };
        match &checked.approval {
            Some(a) => {
                let reason = if a.reason.is_empty() {
                    String::new()
                } else {
                    format!(" — “{}”", printable(&a.reason))
                };
                let _ = writeln!(
                    out,
                    "  {mark} {} approved {} at {}{reason}",
                    printable(&a.approver),
                    printable(&a.categories.join(", ")),
                    printable(&a.time)
                );
            }
            None => {
                let _ = writeln!(out, "  {mark} unreadable approval ({})", checked.source);
            }
        }
        let _ = writeln!(
            out,
            "      {}",
            if checked.verified() {
                st.dim
                    .apply_to("signature verified against the base's allowed signers".to_string())
            } else {
                st.red
                    .apply_to(format!("does not count: {}", printable(&checked.why())))
            }
        );
    }
}
