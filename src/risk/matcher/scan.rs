//! Scanning: which rules may hit which added lines, and where (one automaton pass over every
//! keyword and provider prefix, one `RegexSet` pass for policy regexes), then each candidate
//! rule validated on its line: provider tokens at their prefix, assignments around their
//! name, regexes on the line, and last the keyword-free strings.

use super::formats::{
    block_scalar_value, data_uri_runs, embedded_in_encoded_data, has_where_clause,
    in_bench_section, is_comment_line, joined, key_body_spans,
};
use super::redact::masked;
use super::{assign, loose, Matcher, Rule};
use crate::diff::AddedLine;
use crate::risk::paths::FileContext;
use crate::risk::providers::{self, ProviderHit};
use crate::risk::rules::{is_disposable_target, Check, Quiet};
use crate::risk::secrets::{self, AssignedValue, Candidate, SecretCheck};
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

/// A rule worth running on a line, and where its keyword or prefix was found there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Pending {
    pub line: usize,
    pub rule: usize,
    pub start: usize,
    pub end: usize,
}

impl Matcher {
    /// Rules worth running, sorted by line, rule and position. The keyword search runs once
    /// over the file's added lines joined by newlines (no keyword spans a newline), which
    /// saves a search start per line; policy regexes go through the `RegexSet` line by line.
    pub(super) fn candidates(&self, lines: &[AddedLine]) -> Vec<Pending> {
        let mut pending = Vec::new();
        {
            let mut text = String::with_capacity(lines.iter().map(|l| l.text.len() + 1).sum());
            let mut starts = Vec::with_capacity(lines.len() + 1);
            for line in lines {
                starts.push(text.len());
                text.push_str(&line.text);
                text.push('\n');
            }
            starts.push(text.len());
            let keywords = self.builtin.keywords_for(text.len());
            let mut index = 0;
            keywords.each_match(&text, |pattern, start, end| {
                // Through an automaton matches come in order of their end, so the line index
                // mostly grows; one by one it starts again with each keyword.
                if starts[index] > start {
                    index = starts.partition_point(|&s| s <= start).saturating_sub(1);
                }
                while index + 1 < starts.len() && starts[index + 1] <= start {
                    index += 1;
                }
                let base = starts[index];
                for &rule in &self.builtin.keyword_rules[pattern] {
                    pending.push(Pending {
                        line: index,
                        rule,
                        start: start - base,
                        end: end - base,
                    });
                }
            });
        }
        if let Some(set) = &self.always {
            for (index, line) in lines.iter().enumerate() {
                for i in set.matches(&line.text).iter() {
                    pending.push(Pending {
                        line: index,
                        rule: self.builtin.rules.len() + i,
                        start: 0,
                        end: 0,
                    });
                }
            }
        }
        pending.sort_unstable();
        pending.dedup();
        pending
    }

