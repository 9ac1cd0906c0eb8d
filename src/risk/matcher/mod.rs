//! The compiled form of a policy's risk rules, built once per policy: path globs per category
//! and every content rule behind one keyword automaton (built-ins) and one `RegexSet` (policy
//! regexes), so each added line is scanned once whatever the number of rules.

mod formats;
mod redact;

use super::paths::{FileContext, BUILTIN_PATHS};
use super::rules::{is_disposable_target, Check, Quiet, BUILTIN_RULES};
use super::secrets::{self, Candidate, SecretCheck};
use crate::diff::AddedLine;
use crate::glob::{GlobError, GlobList};
use crate::policy::risk::RiskCategory;
use crate::policy::risk::BUILTIN_CATEGORIES;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use formats::{
    block_scalar_value, data_uri_runs, embedded_in_encoded_data, has_where_clause,
    in_bench_section, is_comment_line, joined, key_body_spans,
};
use redact::masked;
use regex::{Regex, RegexSet};
use std::collections::{BTreeMap, HashMap};
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

    /// (line index, rule) pairs worth running, sorted and unique (see `by_line`). The keyword automaton runs
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

    /// Every rule hit in the added lines of one text file, in line order. At most `limit`
    /// hits are validated per category; a category that reached it is marked in `truncated`.
    pub fn scan_lines(
        &self,
        path: &str,
        lines: &[AddedLine],
        ctx: FileContext,
        limit: usize,
    ) -> Scan {
        let mut hits = Vec::new();
        let pending = self.candidates(lines);
        let mut counts = vec![0usize; self.categories];
        let mut truncated = vec![false; self.categories];
        let mut spans = Spans::default();
        let mut found = Vec::new();
        let mut categories_hit: Vec<usize> = Vec::new();
        for (index, candidates) in by_line(&pending) {
            let line = &lines[index];
            let text = line.text.as_str();
            spans.0.clear();
            categories_hit.clear();
            let mut encoded = None;
            let mut mask: Option<Vec<(usize, usize, usize)>> = None;
            let comment = is_comment_line(text);
            for &rule_index in &candidates {
                let rule = self.rule(rule_index);
                if rule.quiet.applies(ctx, comment) || categories_hit.contains(&rule.category) {
                    continue;
                }
                let Some(room) = limit
                    .checked_sub(counts[rule.category])
                    .filter(|room| *room > 0)
                else {
                    truncated[rule.category] = true;
                    continue;
                };
                if let Check::Secret(check) = rule.check {
                    found.clear();
                    let mut search = SecretSearch {
                        spans: &mut spans,
                        encoded: &mut encoded,
                        limit: room,
                        out: &mut found,
                    };
                    search.run(rule, check, lines, index, Some(path));
                    counts[rule.category] += found.len();
                    // At the limit counting stops, and the summary says "at least".
                    truncated[rule.category] |= counts[rule.category] >= limit;
                    for secret in &found {
                        hits.push(Hit {
                            rule: rule_index,
                            line: line.number,
                            matched: secret.value.to_string(),
                            name: secret.name.map(str::to_string),
                        });
                    }
                    continue;
                }
                let (keep, span) = match rule.check {
                    Check::RecursiveRemove => match rule.regex.captures(text) {
                        Some(caps) => {
                            let targets = caps.name("value").map_or("", |m| m.as_str());
                            let words: Vec<&str> = targets.split_whitespace().collect();
                            let keep =
                                words.is_empty() || !words.iter().all(|t| is_disposable_target(t));
                            let whole = caps.get(0).map_or((0, 0), |m| (m.start(), m.end()));
                            (keep, whole)
                        }
                        None => continue,
                    },
                    Check::CargoSwitch => match rule.regex.captures(text) {
                        Some(caps) => {
                            let harness =
                                caps.name("value").is_some_and(|v| v.as_str() == "harness");
                            let whole = caps.get(0).map_or((0, 0), |m| (m.start(), m.end()));
                            (!(harness && in_bench_section(lines, index)), whole)
                        }
                        None => continue,
                    },
                    _ => match rule.regex.find(text) {
                        Some(m) => {
                            let keep = match rule.check {
                                Check::PrivateKey => {
                                    let body = key_body_spans(lines, index, m.end());
                                    // In tests a stand-in key is expected; a real one is not.
                                    !body.is_empty()
                                        && (!ctx.test
                                            || !secrets::is_fabricated_key_body(&joined(
                                                lines, &body,
                                            )))
                                }
                                Check::DeleteWithoutWhere => {
                                    !has_where_clause(lines, index, m.end())
                                }
                                _ => true,
                            };
                            (keep, (m.start(), m.end()))
                        }
                        None => continue,
                    },
                };
                if keep {
                    categories_hit.push(rule.category);
                    counts[rule.category] += 1;
                    truncated[rule.category] |= counts[rule.category] >= limit;
                    let matched = if rule.category == self.credentials {
                        text[span.0..span.1].trim().to_string()
                    } else {
                        // Another category's excerpt must not carry a credential on the line.
                        let mask = mask.get_or_insert_with(|| {
                            self.line_credentials(lines, index, &candidates)
                        });
                        masked(text, span, mask, index)
                    };
                    hits.push(Hit {
                        rule: rule_index,
                        line: line.number,
                        matched,
                        name: None,
                    });
                }
            }
        }
        Scan { hits, truncated }
    }
}

