//! The engine: gathers the change, the policy and the task, runs the checks, and returns
//! one report per judged commit, whose findings decide its verdict. It never prints and
//! never renders: the report carries facts, the renderers in `report` make sentences.

use crate::acceptance::progress::{Event, Progress, ProgressSink};
use crate::acceptance::{self, AcceptanceError, AcceptanceRun, RunOptions};
use crate::approval::{self, ApprovalError};
use crate::diff::{Change, DiffError, ReadAdditions};
use crate::evidence;
use crate::finding::{Action, Finding, Kind};
use crate::policy::{Policy, PolicyError};
use crate::repo::{Repo, RepoError};
use crate::risk::{self, CompiledPolicy, RiskInput};
use crate::task::{self, AgentTrailers, Task, TrailerGlobs};
use crate::trailers;
use crate::verdict::Verdict;
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
    #[error("unknown risk category `{category}` (known: {known})")]
    UnknownCategory { category: String, known: String },
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    PathTaken(#[from] crate::path_taken::PathTakenError),
}

impl EngineError {
    /// What the user can do next, from the error that was made.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            EngineError::Repo(e) => e.hint(),
            EngineError::Policy(e) => e.hint(),
            EngineError::Diff(e) => e.hint(),
            EngineError::Approval(e) => e.hint(),
            EngineError::UnknownCategory { .. } => {
                Some("name a category of the policy at HEAD, as `agentguard scan --category credentials`")
            }
            EngineError::Read { .. } => Some("pass paths of files or directories that exist"),
            EngineError::PathTaken(e) => e.hint(),
            EngineError::Acceptance(_) | EngineError::Git(_) => None,
        }
    }
}

/// Where a change is judged, which decides whether approvals are due yet when the policy
/// says `[approvals] when = "merge"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// The hooks and `check`: the commit is being made.
    Commit,
    /// pre-push, pushing to this branch (`None`: not a branch). A push to an agent branch is
    /// the work going up for review; a push anywhere else is a merge.
    Push { branch: Option<String> },
    /// `verify` and everything else: the change is about to merge.
    Merge,
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
    /// Told how the acceptance commands progress (a spinner on a terminal).
    pub progress: Option<ProgressSink>,
    /// Read policy and task files from this commit instead of the change's own base
    /// (`verify`: the merge base, so an earlier commit of the branch cannot loosen them).
    pub policy_base: Option<Oid>,
    /// The target branch's tip (`verify`'s base; at pre-push the remote's default branch): its
    /// policy narrows `policy_base`'s, so work begun on an old base meets the rules the
    /// target has now.
    pub policy_tip: Option<Oid>,
    /// Judge the change as agent work whatever its trailers, branch and author say.
    pub all_agent: bool,
    /// Judge the change as agent work, for this reason, unless it is provably human (signed
    /// by a key in the base's allowed signers): `verify` in CI where the branch is unknown.
    pub presume_agent: Option<String>,
    /// Where it is judged (when approvals are due).
    pub gate: Gate,
    /// Require and check the evidence note (`verify`).
    pub require_evidence: bool,
    /// The acceptance commands run fresh on another commit of the range (`[verify] run =
    /// "tip"`): this one's evidence must show each of its task's commands run and passed.
    pub vouched_by_evidence: bool,
    /// The branches the commit is judged as being on (the branch a range or push belongs to),
    /// instead of the branches whose tip it is.
    pub branches: Option<Vec<String>>,
    /// Verify the stored approvals even when no finding needs one (`show`).
    pub all_approvals: bool,
    /// A local run (`check`, the commit-msg hook): where the platform cannot isolate the
    /// acceptance commands, they may run without (`[acceptance] local_isolation`).
    pub local: bool,
    /// Check a human change's added lines for credentials when the policy asks
    /// (`[risk.credentials] humans`); off where another step already did (commit-msg after
    /// pre-commit) or where nothing is judged (`show`, `approve`).
    pub humans: bool,
    /// The agent's session transcript to sum up and cross-check (`check --session`); in a
    /// local run the `Agent-Session` trailer names one too.
    pub session: Option<std::path::PathBuf>,
    /// The evidence of this check is being recorded: gather the attempts before it from the
    /// ledger, and try its revert.
    pub recording: bool,
    /// Where `verify` tries each commit's revert: the target branch and the range's tip.
    pub rollback_target: Option<crate::path_taken::RollbackTarget>,
    /// The staged change replaces HEAD (`git commit --amend`): it is judged over HEAD's first
    /// parent, the commit the amended one will sit on.
    pub amend: bool,
}