    /// Every rule hit in the added lines of one text file, in line order. At most `limit`
    /// hits are validated per category; a category that reached it is marked in `truncated`.
    /// With `only`, the rules of the categories it marks alone run.
    pub fn scan_lines(
        &self,
        path: &str,
        lines: &[AddedLine],
        ctx: FileContext,
        limit: usize,
        only: Option<&[bool]>,
    ) -> Scan {
        let wanted =
            |category: usize| only.is_none_or(|o| o.get(category).copied().unwrap_or(false));
        let mut hits = Vec::new();
        let pending = self.candidates(lines);
        let mut counts = vec![0usize; self.categories];
        let mut truncated = vec![false; self.categories];
        let mut found = Vec::new();
        let mut categories_hit: Vec<usize> = Vec::new();
        let loose_rule = self
            .builtin
            .loose
            .filter(|&r| wanted(self.rule(r).category) && !self.rule(r).quiet.applies(ctx, false));
        let mut next = 0;
        for (index, line) in lines.iter().enumerate() {
            let from = next;
            while next < pending.len() && pending[next].line == index {
                next += 1;
            }
            let candidates = &pending[from..next];
            let runs = match loose_rule {
                Some(_) => loose::runs(&line.text),
                None => Vec::new(),
            };
            if candidates.is_empty() && runs.is_empty() {
                continue;
            }
            let text = line.text.as_str();
            let mut spans = Spans::default();
            categories_hit.clear();
            let mut encoded = None;
            let mut mask: Option<Vec<(usize, usize, usize)>> = None;
            let comment = is_comment_line(text);
            let mut push = |rule: usize, matched: &str, name: Option<&str>| {
                hits.push(Hit {
                    rule,
                    line: line.number,
                    matched: matched.to_string(),
                    name: name.map(str::to_string),
                });
            };
            for group in candidates.chunk_by(|a, b| a.rule == b.rule) {
                let rule_index = group[0].rule;
                let rule = self.rule(rule_index);
                if !wanted(rule.category)
                    || rule.quiet.applies(ctx, comment)
                    || categories_hit.contains(&rule.category)
                {
                    continue;
                }
                let Some(room) = limit
                    .checked_sub(counts[rule.category])
                    .filter(|room| *room > 0)
                else {
                    truncated[rule.category] = true;
                    continue;
                };
                let mut taken = 0;
                match rule.check {
                    Check::Provider(_) => {
                        for hit in self.provider_hits(text, group) {
                            if taken >= room {
                                break;
                            }
                            if accept_token(text, &hit, &mut spans, &mut encoded) {
                                push(rule_index, &text[hit.start..hit.end], None);
                                taken += 1;
                            }
                        }
                    }
                    Check::Assignment => {
                        let mut last_name = None;
                        for p in group {
                            if taken >= room {
                                break;
                            }
                            let Some(a) = self.assignment(lines, index, p, &mut last_name) else {
                                continue;
                            };
                            if !accept_assignment(&a, path, &mut spans) {
                                continue;
                            }
                            push(rule_index, a.value, a.name);
                            taken += 1;
                        }
                    }
                    Check::Secret(check) => {
                        found.clear();
                        let mut search = SecretSearch {
                            spans: &mut spans,
                            encoded: &mut encoded,
                            limit: room,
                            out: &mut found,
                        };
                        search.run(rule, check, lines, index, Some(path));
                        for secret in &found {
                            push(rule_index, secret.value, secret.name);
                        }
                        taken = found.len();
                    }
                    Check::Loose => {}
                    _ => {
                        let Some((keep, span)) = self.judge_plain(rule, lines, index, ctx) else {
                            continue;
                        };
                        if keep {
                            categories_hit.push(rule.category);
                            let matched = if rule.category == self.credentials {
                                text[span.0..span.1].trim().to_string()
                            } else {
                                // Another category's excerpt must not carry a credential.
                                let mask = mask.get_or_insert_with(|| {
                                    self.line_credentials(lines, index, candidates)
                                });
                                masked(text, span, mask, index)
                            };
                            push(rule_index, &matched, None);
                            taken = 1;
                        }
                    }
                }
                counts[rule.category] += taken;
                // At the limit counting stops, and the summary says "at least".
                truncated[rule.category] |= counts[rule.category] >= limit;
            }
            if let Some(rule_index) = loose_rule {
                let category = self.rule(rule_index).category;
                let anchors = self.anchors(candidates);
                for &span in &runs {
                    if counts[category] >= limit {
                        truncated[category] = true;
                        break;
                    }
                    if spans.overlaps(span.0, span.1) || !loose::judge(lines, index, span, &anchors)
                    {
                        continue;
                    }
                    spans.0.insert(span.0, span.1);
                    push(rule_index, &text[span.0..span.1], None);
                    counts[category] += 1;
                }
            }
        }
        Scan { hits, truncated }
    }

