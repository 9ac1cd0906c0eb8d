//! The engine: gathers the change, the policy and the task, runs the checks, and returns
//! one report per judged commit. It never prints.

use crate::acceptance::{self, AcceptanceError, AcceptanceRun, RunOptions};
use crate::approval::{self, ApprovalError};
use crate::diff::{Change, DiffError};
use crate::evidence::{self, Evidence, Verdict};
use crate::finding::{Action, Finding, Kind};
use crate::policy::{Policy, PolicyError};
use crate::repo::{Repo, RepoError};
use crate::risk::{self, RiskInput};
use crate::task::{self, AgentTrailers, Task};
use crate::trailers;
use git2::Oid;
use std::rc::Rc;

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
    #[error(transparent)]
    Approval(#[from] ApprovalError),
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
    /// Read policy and task files from this commit instead of the change's own base
    /// (`verify`: the merge base, so an earlier commit of the branch cannot loosen them).
    pub policy_base: Option<Oid>,
    /// Judge the change as agent work whatever its trailers, branch and author say.
    pub all_agent: bool,
    /// Require and check the evidence note (`verify`).
    pub require_evidence: bool,
    /// The branches the commit is judged as being on (the branch a range or push belongs to),
    /// instead of the branches whose tip it is.
    pub branches: Option<Vec<String>>,
    /// Verify the stored approvals even when no finding needs one (`show`).
    pub all_approvals: bool,
    /// A local run (`check`, the commit-msg hook): where the platform cannot isolate the
    /// acceptance commands, they may run without (`[acceptance] local_isolation`).
    pub local: bool,
}

impl CheckRequest {
    pub fn new(target: Target) -> Self {
        Self {
            target,
            message: None,
            run_acceptance: true,
            progress: false,
            policy_base: None,
            all_agent: false,
            require_evidence: false,
            branches: None,
            all_approvals: false,
            local: false,
        }
    }
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
    /// Where evidence notes live (`[evidence] notes_ref` of the base policy).
    pub notes_ref: String,
    pub files_changed: usize,
    pub findings: Vec<Finding>,
    pub acceptance: Vec<AcceptanceRun>,
    /// Every stored approval that could speak for this change, and whether it counts.
    pub approvals: Vec<approval::verify::Checked>,
}

impl CommitReport {
    pub fn passed(&self) -> bool {
        !self.findings.iter().any(Finding::blocks)
    }

    /// Evidence of this agent change; `None` for a human commit, which is never diffed.
    pub fn to_evidence(&self, acceptance_ran: bool) -> Option<Evidence> {
        let fingerprint = self.fingerprint.clone()?;
        Some(Evidence {
            schema: evidence::SCHEMA.to_string(),
            commit: self.commit.map(|c| c.to_string()),
            tree: self.tree.to_string(),
            base: self.base.map(|b| b.to_string()),
            fingerprint,
            task: self.task.id.clone(),
            agent: self.task.agent_name.clone(),
            policy: self.policy_source.clone(),
            verdict: if self.passed() {
                Verdict::Pass
            } else {
                Verdict::Block
            },
            acceptance_ran: acceptance_ran || self.task.acceptance.is_empty(),
            tool: format!("agentguard {}", env!("CARGO_PKG_VERSION")),
            time: evidence::now_rfc3339(),
            findings: self.findings.clone(),
            acceptance: self.acceptance.clone(),
        })
    }

    /// Evidence of this change, judged without running acceptance (after an amend), carrying
    /// the runs `recorded` for the same tree: acceptance depends on the tree alone.
    pub fn to_evidence_with_runs_of(&self, recorded: &Evidence) -> Option<Evidence> {
        let mut evidence = self.to_evidence(recorded.acceptance_ran)?;
        evidence.acceptance = recorded.acceptance.clone();
        if recorded.verdict == Verdict::Block {
            evidence.verdict = Verdict::Block;
        }
        evidence.findings.extend(
            recorded
                .findings
                .iter()
                .filter(|f| f.kind == Kind::Acceptance)
                .cloned(),
        );
        Some(evidence)
    }
}

