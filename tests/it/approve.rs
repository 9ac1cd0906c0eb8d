//! Human sign-off: approvals signed with real ed25519 keys, verified against the base's
//! allowed signers, bound to the exact change.

use crate::support::{msg, text, Remote, TestRepo, TASK};
use serde_json::Value;

/// A repository whose base policy trusts `lead` for every category and `dba` for migrations
/// only; `stranger` has a key but is not in allowed_signers.
fn signed_repo() -> TestRepo {
    let repo = TestRepo::new();
    let signers = [
        repo.signer_line("lead@example.com", "lead"),
        repo.signer_line("dba@example.com", "dba"),
    ]
    .join("\n");
    repo.write(".agentguard/allowed_signers", &format!("{signers}\n"));
    repo.write(
        ".agentguard.toml",
        r#"[approvals]
allowed_signers = ".agentguard/allowed_signers"
approvers = { "*" = ["lead@example.com"], migrations = ["dba@example.com"] }
"#,
    );
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    repo.ssh_key("stranger");
    repo
}

/// An agent commit adding a migration (and, with `auth`, a login module).
fn migration_commit(repo: &TestRepo, auth: bool) -> String {
    repo.write("migrations/001_users.sql", "CREATE TABLE users (id int);\n");
    if auth {
        repo.write("src/auth/login.py", "def login():\n    return True\n");
    }
    repo.commit_all(&msg(&[TASK]))
}

fn approve(repo: &TestRepo, who: &str, key: &str, args: &[&str]) -> std::process::Output {
    repo.git(&["config", "user.email", who]);
    let key = repo.ssh_key(key);
    let key = key.to_str().unwrap();
    let mut all = vec!["approve", "--key", key, "--reason", "reviewed the SQL"];
    all.extend_from_slice(args);
    repo.run(&all)
}

