//! `agentguard approve`: a human signs off on categories of one exact change.

use crate::approval::{self, Approval, SshKeygen};
use crate::cli::ApproveArgs;
use crate::engine::{self, CheckRequest, CommitReport, Target};
use crate::error::Error;
use crate::finding::Action;
use crate::output::Output;
use crate::policy::Policy;
use crate::repo::Repo;
use crate::report::printable;
use crate::Verdict;

pub(crate) fn run(repo: &Repo, args: &ApproveArgs, out: &Output) -> Result<Verdict, Error> {
    let keygen = SshKeygen::find()?;
    let target = if args.staged {
        Target::Staged
    } else {
        Target::Rev(args.rev.clone().unwrap_or_else(|| "HEAD".to_string()))
    };
    let request = CheckRequest {
        run_acceptance: false,
        all_agent: true,
        ..CheckRequest::new(target)
    };
    let mut cache = engine::Cache::default();
    let before = engine::check(repo, &mut cache, &request)?;
    let Some(fingerprint) = before.fingerprint.clone() else {
        return Err(Error::NothingToApprove);
    };
    let base = match before.base {
        Some(oid) => Some(
            repo.git()
                .find_commit(oid)
                .map_err(crate::repo::RepoError::from)?,
        ),
        None => None,
    };
    let policy = Policy::for_base(repo, base.as_ref()).map_err(engine::EngineError::from)?;
    let known = policy.risk.category_names();
    let mut categories: Vec<String> = Vec::new();
    for category in &args.categories {
        let category = category.trim().to_string();
        if !known.contains(&category) {
            return Err(Error::UnknownCategory {
                category,
                known: known.iter().cloned().collect::<Vec<_>>().join(", "),
            });
        }
        if !categories.contains(&category) {
            categories.push(category);
        }
    }
    let approver = repo
        .config_string("user.email")
        .or_else(|| repo.configured_author_email())
        .filter(|e| !e.trim().is_empty())
        .ok_or(approval::ApprovalError::NoIdentity)?;
    let key = args
        .key
        .clone()
        .or_else(|| repo.config_string("user.signingkey"))
        .filter(|k| !k.trim().is_empty())
        .ok_or(approval::ApprovalError::NoKey)?;

    let mut approval = Approval {
        fingerprint: fingerprint.clone(),
        categories: categories.clone(),
        approver: approval::one_line(&approver),
        time: crate::evidence::now_rfc3339(),
        reason: approval::one_line(args.reason.as_deref().unwrap_or_default()),
        signature: String::new(),
    };
    approval.signature =
        keygen.sign(&approval::ssh::SigningKey::parse(&key), &approval.payload())?;

    let notes_ref = approval::store::notes_ref(&before.notes_ref);
    let place = match before.commit {
        Some(commit) => {
            approval::store::append_to_note(repo, &notes_ref, commit, &approval.to_block())?;
            format!(
                "{notes_ref} on {} (share it: agentguard sync)",
                repo.short(commit)
            )
        }
        None => {
            let path = approval::store::append_pending(repo, &fingerprint, &approval.to_block())?;
            format!(
                "{} (the post-commit hook attaches it to the commit)",
                path.display()
            )
        }
    };
    out.stdout(&format!(
        "signed approval of {} by {} for change {}\nstored in {place}\n",
        categories.join(", "),
        printable(&approval.approver),
        &fingerprint[..fingerprint.len().min(12)],
    ))?;

    let after = engine::check(repo, &mut cache, &request)?;
    summarize(&after, &approval, &policy, out)
}

/// Says what the approval now covers and what still waits, and whether it counts at all.
fn summarize(
    report: &CommitReport,
    approval: &Approval,
    policy: &Policy,
    out: &Output,
) -> Result<Verdict, Error> {
    let mine = report.approvals.iter().rev().find(|c| {
        c.approval
            .as_ref()
            .is_some_and(|a| a.signature == approval.signature)
    });
    let mut text = String::new();
    let mut counts = true;
    match mine {
        Some(checked) if !checked.verified() => {
            counts = false;
            text.push_str(&format!(
                "warning: this approval does not count: {}\n",
                checked.why()
            ));
        }
        _ => {}
    }
    for category in &approval.categories {
        if !approval::verify::is_listed(&policy.approvals.approvers, category, &approval.approver) {
            counts = false;
            text.push_str(&format!(
                "warning: {} is not listed for `{category}` in [approvals] approvers of the base policy; this approval does not count for it\n",
                printable(&approval.approver)
            ));
        }
    }
    for finding in report
        .findings
        .iter()
        .filter(|f| f.action == Action::Approve)
    {
        let place = finding.path.as_deref().map(printable).unwrap_or_default();
        if finding.approved() {
            text.push_str(&format!("  ✓ {} {place}\n", finding.category));
        } else {
            text.push_str(&format!(
                "  ◆ {} {place} still needs approval\n",
                finding.category
            ));
            if let Some(detail) = &finding.detail {
                for line in detail.lines() {
                    text.push_str(&format!("      {}\n", printable(line)));
                }
            }
        }
    }
    for category in &approval.categories {
        if !report.findings.iter().any(|f| &f.category == category) {
            text.push_str(&format!(
                "  note: no finding of this change needs `{category}` approval (yet)\n"
            ));
        }
    }
    out.stdout(&text)?;
    Ok(if counts {
        Verdict::Pass
    } else {
        Verdict::Block
    })
}
