//! What each installed hook does when git runs it. Every hook that can stop git fails closed:
//! an error is returned and becomes a non-zero exit.

use crate::acceptance::progress::ProgressSink;
use crate::approval;
use crate::diff::Change;
use crate::engine::{self, CheckRequest, CommitReport, EngineError, Gate, Target};
use crate::evidence::{self, Evidence, EvidenceError};
use crate::finding::Kind;
use crate::policy::Policy;
use crate::repo::{Repo, RepoError};
use crate::verdict::Verdict;
use std::path::{Path, PathBuf};

/// The hooks agentguard handles, in the order git runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HookName {
    PreCommit,
    /// Adds the task's trailers to an agent's message before the editor opens.
    PrepareCommitMsg,
    CommitMsg,
    PostCommit,
    /// `git merge` runs commit-msg but not post-commit: this attaches the merge's evidence.
    PostMerge,
    PrePush,
    PostRewrite,
    PostCheckout,
}

impl HookName {
    pub(crate) const ALL: [HookName; 8] = [
        HookName::PreCommit,
        HookName::PrepareCommitMsg,
        HookName::CommitMsg,
        HookName::PostCommit,
        HookName::PostMerge,
        HookName::PrePush,
        HookName::PostRewrite,
        HookName::PostCheckout,
    ];

    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.as_str() == name)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HookName::PreCommit => "pre-commit",
            HookName::PrepareCommitMsg => "prepare-commit-msg",
            HookName::CommitMsg => "commit-msg",
            HookName::PostCommit => "post-commit",
            HookName::PostMerge => "post-merge",
            HookName::PrePush => "pre-push",
            HookName::PostRewrite => "post-rewrite",
            HookName::PostCheckout => "post-checkout",
        }
    }

    /// Whether git stops when the hook fails (post-* hooks cannot stop anything).
    pub(crate) fn can_block(self) -> bool {
        matches!(
            self,
            HookName::PreCommit
                | HookName::PrepareCommitMsg
                | HookName::CommitMsg
                | HookName::PrePush
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum HookRunError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    #[error(transparent)]
    Approval(#[from] approval::ApprovalError),
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error("cannot read the commit message file {}: {source}", .path.display())]
    MessageFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("pre-push: cannot read git's ref lines on stdin: {0}")]
    PushInput(String),
    /// The agent's environment or the tools around the hook are not usable as they are.
    #[error("{0}")]
    Environment(String),
    #[error("cannot write {}: {source}", path.display())]
    State {
        path: PathBuf,
        source: std::io::Error,
    },
    /// State an earlier commit left (the human mark) that must go before this one is judged.
    #[error("cannot remove {}, which an earlier commit left: {source}", path.display())]
    Stale {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the push was stopped: the evidence and approval notes cannot be pushed to {remote}: {source}")]
    Notes {
        remote: String,
        source: crate::sync::SyncError,
    },
}

/// Removes state an earlier commit left at `path` (the human mark, an amend's note), if it is
/// there. State that cannot be removed could speak for the commit being made: an error.
pub(crate) fn remove_stale(path: PathBuf) -> Result<(), HookRunError> {
    match std::fs::remove_file(&path) {
        Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
            Err(HookRunError::Stale { path, source })
        }
        _ => Ok(()),
    }
}

impl HookRunError {
    /// What the user can do next: the hint of the error that was made, so a hook says what
    /// `check` says about the same problem.
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match self {
            HookRunError::Engine(e) => e.hint(),
            HookRunError::Evidence(e) => e.hint(),
            HookRunError::Approval(e) => e.hint(),
            HookRunError::Repo(e) => e.hint(),
            HookRunError::MessageFile { .. } => {
                Some("git passes the message file itself; run the hook through git")
            }
            HookRunError::PushInput(_) | HookRunError::State { .. } => None,
            HookRunError::Stale { .. } => {
                Some("it is agentguard's own state in the git directory: remove it yourself")
            }
            HookRunError::Environment(_) => Some(
                "fix or unset the variable in the agent's environment, or write the trailers into the message yourself",
            ),
            HookRunError::Notes { source, .. } => source.hint(),
        }
    }
}

impl From<crate::diff::DiffError> for HookRunError {
    fn from(e: crate::diff::DiffError) -> Self {
        HookRunError::Engine(EngineError::Diff(e))
    }
}

/// What a hook run judged and what the user should read.
#[derive(Debug, Default)]
pub(crate) struct HookRun {
    pub reports: Vec<CommitReport>,
    /// Extra lines for the user (where evidence went, how to reuse a message).
    pub notes: Vec<String>,
    /// Rewritten commits (post-rewrite): old → new.
    pub rewritten: Vec<(String, String)>,
    /// The branch each report was judged on, where it is not the checked-out one (pre-push:
    /// the pushed branch).
    pub branches: Vec<Option<String>>,
}

impl HookRun {
    pub(crate) fn verdict(&self) -> Verdict {
        Verdict::all(self.reports.iter().map(CommitReport::verdict))
    }
}

