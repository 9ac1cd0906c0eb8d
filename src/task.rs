//! The task an agent commit works on: its `Agent-*` trailers, the human-written task file in
//! the base tree and `[tasks."<id>"]` in the policy, merged so that layers only narrow.

use crate::finding::{Action, Finding, Kind};
use crate::glob::{Case, GlobList};
use crate::policy::task::is_valid_task_id;
use crate::policy::{Policy, PolicyError, RawTask, SourceText, TaskSpec};
use crate::repo::Repo;
use crate::trailers::Trailer;

pub(crate) const TASKS_DIR: &str = ".agentguard/tasks";

const KNOWN_TRAILERS: &str = "Agent-Task, Agent-Name, Agent-Allow, Agent-Deny, Agent-Acceptance, \
     Agent-Requires-Approval, Agent-Session, Agent-Rollback-Of";

/// The `Agent-*` trailers of one commit message.
#[derive(Debug, Clone, Default)]
pub struct AgentTrailers {
    pub tasks: Vec<String>,
    pub names: Vec<String>,
    pub allow: Vec<String>,
    pub deny: Vec<String>,
    pub acceptance: Vec<String>,
    pub requires_approval: Vec<String>,
    /// `Agent-Session`: the agent's transcript, on the machine the commit is made on.
    pub session: Vec<String>,
    pub unknown: Vec<String>,
}

impl AgentTrailers {
    pub fn from_trailers(trailers: &[Trailer]) -> Self {
        let mut out = Self::default();
        for t in trailers {
            let key = t.key.to_ascii_lowercase();
            let value = t.value.clone();
            match key.as_str() {
                "agent-task" => out.tasks.push(value),
                "agent-name" => out.names.push(value),
                "agent-allow" => out.allow.push(value),
                "agent-deny" => out.deny.push(value),
                "agent-acceptance" => out.acceptance.push(value),
                "agent-requires-approval" => out.requires_approval.push(value),
                "agent-session" => out.session.push(value),
                // Written by `agentguard rollback`: a link for readers, nothing to judge.
                "agent-rollback-of" => {}
                _ if key.starts_with("agent-") => out.unknown.push(t.key.clone()),
                _ => {}
            }
        }
        out
    }

    pub fn has_task_trailer(&self) -> bool {
        !self.tasks.is_empty()
    }
}

/// One layer of path rules; a path is in scope only if every layer with `allow` allows it
/// and no layer denies it.
#[derive(Debug, Clone)]
pub struct ScopeLayer {
    pub name: String,
    pub allow: Option<GlobList>,
    pub deny: GlobList,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptanceCommand {
    pub command: String,
    /// "policy", "task file", "trailer".
    pub source: String,
}

#[derive(Debug, Clone, Default)]
pub struct Task {
    pub id: Option<String>,
    pub agent_name: Option<String>,
    pub goal: Option<String>,
    pub layers: Vec<ScopeLayer>,
    pub acceptance: Vec<AcceptanceCommand>,
    /// (category, where it was required).
    pub requires_approval: Vec<(String, String)>,
    /// Where the task was defined, in layer order.
    pub sources: Vec<String>,
    /// Which agents and branches each definition of the task admits; every one must.
    pub(crate) bindings: Vec<Binding>,
}

/// What one definition of a task admits (`agents`, `branches` in a task file).
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub(crate) source: String,
    pub(crate) agents: Option<GlobList>,
    pub(crate) branches: Option<GlobList>,
}

/// Who made a commit and where, as far as a task's bindings ask.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Maker<'a> {
    /// `Agent-Name` trailer values.
    pub(crate) names: &'a [String],
    pub(crate) author_name: Option<&'a str>,
    pub(crate) author_email: Option<&'a str>,
    /// The branches the commit is judged as being on.
    pub(crate) branches: &'a [String],
}

