//! The compiled form of a policy's risk rules, built once per policy: path globs per category
//! and every content rule behind one automaton (the built-in rules' keywords and every
//! provider token's literal prefix, case-sensitive) and one `RegexSet` (policy regexes), so
//! each added line is scanned once whatever the number of rules.

mod assign;
mod formats;
mod loose;
mod redact;
mod scan;

use super::paths::BUILTIN_PATHS;
use super::providers::{self, Start, PROVIDERS};
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
    /// `None` for rules validated by code alone (provider tokens, assignments, keyword-free
    /// strings).
    pub regex: Option<Regex>,
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
    /// Provider token rules come first (in `PROVIDERS` order), then `BUILTIN_RULES`.
    rules: Vec<Rule>,
    /// Keywords and provider prefixes, matched case-sensitively in the spellings that occur.
    keywords: AhoCorasick,
    /// Pattern id -> rules that need it.
    keyword_rules: Vec<Vec<usize>>,
    /// Indexed like `BUILTIN_CATEGORIES`.
    paths: Vec<CategoryPaths>,
    /// Provider names that make an assignment's name a (weak) secret name (`cloudflare`).
    provider_words: Vec<String>,
    /// The keyword-free rule, which looks at every line.
    loose: Option<usize>,
}

/// The spellings a keyword is looked for in: as written, lower case, UPPER case and
/// Capitalised (`password`, `PASSWORD`, `Password` as in `dbPassword`).
fn spellings(keyword: &str) -> Vec<String> {
    let lower = keyword.to_ascii_lowercase();
    let mut capital = lower.clone().into_bytes();
    if let Some(first) = capital.iter_mut().find(|b| b.is_ascii_alphabetic()) {
        first.make_ascii_uppercase();
    }
    let capital = String::from_utf8(capital).unwrap_or_default();
    let mut out: Vec<String> = Vec::with_capacity(4);
    for s in [
        keyword.to_string(),
        lower,
        keyword.to_ascii_uppercase(),
        capital,
    ] {
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    }
    out
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
        let mut rules = Vec::with_capacity(PROVIDERS.len() + BUILTIN_RULES.len());
        let mut pattern_ids: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut add = |pattern: String, rule: usize| {
            let id = *pattern_ids.entry(pattern.clone()).or_insert_with(|| {
                patterns.push(pattern);
                keyword_rules.push(Vec::new());
                patterns.len() - 1
            });
            if !keyword_rules[id].contains(&rule) {
                keyword_rules[id].push(rule);
            }
        };
        let credentials = BUILTIN_CATEGORIES
            .iter()
            .position(|(name, _, _)| *name == "credentials")
            .ok_or_else(|| MatcherError::Set("no `credentials` category".into()))?;
        let mut provider_words: Vec<String> = Vec::new();
        for (index, provider) in PROVIDERS.iter().enumerate() {
            let rule = rules.len();
            for anchor in provider.anchors {
                for spelling in providers::spellings(provider.start, anchor) {
                    add(spelling, rule);
                }
                if matches!(provider.start, Start::AfterName)
                    && anchor.bytes().all(|b| b.is_ascii_alphanumeric())
                    && !provider_words.iter().any(|w| w == anchor)
                {
                    provider_words.push(anchor.to_ascii_lowercase());
                }
            }
            rules.push(Rule {
                id: provider.id.to_string(),
                category: credentials,
                label: provider.description.to_string(),
                regex: None,
                check: Check::Provider(index),
                quiet: Quiet::default(),
                builtin: true,
            });
        }
        let mut loose = None;
        for builtin in BUILTIN_RULES {
            let category = BUILTIN_CATEGORIES
                .iter()
                .position(|(name, _, _)| *name == builtin.category)
                .ok_or_else(|| {
                    MatcherError::Set(format!("rule `{}` has no category", builtin.id))
                })?;
            let regex = if builtin.pattern.is_empty() {
                None
            } else {
                Some(
                    Regex::new(builtin.pattern).map_err(|source| MatcherError::Regex {
                        category: builtin.category.to_string(),
                        pattern: builtin.pattern.to_string(),
                        source,
                    })?,
                )
            };
            let rule_index = rules.len();
            for keyword in builtin.keywords {
                for spelling in spellings(keyword) {
                    add(spelling, rule_index);
                }
            }
            match builtin.check {
                // A provider's name makes a name secret-looking: `cloudflare = "…"`.
                Check::Assignment => {
                    for word in &provider_words {
                        for spelling in spellings(word) {
                            add(spelling, rule_index);
                        }
                    }
                }
                Check::Loose => loose = Some(rule_index),
                _ => {}
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
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
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
            // A key store is one whatever the case of its extension (`.P12`, `.Key`).
            let case = if name == "credentials" {
                Case::Insensitive
            } else {
                Case::Sensitive
            };
            paths.push(CategoryPaths {
                include: GlobList::with_case(include, case).map_err(glob_err)?,
                exclude: GlobList::with_case(exclude, case).map_err(glob_err)?,
            });
        }
        Ok(Self {
            rules,
            keywords,
            keyword_rules,
            paths,
            provider_words,
            loose,
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
                    regex: Some(regex),
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
