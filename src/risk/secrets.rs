//! Secret validation: what separates a real credential from a placeholder, a lookup, a hash or
//! an identifier, and how a secret is shown (never in full).

use std::collections::HashMap;

/// How a candidate secret is judged once its regex matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SecretCheck {
    /// A provider token with a distinctive prefix: only obvious placeholders are dropped.
    Token,
    /// A value assigned to a secret-looking name: needs entropy, a literal, and a plausible name.
    Assigned,
    /// A bare high-entropy value after a scheme word such as `Bearer`.
    Entropy(f64),
    /// `scheme://user:password@host`: the password must not be a placeholder or a default.
    UrlPassword,
    /// `Basic <base64>`: must decode to `user:password` with a password worth hiding.
    BasicAuth,
}

/// Shannon entropy in bits per character.
pub(crate) fn entropy(value: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    let mut total = 0usize;
    for c in value.chars() {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let n = total as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

fn distinct_chars(value: &str) -> usize {
    let mut seen: Vec<char> = value.chars().collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

/// The longest run of one repeated character.
fn longest_run(value: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut last = None;
    for c in value.chars() {
        if Some(c) == last {
            run += 1;
        } else {
            run = 1;
            last = Some(c);
        }
        best = best.max(run);
    }
    best
}

/// Words that mark a value as documentation or a stand-in, never a live credential.
const PLACEHOLDER_WORDS: [&str; 25] = [
    "xxxx",
    "****",
    "....",
    "changeme",
    "change_me",
    "change-me",
    "replace",
    "your_",
    "your-",
    "yourkey",
    "yoursecret",
    "yourtoken",
    "example",
    "placeholder",
    "dummy",
    "redacted",
    "sample",
    "fake",
    "insert",
    "_here",
    "-here",
    "notreal",
    // Keyboard and counting sequences of documentation tokens.
    "123456789",
    "abcdefghij",
    "qwertyuiop",
];

/// Template and interpolation syntax: the real value comes from somewhere else.
const INTERPOLATION: [&str; 9] = ["<", ">", "{{", "}}", "${", "$(", "%(", "#{", "%s"];

pub fn is_placeholder(value: &str) -> bool {
    has_placeholder_words(value) || longest_run(value) >= 6 || distinct_chars(value) < 6
}

/// Placeholder words and template syntax only, for short values such as URL passwords.
pub(crate) fn has_placeholder_words(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w))
        || INTERPOLATION.iter().any(|w| value.contains(w))
}

/// Hex digests and UUIDs assigned to names like `token_sha256` are hashes, not secrets; they are
/// kept out of `Assigned` by the name filter, and bare ones by this shape test.
pub(crate) fn is_hash_or_uuid(value: &str) -> bool {
    let hex = value.bytes().all(|b| b.is_ascii_hexdigit());
    if hex && matches!(value.len(), 32 | 40 | 56 | 64 | 96 | 128) {
        return true;
    }
    is_uuid(value)
}

fn is_uuid(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Digest prefixes (`sha256:`, `sha512-`, `h1:`) of lock files and image references.
fn is_digest(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    [
        "sha1", "sha256", "sha384", "sha512", "md5", "h1:", "blake2", "blake3",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

/// Identifiers and words (`refresh_token`, `AUTH_HEADER`, `sessionToken`) carry no secret.
fn is_identifier_like(value: &str) -> bool {
    let letters_and_separators = value
        .bytes()
        .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'-' | b'.'));
    if !letters_and_separators {
        return false;
    }
    let lower = value.bytes().all(|b| !b.is_ascii_uppercase());
    let upper = value.bytes().all(|b| !b.is_ascii_lowercase());
    let camel = value.bytes().filter(u8::is_ascii_uppercase).count() <= value.len() / 4;
    lower || upper || camel
}

/// Names that hold metadata about a secret rather than the secret itself.
const BENIGN_NAME_PARTS: [&str; 33] = [
    "hash",
    "digest",
    "checksum",
    "sha",
    "md5",
    "fingerprint",
    "salt",
    "public",
    "pubkey",
    "_id",
    "-id",
    "uuid",
    "length",
    "_len",
    "size",
    "count",
    "type",
    "name",
    "url",
    "uri",
    "path",
    "file",
    "dir",
    "field",
    "header",
    "prefix",
    "format",
    "version",
    "pattern",
    "regex",
    "endpoint",
    "expir",
    "timeout",
];

fn is_benign_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    BENIGN_NAME_PARTS.iter().any(|p| lower.contains(p)) || lower.ends_with("id")
}

/// Whether an unquoted value is a literal in this kind of file (in code it is an expression:
/// `os.environ[...]`, `process.env.X`, `std::env::var(...)`, a variable).
pub(crate) fn unquoted_is_literal(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if name.starts_with(".env") || name.ends_with(".env") || name == "dockerfile" {
        return true;
    }
    match name.rsplit_once('.') {
        None => true,
        Some((_, ext)) => matches!(
            ext,
            "yml"
                | "yaml"
                | "ini"
                | "cfg"
                | "conf"
                | "properties"
                | "env"
                | "sh"
                | "bash"
                | "zsh"
                | "txt"
                | "npmrc"
                | "pypirc"
                | "netrc"
                | "envrc"
        ),
    }
}

/// Parts of a candidate, as the regex captured them.
pub(crate) struct Candidate<'a> {
    pub name: Option<&'a str>,
    /// For URLs: the host part, so documentation domains can be told apart.
    pub host: Option<&'a str>,
    pub quoted: bool,
    pub user: Option<&'a str>,
    pub value: &'a str,
}

