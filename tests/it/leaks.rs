//! Secrets where the gate used to show them: in the commit message (its body and trailer
//! values) and in a private key flattened onto one line. Each is found, and nothing the gate
//! writes (any report format, the evidence note, the ledger) carries it. Every secret is
//! assembled here at run time; none is a literal in this file.

use crate::require_user_namespaces;
use crate::support::{text, TestRepo};
use serde_json::Value;

fn github_token() -> String {
    format!("gh{}_{}", "p", "Q7z2Lp9Xw4Rt8Kd3Mv6Hs1NbYc5Fj0Gu7Ta2")
}

fn aws_secret() -> String {
    format!("{}{}", "wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYzQ8LeakWhR")
}

/// A private key's base64 body: 19 lines of 64 characters and a short last one, from a
/// fixed pseudo-random sequence.
fn key_lines() -> Vec<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let body: String = (0..1236)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ALPHABET[(state % 64) as usize] as char
        })
        .collect();
    let mut lines: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    lines[0] = format!("MIIE{}", &lines[0][4..]);
    lines.push("Zq8=".to_string());
    lines
}

fn pem(separator: &str) -> String {
    let kind = "RSA PRIVATE KEY";
    format!(
        "-----BEGIN {kind}-----{separator}{}{separator}-----END {kind}-----",
        key_lines().join(separator)
    )
}

