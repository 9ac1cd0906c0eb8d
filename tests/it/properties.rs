//! Property tests for the invariants agentguard promises: trailer layers only narrow scope,
//! the fingerprint follows every changed blob, and redaction never shows a secret.

use agentguard::internals::diff::{self, Change, Entry, Side, Status};
use agentguard::internals::policy::{Policy, PolicySource, DEFAULT_POLICY};
use agentguard::internals::repo::Repo;
use agentguard::internals::risk;
use agentguard::internals::task::{self, AgentTrailers};
use agentguard::internals::trailers;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use std::collections::{BTreeMap, BTreeSet};

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

// --- layers only narrow -----------------------------------------------------------------

const COMPONENTS: &[&str] = &[
    "src",
    "docs",
    "secrets",
    "Secrets",
    "api",
    "a",
    "lib.rs",
    "key.pem",
    "README.md",
    ".env",
];

const GLOB_PARTS: &[&str] = &[
    "src", "docs", "secrets", "api", "a", "*", "**", "*.rs", "*.pem", "?", "[a-s]*", ".env",
];

fn repo_path() -> impl Strategy<Value = String> {
    prop::collection::vec(select(COMPONENTS), 1..4).prop_map(|c| c.join("/"))
}

fn glob() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(select(GLOB_PARTS), 1..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(parts, anchored, directory)| {
            let mut glob = parts.join("/");
            if anchored {
                glob.insert(0, '/');
            }
            if directory {
                glob.push('/');
            }
            glob
        })
}

/// Trailer globs may be bad too: a bad one must not widen anything.
fn trailer_glob() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => glob(),
        1 => select(&["[", "!src/**", "../x", "src/[a"][..]).prop_map(str::to_string),
    ]
}

fn globs(item: impl Strategy<Value = String>) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(item, 0..4)
}

/// Added files, and renames (judged at both ends).
fn entries() -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec((repo_path(), prop::option::of(repo_path())), 1..6).prop_map(|items| {
        items
            .into_iter()
            .map(|(path, from)| {
                let side = |p: &str| Side {
                    path: p.as_bytes().to_vec(),
                    mode: 0o100644,
                    oid: git2::Oid::zero(),
                };
                Entry {
                    status: if from.is_some() {
                        Status::Renamed
                    } else {
                        Status::Added
                    },
                    old: from.as_deref().map(side),
                    new: Some(side(&path)),
                    symlink: None,
                }
            })
            .collect()
    })
}

fn blocked_paths(change: &Change, task: &task::Task) -> BTreeSet<String> {
    agentguard::internals::scope::check(change, &task.layers)
        .into_iter()
        .filter_map(|f| f.path)
        .collect()
}

#[test]
fn trailer_layers_never_unblock_a_path() {
    let dir = tempfile::tempdir().unwrap();
    git2::Repository::init(dir.path()).unwrap();
    let repo = Repo::open(dir.path()).unwrap();
    let strategy = (
        globs(glob()),
        globs(glob()),
        globs(trailer_glob()),
        globs(trailer_glob()),
        entries(),
    );
    runner(256)
        .run(
            &strategy,
            |(allow, deny, trailer_allow, trailer_deny, entries)| {
                let text = format!("[scope]\nallow = {allow:?}\ndeny = {deny:?}\n");
                let policy = Policy::parse(&text, ".agentguard.toml", PolicySource::DefaultNoBase)
                    .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
                let change = Change {
                    tree: git2::Oid::zero(),
                    fingerprint: diff::fingerprint(&entries),
                    entries,
                    malformed: Vec::new(),
                    submodules: Vec::new(),
                };
                let mut globs = task::TrailerGlobs::default();
                let (plain, _) =
                    task::assemble(&repo, &policy, None, &AgentTrailers::default(), &mut globs)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                // The trailers go through the real parser, as a commit message carries them.
                let mut message = String::from("Work\n\nAgent-Task: T-1\n");
                for glob in &trailer_allow {
                    message.push_str(&format!("Agent-Allow: {glob}\n"));
                }
                for glob in &trailer_deny {
                    message.push_str(&format!("Agent-Deny: {glob}\n"));
                }
                let trailers = AgentTrailers::from_trailers(&trailers::parse(&message, "#"));
                let (narrowed, _) = task::assemble(&repo, &policy, None, &trailers, &mut globs)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let before = blocked_paths(&change, &plain);
                let after = blocked_paths(&change, &narrowed);
                prop_assert!(
                    before.is_subset(&after),
                    "unblocked by trailers: {:?}",
                    before.difference(&after).collect::<Vec<_>>()
                );
                Ok(())
            },
        )
        .unwrap();
}