/// Whether a regex match is a credential worth reporting.
pub(crate) fn accept(check: SecretCheck, candidate: &Candidate<'_>, path: &str) -> bool {
    let value = candidate.value;
    match check {
        SecretCheck::Token => !is_placeholder(value),
        SecretCheck::Entropy(min) => {
            value.len() >= 20
                && !is_placeholder(value)
                && !is_hash_or_uuid(value)
                && entropy(value) >= min
        }
        SecretCheck::Assigned => {
            // Cheapest tests first: most candidates are expressions, not literals.
            if !candidate.quoted && !unquoted_is_literal(path) {
                return false;
            }
            value.len() >= 8
                && value.len() <= 200
                && !value.starts_with(['$', '!', '&', '*', '/', '~', '@', '%', '#', '.'])
                && !value.contains(['(', '[', '{', '}'])
                && !candidate.name.is_some_and(is_benign_name)
                && !is_identifier_like(value)
                && !is_hash_or_uuid(value)
                && !is_digest(value)
                && !value.contains("://")
                && !value.to_ascii_lowercase().contains("test")
                && !is_placeholder(value)
                && entropy(value) >= 3.0
        }
        SecretCheck::UrlPassword => {
            let lower = value.to_ascii_lowercase();
            let trivial = [
                "password", "pass", "passwd", "pwd", "secret", "postgres", "root", "admin",
                "guest", "test", "user", "mysql", "redis", "rabbitmq", "changeme", "example",
            ];
            !value.is_empty()
                && !value.starts_with(['$', '%', '<', '*', '{', ':'])
                && !trivial.contains(&lower.as_str())
                && candidate.user != Some(value)
                && !has_placeholder_words(value)
                && !candidate.host.is_some_and(is_documentation_host)
        }
        SecretCheck::BasicAuth => basic_auth_password(value).is_some_and(|(user, password)| {
            password.len() >= 4
                && password != user
                && !has_placeholder_words(&password)
                && ![
                    "password", "pass", "secret", "admin", "guest", "test", "changeme",
                ]
                .contains(&password.to_ascii_lowercase().as_str())
        }),
    }
}

/// Standard base64 (padding optional); `None` if the text is not base64.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for b in text.trim_end_matches('=').bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn basic_auth_password(value: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(decode_base64(value)?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    if decoded.chars().any(char::is_control) {
        return None;
    }
    Some((user.to_string(), password.to_string()))
}

/// A private key body that announces itself as a test stand-in (`…FixtureKeyForTests…`).
pub(crate) fn is_fabricated_key_body(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    has_placeholder_words(body)
        || ["test", "fixture", "mock", "stub"]
            .iter()
            .any(|w| lower.contains(w))
}

/// Hosts reserved for documentation and tests (RFC 2606, RFC 6761).
fn is_documentation_host(host: &str) -> bool {
    let host = host
        .split([':', '/', '?'])
        .next()
        .unwrap_or(host)
        .to_ascii_lowercase();
    ["example.com", "example.org", "example.net"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
        || [".example", ".test", ".invalid"]
            .iter()
            .any(|d| host.ends_with(d))
}

/// How a secret appears in any output: a short prefix and the length, never the value.
pub(crate) fn redact(value: &str) -> String {
    let len = value.chars().count();
    let shown = (len / 4).min(4);
    let prefix: String = value.chars().take(shown).collect();
    format!("`{prefix}…` ({len} chars, redacted)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assigned(name: &str, value: &str, path: &str) -> bool {
        accept(
            SecretCheck::Assigned,
            &Candidate {
                name: Some(name),
                host: None,
                quoted: true,
                user: None,
                value,
            },
            path,
        )
    }

    #[test]
    fn entropy_orders_random_above_words() {
        assert!(entropy("aaaaaaaa") < 0.1);
        assert!(entropy("Zq8LmR2vXw9KpT4n") > 3.5);
    }

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "xxxxxxxxxxxx",
            "changeme123",
            "<your-api-key>",
            "${API_KEY}",
            "{{ secrets.TOKEN }}",
            "YOUR_API_KEY_HERE",
            "AKIAIOSFODNN7EXAMPLE",
            "000000000000",
            "ghp_1234567890abcdefghijklmnopqrstuvwxyz",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        assert!(!is_placeholder("Zq8LmR2vXw9KpT4n"));
    }

    #[test]
    fn assigned_values_need_entropy_and_a_plausible_name() {
        assert!(assigned("api_key", "Zq8LmR2vXw9KpT4nB7", "app.py"));
        assert!(!assigned("api_key", "refresh_token", "app.py"));
        assert!(!assigned("token_sha256", "Zq8LmR2vXw9KpT4nB7", "app.py"));
        assert!(!assigned(
            "api_key",
            "123e4567-e89b-12d3-a456-426614174000",
            "app.py"
        ));
        assert!(!assigned("password", "testpassword1", "app.py"));
    }

    #[test]
    fn redaction_shows_at_most_four_chars() {
        assert_eq!(redact("ghp_abcdefghij"), "`ghp…` (14 chars, redacted)");
        assert_eq!(
            redact("ghp_012345678901234567890123456789012345"),
            "`ghp_…` (40 chars, redacted)"
        );
        assert_eq!(redact("abc"), "`…` (3 chars, redacted)");
    }
}
