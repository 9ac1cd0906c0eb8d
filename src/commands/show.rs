//! `agentguard show`: renders the evidence and approvals attached to a commit.

use crate::cli::{Format, ShowArgs};
use crate::engine::{self, CheckRequest, Target};
use crate::error::Error;
use crate::evidence::Evidence;
use crate::output::Output;
use crate::repo::Repo;
use crate::report::show::{self, Shown};
use crate::report::Styles;
use crate::Verdict;

pub(crate) fn run(repo: &Repo, args: &ShowArgs, out: &Output) -> Result<Verdict, Error> {
    let spec = args.rev.clone().unwrap_or_else(|| "HEAD".to_string());
    // The change as it is now (fingerprint, approvals verified against the base policy);
    // acceptance is not re-run: `show` reports what was recorded.
    let request = CheckRequest {
        run_acceptance: false,
        all_agent: true,
        all_approvals: true,
        ..CheckRequest::new(Target::Rev(spec))
    };
    let report = engine::check(repo, &mut engine::Cache::default(), &request)?;
    let commit = report.commit.ok_or(Error::NothingToApprove)?;
    let note = repo.note(&report.notes_ref, commit)?;
    let (evidence, evidence_error) = match note.as_deref().map(Evidence::parse) {
        Some(Ok(evidence)) => (Some(evidence), None),
        Some(Err(reason)) => (None, Some(reason)),
        None => (None, None),
    };
    let tree = report.tree.to_string();
    let evidence_matches = evidence.as_ref().is_some_and(|e| {
        e.tree == tree && Some(e.fingerprint.as_str()) == report.fingerprint.as_deref()
    });
    let shown = Shown {
        schema: "agentguard.show/v1",
        commit: commit.to_string(),
        tree,
        fingerprint: report.fingerprint.as_deref(),
        notes_ref: &report.notes_ref,
        approvals_ref: crate::approval::store::notes_ref(&report.notes_ref),
        evidence: evidence.as_ref(),
        evidence_error: evidence_error.clone(),
        evidence_matches,
        approvals: &report.approvals,
    };
    let text = match args.format {
        Format::Json => show::render_json(&shown)?,
        Format::Human => show::render_human(&shown, &Styles::new(out.color)),
    };
    out.stdout(&text)?;
    match (&evidence, evidence_error) {
        (_, Some(reason)) => Err(Error::CorruptNote {
            commit: repo.short(commit),
            notes_ref: report.notes_ref.clone(),
            reason,
        }),
        (Some(_), None) => Ok(Verdict::Pass),
        (None, None) => Ok(Verdict::Block),
    }
}
