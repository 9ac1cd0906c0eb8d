//! `agentguard show`: the evidence and approvals of one commit, for a reviewer.

use super::{printable, runs, Styles};
use crate::acceptance::AcceptanceRun;
use crate::approval::verify::Checked;
use crate::evidence::Evidence;
use crate::finding::Action;
use crate::verdict::Verdict;
use serde::Serialize;
use std::fmt::Write;

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
                "no evidence note under {} on this commit.\n  Create one with `agentguard check {short} --record` (the installed hooks record it on commit),\n  or fetch it: git fetch origin '+{}*:{}*'",
                shown.notes_ref, shown.notes_ref, shown.notes_ref
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
