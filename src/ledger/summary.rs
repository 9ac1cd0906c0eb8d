//! `report`: the ledger summed up per task and per agent, and the agent work rolled back.

use super::{Entry, EntryFinding, Ledger, LineVerdict};
use crate::repo::Repo;
use crate::verdict::Verdict;
use git2::Oid;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Shown where a line names no task or no agent.
pub(crate) const NONE: &str = "(none)";
/// Commands listed as slowest per group.
const SLOWEST: usize = 3;

/// Why a judged agent commit counts as rolled back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "cause", rename_all = "kebab-case")]
pub(crate) enum RollbackCause {
    /// Replaced by amend or rebase (a post-rewrite line).
    Rewritten { kind: String, new: String },
    /// No ref, no HEAD reaches it any more (reset away, branch deleted).
    Unreachable,
    /// Undone by a revert commit made with `agentguard rollback`.
    Reverted {
        revert: String,
        reason: String,
        who: String,
    },
}

/// An agent commit the ledger judged that is no longer part of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Rollback {
    pub commit: String,
    pub task: Option<String>,
    pub agent: Option<String>,
    pub branch: Option<String>,
    #[serde(flatten)]
    pub cause: RollbackCause,
    /// The ledger's last judgement of it: the why.
    pub last_time: String,
    pub last_command: String,
    pub last_verdict: String,
    pub findings: Vec<EntryFinding>,
}

/// Commits judged as agent work that were rewritten or can no longer be reached from any ref
/// (notes refs aside: a note keeps its commit alive, but not in the history) or any HEAD.
pub(crate) fn rolled_back(repo: &Repo, ledger: &Ledger) -> Vec<Rollback> {
    // The last judgement of each agent commit, in the order first judged.
    let mut order: Vec<String> = Vec::new();
    let mut last: HashMap<String, &Entry> = HashMap::new();
    let mut rewritten: HashMap<String, (String, String)> = HashMap::new();
    let mut reverted: Vec<&Entry> = Vec::new();
    for entry in &ledger.entries {
        if let (Some(_), Some(_)) = (&entry.rollback, &entry.commit) {
            reverted.push(entry);
            continue;
        }
        for pair in &entry.rewritten {
            let kind = entry.rewrite.clone().unwrap_or_default();
            rewritten.insert(pair.old.clone(), (kind, pair.new.clone()));
        }
        let agent = entry.agent_work || entry.task.is_some() || entry.agent.is_some();
        if let (true, true, Some(commit)) = (entry.is_judgement(), agent, &entry.commit) {
            if last.insert(commit.clone(), entry).is_none() {
                order.push(commit.clone());
            }
        }
    }
    let unrewritten: Vec<&str> = order
        .iter()
        .filter(|c| !rewritten.contains_key(*c))
        .map(String::as_str)
        .collect();
    let reachable = reachable_of(repo, &unrewritten);
    let reverted_commits: HashSet<&str> = reverted
        .iter()
        .filter_map(|e| e.commit.as_deref())
        .collect();
    let mut rollbacks: Vec<Rollback> = order
        .iter()
        .filter(|commit| !reverted_commits.contains(commit.as_str()))
        .filter_map(|commit| {
            let cause = match rewritten.get(commit) {
                Some((kind, new)) => RollbackCause::Rewritten {
                    kind: kind.clone(),
                    new: new.clone(),
                },
                None if reachable.contains(commit.as_str()) => return None,
                None => RollbackCause::Unreachable,
            };
            let entry = last.get(commit)?;
            Some(Rollback {
                commit: commit.clone(),
                task: entry.task.clone(),
                agent: entry.agent.clone(),
                branch: entry.branch.clone(),
                cause,
                last_time: entry.time.clone(),
                last_command: entry.command.clone(),
                last_verdict: entry.verdict.as_str().to_string(),
                findings: entry.findings.clone(),
            })
        })
        .collect();
    // A commit reverted twice (a revert of the revert, reverted again) counts once, by its
    // last rollback.
    let mut seen = HashSet::new();
    for line in reverted.iter().rev() {
        let (Some(commit), Some(record)) = (&line.commit, &line.rollback) else {
            continue;
        };
        if !seen.insert(commit.as_str()) {
            continue;
        }
        let judged = last.get(commit);
        rollbacks.push(Rollback {
            commit: commit.clone(),
            task: line
                .task
                .clone()
                .or_else(|| judged.and_then(|e| e.task.clone())),
            agent: line
                .agent
                .clone()
                .or_else(|| judged.and_then(|e| e.agent.clone())),
            branch: line.branch.clone(),
            cause: RollbackCause::Reverted {
                revert: record.revert.clone(),
                reason: record.reason.clone(),
                who: record.who.clone(),
            },
            last_time: judged.map_or_else(|| line.time.clone(), |e| e.time.clone()),
            last_command: judged.map_or_else(|| line.command.clone(), |e| e.command.clone()),
            last_verdict: judged.map_or_else(String::new, |e| e.verdict.as_str().to_string()),
            findings: judged.map(|e| e.findings.clone()).unwrap_or_default(),
        });
    }
    rollbacks
}

