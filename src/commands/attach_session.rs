//! `agentguard attach-session <rev> <file>`: sums up the agent's session transcript, cross-
//! checks it with the commit's change, and adds both to the commit's evidence note.

use crate::cli::AttachSessionArgs;
use crate::engine::{self, CheckRequest, Target};
use crate::error::Error;
use crate::evidence::{Evidence, NoteFinding};
use crate::finding::Kind;
use crate::output::Output;
use crate::repo::Repo;
use crate::report::{show, Styles};
use crate::verdict::{self, Verdict};

/// The categories of session findings, replaced whole by a later attach.
pub(crate) fn is_session_finding(kind: Kind, category: &str) -> bool {
    kind == Kind::Evidence && category.starts_with("session-")
}

pub(crate) fn run(repo: &Repo, args: &AttachSessionArgs, out: &Output) -> Result<Verdict, Error> {
    let request = CheckRequest {
        run_acceptance: false,
        all_agent: true,
        local: true,
        session: Some(args.file.clone()),
        ..CheckRequest::new(Target::Rev(args.rev.clone()))
    };
    let report = engine::check(repo, &mut engine::Cache::default(), &request)?;
    let commit = report.commit.ok_or(Error::NothingToApprove)?;
    let short = repo.short(commit);
    let Some(session) = report.path_taken.session.clone() else {
        return Err(Error::NotAgentWork { commit: short });
    };
    let note = repo
        .note(&report.notes_ref, commit)?
        .ok_or_else(|| Error::NoEvidence {
            commit: short.clone(),
            notes_ref: report.notes_ref.clone(),
        })?;
    let mut evidence = Evidence::parse(&note).map_err(|reason| Error::CorruptNote {
        commit: short.clone(),
        notes_ref: report.notes_ref.clone(),
        reason,
    })?;
    if evidence.tree != report.tree.to_string() {
        return Err(Error::CorruptNote {
            commit: short.clone(),
            notes_ref: report.notes_ref.clone(),
            reason: format!(
                "it was recorded for tree {}, not this commit's; record it again first",
                evidence.tree
            ),
        });
    }
    evidence
        .findings
        .retain(|f| !is_session_finding(f.kind, &f.category));
    evidence.findings.extend(
        report
            .findings
            .iter()
            .filter(|f| is_session_finding(f.kind, &f.category))
            .map(|f| NoteFinding::new(f, crate::report::message(&report, f))),
    );
    evidence.verdict = if evidence
        .findings
        .iter()
        .any(|f| verdict::blocks(f.action, f.approved))
    {
        Verdict::Block
    } else {
        Verdict::Pass
    };
    evidence.session = Some(session);
    let text = evidence.to_toml()?;
    repo.write_note(&report.notes_ref, commit, &text)?;
    out.stderr(&format!(
        "agentguard: session attached to the evidence of {short} under {}\n",
        report.notes_ref
    ));
    out.stdout(&show::render_session_findings(
        &evidence,
        &Styles::new(out.color),
    ))?;
    Ok(evidence.verdict)
}
