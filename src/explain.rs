//! What the policy says about a path, before any change touches it: which scope layer allows
//! or denies it, which risk rules match, and who may approve them. `agentguard explain` shows
//! it; `[[examples]]` are checked against it (`agentguard policy test`, `verify`).

use crate::diff::Status;
use crate::engine::EngineError;
use crate::finding::{Action, Finding, Kind};
use crate::policy::examples::{Example, Outcome};
use crate::policy::Policy;
use crate::repo::Repo;
use crate::risk::{self, CompiledPolicy, RiskInput};
use crate::task::{self, AgentTrailers, ScopeLayer, Task, TrailerGlobs};
use std::collections::BTreeSet;

/// Whom to judge as: the task's layers narrow the scope; the agent is shown.
#[derive(Debug, Clone, Default)]
pub(crate) struct As {
    pub task: Option<String>,
    pub agent: Option<String>,
}

/// What one scope layer says about a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LayerSays {
    /// The layer's `deny` glob that matches.
    Denies(String),
    /// The layer's `allow` glob that matches.
    Allows(String),
    /// The layer lists `allow` globs and none matches.
    Excludes(Vec<String>),
    /// The layer neither allows nor denies it (no `allow` list, no matching `deny`).
    Silent,
}

#[derive(Debug, Clone)]
pub(crate) struct LayerVerdict {
    pub layer: String,
    pub says: LayerSays,
}

