//! `[risk.<category>]`: the high-risk categories, built-in and from policy.

use super::{PolicyError, SourceText};
use crate::finding::Action;
use crate::glob::GlobList;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// Built-in categories and their default actions.
pub(crate) const BUILTIN_CATEGORIES: [(&str, Action, &str); 11] = [
    (
        "credentials",
        Action::Block,
        "secrets, private keys, .env files",
    ),
    ("migrations", Action::Approve, "database schema migrations"),
    (
        "auth",
        Action::Approve,
        "authentication and authorization code",
    ),
    ("payments", Action::Approve, "payment and billing code"),
    (
        "data-deletion",
        Action::Approve,
        "statements and calls that delete data",
    ),
    ("ci-config", Action::Approve, "CI/CD pipeline configuration"),
    (
        "production-config",
        Action::Approve,
        "production configuration and infrastructure",
    ),
    (
        "dependencies",
        Action::Warn,
        "dependency manifests and lock files",
    ),
    (
        "submodules",
        Action::Approve,
        "submodules added, repointed to another commit or another url",
    ),
    (
        "test-tampering",
        Action::Approve,
        "deleted tests, skip markers, edited acceptance scripts",
    ),
    (
        "guard-config",
        Action::Approve,
        "agentguard's own policy, tasks and hooks",
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRisk {
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    content: Vec<Spanned<String>>,
    action: Option<Action>,
    description: Option<String>,
    /// `[risk.credentials]` only: whether human commits get the credentials check.
    humans: Option<bool>,
}

/// One category as the policy configures it: built-in detection plus policy additions.
#[derive(Debug, Clone)]
pub struct RiskCategory {
    pub name: String,
    pub action: Action,
    pub description: String,
    pub builtin: bool,
    /// Extra path globs from policy.
    pub paths: GlobList,
    /// Extra content regexes from policy, matched against added lines.
    pub content: Vec<String>,
}

/// The categories in force; the built-in ones come first, in `BUILTIN_CATEGORIES` order.
#[derive(Debug, Clone)]
pub struct RiskPolicy {
    pub categories: Vec<RiskCategory>,
    /// `[risk.credentials] humans`: a leaked key is a leak whoever commits it, so human
    /// commits get the credentials check of their added lines (and nothing else).
    pub humans: bool,
}

impl RiskPolicy {
    pub fn category_names(&self) -> BTreeSet<String> {
        self.categories.iter().map(|c| c.name.clone()).collect()
    }

    pub fn get(&self, name: &str) -> Option<&RiskCategory> {
        self.categories.iter().find(|c| c.name == name)
    }
}

pub(super) fn compile(
    raw: BTreeMap<String, Spanned<RawRisk>>,
    text: &SourceText<'_>,
) -> Result<RiskPolicy, PolicyError> {
    let mut categories: Vec<RiskCategory> = BUILTIN_CATEGORIES
        .iter()
        .map(|(name, action, description)| RiskCategory {
            name: (*name).to_string(),
            action: *action,
            description: (*description).to_string(),
            builtin: true,
            paths: GlobList::empty(),
            content: Vec::new(),
        })
        .collect();
    let mut humans = true;
    for (name, section) in raw {
        let span = section.span();
        let section = section.into_inner();
        if let Some(value) = section.humans {
            if name != "credentials" {
                return Err(text.error_at(
                    span,
                    format!("`humans` applies to `[risk.credentials]` only, not `[risk.{name}]`"),
                ));
            }
            humans = value;
        }
        if !is_valid_category_name(&name) {
            return Err(text.error_at(
                span,
                format!(
                    "invalid risk category name `{name}`: use lowercase letters, digits and `-`"
                ),
            ));
        }
        for pattern in &section.content {
            regex::Regex::new(pattern.get_ref()).map_err(|e| {
                text.error_at(
                    pattern.span(),
                    format!(
                        "invalid regex `{}`: {}",
                        pattern.get_ref(),
                        regex_error_summary(&e)
                    ),
                )
            })?;
        }
        // `Migrations/` (EF Core's default) is as much a migration as `migrations/`.
        let paths = text.globs_ignoring_case(&section.paths)?;
        let content: Vec<String> = section
            .content
            .into_iter()
            .map(Spanned::into_inner)
            .collect();
        match categories.iter_mut().find(|c| c.name == name) {
            Some(existing) => {
                if let Some(action) = section.action {
                    // guard-config protects the rules themselves: it can be made stricter only.
                    existing.action = if name == "guard-config" {
                        action.max(Action::Approve)
                    } else {
                        action
                    };
                }
                if let Some(description) = section.description {
                    existing.description = description;
                }
                existing.paths = paths;
                existing.content = content;
            }
            None => {
                if paths.is_empty() && content.is_empty() {
                    return Err(text.error_at(
                        span,
                        format!("risk category `{name}` needs `paths` or `content` rules"),
                    ));
                }
                categories.push(RiskCategory {
                    action: section.action.unwrap_or(Action::Approve),
                    description: section.description.unwrap_or_else(|| name.clone()),
                    name,
                    builtin: false,
                    paths,
                    content,
                });
            }
        }
    }
    Ok(RiskPolicy { categories, humans })
}

fn is_valid_category_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The regex crate's syntax errors draw a caret diagram over several lines; the last
/// `error: …` line says what is wrong.
fn regex_error_summary(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .unwrap_or_else(|| text.lines().next().unwrap_or_default())
        .to_string()
}

#[cfg(test)]
mod tests {
    use crate::finding::Action;
    use crate::policy::{Policy, PolicyError, PolicySource};

    fn parse(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse(text, ".agentguard.toml", PolicySource::DefaultNoBase)
    }

    #[test]
    fn guard_config_can_only_be_made_stricter() {
        let weakened = parse("[risk.guard-config]\naction = \"warn\"\n").unwrap();
        let guard = weakened.risk.get("guard-config").unwrap();
        assert_eq!(guard.action, Action::Approve);
        let stricter = parse("[risk.guard-config]\naction = \"block\"\n").unwrap();
        assert_eq!(
            stricter.risk.get("guard-config").unwrap().action,
            Action::Block
        );
    }

    #[test]
    fn overrides_keep_builtin_rules_and_new_categories_need_rules() {
        let policy = parse(
            "[risk.credentials]\naction = \"warn\"\ndescription = \"keys\"\n\n\
             [risk.flags]\npaths = [\"flags/**\"]\n",
        )
        .unwrap();
        let credentials = policy.risk.get("credentials").unwrap();
        assert_eq!(credentials.action, Action::Warn);
        assert_eq!(credentials.description, "keys");
        assert!(credentials.builtin);
        let flags = policy.risk.get("flags").unwrap();
        assert_eq!(flags.action, Action::Approve);
        assert!(!flags.builtin);
        let err = parse("[risk.empty]\naction = \"block\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs `paths` or `content`"), "{err}");
    }

    #[test]
    fn bad_content_regex_names_regex_and_position() {
        let err = parse("[risk.flags]\ncontent = ['ok', '(open']\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(".agentguard.toml:2:"), "{err}");
        assert!(err.contains("(open"), "{err}");
    }

    #[test]
    fn humans_is_a_credentials_setting() {
        assert!(parse("").unwrap().risk.humans);
        let off = parse("[risk.credentials]\nhumans = false\n").unwrap();
        assert!(!off.risk.humans);
        let err = parse("[risk.auth]\nhumans = true\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`humans` applies to `[risk.credentials]` only"),
            "{err}"
        );
    }

    #[test]
    fn bad_category_name_is_rejected() {
        let err = parse("[risk.Bad_Name]\npaths = [\"x\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid risk category name"), "{err}");
    }
}
