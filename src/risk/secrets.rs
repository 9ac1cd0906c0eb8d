//! Secret validation: what separates a real credential from a placeholder, a lookup, a hash or
//! an identifier, and how a secret is shown (never in full).

use std::collections::HashMap;

/// How a candidate secret is judged once its regex matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SecretCheck {
    /// A bare high-entropy value after a scheme word such as `Bearer`.
    Entropy(f64),
    /// `scheme://user:password@host`: the password must not be a placeholder or a default.
    UrlPassword,
    /// `Basic <base64>`: must decode to `user:password` with a password worth hiding.
    BasicAuth,
    /// A JSON Web Token: header and claims must decode to JSON objects.
    Jwt,
    /// `user:password` on a command line or in a tool's setting (`curl -u`, Bundler).
    UserPass,
    /// A password given to a command with `-p` (`mysql -pS3cret`, `docker login -p …`).
    CliPassword,
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
    "...",
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
    stand_in_words(value) || INTERPOLATION.iter().any(|w| value.contains(w))
}

/// Placeholder words alone: a value may hold `${` or `}` and still be a secret.
pub(crate) fn stand_in_words(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w))
}

/// Hex digests and UUIDs assigned to names like `token_sha256` are hashes, not secrets; they are
/// kept out of assignments by the name filter, and bare ones by this shape test.
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
        // `chain_Anvil2_Key`, `v1_users`: words that end in a number.
        let parts: Vec<&str> = value.split(['_', '-', '.']).collect();
        return parts.len() >= 2
            && parts.iter().all(|p| {
                let letters = p.trim_end_matches(|c: char| c.is_ascii_digit());
                let rest = letters.get(1..).unwrap_or_default();
                // A word as written: `chain`, `Anvil`, `KEY`; not `cutdpXt`.
                !letters.is_empty()
                    && p.len() - letters.len() <= 2
                    && letters.bytes().all(|b| b.is_ascii_alphabetic())
                    && (rest.bytes().all(|b| b.is_ascii_lowercase())
                        || letters.bytes().all(|b| b.is_ascii_uppercase()))
            });
    }
    let lower = value.bytes().all(|b| !b.is_ascii_uppercase());
    let upper = value.bytes().all(|b| !b.is_ascii_lowercase());
    let camel = value.bytes().filter(u8::is_ascii_uppercase).count() <= value.len() / 4;
    lower || upper || camel
}

/// Parts of a candidate, as the regex captured them.
pub(crate) struct Candidate<'a> {
    pub name: Option<&'a str>,
    /// For URLs: the host part, so documentation domains can be told apart.
    pub host: Option<&'a str>,
    pub user: Option<&'a str>,
    pub value: &'a str,
}

/// Whether a regex match is a credential worth reporting.
pub(crate) fn accept(check: SecretCheck, candidate: &Candidate<'_>, path: &str) -> bool {
    let value = candidate.value;
    match check {
        SecretCheck::Entropy(min) => {
            // After `Bearer`, a hex string or a UUID is a token too.
            value.len() >= 16
                && !is_placeholder(value)
                && !is_templated(value)
                && !value.to_ascii_lowercase().contains("token")
                && entropy(value) >= min
        }
        SecretCheck::UrlPassword => url_password_ok(candidate),
        SecretCheck::BasicAuth => basic_auth_ok(value),
        SecretCheck::Jwt => is_jwt(value),
        SecretCheck::UserPass => user_pass_ok(value),
        SecretCheck::CliPassword => {
            let _ = path;
            value.len() >= 6
                && !value.starts_with(['-', '$', '<', '{', '%', '`', '('])
                && !is_templated(value)
                && !has_placeholder_words(value)
                && !TRIVIAL_PASSWORDS.contains(&value.to_ascii_lowercase().as_str())
        }
    }
}

