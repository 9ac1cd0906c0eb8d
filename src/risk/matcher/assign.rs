//! Assignments around a secret-looking name: the name that holds the keyword the automaton
//! found, then the value given to it in the forms code and configuration use (`=`, `:`,
//! `:=`, `::=`, `?=`, `+=`, `.=`, `=>`, `==`, `!==`, `name "value"`, `name[] =`, `--flag
//! value`, `<name>value</name>`, `key="name" value="…"`, a default after `,`, `||`, `??`
//! or `:-`), or the value compared with it from the left (`"…" == password`).

use crate::risk::names::{self, SecretName, Strength};

/// One value given to a secret-looking name on a line.
#[derive(Debug)]
pub(super) struct Assignment<'t> {
    pub name: &'t str,
    pub secret: SecretName,
    pub value: &'t str,
    /// The value's span in the line.
    pub start: usize,
    pub end: usize,
    pub quoted: bool,
    /// An authorization scheme before the value (`Bearer`, `Basic`).
    pub scheme: Option<&'t str>,
    /// `password: |` in YAML: the value is the block on the next line.
    pub block: bool,
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// The identifier holding bytes `at..end` of the line.
pub(super) fn name_span(line: &[u8], at: usize, end: usize) -> (usize, usize) {
    let mut start = at;
    while start > 0 && is_name_byte(line[start - 1]) && at - start < 64 {
        start -= 1;
    }
    let mut stop = end;
    while stop < line.len() && is_name_byte(line[stop]) && stop - end < 64 {
        stop += 1;
    }
    while stop > end && matches!(line[stop - 1], b'.' | b'-') {
        stop -= 1;
    }
    while start < at && line[start] == b'.' {
        start += 1;
    }
    (start, stop)
}

/// How a secret-looking name is classified, provider names included (`cloudflare = "…"`).
pub(super) fn classify(name: &str, provider_words: &[String]) -> Option<SecretName> {
    names::classify(name).or_else(|| {
        let words = names::Words::of(name)?;
        let count = words.len();
        // `heroku_app_name` is metadata; `HEROKU`, `heroku_api` hold a secret.
        (count > 0
            && count <= 2
            && words.iter().any(|w| {
                provider_words
                    .binary_search_by(|p| p.as_str().cmp(w))
                    .is_ok()
            })
            && !names::is_plain_name(name))
        .then_some(SecretName {
            strength: Strength::Weak,
            hashed: false,
            authorization: false,
        })
    })
}

const SCHEMES: &[&str] = &[
    "bearer",
    "token",
    "basic",
    "bot",
    "digest",
    "api-token",
    "apikey",
    "api-key",
    "sso-key",
    "ssws",
    "splunk",
    "oauth",
    "jwt",
    "key",
    "hmac",
    "negotiate",
    "ntlm",
    "dsn",
];

fn skip_spaces(b: &[u8], i: &mut usize) {
    while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t') {
        *i += 1;
    }
}

/// The assignment operator at `i`, if any: its length.
fn operator(b: &[u8], i: usize) -> Option<usize> {
    const OPS: [&str; 22] = [
        ":::=", "::=", "!==", "===", "??=", "||=", ":=", "?=", "+=", ".=", "=>", "==", "!=", "||",
        "??", ":-", "?:", "=", ":", ",", "(", "|",
    ];
    let rest = &b[i.min(b.len())..];
    for op in OPS {
        if rest.starts_with(op.as_bytes()) {
            // `::` is a path separator (`password::hash`), `=~` a regex match, `|x|` a closure.
            if op == ":" && rest.get(1) == Some(&b':') {
                return None;
            }
            if op == "=" && matches!(rest.get(1), Some(b'~')) {
                return None;
            }
            return Some(op.len());
        }
    }
    None
}

/// Where a value stands, which decides where an unquoted one ends.
#[derive(Clone, Copy, Default)]
struct ValueContext {
    /// `<name>value</name>`: at `<`.
    xml: bool,
    /// `${NAME:-value}`: at `}`.
    shell_default: bool,
    /// `?user=u&password=value`: at `&`.
    query: bool,
}