impl CheckRequest {
    pub fn new(target: Target) -> Self {
        Self {
            target,
            message: None,
            run_acceptance: true,
            progress: None,
            policy_base: None,
            policy_tip: None,
            all_agent: false,
            presume_agent: None,
            gate: Gate::Merge,
            require_evidence: false,
            vouched_by_evidence: false,
            branches: None,
            all_approvals: false,
            local: false,
            humans: true,
            session: None,
            recording: false,
            rollback_target: None,
            amend: false,
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
    /// Who signed it, when a signature by a key in the base's allowed signers makes it human
    /// work (`[approvals] allowed_signers`).
    pub signed_by: Option<crate::approval::commit::Signer>,
    pub task: Task,
    /// `None` for human commits, which are judged by no fingerprint.
    pub fingerprint: Option<String>,
    /// The commit as git abbreviates it in this repository; `None` for a staged change.
    pub abbrev: Option<String>,
    pub policy_source: String,
    /// Where evidence notes live (`[evidence] notes_ref` of the base policy).
    pub notes_ref: String,
    pub files_changed: usize,
    pub findings: Vec<Finding>,
    pub acceptance: Vec<AcceptanceRun>,
    /// Every stored approval that could speak for this change, and whether it counts.
    pub approvals: Vec<approval::verify::Checked>,
    /// A human change whose added lines were checked for credentials (its only check).
    pub credentials_checked: bool,
    /// A report of `agentguard scan`: neither agent nor human work is judged, only what it
    /// holds of the scanned categories.
    pub scanned: bool,
    /// Its acceptance commands were not run again: another commit of the range was, and its
    /// evidence note vouches for this one (`[verify] run = "tip"`).
    pub vouched: bool,
    /// The attempts before it, the agent's session, the way back.
    pub path_taken: crate::evidence::path_taken::PathTaken,
}

impl CommitReport {
    pub fn verdict(&self) -> Verdict {
        Verdict::of(&self.findings)
    }
}

/// What one run of agentguard keeps between the changes it judges; each thread that judges
/// keeps its own. `verify` judges every commit of a range against one base, and a commit id
/// names its tree and so its policy exactly: the policy last read, with its rules compiled, is
/// kept by the commit it was read from.
#[derive(Debug, Default)]
pub struct Cache {
    policy: Option<(PolicyKey, Rc<CompiledPolicy>)>,
    trailer_globs: TrailerGlobs,
}

/// The commits a policy was read from: the base, and the target tip that narrows it.
type PolicyKey = (Option<Oid>, Option<Oid>);

impl Cache {
    fn policy(
        &mut self,
        repo: &Repo,
        base: Option<&git2::Commit<'_>>,
        tip: Option<&git2::Commit<'_>>,
    ) -> Result<Rc<CompiledPolicy>, PolicyError> {
        let key = (base.map(git2::Commit::id), tip.map(git2::Commit::id));
        if let Some((_, policy)) = self.policy.as_ref().filter(|(id, _)| *id == key) {
            return Ok(Rc::clone(policy));
        }
        let mut policy = Policy::for_base(repo, base)?;
        if let Some(tip) = tip {
            policy = policy.narrowed_by(Policy::for_base(repo, Some(tip))?)?;
        }
        let policy = Rc::new(CompiledPolicy::new(policy));
        self.policy = Some((key, Rc::clone(&policy)));
        Ok(policy)
    }
}

/// The judged change as git names it, before anything is diffed.
struct Subject<'r> {
    /// `None` for the staged index.
    commit: Option<git2::Commit<'r>>,
    base: Option<git2::Commit<'r>>,
    trailers: AgentTrailers,
    /// The log message's lines (body and trailers), scanned for credentials.
    message: Vec<(u32, String)>,
    author_name: Option<String>,
    author_email: Option<String>,
    branches: Vec<String>,
    /// Parents of a merge being committed (`MERGE_HEAD`).
    merge_heads: Vec<Oid>,
}

/// Judges one change, stage by stage: gather the change, load the rules, the static checks,
/// acceptance, evidence, approvals, and the verdict.
pub fn check(
    repo: &Repo,
    cache: &mut Cache,
    request: &CheckRequest,
) -> Result<CommitReport, EngineError> {
    let subject = gather_subject(repo, request)?;
    let (policy_commit, compiled) = load_rules(repo, cache, request, &subject)?;
    let policy = &compiled.policy;
    let mut report = start_report(repo, request, &subject, policy)?;
    if report.agent && !request.all_agent && !subject.trailers.has_task_trailer() {
        // Agent work by its branch or author, but signed by a person the base trusts.
        report.signed_by = crate::approval::commit::human_signer(
            repo,
            policy,
            policy_commit.as_ref().map(git2::Commit::tree_id),
            subject.commit.as_ref(),
        )?;
        // Narrowed by the target's policy: the signer must be one it trusts too (a key the
        // target removed makes no one human).
        if let (Some(target), Some(_)) = (&policy.target, &report.signed_by) {
            let theirs = crate::approval::commit::human_signer(
                repo,
                target,
                target_tree(repo, target)?,
                subject.commit.as_ref(),
            )?;
            if theirs.as_ref().map(|s| s.identity())
                != report.signed_by.as_ref().map(|s| s.identity())
            {
                report.signed_by = None;
            }
        }
        if report.signed_by.is_some() {
            report.agent = false;
            report.agent_reasons.clear();
        }
    }
    if !report.agent {
        if request.humans && policy.risk.humans {
            human_credentials(repo, &compiled, &subject, &mut report)?;
        }
        return Ok(report);
    }
    let change = gather_change(repo, &subject, report.tree)?;
    // A clean merge (of the main branch into an agent branch, say) adds nothing of the
    // agent's: it needs no task of its own, and carries nothing to vouch for.
    let is_merge = subject
        .commit
        .as_ref()
        .is_some_and(|c| c.parent_count() > 1)
        || !subject.merge_heads.is_empty();
    let adds_nothing = is_merge && change.entries.is_empty();
    report.fingerprint = Some(change.fingerprint.clone());
    report.files_changed = change.entries.len();

    let (mut task, mut findings) = task::assemble(
        repo,
        policy,
        policy_commit.as_ref(),
        &subject.trailers,
        &mut cache.trailer_globs,
    )?;
    findings.extend(task::binding_findings(
        &task,
        &task::Maker {
            names: &subject.trailers.names,
            author_name: subject.author_name.as_deref(),
            author_email: subject.author_email.as_deref(),
            branches: &subject.branches,
        },
    ));
    findings.extend(static_checks(
        repo,
        &compiled,
        &report,
        &subject.trailers,
        &task,
        &change,
        adds_nothing,
    )?);
    findings.extend(ci_runs(repo, &compiled, policy_commit.as_ref(), &change)?);
    let message: Vec<(u32, &str)> = subject
        .message
        .iter()
        .map(|(n, l)| (*n, l.as_str()))
        .collect();
    findings.extend(risk::scan_message(&compiled, &message));
    let setup_inputs = setup_input_findings(repo, policy, &subject, &change, &mut findings)?;
    // Approvals first: what can be judged without running anything decides whether
    // anything runs, and an approved risk does not stop it.
    let mut approvals = None;
    if request.all_approvals || findings.iter().any(|f| f.action == Action::Approve) {
        approvals = Some(load_approvals(
            repo,
            policy,
            policy_commit.as_ref().map(|c| c.tree_id()),
            report.commit,
            &change.fingerprint,
        )?);
    }
    apply_approvals(policy, approvals.as_deref(), &mut findings);
    // An approval due at merge does not stop the commit, nor what runs for its evidence.
    defer_approvals(policy, request, &mut findings);
    let mut ran = false;
    if request.run_acceptance && !task.acceptance.is_empty() {
        match skip_reason(&findings) {
            Some(reason) => {
                report.acceptance =
                    acceptance::skipped(&task.acceptance, &policy.acceptance, &reason);
            }
            None => {
                // A local run (the committer's own machine, where the agent can fetch
                // whatever setup would) waiting for an approval due at merge keeps the
                // network: offline, a dependency change could never be committed. CI
                // (`verify`, or a `check` in a CI job) waits for the approval.
                let on_committers_machine = request.local && crate::ci::from_env().is_none();
                let setup_network = setup_inputs.touched.is_empty()
                    || findings.iter().any(|f| {
                        f.category == risk::TEST_TAMPERING
                            && (f.approved() || (on_committers_machine && f.deferred))
                    });
                let (runs, failures) = run_acceptance(
                    repo,
                    request,
                    &compiled,
                    &task,
                    &change,
                    &setup_inputs.inputs,
                    setup_network,
                )?;
                report.acceptance = runs;
                findings.extend(failures);
                findings.extend(compare_inventory(
                    repo,
                    request,
                    &compiled,
                    [subject.base.as_ref(), policy_commit.as_ref()],
                    &mut report.acceptance,
                )?);
                ran = true;
            }
        }
    }
    redact_runs(&compiled, &mut report, &mut task);
    report.vouched = request.vouched_by_evidence && !task.acceptance.is_empty() && !ran;
    crate::path_taken::gather(
        repo,
        &crate::path_taken::Inputs {
            request,
            compiled: &compiled,
            session_trailer: subject.trailers.session.last().map(String::as_str),
            task: &task,
            change: &change,
        },
        &mut report,
        &mut findings,
    )?;
    if let Some(commit) = report
        .commit
        .filter(|_| request.require_evidence && !adds_nothing)
    {
        let note = repo.note(&policy.evidence.notes_ref, commit)?;
        findings.extend(evidence_findings(
            policy,
            request,
            &report,
            &task,
            &change,
            ran,
            note.as_deref(),
        ));
        let recorded = recorded_test_falls(&report, &change, note.as_deref(), &findings);
        findings.extend(recorded);
    }
    // Findings that came from running or from the evidence may need an approval too.
    if approvals.is_none() && findings.iter().any(|f| f.action == Action::Approve) {
        approvals = Some(load_approvals(
            repo,
            policy,
            policy_commit.as_ref().map(|c| c.tree_id()),
            report.commit,
            &change.fingerprint,
        )?);
    }
    apply_approvals(policy, approvals.as_deref(), &mut findings);
    defer_approvals(policy, request, &mut findings);
    report.approvals = approvals.unwrap_or_default();
    report.findings = verdict_findings(&compiled, findings);
    report.task = task;
    redact_report(&compiled, &mut report);
    Ok(report)
}

/// Whatever the commit's author wrote that a report, note, ledger line or CI file shows (the
/// task id, the agent's name, branch names, trailer globs) with credentials redacted, as
/// findings and command output already are.
fn redact_report(compiled: &CompiledPolicy, report: &mut CommitReport) {
    let redact = |text: &str| risk::redact_secrets(compiled, text);
    for reason in &mut report.agent_reasons {
        *reason = redact(reason);
    }
    let task = &mut report.task;
    for value in [&mut task.id, &mut task.agent_name, &mut task.goal]
        .into_iter()
        .flatten()
    {
        *value = redact(value);
    }
    for layer in &mut task.layers {
        layer.allow = layer.allow.take().map(|list| list.shown_as(redact));
        layer.deny =
            std::mem::replace(&mut layer.deny, crate::glob::GlobList::empty()).shown_as(redact);
    }
}

/// With `[approvals] when = "merge"`, a missing approval does not block yet while the change
/// is committed or pushed to an agent branch; it is marked as due at merge.
fn defer_approvals(policy: &Policy, request: &CheckRequest, findings: &mut [Finding]) {
    if policy.approvals.when != crate::policy::ApprovalsDue::Merge {
        return;
    }
    let not_yet = match &request.gate {
        Gate::Commit => true,
        Gate::Push { branch } => branch
            .as_deref()
            .is_some_and(|b| policy.agent.branches.first_match(b.as_bytes()).is_some()),
        Gate::Merge => false,
    };
    if not_yet {
        for finding in findings.iter_mut().filter(|f| f.awaits_approval()) {
            finding.deferred = true;
        }
    }
}

/// Loads the rules: the policy of the base (or of `policy_base`), narrowed by the target
/// tip's, from the cache when the same commits were read before.
fn load_rules<'r>(
    repo: &'r Repo,
    cache: &mut Cache,
    request: &CheckRequest,
    subject: &Subject<'r>,
) -> Result<(Option<git2::Commit<'r>>, Rc<CompiledPolicy>), EngineError> {
    let base = match request.policy_base {
        Some(oid) => Some(repo.git().find_commit(oid)?),
        None => subject.base.clone(),
    };
    // A target at the base itself narrows nothing.
    let tip = match request.policy_tip {
        Some(oid) if base.as_ref().map(git2::Commit::id) != Some(oid) => {
            Some(repo.git().find_commit(oid)?)
        }
        _ => None,
    };
    let policy = cache.policy(repo, base.as_ref(), tip.as_ref())?;
    Ok((base, policy))
}

