//! One file per subcommand.

pub mod approve;
pub mod check;
pub mod doctor;
pub mod explain;
pub mod hook;
pub mod init;
pub mod install;
pub mod log;
pub mod policy;
pub mod report;
pub mod show;
pub mod task;
pub mod uninstall;
pub mod verify;

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
