//! One file per subcommand.

pub(crate) mod approve;
pub(crate) mod attach_session;
pub(crate) mod check;
pub(crate) mod doctor;
pub(crate) mod explain;
pub(crate) mod hook;
pub(crate) mod init;
pub(crate) mod install;
pub(crate) mod log;
pub(crate) mod policy;
pub(crate) mod report;
pub(crate) mod rollback;
pub(crate) mod scan;
pub(crate) mod show;
pub(crate) mod sync;
pub(crate) mod task;
pub(crate) mod uninstall;
pub(crate) mod verify;

/// Appends a run to the ledger; a ledger that cannot be written is a warning and never changes
/// the verdict.
pub(crate) fn append_to_ledger(
    repo: &crate::repo::Repo,
    out: &crate::output::Output,
    entry: &crate::ledger::Entry,
) {
    append_all_to_ledger(repo, out, std::slice::from_ref(entry));
}

/// Appends several runs at once (one lock, one write); failures warn as for one. Where the
/// policy at HEAD names an OTLP collector, the lines are shipped there too.
pub(crate) fn append_all_to_ledger(
    repo: &crate::repo::Repo,
    out: &crate::output::Output,
    entries: &[crate::ledger::Entry],
) {
    let head = repo.head_commit().ok().flatten().map(|c| c.id());
    append_all_to_ledger_under(repo, out, entries, head);
}

/// As `append_all_to_ledger`, with the collector named by the policy of `policy_commit`
/// (`verify`: the range's base, which the range cannot change).
pub(crate) fn append_all_to_ledger_under(
    repo: &crate::repo::Repo,
    out: &crate::output::Output,
    entries: &[crate::ledger::Entry],
    policy_commit: Option<git2::Oid>,
) {
    if let Err(e) = crate::ledger::append_all(repo.common_dir(), entries) {
        out.stderr(&format!("agentguard: warning: {e}\n"));
    }
    ship(repo, out, entries, policy_commit);
}

/// Ships ledger lines to the collector `[ledger] otlp_endpoint` names, if any. Never fails
/// the command: what cannot be sent waits in the spool, and the user is told.
pub(crate) fn ship(
    repo: &crate::repo::Repo,
    out: &crate::output::Output,
    entries: &[crate::ledger::Entry],
    policy_commit: Option<git2::Oid>,
) {
    let commit = policy_commit.and_then(|oid| repo.git().find_commit(oid).ok());
    // Most policies name no collector: a look at the file spares every run a full parse.
    let names_one = commit.as_ref().is_some_and(|c| {
        repo.read_file_at(c.tree_id(), crate::policy::POLICY_FILE)
            .ok()
            .flatten()
            .is_some_and(|text| memchr::memmem::find(&text, b"otlp_endpoint").is_some())
    });
    if !names_one {
        return;
    }
    // A policy that cannot be read was reported by the command itself.
    let Ok(policy) = crate::policy::Policy::for_base(repo, commit.as_ref()) else {
        return;
    };
    let Some(endpoint) = policy.ledger.otlp_endpoint.as_deref() else {
        return;
    };
    match crate::telemetry::ship(repo.common_dir(), endpoint, entries) {
        Ok(shipped) => {
            let batches = |n: usize| format!("{n} batch{}", if n == 1 { "" } else { "es" });
            if shipped.dropped > 0 {
                out.stderr(&format!(
                    "agentguard: warning: telemetry: the spool is full; the oldest {} of ledger records were dropped (the ledger keeps them)\n",
                    batches(shipped.dropped)
                ));
            }
            if shipped.refused > 0 {
                out.stderr(&format!(
                    "agentguard: warning: telemetry: {endpoint} refused {} of ledger records for good; they were dropped (the ledger keeps them)\n",
                    batches(shipped.refused)
                ));
            }
            if let (Some(failure), true) = (&shipped.failure, shipped.kept > 0) {
                out.stderr(&format!(
                    "agentguard: warning: telemetry: {endpoint} not reached ({failure}); {} kept in {} for the next run\n",
                    batches(shipped.kept),
                    shipped.spool.display()
                ));
            }
        }
        Err(e) => out.stderr(&format!(
            "agentguard: warning: telemetry: cannot use the spool {}: {e}\n",
            crate::telemetry::spool_dir(repo.common_dir()).display()
        )),
    }
}
