//! The base's test inventory, to compare the change's with: a change that runs fewer tests
//! than its base did lost some, whatever the trick (a deleted test, a dropped workspace
//! member, a dead `cfg`, a file moved where the runner no longer looks).
//!
//! For each acceptance command the base's count comes from the base commit's evidence note
//! when it records one for the same command and tree; else from the cache of earlier runs of
//! the base (`<git common dir>/agentguard/inventory/`, keyed by the base tree, the setup
//! commands and the command, where no acceptance command can write); else from running the
//! command on the base tree, in the same isolation as the change's own run.

use super::inventory::Inventory;
use super::{AcceptanceError, AcceptanceRun, Baseline, Phase, RunOptions};
use crate::evidence::{Evidence, NoteTests};
use crate::policy::AcceptancePolicy;
use crate::repo::Repo;
use crate::task::AcceptanceCommand;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

pub(crate) const CACHE_DIR: &str = "agentguard/inventory";

/// An acceptance command that ran fewer tests than the base ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shortfall {
    pub(crate) command: String,
    /// `None`: the change's run reported no count at all.
    pub(crate) ran: Option<u64>,
    pub(crate) base: Baseline,
}

/// What the comparison needs to know about the base.
pub(crate) struct Base<'a> {
    pub(crate) commit: &'a git2::Commit<'a>,
    pub(crate) notes_ref: &'a str,
}

/// Finds the base's count for every passed acceptance run of the change, records it on the
/// run, and returns the runs that ran fewer tests. `redact` turns a command into the form
/// evidence notes record it in.
pub(crate) fn compare(
    repo: &Repo,
    base: &Base<'_>,
    runs: &mut [AcceptanceRun],
    policy: &AcceptancePolicy,
    options: &RunOptions<'_>,
    redact: &dyn Fn(&str) -> String,
) -> Result<Vec<Shortfall>, AcceptanceError> {
    let compared: Vec<usize> = runs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.phase == Phase::Acceptance && r.passed() && r.tests.is_some())
        .map(|(i, _)| i)
        .collect();
    if compared.is_empty() {
        return Ok(Vec::new());
    }
    let tree = base.commit.tree_id();
    let note = repo
        .note(base.notes_ref, base.commit.id())
        .ok()
        .flatten()
        .and_then(|bytes| Evidence::parse(&bytes).ok())
        .filter(|e| e.tree == tree.to_string());
    let mut found: Vec<Option<(Inventory, String)>> = Vec::with_capacity(compared.len());
    let mut to_run: Vec<AcceptanceCommand> = Vec::new();
    for &i in &compared {
        let run = &runs[i];
        let recorded = note.as_ref().and_then(|e| {
            e.acceptance
                .iter()
                .find(|r| r.phase == Phase::Acceptance && r.command == redact(&run.command))
                .and_then(|r| r.tests.as_ref())
        });
        let known = match recorded {
            Some(tests) => Some((
                tests.inventory(),
                format!("evidence note on {}", repo.short(base.commit.id())),
            )),
            None => read_cache(repo, tree, policy, &run.command)
                .map(|inventory| (inventory, ran_from(repo, tree))),
        };
        // Running the base is worth it only when there is a count to compare with it.
        let counted = run.tests.as_ref().is_some_and(|t| t.counts.is_some());
        if known.is_none() && counted && !to_run.iter().any(|c| c.command == run.command) {
            to_run.push(AcceptanceCommand {
                command: run.command.clone(),
                source: run.source.clone(),
            });
        }
        found.push(known);
    }
    if !to_run.is_empty() {
        let outcome = super::run(repo, tree, &to_run, policy, options)?;
        for base_run in outcome.runs.iter().filter(|r| r.phase == Phase::Acceptance) {
            let Some(inventory) = &base_run.tests else {
                continue;
            };
            write_cache(repo, tree, policy, &base_run.command, inventory);
            for (slot, &i) in found.iter_mut().zip(&compared) {
                if slot.is_none() && runs[i].command == base_run.command {
                    *slot = Some((inventory.clone(), ran_from(repo, tree)));
                }
            }
        }
    }
    let mut shortfalls = Vec::new();
    for (slot, &i) in found.into_iter().zip(&compared) {
        let Some((
            Inventory {
                counts: Some(base_counts),
                ..
            },
            from,
        )) = slot
        else {
            continue;
        };
        let run = &mut runs[i];
        let baseline = Baseline {
            ran: base_counts.ran(),
            from,
        };
        run.baseline = Some(baseline.clone());
        let ran = run.tests.as_ref().and_then(|t| t.counts).map(|c| c.ran());
        let fewer = match ran {
            Some(ran) => ran < baseline.ran,
            None => baseline.ran > 0,
        };
        if fewer {
            shortfalls.push(Shortfall {
                command: run.command.clone(),
                ran,
                base: baseline,
            });
        }
    }
    Ok(shortfalls)
}

fn ran_from(repo: &Repo, tree: git2::Oid) -> String {
    format!("run of the base tree {}", repo.short(tree))
}

/// The cache file of one command's run on one tree after the given setup.
fn cache_path(repo: &Repo, tree: git2::Oid, policy: &AcceptancePolicy, command: &str) -> PathBuf {
    let mut key = Sha256::new();
    key.update(b"agentguard inventory v1\0");
    key.update(tree.as_bytes());
    for setup in &policy.setup {
        key.update(b"\0setup\0");
        key.update(setup.as_bytes());
    }
    key.update(b"\0command\0");
    key.update(command.as_bytes());
    let name = crate::diff::hex(&key.finalize()[..16]);
    repo.common_dir()
        .join(CACHE_DIR)
        .join(format!("{name}.toml"))
}

fn read_cache(
    repo: &Repo,
    tree: git2::Oid,
    policy: &AcceptancePolicy,
    command: &str,
) -> Option<Inventory> {
    let text = std::fs::read_to_string(cache_path(repo, tree, policy, command)).ok()?;
    let tests: NoteTests = toml::from_str(&text).ok()?;
    Some(tests.inventory())
}

/// A cache that cannot be written costs a re-run next time, nothing more.
fn write_cache(
    repo: &Repo,
    tree: git2::Oid,
    policy: &AcceptancePolicy,
    command: &str,
    inventory: &Inventory,
) {
    let path = cache_path(repo, tree, policy, command);
    let Ok(text) = toml::to_string(&NoteTests::new(inventory, None)) else {
        return;
    };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(path, text);
}
