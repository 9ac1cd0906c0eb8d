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
pub(super) enum Program {
    Path(PathBuf),
    Builtin(String),
    /// The first word is computed at run time (`$CC`, a glob): it cannot be resolved ahead.
    Dynamic(String),
}

impl Program {
    /// How it is recorded.
    pub(super) fn describe(&self) -> String {
        match self {
            Program::Path(p) => p.display().to_string(),
            Program::Builtin(name) => format!("sh builtin {name}"),
            Program::Dynamic(word) => format!("unresolved {word}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FirstWord {
    pub text: String,
    pub dynamic: bool,
    /// A `PATH=…` assignment comes before the program: the shell looks it up elsewhere.
    pub assigns_path: bool,
}

/// The first word of a shell command line, with quotes removed; assignments are skipped.
pub(super) fn first_word(command: &str) -> Option<FirstWord> {
    let mut chars = command.chars().peekable();
    let mut assigns_path = false;
    loop {
        while chars.peek().is_some_and(|&c| is_shell_blank(c)) {
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
        // `NAME=` written before any quote: an assignment, whatever its value is quoted with.
        let mut assignment = false;
        while let Some(&c) = chars.peek() {
            if is_shell_blank(c) || matches!(c, ';' | '&' | '|' | '<' | '>' | '(' | ')') {
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
                '=' if !quoted && !assignment && is_name(&text) => {
                    assignment = true;
                    text.push(c);
                }
                _ => text.push(c),
            }
        }
        if text.is_empty() && !quoted {
            return None;
        }
        if assignment {
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

/// The shell splits words at these only; a no-break space is part of a word to `sh`.
fn is_shell_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n')
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Resolves the word on `path` (the commands' PATH), relative paths against `cwd`.
pub(super) fn resolve(word: &FirstWord, path: &OsStr, cwd: &Path) -> Option<Program> {
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
pub(super) fn is_allowed(
    word: &FirstWord,
    program: &Program,
    allowed: &[String],
    checkout: &Path,
) -> bool {
    if allowed.is_empty() {
        return true;
    }
    if word.assigns_path {
        return false;
    }
    // A word with a `/` names a file the change controls: only that path as written, or its
    // absolute path, allows it. A bare name allows what PATH found, unless a relative PATH
    // entry led into the checkout.
    let as_written = word.text.contains('/');
    allowed.iter().any(|entry| match program {
        Program::Path(path) => {
            Path::new(entry) == path
                || (as_written && entry == &word.text)
                || (!as_written
                    && !path.starts_with(checkout)
                    && (entry == &word.text
                        || path.file_name().is_some_and(|n| n == OsStr::new(entry))))
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
    fn words_split_only_where_the_shell_splits() {
        // A no-break space does not end a word for `sh`.
        assert_eq!(
            word("cargo\u{a0}/x test"),
            Some(("cargo\u{a0}/x".into(), false))
        );
        assert_eq!(
            word("RUSTFLAGS=\"-D warnings\" cargo test"),
            Some(("cargo".into(), false))
        );
        assert_eq!(word("\"A=b\" cargo"), Some(("A=b".into(), false)));
        let w = first_word("PATH=./x:$PATH npm test").unwrap();
        assert!(w.assigns_path);
    }

    #[test]
    fn a_bare_name_found_inside_the_checkout_is_not_the_allowed_program() {
        let checkout = Path::new("/tmp/agentguard-run-x");
        let w = first_word("npm test").unwrap();
        let inside = Program::Path(checkout.join("node_modules/.bin/npm"));
        assert!(!is_allowed(&w, &inside, &["npm".into()], checkout));
        let outside = Program::Path("/usr/bin/npm".into());
        assert!(is_allowed(&w, &outside, &["npm".into()], checkout));
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
        let checkout = Path::new("/tmp/agentguard-run-x");
        let w = first_word("cargo test").unwrap();
        let p = Program::Path("/usr/bin/cargo".into());
        assert!(is_allowed(&w, &p, &[], checkout));
        assert!(is_allowed(&w, &p, &["cargo".into()], checkout));
        assert!(is_allowed(&w, &p, &["/usr/bin/cargo".into()], checkout));
        assert!(!is_allowed(&w, &p, &["npm".into()], checkout));
        let d = first_word("$X").unwrap();
        assert!(!is_allowed(
            &d,
            &Program::Dynamic("$X".into()),
            &["$X".into()],
            checkout
        ));
        // A file of the checkout named like an allowed program is not that program.
        let local = first_word("./tools/npm test").unwrap();
        let p = Program::Path("/tmp/agentguard-run-x/tools/npm".into());
        assert!(!is_allowed(&local, &p, &["npm".into()], checkout));
        assert!(is_allowed(&local, &p, &["./tools/npm".into()], checkout));
        // The shell would look `npm` up on a PATH the command chose.
        let rerouted = first_word("PATH=./x:$PATH npm test").unwrap();
        let p = Program::Path("/usr/bin/npm".into());
        assert!(!is_allowed(&rerouted, &p, &["npm".into()], checkout));
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
