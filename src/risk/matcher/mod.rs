//! The compiled form of a policy's risk rules, built once per policy: path globs per category
//! and every content rule behind one keyword automaton (built-ins) and one `RegexSet` (policy
//! regexes), so each added line is scanned once whatever the number of rules.

mod flat_key;
mod formats;
mod redact;
mod scan;

use super::paths::BUILTIN_PATHS;
use super::rules::{Check, Quiet, BUILTIN_RULES};
use crate::glob::{Case, GlobError, GlobList};
use crate::policy::risk::RiskCategory;
use crate::policy::risk::BUILTIN_CATEGORIES;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::{Regex, RegexSet};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    #[error("invalid content regex `{pattern}` in risk category `{category}`: {source}")]
    Regex {
        category: String,
        pattern: String,
        source: regex::Error,
    },
    #[error("the content rules could not be combined: {0}")]
    Set(String),
    #[error("invalid path glob in risk category `{category}`: {source}")]
    Glob { category: String, source: GlobError },
}

pub struct Rule {
    pub id: String,
    /// Index into the policy's categories.
    pub category: usize,
    pub label: String,
    pub regex: Regex,
    pub check: Check,
    quiet: Quiet,
    pub builtin: bool,
}

/// Built-in path globs of one category (policy globs stay on the category itself).
pub struct CategoryPaths {
    pub include: GlobList,
    pub exclude: GlobList,
}

/// The built-in half of every matcher: the same for every policy, so compiled once per process.
struct Builtin {
    /// Categories are indices into `BUILTIN_CATEGORIES`, which lead every policy's list.
    rules: Vec<Rule>,
    keywords: AhoCorasick,
    /// Keyword pattern id -> rules that need it.
    keyword_rules: Vec<Vec<usize>>,
    /// Indexed like `BUILTIN_CATEGORIES`.
    paths: Vec<CategoryPaths>,
}

static BUILTIN: OnceLock<Result<Arc<Builtin>, String>> = OnceLock::new();

fn builtin() -> Result<Arc<Builtin>, MatcherError> {
    BUILTIN
        .get_or_init(|| Builtin::build().map(Arc::new).map_err(|e| e.to_string()))
        .clone()
        .map_err(MatcherError::Set)
}

impl Builtin {
    fn build() -> Result<Self, MatcherError> {
        let mut rules = Vec::with_capacity(BUILTIN_RULES.len());
        let mut keyword_ids: HashMap<String, usize> = HashMap::new();
        let mut keyword_list: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for builtin in BUILTIN_RULES {
            let category = BUILTIN_CATEGORIES
                .iter()
                .position(|(name, _, _)| *name == builtin.category)
                .ok_or_else(|| {
                    MatcherError::Set(format!("rule `{}` has no category", builtin.id))
                })?;
            let regex = Regex::new(builtin.pattern).map_err(|source| MatcherError::Regex {
                category: builtin.category.to_string(),
                pattern: builtin.pattern.to_string(),
                source,
            })?;
            let rule_index = rules.len();
            for keyword in builtin.keywords {
                let key = keyword.to_ascii_lowercase();
                let id = *keyword_ids.entry(key.clone()).or_insert_with(|| {
                    keyword_list.push(key);
                    keyword_rules.push(Vec::new());
                    keyword_list.len() - 1
                });
                keyword_rules[id].push(rule_index);
            }
            rules.push(Rule {
                id: builtin.id.to_string(),
                category,
                label: builtin.label.to_string(),
                regex,
                check: builtin.check,
                quiet: builtin.quiet,
                builtin: true,
            });
        }
        let keywords = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&keyword_list)
            .map_err(|e| MatcherError::Set(e.to_string()))?;
        let mut paths = Vec::with_capacity(BUILTIN_CATEGORIES.len());
        for (name, _, _) in BUILTIN_CATEGORIES {
            let (include, exclude): (&[&str], &[&str]) = BUILTIN_PATHS
                .iter()
                .find(|(category, _, _)| *category == name)
                .map_or((&[], &[]), |(_, include, exclude)| (*include, *exclude));
            let glob_err = |source| MatcherError::Glob {
                category: name.to_string(),
                source,
            };
            // Risk paths match whatever the case, as deny lists do: `src/Auth/` is auth code.
            paths.push(CategoryPaths {
                include: GlobList::with_case(include, Case::Insensitive).map_err(glob_err)?,
                exclude: GlobList::with_case(exclude, Case::Insensitive).map_err(glob_err)?,
            });
        }
        Ok(Self {
            rules,
            keywords,
            keyword_rules,
            paths,
        })
    }
}

pub struct Matcher {
    builtin: Arc<Builtin>,
    /// Number of the policy's categories, and the index of `credentials` among them.
    categories: usize,
    credentials: usize,
    /// The policy's content regexes; their rule indices follow the built-in ones.
    policy_rules: Vec<Rule>,
    always: Option<RegexSet>,
    no_paths: CategoryPaths,
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matcher")
            .field("builtin_rules", &self.builtin.rules.len())
            .field("policy_rules", &self.policy_rules.len())
            .finish()
    }
}

impl Matcher {
    /// Compiles the policy's own regexes and joins them to the built-in rules. `categories`
    /// must start with the built-in categories in `BUILTIN_CATEGORIES` order, as the policy
    /// compiler builds them.
    pub fn build(categories: &[RiskCategory]) -> Result<Self, MatcherError> {
        let builtin = builtin()?;
        let in_order = BUILTIN_CATEGORIES
            .iter()
            .enumerate()
            .all(|(i, (name, _, _))| categories.get(i).is_some_and(|c| c.name == *name));
        if !in_order {
            return Err(MatcherError::Set(
                "the built-in risk categories must come first, in order".into(),
            ));
        }
        let mut patterns = Vec::new();
        let mut policy_rules = Vec::new();
        for (category_index, category) in categories.iter().enumerate() {
            for (n, pattern) in category.content.iter().enumerate() {
                let regex = Regex::new(pattern).map_err(|source| MatcherError::Regex {
                    category: category.name.clone(),
                    pattern: pattern.clone(),
                    source,
                })?;
                patterns.push(pattern.clone());
                policy_rules.push(Rule {
                    id: format!("{}-content-{}", category.name, n + 1),
                    category: category_index,
                    label: format!("matches `{pattern}`"),
                    regex,
                    check: Check::Plain,
                    quiet: Quiet::default(),
                    builtin: false,
                });
            }
        }
        let always = if patterns.is_empty() {
            None
        } else {
            Some(RegexSet::new(&patterns).map_err(|e| MatcherError::Set(e.to_string()))?)
        };
        let credentials = BUILTIN_CATEGORIES
            .iter()
            .position(|(name, _, _)| *name == "credentials")
            .ok_or_else(|| MatcherError::Set("no `credentials` category".into()))?;
        Ok(Self {
            builtin,
            categories: categories.len(),
            credentials,
            policy_rules,
            always,
            no_paths: CategoryPaths {
                include: GlobList::empty(),
                exclude: GlobList::empty(),
            },
        })
    }

    /// A rule by the index hits and candidates use.
    pub fn rule(&self, index: usize) -> &Rule {
        let builtin = self.builtin.rules.len();
        if index < builtin {
            &self.builtin.rules[index]
        } else {
            &self.policy_rules[index - builtin]
        }
    }

    /// The built-in path globs of a category (none for the policy's own categories).
    pub fn paths(&self, category: usize) -> &CategoryPaths {
        self.builtin.paths.get(category).unwrap_or(&self.no_paths)
    }
}
