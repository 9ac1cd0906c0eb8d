//! The macOS sandbox: a Seatbelt profile for `sandbox-exec`, generated from a run's settings.
//!
//! The profile gives a command what the Linux sandbox gives it: reads and processes as usual;
//! writes only inside its checkout, its private `TMPDIR`, the `writable` paths and a few
//! devices; the user's repository read-only whatever else is allowed; and, when the network
//! is denied, sockets only to loopback and to unix sockets in its own directories.
//!
//! No path is ever written into the profile text: each is passed to `sandbox-exec` as a
//! `-D NAME=path` parameter and named in the profile as `(param "NAME")`, so no character of a
//! path can end its string or add a rule. The few strings the profile does contain are quoted by
//! [`string`]. Generating the profile is pure and platform-independent (tested everywhere);
//! running it is [`exec`], macOS only.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

#[cfg(target_os = "macos")]
pub(super) mod exec;

/// Whether this platform's sandbox is Seatbelt and, if so, whether it works here (`Err`
/// names the cause). `None` off macOS.
#[cfg(target_os = "macos")]
pub(crate) fn available() -> Option<Result<(), String>> {
    Some(exec::probe())
}

/// Whether this platform's sandbox is Seatbelt: not off macOS.
#[cfg(not(target_os = "macos"))]
pub(super) fn available() -> Option<Result<(), String>> {
    None
}

/// Devices a command may open for writing: they store nothing. `/dev/fd/N` reopens a
/// descriptor the command already has (`> /dev/stdout`); `/dev/dtracehelper` is opened by
/// many of Apple's binaries at start.
const DEVICES: [&str; 7] = [
    "/dev/null",
    "/dev/zero",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/dtracehelper",
];
const DESCRIPTORS: &str = "/dev/fd";

/// What one command may do. Paths must be canonical (`/private/var/…`, not `/var/…`):
/// Seatbelt matches the path a name resolves to, so a spelling through a link matches nothing.
#[derive(Debug, Clone, Copy)]
pub(super) struct Settings<'a> {
    /// Where the command runs: always writable, also inside a protected path.
    pub checkout: &'a Path,
    /// Where else it may write (its private `TMPDIR`, the `writable` caches); `None`: anywhere
    /// (`filesystem = "allow"`).
    pub writable: Option<&'a [PathBuf]>,
    /// The user's repository (work trees and git directories): never writable, whatever
    /// `writable` says, except the checkout.
    pub protected: &'a [PathBuf],
    /// No sockets except loopback and unix sockets in the run's own directories.
    pub deny_network: bool,
}

/// A generated profile and the parameters its text refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Profile {
    pub text: String,
    /// Parameter name and path: the checkout, then the writable paths, then the protected.
    pub params: Vec<(String, PathBuf)>,
}

impl Profile {
    /// The options of `sandbox-exec` that apply this profile: `-p <text>` and one
    /// `-D NAME=path` per parameter. The command follows after `--`.
    pub(super) fn args(&self) -> Vec<OsString> {
        let mut args = vec![OsString::from("-p"), OsString::from(&self.text)];
        for (name, path) in &self.params {
            let mut definition = OsString::from(format!("{name}="));
            definition.push(path.as_os_str());
            args.push("-D".into());
            args.push(definition);
        }
        args
    }
}

