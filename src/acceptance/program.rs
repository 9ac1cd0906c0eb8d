//! Which program a command runs: its first word (after `VAR=value` assignments), resolved on
//! the allowlisted PATH inside the checkout before anything runs.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Shell keywords and builtins `sh` runs itself.
const BUILTINS: &[&str] = &[
    "!", "{", "(", "if", "for", "while", "until", "case", "[[", "cd", "export", "set", "unset",
    "source", ".", "exec", "eval", "test", "[", "true", "false", "echo", "printf", ":", "read",
    "shift", "trap", "umask", "wait", "ulimit", "command", "local", "return", "exit", "alias",
    "type", "hash", "times", "readonly", "pwd", "kill", "getopts", "break", "continue",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    Path(PathBuf),
    Builtin(String),
    /// The first word is computed at run time (`$CC`, a glob): it cannot be resolved ahead.
    Dynamic(String),
}

impl Program {
    /// How it is recorded.
    pub fn describe(&self) -> String {
        match self {
            Program::Path(p) => p.display().to_string(),
            Program::Builtin(name) => format!("sh builtin {name}"),
            Program::Dynamic(word) => format!("unresolved {word}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstWord {
    pub text: String,
    pub dynamic: bool,
    /// A `PATH=…` assignment comes before the program: the shell looks it up elsewhere.
    pub assigns_path: bool,
}

/// The first word of a shell command line, with quotes removed; assignments are skipped.
pub fn first_word(command: &str) -> Option<FirstWord> {
    let mut chars = command.chars().peekable();
    let mut assigns_path = false;
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let first = *chars.peek()?;
        if matches!(first, '(' | '{' | '!') {
            return Some(FirstWord {
                text: first.to_string(),
                dynamic: false,
                assigns_path,
            });
        }
        let mut text = String::new();
        let mut dynamic = false;
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || matches!(c, ';' | '&' | '|' | '<' | '>' | '(' | ')') {
                break;
            }
            chars.next();
            match c {
                '\'' => {
                    quoted = true;
                    for q in chars.by_ref() {
                        if q == '\'' {
                            break;
                        }
                        text.push(q);
                    }
                }
                '"' => {
                    quoted = true;
                    while let Some(q) = chars.next() {
                        match q {
                            '"' => break,
                            '\\' => text.extend(chars.next()),
                            '$' | '`' => {
                                dynamic = true;
                                text.push(q);
                            }
                            _ => text.push(q),
                        }
                    }
                }
                '\\' => text.extend(chars.next()),
                '$' | '`' | '*' | '?' | '[' | '~' if !(c == '[' && text.is_empty()) => {
                    dynamic = true;
                    text.push(c);
                }
                _ => text.push(c),
            }
        }
        if text.is_empty() && !quoted {
            return None;
        }
        if !quoted && is_assignment(&text) {
            assigns_path |= text.starts_with("PATH=");
            continue;
        }
        return Some(FirstWord {
            text,
            dynamic,
            assigns_path,
        });
    }
}

fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Resolves the word on `path` (the commands' PATH), relative paths against `cwd`.
pub fn resolve(word: &FirstWord, path: &OsStr, cwd: &Path) -> Option<Program> {
    if word.dynamic {
        return Some(Program::Dynamic(word.text.clone()));
    }
    if BUILTINS.contains(&word.text.as_str()) {
        return Some(Program::Builtin(word.text.clone()));
    }
    which::which_in(&word.text, Some(path), cwd)
        .ok()
        .map(Program::Path)
}

/// Whether `allowed_programs` admits the program: an entry may name it as written, by file
/// name, or by its resolved absolute path.
pub fn is_allowed(word: &FirstWord, program: &Program, allowed: &[String]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    if word.assigns_path {
        return false;
    }
    // A bare name was found on PATH; a word with a `/` names a file in the checkout, which
    // the change controls, so only the path as written or an absolute path can allow it.
    let looked_up = !word.text.contains('/');
    allowed.iter().any(|entry| match program {
        Program::Path(path) => {
            entry == &word.text
                || Path::new(entry) == path
                || (looked_up && path.file_name().is_some_and(|n| n == OsStr::new(entry)))
        }
        Program::Builtin(name) => entry == name,
        // A program chosen at run time cannot be shown to be on the list.
        Program::Dynamic(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(command: &str) -> Option<(String, bool)> {
        first_word(command).map(|w| (w.text, w.dynamic))
    }

    #[test]
    fn first_words() {
        assert_eq!(word("cargo test --all"), Some(("cargo".into(), false)));
        assert_eq!(
            word("  RUST_LOG=debug X=1 cargo test"),
            Some(("cargo".into(), false))
        );
        assert_eq!(word("'my tool' arg"), Some(("my tool".into(), false)));
        assert_eq!(
            word("./scripts/check.sh&&x"),
            Some(("./scripts/check.sh".into(), false))
        );
        assert_eq!(word("cd web && npm test"), Some(("cd".into(), false)));
        assert_eq!(word("$CC -o x x.c"), Some(("$CC".into(), true)));
        assert_eq!(word("(cd x; make)"), Some(("(".into(), false)));
        assert_eq!(word("[ -f x ]"), Some(("[".into(), false)));
        assert_eq!(word("FOO=1"), None);
        assert_eq!(word("   "), None);
    }

    #[test]
    fn allowed() {
        let w = first_word("cargo test").unwrap();
        let p = Program::Path("/usr/bin/cargo".into());
        assert!(is_allowed(&w, &p, &[]));
        assert!(is_allowed(&w, &p, &["cargo".into()]));
        assert!(is_allowed(&w, &p, &["/usr/bin/cargo".into()]));
        assert!(!is_allowed(&w, &p, &["npm".into()]));
        let d = first_word("$X").unwrap();
        assert!(!is_allowed(
            &d,
            &Program::Dynamic("$X".into()),
            &["$X".into()]
        ));
        // A file of the checkout named like an allowed program is not that program.
        let local = first_word("./tools/npm test").unwrap();
        let p = Program::Path("/tmp/agentguard-run-x/tools/npm".into());
        assert!(!is_allowed(&local, &p, &["npm".into()]));
        assert!(is_allowed(&local, &p, &["./tools/npm".into()]));
        // The shell would look `npm` up on a PATH the command chose.
        let rerouted = first_word("PATH=./x:$PATH npm test").unwrap();
        let p = Program::Path("/usr/bin/npm".into());
        assert!(!is_allowed(&rerouted, &p, &["npm".into()]));
    }

    #[test]
    fn resolves_on_the_given_path() {
        let dir = tempfile::tempdir().unwrap();
        let w = first_word("sh -c true").unwrap();
        assert!(matches!(
            resolve(&w, OsStr::new("/bin:/usr/bin"), dir.path()),
            Some(Program::Path(_))
        ));
        let w = first_word("no-such-program-here").unwrap();
        assert_eq!(resolve(&w, OsStr::new("/bin:/usr/bin"), dir.path()), None);
        let w = first_word("cd x").unwrap();
        assert_eq!(
            resolve(&w, OsStr::new(""), dir.path()),
            Some(Program::Builtin("cd".into()))
        );
    }
}
