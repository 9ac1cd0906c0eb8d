//! The attempts before a commit: the ledger lines on the same branch and task since the
//! previous commit that passed there. The ledger is local to a clone, so they are gathered
//! when the evidence is written (commit-msg, `check --record`) and travel in the note.

use crate::evidence::path_taken::{Attempt, AttemptFinding, AttemptRun, Attempts};
use crate::ledger::{self, Entry, LineVerdict};
use crate::repo::Repo;
use crate::verdict::Verdict;
use git2::Oid;
use std::ops::ControlFlow;

/// Attempts kept in a note (the most recent); older ones are counted.
const KEPT: usize = 20;
/// Blocking findings kept per attempt.
const FINDINGS_KEPT: usize = 10;
/// Failed runs kept per attempt.
const RUNS_KEPT: usize = 5;

/// The attempts before `commit` (or the staged change, `None`) on the current branch and
/// `task`. `None` when the ledger cannot be read: the note then says nothing rather than
/// something wrong, and the commit is not stopped for it.
pub(crate) fn gather(repo: &Repo, commit: Option<Oid>, task: Option<&str>) -> Option<Attempts> {
    let branch = repo.current_branch();
    let mut walk = Walk::new(branch.as_deref(), task, commit.map(|c| c.to_string()));
    ledger::visit_newest_first(repo.common_dir(), |entry| walk.visit(entry)).ok()?;
    let attempts = walk.finish(branch.clone());
    Some(attempts)
}

/// The backward walk over the ledger, newest line first.
struct Walk<'a> {
    branch: Option<&'a str>,
    task: Option<&'a str>,
    /// The commit whose attempts are gathered, when it exists already (`check <rev>`):
    /// lines newer than its own post-commit line are later work.
    commit: Option<String>,
    started: bool,
    found: Vec<Entry>,
    since: Option<String>,
    previous_commit: Option<String>,
}

impl<'a> Walk<'a> {
    fn new(branch: Option<&'a str>, task: Option<&'a str>, commit: Option<String>) -> Self {
        Self {
            branch,
            task,
            started: commit.is_none(),
            commit,
            found: Vec::new(),
            since: None,
            previous_commit: None,
        }
    }

    fn visit(&mut self, entry: Entry) -> ControlFlow<()> {
        if entry.branch.as_deref() != self.branch {
            return ControlFlow::Continue(());
        }
        let own = self.commit.is_some() && entry.commit == self.commit;
        if !self.started {
            // Everything after the commit was made is later work.
            if own && entry.command == "hook post-commit" {
                self.started = true;
            }
            return ControlFlow::Continue(());
        }
        if own {
            return ControlFlow::Continue(());
        }
        if entry.command == "hook post-commit" && entry.commit.is_some() {
            // A commit was made on this branch: the previous one.
            self.since = Some(entry.time);
            self.previous_commit = entry.commit;
            return ControlFlow::Break(());
        }
        let same_task = entry.task.is_none() || entry.task.as_deref() == self.task;
        // Attempts are made where the commit is made: CI's `verify` lines are not.
        let local = entry.command == "check" || entry.command.starts_with("hook ");
        if !same_task || !local {
            return ControlFlow::Continue(());
        }
        match entry.verdict {
            LineVerdict::Judged(Verdict::Pass) if entry.command == "hook commit-msg" => {
                self.since = Some(entry.time);
                ControlFlow::Break(())
            }
            LineVerdict::Judged(Verdict::Block) | LineVerdict::Bypass
                if entry.agent_work || entry.bypass.is_some() =>
            {
                self.found.push(entry);
                ControlFlow::Continue(())
            }
            _ => ControlFlow::Continue(()),
        }
    }

    fn finish(mut self, branch: Option<String>) -> Attempts {
        let omitted = self.found.len().saturating_sub(KEPT);
        self.found.truncate(KEPT);
        self.found.reverse();
        Attempts {
            branch,
            since: self.since,
            previous_commit: self.previous_commit,
            omitted,
            entries: self.found.iter().map(attempt).collect(),
        }
    }
}

