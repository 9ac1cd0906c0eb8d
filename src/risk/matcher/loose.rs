//! Strings with no keyword: runs of the base64 and hex alphabets that stand alone (quoted,
//! alone on their line, or the value of an assignment or argument), judged by how random they
//! are (`secrets::accept_loose`). One table lookup per byte finds the runs; most lines have
//! none long enough to judge.

use super::formats::{data_uri_runs, embedded_in_encoded_data};
use crate::diff::AddedLine;
use crate::risk::secrets::{self, LooseValue};

/// Shortest run worth judging.
pub(super) const MIN_RUN: usize = 20;

/// Bytes of a run: base64 (both alphabets) without its padding, which is added after.
static RUN_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'_' || c == b'-';
        b += 1;
    }
    t
};

/// Spans of the runs of at least `MIN_RUN` bytes on a line, padding included. A run that
/// long starting anywhere in `i..i + MIN_RUN` covers byte `i + MIN_RUN - 1`, so where that
/// byte is no run byte the whole window is skipped: most lines are read a window at a time.
pub(super) fn runs(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + MIN_RUN <= b.len() {
        let probe = i + MIN_RUN - 1;
        if !RUN_BYTES[b[probe] as usize] {
            i = probe + 1;
            continue;
        }
        let mut start = probe;
        while start > i && RUN_BYTES[b[start - 1] as usize] {
            start -= 1;
        }
        let mut end = probe + 1;
        while end < b.len() && RUN_BYTES[b[end] as usize] {
            end += 1;
        }
        if end - start >= MIN_RUN {
            let run_end = end;
            while end < b.len() && end - run_end < 2 && b[end] == b'=' {
                end += 1;
            }
            out.push((start, end));
        }
        i = end;
    }
    out
}

/// A line that is one base64 run of 40 or more bytes: the body of a PEM block or another
/// encoded blob, whose lines are never secrets one by one.
fn is_blob_line(text: &str) -> bool {
    let t = text
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | ',' | '+'));
    t.starts_with("-----")
        || (t.len() >= 40
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
}

/// `/tmp/.tmpq8ZtR2mL/out`: an absolute path under a short lower-case top directory, however
/// random the names below it (temporary directories are).
fn absolute_path(run: &str) -> bool {
    let mut parts = run.split('/');
    parts.next() == Some("")
        && parts.next().is_some_and(|top| {
            (2..=8).contains(&top.len()) && top.bytes().all(|b| b.is_ascii_lowercase())
        })
        && parts.next().is_some()
}

fn prev_non_space(b: &[u8], mut i: usize) -> Option<usize> {
    while i > 0 {
        i -= 1;
        if b[i] != b' ' && b[i] != b'\t' {
            return Some(i);
        }
    }
    None
}

