//! The risk engine: the fixture corpus (precision and recall), and end-to-end checks from the
//! built binary: every category, false positives, policy categories and overrides, guard-config,
//! the allowlist, and redaction of secrets in every output.

use crate::support::{findings, msg, TestRepo, TASK};
use agentguard::internals::diff::{AddedLine, FileAdditions, Status};
use agentguard::internals::finding::Finding;
use agentguard::internals::policy::{Policy, PolicySource, DEFAULT_POLICY};
use agentguard::internals::risk::{detached_change, scan, CompiledPolicy, RiskInput};
use agentguard::internals::task::AcceptanceCommand;
use serde::Deserialize;
use std::collections::BTreeSet;

// --- the corpus -------------------------------------------------------------------------

#[derive(Deserialize)]
struct Corpus {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    path: String,
    #[serde(default)]
    content: String,
    expect: Vec<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    acceptance: Vec<String>,
}

fn default_policy() -> CompiledPolicy {
    CompiledPolicy::new(
        Policy::parse(DEFAULT_POLICY, "built-in", PolicySource::DefaultNoBase).unwrap(),
    )
}

/// Joins the `%%` split markers that keep provider-format tokens out of the repository.
fn join_markers(text: &str) -> String {
    text.replace("%%", "")
}

fn scan_case(compiled: &CompiledPolicy, case: &Case) -> Vec<Finding> {
    let content = join_markers(&case.content);
    let (status, old, new) = match case.status.as_deref() {
        Some("deleted") => (Status::Deleted, Some(case.path.as_str()), None),
        Some("renamed") => (
            Status::Renamed,
            Some(case.from.as_deref().expect("renamed case needs `from`")),
            Some(case.path.as_str()),
        ),
        Some(other) => panic!("unknown status {other}"),
        None => (Status::Added, None, Some(case.path.as_str())),
    };
    let additions = match new {
        Some(_) => vec![FileAdditions {
            path: case.path.clone(),
            binary: false,
            lines: content
                .lines()
                .enumerate()
                .map(|(i, text)| AddedLine {
                    number: i as u32 + 1,
                    text: text.to_string(),
                })
                .collect(),
        }],
        None => Vec::new(),
    };
    let change = detached_change(&[(status, old, new)]);
    let acceptance: Vec<AcceptanceCommand> = case
        .acceptance
        .iter()
        .map(|c| AcceptanceCommand {
            command: c.clone(),
            source: "policy".into(),
        })
        .collect();
    scan(&RiskInput {
        change: &change,
        additions: &additions,
        acceptance: &acceptance,
        compiled,
        hooks_path: None,
    })
}