fn attempt(entry: &Entry) -> Attempt {
    let blocking: Vec<AttemptFinding> = entry
        .blocking_findings()
        .map(|f| AttemptFinding {
            kind: f.kind.clone(),
            category: f.category.clone(),
            path: f.path.clone(),
        })
        .collect();
    let blocked_omitted = blocking.len().saturating_sub(FINDINGS_KEPT);
    Attempt {
        time: entry.time.clone(),
        command: entry.command.clone(),
        verdict: entry.verdict.as_str().to_string(),
        tree: entry.tree.clone(),
        blocked_by: blocking.into_iter().take(FINDINGS_KEPT).collect(),
        blocked_omitted,
        failed: entry
            .failed_runs()
            .take(RUNS_KEPT)
            .map(|r| AttemptRun {
                command: r.command.clone(),
                status: r.status.clone(),
                exit_code: r.exit_code,
                output_sha256: r.output_sha256.clone(),
                output_last_line: r.output_last_line.clone(),
            })
            .collect(),
        bypass_reason: entry.bypass.as_ref().map(|b| b.reason.clone()),
        bypass_who: entry.bypass.as_ref().map(|b| b.who.clone()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::ledger::{EntryFinding, EntryRun};

    fn line(command: &str, verdict: LineVerdict, task: Option<&str>) -> Entry {
        Entry {
            branch: Some("agent/x".into()),
            task: task.map(str::to_string),
            agent_work: true,
            verdict,
            ..Entry::new(command)
        }
    }

    fn blocked(category: &str) -> Entry {
        let mut entry = line(
            "hook commit-msg",
            LineVerdict::Judged(Verdict::Block),
            Some("T-1"),
        );
        entry.findings.push(EntryFinding {
            kind: "scope".into(),
            category: category.into(),
            path: Some("secrets/x".into()),
            action: "block".into(),
            ..EntryFinding::default()
        });
        entry.acceptance.push(EntryRun {
            command: "make test".into(),
            status: "failed".into(),
            exit_code: Some(2),
            output_sha256: "ab".repeat(32),
            output_last_line: "FAIL".into(),
            ..EntryRun::default()
        });
        entry
    }

    fn walk(lines: Vec<Entry>, commit: Option<&str>) -> Attempts {
        let mut walk = Walk::new(Some("agent/x"), Some("T-1"), commit.map(str::to_string));
        for entry in lines.into_iter().rev() {
            if walk.visit(entry).is_break() {
                break;
            }
        }
        walk.finish(Some("agent/x".into()))
    }

    #[test]
    fn attempts_since_the_previous_commit_on_the_branch_and_task() {
        let mut post = line("hook post-commit", LineVerdict::None, None);
        post.commit = Some("c0".into());
        let mut other_branch = blocked("denied");
        other_branch.branch = Some("main".into());
        let other_task = {
            let mut e = blocked("denied");
            e.task = Some("T-2".into());
            e
        };
        let attempts = walk(
            vec![
                blocked("old"),
                post,
                blocked("denied"),
                other_branch,
                other_task,
                line("hook pre-commit", LineVerdict::Judged(Verdict::Pass), None),
                blocked("outside"),
            ],
            None,
        );
        assert_eq!(attempts.previous_commit.as_deref(), Some("c0"));
        let categories: Vec<&str> = attempts
            .entries
            .iter()
            .map(|a| a.blocked_by[0].category.as_str())
            .collect();
        assert_eq!(categories, ["denied", "outside"]);
        let run = &attempts.entries[0].failed[0];
        assert_eq!(
            (run.exit_code, run.output_last_line.as_str()),
            (Some(2), "FAIL")
        );
        assert!(!attempts.first_time());
    }

    #[test]
    fn a_passing_commit_msg_is_the_boundary_and_a_first_pass_says_so() {
        let attempts = walk(
            vec![
                blocked("denied"),
                line(
                    "hook commit-msg",
                    LineVerdict::Judged(Verdict::Pass),
                    Some("T-1"),
                ),
            ],
            None,
        );
        assert!(attempts.first_time());
        assert!(attempts.since.is_some());
        assert!(walk(Vec::new(), None).first_time());
    }

    #[test]
    fn a_recorded_commit_ignores_what_came_after_it() {
        let mut own_post = line("hook post-commit", LineVerdict::None, None);
        own_post.commit = Some("c1".into());
        let attempts = walk(
            vec![blocked("before"), own_post, blocked("after")],
            Some("c1"),
        );
        assert_eq!(attempts.entries.len(), 1);
        assert_eq!(attempts.entries[0].blocked_by[0].category, "before");
    }

    #[test]
    fn bypasses_count_and_old_attempts_are_counted_not_kept() {
        let mut lines: Vec<Entry> = (0..KEPT + 3).map(|_| blocked("denied")).collect();
        let mut bypass = line("hook commit-msg", LineVerdict::Bypass, Some("T-1"));
        bypass.agent_work = false;
        bypass.bypass = Some(crate::ledger::Bypass {
            reason: "hotfix".into(),
            who: "Jane".into(),
        });
        lines.push(bypass);
        let attempts = walk(lines, None);
        assert_eq!(attempts.omitted, 4);
        assert_eq!(attempts.entries.len(), KEPT);
        let last = attempts.entries.last().unwrap();
        assert_eq!(last.verdict, "bypass");
        assert_eq!(last.bypass_reason.as_deref(), Some("hotfix"));
    }
}
