//! Hand-made trees and symlink webs: what an agent writes with git's own plumbing
//! (`git hash-object -t tree --literally`) so that a diff and a checkout disagree. Each case
//! shows what git's checkout writes and that the judge sees at least that much.

use crate::support::{text, TestRepo};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Write;

const POLICY: &str = "[scope]\ndeny = [\"secrets/\"]\n";

/// An AWS secret key line, assembled here so no scanner flags this file.
fn aws_key_line() -> String {
    format!(
        "aws_secret_access_key = \"{}{}\"\n",
        "wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYzQ8GateTreeQ"
    )
}

/// Writes `data` as an object of `kind` without git's checks; its id.
fn object(repo: &TestRepo, kind: &str, data: &[u8]) -> String {
    let mut child = repo
        .git_command()
        .args(["hash-object", "-t", kind, "-w", "--literally", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(data).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "hash-object failed");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

fn blob(repo: &TestRepo, content: &str) -> String {
    object(repo, "blob", content.as_bytes())
}

/// A tree of exactly these (mode, name, id) entries, in this order, as written.
fn tree(repo: &TestRepo, entries: &[(&str, &[u8], &str)]) -> String {
    let mut data = Vec::new();
    for (mode, name, id) in entries {
        data.extend_from_slice(mode.as_bytes());
        data.push(b' ');
        data.extend_from_slice(name);
        data.push(0);
        let bytes: Vec<u8> = (0..40)
            .step_by(2)
            .map(|i| u8::from_str_radix(&id[i..i + 2], 16).unwrap())
            .collect();
        data.extend_from_slice(&bytes);
    }
    object(repo, "tree", &data)
}

/// An agent commit of `tree` on top of HEAD, on `branch`.
fn agent_commit(repo: &TestRepo, tree: &str, branch: &str) -> String {
    let parent = repo.git(&["rev-parse", "HEAD"]);
    let commit = repo.git(&[
        "commit-tree",
        tree,
        "-p",
        &parent,
        "-m",
        "Tidy up\n\nAgent-Task: T-1",
    ]);
    repo.git(&["update-ref", &format!("refs/heads/{branch}"), &commit]);
    commit
}

/// The paths `git read-tree` puts in an index for `commit`: what a checkout writes.
fn read_tree_paths(repo: &TestRepo, commit: &str) -> Result<Vec<String>, String> {
    let index = repo.scratch().join("read-tree-index");
    let _ = std::fs::remove_file(&index);
    let read = repo
        .git_command()
        .env("GIT_INDEX_FILE", &index)
        .args(["read-tree", commit])
        .output()
        .unwrap();
    if !read.status.success() {
        return Err(String::from_utf8_lossy(&read.stderr).into_owned());
    }
    let listed = repo
        .git_command()
        .env("GIT_INDEX_FILE", &index)
        .args(["ls-files", "-z"])
        .output()
        .unwrap();
    Ok(String::from_utf8_lossy(&listed.stdout)
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect())
}

/// main: the policy denying `secrets/`, a README and `secrets/ok.txt` a human put there.
struct Base {
    repo: TestRepo,
    policy: String,
    readme: String,
    ok: String,
    secrets: String,
    key: String,
}

fn base() -> Base {
    let repo = TestRepo::new();
    repo.write(".agentguard.toml", POLICY);
    repo.write("README.md", "hello\n");
    repo.write("secrets/ok.txt", "nothing\n");
    repo.commit_all("base");
    let head = |path: &str| repo.git(&["rev-parse", &format!("HEAD:{path}")]);
    Base {
        policy: head(".agentguard.toml"),
        readme: head("README.md"),
        ok: head("secrets/ok.txt"),
        secrets: head("secrets"),
        key: blob(&repo, &aws_key_line()),
        repo,
    }
}

impl Base {
    /// The root entries of main, before anything is added.
    fn root(&self) -> Vec<(&'static str, Vec<u8>, String)> {
        vec![
            ("100644", b".agentguard.toml".to_vec(), self.policy.clone()),
            ("100644", b"README.md".to_vec(), self.readme.clone()),
        ]
    }

    fn tree_of(&self, entries: &[(&'static str, Vec<u8>, String)]) -> String {
        let borrowed: Vec<(&str, &[u8], &str)> = entries
            .iter()
            .map(|(m, n, i)| (*m, n.as_slice(), i.as_str()))
            .collect();
        tree(&self.repo, &borrowed)
    }
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", text(output)))
}

fn commit_findings(report: &Value, index: usize) -> Vec<(String, String, String, String)> {
    report["commits"][index]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("kind"), s("category"), s("path"), s("rule"))
        })
        .collect()
}

/// The fingerprint the contract defines, over these change lines.
fn fingerprint_of(lines: &[String]) -> String {
    let mut sorted = lines.to_vec();
    sorted.sort();
    let mut hasher = Sha256::new();
    for line in sorted {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_duplicate_directory_hides_a_key_from_a_diff_but_not_from_the_ci_checkout() {
    let base = base();
    let hidden = tree(
        &base.repo,
        &[
            ("100644", b"aws.txt", &base.key),
            ("100644", b"ok.txt", &base.ok),
        ],
    );
    // `secrets` twice: first main's own (unchanged to a diff), then one holding the key.
    let mut root = base.root();
    root.push(("40000", b"secrets".to_vec(), base.secrets.clone()));
    root.push(("40000", b"secrets".to_vec(), hidden));
    let commit = agent_commit(&base.repo, &base.tree_of(&root), "agent/keys");
    // The hosted remote takes it (git checks nothing it receives by default).
    let url = base.repo.push_to_bare();
    let ci = TestRepo::clone_url(&url, &["--branch", "agent/keys"]);
    assert!(
        ci.path().join("secrets/aws.txt").is_file(),
        "git's checkout writes the hidden file"
    );
    assert!(read_tree_paths(&ci, &commit)
        .unwrap()
        .contains(&"secrets/aws.txt".to_string()));

    let output = ci.run(&[
        "verify",
        "--base",
        "origin/main",
        "--format",
        "json",
        "--no-run",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report = json(&output);
    let found = commit_findings(&report, 0);
    let has = |kind: &str, category: &str, path: &str| {
        found
            .iter()
            .any(|(k, c, p, _)| k == kind && c == category && p == path)
    };
    assert!(has("scope", "malformed-tree", "secrets"), "{found:?}");
    assert!(
        found
            .iter()
            .any(|(_, c, _, rule)| c == "malformed-tree" && rule.contains("duplicateEntries")),
        "{found:?}"
    );
    assert!(has("scope", "denied", "secrets/aws.txt"), "{found:?}");
    assert!(has("risk", "credentials", "secrets/aws.txt"), "{found:?}");
    // The fingerprint names the hidden paths (the key, and `ok.txt` given a second time): an
    // approval of the change a diff shows cannot cover it.
    let added =
        |path: &str, id: &str| format!("A 000000 100644 {} {id} {path}\t{path}", "0".repeat(40));
    assert_eq!(
        report["commits"][0]["fingerprint"].as_str().unwrap(),
        fingerprint_of(&[
            added("secrets/aws.txt", &base.key),
            added("secrets/ok.txt", &base.ok)
        ])
    );
    // And the human report says what is wrong without leaking the key.
    let human = ci.run(&["verify", "--base", "origin/main", "--no-run"]);
    let shown = String::from_utf8_lossy(&human.stdout);
    assert!(shown.contains("names an entry twice"), "{shown}");
    assert!(!shown.contains("bPxRfiCYzQ8GateTreeQ"), "{shown}");
}

/// One hostile tree shape: its root entries besides main's, the fsck check it breaks, and
/// the hidden path git's checkout writes (when git checks it out at all).
struct Shape {
    name: &'static str,
    extra: Vec<(&'static str, Vec<u8>, String)>,
    /// Replaces main's root entries when set (to reorder them).
    root: Option<Vec<(&'static str, Vec<u8>, String)>>,
    check: &'static str,
    written: Option<&'static str>,
}

fn shapes(base: &Base) -> Vec<Shape> {
    let repo = &base.repo;
    let with_key = tree(repo, &[("100644", b"aws.txt", &base.key)]);
    let nested = tree(repo, &[("40000", b"secrets", &with_key)]);
    let link = blob(repo, "README.md");
    let mut truncated_data = b"100644 aws.txt\0".to_vec();
    truncated_data.extend_from_slice(&[1, 2, 3]);
    let truncated = object(repo, "tree", &truncated_data);
    let mut unsorted = vec![("40000", b"secrets".to_vec(), with_key.clone())];
    unsorted.extend(base.root());
    let entry = |mode: &'static str, name: &[u8], id: &str| (mode, name.to_vec(), id.to_string());
    vec![
        Shape {
            name: "a name with a slash",
            extra: vec![entry("100644", b"secrets/aws.txt", &base.key)],
            root: None,
            check: "fullPathname",
            written: Some("secrets/aws.txt"),
        },
        Shape {
            name: "entries out of order",
            extra: vec![],
            root: Some(unsorted),
            check: "treeNotSorted",
            written: Some("secrets/aws.txt"),
        },
        Shape {
            name: "a zero-padded directory mode",
            extra: vec![entry("040000", b"secrets", &with_key)],
            root: Some(base.root()),
            check: "zeroPaddedFilemode",
            written: Some("secrets/aws.txt"),
        },
        Shape {
            name: "a file mode git does not write",
            extra: vec![entry("100600", b"keys.txt", &base.key)],
            root: None,
            check: "badFilemode",
            written: Some("keys.txt"),
        },
        Shape {
            name: "a directory named ..",
            extra: vec![entry("40000", b"..", &with_key)],
            root: None,
            check: "hasDotdot",
            written: None,
        },
        Shape {
            name: "a directory named .",
            extra: vec![entry("40000", b".", &nested)],
            root: None,
            check: "hasDot",
            written: None,
        },
        Shape {
            name: ".GIT",
            extra: vec![entry("40000", b".GIT", &with_key)],
            root: None,
            check: "hasDotgit",
            written: None,
        },
        Shape {
            name: ".git. as NTFS reads it",
            extra: vec![entry("40000", b".git.", &with_key)],
            root: None,
            check: "hasDotgit",
            written: None,
        },
        Shape {
            name: "git~1, the NTFS short name",
            extra: vec![entry("40000", b"git~1", &with_key)],
            root: None,
            check: "hasDotgit",
            written: None,
        },
        Shape {
            name: ".git with a character HFS+ ignores",
            extra: vec![entry("40000", ".g\u{200c}it".as_bytes(), &with_key)],
            root: None,
            check: "hasDotgit",
            written: None,
        },
        Shape {
            name: "an empty name",
            extra: vec![entry("40000", b"", &with_key)],
            root: None,
            check: "emptyName",
            written: None,
        },
        Shape {
            name: "a .gitmodules symlink",
            extra: vec![entry("120000", b".gitmodules", &link)],
            root: None,
            check: "gitmodulesSymlink",
            written: None,
        },
        Shape {
            name: "a tree that cannot be parsed",
            extra: vec![entry("40000", b"lib", &truncated)],
            root: None,
            check: "badTree",
            written: None,
        },
    ]
}

#[test]
fn every_tree_git_fsck_faults_is_blocked_and_judged_as_git_reads_it() {
    let base = base();
    for shape in shapes(&base) {
        let mut root = shape.root.clone().unwrap_or_else(|| base.root());
        root.extend(shape.extra.iter().cloned());
        let tree = base.tree_of(&root);
        let commit = agent_commit(&base.repo, &tree, "agent/shape");
        let before = base.repo.state();
        let output = base
            .repo
            .run(&["check", &commit, "--no-run", "--format", "json"]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}: {}",
            shape.name,
            text(&output)
        );
        assert!(
            !String::from_utf8_lossy(&output.stderr).contains("panicked"),
            "{}: {}",
            shape.name,
            text(&output)
        );
        assert_eq!(base.repo.state(), before, "{}", shape.name);
        let found = commit_findings(&json(&output), 0);
        assert!(
            found.iter().any(|(kind, category, _, rule)| kind == "scope"
                && category == "malformed-tree"
                && rule.contains(shape.check)),
            "{}: {found:?}",
            shape.name
        );
        // Whatever git's checkout writes of the key is judged at the path it is written to
        // (on Linux that includes `.g\u{200c}it/`, which HFS+ would write as `.git`).
        let written = read_tree_paths(&base.repo, &commit).unwrap_or_default();
        if let Some(path) = shape.written {
            assert!(
                written.contains(&path.to_string()),
                "{}: {written:?}",
                shape.name
            );
        }
        for path in written
            .iter()
            .filter(|p| p.contains("aws") || p.contains("keys"))
        {
            assert!(
                found
                    .iter()
                    .any(|(_, category, p, _)| category == "credentials" && p == path),
                "{}: {path} is written but not judged: {found:?}",
                shape.name
            );
        }
    }
}

#[test]
fn a_well_formed_change_keeps_its_fingerprint_and_renames() {
    // The walk that checks trees must not change how a well-formed change is named.
    let repo = TestRepo::new();
    repo.write("docs/guide.md", &"a line of the guide\n".repeat(20));
    repo.commit_all("base");
    repo.git(&["mv", "docs/guide.md", "docs/handbook.md"]);
    repo.commit_all("Rename\n\nAgent-Task: T-1");
    let old = repo.git(&["rev-parse", "HEAD^:docs/guide.md"]);
    let output = repo.run(&["check", "HEAD", "--no-run", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = json(&output);
    let line = format!("R 100644 100644 {old} {old} docs/guide.md\tdocs/handbook.md");
    assert_eq!(
        report["commits"][0]["fingerprint"].as_str().unwrap(),
        fingerprint_of(&[line])
    );
}

#[test]
fn thousands_of_links_to_one_directory_and_a_ring_are_each_judged_once() {
    let repo = TestRepo::new();
    repo.write(".agentguard.toml", POLICY);
    repo.write("secrets/ok.txt", "nothing\n");
    for i in 0..200 {
        repo.write(&format!("src/f{i}.rs"), "fn f() {}\n");
    }
    repo.commit_all("base");
    // 1,000 links to the root (each exposes `secrets/`) and a ring of 1,000 links.
    let up = blob(&repo, "..");
    let mut links: Vec<(String, String)> = Vec::new();
    for i in 0..1000 {
        links.push((format!("l{i:04}"), up.clone()));
    }
    let ring: Vec<(String, String)> = (0..1000)
        .map(|i| {
            (
                format!("r{i:04}"),
                blob(&repo, &format!("r{:04}", (i + 1) % 1000)),
            )
        })
        .collect();
    let link_dir = |entries: &[(String, String)]| {
        let borrowed: Vec<(&str, &[u8], &str)> = entries
            .iter()
            .map(|(n, id)| ("120000", n.as_bytes(), id.as_str()))
            .collect();
        tree(&repo, &borrowed)
    };
    let (links_tree, ring_tree) = (link_dir(&links), link_dir(&ring));
    let head = |path: &str| repo.git(&["rev-parse", &format!("HEAD:{path}")]);
    let root = tree(
        &repo,
        &[
            ("100644", b".agentguard.toml", &head(".agentguard.toml")),
            ("40000", b"links", &links_tree),
            ("40000", b"ring", &ring_tree),
            ("40000", b"secrets", &head("secrets")),
            ("40000", b"src", &head("src")),
        ],
    );
    let commit = agent_commit(&repo, &root, "agent/links");
    let output = repo.run(&["check", &commit, "--no-run", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let found = commit_findings(&json(&output), 0);
    let count = |category: &str, prefix: &str| {
        found
            .iter()
            .filter(|(_, c, p, _)| c == category && p.starts_with(prefix))
            .count()
    };
    // Each link to the root exposes the denied directory: one finding per link, no more.
    assert_eq!(count("denied", "links/"), 1000, "{:?}", &found[..3]);
    // Each link of the ring loops: it leaves nowhere inside the repository.
    assert_eq!(count("symlink-escape", "ring/"), 1000);
    assert!(found.iter().all(|(_, c, _, _)| c != "malformed-tree"));
}