/// Runs the task's acceptance commands on the change's tree: the runs and their failures.
fn run_acceptance(
    repo: &Repo,
    request: &CheckRequest,
    compiled: &CompiledPolicy,
    task: &Task,
    change: &Change,
    setup_inputs: &acceptance::SetupInputs,
    setup_network: bool,
) -> Result<(Vec<AcceptanceRun>, Vec<Finding>), EngineError> {
    let progress = request
        .progress
        .as_deref()
        .map(|sink| RedactedProgress { sink, compiled });
    let outcome = acceptance::run(
        repo,
        change.tree,
        &task.acceptance,
        &compiled.policy.acceptance,
        &RunOptions {
            progress: progress.as_ref().map(|p| p as &dyn Progress),
            local: request.local,
            setup_network,
            setup_inputs: Some(setup_inputs),
        },
    )?;
    Ok((outcome.runs, outcome.findings))
}

/// Why nothing runs, when the change is already blocked by what was judged without running
/// anything (metadata, scope, credentials, guard-config, a risk awaiting approval): no run
/// could change that verdict, and the change's code does not run before it would pass.
fn skip_reason(findings: &[Finding]) -> Option<String> {
    let mut blocking: Vec<String> = Vec::new();
    for finding in findings.iter().filter(|f| f.blocks()) {
        let name = if finding.action == Action::Approve {
            format!("{} {} awaiting approval", finding.kind, finding.category)
        } else {
            format!("{} {}", finding.kind, finding.category)
        };
        if !blocking.contains(&name) {
            blocking.push(name);
        }
    }
    (!blocking.is_empty()).then(|| {
        format!(
            "the change is already blocked ({}), so no setup or acceptance command ran",
            blocking.join("; ")
        )
    })
}