/// `scheme://user:password@host`: not a placeholder; a trivial password or one equal to the
/// user only counts on a real host (documentation and local hosts use them as examples).
fn url_password_ok(candidate: &Candidate<'_>) -> bool {
    let value = candidate.value;
    let lower = value.to_ascii_lowercase();
    if value.is_empty()
        || value.starts_with(['$', '%', '<', '*', '{', ':'])
        || has_placeholder_words(value)
        || is_templated(value)
        || candidate.user == Some(value)
    {
        return false;
    }
    let host = candidate.host.unwrap_or_default();
    // Documentation hosts only ever carry examples; a local host carries defaults.
    !is_documentation_host(host)
        && !(is_local_host(host)
            && (TRIVIAL_PASSWORDS.contains(&lower.as_str()) || value.len() < 4))
}

/// Hosts that only exist on the machine or a compose network: `localhost`, `127.0.0.1`, `db`.
fn is_local_host(host: &str) -> bool {
    let host = host
        .split([':', '/', '?'])
        .next()
        .unwrap_or(host)
        .to_ascii_lowercase();
    host == "localhost"
        || host.starts_with("127.")
        || host == "0.0.0.0"
        || host.starts_with('[')
        || !host.contains('.')
}

/// `user:password` as a command line or a tool's setting takes it, quotes removed
/// (`-u admin:s3cret`, `--user "ci:…"`, `":token"`, `"key:"`).
fn user_pass_ok(value: &str) -> bool {
    let unquoted: String = value.chars().filter(|c| *c != '"' && *c != '\'').collect();
    let Some((user, password)) = unquoted.split_once(':') else {
        return false;
    };
    // `-u ":key"` or `-u "key:"`: an API key sent as one half.
    let (secret, other) = if password.is_empty() {
        (user, "")
    } else {
        (password, user)
    };
    let lower = secret.to_ascii_lowercase();
    secret.len() >= 6
        && secret != other
        && !secret.starts_with(['$', '<', '[', '{', '%', '`', '('])
        && !other.starts_with(['$', '<', '{', '%', '`', '('])
        && !is_templated(secret)
        && !has_placeholder_words(secret)
        && !TRIVIAL_PASSWORDS.contains(&lower.as_str())
        && !lower.chars().all(|c| c == 'x' || c == '*' || c == '.')
}

/// A JSON Web Token: a header that decodes to a JSON object with an `alg`, `typ`, `enc` or
/// `kid`, and (when signed or unsigned, not encrypted) claims that decode to one too.
pub(crate) fn is_jwt(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    if !(2..=5).contains(&parts.len()) {
        return false;
    }
    let object = |part: &str| -> Option<serde_json::Map<String, serde_json::Value>> {
        let bytes = decode_base64_url(part)?;
        match serde_json::from_slice::<serde_json::Value>(&bytes).ok()? {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        }
    };
    let Some(header) = object(parts[0]) else {
        return false;
    };
    if !["alg", "typ", "enc", "kid", "cty"]
        .iter()
        .any(|k| header.contains_key(*k))
    {
        return false;
    }
    // An encrypted token's second part is a key, not claims.
    parts.len() == 5 || object(parts[1]).is_some()
}

