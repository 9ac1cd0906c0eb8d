//! Scanning: which rules may hit which added lines (one keyword automaton pass, one
//! `RegexSet` pass), then each candidate rule validated on its line.

use super::formats::{
    block_scalar_value, data_uri_runs, embedded_in_encoded_data, has_where_clause,
    in_bench_section, is_comment_line, joined, key_body_spans,
};
use super::redact::masked;
use super::{Matcher, Rule};
use crate::diff::AddedLine;
use crate::risk::paths::FileContext;
use crate::risk::rules::{is_disposable_target, Check, Quiet};
use crate::risk::secrets::{self, Candidate, SecretCheck};
use std::collections::BTreeMap;

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
    /// (line index, rule) pairs worth running, sorted and unique (see `by_line`). The keyword automaton runs
    /// once over the file's added lines joined by newlines (no keyword spans a newline), which
    /// saves a search start per line; policy regexes go through the `RegexSet` line by line.
    pub(super) fn candidates(&self, lines: &[AddedLine]) -> Vec<(usize, usize)> {
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
pub(super) struct Spans(BTreeMap<usize, usize>);

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
pub(super) struct Found<'t> {
    pub(super) line: usize,
    pub(super) start: usize,
    pub(super) end: usize,
    value: &'t str,
    name: Option<&'t str>,
}

pub(super) struct SecretSearch<'s, 't> {
    pub(super) spans: &'s mut Spans,
    /// The line's data-URI base64 runs, found on first need.
    pub(super) encoded: &'s mut Option<Vec<(usize, usize)>>,
    pub(super) limit: usize,
    pub(super) out: &'s mut Vec<Found<'t>>,
}

impl<'t> SecretSearch<'_, 't> {
    /// Validated secrets of one rule on line `index`. Without a path (redaction) every
    /// unquoted value counts as a literal.
    pub(super) fn run(
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
pub(super) fn by_line(
    pending: &[(usize, usize)],
) -> impl Iterator<Item = (usize, Vec<usize>)> + '_ {
    pending
        .chunk_by(|a, b| a.0 == b.0)
        .map(|group| (group[0].0, group.iter().map(|&(_, rule)| rule).collect()))
}