/// What setup reads, and the findings for the paths of the change among them: code that
/// runs with the network before any verdict, so a person approves it first (whatever the
/// policy says of `test-tampering`, never less than `approve`; no allowlist silences it).
struct SetupInputFindings {
    inputs: acceptance::SetupInputs,
    touched: Vec<acceptance::setup_inputs::Touched>,
}

/// At most this many setup inputs are named one by one; the last finding counts the rest.
const SETUP_INPUTS_NAMED: usize = 20;

fn setup_input_findings(
    repo: &Repo,
    policy: &Policy,
    subject: &Subject<'_>,
    change: &Change,
    findings: &mut Vec<Finding>,
) -> Result<SetupInputFindings, EngineError> {
    let mut trees = vec![change.tree];
    trees.extend(subject.base.as_ref().map(|b| b.tree_id()));
    let inputs = acceptance::SetupInputs::read(repo.git(), &trees, &policy.acceptance.setup)?;
    let touched = inputs.touched(change);
    let action = policy
        .risk
        .get(risk::TEST_TAMPERING)
        .map_or(Action::Approve, |c| c.action)
        .max(Action::Approve);
    for (i, input) in touched.iter().enumerate().take(SETUP_INPUTS_NAMED) {
        // The risk rules may already name this path as test-tampering: once is enough.
        if findings.iter().any(|f| {
            f.category == risk::TEST_TAMPERING
                && f.path.as_deref() == Some(input.path.as_str())
                && f.action >= action
        }) {
            continue;
        }
        let more = touched.len().saturating_sub(SETUP_INPUTS_NAMED);
        let mut message = format!(
            "edits `{}`, which setup reads ({}): setup runs the change's code with the network, \
             so it runs only after a person approves test-tampering for this change",
            input.path, input.why
        );
        if i + 1 == SETUP_INPUTS_NAMED && more > 0 {
            message.push_str(&format!(
                "; {more} more path{} of the change are setup inputs too",
                if more == 1 { "" } else { "s" }
            ));
        }
        findings.push(
            Finding::new(Kind::Risk, risk::TEST_TAMPERING, action, message)
                .at(input.path.clone())
                .rule("file read by an acceptance setup command"),
        );
    }
    Ok(SetupInputFindings { inputs, touched })
}

/// Test counts that fell: against the commit's first parent, then against the base its policy
/// is read from (the range's merge base in `verify`). The parent first, so that a range
/// whose later commit adds a test cannot hide an earlier one deleting another.
fn compare_inventory(
    repo: &Repo,
    request: &CheckRequest,
    compiled: &CompiledPolicy,
    [parent, policy_base]: [Option<&git2::Commit<'_>>; 2],
    runs: &mut [AcceptanceRun],
) -> Result<Vec<Finding>, EngineError> {
    let policy = &compiled.policy;
    if policy.risk.get(risk::TEST_TAMPERING).is_none() || runs.iter().any(|r| !r.passed()) {
        return Ok(Vec::new());
    }
    let progress = request
        .progress
        .as_deref()
        .map(|sink| RedactedProgress { sink, compiled });
    let parent = parent.filter(|p| policy_base.is_none_or(|b| b.id() != p.id()));
    for base in [parent, policy_base].into_iter().flatten() {
        let shortfalls = acceptance::baseline::compare(
            repo,
            &acceptance::baseline::Base {
                commit: base,
                notes_ref: &policy.evidence.notes_ref,
            },
            runs,
            &policy.acceptance,
            &RunOptions {
                progress: progress.as_ref().map(|p| p as &dyn Progress),
                local: request.local,
                // The base's own setup inputs: what a person already merged.
                setup_network: true,
                setup_inputs: None,
            },
            &|command| risk::redact_secrets(compiled, command),
        )?;
        if !shortfalls.is_empty() {
            return Ok(shortfalls
                .iter()
                .filter_map(|s| risk::tampering::fewer_tests(compiled, s))
                .collect());
        }
    }
    Ok(Vec::new())
}

/// The findings the verdict is decided from (`CommitReport::verdict`): redacted, in a stable
/// order.
fn verdict_findings(compiled: &CompiledPolicy, mut findings: Vec<Finding>) -> Vec<Finding> {
    redact_findings(compiled, &mut findings);
    findings.sort_by(|a, b| {
        (a.kind, &a.category, &a.path, a.line).cmp(&(b.kind, &b.category, &b.path, b.line))
    });
    findings
}

/// Gathers the change: the commit (or the staged index), its message, author and branches,
/// and its base.
fn gather_subject<'r>(repo: &'r Repo, request: &CheckRequest) -> Result<Subject<'r>, EngineError> {
    let (commit, message, (author_name, author_email), branches) = match &request.target {
        Target::Rev(spec) => {
            let commit = repo.resolve_commit(spec)?;
            let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
            let who = {
                let author = commit.author();
                (
                    author.name().map(str::to_string),
                    author.email().map(str::to_string),
                )
            };
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
            (Some(commit), message, who, branches)
        }
        Target::Staged => (
            None,
            String::new(),
            (
                repo.configured_author_name(),
                repo.configured_author_email(),
            ),
            repo.current_branch().into_iter().collect(),
        ),
    };
    let message = request.message.clone().unwrap_or(message);
    let comment = repo.comment_string();
    let trailers = AgentTrailers::from_trailers(&trailers::parse(&message, &comment));
    let message = trailers::log_lines(&message, &comment)
        .into_iter()
        .map(|(number, line)| (number, line.to_string()))
        .collect();
    let base = match &commit {
        Some(c) => repo.first_parent(c)?,
        None if request.amend => match repo.head_commit()? {
            Some(head) => repo.first_parent(&head)?,
            None => None,
        },
        None => repo.head_commit()?,
    };
    let merge_heads = if commit.is_none() {
        repo.merge_heads()
    } else {
        Vec::new()
    };
    Ok(Subject {
        commit,
        base,
        trailers,
        message,
        author_name,
        author_email,
        branches,
        merge_heads,
    })
}

