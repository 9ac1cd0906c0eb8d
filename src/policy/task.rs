//! Task definitions: `[tasks."<id>"]` in the policy and `.agentguard/tasks/<id>.toml` in the
//! base tree, validated like the rest of the policy.

use super::{PolicyError, SourceText};
use crate::glob::GlobList;
use serde::Deserialize;
use std::collections::BTreeSet;
use toml::Spanned;

/// A task id must be usable as a file name: letters, digits, `.`, `_`, `-`.
pub(crate) fn is_valid_task_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A human-written task: `[tasks."<id>"]` in the policy or `.agentguard/tasks/<id>.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    pub goal: Option<String>,
    pub allow: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub deny: Vec<Spanned<String>>,
    #[serde(default)]
    pub acceptance: Vec<String>,
    #[serde(default)]
    pub requires_approval: Vec<Spanned<String>>,
    /// Agents the task admits (globs over `Agent-Name`, or the author email with `@`).
    pub agents: Option<Vec<Spanned<String>>>,
    /// Branches the task admits (globs).
    pub branches: Option<Vec<Spanned<String>>>,
}

/// A task definition with its globs compiled.
#[derive(Debug, Clone)]
pub struct TaskSpec {
    /// Where it was defined, e.g. ".agentguard/tasks/T-1.toml at base 1a2b3c".
    pub source: String,
    pub goal: Option<String>,
    pub allow: Option<GlobList>,
    pub deny: GlobList,
    pub acceptance: Vec<String>,
    pub requires_approval: Vec<String>,
    /// `None`: any agent; otherwise the globs an agent must match (case-insensitive).
    pub agents: Option<GlobList>,
    /// `None`: any branch; otherwise the globs a branch must match.
    pub branches: Option<GlobList>,
}

impl TaskSpec {
    pub fn compile(
        raw: RawTask,
        text: &SourceText<'_>,
        categories: &BTreeSet<String>,
    ) -> Result<Self, PolicyError> {
        for category in &raw.requires_approval {
            if !categories.contains(category.get_ref()) {
                return Err(text.error_at(
                    category.span(),
                    format!(
                        "unknown risk category `{}` in requires_approval (known: {})",
                        category.get_ref(),
                        categories.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        Ok(Self {
            source: text.file.clone(),
            goal: raw.goal,
            allow: raw.allow.as_deref().map(|a| text.globs(a)).transpose()?,
            deny: text.globs_ignoring_case(&raw.deny)?,
            acceptance: raw.acceptance,
            requires_approval: raw
                .requires_approval
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            agents: raw
                .agents
                .as_deref()
                .map(|a| text.globs_ignoring_case(a))
                .transpose()?,
            branches: raw.branches.as_deref().map(|b| text.globs(b)).transpose()?,
        })
    }
}