/// Base64 in the URL-safe or the standard alphabet, padding optional.
fn decode_base64_url(text: &str) -> Option<Vec<u8>> {
    let standard: String = text
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    decode_base64(&standard)
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
    let bytes = decode_base64(value)?;
    // Mostly printable: a random base64 string decodes to bytes of every kind.
    let printable = bytes.iter().filter(|b| b.is_ascii_graphic()).count();
    if bytes.len() < 3 || printable * 10 < bytes.len() * 9 || bytes.iter().any(|b| *b < 0x20) {
        return None;
    }
    let decoded = String::from_utf8_lossy(&bytes);
    let (user, password) = decoded.split_once(':')?;
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

/// Character classes a value draws on: lower case, upper case, digits, anything else.
pub(crate) fn classes(value: &str) -> usize {
    let b = value.as_bytes();
    [
        b.iter().any(u8::is_ascii_lowercase),
        b.iter().any(u8::is_ascii_uppercase),
        b.iter().any(u8::is_ascii_digit),
        b.iter().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|&&x| x)
    .count()
}

/// A value built from a few repeated chunks (`abcd1234abcd1234…`): few distinct trigrams.
pub(crate) fn is_repetitive(value: &str) -> bool {
    let b = value.as_bytes();
    if b.len() < 12 {
        return false;
    }
    let mut grams: Vec<[u8; 3]> = b.windows(3).map(|w| [w[0], w[1], w[2]]).collect();
    grams.sort_unstable();
    grams.dedup();
    grams.len() * 10 < (b.len() - 2) * 6
}

/// A value mostly made of runs of consecutive characters (`0123456789abcdef…`, `zyxw…`).
pub(crate) fn is_sequential(value: &str) -> bool {
    let b = value.as_bytes();
    if b.len() < 8 {
        return false;
    }
    let steps = b
        .windows(2)
        .filter(|w| w[1] == w[0].wrapping_add(1) || w[0] == w[1].wrapping_add(1))
        .count();
    steps * 10 >= (b.len() - 1) * 6
}

/// Bytes a template's inside may hold (`${DB_PASSWORD}`, `{{ .Values.db | b64enc }}`,
/// `<your API key>`, `%(secret)s`, `$(cat /run/secrets/x)`).
fn template_inside(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b' ' | b'_'
                | b'.'
                | b'-'
                | b'|'
                | b':'
                | b'"'
                | b'\''
                | b'/'
                | b','
                | b'='
                | b'?'
                | b'!'
                | b'*'
                | b'['
                | b']'
                | b'('
                | b')'
                | b'+'
        )
}