// --- the fingerprint follows every changed blob ----------------------------------------

fn oid() -> impl Strategy<Value = git2::Oid> {
    any::<[u8; 20]>().prop_map(|bytes| git2::Oid::from_bytes(&bytes).unwrap())
}

fn side() -> impl Strategy<Value = Side> {
    (
        repo_path(),
        select(&[0o100644u32, 0o100755, 0o120000][..]),
        oid(),
    )
        .prop_map(|(path, mode, oid)| Side {
            path: path.into_bytes(),
            mode,
            oid,
        })
}

fn any_entry() -> impl Strategy<Value = Entry> {
    (
        select(
            &[
                Status::Added,
                Status::Deleted,
                Status::Modified,
                Status::Renamed,
            ][..],
        ),
        side(),
        side(),
    )
        .prop_map(|(status, old, new)| Entry {
            status,
            old: (status != Status::Added).then_some(old),
            new: (status != Status::Deleted).then_some(new),
            symlink: None,
        })
}

#[test]
fn fingerprint_changes_with_any_blob_and_ignores_order() {
    let strategy = (
        prop::collection::vec(any_entry(), 1..8),
        any::<prop::sample::Index>(),
        oid(),
    );
    runner(256)
        .run(&strategy, |(entries, which, other)| {
            let print = diff::fingerprint(&entries);
            let mut reversed = entries.clone();
            reversed.reverse();
            prop_assert_eq!(&diff::fingerprint(&reversed), &print);

            let mut edited = entries.clone();
            let entry = which.get_mut(&mut edited);
            let side = entry.new.as_mut().or(entry.old.as_mut()).unwrap();
            prop_assume!(side.oid != other);
            side.oid = other;
            prop_assert_ne!(diff::fingerprint(&edited), print);
            Ok(())
        })
        .unwrap();
}

const FILES: &[&str] = &["a.txt", "src/lib.rs", "src/api/v1.rs", "docs/guide.md", "b"];

fn write_tree(git: &git2::Repository, files: &BTreeMap<&str, Vec<u8>>) -> git2::Oid {
    let mut index = git2::Index::new().unwrap();
    for (path, content) in files {
        let blob = git.blob(content).unwrap();
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: 0,
            id: blob,
            flags: 0,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        index.add(&entry).unwrap();
    }
    index.write_tree_to(git).unwrap()
}

fn commit<'r>(
    git: &'r git2::Repository,
    tree: git2::Oid,
    parent: Option<&git2::Commit<'r>>,
) -> git2::Commit<'r> {
    let sig = git2::Signature::new("T", "t@example.com", &git2::Time::new(0, 0)).unwrap();
    let tree = git.find_tree(tree).unwrap();
    let parents: Vec<&git2::Commit<'_>> = parent.into_iter().collect();
    let id = git.commit(None, &sig, &sig, "m", &tree, &parents).unwrap();
    git.find_commit(id).unwrap()
}

fn fingerprint_over(
    repo: &Repo,
    base: &BTreeMap<&str, Vec<u8>>,
    files: &BTreeMap<&str, Vec<u8>>,
) -> String {
    let git = repo.git();
    let base = commit(git, write_tree(git, base), None);
    let head = commit(git, write_tree(git, files), Some(&base));
    Change::of_commit(repo, &head, Some(&base))
        .unwrap()
        .fingerprint
}

