//! The compiled form of a policy's risk rules, built once per policy: path globs per category
//! and every content rule behind one automaton (the built-in rules' keywords and every
//! provider token's literal prefix, case-sensitive) and one `RegexSet` (policy regexes), so
//! each added line is scanned once whatever the number of rules.

mod assign;
mod flat_key;
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

pub(crate) struct Rule {
    pub(crate) id: String,
    /// Index into the policy's categories.
    pub(crate) category: usize,
    pub(crate) label: String,
    /// Empty for rules validated by code alone (provider tokens, assignments, keyword-free
    /// strings). Compiled on the rule's first candidate line: a commit of a few lines
    /// compiles the few regexes it needs.
    pattern: String,
    regex: OnceLock<Option<Regex>>,
    pub(crate) check: Check,
    quiet: Quiet,
    pub(crate) builtin: bool,
}

impl Rule {
    fn new(
        id: String,
        category: usize,
        label: String,
        pattern: String,
        check: Check,
        quiet: Quiet,
        builtin: bool,
    ) -> Self {
        Self {
            id,
            category,
            label,
            pattern,
            regex: OnceLock::new(),
            check,
            quiet,
            builtin,
        }
    }

    /// The rule's regex (every pattern was compiled once already: built-in ones by the unit
    /// tests, policy ones when the policy was read).
    pub(crate) fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| {
                (!self.pattern.is_empty())
                    .then(|| Regex::new(&self.pattern).ok())
                    .flatten()
            })
            .as_ref()
    }
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
    /// Keywords and provider prefixes (`patterns`), matched case-sensitively in the spellings
    /// that occur: looked for one by one in the first few lines a process scans (a person's
    /// commit, a small change), then through a contiguous NFA, quick to build…
    keywords: OnceLock<Option<AhoCorasick>>,
    /// …and a DFA, quicker to run over a large change; each built on first need.
    keywords_dfa: OnceLock<Option<AhoCorasick>>,
    /// Bytes this process has scanned, which decide among the three.
    scanned: std::sync::atomic::AtomicUsize,
    patterns: Vec<String>,
    /// Pattern id -> rules that need it.
    keyword_rules: Vec<Vec<usize>>,
    /// Indexed like `BUILTIN_CATEGORIES`; compiled on first need (a human change is judged
    /// by its added lines alone).
    paths: OnceLock<Result<Vec<CategoryPaths>, String>>,
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
            rules.push(Rule::new(
                provider.id.to_string(),
                credentials,
                provider.description.to_string(),
                String::new(),
                Check::Provider(index),
                Quiet::default(),
                true,
            ));
        }
        // Sorted, for binary search in `assign::classify`.
        provider_words.sort_unstable();
        provider_words.dedup();
        let mut loose = None;
        for builtin in BUILTIN_RULES {
            let category = BUILTIN_CATEGORIES
                .iter()
                .position(|(name, _, _)| *name == builtin.category)
                .ok_or_else(|| {
                    MatcherError::Set(format!("rule `{}` has no category", builtin.id))
                })?;
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
            rules.push(Rule::new(
                builtin.id.to_string(),
                category,
                builtin.label.to_string(),
                builtin.pattern.to_string(),
                builtin.check,
                builtin.quiet,
                true,
            ));
        }
        Ok(Self {
            rules,
            keywords: OnceLock::new(),
            keywords_dfa: OnceLock::new(),
            scanned: std::sync::atomic::AtomicUsize::new(0),
            patterns,
            keyword_rules,
            paths: OnceLock::new(),
            provider_words,
            loose,
        })
    }

    /// How to find the keywords in the next `len` bytes of text: one by one until this
    /// process has scanned enough to repay building an automaton (about a millisecond), the
    /// DFA once it has scanned enough to repay that one. Every way finds the same matches; an
    /// automaton that cannot be built leaves the one-by-one search.
    fn keywords_for(&self, len: usize) -> Keywords<'_> {
        const AUTOMATON_FROM: usize = 4 * 1024;
        const DFA_FROM: usize = 512 * 1024;
        let scanned = self
            .scanned
            .fetch_add(len, std::sync::atomic::Ordering::Relaxed)
            + len;
        let nfa = || {
            self.keywords
                .get_or_init(|| automaton(&self.patterns, AhoCorasickKind::ContiguousNFA).ok())
                .as_ref()
        };
        let found = if scanned < AUTOMATON_FROM {
            None
        } else if scanned < DFA_FROM {
            nfa()
        } else {
            self.keywords_dfa
                .get_or_init(|| automaton(&self.patterns, AhoCorasickKind::DFA).ok())
                .as_ref()
                .or_else(nfa)
        };
        found.map_or(Keywords::OneByOne(&self.patterns), Keywords::Automaton)
    }

    fn paths(&self) -> Result<&[CategoryPaths], &str> {
        self.paths
            .get_or_init(|| build_paths().map_err(|e| e.to_string()))
            .as_deref()
            .map_err(String::as_str)
    }
}

