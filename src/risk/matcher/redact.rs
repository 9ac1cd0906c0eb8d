//! Redaction: every credential the rules recognise in a text, replaced by its redacted form;
//! also what keeps a credential out of another category's excerpt.

use super::formats::key_body_spans;
use super::loose;
use super::scan::{accept_assignment, accept_token, Pending, SecretSearch, Spans};
use super::Matcher;
use crate::diff::AddedLine;
use crate::risk::rules::Check;
use crate::risk::secrets;

impl Matcher {
    /// Every credential on line `index` (and a private key's body on the lines after it) as
    /// (line index, start, end) spans, given the line's candidates. For redaction: quiet
    /// places do not apply, and unquoted values count as literals.
    pub(super) fn line_credentials(
        &self,
        lines: &[AddedLine],
        index: usize,
        candidates: &[Pending],
    ) -> Vec<(usize, usize, usize)> {
        let text = lines[index].text.as_str();
        let mut spans = Spans::default();
        let mut encoded = None;
        let mut found = Vec::new();
        let mut out = Vec::new();
        for group in candidates.chunk_by(|a, b| a.rule == b.rule) {
            let rule = self.rule(group[0].rule);
            if rule.category != self.credentials {
                continue;
            }
            match rule.check {
                Check::Provider(_) => {
                    for hit in self.provider_hits(text, group) {
                        if accept_token(text, &hit, &mut spans, &mut encoded) {
                            out.push((index, hit.start, hit.end));
                        }
                    }
                }
                Check::Assignment => {
                    let mut last_name = None;
                    for p in group {
                        if let Some(a) = self.assignment(lines, index, p, &mut last_name) {
                            // An unknown file: unquoted values count as literals.
                            if accept_assignment(&a, "", &mut spans) {
                                out.push((a.line, a.start, a.end));
                            }
                        }
                    }
                }
                Check::Secret(check) => {
                    found.clear();
                    SecretSearch {
                        spans: &mut spans,
                        encoded: &mut encoded,
                        limit: usize::MAX,
                        out: &mut found,
                    }
                    .run(rule, check, lines, index, None);
                    out.extend(found.iter().map(|f| (f.line, f.start, f.end)));
                }
                Check::PrivateKey => {
                    let Some(regex) = rule.regex() else { continue };
                    for m in regex.find_iter(text) {
                        let body = key_body_spans(lines, index, m.end());
                        if !body.is_empty() {
                            out.push((index, m.start(), m.end()));
                            out.extend(body);
                        }
                    }
                }
                Check::Loose => {}
                _ => {
                    if let Some(regex) = rule.regex() {
                        out.extend(regex.find_iter(text).map(|m| (index, m.start(), m.end())));
                    }
                }
            }
        }
        // Keyword-free strings last, as in the scan.
        if self.builtin.loose.is_some() {
            let anchors = self.anchors(candidates);
            for span in loose::runs(text) {
                if spans.overlaps(span.0, span.1) {
                    continue;
                }
                // A provider prefix before a token of the wrong shape is no finding, but a
                // shown command or its output loses nothing when it is hidden anyway.
                let near_miss = anchors.contains(&span.0) && {
                    let run = &text[span.0..span.1];
                    run.bytes().any(|b| b.is_ascii_digit())
                        && run.bytes().any(|b| b.is_ascii_alphabetic())
                };
                if near_miss || loose::judge(lines, index, span, &anchors) {
                    spans.0.insert(span.0, span.1);
                    out.push((index, span.0, span.1));
                }
            }
        }
        out
    }

    /// `text` with every credential replaced by its redacted form (see `secrets::redact`).
    pub fn redact(&self, text: &str) -> String {
        let lines: Vec<AddedLine> = text
            .split('\n')
            .enumerate()
            .map(|(i, t)| AddedLine {
                number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                text: t.to_string(),
            })
            .collect();
        let pending = self.candidates(&lines);
        let mut spans = Vec::new();
        let mut next = 0;
        for index in 0..lines.len() {
            let from = next;
            while next < pending.len() && pending[next].line == index {
                next += 1;
            }
            spans.extend(self.line_credentials(&lines, index, &pending[from..next]));
        }
        if spans.is_empty() {
            return text.to_string();
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut spans = spans.into_iter().peekable();
        for (index, line) in lines.iter().enumerate() {
            if index > 0 {
                out.push('\n');
            }
            let text = line.text.as_str();
            let mut cursor = 0;
            while let Some(&(_, start, mut end)) = spans.peek().filter(|s| s.0 == index) {
                spans.next();
                // Overlapping secrets of several rules become one.
                while let Some(&(_, s, e)) = spans.peek().filter(|s| s.0 == index) {
                    if s >= end {
                        break;
                    }
                    end = end.max(e);
                    spans.next();
                }
                let start = start.max(cursor);
                if start >= end {
                    continue;
                }
                out.push_str(&text[cursor..start]);
                out.push_str(&secrets::redact(&text[start..end]));
                cursor = end;
            }
            out.push_str(&text[cursor..]);
        }
        out
    }
}

/// `text` over `span` with the credentials of line `index` in `mask` redacted.
pub(super) fn masked(
    text: &str,
    (from, to): (usize, usize),
    mask: &[(usize, usize, usize)],
    index: usize,
) -> String {
    let mut secrets: Vec<(usize, usize)> = mask
        .iter()
        .filter(|(line, s, e)| *line == index && *s < to && from < *e)
        .map(|&(_, s, e)| (s, e))
        .collect();
    secrets.sort_unstable();
    let mut out = String::new();
    let mut cursor = from;
    for (start, end) in secrets {
        if end <= cursor {
            continue;
        }
        out.push_str(&text[cursor..start.max(cursor)]);
        out.push_str(&secrets::redact(&text[start..end]));
        cursor = end;
    }
    if cursor < to {
        out.push_str(&text[cursor..to]);
    }
    out.trim().to_string()
}
