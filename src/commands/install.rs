//! `agentguard install`.

use crate::error::Error;
use crate::hooks::branches::Routing;
use crate::hooks::{ConfigChange, Installed};
use crate::output::Output;
use crate::repo::Repo;
use crate::Verdict;
use std::fmt::Write;
use std::path::Path;

pub(crate) fn run(
    repo: &Repo,
    args: &crate::cli::InstallArgs,
    out: &Output,
) -> Result<Verdict, Error> {
    let report = crate::hooks::install(repo, args.force, args.every_branch)?;
    let mut text = format!("hooks directory: {}\n", report.hooks_dir.display());
    for hook in &report.hooks {
        let what = match &hook.action {
            Installed::Written => "written".to_string(),
            Installed::Updated => {
                "updated (the shim there differed from this agentguard's)".to_string()
            }
            Installed::Unchanged => "unchanged".to_string(),
            Installed::Chained { kept } => {
                format!(
                    "written; your hook was kept as {} and runs first",
                    file_name(kept)
                )
            }
            Installed::Replaced { backup } => format!(
                "written; the hook there was replaced, not chained, and kept as {}",
                backup.display()
            ),
        };
        let _ = write!(text, "  {}: {what}", hook.name);
        if let (false, Some(kept)) = (
            matches!(hook.action, Installed::Chained { .. }),
            &hook.chains,
        ) {
            let _ = write!(text, " (runs {} first)", file_name(kept));
        }
        text.push('\n');
    }
    for change in &report.config {
        let _ = match change {
            ConfigChange::Added { key, value } => {
                writeln!(text, "git config --add {key} {value}")
            }
            ConfigChange::AlreadySet { key, value } => {
                writeln!(text, "{key} {value}: already set")
            }
            ConfigChange::Removed { key, value } => {
                writeln!(text, "git config --unset {key} {value}")
            }
            ConfigChange::RemovedClobbering { key, value } => writeln!(
                text,
                "removed {key} {value}: every fetch overwrote this clone's notes with the remote's, deleting unpushed evidence"
            ),
            ConfigChange::Clobbers { key, value } => writeln!(
                text,
                "warning: {key} {value} overwrites this clone's notes with the remote's on every fetch, deleting unpushed evidence; remove it: git config --unset {key} '{}'",
                crate::hooks::exactly(value)
            ),
        };
    }
    let _ = match &report.routing {
        Routing::Gated { agent_branches } => writeln!(
            text,
            "branches: a commit on {} or with a detached HEAD runs every hook; on another branch agentguard starts only for an agent's work (AGENTGUARD_TASK, AGENTGUARD_AGENT, an Agent- trailer), and pre-push judges a person's commits (`install --every-branch` runs every hook everywhere)",
            agent_branches.join(", ")
        ),
        Routing::EveryBranch(reason) => {
            writeln!(text, "branches: every commit runs every hook: {reason}")
        }
    };
    if let Some(path) = &report.tracked_hooks_path {
        let _ = writeln!(
            text,
            "note: core.hooksPath is {path}, inside the work tree: commit these hook files or ignore them"
        );
    }
    if report.changed_nothing() {
        text.push_str("nothing changed: agentguard's hooks were already installed\n");
    }
    out.stdout(&text)?;
    Ok(Verdict::Pass)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