#[test]
fn fingerprint_of_a_commit_follows_its_blobs() {
    let dir = tempfile::tempdir().unwrap();
    git2::Repository::init(dir.path()).unwrap();
    let repo = Repo::open(dir.path()).unwrap();
    let content = || prop::collection::vec(any::<u8>(), 0..32);
    let strategy = (
        prop::collection::btree_map(select(FILES), content(), 0..5),
        prop::collection::btree_map(select(FILES), content(), 1..4),
        any::<prop::sample::Index>(),
        content(),
    );
    runner(32)
        .run(&strategy, |(base, changes, which, unrelated)| {
            let mut files = base.clone();
            files.extend(changes.clone());
            let print = fingerprint_over(&repo, &base, &files);

            // Any changed file's content differs: a different fingerprint.
            let (path, old) = changes.iter().nth(which.index(changes.len())).unwrap();
            let mut edited = files.clone();
            let mut new = old.clone();
            new.push(b'!');
            edited.insert(*path, new);
            prop_assert_ne!(fingerprint_over(&repo, &base, &edited), print.clone());

            // A base that differs only in a file the change leaves alone: the same one.
            let mut moved_base = base.clone();
            moved_base.insert("untouched/other.txt", unrelated.clone());
            let mut moved = files.clone();
            moved.insert("untouched/other.txt", unrelated);
            prop_assert_eq!(fingerprint_over(&repo, &moved_base, &moved), print);
            Ok(())
        })
        .unwrap();
}

// --- redaction never shows a secret -----------------------------------------------------

fn chars(alphabet: &'static str, len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = alphabet.chars().collect();
    prop::collection::vec(select(alphabet), len).prop_map(|c| c.into_iter().collect())
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// (text to embed, the secret parts that must never be shown).
fn secret() -> impl Strategy<Value = (String, Vec<String>)> {
    let token = |prefix: &'static str, alphabet: &'static str, len: usize| {
        chars(alphabet, len..len + 1).prop_map(move |body| {
            let token = format!("{prefix}{body}");
            (token.clone(), vec![token])
        })
    };
    prop_oneof![
        token("AKIA", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
        token("ghp_", ALNUM, 36),
        token("glpat-", ALNUM, 20),
        token("sk_live_", ALNUM, 24),
        token("npm_", ALNUM, 36),
        (chars("0123456789", 8..15), chars(ALNUM, 24..25)).prop_map(|(team, body)| {
            let token = format!("xoxb-{team}-{body}");
            (token.clone(), vec![token])
        }),
        (
            select(&["RSA ", "EC ", "OPENSSH ", ""][..]),
            prop::collection::vec(chars(BASE64, 64..65), 2..6)
        )
            .prop_map(|(kind, body)| {
                let block = format!(
                    "-----BEGIN {kind}PRIVATE KEY-----\n{}\n-----END {kind}PRIVATE KEY-----",
                    body.join("\n")
                );
                (block, body)
            }),
        chars(ALNUM, 12..24).prop_map(|password| {
            (
                format!("postgres://app:{password}@db.internal:5432/app"),
                vec![password],
            )
        }),
        chars(ALNUM, 20..40).prop_map(|value| (format!("api_key = \"{value}\""), vec![value])),
    ]
}

/// Text around a secret, kept apart from it by a separator as in real files.
fn surrounding() -> impl Strategy<Value = String> {
    chars("abcdefghijklmnopqrstuvwxyz XYZ=:;,.()[]{}\"'#-_\n\t", 0..40)
}

#[test]
fn redaction_never_shows_a_secret() {
    let policy = risk::CompiledPolicy::new(
        Policy::parse(DEFAULT_POLICY, "default", PolicySource::DefaultNoBase).unwrap(),
    );
    let strategy = (
        surrounding(),
        select(&[" ", "\n", "\t", " = ", ": "][..]),
        secret(),
        select(&[" ", "\n", "\t", ";\n"][..]),
        surrounding(),
    );
    runner(512)
        .run(&strategy, |(before, open, (text, parts), close, after)| {
            for part in &parts {
                prop_assume!(!risk::is_placeholder(part));
                prop_assume!(!part.to_ascii_lowercase().contains("test"));
            }
            let input = format!("{before}{open}{text}{close}{after}");
            let shown = risk::redact_secrets(&policy, &input);
            for part in &parts {
                prop_assert!(
                    !shown.contains(part.as_str()),
                    "`{part}` survives in {shown:?}"
                );
            }
            Ok(())
        })
        .unwrap();
}