/// The profile for `settings`. Its text depends only on which settings are on and how many
/// paths there are, never on what the paths say.
pub(super) fn profile(settings: &Settings<'_>) -> Profile {
    let mut params = vec![("CHECKOUT".to_string(), settings.checkout.to_path_buf())];
    let mut text = String::from(
        "(version 1)\n\
         ; agentguard's acceptance sandbox. The last rule that matches an operation decides it.\n\
         ; Reads, processes and everything not named below are allowed, as in the Linux sandbox.\n\
         (allow default)\n",
    );
    // The run's own directories: where it may write, and where its unix sockets may live.
    let mut own = vec![param("CHECKOUT")];
    if let Some(writable) = settings.writable {
        text.push_str("; Writes only where the run needs them.\n(deny file-write*)\n");
        let mut allowed: Vec<String> = DEVICES
            .iter()
            .map(|device| format!("(literal {})", string(device)))
            .collect();
        allowed.push(format!("(subpath {})", string(DESCRIPTORS)));
        for (i, path) in writable.iter().enumerate() {
            let name = format!("WRITABLE_{i}");
            allowed.push(format!("(subpath {})", param(&name)));
            own.push(param(&name));
            params.push((name, path.clone()));
        }
        text.push_str(&rule("allow file-write*", &allowed));
    }
    if !settings.protected.is_empty() {
        text.push_str("; The user's repository is read-only, whatever is allowed above.\n");
        let denied: Vec<String> = settings
            .protected
            .iter()
            .enumerate()
            .map(|(i, path)| {
                let name = format!("PROTECTED_{i}");
                let filter = format!("(subpath {})", param(&name));
                params.push((name, path.clone()));
                filter
            })
            .collect();
        text.push_str(&rule("deny file-write*", &denied));
    }
    text.push_str("; The checkout stays writable, also where it lies inside the repository.\n");
    text.push_str(&rule(
        "allow file-write*",
        &[format!("(subpath {})", param("CHECKOUT"))],
    ));
    if settings.deny_network {
        text.push_str(
            "; No network but loopback (the host's included: Seatbelt has no network namespace)\n\
             ; and unix sockets in the run's own directories.\n\
             (deny network*)\n",
        );
        let localhost = string("localhost:*");
        text.push_str(&rule(
            "allow network-bind",
            &[format!("(local ip {})", string("*:*"))],
        ));
        text.push_str(&rule(
            "allow network-inbound",
            &[format!("(local ip {localhost})")],
        ));
        text.push_str(&rule(
            "allow network-outbound",
            &[format!("(remote ip {localhost})")],
        ));
        let sockets = |side: &str| -> Vec<String> {
            own.iter()
                .map(|dir| format!("({side} unix-socket (subpath {dir}))"))
                .collect()
        };
        text.push_str(&rule("allow network-bind", &sockets("local")));
        text.push_str(&rule("allow network-outbound", &sockets("remote")));
    }
    Profile { text, params }
}

/// `(<head> <filter> …)`, one filter a line.
fn rule(head: &str, filters: &[String]) -> String {
    let mut rule = format!("({head}");
    for filter in filters {
        rule.push_str("\n  ");
        rule.push_str(filter);
    }
    rule.push_str(")\n");
    rule
}

/// `(param "NAME")`.
fn param(name: &str) -> String {
    format!("(param {})", string(name))
}

/// `text` as a profile string literal. Profiles are Scheme: in a string only `\` and `"` are
/// special; every other character, newlines and non-ASCII included, stands for itself.
pub(super) fn string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn paths(list: &[&str]) -> Vec<PathBuf> {
        list.iter().map(PathBuf::from).collect()
    }

    /// Reads the string literal at the start of `text` as a Scheme reader does: its value
    /// and what follows it.
    fn read_string(text: &str) -> Option<(String, &str)> {
        let mut chars = text.strip_prefix('"')?.char_indices();
        let mut value = String::new();
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => return Some((value, &text[at + 2..])),
                '\\' => value.push(chars.next()?.1),
                c => value.push(c),
            }
        }
        None
    }

    /// The strings of a profile, in order, read as a Scheme reader does.
    fn strings(profile: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut rest = profile;
        while let Some(at) = rest.find(['"', ';']) {
            rest = &rest[at..];
            if rest.starts_with(';') {
                rest = rest.split_once('\n').map_or("", |(_, after)| after);
                continue;
            }
            let (value, after) = read_string(rest).expect("a closed string");
            found.push(value);
            rest = after;
        }
        found
    }

    const GOLDEN: &str = r#"(version 1)
; agentguard's acceptance sandbox. The last rule that matches an operation decides it.
; Reads, processes and everything not named below are allowed, as in the Linux sandbox.
(allow default)
; Writes only where the run needs them.
(deny file-write*)
(allow file-write*
  (literal "/dev/null")
  (literal "/dev/zero")
  (literal "/dev/random")
  (literal "/dev/urandom")
  (literal "/dev/tty")
  (literal "/dev/ptmx")
  (literal "/dev/dtracehelper")
  (subpath "/dev/fd")
  (subpath (param "WRITABLE_0"))
  (subpath (param "WRITABLE_1")))