/// The report before any check: whether the change is agent work, and why.
fn start_report(
    repo: &Repo,
    request: &CheckRequest,
    subject: &Subject<'_>,
    policy: &Policy,
) -> Result<CommitReport, EngineError> {
    let mut agent_reasons = agent_reasons(
        policy,
        &subject.trailers,
        &subject.branches,
        subject.author_email.as_deref(),
    );
    if request.all_agent && agent_reasons.is_empty() {
        agent_reasons.push("--all-agent".to_string());
    }
    if let Some(reason) = request
        .presume_agent
        .as_ref()
        .filter(|_| agent_reasons.is_empty())
    {
        agent_reasons.push(reason.clone());
    }
    let agent = !agent_reasons.is_empty();
    // Writing the index as a tree costs time on big repositories; a human staged change, which
    // passes untouched, never needs it (its report shows the zero id).
    let tree = match &subject.commit {
        Some(c) => c.tree_id(),
        None if agent => repo.staged_tree()?,
        None => Oid::zero(),
    };
    Ok(CommitReport {
        commit: subject.commit.as_ref().map(|c| c.id()),
        tree,
        base: subject.base.as_ref().map(|b| b.id()),
        agent,
        agent_reasons,
        signed_by: None,
        task: Task::default(),
        fingerprint: None,
        abbrev: subject.commit.as_ref().map(|c| repo.short(c.id())),
        policy_source: policy.describe_source(),
        notes_ref: policy.evidence.notes_ref.clone(),
        files_changed: 0,
        findings: Vec::new(),
        acceptance: Vec::new(),
        approvals: Vec::new(),
        credentials_checked: false,
        scanned: false,
        vouched: false,
        path_taken: Default::default(),
    })
}

/// A human change's only check: the credentials in its added lines. Nothing else about it
/// is judged; a credential blocks it as it would block an agent's.
fn human_credentials(
    repo: &Repo,
    compiled: &CompiledPolicy,
    subject: &Subject<'_>,
    report: &mut CommitReport,
) -> Result<(), EngineError> {
    // A merge brings in what was judged on its own branch; its resolution alone is not worth
    // diffing against the merged parents for every human merge.
    let merge = !subject.merge_heads.is_empty()
        || subject
            .commit
            .as_ref()
            .is_some_and(|c| c.parent_count() > 1);
    if merge {
        return Ok(());
    }
    let change = match &subject.commit {
        Some(commit) => Change::of_commit(repo, commit, subject.base.as_ref())?,
        // The staged entries as git lists them: no tree is written, no index read here.
        None => Change::of_staged_entries(repo, subject.base.as_ref())?,
    };
    let files = change.additions(repo);
    let mut failed = None;
    let files = files.map_while(|file| file.map_err(|e| failed = Some(e)).ok());
    let findings = risk::scan_credentials(compiled, files);
    if let Some(e) = failed {
        return Err(e.into());
    }
    report.files_changed = change.entries.len();
    report.findings = verdict_findings(compiled, findings);
    report.credentials_checked = true;
    Ok(())
}

/// What the change adds over its base.
fn gather_change(repo: &Repo, subject: &Subject<'_>, tree: Oid) -> Result<Change, EngineError> {
    Ok(match &subject.commit {
        Some(c) => Change::of_commit(repo, c, subject.base.as_ref())?,
        None => Change::of_index(repo, subject.base.as_ref(), tree, &subject.merge_heads)?,
    })
}

/// The checks that read only the change: task metadata, scope, required approvals, risk.
fn static_checks(
    repo: &Repo,
    compiled: &CompiledPolicy,
    report: &CommitReport,
    trailers: &AgentTrailers,
    task: &Task,
    change: &Change,
    adds_nothing: bool,
) -> Result<Vec<Finding>, EngineError> {
    let policy = &compiled.policy;
    let mut findings = Vec::new();
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
    findings.extend(crate::scope::malformed_trees(change));
    findings.extend(crate::scope::check(change, &task.layers));
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
    let input = RiskInput {
        change,
        additions: &[],
        acceptance: &task.acceptance,
        compiled,
        hooks_path: hooks_path.as_deref(),
    };
    findings.extend(scan_streamed(repo, &input)?);
    findings.extend(reached_files(repo, report.base, &input)?);
    let manifests = risk::production_manifests(compiled, change, &findings, &mut |oid| {
        let blob = repo.blob(oid)?;
        Ok::<_, RepoError>(if blob.size() > risk::production::MAX_MANIFEST {
            Vec::new()
        } else {
            blob.content().to_vec()
        })
    })?;
    findings.extend(manifests);
    Ok(findings)
}

/// What the CI files of the base and of the change run from elsewhere in the repository is
/// CI configuration too.
fn ci_runs(
    repo: &Repo,
    compiled: &CompiledPolicy,
    policy_commit: Option<&git2::Commit<'_>>,
    change: &Change,
) -> Result<Vec<Finding>, EngineError> {
    if change.entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut trees: Vec<Oid> = policy_commit
        .map(git2::Commit::tree_id)
        .into_iter()
        .collect();
    if let Some(target) = &compiled.policy.target {
        trees.extend(target_tree(repo, target)?);
    }
    trees.push(change.tree);
    let places = risk::ci_config::local_paths(repo.git(), &trees)?;
    Ok(risk::ci_config::findings(compiled, change, &places))
}