/// Who may sign off on one category, and whether anyone can.
#[derive(Debug, Clone)]
pub(crate) struct Approvers {
    pub category: String,
    /// From `[approvals] approvers`: the category's own list and `"*"`.
    pub identities: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct PathExplanation {
    pub path: String,
    /// `.git` is always denied, whatever the layers say.
    pub in_git_dir: bool,
    pub layers: Vec<LayerVerdict>,
    pub in_scope: bool,
    /// Risk findings of the path alone (path rules; content rules need a change's lines).
    pub risks: Vec<Finding>,
    pub approvers: Vec<Approvers>,
}

impl PathExplanation {
    /// The outcomes an `[[examples]]` entry is compared with.
    pub(crate) fn outcomes(&self) -> BTreeSet<Outcome> {
        let mut out = BTreeSet::new();
        out.insert(if self.in_scope {
            Outcome::Allow
        } else {
            Outcome::Deny
        });
        for risk in &self.risks {
            out.insert(Outcome::Risk {
                action: risk.action,
                category: risk.category.clone(),
            });
        }
        out
    }
}

/// The explanation of every path, and the task's own problems (an unknown task, say).
#[derive(Debug, Clone)]
pub(crate) struct Explanation {
    pub policy_source: String,
    pub task: Task,
    pub task_findings: Vec<Finding>,
    pub paths: Vec<PathExplanation>,
    pub allowed_signers: Option<String>,
}

/// Explains `paths` under the policy read from `base` (the commit the next change is made on).
pub(crate) fn explain(
    repo: &Repo,
    base: Option<&git2::Commit<'_>>,
    compiled: &CompiledPolicy,
    paths: &[String],
    who: &As,
) -> Result<Explanation, EngineError> {
    let policy = &compiled.policy;
    let trailers = AgentTrailers {
        tasks: who.task.iter().cloned().collect(),
        names: who.agent.iter().cloned().collect(),
        ..AgentTrailers::default()
    };
    let (task, task_findings) =
        task::assemble(repo, policy, base, &trailers, &mut TrailerGlobs::default())?;
    let hooks_path = repo.hooks_path_in_work_tree();
    let mut explained = Vec::new();
    for path in paths {
        let path = normalise(path);
        explained.push(explain_path(
            compiled,
            &task.layers,
            &path,
            hooks_path.as_deref(),
        ));
    }
    Ok(Explanation {
        policy_source: policy.source.to_string(),
        task,
        task_findings,
        paths: explained,
        allowed_signers: signers_source(repo, policy),
    })
}

/// `./src/x.rs` and `src//x.rs` name `src/x.rs`.
fn normalise(path: &str) -> String {
    path.trim_start_matches("./")
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn explain_path(
    compiled: &CompiledPolicy,
    layers: &[ScopeLayer],
    path: &str,
    hooks_path: Option<&str>,
) -> PathExplanation {
    let bytes = path.as_bytes();
    let in_git_dir = path.split('/').any(|c| c.eq_ignore_ascii_case(".git"));
    let layers: Vec<LayerVerdict> = layers
        .iter()
        .map(|layer| LayerVerdict {
            layer: layer.name.clone(),
            says: if let Some(glob) = layer.deny.first_match(bytes) {
                LayerSays::Denies(glob.to_string())
            } else {
                match &layer.allow {
                    Some(allow) => match allow.first_match(bytes) {
                        Some(glob) => LayerSays::Allows(glob.to_string()),
                        None => LayerSays::Excludes(allow.patterns().to_vec()),
                    },
                    None => LayerSays::Silent,
                }
            },
        })
        .collect();
    let in_scope = !in_git_dir
        && layers
            .iter()
            .all(|l| matches!(l.says, LayerSays::Allows(_) | LayerSays::Silent));
    let change = risk::detached_change(&[(Status::Added, None, Some(path))]);
    let risks = risk::scan(&RiskInput {
        change: &change,
        additions: &[],
        acceptance: &[],
        compiled,
        hooks_path,
    });
    let policy = &compiled.policy;
    let approvers = risks
        .iter()
        .filter(|f| f.kind == Kind::Risk && f.action == Action::Approve)
        .map(|f| f.category.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|category| Approvers {
            identities: approvers_of(policy, &category),
            category,
        })
        .collect();
    PathExplanation {
        path: path.to_string(),
        in_git_dir,
        layers,
        in_scope,
        risks,
        approvers,
    }
}

/// The identities `[approvals] approvers` lists for `category`, its own and `"*"`'s.
pub(crate) fn approvers_of(policy: &Policy, category: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for key in [category, "*"] {
        for id in policy.approvals.approvers.get(key).into_iter().flatten() {
            if !out.contains(id) {
                out.push(id.clone());
            }
        }
    }
    out
}

/// Where approvals' signatures are checked: the policy's file in the base, or git config.
fn signers_source(repo: &Repo, policy: &Policy) -> Option<String> {
    match &policy.approvals.allowed_signers {
        Some(path) => Some(format!("{path} (in the base commit)")),
        None => repo
            .config_path("gpg.ssh.allowedSignersFile")
            .map(|p| format!("git config gpg.ssh.allowedSignersFile ({})", p.display())),
    }
}

/// One example and what the policy actually says about its path.
#[derive(Debug, Clone)]
pub(crate) struct ExampleResult {
    pub example: Example,
    pub actual: BTreeSet<Outcome>,
    /// The task's problems (an example naming a task the base does not define).
    pub task_findings: Vec<Finding>,
}

impl ExampleResult {
    pub(crate) fn holds(&self) -> bool {
        self.task_findings.iter().all(|f| f.action != Action::Block)
            && self.example.holds(&self.actual)
    }
}

/// Checks every `[[examples]]` entry of the policy read from `base`.
pub(crate) fn check_examples(
    repo: &Repo,
    base: Option<&git2::Commit<'_>>,
    compiled: &CompiledPolicy,
) -> Result<Vec<ExampleResult>, EngineError> {
    let mut results = Vec::new();
    for example in &compiled.policy.examples {
        let who = As {
            task: example.task.clone(),
            agent: None,
        };
        let explanation = explain(
            repo,
            base,
            compiled,
            std::slice::from_ref(&example.path),
            &who,
        )?;
        let actual = explanation
            .paths
            .first()
            .map(PathExplanation::outcomes)
            .unwrap_or_default();
        results.push(ExampleResult {
            example: example.clone(),
            actual,
            task_findings: explanation.task_findings,
        });
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn paths_are_normalised_like_git_names_them() {
        assert_eq!(normalise("./src//auth/./x.rs"), "src/auth/x.rs");
        assert_eq!(normalise("README.md"), "README.md");
    }
}