pub fn check(repo: &Repo, request: &CheckRequest) -> Result<CommitReport, EngineError> {
    let (commit, message, author_email, branches) = match &request.target {
        Target::Rev(spec) => {
            let commit = repo.resolve_commit(spec)?;
            let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
            let email = commit.author().email().map(str::to_string);
            let branches = match &request.branches {
                Some(branches) => branches.clone(),
                None => {
                    let mut branches = repo.branches_at(commit.id());
                    let head_id = repo.head_commit()?.map(|h| h.id());
                    if head_id == Some(commit.id()) {
                        branches.extend(repo.current_branch());
                    }
                    branches
                }
            };
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
    let policy_commit = match request.policy_base {
        Some(oid) => Some(repo.git().find_commit(oid)?),
        None => base.clone(),
    };
    let policy = policy_for(repo, policy_commit.as_ref())?;
    let mut agent_reasons = agent_reasons(&policy, &trailers, &branches, author_email.as_deref());
    if request.all_agent && agent_reasons.is_empty() {
        agent_reasons.push("--all-agent".to_string());
    }

    let agent = !agent_reasons.is_empty();
    // Writing the index as a tree costs time on big repositories; a human staged change, which
    // passes untouched, never needs it (its report shows the zero id).
    let tree = match &commit {
        Some(c) => c.tree_id(),
        None if agent => repo.staged_tree()?,
        None => Oid::zero(),
    };
    let mut report = CommitReport {
        commit: commit.as_ref().map(|c| c.id()),
        tree,
        base: base.as_ref().map(|b| b.id()),
        agent,
        agent_reasons,
        task: Task::default(),
        fingerprint: None,
        policy_source: policy.source.to_string(),
        notes_ref: policy.evidence.notes_ref.clone(),
        files_changed: 0,
        findings: Vec::new(),
        acceptance: Vec::new(),
        approvals: Vec::new(),
    };
    if !report.agent {
        return Ok(report);
    }

    let merge_heads = if commit.is_none() {
        repo.merge_heads()
    } else {
        Vec::new()
    };
    let change = match &commit {
        Some(c) => Change::of_commit(repo, c, base.as_ref())?,
        None => Change::of_index(repo, base.as_ref(), tree, &merge_heads)?,
    };
    // A clean merge (of the main branch into an agent branch, say) adds nothing of the
    // agent's: it needs no task of its own.
    let is_merge = commit.as_ref().is_some_and(|c| c.parent_count() > 1) || !merge_heads.is_empty();
    let adds_nothing = is_merge && change.entries.is_empty();
    report.fingerprint = Some(change.fingerprint.clone());
    report.files_changed = change.entries.len();

    let (mut task, mut findings) =
        task::assemble(repo, &policy, policy_commit.as_ref(), &trailers)?;
    if policy.agent.require_task && !trailers.has_task_trailer() && !adds_nothing {
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
    let hooks_path = repo.hooks_path_in_work_tree();
    findings.extend(scan_streamed(
        repo,
        &RiskInput {
            change: &change,
            additions: &[],
            acceptance: &task.acceptance,
            policy: &policy,
            hooks_path: hooks_path.as_deref(),
        },
    )?);
    if request.run_acceptance && !task.acceptance.is_empty() {
        let outcome = acceptance::run(
            repo,
            change.tree,
            &task.acceptance,
            &policy.acceptance,
            &RunOptions {
                progress: request.progress,
                local: request.local,
            },
        )?;
        report.acceptance = outcome.runs;
        findings.extend(outcome.findings);
    }
    // Nothing the change or its commands produced may show a secret in any output.
    for run in &mut report.acceptance {
        run.command = risk::redact_secrets(&policy, &run.command);
        run.output_tail = risk::redact_secrets(&policy, &run.output_tail);
    }
    for command in &mut task.acceptance {
        command.command = risk::redact_secrets(&policy, &command.command);
    }
    let short_commit = report.commit.map(|c| repo.short(c));
    // A clean merge carries nothing of the agent's to vouch for; its tree is still tested.
    if request.require_evidence && !adds_nothing {
        if let Some(commit) = report.commit {
            let note = repo.note(&policy.evidence.notes_ref, commit)?;
            let tree = report.tree.to_string();
            findings.extend(evidence::compare::judge(
                note.as_deref(),
                &evidence::compare::Expected {
                    commit: short_commit.as_deref().unwrap_or_default(),
                    tree: &tree,
                    fingerprint: &change.fingerprint,
                    notes_ref: &policy.evidence.notes_ref,
                    fresh: request
                        .run_acceptance
                        .then_some(report.acceptance.as_slice()),
                    has_commands: !task.acceptance.is_empty(),
                    require: policy.evidence.require,
                },
            ));
        }
    }
    for finding in &mut findings {
        finding.message = risk::redact_secrets(&policy, &finding.message);
        if let Some(detail) = &finding.detail {
            finding.detail = Some(risk::redact_secrets(&policy, detail));
        }
    }
    let approve_target = short_commit.unwrap_or_else(|| "--staged".to_string());
    for finding in findings.iter_mut().filter(|f| f.action == Action::Approve) {
        finding.message.push_str(&format!(
            "; sign off with `agentguard approve {approve_target} --category {}`",
            finding.category
        ));
    }
    if request.all_approvals || findings.iter().any(|f| f.action == Action::Approve) {
        report.approvals = check_approvals(
            repo,
            &policy,
            policy_commit.as_ref().map(|c| c.tree_id()),
            report.commit,
            &change.fingerprint,
            &mut findings,
        )?;
    }
    findings.sort_by(|a, b| {
        (a.kind, &a.category, &a.path, a.line).cmp(&(b.kind, &b.category, &b.path, b.line))
    });
    report.findings = findings;
    report.task = task;
    Ok(report)
}

/// Judges several changes; without acceptance runs (which must not overlap) a large batch is
/// shared among threads, each with its own handle on the repository. Results come back in
/// the order of `requests`, each with the time it took.
pub fn check_all(
    repo: &Repo,
    requests: &[CheckRequest],
) -> Vec<(Result<CommitReport, EngineError>, std::time::Duration)> {
    let timed = |repo: &Repo, request: &CheckRequest| {
        let started = std::time::Instant::now();
        let result = check(repo, request);
        (result, started.elapsed())
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let parallel =
        threads > 1 && requests.len() >= 16 && requests.iter().all(|r| !r.run_acceptance);
    // Each extra thread needs its own handle; without one, fewer threads do the work.
    let others: Vec<Repo> = if parallel {
        (1..threads)
            .filter_map(|_| repo.open_again().ok())
            .collect()
    } else {
        Vec::new()
    };
    if others.is_empty() {
        return requests.iter().map(|r| timed(repo, r)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = |repo: &Repo| {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(request) = requests.get(i) else {
                return done;
            };
            done.push((i, timed(repo, request)));
        }
    };
    let mut results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = others
            .into_iter()
            .map(|own| scope.spawn(move || work(&own)))
            .collect();
        let mut all = work(repo);
        for handle in handles {
            // A worker that panicked leaves its requests undone; they are judged below.
            all.extend(handle.join().unwrap_or_default());
        }
        all
    });
    results.sort_by_key(|(i, _)| *i);
    let mut ordered = Vec::with_capacity(requests.len());
    let mut results = results.into_iter().peekable();
    for (i, request) in requests.iter().enumerate() {
        match results.next_if(|(j, _)| *j == i) {
            Some((_, result)) => ordered.push(result),
            None => ordered.push(timed(repo, request)),
        }
    }
    ordered
}

thread_local! {
    /// The last policy read, by the commit it was read from: `verify` judges every commit of
    /// a range against one base, and a commit id names its tree and so its policy exactly.
    static LAST_POLICY: std::cell::RefCell<Option<(Option<Oid>, Rc<Policy>)>> =
        const { std::cell::RefCell::new(None) };
}

fn policy_for(repo: &Repo, base: Option<&git2::Commit<'_>>) -> Result<Rc<Policy>, PolicyError> {
    let key = base.map(git2::Commit::id);
    let cached = LAST_POLICY.with_borrow(|last| {
        last.as_ref()
            .filter(|(id, _)| *id == key)
            .map(|(_, policy)| Rc::clone(policy))
    });
    if let Some(policy) = cached {
        return Ok(policy);
    }
    let policy = Rc::new(Policy::for_base(repo, base)?);
    LAST_POLICY.set(Some((key, Rc::clone(&policy))));
    Ok(policy)
}

/// The risk scan of the change, each file's added lines read just before they are scanned
/// and dropped after, so memory stays bounded by the largest file, not the whole change. On a
/// large change a second thread, with its own handle on the repository, reads and diffs the
/// files while this one scans them.
fn scan_streamed(repo: &Repo, input: &RiskInput<'_>) -> Result<Vec<Finding>, EngineError> {
    const PIPELINE_FROM: usize = 64;
    if input.change.entries.len() < PIPELINE_FROM {
        return scan_until_error(input, input.change.additions(repo));
    }
    let reader_repo = repo.open_again()?;
    let change = input.change;
    std::thread::scope(|scope| {
        // A few files in flight: enough to keep both threads busy, little memory.
        let (send, receive) = std::sync::mpsc::sync_channel(8);
        scope.spawn(move || {
            for file in change.additions(&reader_repo) {
                let stop = file.is_err();
                if send.send(file).is_err() || stop {
                    break;
                }
            }
        });
        scan_until_error(input, receive)
    })
}

/// Scans files as they come; the first file that could not be read is the error.
fn scan_until_error(
    input: &RiskInput<'_>,
    files: impl IntoIterator<Item = Result<crate::diff::FileAdditions, DiffError>>,
) -> Result<Vec<Finding>, EngineError> {
    let mut failed = None;
    let files = files
        .into_iter()
        .map_while(|file| file.map_err(|e| failed = Some(e)).ok());
    let findings = risk::scan_files(input, files);
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(findings),
    }
}

/// Verifies the approvals stored for this change and marks the findings they cover.
fn check_approvals(
    repo: &Repo,
    policy: &Policy,
    policy_tree: Option<Oid>,
    commit: Option<Oid>,
    fingerprint: &str,
    findings: &mut [Finding],
) -> Result<Vec<approval::verify::Checked>, EngineError> {
    let notes_ref = approval::store::notes_ref(&policy.evidence.notes_ref);
    let stored = approval::store::load(repo, &notes_ref, commit, fingerprint)?;
    if stored.is_empty() {
        return Ok(Vec::new());
    }
    let keygen = approval::SshKeygen::find()?;
    let signers = approval::verify::load_signers(repo, policy, policy_tree)?;
    let checked = approval::verify::check_all(&keygen, &signers, fingerprint, stored)?;
    approval::verify::apply(findings, &checked, &policy.approvals.approvers);
    Ok(checked)
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