/// Which of `commits` are reachable from a ref tip or a HEAD: one walk from all tips, ended as
/// soon as every commit still present in the object store has been seen.
fn reachable_of<'a>(repo: &Repo, commits: &[&'a str]) -> HashSet<&'a str> {
    let git = repo.git();
    let mut wanted: HashMap<Oid, &'a str> = commits
        .iter()
        .filter_map(|c| Oid::from_str(c).ok().map(|oid| (oid, *c)))
        // A commit missing from the object store is reachable from nothing.
        .filter(|(oid, _)| git.find_commit(*oid).is_ok())
        .collect();
    let mut found = HashSet::new();
    if wanted.is_empty() {
        return found;
    }
    let Ok(mut walk) = git.revwalk() else {
        return found;
    };
    for tip in tips(repo) {
        // Tags of trees or blobs are not history; skip what cannot be walked.
        let _ = walk.push(tip);
    }
    for oid in walk.flatten() {
        if let Some(commit) = wanted.remove(&oid) {
            found.insert(commit);
            if wanted.is_empty() {
                break;
            }
        }
    }
    found
}

/// Every ref tip except notes, peeled to commits, and the HEAD of every work tree.
fn tips(repo: &Repo) -> Vec<Oid> {
    let git = repo.git();
    let mut tips = Vec::new();
    if let Ok(refs) = git.references() {
        for reference in refs.flatten() {
            if reference.name_bytes().starts_with(b"refs/notes/") {
                continue;
            }
            if let Ok(commit) = reference.peel_to_commit() {
                tips.push(commit.id());
            }
        }
    }
    let mut heads = vec![git.head().ok().and_then(|h| h.target())];
    // In a linked work tree, the main one's HEAD lives in the common dir.
    if let Ok(main) = git2::Repository::open(repo.common_dir()) {
        heads.push(main.head().ok().and_then(|h| h.target()));
    }
    if let Ok(names) = git.worktrees() {
        for name in names.iter().flatten() {
            let head = git
                .find_worktree(name)
                .and_then(|wt| git2::Repository::open_from_worktree(&wt))
                .and_then(|r| r.head().map(|h| h.target()));
            heads.push(head.ok().flatten());
        }
    }
    tips.extend(heads.into_iter().flatten());
    tips.sort();
    tips.dedup();
    tips
}

/// Acceptance figures for one command.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct CommandStat {
    pub command: String,
    pub runs: usize,
    pub failures: usize,
    pub max_ms: u64,
    pub mean_ms: u64,
}

/// The runs of one task or one agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Group {
    pub name: String,
    /// Every line: judgements, errors and bypasses.
    pub attempts: usize,
    pub passes: usize,
    pub blocks: usize,
    pub errors: usize,
    pub bypasses: usize,
    /// Blocking findings of blocked attempts, by `kind/category`.
    pub blocked_by: BTreeMap<String, usize>,
    pub acceptance_runs: usize,
    pub acceptance_failures: usize,
    /// Failed runs over all runs, 0 when nothing ran.
    pub acceptance_failure_rate: f64,
    /// The slowest commands by their longest run.
    pub slowest: Vec<CommandStat>,
    /// Distinct commits rolled back.
    pub rolled_back: usize,
    #[serde(skip)]
    commands: BTreeMap<String, (usize, usize, u64, u64)>,
}

impl Group {
    fn named(name: &str) -> Self {
        Self {
            name: name.to_string(),
            ..Self::default()
        }
    }

    fn add(&mut self, entry: &Entry) {
        self.attempts += 1;
        match entry.verdict {
            LineVerdict::Judged(Verdict::Pass) => self.passes += 1,
            LineVerdict::Judged(Verdict::Block) => {
                self.blocks += 1;
                for finding in entry.blocking_findings() {
                    *self.blocked_by.entry(finding.key()).or_default() += 1;
                }
            }
            LineVerdict::Error => self.errors += 1,
            LineVerdict::Bypass => self.bypasses += 1,
            _ => {}
        }
        for run in &entry.acceptance {
            self.acceptance_runs += 1;
            let stat = self.commands.entry(run.command.clone()).or_default();
            stat.0 += 1;
            if !run.passed() {
                self.acceptance_failures += 1;
                stat.1 += 1;
            }
            stat.2 = stat.2.max(run.duration_ms);
            stat.3 = stat.3.saturating_add(run.duration_ms);
        }
    }

