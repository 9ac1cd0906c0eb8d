//! One file per subcommand.

pub(crate) mod approve;
pub(crate) mod check;
pub(crate) mod doctor;
pub(crate) mod explain;
pub(crate) mod hook;
pub(crate) mod init;
pub(crate) mod install;
pub(crate) mod log;
pub(crate) mod policy;
pub(crate) mod report;
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

/// Appends several runs at once (one lock, one write); failures warn as for one.
pub(crate) fn append_all_to_ledger(
    repo: &crate::repo::Repo,
    out: &crate::output::Output,
    entries: &[crate::ledger::Entry],
) {
    if let Err(e) = crate::ledger::append_all(repo.common_dir(), entries) {
        out.stderr(&format!("agentguard: warning: {e}\n"));
    }
}