/// `metadata` findings for each binding of the task that does not admit the commit's agent
/// or branch. An agent is named by its `Agent-Name` trailers (every one must be admitted),
/// or without any by its author name; a glob with `@` matches the author email instead.
pub(crate) fn binding_findings(task: &Task, maker: &Maker<'_>) -> Vec<Finding> {
    let Some(id) = &task.id else {
        return Vec::new();
    };
    let listed = |list: &GlobList| {
        list.patterns()
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut findings = Vec::new();
    for binding in &task.bindings {
        if let Some(agents) = &binding.agents {
            let names: Vec<(&str, &str)> = if maker.names.is_empty() {
                maker
                    .author_name
                    .map(|n| (n, "author name"))
                    .into_iter()
                    .collect()
            } else {
                maker
                    .names
                    .iter()
                    .map(|n| (n.as_str(), "Agent-Name trailer"))
                    .collect()
            };
            // Globs with `@` are author emails; the others are agent names.
            let (emails, plain): (Vec<&String>, Vec<&String>) =
                agents.patterns().iter().partition(|p| p.contains('@'));
            let compiled = |globs: &[&String]| {
                GlobList::with_case(globs, Case::Insensitive).unwrap_or_else(|_| GlobList::empty())
            };
            let (emails, plain) = (compiled(&emails), compiled(&plain));
            let by_email = maker
                .author_email
                .is_some_and(|email| emails.is_match(email.as_bytes()));
            let by_name = !names.is_empty()
                && names
                    .iter()
                    .all(|(name, _)| plain.is_match(name.as_bytes()));
            if !(by_email || by_name) {
                let who = names
                    .iter()
                    .map(|(name, how)| format!("`{name}` ({how})"))
                    .chain(maker.author_email.map(|e| format!("`{e}` (author email)")))
                    .collect::<Vec<_>>()
                    .join(", ");
                let who = if who.is_empty() {
                    "unnamed".to_string()
                } else {
                    who
                };
                findings.push(
                    metadata(
                        "agent-not-admitted",
                        Action::Block,
                        format!(
                            "task `{id}` admits the agents {}; this commit's agent is {who}",
                            listed(agents)
                        ),
                    )
                    .rule(format!("agents ({})", binding.source)),
                );
            }
        }
        if let Some(branches) = &binding.branches {
            let admitted = maker
                .branches
                .iter()
                .any(|b| branches.is_match(b.as_bytes()));
            if !admitted {
                let on = if maker.branches.is_empty() {
                    "no branch agentguard can name (a detached checkout: name it with the CI's branch variable)".to_string()
                } else {
                    maker
                        .branches
                        .iter()
                        .map(|b| format!("`{b}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                findings.push(
                    metadata(
                        "branch-not-admitted",
                        Action::Block,
                        format!(
                            "task `{id}` admits the branches {}; this commit is on {on}",
                            listed(branches)
                        ),
                    )
                    .rule(format!("branches ({})", binding.source)),
                );
            }
        }
    }
    findings
}

/// Trailer glob lists compiled whole, by case and patterns, kept by whoever judges several
/// changes: the commits of an agent branch mostly repeat their task's trailers, and `verify`
/// judges them one after another.
#[derive(Debug, Default)]
pub struct TrailerGlobs {
    compiled: Vec<(Case, Vec<String>, GlobList)>,
}

impl TrailerGlobs {
    /// Lists kept: the last few, enough for the tasks of one range.
    const KEPT: usize = 4;

    fn get(&self, case: Case, patterns: &[String]) -> Option<GlobList> {
        self.compiled
            .iter()
            .find(|(c, p, _)| *c == case && p.as_slice() == patterns)
            .map(|(_, _, list)| list.clone())
    }

    fn keep(&mut self, case: Case, patterns: &[String], list: &GlobList) {
        if self.compiled.len() >= Self::KEPT {
            self.compiled.remove(0);
        }
        self.compiled.push((case, patterns.to_vec(), list.clone()));
    }
}

/// Assembles the task of a change from the policy, the base tree and the trailers. Problems
/// with the trailers are findings (the change is bad); a malformed task file is an error.
pub fn assemble(
    repo: &Repo,
    policy: &Policy,
    base: Option<&git2::Commit<'_>>,
    trailers: &AgentTrailers,
    globs: &mut TrailerGlobs,
) -> Result<(Task, Vec<Finding>), PolicyError> {
    let mut findings = Vec::new();
    let mut task = Task {
        agent_name: trailers.names.last().cloned(),
        ..Task::default()
    };
    task.layers.push(ScopeLayer {
        name: "policy [scope]".into(),
        allow: Some(policy.scope.allow.clone()),
        deny: policy.scope.deny.clone(),
    });
    task.sources.push(policy.source.to_string());
    // The target branch's policy, where it narrows the base's: its scope is a layer too.
    let target = policy.target.as_deref();
    let target_commit = target
        .and_then(|t| t.read_at)
        .map(|id| repo.git().find_commit(id))
        .transpose()
        .map_err(|e| PolicyError::Repo(e.into()))?;
    if let Some(target) = target {
        task.layers.push(ScopeLayer {
            name: "target branch's policy [scope]".into(),
            allow: Some(target.scope.allow.clone()),
            deny: target.scope.deny.clone(),
        });
        task.sources.push(target.source.to_string());
    }
    for command in &policy.acceptance.commands {
        push_command(&mut task, command, "policy");
    }

    let mut distinct: Vec<&String> = Vec::new();
    for id in &trailers.tasks {
        if !distinct.contains(&id) {
            distinct.push(id);
        }
    }
    match distinct.as_slice() {
        [] => {}
        [id] if id.is_empty() => findings.push(metadata(
            "invalid-task",
            Action::Block,
            "the `Agent-Task` trailer is empty",
        )),
        [id] if !is_valid_task_id(id) => findings.push(metadata(
            "invalid-task",
            Action::Block,
            format!("invalid task id `{id}`: use letters, digits, `.`, `_` and `-`"),
        )),
        [id] => task.id = Some((*id).clone()),
        many => findings.push(metadata(
            "conflicting-task",
            Action::Block,
            format!(
                "conflicting `Agent-Task` trailers: {}",
                many.iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }

    if let Some(id) = task.id.clone() {
        let mut defined = false;
        if let Some(spec) = policy.tasks.get(&id) {
            add_spec(&mut task, spec, "policy task");
            defined = true;
        }
        if let Some(spec) = read_task_file(repo, policy, base, &id)? {
            add_spec(&mut task, &spec, "task file");
            defined = true;
        }
        // Both definitions of the task apply: the target's narrows the base's.
        if let Some(target) = target {
            if let Some(spec) = target.tasks.get(&id) {
                add_spec(&mut task, spec, "policy task");
                defined = true;
            }
            if let Some(spec) = read_task_file(repo, target, target_commit.as_ref(), &id)? {
                add_spec(&mut task, &spec, "task file");
                defined = true;
            }
        }
        if !defined {
            // Where humans define tasks, an agent must not escape its task's layer by naming
            // one that does not exist.
            let mut known = defined_tasks(repo, policy, base)?;
            if let Some(target) = target {
                known.extend(defined_tasks(repo, target, target_commit.as_ref())?);
                known.sort();
                known.dedup();
            }
            if !known.is_empty() {
                findings.push(metadata(
                    "unknown-task",
                    Action::Block,
                    format!(
                        "task `{id}` is not defined in the base ({TASKS_DIR}/{id}.toml or [tasks.\"{id}\"]), and this repository defines its tasks: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
    }

    let trailer_allow = compile_trailer_globs(
        globs,
        &trailers.allow,
        "Agent-Allow",
        Case::Sensitive,
        &mut findings,
    );
    let trailer_deny = compile_trailer_globs(
        globs,
        &trailers.deny,
        "Agent-Deny",
        Case::Insensitive,
        &mut findings,
    );
    if !trailers.allow.is_empty() || !trailers.deny.is_empty() {
        task.layers.push(ScopeLayer {
            name: "trailers".into(),
            allow: (!trailers.allow.is_empty()).then_some(trailer_allow),
            deny: trailer_deny,
        });
        task.sources.push("commit trailers".into());
    }
    for command in &trailers.acceptance {
        if command.trim().is_empty() {
            findings.push(metadata(
                "invalid-trailer",
                Action::Block,
                "an `Agent-Acceptance` trailer is empty",
            ));
        } else {
            push_command(&mut task, command, "trailer");
        }
    }
    let known = policy.risk.category_names();
    for category in &trailers.requires_approval {
        if known.contains(category) {
            push_requirement(&mut task, category, "Agent-Requires-Approval trailer");
        } else {
            findings.push(metadata(
                "invalid-trailer",
                Action::Block,
                format!(
                    "`Agent-Requires-Approval: {category}` names no risk category (known: {})",
                    known.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    for key in &trailers.unknown {
        findings.push(metadata(
            "unknown-trailer",
            Action::Warn,
            format!("unknown trailer `{key}` is ignored (known: {KNOWN_TRAILERS})"),
        ));
    }
    Ok((task, findings))
}

fn metadata(category: &str, action: Action, message: impl Into<String>) -> Finding {
    Finding::new(Kind::Metadata, category, action, message).rule("task metadata")
}

fn push_command(task: &mut Task, command: &str, source: &str) {
    let command = command.trim();
    if !task.acceptance.iter().any(|c| c.command == command) {
        task.acceptance.push(AcceptanceCommand {
            command: command.to_string(),
            source: source.to_string(),
        });
    }
}

fn push_requirement(task: &mut Task, category: &str, source: &str) {
    if !task.requires_approval.iter().any(|(c, _)| c == category) {
        task.requires_approval
            .push((category.to_string(), source.to_string()));
    }
}

fn add_spec(task: &mut Task, spec: &TaskSpec, kind: &str) {
    task.layers.push(ScopeLayer {
        name: spec.source.clone(),
        allow: spec.allow.clone(),
        deny: spec.deny.clone(),
    });
    if spec.agents.is_some() || spec.branches.is_some() {
        task.bindings.push(Binding {
            source: spec.source.clone(),
            agents: spec.agents.clone(),
            branches: spec.branches.clone(),
        });
    }
    task.sources.push(spec.source.clone());
    if task.goal.is_none() {
        task.goal.clone_from(&spec.goal);
    }
    for command in &spec.acceptance {
        push_command(task, command, kind);
    }
    for category in &spec.requires_approval {
        push_requirement(task, category, &spec.source);
    }
}

/// The ids of the tasks the base defines, in the policy and as task files.
pub(crate) fn defined_tasks(
    repo: &Repo,
    policy: &Policy,
    base: Option<&git2::Commit<'_>>,
) -> Result<Vec<String>, PolicyError> {
    let mut ids: Vec<String> = policy.tasks.keys().cloned().collect();
    if let Some(base) = base {
        for name in repo.file_names_in(base.tree_id(), TASKS_DIR)? {
            if let Some(id) = name.strip_suffix(".toml") {
                ids.push(id.to_string());
            }
        }
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

fn read_task_file(
    repo: &Repo,
    policy: &Policy,
    base: Option<&git2::Commit<'_>>,
    id: &str,
) -> Result<Option<TaskSpec>, PolicyError> {
    let Some(base) = base else {
        return Ok(None);
    };
    let path = format!("{TASKS_DIR}/{id}.toml");
    let Some(bytes) = repo.read_file_at(base.tree_id(), &path)? else {
        return Ok(None);
    };
    let file = format!("{path} (at base {})", repo.short(base.id()));
    let text = String::from_utf8(bytes).map_err(|_| PolicyError::Invalid {
        file: file.clone(),
        message: "not valid UTF-8".into(),
    })?;
    let source = SourceText { file, text: &text };
    let raw: RawTask = source.parse()?;
    TaskSpec::compile(raw, &source, &policy.risk.category_names()).map(Some)
}

/// Compiles trailer globs; each bad one is a finding and left out (an allow list of only bad
/// globs then allows nothing, so the change fails closed).
fn compile_trailer_globs(
    globs: &mut TrailerGlobs,
    patterns: &[String],
    key: &str,
    case: Case,
    findings: &mut Vec<Finding>,
) -> GlobList {
    if let Some(list) = globs.get(case, patterns) {
        return list;
    }
    if let Ok(list) = GlobList::with_case(patterns, case) {
        globs.keep(case, patterns, &list);
        return list;
    }
    let mut good: Vec<&str> = patterns.iter().map(String::as_str).collect();
    loop {
        match GlobList::with_case(&good, case) {
            Ok(list) => return list,
            Err(e) => {
                let bad = good.remove(e.index().min(good.len().saturating_sub(1)));
                findings.push(metadata(
                    "invalid-trailer",
                    Action::Block,
                    format!("`{key}: {bad}`: {e}"),
                ));
                if good.is_empty() {
                    return GlobList::empty();
                }
            }
        }
    }
}
