//! `agentguard uninstall`.

use crate::error::Error;
use crate::hooks::{ConfigChange, Uninstalled};
use crate::output::Output;
use crate::repo::Repo;
use crate::Verdict;
use std::fmt::Write;

pub(crate) fn run(repo: &Repo, out: &Output) -> Result<Verdict, Error> {
    let report = crate::hooks::uninstall(repo)?;
    let mut text = format!("hooks directory: {}\n", report.hooks_dir.display());
    let mut changed = false;
    for hook in &report.hooks {
        let what = match &hook.action {
            Uninstalled::Removed => "removed".to_string(),
            Uninstalled::Restored { from } => {
                format!("removed; restored your hook from {}", from.display())
            }
            Uninstalled::NotOurs => "not agentguard's: left alone".to_string(),
            Uninstalled::Absent => "not installed".to_string(),
        };
        changed |= matches!(
            hook.action,
            Uninstalled::Removed | Uninstalled::Restored { .. }
        );
        let _ = write!(text, "  {}: {what}", hook.name);
        if let (Uninstalled::NotOurs | Uninstalled::Absent, Some(kept)) =
            (&hook.action, &hook.chains)
        {
            let _ = write!(text, " ({} is still there)", kept.display());
        }
        text.push('\n');
    }
    for change in &report.config {
        if let ConfigChange::Removed { key, value } = change {
            changed = true;
            let _ = writeln!(text, "git config --unset {key} {value}");
        }
    }
    if !changed {
        text.push_str("nothing changed: agentguard's hooks were not installed\n");
    }
    out.stdout(&text)?;
    Ok(Verdict::Pass)
}