    /// Where provider prefixes of three or more bytes start on a line: a string that starts
    /// with one and failed its shape is a near miss, not a random string.
    pub(super) fn anchors(&self, candidates: &[Pending]) -> Vec<usize> {
        candidates
            .iter()
            .filter(|p| {
                p.end - p.start >= 3 && matches!(self.rule(p.rule).check, Check::Provider(_))
            })
            .map(|p| p.start)
            .collect()
    }

    /// The provider tokens a line's prefixes lead to, longest first where they overlap.
    pub(super) fn provider_hits(&self, text: &str, group: &[Pending]) -> Vec<ProviderHit> {
        let mut hits: Vec<ProviderHit> = Vec::new();
        for p in group {
            if let Check::Provider(index) = self.rule(p.rule).check {
                hits.extend(providers::hit_at(index, text, p.start, p.end));
            }
        }
        hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
        hits.dedup_by(|b, a| a.start <= b.start && b.end <= a.end);
        hits
    }

    /// The assignment around keyword `p`, unless its name was parsed already.
    pub(super) fn assignment<'t>(
        &self,
        lines: &'t [AddedLine],
        index: usize,
        p: &Pending,
        last_name: &mut Option<(usize, usize)>,
    ) -> Option<Found<'t>> {
        let text = lines[index].text.as_str();
        let span = assign::name_span(text.as_bytes(), p.start, p.end);
        if *last_name == Some(span) {
            return None;
        }
        *last_name = Some(span);
        let a = assign::parse(text, p.start, p.end, &self.builtin.provider_words)?;
        // `password: |` in YAML: the value is the block on the next line.
        if a.block {
            let (start, end) = block_scalar_value(lines, index, a.end, a.value)?;
            let next = &lines[index + 1].text;
            return Some(Found {
                line: index + 1,
                start,
                end,
                value: &next[start..end],
                name: Some(a.name),
                secret: Some(a.secret),
                quoted: false,
                scheme: None,
            });
        }
        Some(Found {
            line: index,
            start: a.start,
            end: a.end,
            value: a.value,
            name: Some(a.name),
            secret: Some(a.secret),
            quoted: a.quoted,
            scheme: a.scheme,
        })
    }

    /// A rule whose hit is the regex match itself (or judged beside it): whether to keep it,
    /// and the match's span.
    fn judge_plain(
        &self,
        rule: &Rule,
        lines: &[AddedLine],
        index: usize,
        ctx: FileContext,
    ) -> Option<(bool, (usize, usize))> {
        let text = lines[index].text.as_str();
        let regex = rule.regex()?;
        Some(match rule.check {
            Check::RecursiveRemove => {
                let caps = regex.captures(text)?;
                let targets = caps.name("value").map_or("", |m| m.as_str());
                let words: Vec<&str> = targets.split_whitespace().collect();
                let keep = words.is_empty() || !words.iter().all(|t| is_disposable_target(t));
                let whole = caps.get(0).map_or((0, 0), |m| (m.start(), m.end()));
                (keep, whole)
            }
            Check::CargoSwitch => {
                let caps = regex.captures(text)?;
                let harness = caps.name("value").is_some_and(|v| v.as_str() == "harness");
                let whole = caps.get(0).map_or((0, 0), |m| (m.start(), m.end()));
                (!(harness && in_bench_section(lines, index)), whole)
            }
            _ => {
                let m = regex.find(text)?;
                let keep = match rule.check {
                    Check::PrivateKey => {
                        let body = key_body_spans(lines, index, m.end());
                        // In tests a stand-in key is expected; a real one is not.
                        !body.is_empty()
                            && (!ctx.test
                                || !secrets::is_fabricated_key_body(&joined(lines, &body)))
                    }
                    Check::DeleteWithoutWhere => !has_where_clause(lines, index, m.end()),
                    _ => true,
                };
                (keep, (m.start(), m.end()))
            }
        })
    }
}

