//! The engine: gathers the change, the policy and the task, runs the checks, and returns
//! one report per judged commit. It never prints.

use crate::acceptance::{self, AcceptanceError, AcceptanceRun, RunOptions};
use crate::diff::{Change, DiffError};
use crate::finding::{Action, Finding, Kind};
use crate::policy::{Policy, PolicyError};
use crate::repo::{Repo, RepoError};
use crate::risk::{self, RiskInput};
use crate::task::{self, AgentTrailers, Task};
use crate::trailers;
use git2::Oid;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Diff(#[from] DiffError),
    #[error(transparent)]
    Acceptance(#[from] AcceptanceError),
    #[error("git error: {}", .0.message())]
    Git(#[from] git2::Error),
}

/// What to judge.
#[derive(Debug, Clone)]
pub enum Target {
    Rev(String),
    /// The staged index over HEAD.
    Staged,
}

#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub target: Target,
    /// Overrides the commit message (the commit-msg hook's message file).
    pub message: Option<String>,
    pub run_acceptance: bool,
    pub progress: bool,
}

/// The judgement of one change.
#[derive(Debug, Clone)]
pub struct CommitReport {
    pub commit: Option<Oid>,
    pub tree: Oid,
    pub base: Option<Oid>,
    pub agent: bool,
    /// Why it counts as agent work ("Agent-Task trailer", "branch agent/x matches `agent/**`").
    pub agent_reasons: Vec<String>,
    pub task: Task,
    /// `None` for human commits, which are not diffed.
    pub fingerprint: Option<String>,
    pub policy_source: String,
    pub files_changed: usize,
    pub findings: Vec<Finding>,
    pub acceptance: Vec<AcceptanceRun>,
}

impl CommitReport {
    pub fn passed(&self) -> bool {
        !self.findings.iter().any(Finding::blocks)
    }
}

pub fn check(repo: &Repo, request: &CheckRequest) -> Result<CommitReport, EngineError> {
    let (commit, message, author_email, branches) = match &request.target {
        Target::Rev(spec) => {
            let commit = repo.resolve_commit(spec)?;
            let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
            let email = commit.author().email().map(str::to_string);
            let mut branches = repo.branches_at(commit.id());
            let head_id = repo.head_commit()?.map(|h| h.id());
            if head_id == Some(commit.id()) {
                branches.extend(repo.current_branch());
            }
            (Some(commit), message, email, branches)
        }
        Target::Staged => (
            None,
            String::new(),
            repo.configured_author_email(),
            repo.current_branch().into_iter().collect(),
        ),
    };
    let message = request.message.clone().unwrap_or(message);
    let trailers = AgentTrailers::from_trailers(&trailers::parse(&message, &repo.comment_string()));

    let base = match &commit {
        Some(c) => repo.first_parent(c)?,
        None => repo.head_commit()?,
    };
    let policy = Policy::for_base(repo, base.as_ref())?;
    let agent_reasons = agent_reasons(&policy, &trailers, &branches, author_email.as_deref());

    let tree = match &commit {
        Some(c) => c.tree_id(),
        None => repo.staged_tree()?,
    };
    let mut report = CommitReport {
        commit: commit.as_ref().map(|c| c.id()),
        tree,
        base: base.as_ref().map(|b| b.id()),
        agent: !agent_reasons.is_empty(),
        agent_reasons,
        task: Task::default(),
        fingerprint: None,
        policy_source: policy.source.to_string(),
        files_changed: 0,
        findings: Vec::new(),
        acceptance: Vec::new(),
    };
    if !report.agent {
        return Ok(report);
    }

    let change = match &commit {
        Some(c) => Change::of_commit(repo, c, base.as_ref())?,
        None => Change::of_index(repo, base.as_ref(), tree)?,
    };
    report.fingerprint = Some(change.fingerprint.clone());
    report.files_changed = change.entries.len();

    let (mut task, mut findings) = task::assemble(repo, &policy, base.as_ref(), &trailers)?;
    if policy.agent.require_task && !trailers.has_task_trailer() {
        findings.push(
            Finding::new(
                Kind::Metadata,
                "missing-task",
                Action::Block,
                format!(
                    "agent commit ({}) has no `Agent-Task:` trailer",
                    report.agent_reasons.join("; ")
                ),
            )
            .rule("[agent] require_task = true"),
        );
    }
    findings.extend(crate::scope::check(&change, &task.layers));
    for (category, source) in &task.requires_approval {
        findings.push(
            Finding::new(
                Kind::Risk,
                category,
                Action::Approve,
                format!("the task requires approval for `{category}`"),
            )
            .rule(format!("requires_approval ({source})")),
        );
    }
    let additions = change.added_lines(repo)?;
    let hooks_path = repo.hooks_path_in_work_tree();
    findings.extend(risk::scan(&RiskInput {
        change: &change,
        additions: &additions,
        acceptance: &task.acceptance,
        policy: &policy,
        hooks_path: hooks_path.as_deref(),
    }));
    if request.run_acceptance && !task.acceptance.is_empty() {
        let outcome = acceptance::run(
            repo,
            change.tree,
            &task.acceptance,
            &policy.acceptance,
            &RunOptions {
                progress: request.progress,
            },
        )?;
        report.acceptance = outcome.runs;
        findings.extend(outcome.findings);
    }
    // Nothing the change or its commands produced may show a secret in any output.
    for finding in &mut findings {
        finding.message = risk::redact_secrets(&policy, &finding.message);
    }
    for run in &mut report.acceptance {
        run.command = risk::redact_secrets(&policy, &run.command);
        run.output_tail = risk::redact_secrets(&policy, &run.output_tail);
    }
    for command in &mut task.acceptance {
        command.command = risk::redact_secrets(&policy, &command.command);
    }
    let approve_target = match report.commit {
        Some(commit) => repo.short(commit),
        None => "--staged".to_string(),
    };
    for finding in findings.iter_mut().filter(|f| f.action == Action::Approve) {
        finding.message.push_str(&format!(
            "; sign off with `agentguard approve {approve_target} --category {}`",
            finding.category
        ));
    }
    findings.sort_by(|a, b| {
        (a.kind, &a.category, &a.path, a.line).cmp(&(b.kind, &b.category, &b.path, b.line))
    });
    report.findings = findings;
    report.task = task;
    Ok(report)
}

fn agent_reasons(
    policy: &Policy,
    trailers: &AgentTrailers,
    branches: &[String],
    author_email: Option<&str>,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if trailers.has_task_trailer() {
        reasons.push("Agent-Task trailer".to_string());
    }
    for branch in branches {
        if let Some(glob) = policy.agent.branches.first_match(branch.as_bytes()) {
            reasons.push(format!("branch {branch} matches `{glob}`"));
            break;
        }
    }
    if let Some(email) = author_email {
        if let Some(glob) = policy.agent.authors.first_match(email.as_bytes()) {
            reasons.push(format!("author {email} matches `{glob}`"));
        }
    }
    reasons
}
