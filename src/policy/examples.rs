//! `[[examples]]`: paths with what the policy must say about them, so that a policy edit
//! that silently stops protecting a path is caught (`agentguard policy test`, `verify`).

use super::task::is_valid_task_id;
use super::{PolicyError, SourceText};
use crate::finding::Action;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fmt;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExample {
    path: Spanned<String>,
    expect: Vec<Spanned<String>>,
    task: Option<Spanned<String>>,
}

/// One outcome the policy gives a path an agent change touches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// In scope: every layer with `allow` globs allows it, none denies it.
    Allow,
    /// Out of scope: denied, or outside an `allow` list.
    Deny,
    /// A risk category the path falls in, with the category's action.
    Risk { action: Action, category: String },
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Allow => f.write_str("allow"),
            Outcome::Deny => f.write_str("deny"),
            Outcome::Risk { action, category } => write!(f, "{action}:{category}"),
        }
    }
}

impl Outcome {
    /// `allow`, `deny`, or `<block|approve|warn>:<category>`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "allow" => Some(Outcome::Allow),
            "deny" => Some(Outcome::Deny),
            _ => {
                let (action, category) = text.split_once(':')?;
                Some(Outcome::Risk {
                    action: Action::parse(action)?,
                    category: category.to_string(),
                })
            }
        }
    }
}

/// A validated example.
#[derive(Debug, Clone)]
pub struct Example {
    pub path: String,
    /// Judged as work on this task (its task file or `[tasks]` entry narrows the scope).
    pub task: Option<String>,
    pub expect: BTreeSet<Outcome>,
    /// Where it is written, `file:line`, for messages.
    pub at: String,
}

impl Example {
    /// Whether `actual` (every outcome of the path) matches: `allow`/`deny` are checked when
    /// the example names one, and the risk outcomes must be exactly the expected ones, so a
    /// category lost, gained or with another action fails.
    pub fn holds(&self, actual: &BTreeSet<Outcome>) -> bool {
        let risks = |set: &BTreeSet<Outcome>| -> BTreeSet<Outcome> {
            set.iter()
                .filter(|o| matches!(o, Outcome::Risk { .. }))
                .cloned()
                .collect()
        };
        let scope_ok = [Outcome::Allow, Outcome::Deny]
            .iter()
            .all(|s| !self.expect.contains(s) || actual.contains(s));
        scope_ok && risks(&self.expect) == risks(actual)
    }
}

pub(super) fn compile(
    raw: Vec<Spanned<RawExample>>,
    text: &SourceText<'_>,
    categories: &BTreeSet<String>,
) -> Result<Vec<Example>, PolicyError> {
    let mut out = Vec::new();
    for example in raw {
        let span = example.span();
        let example = example.into_inner();
        let path = example.path.get_ref().trim().trim_start_matches("./");
        if path.is_empty() || path.starts_with('/') || path.split('/').any(|c| c == "..") {
            return Err(text.error_at(
                example.path.span(),
                format!(
                    "example path `{}` must be relative to the repository root",
                    example.path.get_ref()
                ),
            ));
        }
        if example.expect.is_empty() {
            return Err(text.error_at(
                span,
                "an example needs `expect`, e.g. [\"approve:auth\"] or [\"allow\"]",
            ));
        }
        let mut expect = BTreeSet::new();
        for item in &example.expect {
            let outcome = Outcome::parse(item.get_ref()).ok_or_else(|| {
                text.error_at(
                    item.span(),
                    format!(
                        "invalid expectation `{}`: use `allow`, `deny` or `<block|approve|warn>:<category>`",
                        item.get_ref()
                    ),
                )
            })?;
            if let Outcome::Risk { category, .. } = &outcome {
                if !categories.contains(category) {
                    return Err(text.error_at(
                        item.span(),
                        format!(
                            "unknown risk category `{category}` in an example (known: {})",
                            categories.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
            expect.insert(outcome);
        }
        if expect.contains(&Outcome::Allow) && expect.contains(&Outcome::Deny) {
            return Err(text.error_at(span, "an example cannot expect both `allow` and `deny`"));
        }
        if let Some(task) = &example.task {
            if !is_valid_task_id(task.get_ref()) {
                return Err(
                    text.error_at(task.span(), format!("invalid task id `{}`", task.get_ref()))
                );
            }
        }
        let line = text.text[..span.start.min(text.text.len())]
            .matches('\n')
            .count()
            + 1;
        out.push(Example {
            path: path.to_string(),
            task: example.task.map(Spanned::into_inner),
            expect,
            at: format!("{}:{line}", text.file),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::policy::{Policy, PolicySource};

    fn parse(text: &str) -> Result<Policy, String> {
        Policy::parse(text, ".agentguard.toml", PolicySource::DefaultNoBase)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn examples_parse_and_bad_ones_are_named_with_their_position() {
        let policy = parse(
            "[[examples]]\npath = \"src/auth/x.rs\"\nexpect = [\"approve:auth\"]\n\n\
             [[examples]]\npath = \"docs/a.md\"\nexpect = [\"allow\"]\ntask = \"T-1\"\n",
        )
        .unwrap();
        assert_eq!(policy.examples.len(), 2);
        assert_eq!(policy.examples[0].at, ".agentguard.toml:1");
        assert_eq!(policy.examples[1].task.as_deref(), Some("T-1"));

        let err = parse("[[examples]]\npath = \"a\"\nexpect = [\"approve:nope\"]\n").unwrap_err();
        assert!(
            err.contains(":3:") && err.contains("unknown risk category `nope`"),
            "{err}"
        );
        let err = parse("[[examples]]\npath = \"a\"\nexpect = [\"maybe\"]\n").unwrap_err();
        assert!(err.contains("invalid expectation `maybe`"), "{err}");
        let err = parse("[[examples]]\npath = \"../a\"\nexpect = [\"deny\"]\n").unwrap_err();
        assert!(err.contains("relative to the repository root"), "{err}");
        let err = parse("[[examples]]\npath = \"a\"\nexpect = []\n").unwrap_err();
        assert!(err.contains("needs `expect`"), "{err}");
        let err =
            parse("[[examples]]\npath = \"a\"\nexpect = [\"allow\"]\nlevel = 1\n").unwrap_err();
        assert!(err.contains("level"), "{err}");
    }
}
