//! A PEM private key flattened onto one line: the newlines of its body turned into spaces
//! (env files, YAML), into `\n` escapes (JSON), or dropped. The body after the header on the
//! same line is the key, to find and to redact.

/// Base64 characters a key body needs at least, and the length one run of them must reach
/// (a sentence after a header constant has only short words).
const MIN_BODY: usize = 64;
const MIN_RUN: usize = 32;

/// The span of a flattened key body that follows a header ending at `header_end` on `text`:
/// base64 runs separated by whitespace or `\n` escapes, up to the `-----END` marker or the
/// first character that cannot be part of a body. `None` when nothing like a key follows.
pub(super) fn flattened_key_body(text: &str, header_end: usize) -> Option<(usize, usize)> {
    let rest = text.get(header_end..)?;
    let stop = rest.find("-----END").unwrap_or(rest.len());
    let bytes = &rest.as_bytes()[..stop];
    let mut i = 0;
    let (mut start, mut end) = (None, 0);
    let (mut total, mut run, mut longest) = (0, 0, 0);
    while i < bytes.len() {
        let b = bytes[i];
        let separator = match b {
            b' ' | b'\t' => 1,
            b'\\' if matches!(bytes.get(i + 1), Some(b'n' | b'r')) => 2,
            _ => 0,
        };
        if separator > 0 {
            run = 0;
            i += separator;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')) {
            break;
        }
        start.get_or_insert(i);
        total += 1;
        run += 1;
        longest = longest.max(run);
        i += 1;
        end = i;
    }
    let start = start?;
    (total >= MIN_BODY && longest >= MIN_RUN).then_some((header_end + start, header_end + end))
}

#[cfg(test)]
mod tests {
    use super::flattened_key_body;

    const HEADER: &str = "-----BEGIN RSA PRIVATE KEY-----";

    fn body() -> Vec<String> {
        let line = "MIIEowIBAAKCAQEAq9Zt2Lw8Xv4Rp7QmNbK3Hs6Jd1Fg5Vc0Ye2Ua9Wi4Ox7Pl3Mk";
        vec![line.to_string(), line.to_lowercase(), "Zq8Lm==".to_string()]
    }

    fn span_text(text: &str) -> Option<&str> {
        let header_end = text.find(HEADER)? + HEADER.len();
        flattened_key_body(text, header_end).map(|(s, e)| &text[s..e])
    }

    #[test]
    fn bodies_joined_by_spaces_escapes_or_nothing() {
        let lines = body();
        for sep in [" ", "\\n", "", "\t"] {
            let text = format!(
                "KEY=\"{HEADER}{sep}{}{sep}-----END RSA PRIVATE KEY-----\"",
                lines.join(sep)
            );
            let found = span_text(&text).unwrap_or_else(|| panic!("{sep:?}: {text}"));
            assert!(
                found.starts_with("MIIE") && found.ends_with("Zq8Lm=="),
                "{found}"
            );
        }
        // Without an end marker (cut off), the body still counts.
        let text = format!("key: {HEADER} {}", lines.join(" "));
        assert!(span_text(&text).is_some());
    }

    #[test]
    fn a_header_constant_or_a_sentence_is_no_key() {
        for text in [
            format!("const HEADER = \"{HEADER}\";"),
            format!("{HEADER} goes here, then paste the contents of the file you downloaded from the console"),
            format!("{HEADER} -----END RSA PRIVATE KEY-----"),
        ] {
            assert_eq!(span_text(&text), None, "{text}");
        }
    }
}