    fn finish(&mut self) {
        if self.acceptance_runs > 0 {
            self.acceptance_failure_rate =
                self.acceptance_failures as f64 / self.acceptance_runs as f64;
        }
        let mut stats: Vec<CommandStat> = self
            .commands
            .iter()
            .map(|(command, &(runs, failures, max_ms, total))| CommandStat {
                command: command.clone(),
                runs,
                failures,
                max_ms,
                mean_ms: total / runs.max(1) as u64,
            })
            .collect();
        stats.sort_by(|a, b| b.max_ms.cmp(&a.max_ms).then(a.command.cmp(&b.command)));
        stats.truncate(SLOWEST);
        self.slowest = stats;
    }
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Summary {
    pub schema: &'static str,
    /// Lines read.
    pub entries: usize,
    /// Judgements of human commits, which pass untouched and are not grouped.
    pub human_passes: usize,
    pub tasks: Vec<Group>,
    pub agents: Vec<Group>,
    pub rollbacks: Vec<Rollback>,
    /// Lines that could not be read.
    pub skipped_lines: usize,
}

pub(crate) const SCHEMA: &str = "agentguard.ledger-report/v1";

impl Summary {
    pub(crate) fn new(ledger: &Ledger, rollbacks: Vec<Rollback>) -> Self {
        let mut tasks: BTreeMap<String, Group> = BTreeMap::new();
        let mut agents: BTreeMap<String, Group> = BTreeMap::new();
        let mut human_passes = 0;
        for entry in &ledger.entries {
            if matches!(entry.verdict, LineVerdict::Rewrite | LineVerdict::Rollback) {
                continue;
            }
            let agent_work = entry.agent_work || entry.task.is_some() || entry.agent.is_some();
            if entry.is_judgement() && !agent_work {
                human_passes += 1;
                continue;
            }
            let task = entry.task.as_deref().unwrap_or(NONE);
            let agent = entry.agent.as_deref().unwrap_or(NONE);
            tasks
                .entry(task.to_string())
                .or_insert_with(|| Group::named(task))
                .add(entry);
            agents
                .entry(agent.to_string())
                .or_insert_with(|| Group::named(agent))
                .add(entry);
        }
        for rollback in &rollbacks {
            let task = rollback.task.as_deref().unwrap_or(NONE);
            let agent = rollback.agent.as_deref().unwrap_or(NONE);
            tasks
                .entry(task.to_string())
                .or_insert_with(|| Group::named(task))
                .rolled_back += 1;
            agents
                .entry(agent.to_string())
                .or_insert_with(|| Group::named(agent))
                .rolled_back += 1;
        }
        let finish = |groups: BTreeMap<String, Group>| {
            groups
                .into_values()
                .map(|mut g| {
                    g.finish();
                    g
                })
                .collect()
        };
        Self {
            schema: SCHEMA,
            entries: ledger.entries.len(),
            human_passes,
            tasks: finish(tasks),
            agents: finish(agents),
            rollbacks,
            skipped_lines: ledger.warnings.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::ledger::EntryRun;

    fn judged(task: &str, agent: &str, verdict: LineVerdict) -> Entry {
        Entry {
            agent_work: true,
            task: Some(task.into()),
            agent: Some(agent.into()),
            verdict,
            ..Entry::new("check")
        }
    }

    #[test]
    fn groups_count_attempts_blocks_and_runs() {
        let mut blocked = judged("t1", "codex", LineVerdict::Judged(Verdict::Block));
        blocked.findings.push(EntryFinding {
            kind: "scope".into(),
            category: "denied".into(),
            action: "block".into(),
            ..EntryFinding::default()
        });
        blocked.findings.push(EntryFinding {
            kind: "risk".into(),
            category: "dependencies".into(),
            action: "warn".into(),
            ..EntryFinding::default()
        });
        let run = |ms, status: &str| EntryRun {
            command: "cargo test".into(),
            status: status.into(),
            duration_ms: ms,
            ..EntryRun::default()
        };
        blocked.acceptance.push(run(300, "failed"));
        let mut passed = judged("t1", "claude-code", LineVerdict::Judged(Verdict::Pass));
        passed.acceptance.push(run(100, "passed"));
        let human = Entry {
            verdict: LineVerdict::Judged(Verdict::Pass),
            ..Entry::new("check")
        };
        let ledger = Ledger {
            entries: vec![blocked, passed, human],
            warnings: Vec::new(),
        };
        let summary = Summary::new(&ledger, Vec::new());
        assert_eq!(summary.human_passes, 1);
        assert_eq!(summary.tasks.len(), 1);
        let t1 = &summary.tasks[0];
        assert_eq!((t1.attempts, t1.passes, t1.blocks), (2, 1, 1));
        assert_eq!(t1.blocked_by.get("scope/denied"), Some(&1));
        assert_eq!(t1.blocked_by.len(), 1);
        assert!((t1.acceptance_failure_rate - 0.5).abs() < 1e-9);
        assert_eq!(t1.slowest[0].max_ms, 300);
        assert_eq!(t1.slowest[0].mean_ms, 200);
        let names: Vec<&str> = summary.agents.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["claude-code", "codex"]);
    }
}
