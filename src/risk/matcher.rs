//! The compiled form of a policy's risk rules, built once per policy: path globs per category
//! and every content rule behind one keyword automaton (built-ins) and one `RegexSet` (policy
//! regexes), so each added line is scanned once whatever the number of rules.

use super::paths::{FileContext, BUILTIN_PATHS};
use super::rules::{is_disposable_target, Check, Quiet, BUILTIN_RULES};
use super::secrets::{self, Candidate};
use crate::diff::AddedLine;
use crate::glob::{GlobError, GlobList};
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
            paths.push(CategoryPaths {
                include: GlobList::new(include).map_err(glob_err)?,
                exclude: GlobList::new(exclude).map_err(glob_err)?,
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

/// One content rule hit on one added line.
pub struct Hit {
    pub rule: usize,
    pub line: u32,
    /// The matched text; for secrets, the secret itself (fingerprinted, never shown).
    pub matched: String,
    /// For a secret assigned to a name: the name, which is shown.
    pub name: Option<String>,
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
        Ok(Self {
            builtin,
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

    /// (line index, rule) pairs worth running, sorted and unique. The keyword automaton runs
    /// once over the file's added lines joined by newlines (no keyword spans a newline), which
    /// saves a search start per line; policy regexes go through the `RegexSet` line by line.
    fn candidates(&self, lines: &[AddedLine]) -> Vec<(usize, usize)> {
        let mut pending = Vec::new();
        {
            let ac = &self.builtin.keywords;
            let mut text = String::with_capacity(lines.iter().map(|l| l.text.len() + 1).sum());
            let mut ends = Vec::with_capacity(lines.len());
            for line in lines {
                text.push_str(&line.text);
                text.push('\n');
                ends.push(text.len());
            }
            let mut index = 0;
            // Overlapping matches come in order of their end, so the line index only grows.
            for m in ac.find_overlapping_iter(&text) {
                while index < ends.len() && ends[index] <= m.start() {
                    index += 1;
                }
                for &rule in &self.builtin.keyword_rules[m.pattern().as_usize()] {
                    pending.push((index, rule));
                }
            }
        }
        if let Some(set) = &self.always {
            for (index, line) in lines.iter().enumerate() {
                for i in set.matches(&line.text).iter() {
                    pending.push((index, self.builtin.rules.len() + i));
                }
            }
        }
        pending.sort_unstable();
        pending.dedup();
        pending
    }

    /// Every rule hit in the added lines of one text file, in line order.
    pub fn scan_lines(&self, path: &str, lines: &[AddedLine], ctx: FileContext) -> Vec<Hit> {
        let mut hits = Vec::new();
        let pending = self.candidates(lines);
        let mut candidates: Vec<usize> = Vec::new();
        let mut secret_spans: Vec<(usize, usize)> = Vec::new();
        let mut categories_hit: Vec<usize> = Vec::new();
        let mut next = 0;
        while next < pending.len() {
            let index = pending[next].0;
            candidates.clear();
            while next < pending.len() && pending[next].0 == index {
                candidates.push(pending[next].1);
                next += 1;
            }
            let line = &lines[index];
            let text = line.text.as_str();
            secret_spans.clear();
            categories_hit.clear();
            for &rule_index in &candidates {
                let rule = self.rule(rule_index);
                if rule.quiet.applies(ctx) || categories_hit.contains(&rule.category) {
                    continue;
                }
                if let Check::Secret(check) = rule.check {
                    for caps in rule.regex.captures_iter(text) {
                        let Some(value) = caps.name("value").or_else(|| caps.get(0)) else {
                            continue;
                        };
                        let span = (value.start(), value.end());
                        if secret_spans.iter().any(|&(s, e)| s < span.1 && span.0 < e) {
                            continue;
                        }
                        let candidate = Candidate {
                            name: caps.name("name").map(|m| m.as_str()),
                            host: caps.name("host").map(|m| m.as_str()),
                            quoted: caps.name("quote").map_or(true, |q| !q.as_str().is_empty()),
                            user: caps.name("user").map(|m| m.as_str()),
                            value: value.as_str(),
                        };
                        if secrets::accept(check, &candidate, path)
                            && !embedded_in_encoded_data(text, span)
                        {
                            secret_spans.push(span);
                            hits.push(Hit {
                                rule: rule_index,
                                line: line.number,
                                matched: value.as_str().to_string(),
                                name: candidate.name.map(str::to_string),
                            });
                        }
                    }
                    continue;
                }
                let (keep, matched) = match rule.check {
                    Check::RecursiveRemove => match rule.regex.captures(text) {
                        Some(caps) => {
                            let targets = caps.name("value").map_or("", |m| m.as_str());
                            let words: Vec<&str> = targets.split_whitespace().collect();
                            let keep =
                                words.is_empty() || !words.iter().all(|t| is_disposable_target(t));
                            let whole = caps.get(0).map_or("", |m| m.as_str());
                            (keep, whole)
                        }
                        None => continue,
                    },
                    _ => match rule.regex.find(text) {
                        Some(m) => {
                            let keep = match rule.check {
                                Check::PrivateKey => has_key_body(lines, index, m.end()),
                                Check::DeleteWithoutWhere => {
                                    !has_where_clause(lines, index, m.end())
                                }
                                _ => true,
                            };
                            (keep, m.as_str())
                        }
                        None => continue,
                    },
                };
                if keep {
                    categories_hit.push(rule.category);
                    hits.push(Hit {
                        rule: rule_index,
                        line: line.number,
                        matched: matched.trim().to_string(),
                        name: None,
                    });
                }
            }
        }
        hits
    }
}

impl Quiet {
    fn applies(&self, ctx: FileContext) -> bool {
        (self.tests && ctx.test)
            || (self.locks && ctx.lock)
            || (self.docs && ctx.docs)
            || (self.non_sql && !ctx.sql)
    }
}

/// A match inside a longer base64 run (data URIs, embedded blobs, lock-file hashes) is chance.
fn embedded_in_encoded_data(text: &str, (start, end): (usize, usize)) -> bool {
    if let Some(data) = text.find(";base64,") {
        if data < start {
            return true;
        }
    }
    let bytes = text.as_bytes();
    let encoded = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    let before = start
        .checked_sub(1)
        .and_then(|i| bytes.get(i))
        .is_some_and(|&b| b == b'+' || (b == b'/' && start >= 2 && encoded(bytes[start - 2])));
    let after = bytes.get(end).is_some_and(|&b| b == b'+');
    before || after
}

fn is_base64_body(text: &str) -> bool {
    let body = text
        .trim()
        .trim_matches(|c: char| matches!(c, '"' | '\'' | ',' | '+' | '`'))
        .trim_end_matches("\\n")
        .trim();
    body.starts_with("Proc-Type:")
        || (body.len() >= 40
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
}

/// A PEM header followed by a key body, on the next added line or after an escaped newline.
fn has_key_body(lines: &[AddedLine], index: usize, header_end: usize) -> bool {
    let rest = lines[index].text.get(header_end..).unwrap_or_default();
    if let Some(after) = rest.strip_prefix("\\n") {
        let body: String = after.chars().take_while(|c| *c != '\\').collect();
        if is_base64_body(&body) || after.starts_with("Proc-Type:") {
            return true;
        }
    }
    match lines.get(index + 1) {
        Some(next) if next.number == lines[index].number.saturating_add(1) => {
            is_base64_body(&next.text)
        }
        _ => false,
    }
}

/// Looks for `WHERE` from the end of `DELETE FROM <table` to the end of the statement: on the
/// same line anything before a `;` counts (quoted identifiers, concatenated strings); the
/// statement goes on to the next lines only while no `;` or quote has closed it (multi-line
/// strings, SQL files), for at most ten lines.
fn has_where_clause(lines: &[AddedLine], index: usize, from: usize) -> bool {
    let is_where = |segment: &str| {
        segment
            .to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .any(|w| w == "where")
    };
    let rest = lines[index].text.get(from..).unwrap_or_default();
    let statement = rest.split(';').next().unwrap_or_default();
    if is_where(statement) {
        return true;
    }
    if rest.contains([';', '"', '\'', '`']) {
        return false;
    }
    let mut number = lines[index].number;
    for next in lines.iter().skip(index + 1).take(10) {
        if next.number != number.saturating_add(1) {
            return false;
        }
        number = next.number;
        let end = next
            .text
            .find([';', '"', '\'', '`'])
            .unwrap_or(next.text.len());
        if is_where(&next.text[..end]) {
            return true;
        }
        if end < next.text.len() {
            return false;
        }
    }
    false
}
