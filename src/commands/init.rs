//! `agentguard init`.

use crate::error::Error;
use crate::output::Output;
use crate::repo::Repo;
use crate::Verdict;
use std::fmt::Write;

pub(crate) fn run(
    repo: &Repo,
    args: &crate::cli::InitArgs,
    out: &Output,
) -> Result<Verdict, Error> {
    if args.agents {
        return agents(repo, args, out);
    }
    let written = crate::onboarding::init(repo, args.force)?;
    let mut text = String::new();
    for file in &written {
        let how = if file.overwritten {
            "overwrote"
        } else {
            "wrote"
        };
        let _ = writeln!(text, "{how} {}", file.path);
    }
    text.push_str(
        "\nnext steps:\n  \
         1. review .agentguard.toml, then commit both: git add .agentguard.toml .agentguard && git commit\n  \
         2. install the hooks: agentguard install\n  \
         3. define a task for your agent: agentguard task new <id>\n  \
         4. tell your agent how to commit here: agentguard init --agents\n",
    );
    out.stdout(&text)?;
    Ok(Verdict::Pass)
}

fn agents(repo: &Repo, args: &crate::cli::InitArgs, out: &Output) -> Result<Verdict, Error> {
    use crate::onboarding::AgentsWritten;
    let mut text = String::new();
    for file in crate::onboarding::agent_instructions(repo, &args.files)? {
        let _ = match file {
            AgentsWritten::Created(f) => {
                writeln!(text, "wrote {f} with the agentguard instructions block")
            }
            AgentsWritten::Appended(f) => writeln!(
                text,
                "added the agentguard instructions block to the end of {f}"
            ),
            AgentsWritten::Updated(f) => {
                writeln!(text, "updated the agentguard instructions block in {f}")
            }
            AgentsWritten::Unchanged(f) => {
                writeln!(text, "{f}: the agentguard instructions block is up to date")
            }
        };
    }
    text.push_str("commit it, so every agent that works here reads it\n");
    out.stdout(&text)?;
    Ok(Verdict::Pass)
}
