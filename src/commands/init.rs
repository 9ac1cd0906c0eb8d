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
         3. define a task for your agent: agentguard task new <id>\n",
    );
    out.stdout(&text)?;
    Ok(Verdict::Pass)
}
