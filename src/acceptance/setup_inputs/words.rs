//! Command lines and paths as `sh` and the package managers read them.

/// Whether a program name is a Python interpreter (`python`, `python3.12`, `pypy3`).
pub(super) fn is_python(name: &str) -> bool {
    let rest = name
        .strip_prefix("python")
        .or_else(|| name.strip_prefix("pypy"));
    rest.is_some_and(|r| r.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// A pip argument that names a local package or file: a path (`.`, `./pkg`, `pkg/`,
/// `dist/x.whl`) or a relative `file:` URL; not a requirement such as `requests>=2`.
pub(super) fn local_path(cwd: &str, spec: &str) -> Option<String> {
    let spec = spec.trim();
    let spec = spec.strip_prefix("file:").unwrap_or(spec);
    if spec.starts_with("//") || spec.contains("://") {
        return None;
    }
    let looks_local = spec == "."
        || spec.starts_with("./")
        || spec.starts_with("../")
        || spec.contains('/')
        || [".whl", ".tar.gz", ".zip", ".tgz"]
            .iter()
            .any(|ext| spec.ends_with(ext));
    if !looks_local {
        return None;
    }
    normalize(cwd, spec)
}

/// `path` relative to `base` as a tree path ("" for the root); `None` for what lies outside
/// the tree (absolute paths, `~`, variables, URLs, `..` above the root).
pub(super) fn normalize(base: &str, path: &str) -> Option<String> {
    let path = path.trim().trim_matches(['"', '\'']);
    if path.starts_with(['/', '~', '$']) || path.contains("://") || path.contains(['\0', '`']) {
        return None;
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

pub(super) fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

pub(super) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The directory part of a glob before its first wildcard (`packages/*` -> `packages`).
pub(super) fn glob_prefix(glob: &str) -> String {
    let cut = glob.find(['*', '?', '[', '{']).unwrap_or(glob.len());
    let head = &glob[..cut];
    if cut == glob.len() {
        head.trim_end_matches('/').to_string()
    } else {
        parent(head).to_string()
    }
}

pub(super) fn strings(value: &toml::Value) -> Vec<String> {
    match value {
        toml::Value::String(s) => vec![s.clone()],
        toml::Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Lines with backslash continuations joined.
pub(super) fn joined_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                lines.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The contents of every `"…"` and `'…'` in `text`, and every bare word with a `/` or a
/// file extension: the names a script may pass to what it runs.
pub(super) fn quoted_strings(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for quote in ['"', '\''] {
        let mut parts = text.split(quote);
        parts.next();
        while let Some(inside) = parts.next() {
            if !inside.contains('\n') && inside.len() < 256 {
                found.push(inside.to_string());
            }
            parts.next();
        }
    }
    for word in text.split(|c: char| c.is_whitespace() || "\"'(),;=[]{}<>|&`".contains(c)) {
        if word.len() < 256 && (word.contains('/') || word.contains('.')) && !word.contains("...") {
            found.push(word.to_string());
        }
    }
    found.sort();
    found.dedup();
    found
}

/// A command line split where `sh` would end a simple command (`;`, `&&`, `||`, `|`, `&`,
/// newlines, parentheses), each into words with quotes removed.
pub(super) fn segments(line: &str) -> Vec<Vec<String>> {
    let mut segments = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let end_word = |words: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            ';' | '&' | '|' | '\n' | '(' | ')' | '`' => {
                end_word(&mut words, &mut word, &mut in_word);
                if !words.is_empty() {
                    segments.push(std::mem::take(&mut words));
                }
            }
            '#' if !in_word => {
                // A comment runs to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                end_word(&mut words, &mut word, &mut in_word);
                if !words.is_empty() {
                    segments.push(std::mem::take(&mut words));
                }
            }
            c if c.is_whitespace() => end_word(&mut words, &mut word, &mut in_word),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    end_word(&mut words, &mut word, &mut in_word);
    if !words.is_empty() {
        segments.push(words);
    }
    segments
}

/// The words of a simple command from its program on: `VAR=value` assignments and wrappers
/// (`env`, `sudo`, `time`, `exec`, …) with their options dropped.
pub(super) fn strip_prefixes(words: &[String]) -> Vec<String> {
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        let name = word.rsplit('/').next().unwrap_or(word);
        if word.contains('=') && !word.starts_with('-') && !word.starts_with('=') {
            i += 1;
        } else if matches!(
            name,
            "env"
                | "sudo"
                | "time"
                | "nice"
                | "exec"
                | "command"
                | "nohup"
                | "xargs"
                | "then"
                | "do"
                | "else"
                | "if"
                | "while"
                | "until"
                | "!"
        ) {
            i += 1;
            while i < words.len() && words[i].starts_with('-') {
                i += 1;
            }
        } else {
            break;
        }
    }
    words[i..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_as_sh_splits_them() {
        assert_eq!(
            segments("FOO=1 sh -c 'pip install -r r.txt' && cd web; npm ci # note"),
            vec![
                vec![
                    "FOO=1".to_string(),
                    "sh".into(),
                    "-c".into(),
                    "pip install -r r.txt".into()
                ],
                vec!["cd".into(), "web".into()],
                vec!["npm".into(), "ci".into()],
            ]
        );
        assert_eq!(normalize("a/b", "../c/./d/"), Some("a/c/d".into()));
        assert_eq!(normalize("", "../x"), None);
        assert_eq!(normalize("", "/etc/passwd"), None);
        assert_eq!(glob_prefix("packages/*"), "packages");
        assert_eq!(glob_prefix("crates/core"), "crates/core");
        assert!(is_python("python3.12") && !is_python("pythonista"));
    }
}
