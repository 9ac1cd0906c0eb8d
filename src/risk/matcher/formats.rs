//! What the formats content rules meet look like: comments, data URIs and base64 runs, PEM
//! key bodies, YAML block scalars, SQL statements, Cargo manifest tables. The rules use these
//! to tell a real hit from chance.

use crate::diff::AddedLine;

/// For a YAML block scalar indicator (`|`, `>-`, …) ending the line: the span of the next
/// line's value, when that line is an added continuation of the block.
pub(super) fn block_scalar_value(
    lines: &[AddedLine],
    index: usize,
    value_end: usize,
    value: &str,
) -> Option<(usize, usize)> {
    let indicator = value.strip_prefix(['|', '>'])?;
    if indicator.len() > 2
        || !indicator
            .bytes()
            .all(|b| matches!(b, b'+' | b'-' | b'1'..=b'9'))
    {
        return None;
    }
    let rest = lines[index].text.get(value_end..)?.trim_start();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    let next = lines.get(index + 1)?;
    if next.number != lines[index].number.saturating_add(1) {
        return None;
    }
    let indent = |t: &str| t.len() - t.trim_start().len();
    let this = &lines[index].text;
    if indent(&next.text) <= indent(this) || next.text.trim().is_empty() {
        return None;
    }
    let start = indent(&next.text);
    Some((start, next.text.trim_end().len()))
}

/// A whole-line comment in SQL, C-like languages, shell or Python: what it says never runs.
pub(super) fn is_comment_line(text: &str) -> bool {
    let t = text.trim_start();
    ["--", "//", "/*", "*", "#", "<!--"]
        .iter()
        .any(|p| t.starts_with(p))
        && !t.starts_with("#!")
        && !t.starts_with("#[")
}

/// Where each `;base64,` run of a line starts and ends (its first non-base64 byte).
pub(super) fn data_uri_runs(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find(";base64,")) {
        let start = from + found + ";base64,".len();
        let length = bytes[start..]
            .iter()
            .take_while(|&&b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
            })
            .count();
        runs.push((start, start + length));
        from = start + length;
    }
    runs
}

/// A match inside a data URI's base64 run or a longer base64 run (embedded blobs, lock-file
/// hashes) is chance.
pub(super) fn embedded_in_encoded_data(
    text: &str,
    (start, end): (usize, usize),
    runs: &[(usize, usize)],
) -> bool {
    let last = runs.partition_point(|run| run.0 <= start);
    if last > 0 && runs[last - 1].1 >= end {
        return true;
    }
    let bytes = text.as_bytes();
    let encoded = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    let before = start
        .checked_sub(1)
        .and_then(|i| bytes.get(i))
        .is_some_and(|&b| {
            // `…/xyz` inside base64, but not `https://xyz` or a path's `a/xyz`.
            b == b'+'
                || (b == b'/'
                    && start >= 2
                    && encoded(bytes[start - 2])
                    && bytes[start - 2] != b'/')
        });
    let after = bytes.get(end).is_some_and(|&b| b == b'+');
    before || after
}

/// A line of a key as it sits in code: without quotes, string concatenation or a `\n`.
fn key_body_text(text: &str) -> &str {
    text.trim()
        .trim_matches(|c: char| matches!(c, '"' | '\'' | ',' | '+' | '`'))
        .trim_end_matches("\\n")
        .trim()
}

fn is_base64_body(text: &str) -> bool {
    let body = key_body_text(text);
    body.starts_with("Proc-Type:")
        || (body.len() >= 40
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
}

/// A line that continues a PEM body: base64 of any length, or an encryption header.
fn continues_key_body(text: &str) -> bool {
    let body = key_body_text(text);
    body.starts_with("Proc-Type:")
        || body.starts_with("DEK-Info:")
        || (!body.is_empty()
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
}

/// The spans of a PEM key body after a header that ends at `header_end`: after an escaped
/// newline on the same line, or on the following added lines up to the `-----END` line.
/// Empty when no body follows (a parser's header constant).
pub(super) fn key_body_spans(
    lines: &[AddedLine],
    index: usize,
    header_end: usize,
) -> Vec<(usize, usize, usize)> {
    let text = lines[index].text.as_str();
    let rest = text.get(header_end..).unwrap_or_default();
    if let Some(after) = rest.strip_prefix("\\n") {
        let body: String = after.chars().take_while(|c| *c != '\\').collect();
        if is_base64_body(&body) || after.starts_with("Proc-Type:") {
            let end = after
                .find("-----END")
                .or_else(|| after.find(['"', '\'']))
                .unwrap_or(after.len());
            let start = header_end + 2;
            return vec![(index, start, start + end)];
        }
    }
    // Flattened onto the header's line (spaces for newlines, as env files and YAML keep it).
    if let Some((start, end)) = super::flat_key::flattened_key_body(text, header_end) {
        return vec![(index, start, end)];
    }
    let mut spans = Vec::new();
    let mut number = lines[index].number;
    for (offset, next) in lines.iter().enumerate().skip(index + 1).take(200) {
        let more = if spans.is_empty() {
            is_base64_body(&next.text)
        } else {
            continues_key_body(&next.text)
        };
        if next.number != number.saturating_add(1) || next.text.contains("-----END") || !more {
            break;
        }
        number = next.number;
        let t = next.text.as_str();
        let start = t.len() - t.trim_start().len();
        spans.push((offset, start, t.trim_end().len()));
    }
    spans
}

/// The text of body spans, for judging whether a key is a stand-in.
pub(super) fn joined(lines: &[AddedLine], spans: &[(usize, usize, usize)]) -> String {
    spans
        .iter()
        .map(|&(line, start, end)| lines[line].text.get(start..end).unwrap_or_default())
        .collect()
}

/// Whether `harness = false` on line `index` sits under a `[[bench]]` table, going by the
/// table header among the added lines above it.
pub(super) fn in_bench_section(lines: &[AddedLine], index: usize) -> bool {
    let mut number = lines[index].number;
    for line in lines[..index].iter().rev() {
        if line.number.saturating_add(1) != number {
            return false;
        }
        number = line.number;
        let t = line.text.trim();
        if t.starts_with('[') {
            return t.starts_with("[[bench]]");
        }
    }
    false
}

/// Looks for `WHERE` from the end of `DELETE FROM <table` to the end of the statement: on the
/// same line anything before a `;` counts (quoted identifiers, concatenated strings); the
/// statement goes on to the next lines only while no `;` or quote has closed it (multi-line
/// strings, SQL files), for at most ten lines.
pub(super) fn has_where_clause(lines: &[AddedLine], index: usize, from: usize) -> bool {
    let is_where = |segment: &str| {
        strip_sql_comments(segment)
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

/// A segment of SQL without its `/* … */` and `-- …` comments, which hide a `WHERE`.
fn strip_sql_comments(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut rest = segment;
    loop {
        let block = rest.find("/*");
        let line = rest.find("--");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                match rest[b + 2..].find("*/") {
                    Some(close) => rest = &rest[b + 2 + close + 2..],
                    None => return out,
                }
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                return out;
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}