/// What the acceptance and setup commands reach through Makefiles, scripts and package
/// scripts, in the base tree and in the judged one, and what could shadow what they run.
fn reached_files(
    repo: &Repo,
    base: Option<Oid>,
    input: &RiskInput<'_>,
) -> Result<Vec<Finding>, EngineError> {
    let commands: Vec<&str> = risk::tampering::commands(input)
        .into_iter()
        .map(|(command, _)| command)
        .collect();
    if commands.is_empty() {
        return Ok(Vec::new());
    }
    let path_dirs = acceptance::checkout_path_dirs(&input.compiled.policy.acceptance);
    let base_tree = match base {
        Some(base) => Some(repo.git().find_commit(base)?.tree_id()),
        None => None,
    };
    let mut reached = Vec::new();
    for tree in base_tree.into_iter().chain([input.change.tree]) {
        let read = |path: &str| repo.read_file_at(tree, path).ok().flatten();
        reached.extend(risk::reach::reached(&commands, &read, &path_dirs));
    }
    reached.sort();
    reached.dedup();
    Ok(risk::scan_reached(input, &reached))
}

/// `verify`'s judgement of the commit's evidence note; `ran`: whether the acceptance commands
/// ran now, to compare with what the note recorded.
fn evidence_findings(
    policy: &Policy,
    request: &CheckRequest,
    report: &CommitReport,
    task: &Task,
    change: &Change,
    ran: bool,
    note: Option<&[u8]>,
) -> Vec<Finding> {
    let tree = report.tree.to_string();
    evidence::compare::judge(
        note,
        &evidence::compare::Expected {
            commit: report.abbrev.as_deref().unwrap_or_default(),
            tree: &tree,
            fingerprint: &change.fingerprint,
            notes_ref: &policy.evidence.notes_ref,
            fresh: (request.run_acceptance && ran).then_some(report.acceptance.as_slice()),
            has_commands: !task.acceptance.is_empty(),
            require: policy.evidence.require,
            vouched: request
                .vouched_by_evidence
                .then_some(task.acceptance.as_slice()),
        },
    )
}

/// The fall in the test count that the change's own evidence recorded when its commands ran
/// (at commit, against its parent), where this judgement did not find it again: `pre-push`
/// runs nothing, and `verify` may run only the tip. A note that incriminates its own change is
/// believed; one for another tree or change says nothing.
fn recorded_test_falls(
    report: &CommitReport,
    change: &Change,
    note: Option<&[u8]>,
    findings: &[Finding],
) -> Vec<Finding> {
    let Some(evidence) = note.and_then(|bytes| evidence::Evidence::parse(bytes).ok()) else {
        return Vec::new();
    };
    if evidence.tree != report.tree.to_string() || evidence.fingerprint != change.fingerprint {
        return Vec::new();
    }
    let is_fall = |category: &str, rule: &str| {
        category == risk::TEST_TAMPERING && risk::tampering::is_fewer_tests(rule)
    };
    if findings.iter().any(|f| is_fall(&f.category, &f.rule)) {
        return Vec::new();
    }
    evidence
        .findings
        .iter()
        .filter(|f| is_fall(&f.category, &f.rule))
        .map(|f| {
            // The message as its reader saw it, without the sign-off hint the report adds.
            let said = ["; due before merge", "; sign off with", " — approved by"]
                .iter()
                .fold(f.message.as_str(), |m, hint| {
                    m.split(hint).next().unwrap_or(m)
                });
            Finding::new(
                Kind::Risk,
                risk::TEST_TAMPERING,
                Action::Approve,
                format!("recorded in its evidence when its commands ran: {said}"),
            )
            .rule(f.rule.clone())
        })
        .collect()
}

/// Nothing the change or its commands produced may show a secret in any output; runs are
/// redacted before they are compared with recorded (redacted) ones.
fn redact_runs(compiled: &CompiledPolicy, report: &mut CommitReport, task: &mut Task) {
    for run in &mut report.acceptance {
        run.command = risk::redact_secrets(compiled, &run.command);
        run.output_tail = risk::redact_secrets(compiled, &run.output_tail);
    }
    for command in &mut task.acceptance {
        command.command = risk::redact_secrets(compiled, &command.command);
    }
}

fn redact_findings(compiled: &CompiledPolicy, findings: &mut [Finding]) {
    for finding in findings {
        finding.message = risk::redact_secrets(compiled, &finding.message);
        finding.rule = risk::redact_secrets(compiled, &finding.rule);
        if let Some(detail) = &finding.detail {
            finding.detail = Some(risk::redact_secrets(compiled, detail));
        }
    }
}

/// What `agentguard scan` reads.
#[derive(Debug, Clone)]
pub(crate) enum ScanTarget {
    /// The files of HEAD's tree: the repository as committed.
    Head,
    /// Each commit's added lines (a merge's: over the clean merge of its parents).
    Commits(Vec<Oid>),
    /// Files in the work tree; directories are walked, skipping `.git` and what git ignores.
    Paths(Vec<std::path::PathBuf>),
}