/// A provider token is a secret unless it is a stand-in (a checksum that holds proves it is
/// not), sits inside encoded data, or another secret already covers it.
pub(super) fn accept_token(
    text: &str,
    hit: &ProviderHit,
    spans: &mut Spans,
    encoded: &mut Option<Vec<(usize, usize)>>,
) -> bool {
    let token = &text[hit.start..hit.end];
    if spans.overlaps(hit.start, hit.end) {
        return false;
    }
    // The part after a literal prefix: `AAAAAAAAAAAAAAAAAAAAA…` opens every Twitter bearer token.
    let body = &text[hit.body..hit.end];
    if hit.verified != Some(true)
        && (secrets::is_placeholder(body) || secrets::is_repetitive(token) || body.contains("..."))
    {
        return false;
    }
    let runs = encoded.get_or_insert_with(|| data_uri_runs(text));
    if embedded_in_encoded_data(text, (hit.start, hit.end), runs) {
        return false;
    }
    spans.0.insert(hit.start, hit.end);
    true
}

/// An assignment's value is a secret (see `secrets::accept_assigned`) that no earlier rule
/// found on the line.
pub(super) fn accept_assignment(found: &Found<'_>, path: &str, spans: &mut Spans) -> bool {
    let Some(secret) = found.secret else {
        return false;
    };
    if found.start >= found.end || spans.overlaps(found.start, found.end) {
        return false;
    }
    let ok = secrets::accept_assigned(
        &AssignedValue {
            name: found.name.unwrap_or_default(),
            secret,
            value: found.value,
            quoted: found.quoted,
            scheme: found.scheme,
        },
        path,
    );
    if ok {
        spans.0.insert(found.start, found.end);
    }
    ok
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
pub(super) struct Spans(pub(super) BTreeMap<usize, usize>);

impl Spans {
    pub(super) fn overlaps(&self, start: usize, end: usize) -> bool {
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
    pub(super) value: &'t str,
    pub(super) name: Option<&'t str>,
    pub(super) secret: Option<crate::risk::names::SecretName>,
    pub(super) quoted: bool,
    pub(super) scheme: Option<&'t str>,
}

pub(super) struct SecretSearch<'s, 't> {
    pub(super) spans: &'s mut Spans,
    /// The line's data-URI base64 runs, found on first need.
    pub(super) encoded: &'s mut Option<Vec<(usize, usize)>>,
    pub(super) limit: usize,
    pub(super) out: &'s mut Vec<Found<'t>>,
}

impl<'t> SecretSearch<'_, 't> {
    /// Validated secrets of one regex rule on line `index`.
    pub(super) fn run(
        &mut self,
        rule: &Rule,
        check: SecretCheck,
        lines: &'t [AddedLine],
        index: usize,
        path: Option<&str>,
    ) {
        let Some(regex) = rule.regex() else {
            return;
        };
        let text = lines[index].text.as_str();
        for caps in regex.captures_iter(text) {
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
            let candidate = Candidate {
                name: caps.name("name").map(|m| m.as_str()),
                host: caps.name("host").map(|m| m.as_str()),
                user: caps.name("user").map(|m| m.as_str()),
                value: value.as_str(),
            };
            if !secrets::accept(check, &candidate, path.unwrap_or("")) {
                continue;
            }
            let runs = self.encoded.get_or_insert_with(|| data_uri_runs(text));
            if embedded_in_encoded_data(text, span, runs) {
                continue;
            }
            self.spans.0.insert(span.0, span.1);
            self.out.push(Found {
                line: index,
                start: span.0,
                end: span.1,
                value: value.as_str(),
                name: candidate.name,
                secret: None,
                quoted: true,
                scheme: None,
            });
        }
    }
}

impl Quiet {
    pub(super) fn applies(&self, ctx: FileContext, comment: bool) -> bool {
        (self.tests && ctx.test)
            || (self.locks && ctx.lock)
            || (self.docs && ctx.docs)
            || (self.non_sql && !ctx.sql)
            || (self.comments && comment)
            || (self.non_cargo && !ctx.cargo_manifest)
    }
}