; The user's repository is read-only, whatever is allowed above.
(deny file-write*
  (subpath (param "PROTECTED_0"))
  (subpath (param "PROTECTED_1")))
; The checkout stays writable, also where it lies inside the repository.
(allow file-write*
  (subpath (param "CHECKOUT")))
; No network but loopback (the host's included: Seatbelt has no network namespace)
; and unix sockets in the run's own directories.
(deny network*)
(allow network-bind
  (local ip "*:*"))
(allow network-inbound
  (local ip "localhost:*"))
(allow network-outbound
  (remote ip "localhost:*"))
(allow network-bind
  (local unix-socket (subpath (param "CHECKOUT")))
  (local unix-socket (subpath (param "WRITABLE_0")))
  (local unix-socket (subpath (param "WRITABLE_1"))))
(allow network-outbound
  (remote unix-socket (subpath (param "CHECKOUT")))
  (remote unix-socket (subpath (param "WRITABLE_0")))
  (remote unix-socket (subpath (param "WRITABLE_1"))))
"#;

    fn full() -> Profile {
        let writable = paths(&[
            "/private/var/folders/x/T/agentguard-tmp-1",
            "/Users/me/.cargo",
        ]);
        let protected = paths(&["/Users/me/repo", "/Users/me/repo.git"]);
        profile(&Settings {
            checkout: Path::new("/private/var/folders/x/T/agentguard-run-1"),
            writable: Some(&writable),
            protected: &protected,
            deny_network: true,
        })
    }

    #[test]
    fn the_full_profile() {
        let profile = full();
        assert_eq!(profile.text, GOLDEN);
        let params: Vec<(&str, &str)> = profile
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_str().unwrap()))
            .collect();
        assert_eq!(
            params,
            [
                ("CHECKOUT", "/private/var/folders/x/T/agentguard-run-1"),
                ("WRITABLE_0", "/private/var/folders/x/T/agentguard-tmp-1"),
                ("WRITABLE_1", "/Users/me/.cargo"),
                ("PROTECTED_0", "/Users/me/repo"),
                ("PROTECTED_1", "/Users/me/repo.git"),
            ]
        );
    }

    #[test]
    fn every_parameter_the_text_names_is_passed_and_no_other() {
        for deny_network in [true, false] {
            for writable in [None, Some(paths(&["/w"]))] {
                for protected in [paths(&[]), paths(&["/p", "/q"])] {
                    let profile = profile(&Settings {
                        checkout: Path::new("/c"),
                        writable: writable.as_deref(),
                        protected: &protected,
                        deny_network,
                    });
                    let mut named: Vec<&str> = profile
                        .text
                        .match_indices("(param \"")
                        .map(|(at, m)| {
                            let rest = &profile.text[at + m.len()..];
                            &rest[..rest.find('"').unwrap()]
                        })
                        .collect();
                    named.sort_unstable();
                    named.dedup();
                    let mut passed: Vec<&str> =
                        profile.params.iter().map(|(k, _)| k.as_str()).collect();
                    passed.sort_unstable();
                    assert_eq!(named, passed, "{}", profile.text);
                }
            }
        }
    }

    #[test]
    fn allowed_writes_leave_out_the_write_rules_but_keep_the_repository_read_only() {
        let protected = paths(&["/Users/me/repo"]);
        let profile = profile(&Settings {
            checkout: Path::new("/Users/me/repo/.git/agentguard/worktrees/reuse"),
            writable: None,
            protected: &protected,
            deny_network: false,
        });
        assert!(!profile.text.contains("(deny file-write*)\n"));
        assert!(!profile.text.contains("/dev/"));
        let deny = profile
            .text
            .find("(deny file-write*\n  (subpath (param \"PROTECTED_0\")))");
        let allow = profile
            .text
            .find("(allow file-write*\n  (subpath (param \"CHECKOUT\")))");
        assert!(
            deny.unwrap() < allow.unwrap(),
            "the checkout is allowed last"
        );
    }

    #[test]
    fn an_allowed_network_has_no_network_rules() {
        let profile = profile(&Settings {
            checkout: Path::new("/c"),
            writable: Some(&[]),
            protected: &[],
            deny_network: false,
        });
        assert!(!profile.text.contains("network"), "{}", profile.text);
        assert!(!profile.text.contains("PROTECTED"));
        assert!(profile.text.contains("(deny file-write*)\n"));
    }

    #[test]
    fn a_denied_network_keeps_loopback_and_the_runs_own_sockets_only() {
        let writable = paths(&["/t"]);
        let profile = profile(&Settings {
            checkout: Path::new("/c"),
            writable: Some(&writable),
            protected: &[],
            deny_network: true,
        });
        let text = &profile.text;
        let deny = text.find("(deny network*)").unwrap();
        // Every network rule after the deny allows, and only loopback or the run's sockets.
        for line in text[deny..].lines().skip(1) {
            let line = line.trim();
            assert!(
                line.starts_with("(allow network-")
                    || line == "(local ip \"*:*\"))"
                    || line.contains("ip \"localhost:*\"")
                    || line.contains("unix-socket (subpath (param \"CHECKOUT\"))")
                    || line.contains("unix-socket (subpath (param \"WRITABLE_0\"))"),
                "{line}"
            );
        }
        assert!(!text.contains("(allow network*"), "no blanket allow");
        assert!(!text.contains("(remote ip \"*:*\")"));
    }

    #[test]
    fn hostile_paths_change_the_parameters_never_the_text() {
        let hostile = [
            "/Users/me/my repo",
            "/tmp/\"quoted\"",
            "/tmp/back\\slash",
            "/tmp/x\")) (allow default) (allow network* (remote ip \"*:*\")) (\"",
            "/tmp/new\nline",
            "/Users/zoë/仓库/🦀",
            "/tmp/; comment",
            "/tmp/a=b",
        ];
        let plain: Vec<PathBuf> = (0..hostile.len())
            .map(|i| PathBuf::from(format!("/p{i}")))
            .collect();
        let hostile: Vec<PathBuf> = paths(&hostile);
        let settings = |list: &[PathBuf]| {
            profile(&Settings {
                checkout: &list[0],
                writable: Some(&list[1..4]),
                protected: &list[4..],
                deny_network: true,
            })
        };
        let (safe, attacked) = (settings(&plain), settings(&hostile));
        assert_eq!(safe.text, attacked.text);
        for path in &hostile {
            let text = path.to_str().unwrap();
            assert!(!attacked.text.contains(text), "{text} is in the text");
        }
        // Each path reaches sandbox-exec whole, as its own argument after `NAME=`.
        let args = attacked.args();
        assert_eq!(args[0], "-p");
        assert_eq!(args[1], OsString::from(&attacked.text));
        for (i, (name, path)) in attacked.params.iter().enumerate() {
            assert_eq!(args[2 + 2 * i], "-D");
            let mut expected = OsString::from(format!("{name}="));
            expected.push(path);
            assert_eq!(args[3 + 2 * i], expected);
        }
        assert_eq!(args.len(), 2 + 2 * hostile.len());
    }

    #[test]
    fn the_profiles_strings_are_only_devices_parameter_names_and_addresses() {
        let profile = full();
        let strings = strings(&profile.text);
        for value in &strings {
            assert!(
                value.starts_with("/dev/")
                    || value
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                    || value == "*:*"
                    || value == "localhost:*",
                "{value:?}"
            );
        }
        assert!(strings.contains(&"PROTECTED_1".to_string()));
    }

    #[test]
    fn quoting_escapes_what_would_end_the_string() {
        assert_eq!(string("/dev/null"), r#""/dev/null""#);
        assert_eq!(string(r#"a"b"#), r#""a\"b""#);
        assert_eq!(string(r"a\b"), r#""a\\b""#);
        assert_eq!(string(r#"\""#), r#""\\\"""#);
        assert_eq!(string("zoë 仓库\n"), "\"zoë 仓库\n\"");
        assert_eq!(string(""), r#""""#);
    }

    proptest! {
        #[test]
        fn a_quoted_string_reads_back_whole_and_ends_where_it_should(text in any::<String>()) {
            let quoted = string(&text);
            let followed = format!("{quoted}) (allow default)");
            let (value, rest) = read_string(&followed).expect("closed");
            prop_assert_eq!(value, text);
            prop_assert_eq!(rest, ") (allow default)");
        }
    }
}