/// `agentguard scan`: the findings of some risk categories (`credentials` by default) in
/// history or in files, judged by HEAD's policy (its allowlist included), redacted as
/// everywhere. One report per commit; one report for files.
pub(crate) fn scan(
    repo: &Repo,
    target: &ScanTarget,
    categories: &[String],
) -> Result<Vec<CommitReport>, EngineError> {
    let head = repo.head_commit()?;
    let compiled = CompiledPolicy::new(Policy::for_base(repo, head.as_ref())?);
    let known = compiled.policy.risk.category_names();
    if let Some(unknown) = categories.iter().find(|c| !known.contains(*c)) {
        return Err(EngineError::UnknownCategory {
            category: unknown.clone(),
            known: known.into_iter().collect::<Vec<_>>().join(", "),
        });
    }
    let only: Vec<bool> = compiled
        .policy
        .risk
        .categories
        .iter()
        .map(|c| categories.contains(&c.name))
        .collect();
    let blank = |commit: Option<Oid>, tree: Oid| CommitReport {
        commit,
        tree,
        base: None,
        agent: false,
        agent_reasons: Vec::new(),
        task: Task::default(),
        fingerprint: None,
        abbrev: commit.map(|c| repo.short(c)),
        policy_source: compiled.policy.source.to_string(),
        notes_ref: compiled.policy.evidence.notes_ref.clone(),
        files_changed: 0,
        findings: Vec::new(),
        acceptance: Vec::new(),
        approvals: Vec::new(),
        credentials_checked: false,
        scanned: true,
        vouched: false,
        signed_by: None,
        path_taken: Default::default(),
    };
    match target {
        ScanTarget::Commits(commits) => {
            let mut reports = Vec::with_capacity(commits.len());
            for &oid in commits {
                let commit = repo.git().find_commit(oid)?;
                let base = repo.first_parent(&commit)?;
                let change = Change::of_commit(repo, &commit, base.as_ref())?;
                let mut report = blank(Some(oid), commit.tree_id());
                report.base = base.map(|b| b.id());
                report.files_changed = change.entries.len();
                // Each file's added lines are read just before they are scanned.
                let mut failed = None;
                let files = change
                    .additions(repo)
                    .map_while(|file| file.map_err(|e| failed = Some(e)).ok());
                let findings = risk::scan_only(&compiled, Some(&change), files, &only);
                if let Some(e) = failed {
                    return Err(e.into());
                }
                report.findings = verdict_findings(&compiled, findings);
                reports.push(report);
            }
            Ok(reports)
        }
        ScanTarget::Head => {
            let Some(head) = head else {
                return Ok(Vec::new());
            };
            let listed = repo.tree_files(head.tree_id())?;
            let shown: Vec<String> = listed
                .iter()
                .map(|(path, _)| crate::diff::display_path(path))
                .collect();
            let change = added(shown.iter().map(String::as_str));
            let mut failed = None;
            let files =
                listed
                    .iter()
                    .zip(&shown)
                    .map_while(|((_, oid), path)| match repo.blob(*oid) {
                        Ok(blob) => Some(crate::diff::FileAdditions::whole(
                            path.clone(),
                            blob.content(),
                        )),
                        Err(e) => {
                            failed = Some(e);
                            None
                        }
                    });
            let findings = risk::scan_only(&compiled, Some(&change), files, &only);
            if let Some(e) = failed {
                return Err(e.into());
            }
            let mut report = blank(Some(head.id()), head.tree_id());
            report.files_changed = listed.len();
            report.findings = verdict_findings(&compiled, findings);
            Ok(vec![report])
        }
        ScanTarget::Paths(paths) => {
            let root = repo.work_dir().map(std::path::Path::to_path_buf);
            let mut found = Vec::new();
            for path in paths {
                walk_files(repo, root.as_deref(), path, &mut found)?;
            }
            // `scan config .` names config's files twice.
            found.sort();
            found.dedup_by(|a, b| a.0 == b.0);
            let change = added(found.iter().map(|(shown, _)| shown.as_str()));
            // One file in memory at a time.
            let mut failed = None;
            let files = found
                .iter()
                .map_while(|(shown, on_disk)| match std::fs::read(on_disk) {
                    Ok(content) => Some(crate::diff::FileAdditions::whole(shown.clone(), &content)),
                    Err(source) => {
                        failed = Some(EngineError::Read {
                            path: on_disk.clone(),
                            source,
                        });
                        None
                    }
                });
            let findings = risk::scan_only(&compiled, Some(&change), files, &only);
            if let Some(e) = failed {
                return Err(e);
            }
            let mut report = blank(None, Oid::zero());
            report.files_changed = found.len();
            report.findings = verdict_findings(&compiled, findings);
            Ok(vec![report])
        }
    }
}

/// A change that adds `paths`, for the path rules of scanned files.
fn added<'p>(paths: impl Iterator<Item = &'p str>) -> Change {
    let entries: Vec<(crate::diff::Status, Option<&str>, Option<&str>)> = paths
        .map(|p| (crate::diff::Status::Added, None, Some(p)))
        .collect();
    risk::detached_change(&entries)
}