/// pre-commit: the message (and so its trailers) does not exist yet. On an agent branch or for
/// an agent author, judge scope and risk of the staged change now, under the task
/// prepare-commit-msg is about to name (`planned`); commit-msg does the rest.
/// A human change gets its only check here: the credentials in its added lines.
pub(crate) fn pre_commit(repo: &Repo, planned: String) -> Result<HookRun, HookRunError> {
    let request = CheckRequest {
        message: Some(planned),
        run_acceptance: false,
        gate: Gate::Commit,
        ..CheckRequest::new(Target::Staged)
    };
    let mut report = engine::check(repo, &mut engine::Cache::default(), &request)?;
    // Task metadata lives in the message, which commit-msg judges.
    report.findings.retain(|f| f.kind != Kind::Metadata);
    Ok(HookRun {
        reports: vec![report],
        ..HookRun::default()
    })
}

/// commit-msg: the full check with the message's trailers, acceptance included; a pass leaves
/// pending evidence for post-commit to attach.
pub(crate) fn commit_msg(
    repo: &Repo,
    message_file: &Path,
    progress: Option<ProgressSink>,
) -> Result<HookRun, HookRunError> {
    // On a person's branch git runs no prepare-commit-msg: the trailers the environment names
    // are added here (where prepare-commit-msg ran, they are there already).
    let agent_env = super::prepare::Prepare::from_agent_env();
    let named = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
    let mut added = Vec::new();
    if named(&agent_env.task) || named(&agent_env.agent) {
        let input = super::prepare::Prepare {
            source: Some(
                if repo.merge_heads().is_empty() {
                    "message"
                } else {
                    "merge"
                }
                .into(),
            ),
            ..agent_env
        };
        added = super::prepare::add_agent_trailers(repo, message_file, &input)?.notes;
    }
    let bytes = std::fs::read(message_file).map_err(|source| HookRunError::MessageFile {
        path: message_file.to_path_buf(),
        source,
    })?;
    let request = CheckRequest {
        message: Some(String::from_utf8_lossy(&bytes).into_owned()),
        progress,
        local: true,
        // pre-commit checked a human change's credentials already.
        humans: false,
        recording: true,
        gate: Gate::Commit,
        amend: super::prepare::amending(repo),
        // A merge concluded in the agent's environment carries no trailer of its own.
        presume_agent: super::prepare::presumed_by_env(),
        ..CheckRequest::new(Target::Staged)
    };
    let report = engine::check(repo, &mut engine::Cache::default(), &request)?;
    let mut run = HookRun {
        notes: added,
        ..HookRun::default()
    };
    if report.verdict().passed() {
        // Commands run without the sandbox deserve more than a count in the summary line.
        run.notes.extend(
            report
                .findings
                .iter()
                .filter(|f| {
                    matches!(
                        f.category.as_str(),
                        "network-isolation" | "filesystem-isolation"
                    )
                })
                .map(|f| format!("warning: {}", f.message)),
        );
        if let Some(evidence) = crate::report::note::evidence(&report, true) {
            evidence::record(repo, &report.notes_ref, &evidence)?;
            run.notes
                .push("evidence recorded; it is attached to the commit when it is made".into());
        }
    } else {
        run.notes.push(format!(
            "your commit message was kept in {}\n  fix the findings, `git add` the fixes, then reuse it: git commit -F {}",
            message_file.display(),
            shell_quote(&message_file.to_string_lossy())
        ));
    }
    run.reports.push(report);
    Ok(run)
}

/// post-commit: attaches the pending evidence and approvals to the new commit. It cannot stop
/// the commit, so problems come back as notes.
pub(crate) fn post_commit(repo: &Repo) -> Result<HookRun, HookRunError> {
    let mut run = HookRun::default();
    if let Some(commit) = repo.head_commit()? {
        run.notes = attach_pending(repo, &commit)?;
    }
    Ok(run)
}

/// Attaches to `commit` the evidence commit-msg left pending for its tree and parent, and the
/// approvals pending for its change; what was attached, as notes for the output. post-commit
/// does it for the commit just made; pre-push for the commits it sends, where git ran no
/// post-commit (a person's branch, see `branches`).
pub(crate) fn attach_pending(
    repo: &Repo,
    commit: &git2::Commit<'_>,
) -> Result<Vec<String>, HookRunError> {
    let mut notes = Vec::new();
    // A human commit leaves nothing pending: done before the policy is read.
    if evidence::peek_pending(repo, commit.tree_id())?.is_none()
        && !approval::store::has_pending(repo)
    {
        return Ok(notes);
    }
    // A parent that cannot be read is an error, never the default policy.
    let parent = repo.first_parent(commit)?;
    let policy = Policy::for_base(repo, parent.as_ref()).map_err(EngineError::from)?;
    let notes_ref = policy.evidence.notes_ref.clone();
    // An amend's evidence is written by post-rewrite, after git has copied the replaced
    // commit's note onto this one (which would otherwise overwrite or join it).
    let attached = if super::prepare::amended(repo, commit) {
        None
    } else {
        let trailers = crate::task::AgentTrailers::from_trailers(&crate::trailers::parse(
            &String::from_utf8_lossy(commit.message_bytes()),
            &repo.comment_string(),
        ));
        let task = trailers.tasks.first().map(String::as_str);
        evidence::attach_pending(repo, commit, task, &notes_ref)?
    };
    let fingerprint = match &attached {
        Some(evidence) => {
            notes.push(format!(
                "evidence attached to {} under {notes_ref}",
                repo.short(commit.id())
            ));
            Some(evidence.fingerprint.clone())
        }
        None if approval::store::has_pending(repo) => {
            Some(Change::of_commit(repo, commit, parent.as_ref())?.fingerprint)
        }
        None => None,
    };
    if let Some(fingerprint) = fingerprint {
        let approvals_ref = approval::store::notes_ref(&notes_ref);
        let moved =
            approval::store::attach_pending(repo, &approvals_ref, commit.id(), &fingerprint)?;
        if moved > 0 {
            notes.push(format!(
                "{moved} pending approval{} attached under {approvals_ref}",
                if moved == 1 { "" } else { "s" }
            ));
        }
    }
    Ok(notes)
}