/// `value` with its template spans removed; `None` when it has none.
fn without_templates(value: &str) -> Option<String> {
    const PAIRS: [(&str, &str); 10] = [
        ("${{", "}}"),
        ("{{", "}}"),
        ("{%", "%}"),
        ("${", "}"),
        ("#{", "}"),
        ("@{", "}"),
        ("$(", ")"),
        ("%(", ")"),
        ("{", "}"),
        ("<", ">"),
    ];
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    let mut found = false;
    'outer: while !rest.is_empty() {
        for (open, close) in PAIRS {
            if let Some(after) = rest.strip_prefix(open) {
                if let Some(end) = after.find(close) {
                    let inside = &after[..end];
                    if !inside.is_empty() && inside.bytes().all(template_inside) {
                        found = true;
                        rest = &after[end + close.len()..];
                        // `%(name)s`: the conversion letter belongs to the template.
                        if open == "%(" {
                            rest = rest.strip_prefix(['s', 'd', 'r']).unwrap_or(rest);
                        }
                        continue 'outer;
                    }
                }
            }
        }
        // `$NAME`, `%NAME%`: environment references.
        if let Some(after) = rest.strip_prefix('$') {
            let n = after
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count();
            if n > 0 && (after.as_bytes()[0].is_ascii_alphabetic() || after.starts_with('_')) {
                found = true;
                rest = &after[n..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix('%') {
            if let Some(end) = after.find('%') {
                let inside = &after[..end];
                if !inside.is_empty()
                    && inside
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && inside.bytes().any(|b| b.is_ascii_alphabetic())
                {
                    found = true;
                    rest = &after[end + 1..];
                    continue;
                }
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    found.then_some(out)
}

/// Whether a value refers to another value: a template, an interpolation or an environment
/// reference with little of its own around it. A `}` or `${` inside a random value does not
/// make it one.
pub(crate) fn is_templated(value: &str) -> bool {
    let v = value.trim();
    if matches!(v, "%s" | "%d" | "%r" | "%v" | "{}" | "?" | "{0}") {
        return true;
    }
    without_templates(v)
        .is_some_and(|rest| rest.bytes().filter(u8::is_ascii_alphanumeric).count() < 6)
}

/// Literals that are not strings in most languages and formats.
fn is_keyword_literal(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "true"
            | "false"
            | "null"
            | "none"
            | "nil"
            | "undefined"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "required"
            | "optional"
            | "string"
            | "str"
            | "secret"
            | "password"
    )
}

/// Whether an unquoted value is code rather than a literal: a variable, a field path, a call
/// or an index (`os.environ["X"]`, `get_password()`, `this.apiKey`, `$input`).
pub(crate) fn is_expression(value: &str) -> bool {
    if value.is_empty()
        || value.starts_with([
            '$', '@', '&', '*', '!', '~', '.', '(', '[', '{', '<', '#', '|', '\\', '%', '?', ')',
            ']', '}', ';', ',', '=', ':',
        ])
        || is_keyword_literal(value)
    {
        return true;
    }
    let b = value.as_bytes();
    if !(b[0].is_ascii_alphabetic() || b[0] == b'_') {
        return false;
    }
    let ident = b
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b':')
        .count();
    if ident < b.len() {
        // `foo(…)`, `bar[…]`, `a.b(…)`
        return matches!(b[ident], b'(' | b'[');
    }
    // `self.token`, `process.env.DB_PASSWORD`, `var.db_password`: a path of identifiers.
    value.contains('.')
        && value.split(['.', ':']).filter(|s| !s.is_empty()).all(|s| {
            is_identifier_like(s)
                || s.bytes()
                    .all(|c| c.is_ascii_uppercase() || c == b'_' || c.is_ascii_digit())
        })
}

/// A file system path or a file name rather than a secret.
pub(crate) fn looks_like_path(value: &str) -> bool {
    if value.starts_with("./") || value.starts_with("../") || value.starts_with("~/") {
        return true;
    }
    let wordy = |s: &str| {
        s.is_empty()
            || is_identifier_like(s)
            || s.bytes().all(|b| b.is_ascii_digit())
            || s.split('.').all(|p| {
                p.is_empty()
                    || is_identifier_like(p)
                    || p.bytes()
                        .all(|b| b.is_ascii_alphanumeric() && !b.is_ascii_uppercase())
            })
    };
    if value.starts_with('/') && value.len() > 1 {
        return value.split('/').all(wordy);
    }
    if value.matches('/').count() >= 2 && value.split('/').all(wordy) {
        return true;
    }
    // `api.key`, `cert.p12`, `client_secret.json`
    value.rsplit_once('.').is_some_and(|(stem, ext)| {
        matches!(
            ext.to_ascii_lowercase().as_str(),
            "key"
                | "pem"
                | "json"
                | "txt"
                | "cer"
                | "crt"
                | "p12"
                | "pfx"
                | "jks"
                | "xml"
                | "yml"
                | "yaml"
                | "conf"
                | "keytab"
                | "der"
                | "env"
                | "properties"
                | "toml"
                | "ini"
                | "gpg"
                | "asc"
        ) && wordy(stem)
    })
}

/// Shaped like a digest rather than a secret: hex or base64 of a hash's length, a bcrypt or
/// crypt string, `sha256:…`.
pub(crate) fn is_digest_shaped(value: &str) -> bool {
    let hex = value.bytes().all(|b| b.is_ascii_hexdigit());
    (hex && value.len() >= 16)
        || is_digest(value)
        || value.starts_with("$2a$")
        || value.starts_with("$2b$")
        || value.starts_with("$2y$")
        || value.starts_with("$argon2")
        || value.starts_with("$6$")
        || value.starts_with("{SSHA}")
        || (matches!(value.len(), 24 | 28 | 44 | 64 | 88)
            && value.ends_with('=')
            && value.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
            }))
}

/// A value assigned to a secret-looking name, as the assignment parser found it.
pub(crate) struct AssignedValue<'a> {
    pub name: &'a str,
    pub secret: crate::risk::names::SecretName,
    pub value: &'a str,
    pub quoted: bool,
    /// The value followed an authorization scheme such as `Basic`.
    pub scheme: Option<&'a str>,
}