fn next_non_space(b: &[u8], mut i: usize) -> Option<usize> {
    while i < b.len() {
        if b[i] != b' ' && b[i] != b'\t' {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The identifier a value at `at` (after an operator at `op`) is assigned to.
fn name_before(b: &[u8], op: usize) -> Option<(usize, usize)> {
    let mut i = op;
    // `"name": `, `['name'] = `
    while i > 0 && matches!(b[i - 1], b' ' | b'\t' | b'"' | b'\'' | b'`' | b']' | b'\\') {
        i -= 1;
    }
    let end = i;
    while i > 0 && (b[i - 1].is_ascii_alphanumeric() || matches!(b[i - 1], b'_' | b'-' | b'.')) {
        i -= 1;
    }
    (i < end).then_some((i, end))
}

/// The keyword-free secret on line `index` within `start..end`, if the run is one.
/// `anchors` are where provider prefixes start on the line: a run that begins with one
/// failed that provider's shape and is a near miss, not a random string.
pub(super) fn judge(
    lines: &[AddedLine],
    index: usize,
    (start, end): (usize, usize),
    anchors: &[usize],
) -> bool {
    let text = lines[index].text.as_str();
    let b = text.as_bytes();
    let run = &text[start..end];
    // Publishable keys are public by design: Stripe's `pk_live_…`, Mapbox's `pk.…`.
    if run.starts_with('-')
        || run.starts_with("pk_live_")
        || run.starts_with("pk_test_")
        || run.contains("//")
        || run.starts_with("eyJ")
        || run.starts_with("AAAA")
        || secrets::looks_like_path(run)
        || absolute_path(run)
        || anchors.contains(&start)
    {
        return false;
    }
    let before = start.checked_sub(1).map(|i| b[i]);
    let after = b.get(end).copied();
    let glued = |c: Option<u8>| {
        matches!(
            c,
            Some(b'@' | b'%' | b'$' | b'/' | b'.' | b'~' | b':' | b'#')
        )
    };
    // `ENC[AES256_GCM,data:…]`, `sha512-…`, `h1:…`: encrypted values and digests.
    if glued(before) && before != Some(b':') || text.contains("ENC[") {
        return false;
    }
    if before == Some(b':') && !text[..start].ends_with(": ") {
        // `iv:…`, `h1:…` glue a label to the run.
        let label_start = text[..start - 1]
            .rfind(|c: char| !c.is_ascii_alphanumeric())
            .map_or(0, |i| i + 1);
        if start - 1 - label_start < 8 {
            return false;
        }
    }
    if matches!(after, Some(b'@' | b'%' | b'/' | b'~' | b'#' | b'$'))
        || (after == Some(b'.') && b.get(end + 1).is_some_and(u8::is_ascii_alphanumeric))
        || (after == Some(b':') && b.get(end + 1).is_some_and(|c| !c.is_ascii_whitespace()))
    {
        return false;
    }
    let lower_before = text[..start].to_ascii_lowercase();
    // Site-ownership tokens (`<meta name="google-site-verification" content="…">`) are
    // published in every page the site serves.
    if lower_before.contains("-verification") || lower_before.contains("verify-v1") {
        return false;
    }
    if [
        "sha1-",
        "sha256-",
        "sha384-",
        "sha512-",
        "sha256:",
        "h1:",
        "integrity",
    ]
    .iter()
    .any(|p| lower_before.ends_with(p) || (*p == "integrity" && lower_before.contains(p)))
    {
        return false;
    }
    // Where the run stands: quoted, alone, or as a value.
    let quoted = match (before, after) {
        (Some(q @ (b'"' | b'\'' | b'`')), Some(r)) => {
            // An escaped quote (`\"…\"`) stands for a quote inside a string.
            q == r || (r == b'\\' && b.get(end + 1) == Some(&q))
        }
        _ => false,
    };
    // `\"…\"`: the quote is escaped, the backslash belongs to it.
    let escaped_open = quoted && start >= 2 && b[start - 2] == b'\\';
    let open = match (quoted, escaped_open) {
        (true, true) => start - 2,
        (true, false) => start - 1,
        _ => start,
    };
    let close = match (quoted, after) {
        (true, Some(b'\\')) => end + 2,
        (true, _) => end + 1,
        _ => end,
    };
    let left = prev_non_space(b, open).map(|i| (i, b[i]));
    let right = next_non_space(b, close).map(|i| b[i]);
    let right_ok = matches!(
        right,
        None | Some(b',' | b';' | b')' | b']' | b'}' | b'<' | b'#' | b'\\' | b'"' | b'\'')
    );
    let whole_line = left.is_none() && (right.is_none() || matches!(right, Some(b',' | b';')));
    let (standalone, name) = match left {
        None => (right_ok || quoted, None),
        Some((i, c)) if quoted => match c {
            b'=' | b':' | b'>' => (true, name_before(b, i)),
            b'(' | b'[' | b',' | b'{' | b'|' => (true, None),
            _ => (false, None),
        },
        Some((i, b'=' | b':')) if right_ok => {
            // `a == b` and `x ::` are not assignments.
            (
                i == 0 || !matches!(b[i - 1], b'=' | b'!' | b':'),
                name_before(b, i),
            )
        }
        Some((i, b'>')) if right == Some(b'<') => (true, name_before(b, i)),
        Some((_, b'(' | b'[')) if right_ok => (true, None),
        _ => (false, None),
    };
    if !standalone {
        return false;
    }
    // A PEM body or other encoded blob spans several lines; each of its lines looks random.
    let neighbour = |other: Option<&AddedLine>, number: Option<u32>| {
        other.is_some_and(|o| Some(o.number) == number && is_blob_line(&o.text))
    };
    let number = lines[index].number;
    if neighbour(
        index.checked_sub(1).and_then(|i| lines.get(i)),
        number.checked_sub(1),
    ) || neighbour(lines.get(index + 1), number.checked_add(1))
    {
        return false;
    }
    if embedded_in_encoded_data(text, (start, end), &data_uri_runs(text)) {
        return false;
    }
    secrets::accept_loose(&LooseValue {
        value: run,
        standalone,
        whole_line,
        name: name.map(|(s, e)| &text[s..e]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<AddedLine> {
        text.lines()
            .enumerate()
            .map(|(i, t)| AddedLine {
                number: i as u32 + 1,
                text: t.to_string(),
            })
            .collect()
    }

    fn found(text: &str) -> bool {
        let l = lines(text);
        runs(&l[0].text)
            .into_iter()
            .any(|span| judge(&l, 0, span, &[]))
    }

    #[test]
    fn runs_are_found_wherever_they_start() {
        let run = "q8ZtR2mLw9XvB4nKp7Hs3Jd6";
        for pad in 0..30 {
            let text = format!("{} {run}== x", "a b".repeat(pad));
            let start = text.find(run).unwrap();
            assert_eq!(runs(&text), vec![(start, start + run.len() + 2)], "{text}");
        }
        assert_eq!(runs("short words only, none of them long"), vec![]);
        assert_eq!(runs(&"x".repeat(19)), vec![]);
        assert_eq!(runs(&"x".repeat(20)), vec![(0, 20)]);
    }

    #[test]
    fn random_strings_that_stand_alone() {
        let key = "q8ZtR2mLw9XvB4nKp7Hs3Jd6Fg1Vc0Ye";
        for line in [
            format!("X = \"{key}\""),
            format!("const k = '{key}';"),
            format!("value: {key}"),
            format!("c := NewClient(\"{key}\")"),
            format!("[\"{key}\"]"),
            key.to_string(),
            "'2b00042f7481c7b056c4b410d28f33cf'".to_string(),
        ] {
            assert!(found(&line), "{line}");
        }
    }

    #[test]
    fn strings_that_are_not_secrets() {
        for line in [
            "const traceId = \"2b00042f7481c7b056c4b410d28f33cf\";",
            "  commit: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
            "git checkout 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
            "X = \"com.example.app.MainActivity\"",
            "X = \"/usr/local/lib/python3.12/site-packages\"",
            "X = \"abcdefghijklmnopqrstuvwxyz\"",
            "github.com/acme/lib v1.2.3 h1:q8ZtR2mLw9XvB4nKp7Hs3Jd6Fg1Vc0Ye12345678=",
            "public_key = \"q8ZtR2mLw9XvB4nKp7Hs3Jd6Fg1Vc0Ye\"",
            "Use q8ZtR2mLw9XvB4nKp7Hs3Jd6Fg1Vc0Ye to publish.",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIq8ZtR2mLw9XvB4nKp7Hs3 ci",
            "git rev-parse HEAD > '/tmp/agentguard-testQ8zT2m/observed'; true",
            "<meta name=\"google-site-verification\" content=\"q8ZtR2mLw9XvB4nKp7Hs3Jd6Fg1Vc0Ye\" />",
        ] {
            assert!(!found(line), "{line}");
        }
    }
}