/// post-rewrite: git passes `<old> <new> [<extra>]` lines on stdin after an amend or rebase,
/// once it has copied the notes (`notes.rewriteRef`). An amended commit gets evidence of its
/// own from what commit-msg left pending for its tree; a rebased one whose tree changed is told
/// to record again. The ledger keeps the path.
pub(crate) fn post_rewrite(repo: &Repo, kind: &str, stdin: &str) -> Result<HookRun, HookRunError> {
    let mut run = HookRun {
        rewritten: stdin
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                Some((words.next()?.to_string(), words.next()?.to_string()))
            })
            .collect(),
        ..HookRun::default()
    };
    let mut stale = Vec::new();
    let mut cache = engine::Cache::default();
    for (_, new) in &run.rewritten {
        let Ok(oid) = git2::Oid::from_str(new) else {
            continue;
        };
        let commit = repo.git().find_commit(oid).map_err(RepoError::from)?;
        let pending = evidence::peek_pending(repo, commit.tree_id())?;
        let request = CheckRequest {
            run_acceptance: false,
            // Only agent commits get evidence; a human one is left as it is.
            humans: false,
            gate: Gate::Commit,
            ..CheckRequest::new(Target::Rev(new.clone()))
        };
        let report = engine::check(repo, &mut cache, &request)?;
        if !report.agent {
            continue;
        }
        if let Some(recorded) = pending.filter(|_| kind == "amend") {
            if let Some(evidence) = crate::report::note::evidence_with_runs_of(&report, &recorded) {
                let verdict = evidence.verdict;
                evidence::record(
                    repo,
                    &report.notes_ref,
                    &Evidence {
                        commit: Some(new.clone()),
                        ..evidence
                    },
                )?;
                evidence::remove_pending(repo, commit.tree_id())?;
                run.notes.push(format!(
                    "evidence recorded for the amended commit {}: {}",
                    repo.short(oid),
                    verdict.as_str()
                ));
                if verdict == Verdict::Block {
                    // The amend is made; say loudly that it would not pass.
                    run.reports.push(report);
                }
                continue;
            }
        }
        let note = repo.note(&report.notes_ref, oid)?;
        let current = note
            .as_deref()
            .and_then(|n| Evidence::parse(n).ok())
            .is_some_and(|e| e.tree == report.tree.to_string());
        if !current {
            stale.push(repo.short(oid));
        }
    }
    if !stale.is_empty() {
        run.notes.push(format!(
            "{} rewritten agent commit{} no longer match their evidence; record it again: {}",
            stale.len(),
            if stale.len() == 1 { "" } else { "s" },
            stale
                .iter()
                .map(|c| format!("agentguard check {c} --record"))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    Ok(run)
}

/// Who a change is attributed to in the ledger when its message is not judged (pre-commit
/// runs before the message exists; a bypass judges nothing): the task and agent of `message`'s
/// trailers, else of the message git prepared for a merge, cherry-pick or squash
/// (`MERGE_MSG`, `SQUASH_MSG`), else `AGENTGUARD_TASK` and `AGENTGUARD_AGENT`.
pub(crate) fn attribution(repo: &Repo, message: Option<&str>) -> (Option<String>, Option<String>) {
    let prepared = || {
        ["MERGE_MSG", "SQUASH_MSG"]
            .iter()
            .find_map(|name| std::fs::read(repo.git().path().join(name)).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let trailers = message
        .map(str::to_string)
        .or_else(prepared)
        .map(|text| {
            crate::task::AgentTrailers::from_trailers(&crate::trailers::parse(
                &text,
                &repo.comment_string(),
            ))
        })
        .unwrap_or_default();
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    (
        trailers
            .tasks
            .first()
            .cloned()
            .or_else(|| env("AGENTGUARD_TASK")),
        trailers
            .names
            .first()
            .cloned()
            .or_else(|| env("AGENTGUARD_AGENT")),
    )
}

/// Single-quotes a path for a shell command the user can paste.
fn shell_quote(text: &str) -> String {
    if text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b))
    {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}
