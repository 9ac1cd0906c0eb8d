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
    // Only lines of this branch matter: the others are skipped before they are parsed.
    let needle = branch
        .as_deref()
        .and_then(|b| serde_json::to_string(b).ok())
        .map(|b| format!("\"branch\":{b}"));
    ledger::visit_newest_first(
        repo.common_dir(),
        needle.as_deref().map(str::as_bytes),
        |entry| walk.visit(entry),
    )
    .ok()?;
    let attempts = walk.finish(branch.clone());
    Some(attempts)
}

/// The backward walk over the ledger, newest line first. It stops at the previous commit on
/// the branch that passed its hooks (a `commit-msg` pass, with the `post-commit` line after it
/// naming the commit), or that was made without them (`--no-verify`); a commit made with the
/// hooks skipped (`AGENTGUARD_SKIP`) did not pass, and is one of the attempts.
struct Walk<'a> {
    branch: Option<&'a str>,
    task: Option<&'a str>,
    /// The commit whose attempts are gathered, when it exists already (`check <rev>`):
    /// lines newer than its own post-commit line are later work.
    commit: Option<String>,
    started: bool,
    /// A commit made (a `post-commit` line) whose hook lines have not been seen yet, and when.
    made: Option<(String, String)>,
    found: Vec<(Entry, Option<String>)>,
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
            made: None,
            found: Vec::new(),
            since: None,
            previous_commit: None,
        }
    }

    fn boundary(&mut self, commit: Option<String>, time: String) -> ControlFlow<()> {
        self.previous_commit = commit;
        self.since = Some(time);
        ControlFlow::Break(())
    }

    fn visit(&mut self, entry: Entry) -> ControlFlow<()> {
        // A push is not an attempt at the commit.
        if entry.branch.as_deref() != self.branch || entry.command == "hook pre-push" {
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
        if entry.command == "hook post-commit" {
            if let Some(commit) = entry.commit {
                // Two commits in a row without hook lines between: the later one is the
                // previous commit, made without the hooks.
                if let Some((made, time)) = self.made.take() {
                    return self.boundary(Some(made), time);
                }
                self.made = Some((commit, entry.time));
            }
            return ControlFlow::Continue(());
        }
        let same_task = entry.task.is_none() || entry.task.as_deref() == self.task;
        // Attempts are made where the commit is made: CI's `verify` lines are not.
        let local = entry.command == "check" || entry.command.starts_with("hook ");
        if !same_task || !local {
            return ControlFlow::Continue(());
        }
        match entry.verdict {
            LineVerdict::Judged(Verdict::Pass) if entry.command == "hook commit-msg" => {
                match self.made.take() {
                    Some((made, time)) => self.boundary(Some(made), time),
                    // A pass whose commit was never made (aborted): still where the work stood.
                    None => self.boundary(None, entry.time),
                }
            }
            LineVerdict::Bypass => {
                let made = self.made.take().map(|(commit, _)| commit);
                // One skipped commit skips pre-commit and commit-msg: one attempt.
                let repeat = self.found.last().is_some_and(|(last, _)| {
                    last.verdict == LineVerdict::Bypass
                        && last.tree == entry.tree
                        && last.bypass == entry.bypass
                });
                if !repeat {
                    self.found.push((entry, made));
                }
                ControlFlow::Continue(())
            }
            LineVerdict::Judged(Verdict::Block) if entry.agent_work => {
                if let Some((made, time)) = self.made.take() {
                    return self.boundary(Some(made), time);
                }
                self.found.push((entry, None));
                ControlFlow::Continue(())
            }
            _ => ControlFlow::Continue(()),
        }
    }

    fn finish(mut self, branch: Option<String>) -> Attempts {
        // The ledger's first commit on the branch, when nothing older was seen.
        if let (Some((made, time)), None) = (self.made.take(), &self.since) {
            self.previous_commit = Some(made);
            self.since = Some(time);
        }
        let omitted = self.found.len().saturating_sub(KEPT);
        self.found.truncate(KEPT);
        self.found.reverse();
        Attempts {
            branch,
            since: self.since,
            previous_commit: self.previous_commit,
            omitted,
            entries: self
                .found
                .iter()
                .map(|(entry, made)| attempt(entry, made.clone()))
                .collect(),
        }
    }
}

fn attempt(entry: &Entry, committed: Option<String>) -> Attempt {
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
        committed,
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
    fn a_commit_made_with_the_hooks_skipped_is_an_attempt_not_the_boundary() {
        let post = |commit: &str| {
            let mut e = line("hook post-commit", LineVerdict::None, None);
            e.commit = Some(commit.into());
            e
        };
        let bypass = |hook: &str| {
            let mut e = line(hook, LineVerdict::Bypass, Some("T-1"));
            e.agent_work = false;
            e.tree = Some("t1".into());
            e.bypass = Some(crate::ledger::Bypass {
                reason: "hotfix".into(),
                who: "Jane".into(),
            });
            e
        };
        let attempts = walk(
            vec![
                line(
                    "hook commit-msg",
                    LineVerdict::Judged(Verdict::Pass),
                    Some("T-1"),
                ),
                post("c0"),
                blocked("x"),
                bypass("hook pre-commit"),
                bypass("hook commit-msg"),
                post("c1"),
                blocked("y"),
            ],
            None,
        );
        assert_eq!(attempts.previous_commit.as_deref(), Some("c0"));
        let story: Vec<(&str, Option<&str>)> = attempts
            .entries
            .iter()
            .map(|a| (a.verdict.as_str(), a.committed.as_deref()))
            .collect();
        assert_eq!(
            story,
            [("block", None), ("bypass", Some("c1")), ("block", None)]
        );
        // A commit made without the hooks at all (--no-verify) is the previous commit.
        let attempts = walk(vec![blocked("x"), post("c2"), blocked("y")], None);
        assert_eq!(attempts.previous_commit.as_deref(), Some("c2"));
        assert_eq!(attempts.entries.len(), 1);
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