/// Pieces of the secrets a reader must never see.
fn secret_pieces() -> Vec<String> {
    let lines = key_lines();
    vec![
        github_token(),
        github_token()[4..20].to_string(),
        aws_secret(),
        lines[3].clone(),
        lines[10][..40].to_string(),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for piece in secret_pieces() {
        assert!(!text.contains(&piece), "{what} shows `{piece}`:\n{text}");
    }
}

#[test]
fn secrets_in_the_message_and_flattened_keys_are_found_and_never_shown() {
    let origin = TestRepo::new();
    origin.write(".agentguard.toml", "[evidence]\nrequire = false\n");
    origin.write("README.md", "hello\n");
    origin.commit_all("base");
    origin.checkout_new("agent/deploy");
    // The key as env files and YAML keep it (spaces for newlines), and as JSON does.
    origin.write("config/deploy.yml", &format!("tls:\n  key: {}\n", pem(" ")));
    origin.write(
        "config/service.json",
        &format!("{{\"private_key\": \"{}\\n\"}}\n", pem("\\n")),
    );
    let token = github_token();
    let message = format!(
        "Wire up the deploy\n\nThe registry takes {token} for now.\n\n\
         Agent-Task: T-1\nAgent-Name: {token}\n\
         Agent-Acceptance: AWS_SECRET_ACCESS_KEY={} make deploy-check\n",
        aws_secret()
    );
    origin.commit_all(&message);
    let ci = TestRepo::clone_url(&origin.push_to_bare(), &["--branch", "agent/deploy"]);

    let output = ci.run(&[
        "verify",
        "--base",
        "origin/main",
        "--no-run",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let json = String::from_utf8(output.stdout.clone()).unwrap();
    assert_clean("the JSON report", &json);
    let report: Value = serde_json::from_str(&json).unwrap();
    let credentials: Vec<(String, String)> = report["commits"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "credentials")
        .map(|f| {
            (
                f["path"].as_str().unwrap_or("(none)").to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let in_message: Vec<&(String, String)> = credentials
        .iter()
        .filter(|(p, m)| p == "(none)" && m.starts_with("in the commit message"))
        .collect();
    // The token in the body (line 3) and in the Agent-Name trailer, the AWS key in a command.
    assert!(
        in_message.iter().any(|(_, m)| m.contains("(line 3)")),
        "{credentials:?}"
    );
    assert!(in_message.len() >= 3, "{credentials:?}");
    for path in ["config/deploy.yml", "config/service.json"] {
        assert!(
            credentials
                .iter()
                .any(|(p, m)| p == path && m.contains("private key")),
            "{path}: {credentials:?}"
        );
    }
    // The agent's name and the command are shown, redacted.
    let commit = &report["commits"][0];
    assert!(
        commit["agent_name"].as_str().unwrap().contains("redacted"),
        "{commit:#}"
    );

    for format in ["human", "junit", "sarif", "markdown", "github"] {
        let output = ci.run(&[
            "verify",
            "--base",
            "origin/main",
            "--no-run",
            "--format",
            format,
        ]);
        assert_eq!(output.status.code(), Some(1), "{format}: {}", text(&output));
        assert_clean(format, &String::from_utf8_lossy(&output.stdout));
        assert_clean(format, &String::from_utf8_lossy(&output.stderr));
    }
    let human = ci.run(&["verify", "--base", "origin/main", "--no-run", "-v"]);
    assert_clean(
        "the verbose report",
        &String::from_utf8_lossy(&human.stdout),
    );
    let ledger = std::fs::read_to_string(ci.path().join(".git/agentguard/ledger.jsonl")).unwrap();
    assert!(ledger.contains("credentials"), "{ledger}");
    assert_clean("the ledger", &ledger);
}

#[test]
fn a_flattened_key_and_a_token_in_command_output_are_redacted_in_the_note_and_the_gate() {
    require_user_namespaces!();
    let origin = TestRepo::new();
    // A human's script that prints a key flattened onto one line and a token, assembled from
    // pieces so the repository holds neither.
    let lines = key_lines();
    origin.write("tools/a", &lines[..10].join(" "));
    origin.write("tools/b", &lines[10..].join(" "));
    origin.write("tools/t", &github_token()[4..]);
    origin.write(
        "tools/show.sh",
        "k='PRIVATE KEY'\nprintf 'KEY=-----BEGIN RSA %s----- %s %s -----END RSA %s-----\\n' \"$k\" \"$(cat tools/a)\" \"$(cat tools/b)\" \"$k\"\nprintf 'token gh%s_%s\\n' p \"$(cat tools/t)\"\n",
    );
    origin.write(
        ".agentguard.toml",
        "[acceptance]\ncommands = [\"sh tools/show.sh\"]\n",
    );
    origin.write("README.md", "hello\n");
    origin.commit_all("base");
    origin.checkout_new("agent/docs");
    origin.write("README.md", "hello, world\n");
    origin.commit_all("Greet the world\n\nAgent-Task: T-1\n");
    let recorded = origin.run(&["check", "--record", "--format", "json"]);
    assert_eq!(recorded.status.code(), Some(0), "{}", text(&recorded));
    assert_clean("check's report", &String::from_utf8_lossy(&recorded.stdout));
    let report: Value = serde_json::from_slice(&recorded.stdout).unwrap();
    let tail = report["commits"][0]["acceptance"][0]["output_tail"]
        .as_str()
        .unwrap();
    assert!(tail.contains("-----END RSA PRIVATE KEY-----"), "{tail}");
    assert!(tail.contains("redacted"), "{tail}");
    let note = origin.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    assert_clean("the evidence note", &note);

    let url = origin.push_to_bare();
    origin.git(&["push", "-q", &url, "refs/notes/*:refs/notes/*"]);
    let ci = TestRepo::clone_url(&url, &["--branch", "agent/docs"]);
    ci.git(&["fetch", "-q", "origin", "+refs/notes/*:refs/notes/*"]);
    for format in ["json", "junit", "human"] {
        let output = ci.run(&["verify", "--base", "origin/main", "--format", format]);
        assert_eq!(output.status.code(), Some(0), "{format}: {}", text(&output));
        assert_clean(format, &String::from_utf8_lossy(&output.stdout));
    }
    let ledger = std::fs::read_to_string(ci.path().join(".git/agentguard/ledger.jsonl")).unwrap();
    assert_clean("the ledger", &ledger);
}