/// How keywords are found in a text (see `Builtin::keywords_for`).
#[derive(Clone, Copy)]
enum Keywords<'b> {
    OneByOne(&'b [String]),
    Automaton(&'b AhoCorasick),
}

impl Keywords<'_> {
    /// Every occurrence of every keyword in `text`, overlapping ones included, as
    /// `(pattern, start, end)`; in order of their end through an automaton, else by pattern.
    fn each_match(self, text: &str, mut found: impl FnMut(usize, usize, usize)) {
        match self {
            Keywords::Automaton(ac) => {
                for m in ac.find_overlapping_iter(text) {
                    found(m.pattern().as_usize(), m.start(), m.end());
                }
            }
            Keywords::OneByOne(patterns) => {
                let text = text.as_bytes();
                for (id, pattern) in patterns.iter().enumerate() {
                    let finder = memchr::memmem::Finder::new(pattern.as_bytes());
                    let mut from = 0;
                    while let Some(at) = text.get(from..).and_then(|rest| finder.find(rest)) {
                        let start = from + at;
                        found(id, start, start + pattern.len());
                        from = start + 1;
                    }
                }
            }
        }
    }
}

fn automaton(
    patterns: &[String],
    kind: AhoCorasickKind,
) -> Result<AhoCorasick, aho_corasick::BuildError> {
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(kind))
        .build(patterns)
}

/// The built-in path globs, indexed like `BUILTIN_CATEGORIES`.
fn build_paths() -> Result<Vec<CategoryPaths>, MatcherError> {
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
        // Risk paths match whatever the case, as deny lists do: `src/Auth/` is auth code, and
        // a key store is one whatever the case of its extension (`.P12`, `.Key`).
        paths.push(CategoryPaths {
            include: GlobList::with_case(include, Case::Insensitive).map_err(glob_err)?,
            exclude: GlobList::with_case(exclude, Case::Insensitive).map_err(glob_err)?,
        });
    }
    Ok(paths)
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
                let rule = Rule::new(
                    format!("{}-content-{}", category.name, n + 1),
                    category_index,
                    format!("matches `{pattern}`"),
                    pattern.clone(),
                    Check::Plain,
                    Quiet::default(),
                    false,
                );
                // Compiled already: keep it.
                let _ = rule.regex.set(Some(regex));
                policy_rules.push(rule);
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
    pub(crate) fn rule(&self, index: usize) -> &Rule {
        let builtin = self.builtin.rules.len();
        if index < builtin {
            &self.builtin.rules[index]
        } else {
            &self.policy_rules[index - builtin]
        }
    }

    /// The built-in path globs, compiled on first need; an error makes every path rule
    /// unusable, which the caller reports (fail closed).
    pub fn paths_ready(&self) -> Result<(), &str> {
        self.builtin.paths().map(|_| ())
    }

    /// The built-in path globs of a category (none for the policy's own categories, and none
    /// when `paths_ready` failed).
    pub fn paths(&self, category: usize) -> &CategoryPaths {
        self.builtin
            .paths()
            .ok()
            .and_then(|paths| paths.get(category))
            .unwrap_or(&self.no_paths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_regex_and_glob_compiles() {
        let builtin = Builtin::build().unwrap();
        for rule in &builtin.rules {
            if !rule.pattern.is_empty() {
                assert!(rule.regex().is_some(), "{}: {}", rule.id, rule.pattern);
            }
        }
        assert!(build_paths().is_ok());
        assert!(automaton(&builtin.patterns, AhoCorasickKind::ContiguousNFA).is_ok());
        assert!(automaton(&builtin.patterns, AhoCorasickKind::DFA).is_ok());
    }

    #[test]
    fn keywords_one_by_one_find_what_the_automata_find() {
        let builtin = Builtin::build().unwrap();
        let nfa = automaton(&builtin.patterns, AhoCorasickKind::ContiguousNFA).unwrap();
        let dfa = automaton(&builtin.patterns, AhoCorasickKind::DFA).unwrap();
        let texts = [
            "",
            "password = \"hunter2\"\nPASSWORD=x passwordpassword",
            "export AWS_SECRET_ACCESS_KEY=abc; token: ghp_x; api_key => 'k'",
            "aaaa ssssecret sk-ant-sk-ant- xoxb-xoxb- DELETE FROM users; DROP TABLE t",
            "no keyword at all, just prose about nothing in particular",
        ];
        let matches = |keywords: Keywords<'_>, text: &str| {
            let mut all = Vec::new();
            keywords.each_match(text, |p, s, e| all.push((p, s, e)));
            all.sort_unstable();
            all
        };
        for text in texts {
            let one_by_one = matches(Keywords::OneByOne(&builtin.patterns), text);
            assert_eq!(
                one_by_one,
                matches(Keywords::Automaton(&nfa), text),
                "{text}"
            );
            assert_eq!(
                one_by_one,
                matches(Keywords::Automaton(&dfa), text),
                "{text}"
            );
        }
        // Not vacuous: the texts hold keywords, overlapping ones included.
        let found = matches(Keywords::OneByOne(&builtin.patterns), texts[1]);
        assert!(found.len() > 3, "{found:?}");
    }
}