fn approve_findings(report: &Value) -> Vec<(String, bool, String)> {
    report["commits"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["action"] == "approve")
        .map(|f| {
            (
                f["category"].as_str().unwrap().to_string(),
                f["approved"].as_bool().unwrap(),
                f["detail"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_migration_blocks_until_a_listed_key_approves_it() {
    let repo = signed_repo();
    migration_commit(&repo, false);
    let before = repo.check_json(&["--no-run"], 1);
    assert_eq!(
        approve_findings(&before),
        vec![("migrations".to_string(), false, String::new())]
    );
    let message = before["commits"][0]["findings"][0]["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("agentguard approve"), "{message}");

    let output = approve(
        &repo,
        "dba@example.com",
        "dba",
        &["--category", "migrations"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("refs/notes/agentguard-approvals"),
        "{stdout}"
    );
    assert!(stdout.contains("✓ migrations"), "{stdout}");

    let after = repo.check_json(&["--no-run"], 0);
    assert!(approve_findings(&after)[0].1);
    let approvals = after["commits"][0]["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0]["status"], "verified");
    assert_eq!(approvals[0]["approver"], "dba@example.com");
    assert_eq!(approvals[0]["reason"], "reviewed the SQL");

    let note = repo.git(&["notes", "--ref", "agentguard-approvals", "show", "HEAD"]);
    assert!(
        note.starts_with("agentguard-approval v1\nfingerprint "),
        "{note}"
    );
    assert!(note.contains("-----BEGIN SSH SIGNATURE-----"), "{note}");
}

#[test]
fn a_key_missing_from_allowed_signers_is_refused() {
    let repo = signed_repo();
    migration_commit(&repo, false);
    // The stranger claims to be the lead, but allowed_signers has another key for the lead.
    let output = approve(
        &repo,
        "lead@example.com",
        "stranger",
        &["--category", "migrations"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("does not count"),
        "{}",
        text(&output)
    );
    let report = repo.check_json(&["--no-run"], 1);
    let (_, approved, detail) = &approve_findings(&report)[0];
    assert!(!approved);
    assert!(
        detail.contains("refused approval by lead@example.com")
            && detail.contains("not in allowed_signers"),
        "{detail}"
    );
}

#[test]
fn an_approver_not_listed_for_the_category_is_refused() {
    let repo = signed_repo();
    migration_commit(&repo, true);
    let output = approve(
        &repo,
        "dba@example.com",
        "dba",
        &["--category", "migrations,auth"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("is not listed for `auth`"),
        "{}",
        text(&output)
    );
    let report = repo.check_json(&["--no-run"], 1);
    let findings = approve_findings(&report);
    let auth = findings.iter().find(|f| f.0 == "auth").unwrap();
    let migrations = findings.iter().find(|f| f.0 == "migrations").unwrap();
    assert!(migrations.1, "dba may approve migrations");
    assert!(!auth.1, "dba may not approve auth");
    assert!(
        auth.2.contains("dba@example.com is not listed for `auth`"),
        "{}",
        auth.2
    );
}

#[test]
fn an_approval_edited_after_signing_is_refused_as_tampered() {
    let repo = signed_repo();
    migration_commit(&repo, true);
    let output = approve(
        &repo,
        "lead@example.com",
        "lead",
        &["--category", "migrations"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let note = repo.git(&["notes", "--ref", "agentguard-approvals", "show", "HEAD"]);
    let edited = note.replace("categories migrations", "categories migrations,auth");
    assert_ne!(note, edited);
    let file = repo.scratch().join("edited-note");
    std::fs::write(&file, format!("{edited}\n")).unwrap();
    repo.git(&[
        "notes",
        "--ref",
        "agentguard-approvals",
        "add",
        "-f",
        "-F",
        file.to_str().unwrap(),
        "HEAD",
    ]);
    let report = repo.check_json(&["--no-run"], 1);
    for (category, approved, detail) in approve_findings(&report) {
        assert!(!approved, "{category} must not count as approved");
        assert!(
            detail.contains("forged or tampered"),
            "{category}: {detail}"
        );
    }
    assert_eq!(report["commits"][0]["approvals"][0]["status"], "tampered");
}

#[test]
fn an_approval_made_before_the_content_changed_is_refused() {
    let repo = signed_repo();
    migration_commit(&repo, false);
    let output = approve(
        &repo,
        "lead@example.com",
        "lead",
        &["--category", "migrations"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo.check_json(&["--no-run"], 0);

    // The agent amends the migration; the rewritten commit keeps its notes, but the
    // approval is bound to the old content.
    repo.git(&[
        "config",
        "notes.rewriteRef",
        "refs/notes/agentguard-approvals",
    ]);
    repo.write("migrations/001_users.sql", "DROP TABLE users;\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--amend", "--no-edit", "--no-verify"]);
    assert!(repo
        .git(&["notes", "--ref", "agentguard-approvals", "show", "HEAD"])
        .contains("agentguard-approval v1"));
    let report = repo.check_json(&["--no-run"], 1);
    let (_, approved, detail) = &approve_findings(&report)
        .into_iter()
        .find(|f| f.0 == "migrations")
        .unwrap();
    assert!(!approved);
    assert!(detail.contains("bound to another change"), "{detail}");
}

#[test]
fn a_copied_approval_from_another_commit_is_refused() {
    let repo = signed_repo();
    let first = migration_commit(&repo, false);
    approve(
        &repo,
        "lead@example.com",
        "lead",
        &["--category", "migrations"],
    );
    repo.write(
        "migrations/002_orders.sql",
        "CREATE TABLE orders (id int);\n",
    );
    repo.commit_all(&msg(&[TASK]));
    repo.git(&[
        "notes",
        "--ref",
        "agentguard-approvals",
        "copy",
        &first,
        "HEAD",
    ]);
    let report = repo.check_json(&["--no-run"], 1);
    assert!(approve_findings(&report)[0]
        .2
        .contains("bound to another change"));
}

#[test]
fn a_staged_approval_carries_over_to_the_commit() {
    let repo = signed_repo();
    repo.write("migrations/001_users.sql", "CREATE TABLE users (id int);\n");
    repo.git(&["add", "-A"]);
    let message = repo.scratch().join("MSG");
    std::fs::write(&message, msg(&[TASK])).unwrap();
    let message = message.to_str().unwrap();
    repo.check_json(&["--staged", "--message-file", message, "--no-run"], 1);

    let output = approve(
        &repo,
        "lead@example.com",
        "lead",
        &["--staged", "--category", "migrations"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("pending-approvals"));
    repo.check_json(&["--staged", "--message-file", message, "--no-run"], 0);

    repo.git(&["commit", "-q", "--no-verify", "-F", message]);
    let report = repo.check_json(&["--no-run"], 0);
    assert_eq!(report["commits"][0]["approvals"][0]["source"], "pending");
}

#[test]
fn several_approvals_append_to_one_note() {
    let repo = signed_repo();
    migration_commit(&repo, true);
    approve(
        &repo,
        "dba@example.com",
        "dba",
        &["--category", "migrations"],
    );
    repo.check_json(&["--no-run"], 1);
    approve(&repo, "lead@example.com", "lead", &["--category", "auth"]);
    let report = repo.check_json(&["--no-run"], 0);
    assert_eq!(
        report["commits"][0]["approvals"].as_array().unwrap().len(),
        2
    );
}

#[test]
fn unknown_categories_and_missing_keys_are_errors() {
    let repo = signed_repo();
    migration_commit(&repo, false);
    let output = approve(
        &repo,
        "lead@example.com",
        "lead",
        &["--category", "migraitons"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown risk category `migraitons`"));

    repo.git(&["config", "user.email", "lead@example.com"]);
    let output = repo.run(&["approve", "--category", "migrations"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("user.signingkey"));

    let output = repo.run(&[
        "approve",
        "--key",
        "/nonexistent/key",
        "--category",
        "migrations",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("could not sign"));
}

#[test]
fn the_signing_key_comes_from_git_config() {
    let repo = signed_repo();
    migration_commit(&repo, false);
    repo.git(&["config", "user.email", "lead@example.com"]);
    let key = repo.ssh_key("lead");
    repo.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    let output = repo.run(&["approve", "--category", "migrations"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo.check_json(&["--no-run"], 0);
}

/// A PATH with git but without ssh-keygen.
fn path_without_ssh_keygen(repo: &TestRepo) -> std::path::PathBuf {
    let dir = repo.scratch().join("bin-no-ssh");
    std::fs::create_dir_all(&dir).unwrap();
    let git = which::which("git").unwrap();
    let link = dir.join("git");
    if !link.exists() {
        std::os::unix::fs::symlink(git, link).unwrap();
    }
    dir
}

#[test]
fn a_missing_ssh_keygen_is_a_clear_error() {
    let repo = signed_repo();
    migration_commit(&repo, false);
    let output = repo
        .agentguard()
        .args(["approve", "--category", "migrations", "--key", "k"])
        .env("PATH", path_without_ssh_keygen(&repo))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ssh-keygen was not found"), "{stderr}");
    assert!(stderr.contains("openssh"), "{stderr}");

    // With an approval stored, judging needs ssh-keygen too: an error, never a silent pass.
    approve(
        &repo,
        "lead@example.com",
        "lead",
        &["--category", "migrations"],
    );
    let output = repo
        .agentguard()
        .args(["check", "--no-run"])
        .env("PATH", path_without_ssh_keygen(&repo))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}

#[test]
fn an_unreadable_approval_note_is_named_and_does_not_count() {
    let repo = signed_repo();
    migration_commit(&repo, false);
    repo.git(&[
        "notes",
        "--ref",
        "agentguard-approvals",
        "add",
        "-m",
        "agentguard-approval v1\nfingerprint 00\ncategories migrations",
        "HEAD",
    ]);
    let report = repo.check_json(&["--no-run"], 1);
    let (_, approved, detail) = &approve_findings(&report)[0];
    assert!(!approved);
    assert!(
        detail.contains("unreadable approval") && detail.contains("malformed"),
        "{detail}"
    );
}

#[test]
fn a_key_held_by_ssh_agent_signs_through_its_public_half() {
    let repo = signed_repo();
    migration_commit(&repo, false);
    let socket = repo.scratch().join("agent.sock");
    let mut agent = std::process::Command::new("ssh-agent")
        .args(["-D", "-a"])
        .arg(&socket)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("ssh-agent");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !socket.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "ssh-agent did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let key = repo.ssh_key("lead");
    let added = std::process::Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", text(&added));
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    repo.git(&["config", "user.email", "lead@example.com"]);
    repo.git(&[
        "config",
        "user.signingkey",
        &format!("key::{}", public.trim()),
    ]);
    let output = repo
        .agentguard()
        .args(["approve", "--category", "migrations"])
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .unwrap();
    let _ = agent.kill();
    let _ = agent.wait();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo.check_json(&["--no-run"], 0);
}

#[test]
fn a_key_listed_by_a_name_pattern_cannot_sign_as_a_named_approver() {
    let repo = signed_repo();
    // A team key listed for anyone at the domain.
    let mut signers =
        std::fs::read_to_string(repo.path().join(".agentguard/allowed_signers")).unwrap();
    signers.push_str(&repo.signer_line("*@example.com", "stranger"));
    signers.push('\n');
    repo.write(".agentguard/allowed_signers", &signers);
    repo.commit_all("a team key");
    migration_commit(&repo, false);
    let output = approve(
        &repo,
        "lead@example.com",
        "stranger",
        &["--category", "migrations"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report = repo.check_json(&["--no-run"], 1);
    let (_, approved, detail) = &approve_findings(&report)[0];
    assert!(!approved);
    assert!(detail.contains("*@example.com"), "{detail}");
}

#[test]
fn show_lists_approvals_even_when_no_finding_needs_one() {
    let repo = signed_repo();
    repo.write("src/app.py", "x = 1\n");
    repo.commit_all(&msg(&[TASK]));
    let output = approve(&repo, "lead@example.com", "lead", &["--category", "auth"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = repo.run(&["show"]);
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.contains("lead@example.com approved auth"), "{shown}");
    assert!(shown.contains("signature verified"), "{shown}");
}

/// With the hooks installed (`install_args`), a lead approves the staged migration and a
/// person commits it; returns the commit's output.
fn a_persons_commit_with_a_staged_approval(repo: &TestRepo, install_args: &[&str]) -> String {
    let output = repo.agentguard_std().args(install_args).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo.write("migrations/001_users.sql", "CREATE TABLE users (id int);\n");
    repo.git(&["add", "-A"]);
    let output = approve(
        repo,
        "lead@example.com",
        "lead",
        &["--staged", "--category", "migrations"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = repo
        .git_command()
        .args(["commit", "-q", "-m", "add the users table"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    text(&output)
}

fn approval_note_names_migrations(repo: &TestRepo) {
    let note = repo.git(&["notes", "--ref", "agentguard-approvals", "show", "HEAD"]);
    assert!(note.contains("migrations"), "{note}");
}

#[test]
fn a_staged_approval_of_a_persons_commit_is_attached_through_the_hooks() {
    let repo = signed_repo();
    // Every hook on every branch: pre-commit must leave post-commit to attach what is pending
    // (on a person's branch under the default install, pre-push does: below).
    let shown = a_persons_commit_with_a_staged_approval(&repo, &["install", "--every-branch"]);
    assert!(shown.contains("pending approval"), "{shown}");
    approval_note_names_migrations(&repo);
}

#[test]
fn on_a_persons_branch_a_staged_approval_is_attached_when_the_commit_is_pushed() {
    let repo = signed_repo();
    a_persons_commit_with_a_staged_approval(&repo, &["install"]);
    // git runs no post-commit on a person's branch: pre-push attaches it.
    let remote = Remote::new();
    let output = repo.push(&["-q", &remote.url(), "main"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        text(&output).contains("pending approval"),
        "{}",
        text(&output)
    );
    approval_note_names_migrations(&repo);
}