/// A value starting at `i` (after the operator and spaces): quoted to its closing quote, or
/// unquoted to the first space or separator. Returns (start, end, quoted, next index).
fn value_at(b: &[u8], mut i: usize, ctx: ValueContext) -> Option<(usize, usize, bool)> {
    // Prefixes of string literals: `@"…"` (Objective-C), `r"…"`, `b'…'`, `f"…"`, `L"…"`.
    if i + 1 < b.len()
        && matches!(
            b[i],
            b'@' | b'r' | b'b' | b'f' | b'u' | b'R' | b'B' | b'F' | b'U' | b'L'
        )
        && matches!(b[i + 1], b'"' | b'\'')
    {
        i += 1;
    }
    let escaped = b.get(i) == Some(&b'\\') && matches!(b.get(i + 1), Some(b'"' | b'\''));
    if escaped {
        i += 1;
    }
    match b.get(i) {
        Some(&q @ (b'"' | b'\'' | b'`')) => {
            // `"""` opens a multi-line string: the value is on other lines.
            if b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
                return None;
            }
            let start = i + 1;
            let mut j = start;
            while j < b.len() {
                if b[j] == q {
                    let backslashes = b[start..j]
                        .iter()
                        .rev()
                        .take_while(|&&c| c == b'\\')
                        .count();
                    // In `\"…\"` the closing quote is escaped too.
                    if escaped == (backslashes % 2 == 1) {
                        let end = if escaped { j - 1 } else { j };
                        return Some((start, end, true));
                    }
                }
                j += 1;
            }
            // No closing quote on this line: a multi-line string, or a quote of another kind
            // closes it (`"…'`); either way there is no literal here to judge.
            None
        }
        Some(_) => {
            let start = i;
            let mut j = i;
            while j < b.len() {
                let c = b[j];
                if c.is_ascii_whitespace()
                    || matches!(c, b'"' | b'\'' | b'`' | b';' | b',')
                    || (ctx.query && c == b'&')
                    || (ctx.xml && c == b'<')
                    || (ctx.shell_default && c == b'}')
                {
                    break;
                }
                j += 1;
            }
            // Closing brackets the value never opened belong to the code around it.
            let mut end = j;
            while end > start && matches!(b[end - 1], b')' | b']' | b'}') {
                let close = b[end - 1];
                let open = match close {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                let opened = b[start..end].iter().filter(|&&c| c == open).count();
                let closed = b[start..end].iter().filter(|&&c| c == close).count();
                if closed > opened {
                    end -= 1;
                } else {
                    break;
                }
            }
            (end > start).then_some((start, end, false))
        }
        None => None,
    }
}

/// The value given to the secret-looking name around `at..end` (a keyword the automaton
/// found), to its right or, for a reversed comparison, to its left.
pub(super) fn parse<'t>(
    line: &'t str,
    at: usize,
    end: usize,
    provider_words: &[String],
) -> Option<Assignment<'t>> {
    let b = line.as_bytes();
    let (name_start, mut name_end) = name_span(b, at, end);
    // `password.equals("…")`, `password.eql?("…")`: the method is no part of the name.
    for method in [".equals", ".Equals", ".eql", ".equal", ".equalsIgnoreCase"] {
        if line[name_start..name_end].ends_with(method) && name_end - method.len() > at {
            name_end -= method.len();
            break;
        }
    }
    let raw = &line[name_start..name_end];
    let flag = raw.starts_with('-');
    let name = raw.trim_start_matches('-');
    if name.is_empty() {
        return None;
    }
    // Where the value is comes first: most names the automaton finds are given none, and
    // classifying a name costs more than looking for an operator.
    let contains = |word: &[u8]| {
        name.as_bytes()
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word))
    };
    let authorization = contains(b"authoriz") || contains(b"authoris") || {
        let n = name.as_bytes();
        n.len() >= 6 && n[n.len() - 6..].eq_ignore_ascii_case(b"header")
    };
    let (start, stop, quoted, scheme, block) =
        locate(line, name_start, name_end, raw, flag, authorization)?;
    // An unquoted expression (`lexer.next_token()`, `self.token`) is no literal in any file.
    if !quoted && !block && crate::risk::secrets::is_expression(&line[start..stop]) {
        return None;
    }
    let secret = match classify(name, provider_words) {
        Some(secret) => secret,
        None => statement_name(b, name, name_end)?,
    };
    Some(Assignment {
        name,
        secret,
        value: &line[start..stop],
        start,
        end: stop,
        quoted,
        scheme,
        block,
    })
}