/// Hits of one file, and the categories whose hits stopped being counted at the limit.
pub struct Scan {
    pub hits: Vec<Hit>,
    pub truncated: Vec<bool>,
}

/// Secrets already found on one line as non-overlapping (start, end) spans, so a second rule
/// never reports the same secret; a map keeps each look-up logarithmic even on a line that
/// holds thousands of them.
#[derive(Default)]
struct Spans(BTreeMap<usize, usize>);

impl Spans {
    fn overlaps(&self, start: usize, end: usize) -> bool {
        // Spans never overlap each other, so only the last one starting before `end` can.
        self.0
            .range(..end)
            .next_back()
            .is_some_and(|(_, &e)| e > start)
    }
}

/// One validated secret: the line its value is on, the value's span there, the name.
struct Found<'t> {
    line: usize,
    start: usize,
    end: usize,
    value: &'t str,
    name: Option<&'t str>,
}

struct SecretSearch<'s, 't> {
    spans: &'s mut Spans,
    /// The line's data-URI base64 runs, found on first need.
    encoded: &'s mut Option<Vec<(usize, usize)>>,
    limit: usize,
    out: &'s mut Vec<Found<'t>>,
}

impl<'t> SecretSearch<'_, 't> {
    /// Validated secrets of one rule on line `index`. Without a path (redaction) every
    /// unquoted value counts as a literal.
    fn run(
        &mut self,
        rule: &Rule,
        check: SecretCheck,
        lines: &'t [AddedLine],
        index: usize,
        path: Option<&str>,
    ) {
        let text = lines[index].text.as_str();
        for caps in rule.regex.captures_iter(text) {
            if self.out.len() >= self.limit {
                return;
            }
            let Some(value) = caps.name("value").or_else(|| caps.get(0)) else {
                continue;
            };
            let span = (value.start(), value.end());
            if self.spans.overlaps(span.0, span.1) {
                continue;
            }
            let quoted = caps.name("quote").is_none_or(|q| !q.as_str().is_empty());
            // `password: >-` in YAML: the value is the block on the next line.
            let block = (check == SecretCheck::Assigned && !quoted)
                .then(|| block_scalar_value(lines, index, span.1, value.as_str()))
                .flatten();
            let (line, start, end, value) = match block {
                Some((start, end)) => {
                    let next = &lines[index + 1].text;
                    (index + 1, start, end, &next[start..end])
                }
                None => (index, span.0, span.1, value.as_str()),
            };
            let candidate = Candidate {
                name: caps.name("name").map(|m| m.as_str()),
                host: caps.name("host").map(|m| m.as_str()),
                quoted: quoted || path.is_none(),
                user: caps.name("user").map(|m| m.as_str()),
                value,
            };
            if !secrets::accept(check, &candidate, path.unwrap_or("")) {
                continue;
            }
            let runs = self.encoded.get_or_insert_with(|| data_uri_runs(text));
            if line == index && embedded_in_encoded_data(text, span, runs) {
                continue;
            }
            self.spans.0.insert(span.0, span.1);
            self.out.push(Found {
                line,
                start,
                end,
                value,
                name: candidate.name,
            });
        }
    }
}

impl Quiet {
    fn applies(&self, ctx: FileContext, comment: bool) -> bool {
        (self.tests && ctx.test)
            || (self.locks && ctx.lock)
            || (self.docs && ctx.docs)
            || (self.non_sql && !ctx.sql)
            || (self.comments && comment)
            || (self.non_cargo && !ctx.cargo_manifest)
    }
}

/// Sorted (line index, rule) pairs grouped into each line's index and rules.
fn by_line(pending: &[(usize, usize)]) -> impl Iterator<Item = (usize, Vec<usize>)> + '_ {
    pending
        .chunk_by(|a, b| a.0 == b.0)
        .map(|group| (group[0].0, group.iter().map(|&(_, rule)| rule).collect()))
}