/// Files under `path` (a file, or a directory walked without `.git` and what git ignores),
/// as (path shown, path on disk); shown relative to the work tree when inside it.
fn walk_files(
    repo: &Repo,
    root: Option<&std::path::Path>,
    path: &std::path::Path,
    out: &mut Vec<(String, std::path::PathBuf)>,
) -> Result<(), EngineError> {
    let meta = std::fs::symlink_metadata(path).map_err(|source| EngineError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let relative = root
        .and_then(|r| std::fs::canonicalize(r).ok())
        .and_then(|r| {
            absolute
                .strip_prefix(&r)
                .ok()
                .map(std::path::Path::to_path_buf)
        });
    if let Some(rel) = &relative {
        if rel.components().any(|c| c.as_os_str() == ".git")
            || (!rel.as_os_str().is_empty() && repo.is_ignored(rel))
        {
            return Ok(());
        }
    }
    if meta.is_dir() {
        let mut children: Vec<std::path::PathBuf> = std::fs::read_dir(path)
            .map_err(|source| EngineError::Read {
                path: path.to_path_buf(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        children.sort();
        for child in children {
            walk_files(repo, root, &child, out)?;
        }
    } else if meta.is_file() {
        let shown =
            relative.map_or_else(|| path.display().to_string(), |r| r.display().to_string());
        out.push((shown, path.to_path_buf()));
    }
    Ok(())
}

/// Judges several changes; without acceptance runs (which must not overlap) a large batch is
/// shared among threads, each with its own handle on the repository. Results come back in
/// the order of `requests`, each with the time it took. Each thread keeps its own cache.
pub(crate) fn check_all(
    repo: &Repo,
    requests: &[CheckRequest],
) -> Vec<(Result<CommitReport, EngineError>, std::time::Duration)> {
    let timed = |repo: &Repo, cache: &mut Cache, request: &CheckRequest| {
        let started = std::time::Instant::now();
        let result = check(repo, cache, request);
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
    let mut cache = Cache::default();
    if others.is_empty() {
        return requests
            .iter()
            .map(|r| timed(repo, &mut cache, r))
            .collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = |repo: &Repo, cache: &mut Cache| {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(request) = requests.get(i) else {
                return done;
            };
            done.push((i, timed(repo, cache, request)));
        }
    };
    let mut results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = others
            .into_iter()
            .map(|own| scope.spawn(move || work(&own, &mut Cache::default())))
            .collect();
        let mut all = work(repo, &mut cache);
        for handle in handles {
            all.extend(joined(handle));
        }
        all
    });
    // Every request was taken by exactly one thread, and every thread was joined.
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, result)| result).collect()
}

/// A worker's result; a worker that panicked makes this thread panic with its payload, so a
/// panic is never swallowed (and nothing half-judged is reported as judged).
fn joined<R>(handle: std::thread::ScopedJoinHandle<'_, R>) -> R {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The risk scan of the change, each file's added lines read just before they are scanned
/// and dropped after, so memory stays bounded by the largest file, not the whole change. On a
/// large change a second thread, with its own handle on the repository, reads and diffs the
/// files while this one splits them into lines and scans them.
fn scan_streamed(repo: &Repo, input: &RiskInput<'_>) -> Result<Vec<Finding>, EngineError> {
    const PIPELINE_FROM: usize = 64;
    // Read ahead while this thread compiles the path rules and judges every path, then keep
    // both threads busy; never more than this many bytes waiting (one larger file may).
    const AHEAD_FILES: usize = 64;
    const AHEAD_BYTES: usize = 16 << 20;
    if input.change.entries.len() < PIPELINE_FROM {
        return scan_until_error(input, input.change.additions(repo));
    }
    let reader_repo = repo.open_again()?;
    let change = input.change;
    let ahead = crate::read_ahead::ReadAhead::new(AHEAD_BYTES);
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel(AHEAD_FILES);
        let ahead = &ahead;
        // Closed however the scan ends, a panic included, so the reader never waits on.
        let closer = ahead.closer();
        let reader = scope.spawn(move || {
            for file in change.read_additions(&reader_repo) {
                let stop = file.is_err();
                let size = file.as_ref().map_or(0, ReadAdditions::size);
                if !ahead.take(size) || send.send((file, size)).is_err() || stop {
                    break;
                }
            }
        });
        let files = receive.into_iter().map(|(file, size)| {
            ahead.give(size);
            file.map(ReadAdditions::lines)
        });
        // A reader that panicked ends the channel early: its panic, not a partial scan.
        let scanned = scan_until_error(input, files);
        // A scan that stopped early must not leave the reader waiting for room.
        drop(closer);
        joined(reader);
        scanned
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

/// Verifies the approvals stored for this change.
fn load_approvals(
    repo: &Repo,
    policy: &Policy,
    policy_tree: Option<Oid>,
    commit: Option<Oid>,
    fingerprint: &str,
) -> Result<Vec<approval::verify::Checked>, EngineError> {
    let notes_ref = approval::store::notes_ref(&policy.evidence.notes_ref);
    let stored = approval::store::load(repo, &notes_ref, commit, fingerprint)?;
    if stored.is_empty() {
        return Ok(Vec::new());
    }
    let keygen = approval::SshKeygen::find()?;
    let signers = approval::verify::load_signers(repo, policy, policy_tree)?;
    let mut checked = approval::verify::check_all(&keygen, &signers, fingerprint, stored.clone())?;
    // Narrowed by the target's policy: an approval must verify against its signers too (a
    // key the target removed approves nothing).
    if let Some(target) = &policy.target {
        let theirs = approval::verify::load_signers(repo, target, target_tree(repo, target)?)?;
        let again = approval::verify::check_all(&keygen, &theirs, fingerprint, stored)?;
        for (ours, theirs) in checked.iter_mut().zip(again) {
            if ours.verified() && !theirs.verified() {
                ours.status = theirs.status;
            }
        }
    }
    Ok(checked)
}

/// The tree of the target branch tip a narrowing policy was read at.
fn target_tree(repo: &Repo, target: &Policy) -> Result<Option<Oid>, git2::Error> {
    target
        .read_at
        .map(|tip| repo.git().find_commit(tip).map(|c| c.tree_id()))
        .transpose()
}

/// Marks the findings the verified approvals cover.
fn apply_approvals(
    policy: &Policy,
    approvals: Option<&[approval::verify::Checked]>,
    findings: &mut [Finding],
) {
    if let Some(checked) = approvals.filter(|c| !c.is_empty()) {
        approval::verify::apply(findings, checked, &policy.approvals.approvers);
    }
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

/// Acceptance progress with secrets redacted from the commands and the lines they print, as
/// everywhere else they are shown.
struct RedactedProgress<'a> {
    sink: &'a dyn Progress,
    compiled: &'a CompiledPolicy,
}

impl Progress for RedactedProgress<'_> {
    fn event(&self, event: &Event<'_>) {
        let redact = |text| risk::redact_secrets(self.compiled, text);
        match *event {
            Event::Started {
                number,
                total,
                phase,
                command,
            } => self.sink.event(&Event::Started {
                number,
                total,
                phase,
                command: &redact(command),
            }),
            Event::Output { line } => self.sink.event(&Event::Output {
                line: &redact(line),
            }),
            other => self.sink.event(&other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::joined;

    #[test]
    fn a_panicked_worker_is_not_swallowed() {
        let caught = std::panic::catch_unwind(|| {
            std::thread::scope(|scope| {
                let fine = scope.spawn(|| vec![1]);
                let failed = scope.spawn(|| -> Vec<i32> { panic!("worker failed") });
                let mut all = joined(fine);
                all.extend(joined(failed));
                all
            })
        });
        let panic = caught.expect_err("the worker's panic reaches the caller");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"worker failed"));
    }
}
