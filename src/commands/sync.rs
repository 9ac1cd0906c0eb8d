//! `agentguard sync`: fetch the remote's evidence and approval notes, merge them into this
//! clone's, and push what the remote lacks.

use crate::cli::SyncArgs;
use crate::error::Error;
use crate::output::Output;
use crate::repo::Repo;
use crate::sync::{self, Merged, NotesRefs};
use crate::Verdict;
use std::fmt::Write;

pub(crate) fn run(repo: &Repo, args: &SyncArgs, out: &Output) -> Result<Verdict, Error> {
    let remote = match &args.remote {
        Some(remote) => remote.clone(),
        None => sync::default_remote(repo)?,
    };
    let refs = NotesRefs::of_head(repo)?;
    let report = sync::sync(repo, &remote, &refs, !args.no_push)?;
    out.stdout(&render(&report))?;
    Ok(Verdict::Pass)
}

/// One line per notes ref: what came from the remote, and whether it was pushed.
pub(crate) fn render(report: &sync::Report) -> String {
    let remote = &report.remote;
    let mut text = String::new();
    for r in &report.refs {
        let merged = match r.merged {
            Merged::NothingFetched => format!("{remote} has none"),
            Merged::UpToDate => format!("has everything {remote} has"),
            Merged::Created => format!("fetched from {remote}"),
            Merged::FastForward => format!("fast-forwarded to {remote}'s"),
            Merged::Joined { changed, resolved } => format!(
                "merged with {remote}'s: {changed} note{} from {remote}, {resolved} changed on both sides",
                crate::report::plural(changed),
            ),
        };
        let pushed = if r.pushed {
            format!("; pushed to {remote}")
        } else {
            String::new()
        };
        let _ = writeln!(text, "{}: {merged}{pushed}", r.local_ref);
    }
    text
}