fn load(name: &str) -> Vec<Case> {
    let path = format!("{}/fixtures/risk/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("corpus file");
    toml::from_str::<Corpus>(&text).expect("corpus parses").case
}

/// Windows of a line that look like secret material (letters and digits together).
fn secretish_windows(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    chars
        .windows(10)
        .map(|w| w.iter().collect::<String>())
        .filter(|w| {
            !w.contains(char::is_whitespace)
                && w.chars().any(|c| c.is_ascii_digit())
                && w.chars().any(|c| c.is_ascii_alphabetic())
        })
        .collect()
}

#[test]
fn corpus_precision_and_recall() {
    let policy = default_policy();
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut report = Vec::new();
    for (file, cases) in [
        ("true_positives.toml", load("true_positives.toml")),
        ("false_positives.toml", load("false_positives.toml")),
    ] {
        for case in &cases {
            let found = scan_case(&policy, case);
            let got: BTreeSet<&str> = found.iter().map(|f| f.category.as_str()).collect();
            let want: BTreeSet<&str> = case.expect.iter().map(String::as_str).collect();
            for category in &want {
                if got.contains(category) {
                    tp += 1;
                } else {
                    fn_ += 1;
                    report.push(format!("MISSED  {file}: {} [{category}]", case.name));
                }
            }
            for f in &found {
                if !want.contains(f.category.as_str()) {
                    fp += 1;
                    report.push(format!(
                        "FALSE+  {file}: {} [{}] {}:{:?} {}",
                        case.name, f.category, case.path, f.line, f.message
                    ));
                }
            }
            // Redaction: a credentials finding never repeats secret material of its line.
            let content = join_markers(&case.content);
            for f in found.iter().filter(|f| f.category == "credentials") {
                let Some(line) = f.line else { continue };
                let text = content.lines().nth(line as usize - 1).unwrap_or_default();
                for window in secretish_windows(text) {
                    assert!(
                        !f.message.contains(&window) && !f.rule.contains(&window),
                        "{}: finding repeats `{window}`: {} / {}",
                        case.name,
                        f.message,
                        f.rule
                    );
                }
            }
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    println!(
        "risk corpus: {tp} true positives, {fp} false positives, {fn_} missed; \
         precision {:.1}%, recall {:.1}%",
        precision * 100.0,
        recall * 100.0
    );
    for line in &report {
        println!("  {line}");
    }
    assert_eq!(fn_, 0, "recall below 100%:\n{}", report.join("\n"));
    // Exact counts, not a tolerance: a new false positive (or a case that stops being found)
    // changes them, and whoever changes the rules or the corpus updates them on purpose.
    assert_eq!(fp, 0, "false positives:\n{}", report.join("\n"));
    assert_eq!(tp, 193, "true positives:\n{}", report.join("\n"));
}

#[test]
fn every_finding_has_a_stable_fingerprint() {
    let policy = default_policy();
    for case in load("true_positives.toml") {
        let first = scan_case(&policy, &case);
        let second = scan_case(&policy, &case);
        for (a, b) in first.iter().zip(&second) {
            let print = a
                .fingerprint
                .as_deref()
                .expect("risk findings carry a fingerprint");
            assert_eq!(print.len(), 16);
            assert!(print.bytes().all(|b| b.is_ascii_hexdigit()));
            assert_eq!(a.fingerprint, b.fingerprint);
            assert!(a.rule.contains(print), "{}", a.rule);
        }
    }
}

// --- end to end -------------------------------------------------------------------------

/// Bodies are synthetic; the provider prefix is assembled here so no literal token is stored.
fn fake_github_token() -> String {
    format!("gh{}_{}", "p", "RiskEngineE2eFixture5Kq8Zt2Lw9Xv4Rp7")
}

fn fake_stripe_key() -> String {
    format!("sk_{}_{}", "live", "RiskEngineE2eFixtureZx81Kq")
}

fn categories(report: &serde_json::Value) -> BTreeSet<String> {
    findings(report)
        .iter()
        .filter(|f| f["kind"] == "risk")
        .map(|f| f["category"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn risk_findings(report: &serde_json::Value, category: &str) -> Vec<serde_json::Value> {
    findings(report)
        .into_iter()
        .filter(|f| f["kind"] == "risk" && f["category"] == category)
        .collect()
}

#[test]
fn every_builtin_category_fires_from_the_binary() {
    let repo = TestRepo::with_initial_commit();
    repo.write("tests/test_old.py", "def test_x():\n    assert 1\n");
    repo.write("scripts/test.sh", "#!/bin/sh\ncargo test\n");
    repo.commit_all("human base");
    repo.write(
        "app/settings.py",
        &format!("import os\nGITHUB = \"{}\"\n", fake_github_token()),
    );
    repo.write("db/migrate/20260101_add_users.rb", "class AddUsers; end\n");
    repo.write("src/auth/session.rs", "pub fn login() {}\n");
    repo.write("src/billing/invoice.rs", "pub fn total() {}\n");
    repo.write("ops/reset.sql", "-- reset\nDROP TABLE users;\n");
    repo.write(".github/workflows/ci.yml", "on: push\n");
    repo.write("Cargo.toml", "[package]\nname = \"x\"\n");
    repo.write(".githooks/pre-commit", "exit 0\n");
    repo.write("scripts/test.sh", "#!/bin/sh\nexit 0\n");
    repo.remove("tests/test_old.py");
    repo.commit_all(&msg(&[TASK, "Agent-Acceptance: ./scripts/test.sh"]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let got = categories(&report);
    for category in [
        "credentials",
        "migrations",
        "auth",
        "payments",
        "data-deletion",
        "ci-config",
        "dependencies",
        "test-tampering",
        "guard-config",
    ] {
        assert!(got.contains(category), "{category} missing: {report:#}");
    }
    let secret = &risk_findings(&report, "credentials")[0];
    assert_eq!(secret["path"], "app/settings.py");
    assert_eq!(secret["line"], 2);
    assert_eq!(secret["action"], "block");
    assert_eq!(secret["fingerprint"].as_str().map(str::len), Some(16));
    let drop = &risk_findings(&report, "data-deletion")[0];
    assert_eq!(drop["line"], 2);
    assert_eq!(drop["action"], "approve");
    assert_eq!(risk_findings(&report, "dependencies")[0]["action"], "warn");
    let tampering: Vec<String> = risk_findings(&report, "test-tampering")
        .iter()
        .map(|f| f["path"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        tampering.contains(&"tests/test_old.py".to_string()),
        "{tampering:?}"
    );
    assert!(
        tampering.contains(&"scripts/test.sh".to_string()),
        "{tampering:?}"
    );
}

#[test]
fn skip_markers_and_vacuous_assertions_fire_with_line_numbers() {
    let repo = TestRepo::with_initial_commit();
    repo.write(
        "tests/test_api.py",
        "def test_a():\n    assert call() == 1\n",
    );
    repo.commit_all("human base");
    repo.write(
        "tests/test_api.py",
        "import pytest\n\n@pytest.mark.skip(reason=\"flaky\")\ndef test_a():\n    assert True\n",
    );
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let lines: Vec<i64> = risk_findings(&report, "test-tampering")
        .iter()
        .filter_map(|f| f["line"].as_i64())
        .collect();
    assert_eq!(lines, vec![3, 5], "{report:#}");
}

#[test]
fn false_positives_stay_quiet() {
    let repo = TestRepo::with_initial_commit();
    repo.write(
        "app/config.py",
        concat!(
            "API_KEY = os.environ[\"API_KEY\"]\n",
            "TOKEN = \"xxxxxxxxxxxxxxxxxxxxxxxx\"\n",
            "password_hash = \"5f4dcc3b5aa765d61d8327deb882cf99\"\n",
            "request_id = \"550e8400-e29b-41d4-a716-446655440000\"\n",
            "LOGO = \"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAIza0123456789abcdefghijABCDEFGHIJ+/==\"\n",
            "DB = \"postgres://postgres:postgres@localhost:5432/app\"\n",
        ),
    );
    repo.write(
        "web/config.js",
        "const token = process.env.GITHUB_TOKEN;\nconst secret = `${SECRET}`;\n",
    );
    repo.write(
        "deploy/authorized_keys",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureOnlyPublicKeyForTheRiskTests deploy@ci\n",
    );
    repo.write(
        "tests/fixtures/users.json",
        "{\"password\": \"Wq9zL2xv7RtK\"}\n",
    );
    repo.write(".env.example", "API_KEY=<your-api-key>\nSECRET=changeme\n");
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 0);
    assert!(categories(&report).is_empty(), "{report:#}");
}

#[test]
fn binary_files_are_judged_by_path_and_by_the_credentials_in_their_strings() {
    let repo = TestRepo::with_initial_commit();
    // A real binary (not UTF-8, full of control bytes); a token inside must not hide there.
    let mut blob = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\xff\xfe\x02\x03".to_vec();
    blob.extend_from_slice(fake_github_token().as_bytes());
    repo.write_bytes("assets/blob.bin", &blob);
    repo.write_bytes("certs/client.p12", b"\x00\x30\x82binary keystore");
    // Noise: 256 KiB of pseudo-random bytes and a compiled-looking format string.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut noise: Vec<u8> = (0..256 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    noise.extend_from_slice(b"\x00password=%s token=%s api_key=%s\x00");
    repo.write_bytes("assets/noise.bin", &noise);
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let found = risk_findings(&report, "credentials");
    let located: Vec<(&str, &serde_json::Value)> = found
        .iter()
        .map(|f| (f["path"].as_str().unwrap_or_default(), &f["line"]))
        .collect();
    assert_eq!(
        located,
        vec![
            ("assets/blob.bin", &serde_json::Value::Null),
            ("certs/client.p12", &serde_json::Value::Null),
        ],
        "{report:#}"
    );
    assert!(!report.to_string().contains(&fake_github_token()));
}

#[test]
fn secrets_are_redacted_in_human_and_json_output() {
    let repo = TestRepo::with_initial_commit();
    let github = fake_github_token();
    let stripe = fake_stripe_key();
    let password = "Hq7Lz2Vx9RtK4mPw";
    repo.write(
        "app/keys.py",
        &format!(
            "GITHUB = \"{github}\"\nSTRIPE = \"{stripe}\"\nDB = \"postgres://app:{password}@db.internal/app\"\n"
        ),
    );
    repo.commit_all(&msg(&[TASK]));
    let json = repo
        .agentguard()
        .args(["check", "HEAD", "--no-run", "--format", "json"])
        .output()
        .unwrap();
    let human = repo
        .agentguard()
        .args(["check", "HEAD", "--no-run", "-v"])
        .output()
        .unwrap();
    for output in [&json, &human] {
        assert_eq!(output.status.code(), Some(1));
        for stream in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(stream);
            for secret in [github.as_str(), stripe.as_str(), password] {
                assert!(!text.contains(secret), "secret leaked:\n{text}");
                assert!(
                    !text.contains(&secret[..12]),
                    "secret prefix leaked:\n{text}"
                );
            }
        }
    }
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("`ghp_…` (40 chars, redacted)"), "{text}");
    assert!(text.contains("fingerprint "), "{text}");
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(risk_findings(&report, "credentials").len(), 3, "{report:#}");
}

#[test]
fn policy_in_the_base_defines_categories_and_overrides_actions() {
    let repo = TestRepo::with_initial_commit();
    repo.write(
        ".agentguard.toml",
        r#"
[risk.feature-flags]
description = "feature flag defaults"
paths = ["config/flags/**"]
content = ['enabled_by_default:\s*true']
action = "block"

[risk.dependencies]
action = "approve"

[risk.ci-config]
action = "warn"
paths = ["ci/**"]
"#,
    );
    repo.commit_all("human: policy");
    repo.write("config/flags/checkout.yml", "name: x\n");
    repo.write(
        "src/flags.rs",
        "// x\nconst F: &str = \"enabled_by_default: true\";\n",
    );
    repo.write("package.json", "{}\n");
    repo.write("ci/run.sh", "make\n");
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let flags = risk_findings(&report, "feature-flags");
    let spots: BTreeSet<(String, Option<i64>)> = flags
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["line"].as_i64()))
        .collect();
    assert_eq!(
        spots,
        BTreeSet::from([
            ("config/flags/checkout.yml".to_string(), None),
            ("src/flags.rs".to_string(), Some(2)),
        ]),
        "{report:#}"
    );
    assert!(flags.iter().all(|f| f["action"] == "block"));
    assert_eq!(
        risk_findings(&report, "dependencies")[0]["action"],
        "approve"
    );
    let ci = risk_findings(&report, "ci-config");
    assert_eq!(ci.len(), 1, "{report:#}");
    assert_eq!(ci[0]["action"], "warn");
    assert_eq!(ci[0]["path"], "ci/run.sh");
}

#[test]
fn policy_in_the_change_itself_does_not_count() {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[allowlist]\npaths = [\"app/**\"]\n");
    repo.write("app/keys.py", &format!("K = \"{}\"\n", fake_github_token()));
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    assert_eq!(risk_findings(&report, "credentials").len(), 1, "{report:#}");
    assert_eq!(
        risk_findings(&report, "guard-config").len(),
        1,
        "{report:#}"
    );
}

#[test]
fn guard_config_cannot_be_weakened_by_policy() {
    let repo = TestRepo::with_initial_commit();
    repo.write(
        ".agentguard.toml",
        r#"
[risk.guard-config]
action = "warn"

[allowlist]
paths = [".agentguard.toml", ".githooks/**", ".husky/"]
"#,
    );
    repo.commit_all("human: try to weaken guard-config");
    repo.write(".agentguard.toml", "[scope]\nallow = [\"**\"]\n");
    repo.write(".githooks/pre-commit", "exit 0\n");
    repo.write(".husky/pre-push", "exit 0\n");
    repo.commit_all(&msg(&[TASK]));
    let first = repo.check_json(&["HEAD", "--no-run"], 1);
    let guard = risk_findings(&first, "guard-config");
    assert_eq!(guard.len(), 3, "{first:#}");
    assert!(guard.iter().all(|f| f["action"] == "approve"));

    // Not by fingerprint either.
    let prints: Vec<String> = guard
        .iter()
        .map(|f| format!("\"{}\"", f["fingerprint"].as_str().unwrap()))
        .collect();
    repo.write(
        ".agentguard.toml",
        &format!("[allowlist]\nfindings = [{}]\n", prints.join(", ")),
    );
    repo.remove(".githooks/pre-commit");
    repo.remove(".husky/pre-push");
    repo.commit_all("human: allowlist by fingerprint");
    repo.write(".githooks/pre-commit", "exit 1\n");
    repo.commit_all(&msg(&[TASK]));
    let second = repo.check_json(&["HEAD", "--no-run"], 1);
    assert_eq!(
        risk_findings(&second, "guard-config").len(),
        1,
        "{second:#}"
    );
}

#[test]
fn allowlist_by_path() {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[allowlist]\npaths = [\"legacy/**\"]\n");
    repo.commit_all("human: allowlist");
    repo.write(
        "legacy/keys.py",
        &format!("K = \"{}\"\n", fake_github_token()),
    );
    repo.write("app/keys.py", &format!("K = \"{}\"\n", fake_stripe_key()));
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let paths: Vec<String> = risk_findings(&report, "credentials")
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, vec!["app/keys.py"], "{report:#}");
}

#[test]
fn allowlist_by_fingerprint() {
    let repo = TestRepo::with_initial_commit();
    let base = repo.git(&["rev-parse", "HEAD"]);
    let content = format!(
        "A = \"{}\"\nB = \"{}\"\n",
        fake_github_token(),
        fake_stripe_key()
    );
    repo.write("app/keys.py", &content);
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let found = risk_findings(&report, "credentials");
    assert_eq!(found.len(), 2, "{report:#}");
    let github_print = found
        .iter()
        .find(|f| f["line"] == 1)
        .and_then(|f| f["fingerprint"].as_str())
        .unwrap()
        .to_string();

    // A reviewer accepts the first finding in the policy; the same change on that base keeps
    // only the second.
    repo.git(&["checkout", "-q", "-b", "reviewed", &base]);
    repo.write(
        ".agentguard.toml",
        &format!("[allowlist]\nfindings = [\"{github_print}\"]\n"),
    );
    repo.commit_all("human: accept a reviewed finding");
    repo.write("app/keys.py", &content);
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let left = risk_findings(&report, "credentials");
    assert_eq!(left.len(), 1, "{report:#}");
    assert_eq!(left[0]["line"], 2);
}

#[test]
fn bad_policy_regex_is_an_error_naming_it() {
    let repo = TestRepo::with_initial_commit();
    repo.write(
        ".agentguard.toml",
        "[risk.flags]\ncontent = ['(unclosed']\n",
    );
    repo.commit_all("human: bad policy");
    repo.write("a.txt", "x\n");
    repo.commit_all(&msg(&[TASK]));
    let out = repo
        .agentguard()
        .args(["check", "HEAD", "--no-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("(unclosed"), "{err}");
    assert!(err.contains(".agentguard.toml"), "{err}");
}

#[test]
fn a_symlink_is_judged_by_its_target_too() {
    let repo = TestRepo::with_initial_commit();
    repo.write(".githooks/pre-commit", "exit 0\n");
    repo.commit_all("human: hooks");
    std::fs::create_dir_all(repo.path().join("tools")).unwrap();
    std::os::unix::fs::symlink("../.githooks/pre-commit", repo.path().join("tools/hook")).unwrap();
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let guard = risk_findings(&report, "guard-config");
    assert_eq!(guard.len(), 1, "{report:#}");
    assert_eq!(guard[0]["path"], "tools/hook");
    let message = guard[0]["message"].as_str().unwrap();
    assert!(
        message.contains("symlink to `.githooks/pre-commit`"),
        "{message}"
    );
}

#[test]
fn a_symlink_to_a_directory_is_judged_by_what_it_exposes() {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard/tasks/T-9.toml", "goal = \"x\"\n");
    repo.commit_all("human: a task");
    std::os::unix::fs::symlink(".agentguard", repo.path().join("config")).unwrap();
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let guard = risk_findings(&report, "guard-config");
    assert_eq!(guard.len(), 1, "{report:#}");
    assert_eq!(guard[0]["path"], "config");
}

// --- review fixes ------------------------------------------------------------------------

fn human_and_json(repo: &TestRepo) -> (String, String) {
    let run = |args: &[&str]| {
        let out = repo.agentguard().args(args).output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    (
        run(&["check", "HEAD", "--no-run", "-v"]),
        run(&["check", "HEAD", "--no-run", "--format", "json"]),
    )
}

#[test]
fn credentials_in_other_categories_snippets_are_masked() {
    let repo = TestRepo::with_initial_commit();
    repo.write(
        ".agentguard.toml",
        "[risk.flags]\ncontent = ['STRIPE_KEY=.*']\naction = \"warn\"\n",
    );
    repo.commit_all("human: policy");
    let github = fake_github_token();
    let stripe = fake_stripe_key();
    repo.write(
        "scripts/wipe.sh",
        &format!("rm -rf /srv/app --token={github}\n"),
    );
    repo.write("deploy/app.conf", &format!("STRIPE_KEY={stripe}\n"));
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    assert_eq!(
        risk_findings(&report, "data-deletion").len(),
        1,
        "{report:#}"
    );
    assert_eq!(risk_findings(&report, "flags").len(), 1, "{report:#}");
    let (human, json) = human_and_json(&repo);
    for text in [&human, &json] {
        for secret in [&github, &stripe] {
            // Not even the 29-character prefix a snippet used to show.
            assert!(!text.contains(&secret[..10]), "secret leaked:\n{text}");
        }
    }
    assert!(human.contains("/srv/app"), "{human}");
    assert!(human.contains("redacted"), "{human}");
}

#[test]
fn redact_secrets_is_public_and_exact() {
    let policy = default_policy();
    let github = fake_github_token();
    let output = format!("fatal: push to origin with {github} failed\ntest result: ok\n");
    assert_eq!(
        agentguard::internals::risk::redact_secrets(&policy, &output),
        "fatal: push to origin with `ghp_…` (40 chars, redacted) failed\ntest result: ok\n"
    );
    let plain = "running 12 tests\ntest token::refresh ... ok\n";
    assert_eq!(
        agentguard::internals::risk::redact_secrets(&policy, plain),
        plain
    );
}

#[test]
fn files_run_by_setup_commands_are_test_tampering() {
    let repo = TestRepo::with_initial_commit();
    repo.write(
        ".agentguard.toml",
        "[acceptance]\nsetup = [\"./scripts/bootstrap.sh\"]\ncommands = [\"cargo test\"]\n",
    );
    repo.write(
        "scripts/bootstrap.sh",
        "#!/bin/sh\npip install -r requirements.txt\n",
    );
    repo.write("rust-toolchain.toml", "[toolchain]\nchannel = \"stable\"\n");
    repo.commit_all("human: policy");
    repo.write("scripts/bootstrap.sh", "#!/bin/sh\nexit 0\n");
    repo.write(
        ".cargo/config.toml",
        "[build]\nrustflags = [\"--cfg\", \"quick\"]\n",
    );
    repo.write("rust-toolchain.toml", "[toolchain]\nchannel = \"1.70\"\n");
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let tampering = risk_findings(&report, "test-tampering");
    let paths: BTreeSet<&str> = tampering
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            ".cargo/config.toml",
            "rust-toolchain.toml",
            "scripts/bootstrap.sh"
        ]),
        "{report:#}"
    );
    let setup = tampering
        .iter()
        .find(|f| f["path"] == "scripts/bootstrap.sh")
        .and_then(|f| f["message"].as_str())
        .unwrap_or_default();
    assert!(setup.contains("setup command"), "{setup}");
}

#[test]
fn allowed_signers_file_is_guard_config() {
    let repo = TestRepo::with_initial_commit();
    repo.write(
        ".agentguard.toml",
        "[approvals]\nallowed_signers = \"keys/allowed_signers\"\n\n[allowlist]\npaths = [\"keys/\"]\n",
    );
    repo.write(
        "keys/allowed_signers",
        "lead@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureLeadKey\n",
    );
    repo.commit_all("human: approvals");
    repo.write(
        "keys/allowed_signers",
        "lead@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureLeadKey\n\
         agent@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureAgentKey\n",
    );
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let guard = risk_findings(&report, "guard-config");
    assert_eq!(guard.len(), 1, "{report:#}");
    assert_eq!(guard[0]["path"], "keys/allowed_signers");
    assert_eq!(guard[0]["action"], "approve");
}

#[test]
fn a_test_renamed_to_a_name_no_runner_collects_is_test_tampering() {
    let repo = TestRepo::with_initial_commit();
    repo.write("tests/test_a.py", "def test_a():\n    assert run() == 1\n");
    repo.write("pkg/foo_test.go", "package pkg\n");
    repo.commit_all("human base");
    repo.git(&["mv", "tests/test_a.py", "tests/test_a.py.disabled"]);
    repo.git(&["mv", "pkg/foo_test.go", "pkg/foo_test.go.bak"]);
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let paths: BTreeSet<String> = risk_findings(&report, "test-tampering")
        .iter()
        .filter_map(|f| f["path"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from(["pkg/foo_test.go".to_string(), "tests/test_a.py".to_string()]),
        "{report:#}"
    );
}

#[test]
fn look_alike_paths_and_comments_stay_quiet() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/styles/striped-table.css", ".striped { color: red; }\n");
    repo.write("scripts/checkout-release.sh", "git checkout \"v$1\"\n");
    repo.write(
        "docs/password-reset.md",
        "Reset your password from the login page.\n",
    );
    repo.write(
        "app/models.py",
        "-- DROP TABLE is not used here\n# DELETE FROM users;\n",
    );
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 0);
    assert!(categories(&report).is_empty(), "{report:#}");
}

#[test]
fn climbing_out_of_temp_and_commented_where_are_caught() {
    let repo = TestRepo::with_initial_commit();
    repo.write(
        "scripts/clean.sh",
        "rm -rf /tmp/../srv/prod\nrm -rf \"$TMPDIR\"/../../home\n",
    );
    repo.write("ops/purge.sql", "DELETE FROM users /* WHERE */;\n");
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let located: Vec<(String, i64)> = risk_findings(&report, "data-deletion")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["line"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        located,
        vec![
            ("ops/purge.sql".to_string(), 1),
            ("scripts/clean.sh".to_string(), 1),
            ("scripts/clean.sh".to_string(), 2),
        ],
        "{report:#}"
    );
}

#[test]
fn one_long_line_of_secrets_is_scanned_in_bounded_work() {
    let policy = default_policy();
    // 160,000 assignments on one 4.6 MB line: every hit used to rescan the line and every
    // earlier hit. The summary says counting stopped, so the work done was bounded.
    let line = "a_token=\"Zq8LmR2vXw9KpT4nB7\";".repeat(160_000);
    let additions = vec![FileAdditions {
        path: "app/blob.py".to_string(),
        binary: false,
        lines: vec![AddedLine {
            number: 1,
            text: line,
        }],
    }];
    let change = detached_change(&[(Status::Added, None, Some("app/blob.py"))]);
    let found = scan(&RiskInput {
        change: &change,
        additions: &additions,
        acceptance: &[],
        compiled: &policy,
        hooks_path: None,
    });
    assert_eq!(found.len(), 26);
    assert!(
        found[25].message.starts_with("at least 975 more"),
        "{}",
        found[25].message
    );
}

#[test]
fn one_stray_nul_does_not_turn_a_script_into_a_binary() {
    let repo = TestRepo::with_initial_commit();
    let mut script = b"#!/bin/bash\n# deploy helper, see the runbook for details ......................................\x00\n".to_vec();
    script.extend_from_slice(b"psql -c 'DROP TABLE users'\nrm -rf /srv/prod-data\n");
    repo.write_bytes("scripts/deploy.sh", &script);
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let lines: Vec<u64> = risk_findings(&report, "data-deletion")
        .iter()
        .filter_map(|f| f["line"].as_u64())
        .collect();
    assert_eq!(lines, vec![3, 4], "{report:#}");
}

#[test]
fn the_configured_hooks_directory_is_guard_config() {
    let repo = TestRepo::with_initial_commit();
    repo.git(&["config", "core.hooksPath", "scripts/git-hooks"]);
    repo.write("scripts/git-hooks/pre-commit", "#!/bin/sh\nexit 0\n");
    repo.write("scripts/build.sh", "#!/bin/sh\nmake\n");
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let paths: Vec<String> = risk_findings(&report, "guard-config")
        .iter()
        .filter_map(|f| f["path"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        paths,
        vec!["scripts/git-hooks/pre-commit".to_string()],
        "{report:#}"
    );
}

#[test]
fn padding_a_file_with_control_bytes_does_not_hide_its_content() {
    let repo = TestRepo::with_initial_commit();
    // Still valid UTF-8 (and still Python), but one byte in ten is a control character.
    let mut valid = "# \u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\n".to_string();
    valid.push_str("import pytest\n@pytest.mark.skip\ndef test_x():\n    pass\n");
    repo.write("tests/test_x.py", &valid);
    // Not UTF-8 and mostly control bytes: a binary to git, yet bash runs it.
    let mut script = b"#!/bin/bash\n#".to_vec();
    script.extend(std::iter::repeat_n(0x01u8, 64));
    script.extend_from_slice(b"\xff\x00\nrm -rf /srv/prod-data\n");
    repo.write_bytes("scripts/cleanup.sh", &script);
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    assert_eq!(
        risk_findings(&report, "test-tampering").len(),
        1,
        "{report:#}"
    );
    let deletion = risk_findings(&report, "data-deletion");
    assert_eq!(deletion.len(), 1, "{report:#}");
    assert_eq!(deletion[0]["path"], "scripts/cleanup.sh");
}

#[test]
fn a_large_change_read_and_scanned_on_two_threads_finds_every_secret_once() {
    // Above the size where reading and scanning overlap on two threads.
    let repo = crate::support::TestRepo::with_initial_commit();
    let key = join_markers("AKIA%%Q7RISKFIXTUREK2M");
    for i in 0..150 {
        let body = if i % 10 == 3 {
            format!("AWS_ACCESS_KEY_ID = \"{key}\"\n")
        } else {
            format!("value_{i} = {i}\n")
        };
        repo.write(&format!("src/m{i:03}.py"), &body);
    }
    repo.commit_all(&crate::support::msg(&[crate::support::TASK]));
    let report = repo.check_json(&["--no-run"], 1);
    let paths: Vec<String> = crate::support::finding_keys_of(&report, "risk")
        .into_iter()
        .filter(|(_, c, _)| c == "credentials")
        .map(|(_, _, p)| p)
        .collect();
    let expected: Vec<String> = (0..150)
        .filter(|i| i % 10 == 3)
        .map(|i| format!("src/m{i:03}.py"))
        .collect();
    assert_eq!(paths, expected);
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(&key), "the key is redacted everywhere");
}
