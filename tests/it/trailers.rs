//! Trailer parsing agrees with `git interpret-trailers --parse --no-divider` (how git reads
//! the trailers of a commit object) on messages written to confuse one or the other.

use crate::support::TestRepo;
use std::io::Write;
use std::process::Stdio;

const CORPUS: &[&str] = &[
    "Title\n\nAgent-Task: T-1\nAgent-Allow: src/**\n",
    "Title\n\nbody\n\nAgent-Task: T-1\n",
    "Agent-Task: T-1\n",
    "\nAgent-Task: T-1\n",
    "Title\n\nAgent-Task: T-1\n\n\n",
    "Title\n\nprose line\nAgent-Task: T-1\n",
    "Title\n\nprose line\nSigned-off-by: A <a@example.com>\nAgent-Task: T-1\n",
    "Title\n\np1\np2\np3\np4\np5\np6\n(cherry picked from commit 0123abc)\nAgent-Task: T\n",
    "Title\n\np1\np2\np3\np4\np5\np6\np7\n(cherry picked from commit 0123abc)\nAgent-Task: T\n",
    "Title\n\nAgent-Acceptance: cargo test\n  --all-features\n\t--locked\nAgent-Task: T\n",
    "Title\n\nAgent-Task: T\nprose\n  --extra\nSigned-off-by: A <a@example.com>\n",
    "Title\n\nAgent-Task: T\n\u{a0}\nSigned-off-by: A <a@example.com>\n",
    "Title\n\nAgent-Task: T\n\u{3000}\nAgent-Deny: src/**\n",
    "Title\n\nbody\n---\n\nAgent-Task: T-1\n",
    "Title\n\nAgent-Task: T\n# a comment\nAgent-Deny: x/**\n",
    "Title\n\nAgent-Task: T\n# ------------------------ >8 ------------------------\ndiff\n\nAgent-Task: evil\n",
    "Title\n\nAgent-Task: T\n#  ------------------------ >8 ------------------------\n",
    "Title\r\n\r\nAgent-Task: T-9\r\nAgent-Allow: a/**\r\n",
    "Title\n\nagent-task : spaced\nAGENT-ALLOW:\tsrc/**\n",
    "Title\n\n Agent-Task: indented\n",
    "Title\n\nAgent Task: with space\nAgent-Task: T\n",
    "Title\n\nAgent-Task:\nAgent-Allow: x\n",
    "Title\n\n: no key\nAgent-Task: T\n",
    "Title\n\nAgent-Task: T # not a comment\n",
    "Title\n\nAgent-Task: ünïcödé\nAgent-Allow: dir/ä/**\n",
];

fn git_trailers(repo: &TestRepo, message: &str) -> Vec<(String, String)> {
    let mut child = repo
        .git_command()
        .args(["interpret-trailers", "--parse", "--no-divider"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("git interpret-trailers");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(message.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (key, value) = line.split_once(':').unwrap();
            (key.trim().to_string(), value.trim().to_string())
        })
        .collect()
}

#[test]
fn trailers_match_git_interpret_trailers() {
    let repo = TestRepo::new();
    let mut mismatches = Vec::new();
    for message in CORPUS {
        let ours: Vec<(String, String)> = agentguard::internals::trailers::parse(message, "#")
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect();
        let git = git_trailers(&repo, message);
        if ours != git {
            mismatches.push(format!("{message:?}\n  ours: {ours:?}\n  git:  {git:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