/// Whether a value assigned to a secret-looking name is a secret: a literal (not a template,
/// an expression or a path), not a stand-in, and random enough for what the name promises.
pub(crate) fn accept_assigned(a: &AssignedValue<'_>, path: &str) -> bool {
    use crate::risk::names::{self, Strength};
    let value = a.value;
    let len = value.len();
    if !(6..=400).contains(&len) || value.bytes().any(|b| b.is_ascii_whitespace() || b < 0x20) {
        return false;
    }
    if !a.quoted && (quotes_required(path) || is_expression(value)) {
        return false;
    }
    // A hex key of 32 or more digits is one however its digits fall.
    let hex_key = len >= 32 && value.bytes().all(|b| b.is_ascii_hexdigit());
    if is_templated(value)
        || value.contains("://")
        || looks_like_path(value)
        || is_keyword_literal(value)
        || stand_in_words(value)
        || value.to_ascii_lowercase().contains("test")
        || (!hex_key && (is_sequential(value) || is_repetitive(value)))
    {
        return false;
    }
    if a.scheme.is_some_and(|s| s.eq_ignore_ascii_case("basic")) {
        return basic_auth_ok(value);
    }
    // Base64 of `user:password` (npm's `_auth`, Docker's `auth`) is a credential whatever
    // the name's strength.
    if len >= 12 && basic_auth_ok(value) {
        return true;
    }
    // `password_hash`, `token_sha256`: a digest of a secret. A weak name ending in a hash
    // word (`issuerKeyHash`) holds no secret at all.
    if a.secret.hashed && is_digest_shaped(value) {
        return false;
    }
    if a.secret.strength == Strength::Weak && (names::ends_hashed(a.name) || labelled_digest(value))
    {
        return false;
    }
    if is_identifier_like(value) || distinct_chars(value) < 5 {
        return false;
    }
    let e = entropy(value);
    match a.secret.strength {
        Strength::Strong => len >= 8 && e >= 2.5,
        Strength::Weak => {
            hex_key
                || is_uuid(value)
                || (len >= 16
                    && e >= 3.3
                    && classes(value) >= 2
                    && value.bytes().any(|b| b.is_ascii_digit())
                    && !is_hash_or_uuid(value))
        }
    }
}

