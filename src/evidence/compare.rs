//! `verify`'s evidence check: the note must exist, parse, speak of this exact tree and change,
//! record a pass, and agree with what the fresh acceptance runs just showed.

use super::{side_by_side, Evidence};
use crate::acceptance::AcceptanceRun;
use crate::finding::{Action, Finding, Kind};
use crate::verdict::Verdict;

pub(crate) struct Expected<'a> {
    /// How to name the commit to the user (a short id).
    pub commit: &'a str,
    pub tree: &'a str,
    pub fingerprint: &'a str,
    pub notes_ref: &'a str,
    /// The runs of this verification; `None` when it ran with `--no-run`.
    pub fresh: Option<&'a [AcceptanceRun]>,
    /// Whether the task has acceptance commands at all.
    pub has_commands: bool,
    /// `[evidence] require`: a problem blocks, or only warns.
    pub require: bool,
    /// The task's commands, where no fresh run speaks for this commit (`[verify] run =
    /// "tip"` runs them on the range's tip): the note must show each run and passed.
    pub vouched: Option<&'a [crate::task::AcceptanceCommand]>,
}

/// What a missing or mismatched note of a commit that was not re-run adds to its message.
const TIP_ONLY: &str = "; under `[verify] run = \"tip\"` the acceptance commands run fresh on the range's tip only, and every other agent commit needs evidence that matches it";

/// Findings about the evidence note (`note` is the raw note, if any).
pub(crate) fn judge(note: Option<&[u8]>, expected: &Expected<'_>) -> Vec<Finding> {
    let action = if expected.require {
        Action::Block
    } else {
        Action::Warn
    };
    let finding = |category: &str, message: String| {
        Finding::new(Kind::Evidence, category, action, message)
            .rule(format!("[evidence] require = {}", expected.require))
    };
    let Some(note) = note else {
        return vec![finding(
            "missing",
            format!(
                "commit {} has no evidence note under {}; record it with `agentguard check {} --record` \
                 (the hooks do this on commit); the hooks push it with the branch, `agentguard sync` \
                 shares it otherwise{}",
                expected.commit,
                expected.notes_ref,
                expected.commit,
                if expected.vouched.is_some() { TIP_ONLY } else { "" }
            ),
        )];
    };
    let evidence = match Evidence::parse(note) {
        Ok(evidence) => evidence,
        Err(reason) => {
            return vec![finding(
                "corrupt",
                format!(
                    "the evidence note on {} under {} is corrupt: {reason}",
                    expected.commit, expected.notes_ref
                ),
            )]
        }
    };
    let tip_only = if expected.vouched.is_some() {
        TIP_ONLY
    } else {
        ""
    };
    if evidence.tree != expected.tree {
        return vec![finding(
            "wrong-tree",
            format!(
                "the evidence note on {} is for tree {}, not this commit's tree {} (copied from another commit, or made before the content changed){tip_only}",
                expected.commit,
                short(&evidence.tree),
                short(expected.tree)
            ),
        )];
    }
    let mut findings = Vec::new();
    if evidence.fingerprint != expected.fingerprint {
        findings.push(finding(
            "wrong-change",
            format!(
                "the evidence note on {} describes change {}, not this commit's change {} (same tree, different parent){tip_only}",
                expected.commit,
                short(&evidence.fingerprint),
                short(expected.fingerprint)
            ),
        ));
    }
    if evidence.verdict != Verdict::Pass {
        findings.push(finding(
            "recorded-block",
            format!(
                "the evidence note on {} records the verdict `{}`; fix the change and commit again",
                expected.commit,
                evidence.verdict.as_str()
            ),
        ));
    }
    if expected.has_commands && !evidence.acceptance_ran {
        findings.push(finding(
            "not-run",
            format!(
                "the evidence note on {} was recorded without running the acceptance commands (--no-run)",
                expected.commit
            ),
        ));
    }
    // A note without runs has nothing to contradict; `not-run` already says so.
    if let Some(fresh) = expected.fresh.filter(|_| evidence.acceptance_ran) {
        findings.extend(contradictions(&evidence, fresh, &finding));
    }
    if let Some(commands) = expected.vouched.filter(|_| evidence.acceptance_ran) {
        findings.extend(unvouched(&evidence, expected.commit, commands, &finding));
    }
    findings
}

/// The task's commands the note does not show run and passed, for a commit whose acceptance
/// was not run again.
fn unvouched(
    evidence: &Evidence,
    commit: &str,
    commands: &[crate::task::AcceptanceCommand],
    finding: &dyn Fn(&str, String) -> Finding,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for command in commands {
        let recorded = evidence
            .acceptance
            .iter()
            .find(|r| {
                r.phase == crate::acceptance::Phase::Acceptance && r.command == command.command
            })
            .map(AcceptanceRun::from);
        let problem = match recorded {
            None => "does not show it run",
            Some(run) if !run.passed() => "records it failing",
            Some(_) => continue,
        };
        findings.push(finding(
            "uncovered",
            format!(
                "the evidence note on {commit} {problem}: `{}`{TIP_ONLY}",
                command.command
            ),
        ));
    }
    findings
}

fn contradictions(
    evidence: &Evidence,
    fresh: &[AcceptanceRun],
    finding: &dyn Fn(&str, String) -> Finding,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for run in fresh {
        let recorded = evidence
            .acceptance
            .iter()
            .find(|r| r.phase == run.phase && r.command == run.command)
            .map(AcceptanceRun::from);
        let Some(recorded) = recorded else {
            findings.push(finding(
                "uncovered",
                format!(
                    "the evidence does not cover the {} command `{}`",
                    run.phase.as_str(),
                    run.command
                ),
            ));
            continue;
        };
        if recorded.passed() == run.passed() {
            continue;
        }
        let mut contradiction = finding(
            "contradicted",
            format!(
                "`{}` {} when recorded but {} now",
                run.command,
                recorded.outcome(),
                run.outcome()
            ),
        );
        contradiction.detail = Some(side_by_side::render(
            "recorded",
            &recorded.output_tail,
            "fresh",
            &run.output_tail,
        ));
        findings.push(contradiction);
    }
    findings
}

fn short(hex: &str) -> &str {
    &hex[..hex.len().min(10)]
}
