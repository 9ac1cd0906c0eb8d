//! `agentguard task`.

use crate::cli::TaskCommand;
use crate::error::Error;
use crate::output::Output;
use crate::repo::Repo;
use crate::Verdict;

pub(crate) fn run(repo: &Repo, args: &TaskCommand, out: &Output) -> Result<Verdict, Error> {
    match args {
        TaskCommand::New { id, force } => {
            let file = crate::onboarding::new_task(repo, id, *force)?;
            let how = if file.overwritten {
                "overwrote"
            } else {
                "wrote"
            };
            out.stdout(&format!(
                "{how} {path}\n\nnext steps:\n  \
                 1. fill in goal, allow, deny and acceptance\n  \
                 2. commit it before the agent starts: git add {path} && git commit\n  \
                 3. give the agent its trailers: agentguard task trailers {id}\n",
                path = file.path
            ))?;
        }
        TaskCommand::Trailers { id } => {
            let trailers = crate::onboarding::task_trailers(repo, id)?;
            // stdout is the block alone, so it can be pasted or piped into a message.
            let mut block = trailers.lines.join("\n");
            block.push('\n');
            out.stdout(&block)?;
            for note in &trailers.notes {
                out.stderr(&format!("note: {note}\n"));
            }
        }
    }
    Ok(Verdict::Pass)
}