/// A word label before a hex digest (`deps-<sha1>`, `v1-<sha256>`): a cache key or a
/// versioned content hash, what a bare `key` holds in CI and build configuration.
fn labelled_digest(value: &str) -> bool {
    value
        .rsplit_once(['-', ':'])
        .is_some_and(|(label, digest)| {
            digest.len() >= 32
                && digest.bytes().all(|b| b.is_ascii_hexdigit())
                && label.bytes().any(|b| b.is_ascii_alphabetic())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
}

/// Base64 of `user:password` with a password worth hiding, or of a long user alone (an API
/// key sent as the user name).
fn basic_auth_ok(value: &str) -> bool {
    basic_auth_password(value).is_some_and(|(user, password)| {
        if password.is_empty() {
            return user.len() >= 6 && !has_placeholder_words(&user);
        }
        password.len() >= 4
            && password != user
            && !has_placeholder_words(&password)
            && !TRIVIAL_PASSWORDS.contains(&password.to_ascii_lowercase().as_str())
    })
}

/// Passwords that are documentation or a default, never a leak on their own.
const TRIVIAL_PASSWORDS: &[&str] = &[
    "password", "pass", "passwd", "pwd", "secret", "postgres", "root", "admin", "guest", "test",
    "user", "username", "mysql", "redis", "rabbitmq", "changeme", "changeit", "example", "token",
    "xxx", "yyy", "***", "default",
];

/// Source files where an unquoted value is code, never a literal (the languages whose
/// assignments of literals always quote them).
fn quotes_required(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    name.rsplit_once('.').is_some_and(|(_, ext)| {
        matches!(
            ext,
            "py" | "pyw" | "js" | "mjs" | "cjs" | "jsx" | "ts" | "tsx" | "java" | "swift" | "cls"
        )
    })
}

/// A keyword-free candidate string and what surrounds it.
pub(crate) struct LooseValue<'a> {
    pub value: &'a str,
    /// Quoted, alone on its line, or the value of an assignment or argument.
    pub standalone: bool,
    /// Alone on its line (quoted or not).
    pub whole_line: bool,
    /// The name it is assigned to, if any.
    pub name: Option<&'a str>,
}

/// Whether a string with no keyword is random enough to be a secret (the base64 and hex
/// alphabets, as high-entropy scanners judge them).
pub(crate) fn accept_loose(c: &LooseValue<'_>) -> bool {
    let v = c.value;
    if !c.standalone || v.len() < 20 || v.len() > 200 {
        return false;
    }
    if let Some(name) = c.name {
        if crate::risk::names::is_plain_name(name) || crate::risk::names::classify(name).is_some() {
            return false;
        }
    }
    let hex = v.bytes().all(|b| b.is_ascii_hexdigit());
    if hex {
        // A hex string with a name or in code is a hash, an id or a commit; alone on its
        // line, it may be a key.
        return c.whole_line
            && c.name.is_none()
            && v.len() >= 32
            && v.len().is_multiple_of(2)
            && v.bytes().any(|b| b.is_ascii_alphabetic())
            && v.bytes().filter(u8::is_ascii_digit).count() >= 4
            && !is_repetitive(v)
            && entropy(v) >= 3.0;
    }
    let b = v.as_bytes();
    let e = entropy(v);
    b.iter().any(u8::is_ascii_digit)
        && b.iter().any(u8::is_ascii_lowercase)
        && b.iter().any(u8::is_ascii_uppercase)
        && !is_uuid(v)
        && !is_identifier_like(v)
        && !is_digest(v)
        && !stand_in_words(v)
        && !is_repetitive(v)
        && !is_sequential(v)
        // Words in an identifier switch between letters and case rarely; random text often.
        && (e >= 4.5 || (v.len() >= 32 && e >= 4.0 && class_switches(v) * 100 >= v.len() * 35))
}

/// How often consecutive characters change class (lower, upper, digit, other).
fn class_switches(value: &str) -> usize {
    let class = |b: u8| {
        if b.is_ascii_lowercase() {
            0
        } else if b.is_ascii_uppercase() {
            1
        } else if b.is_ascii_digit() {
            2
        } else {
            3
        }
    };
    value
        .as_bytes()
        .windows(2)
        .filter(|w| class(w[0]) != class(w[1]))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assigned(name: &str, value: &str, path: &str) -> bool {
        let Some(secret) = crate::risk::names::classify(name) else {
            return false;
        };
        accept_assigned(
            &AssignedValue {
                name,
                secret,
                value,
                quoted: true,
                scheme: None,
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
        assert!(!assigned(
            "token_sha256",
            "9f86d081884c7d659a2feaa0c55ad015",
            "app.py"
        ));
        assert!(!assigned("issuerKeyHash", "Zq8LmR2vXw9KpT4nB7x1", "app.py"));
        assert!(!assigned("password_hash", &"9f86d0".repeat(10), "app.py"));
        // A hex string or a UUID is a secret when the name says so.
        assert!(assigned(
            "api_key",
            "123e4567-e89b-12d3-a456-426614174000",
            "app.py"
        ));
        assert!(assigned(
            "client_secret",
            "6da89121079f83b2eb6acccf8219ea98",
            "app.py"
        ));
        assert!(!assigned("password", "testpassword1", "app.py"));
        // A `}` or `${` inside a value does not make it a template; a whole template does.
        assert!(assigned(
            "apikey",
            "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}",
            "a.go"
        ));
        assert!(!assigned("password", "${DB_PASSWORD}", "a.yaml"));
        assert!(!assigned("password", "{{ .Values.password }}", "a.yaml"));
        assert!(!assigned("password", "%(password)s", "a.py"));
        // Random enough for the name: a weak name needs a random value.
        assert!(!assigned("redis_auth", "hunter22", "a.yaml"));
        assert!(assigned("redis_auth", "Zq8LmR2vXw9KpT4nB7", "a.yaml"));
        // A bare `key` over a labelled digest is a cache key; over the hex alone, a secret.
        let sha1 = "7e47e895f1bee3e08b1627defb40dec8e731f1be";
        assert!(!assigned("key", &format!("deps-{sha1}"), "ci.yml"));
        assert!(!assigned("key", &format!("v1:{sha1}"), "ci.yml"));
        assert!(assigned("key", sha1, "ci.yml"));
        assert!(assigned("api_key", &format!("deps-{sha1}"), "ci.yml"));
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