/// The value given to the name at `name_start..name_end`: its span, whether it was quoted,
/// the authorization scheme before it, and whether it is a YAML block indicator.
fn locate<'t>(
    line: &'t str,
    name_start: usize,
    name_end: usize,
    raw: &str,
    flag: bool,
    authorization: bool,
) -> Option<(usize, usize, bool, Option<&'t str>, bool)> {
    let b = line.as_bytes();
    let name = raw.trim_start_matches('-');
    if let Some((start, stop)) = reversed(b, name_start) {
        return Some((start, stop, true, None, false));
    }
    // After the name: the closing quote or bracket of a key (`"password":`, `['secret']`,
    // `\"token\":`), `[]`, spaces.
    let mut i = name_end;
    let mut quoted_name = false;
    // Only a key that was opened (`"password"`, `['secret']`) has a quote to close.
    let opened = name_start > 0 && matches!(b[name_start - 1], b'"' | b'\'' | b'`' | b'[');
    for _ in 0..3 {
        if !opened {
            break;
        }
        match b.get(i) {
            Some(b'"' | b'\'' | b'`') => {
                quoted_name = true;
                i += 1;
            }
            Some(b']' | b'\\') => i += 1,
            _ => break,
        }
    }
    if b[i.min(b.len())..].starts_with(b"[]") {
        i += 2;
    }
    let before_op = i;
    skip_spaces(b, &mut i);
    let spaced = i > before_op;
    let xml = name_start > 0 && b[name_start - 1] == b'<';
    let mut shell_default = false;
    let op = if xml && b.get(i) == Some(&b'>') {
        1
    } else if quoted_name
        && b[i.min(b.len())..].len() > 6
        && b[i..i + 6].eq_ignore_ascii_case(b"value=")
    {
        // `<add key="ApiSecret" value="…"/>`
        6
    } else if let Some(len) = comparison_call(&b[i.min(b.len())..]) {
        len
    } else if let Some(len) = operator(b, i) {
        if &b[i..i + len] == b":-" {
            shell_default = true;
        }
        // `password: str = "…"`, `val token: String = "…"`: a type between name and value.
        if &b[i..i + len] == b":" {
            if let Some(typed) = typed_value(b, i + 1) {
                typed - i
            } else {
                len
            }
        } else if (&b[i..i + len] == b"(" && !matches!(b.get(i + 1), Some(b'"' | b'\'' | b'`')))
            || &b[i..i + len] == b"|"
        {
            // A call with an expression, or a pipe: no literal follows.
            return None;
        } else {
            len
        }
    } else if spaced {
        // `var dbToken string = "…"` (a type, then `=`)
        if let Some(typed) = typed_value(b, i) {
            typed - i
        } else {
            // `auth_token "…";`, `--password s3cret`, `add_header X-Auth-Key …;`,
            // `machine h login u password p`
            let quote_next = matches!(b.get(i), Some(b'"' | b'\'' | b'`'));
            let header = name.contains('-') && (name.starts_with("X-") || name.starts_with("x-"));
            let netrc = line.contains(" login ") || line.trim_start().starts_with("machine ");
            // `secret s3cr3t` alone on its line: a config file's `name value`.
            let pair = line.trim_start().starts_with(raw)
                && line.trim().trim_end_matches(';').split_whitespace().count() == 2;
            if !(quote_next || flag || header || netrc || pair) {
                return None;
            }
            0
        }
    } else if matches!(b.get(i), Some(b'"' | b'\'')) {
        // `fooapikeyfoo"…";`
        0
    } else {
        return None;
    };
    i += op;
    skip_spaces(b, &mut i);
    // An authorization scheme before the value: `Authorization: Bearer …`, `"Token …"`.
    let mut scheme = None;
    let mut quote_before_scheme = None;
    if matches!(b.get(i), Some(b'"' | b'\'')) {
        quote_before_scheme = Some(i);
    }
    if authorization {
        let s = quote_before_scheme.map_or(i, |q| q + 1);
        let word_len = b[s.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
            .count();
        let word = &line[s..s + word_len];
        if word_len > 0
            && b.get(s + word_len) == Some(&b' ')
            && SCHEMES.iter().any(|w| w.eq_ignore_ascii_case(word))
        {
            scheme = Some(word);
            let mut j = s + word_len;
            skip_spaces(b, &mut j);
            let (start, stop, _) = value_at(b, j, ValueContext::default())?;
            // A quoted value runs to its closing quote.
            let stop = match quote_before_scheme {
                Some(q) => {
                    let close = b[j..]
                        .iter()
                        .position(|&c| c == b[q])
                        .map_or(b.len(), |p| j + p);
                    close.min(b.len())
                }
                None => stop,
            };
            return (stop > start).then_some((
                start,
                stop,
                quote_before_scheme.is_some(),
                scheme,
                false,
            ));
        }
    }
    let query = name_start > 0 && matches!(b[name_start - 1], b'?' | b'&');
    let (start, stop, quoted) = value_at(
        b,
        i,
        ValueContext {
            xml,
            shell_default,
            query,
        },
    )?;
    let block = !quoted && matches!(&line[start..stop], "|" | "|-" | "|+" | ">" | ">-" | ">+");
    Some((start, stop, quoted, scheme, block))
}

/// `fooapikeyfoo "…";`: a quoted literal closing a statement right after a name that holds
/// a secret word anywhere (the form of configuration DSLs such as nginx's).
fn statement_name(b: &[u8], name: &str, name_end: usize) -> Option<SecretName> {
    let lower = name.to_ascii_lowercase();
    if ![
        "apikey",
        "api_key",
        "private_key",
        "privatekey",
        "password",
        "passwd",
        "secret",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        return None;
    }
    let mut i = name_end;
    skip_spaces(b, &mut i);
    let q = *b.get(i)?;
    if !matches!(q, b'"' | b'\'') {
        return None;
    }
    let close = i + 1 + b[i + 1..].iter().position(|&c| c == q)?;
    (b.get(close + 1) == Some(&b';')).then_some(SecretName {
        strength: Strength::Strong,
        hashed: false,
        authorization: false,
    })
}

/// `.equals("…")`, `.eql?("…")`, `==("…")` after a name: the length up to the value.
fn comparison_call(rest: &[u8]) -> Option<usize> {
    for call in [
        ".equals(",
        ".Equals(",
        ".eql?(",
        ".equal?(",
        ".equalsIgnoreCase(",
    ] {
        if rest.starts_with(call.as_bytes()) {
            return Some(call.len());
        }
    }
    None
}

/// After a `:` (or after a name and spaces): a type and then `=`; the index after `=`.
fn typed_value(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    skip_spaces(b, &mut i);
    let start = i;
    while i < b.len()
        && i - start < 40
        && (b[i].is_ascii_alphanumeric()
            || matches!(
                b[i],
                b'_' | b'<' | b'>' | b'[' | b']' | b'.' | b'&' | b'\'' | b'?'
            ))
    {
        i += 1;
    }
    if i == start || !b[start].is_ascii_alphabetic() && b[start] != b'&' {
        return None;
    }
    // `str = …` has a space before `=`; `data: {password: abc=}` does not.
    let typed_end = i;
    skip_spaces(b, &mut i);
    if i == typed_end {
        return None;
    }
    (b.get(i) == Some(&b'=') && b.get(i + 1) != Some(&b'=') && b.get(i + 1) != Some(&b'>'))
        .then_some(i + 1)
}

/// A quoted value compared with the name from its left: `"…" == password`,
/// `'…' !== password`, `"…".equals(password)`. The value's span.
fn reversed(b: &[u8], name_start: usize) -> Option<(usize, usize)> {
    let mut j = name_start;
    while j > 0 && (b[j - 1] == b' ' || b[j - 1] == b'\t') {
        j -= 1;
    }
    let before = &b[..j];
    let op_len = ["===", "!==", "==", "!=", ".equals(", ".Equals("]
        .iter()
        .find(|op| before.ends_with(op.as_bytes()))?
        .len();
    j -= op_len;
    while j > 0 && (b[j - 1] == b' ' || b[j - 1] == b'\t') {
        j -= 1;
    }
    let q = *b.get(j.checked_sub(1)?)?;
    if !matches!(q, b'"' | b'\'' | b'`') {
        return None;
    }
    let close = j - 1;
    let open = b[..close].iter().rposition(|&c| c == q)?;
    (close > open + 1).then_some((open + 1, close))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(line: &str, keyword: &str) -> Option<String> {
        let at = line.find(keyword)?;
        parse(line, at, at + keyword.len(), &[]).map(|a| a.value.to_string())
    }

    #[test]
    fn assignment_forms() {
        let s = "Zq8LmR2vXw9KpT4n";
        for (line, kw) in [
            (format!("DB_PASSWORD := \"{s}\""), "PASSWORD"),
            (format!("DB_PASSWORD ?= \"{s}\""), "PASSWORD"),
            (format!("DB_PASSWORD ::= \"{s}\""), "PASSWORD"),
            (format!("DB_PASSWORD :::= \"{s}\""), "PASSWORD"),
            (format!("$dbPassword .= \"{s}\";"), "Password"),
            (format!("  \"password\" => \"{s}\""), "password"),
            (format!("apiSecret,{s},"), "Secret"),
            (format!("password={s}"), "password"),
            (format!("password: {s}"), "password"),
            (format!("api_key[] = \"{s}\""), "key"),
            (format!("apikey = @\"{s}\""), "key"),
            (format!("some_dict[\"secret\"] = \"{s}\""), "secret"),
            (format!("auth_token \"{s}\";"), "token"),
            (format!("if (\"{s}\" == password) {{"), "password"),
            (format!("return \"{s}\".equals(password);"), "password"),
            (format!("password.eql?(\"{s}\")"), "password"),
            (format!("var dbToken string = \"{s}\""), "Token"),
            (format!("password: str = \"{s}\""), "password"),
            (format!("char apiToken[] = \"{s}\";"), "Token"),
            (format!("<password>{s}</password>"), "password"),
            (format!("<add key=\"ApiSecret\" value=\"{s}\" />"), "Secret"),
            (format!("wget --password={s} https://x"), "password"),
            (format!("sshd --password {s}"), "password"),
            (format!("os.getenv(\"DB_PASSWORD\", \"{s}\")"), "PASSWORD"),
            (format!("process.env.DB_PASSWORD || \"{s}\";"), "PASSWORD"),
            (format!("pw=${{DB_PASSWORD:-{s}}}"), "PASSWORD"),
            (format!("\\\"generic_token\\\": \\\"{s}\\\""), "token"),
            (format!("machine h login u password {s}"), "password"),
            (
                format!("curl -H \"Authorization: Bearer {s}\" https://x"),
                "Authorization",
            ),
            (
                format!("headers = {{\"Authorization\": \"Token {s}\"}}"),
                "Authorization",
            ),
        ] {
            assert_eq!(value(&line, kw).as_deref(), Some(s), "{line}");
        }
    }

    #[test]
    fn not_assignments() {
        for (line, kw) in [
            (
                "The password must be at least 12 characters long.",
                "password",
            ),
            ("theapikeyforfoo := hopenobodyfindsthisone", "apikey"),
            ("fn check_password(p: &str) -> bool {", "password"),
            ("Set SLACK_BOT_TOKEN to the bot token.", "TOKEN"),
            ("</password>", "password"),
        ] {
            assert_eq!(value(line, kw), None, "{line}");
        }
    }
}
