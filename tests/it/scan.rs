//! `agentguard scan`: credentials (or any risk category) in history or in files, for
//! adopting agentguard on an existing repository; the formats, redaction and allowlist of
//! `check`.

use crate::support::{text, TestRepo};
use serde_json::Value;

/// Tokens of published shapes, assembled here so no literal sits in the repository.
fn github() -> String {
    format!("gh{}_{}", "p", "ScanHistoryFixture7Qz2Lp9Xw4Rt8Kd3Vx")
}

fn stripe() -> String {
    format!("sk_{}_{}", "live", "ScanFixtureQ7z2Lp9Xw4Rt8K")
}

/// Three commits: a token added, a clean one, a second token; HEAD still holds both.
fn history() -> TestRepo {
    let repo = TestRepo::with_initial_commit();
    repo.write("app/settings.py", &format!("GITHUB = \"{}\"\n", github()));
    repo.commit_all("add settings");
    repo.write("README.md", "docs\n");
    repo.commit_all("docs");
    repo.write("pay/config.yaml", &format!("stripe_key: {}\n", stripe()));
    repo.commit_all("payments");
    repo
}

fn json(repo: &TestRepo, args: &[&str]) -> (std::process::Output, Value) {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let output = repo.run(&all);
    let report =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output)));
    (output, report)
}

fn findings(report: &Value) -> Vec<(Option<String>, String)> {
    report["commits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            let commit = c["commit"].as_str().map(str::to_string);
            c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |f| (commit.clone(), f["path"].as_str().unwrap().to_string()))
        })
        .collect()
}

fn assert_redacted(output: &std::process::Output) {
    let shown = text(output);
    assert!(!shown.contains(&github()[4..]), "{shown}");
    assert!(!shown.contains(&stripe()[8..]), "{shown}");
}

#[test]
fn the_whole_history_names_each_commit_that_added_a_credential() {
    let repo = history();
    let (output, report) = json(&repo, &["--all"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_redacted(&output);
    // Four commits scanned; two hold a credential, each in the file it added.
    assert_eq!(report["commits"].as_array().unwrap().len(), 4);
    let found = findings(&report);
    let settings = repo.git(&["rev-parse", "HEAD~2"]);
    let payments = repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(
        found,
        vec![
            (Some(settings), "app/settings.py".to_string()),
            (Some(payments), "pay/config.yaml".to_string()),
        ]
    );
    // The human report lists what was found and how much was scanned.
    let human = repo.run(&["scan", "--all", "--color", "never"]);
    assert_eq!(human.status.code(), Some(1));
    let shown = String::from_utf8_lossy(&human.stdout);
    assert!(
        shown.starts_with("agentguard scan: 4 commits scanned for credentials\n"),
        "{shown}"
    );
    assert!(shown.contains("GitHub personal access token"), "{shown}");
    assert_redacted(&human);
}

#[test]
fn a_range_scans_only_its_commits() {
    let repo = history();
    let (output, report) = json(&repo, &["HEAD~2..HEAD~1"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(findings(&report).is_empty());
    let (output, report) = json(&repo, &["HEAD~1..HEAD"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(findings(&report).len(), 1);
}

#[test]
fn without_arguments_the_files_of_head_are_scanned() {
    let repo = history();
    // A change in the work tree is not HEAD's.
    repo.write("app/settings.py", "GITHUB = os.environ[\"GITHUB\"]\n");
    let (output, report) = json(&repo, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let paths: Vec<String> = findings(&report).into_iter().map(|(_, p)| p).collect();
    assert_eq!(paths, vec!["app/settings.py", "pay/config.yaml"]);
}

#[test]
fn paths_are_read_from_the_work_tree_without_what_git_ignores() {
    let repo = TestRepo::with_initial_commit();
    repo.write(".gitignore", "build/\n");
    repo.commit_all("ignore build output");
    repo.write("config/local.yaml", &format!("token: {}\n", github()));
    repo.write("config/notes.txt", "nothing here\n");
    repo.write("build/cache.txt", &format!("token: {}\n", github()));
    let (output, report) = json(&repo, &["config", "build", "."]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let paths: Vec<String> = findings(&report).into_iter().map(|(_, p)| p).collect();
    assert_eq!(paths, vec!["config/local.yaml"]);
    let human = repo.run(&["scan", "config/notes.txt"]);
    assert_eq!(human.status.code(), Some(0), "{}", text(&human));
    assert!(text(&human).contains("1 file scanned for credentials\nnothing found"));
}

#[test]
fn categories_and_the_allowlist_come_from_heads_policy() {
    let repo = history();
    repo.write("db/drop.sql", "DROP TABLE users;\n");
    repo.commit_all("drop");
    let (output, report) = json(&repo, &["HEAD~1..HEAD", "--category", "data-deletion"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(
        findings(&report),
        vec![(
            Some(repo.git(&["rev-parse", "HEAD"])),
            "db/drop.sql".to_string()
        )]
    );
    // Allowlisting both credentials in HEAD's policy silences them.
    let (_, report) = json(&repo, &["--all"]);
    let prints: Vec<String> = report["commits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["findings"].as_array().unwrap().clone())
        .map(|f| format!("\"{}\"", f["fingerprint"].as_str().unwrap()))
        .collect();
    assert_eq!(prints.len(), 2);
    repo.write(
        ".agentguard.toml",
        &format!("[allowlist]\nfindings = [{}]\n", prints.join(", ")),
    );
    repo.commit_all("reviewed: test tokens");
    let (output, report) = json(&repo, &["--all"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(findings(&report).is_empty());
}

#[test]
fn sarif_of_a_scan_is_valid() {
    let repo = history();
    let output = repo.run(&["scan", "--all", "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/sarif/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);
    assert_redacted(&output);
}

#[test]
fn bad_arguments_are_errors() {
    let repo = history();
    let unknown = repo.run(&["scan", "--category", "nope"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    assert!(text(&unknown).contains("unknown risk category `nope`"));
    let neither = repo.run(&["scan", "no-such-branch-or-file"]);
    assert_eq!(neither.status.code(), Some(2), "{}", text(&neither));
    let mixed = repo.run(&["scan", "HEAD~1..HEAD", "app"]);
    assert_eq!(mixed.status.code(), Some(2), "{}", text(&mixed));
    assert!(text(&mixed).contains("either commits or paths"));
}
