//! `.gitmodules`: git's config syntax, read as far as submodules need it (each
//! `[submodule "<name>"]` section's `path`, `url` and `update`), and the rules git applies to
//! those values before it acts on them.

/// One `[submodule "<name>"]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Submodule {
    pub(crate) name: String,
    pub(crate) path: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) update: Option<String>,
}

/// The submodules a `.gitmodules` text defines, in order; later values of a key win, as in
/// git. `Err` says why git could not read it.
pub(crate) fn parse(text: &str) -> Result<Vec<Submodule>, String> {
    let mut out: Vec<Submodule> = Vec::new();
    // The section being read: `Some(index)` inside `[submodule "…"]`, `None` elsewhere.
    let mut current: Option<usize> = None;
    for (number, raw) in logical_lines(text).into_iter().enumerate() {
        let mut line = raw.trim();
        if line.starts_with('[') {
            let close = header_end(line)
                .ok_or_else(|| format!("line {}: unterminated section header", number + 1))?;
            let (section, subsection) = section_name(&line[1..close])
                .ok_or_else(|| format!("line {}: malformed section header", number + 1))?;
            current = match (section.eq_ignore_ascii_case("submodule"), subsection) {
                (true, Some(name)) => match out.iter().position(|s| s.name == name) {
                    Some(index) => Some(index),
                    None => {
                        out.push(Submodule {
                            name,
                            ..Submodule::default()
                        });
                        Some(out.len() - 1)
                    }
                },
                _ => None,
            };
            line = line[close + 1..].trim();
        }
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((key, value)) => (key.trim(), Some(value_of(value)?)),
            None => (line, None),
        };
        if key.is_empty()
            || !key.starts_with(|c: char| c.is_ascii_alphabetic())
            || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(format!("line {}: malformed key `{key}`", number + 1));
        }
        let Some(index) = current else { continue };
        let slot = match key.to_ascii_lowercase().as_str() {
            "path" => &mut out[index].path,
            "url" => &mut out[index].url,
            "update" => &mut out[index].update,
            _ => continue,
        };
        *slot = Some(value.unwrap_or_default());
    }
    Ok(out)
}

/// Lines with backslash-newline continuations joined.
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut pending = String::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        match line.strip_suffix('\\') {
            Some(start) if !start.ends_with('\\') => pending.push_str(start),
            _ => {
                pending.push_str(line);
                lines.push(std::mem::take(&mut pending));
            }
        }
    }
    if !pending.is_empty() {
        lines.push(pending);
    }
    lines
}

/// The index of the `]` that closes a header, skipping a quoted subsection.
fn header_end(line: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ']' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// `submodule "name"` (or the old `submodule.name`) as (section, subsection).
fn section_name(header: &str) -> Option<(String, Option<String>)> {
    let header = header.trim();
    if let Some((section, rest)) = header.split_once(char::is_whitespace) {
        let rest = rest.trim();
        let inner = rest.strip_prefix('"')?.strip_suffix('"')?;
        let mut name = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => name.push(chars.next()?),
                '"' => return None,
                c => name.push(c),
            }
        }
        return Some((section.to_string(), Some(name)));
    }
    match header.split_once('.') {
        Some((section, name)) => Some((section.to_string(), Some(name.to_ascii_lowercase()))),
        None => Some((header.to_string(), None)),
    }
}

/// A value as git reads it: quotes removed, escapes decoded, a comment outside quotes cut.
fn value_of(raw: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut quoted = false;
    let mut chars = raw.trim().chars();
    let mut trailing_space = 0;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                trailing_space = 0;
            }
            '\\' => {
                let escaped = match chars.next() {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('b') => '\u{8}',
                    Some(c @ ('"' | '\\')) => c,
                    Some(c) => return Err(format!("unknown escape `\\{c}` in a value")),
                    None => return Err("a value ends in `\\`".into()),
                };
                out.push(escaped);
                trailing_space = 0;
            }
            '#' | ';' if !quoted => break,
            c if c.is_whitespace() && !quoted => {
                out.push(c);
                trailing_space += c.len_utf8();
            }
            c => {
                out.push(c);
                trailing_space = 0;
            }
        }
    }
    if quoted {
        return Err("a value has an unterminated quote".into());
    }
    out.truncate(out.len() - trailing_space);
    Ok(out)
}

/// git's `check_submodule_name`: not empty, and no `..` component (with `/` or `\` between
/// components), which would place the submodule's git directory outside `.git/modules`.
pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.split(['/', '\\']).any(|c| c == "..")
}

/// git's `check_submodule_url`, in substance: not an option, no newline once URL-decoded,
/// and a relative URL must not climb out into the host part.
pub(crate) fn is_valid_url(url: &str) -> bool {
    if url.starts_with('-') || url.chars().any(char::is_control) {
        return false;
    }
    if percent_decoded(url).contains(&b'\n') {
        return false;
    }
    let mut rest = url;
    let mut climbed = false;
    while let Some(after) = rest.strip_prefix("../") {
        rest = after;
        climbed = true;
    }
    if let Some(after) = rest.strip_prefix("./") {
        rest = after;
    }
    !(climbed && rest.starts_with([':', '/']))
}

fn percent_decoded(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            ) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_keys_and_quoting_as_git_does() {
        let text = "# modules\n[submodule \"lib\"]\n\tpath = vendor/lib\n\tURL = \"https://example.com/a b.git\" ; old\n[core]\n\turl = ignored\n[submodule \"we\\\"ird\"]\n\turl = https://x/\\\n y.git\n";
        let parsed = parse(text).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].path.as_deref(), Some("vendor/lib"));
        assert_eq!(
            parsed[0].url.as_deref(),
            Some("https://example.com/a b.git")
        );
        assert_eq!(parsed[1].name, "we\"ird");
        assert_eq!(parsed[1].url.as_deref(), Some("https://x/ y.git"));
    }

    #[test]
    fn malformed_files_are_errors() {
        assert!(parse("[submodule \"x\"\n").is_err());
        assert!(parse("[submodule \"x\"]\nurl = \"open\n").is_err());
        assert!(parse("[submodule \"x\"]\n= value\n").is_err());
    }

    #[test]
    fn names_and_urls_git_refuses() {
        assert!(is_valid_name("lib"));
        assert!(is_valid_name("a..b/c"));
        for bad in ["", "..", "../x", "a/../b", "a\\..\\b"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
        for good in [
            "https://example.com/a.git",
            "../sibling.git",
            "./x",
            "git@host:a/b",
        ] {
            assert!(is_valid_url(good), "{good}");
        }
        for bad in ["-u", "https://x/%0aevil", "../../:x", "..//x", "a\nb"] {
            assert!(!is_valid_url(bad), "{bad}");
        }
    }
}
