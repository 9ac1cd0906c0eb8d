//! Snapshots of what reviewers and tools read, from one realistic range: a passing agent
//! commit, one whose migration a listed key approved, a human commit, and one that is blocked
//! (out of scope, an approval still missing, a failing acceptance command).
//!
//! Commit, tree and change ids are replaced by names, and times, durations and temporary paths
//! by placeholders, so a snapshot changes only when what a reader sees changes. The `.snap`
//! files are committed; a mismatch fails `cargo test` (insta writes a `.snap.new` beside it to
//! compare; with `CI` set it writes nothing). `INSTA_UPDATE=always cargo test` rewrites them.

use crate::require_user_namespaces;
use crate::support::{msg, text, TestRepo, TASK};

struct Scenario {
    repo: TestRepo,
    /// (id, name) of every commit and tree, longest first so a prefix never eats an id.
    names: Vec<(String, String)>,
}

fn ok(output: &std::process::Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "{}", text(output));
}

fn scenario() -> Scenario {
    let repo = TestRepo::new();
    let signers = repo.scratch().join("allowed_signers");
    std::fs::write(
        &signers,
        format!("{}\n", repo.signer_line("lead@example.com", "lead")),
    )
    .unwrap();
    // Kept outside the tree, so the commits (and their ids) do not depend on the fresh key.
    repo.git(&[
        "config",
        "gpg.ssh.allowedSignersFile",
        signers.to_str().unwrap(),
    ]);
    repo.write(
        ".agentguard.toml",
        "[approvals]\napprovers = { \"*\" = [\"lead@example.com\"] }\n",
    );
    repo.write("README.md", "hello\n");
    let base = repo.commit_all("base");
    // Not an `agent/**` branch: the human commit stays human.
    repo.checkout_new("feature/work");

    repo.write("src/app.py", "print('one')\n");
    let passing = repo.commit_all(&msg(&[
        TASK,
        "Agent-Name: codex",
        "Agent-Acceptance: test -f README.md",
    ]));
    ok(&repo.run(&["check", "--record"]), 0);

    repo.write("migrations/001_users.sql", "CREATE TABLE users (id int);\n");
    let approved = repo.commit_all(&msg(&[TASK, "Agent-Name: codex", "Agent-Acceptance: true"]));
    repo.git(&["config", "user.email", "lead@example.com"]);
    let key = repo.ssh_key("lead");
    ok(
        &repo.run(&[
            "approve",
            "--key",
            key.to_str().unwrap(),
            "--category",
            "migrations",
            "--reason",
            "reviewed the SQL",
        ]),
        0,
    );
    ok(&repo.run(&["check", "--record"]), 0);

    repo.write("docs/notes.md", "a human note\n");
    let human = repo.commit_all("docs: a human note");

    repo.write("secrets/token.txt", "not a real token\n");
    repo.write("src/auth/login.py", "def login():\n    return True\n");
    let blocked = repo.commit_all(&msg(&[
        TASK,
        "Agent-Name: codex",
        "Agent-Deny: secrets/",
        "Agent-Acceptance: echo 'test result: FAILED'; exit 3",
    ]));
    ok(&repo.run(&["check", "--record"]), 1);

    let mut names = Vec::new();
    for (id, name) in [
        (base, "BASE"),
        (passing, "PASSING"),
        (approved, "APPROVED"),
        (human, "HUMAN"),
        (blocked, "BLOCKED"),
    ] {
        let tree = repo.git(&["rev-parse", &format!("{id}^{{tree}}")]);
        names.push((tree, format!("{name}-TREE")));
        names.push((id, name.to_string()));
    }
    Scenario { repo, names }
}

impl Scenario {
    /// The text with every known id, full or abbreviated, replaced by its name.
    fn named(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (id, name) in &self.names {
            text = text.replace(id.as_str(), &format!("[{name}]"));
        }
        for (id, name) in &self.names {
            for len in (7..40).rev() {
                text = text.replace(&id[..len], &format!("[{name}]"));
            }
        }
        text
    }

    fn verify(&self, format: &str) -> String {
        let output = self.repo.run(&["verify", "main..HEAD", "--format", format]);
        ok(&output, 1);
        self.named(&String::from_utf8_lossy(&output.stdout))
    }

    fn show_json(&self, name: &str) -> String {
        let (id, _) = self.names.iter().find(|(_, n)| n == name).unwrap();
        let output = self.repo.run(&["show", id, "--format", "json"]);
        ok(&output, 0);
        self.named(&String::from_utf8_lossy(&output.stdout))
    }

    fn note(&self, name: &str) -> String {
        let (id, _) = self.names.iter().find(|(_, n)| n == name).unwrap();
        let note = self.repo.git(&["notes", "--ref", "agentguard", "show", id]);
        self.named(&note)
    }
}

/// Times, durations, change fingerprints and temporary paths vary from run to run.
macro_rules! assert_normalised_snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({
            prepend_module_to_snapshot => false,
            filters => vec![
                (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]"),
                // The same, as Markdown escapes it.
                (r"\d{4}\\-\d\d\\-\d\dT\d\d\\:\d\d\\:\d\dZ", "[TIME]"),
                (r"fingerprint [0-9a-f]{10}\b", "fingerprint [SHORT-SHA256]"),
                (r#"("duration_ms"|duration_ms)(: | = )\d+"#, "$1$2[MS]"),
                (r"\b\d+(\.\d+)? (ms|s)\b", "[DURATION]"),
                (r#"time="\d+\.\d+""#, r#"time="[SECONDS]""#),
                (r"\b[0-9a-f]{64}\b", "[SHA256]"),
                (r"agentguard \d+\.\d+\.\d+", "agentguard [VERSION]"),
                (r"/[^\s'`]*agentguard-test[^/\s]*", "[TMP]"),
            ],
        }, {
            insta::assert_snapshot!($name, $text);
        });
    };
}

#[test]
fn outputs_of_a_blocked_approved_and_passing_range() {
    // The acceptance commands run in the sandbox.
    require_user_namespaces!();
    let scenario = scenario();
    assert_normalised_snapshot!("verify_json", scenario.verify("json"));
    assert_normalised_snapshot!("verify_human", scenario.verify("human"));
    assert_normalised_snapshot!("verify_markdown", scenario.verify("markdown"));
    assert_normalised_snapshot!("verify_junit", scenario.verify("junit"));
    assert_normalised_snapshot!("evidence_note_approved", scenario.note("APPROVED"));
    assert_normalised_snapshot!("evidence_note_blocked", scenario.note("BLOCKED"));
    assert_normalised_snapshot!("show_json_approved", scenario.show_json("APPROVED"));
}
