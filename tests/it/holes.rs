//! The smaller holes of the gate, each tried as an agent would through the CI flow the docs
//! describe (a hosted remote, a fresh clone, `agentguard verify --base origin/main`): risk
//! paths in another case, CI configuration outside the usual places.

use crate::support::{msg, text, TestRepo, TASK};
use serde_json::Value;

/// The CI job: a fresh clone of the hosted remote at `branch`, the notes fetched, and
/// `verify --base origin/main` (acceptance not re-run); the exit code and the report.
fn ci_verify(origin: &TestRepo, branch: &str) -> (i32, Value) {
    let ci = TestRepo::clone_url(&origin.push_to_bare(), &["--branch", branch]);
    let output = ci.run(&[
        "verify",
        "--base",
        "origin/main",
        "--no-run",
        "--format",
        "json",
    ]);
    let code = output.status.code().unwrap_or(-1);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("no JSON report: {}", text(&output)));
    (code, report)
}

/// (category, path, action) of every finding of every commit.
fn all_findings(report: &Value) -> Vec<(String, String, String)> {
    report["commits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["findings"].as_array().unwrap().clone())
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("category"), s("path"), s("action"))
        })
        .collect()
}

fn has(found: &[(String, String, String)], category: &str, path: &str) -> bool {
    found.iter().any(|(c, p, _)| c == category && p == path)
}

#[test]
fn risk_paths_match_whatever_the_case() {
    let origin = TestRepo::new();
    origin.write(
        ".agentguard.toml",
        "[evidence]\nrequire = false\n\n[risk.flags]\npaths = [\"config/flags/\"]\n",
    );
    origin.write("README.md", "hello\n");
    origin.commit_all("base");
    origin.checkout_new("agent/case");
    // EF Core's default migrations folder, a capitalised auth directory, a policy path.
    origin.write(
        "Migrations/20240101_Init.cs",
        "public partial class Init {}\n",
    );
    origin.write("src/Auth/TokenService.cs", "class TokenService {}\n");
    origin.write("Config/Flags/beta.json", "{}\n");
    origin.write("src/Helpers.cs", "class Helpers {}\n");
    origin.commit_all(&msg(&[TASK]));
    let (code, report) = ci_verify(&origin, "agent/case");
    assert_eq!(code, 1);
    let found = all_findings(&report);
    assert!(
        has(&found, "migrations", "Migrations/20240101_Init.cs"),
        "{found:?}"
    );
    assert!(has(&found, "auth", "src/Auth/TokenService.cs"), "{found:?}");
    assert!(has(&found, "flags", "Config/Flags/beta.json"), "{found:?}");
    assert!(
        !found.iter().any(|(_, p, _)| p == "src/Helpers.cs"),
        "{found:?}"
    );
}

#[test]
fn files_ci_runs_from_outside_the_ci_directories_are_ci_config() {
    let origin = TestRepo::new();
    origin.write(".agentguard.toml", "[evidence]\nrequire = false\n");
    origin.write(
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: ./tools/setup\n      - run: make test\n",
    );
    origin.write(
        "tools/setup/action.yml",
        "runs:\n  using: composite\n  steps:\n    - uses: ./tools/cache\n",
    );
    origin.write(
        "tools/setup/install.sh",
        "pip install -r requirements.txt\n",
    );
    origin.write(
        "tools/cache/action.yml",
        "runs:\n  using: composite\n  steps: []\n",
    );
    origin.write(
        ".gitlab-ci.yml",
        "include:\n  - 'ci/build.yml'\n  - local: /ci/test.yml\n  - project: group/shared\n    file: /templates/deploy.yml\n\nstages: [build, test]\n",
    );
    origin.write(
        "ci/build.yml",
        "include: 'ci/nested.yml'\nbuild:\n  script: make\n",
    );
    origin.write("ci/test.yml", "test:\n  script: make test\n");
    origin.write("ci/nested.yml", "lint:\n  script: make lint\n");
    origin.write("docs/CODEOWNERS", "* @acme/leads\n");
    origin.write(".gitlab/CODEOWNERS", "* @acme/leads\n");
    origin.write("src/app.py", "print('app')\n");
    origin.commit_all("base");
    origin.checkout_new("agent/ci");
    for path in [
        "tools/setup/install.sh",
        "tools/cache/action.yml",
        "ci/build.yml",
        "ci/test.yml",
        "ci/nested.yml",
        "docs/CODEOWNERS",
        ".gitlab/CODEOWNERS",
        "src/app.py",
    ] {
        let before = origin.read(path);
        origin.write(path, &format!("{before}# tweaked\n"));
    }
    // A workflow the change adds, and the local action it brings along.
    origin.write(
        ".github/workflows/release.yml",
        "on: push\njobs:\n  r:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./scripts/publish\n",
    );
    origin.write(
        "scripts/publish/action.yml",
        "runs:\n  using: node20\n  main: index.js\n",
    );
    origin.write("scripts/publish/index.js", "console.log('publish')\n");
    origin.commit_all(&msg(&[TASK]));
    let (code, report) = ci_verify(&origin, "agent/ci");
    assert_eq!(code, 1);
    let found = all_findings(&report);
    for path in [
        "tools/setup/install.sh",
        "tools/cache/action.yml",
        "ci/build.yml",
        "ci/test.yml",
        "ci/nested.yml",
        "docs/CODEOWNERS",
        ".gitlab/CODEOWNERS",
        ".github/workflows/release.yml",
        "scripts/publish/action.yml",
        "scripts/publish/index.js",
    ] {
        assert!(has(&found, "ci-config", path), "{path}: {found:?}");
    }
    assert!(!has(&found, "ci-config", "src/app.py"), "{found:?}");
    assert!(found
        .iter()
        .filter(|(c, _, _)| c == "ci-config")
        .all(|(_, _, action)| action == "approve"));
    // Each such file is named once, with why.
    let setup: Vec<&Value> = report["commits"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "tools/setup/install.sh")
        .collect();
    assert_eq!(setup.len(), 1, "{setup:?}");
    let message = setup[0]["message"].as_str().unwrap();
    assert!(
        message.contains("`.github/workflows/ci.yml` uses `./tools/setup`"),
        "{message}"
    );
}

/// main with task T-7, bound to codex (or any bot author) on `agent/T-7-*` branches, and T-8
/// in the policy, bound to `agent/T-8` only.
fn bound_tasks() -> TestRepo {
    let origin = TestRepo::new();
    origin.write(
        ".agentguard.toml",
        "[evidence]\nrequire = false\n\n[tasks.\"T-8\"]\nbranches = [\"agent/T-8\"]\n",
    );
    origin.write(
        ".agentguard/tasks/T-7.toml",
        "goal = \"fix the parser\"\nagents = [\"codex\", \"*@bots.example.com\"]\nbranches = [\"agent/T-7-*\"]\n",
    );
    origin.write("README.md", "hello\n");
    origin.commit_all("base");
    origin
}

fn binding_findings(report: &Value) -> Vec<(String, String)> {
    report["commits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["findings"].as_array().unwrap().clone())
        .filter(|f| f["kind"] == "metadata")
        .map(|f| {
            (
                f["category"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_task_admits_only_its_agents_and_branches() {
    let origin = bound_tasks();
    let commit = |branch: &str, file: &str, trailers: &[&str]| {
        origin.git(&["checkout", "-q", "-B", branch, "main"]);
        origin.write(file, "x\n");
        origin.commit_all(&msg(trailers))
    };
    let judge = |rev: &str| {
        let output = origin.run(&["check", rev, "--no-run", "--format", "json"]);
        let report: Value =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{}", text(&output)));
        (output.status.code(), binding_findings(&report))
    };

    let admitted = commit(
        "agent/T-7-parser",
        "a.txt",
        &["Agent-Task: T-7", "Agent-Name: Codex"],
    );
    assert_eq!(judge(&admitted), (Some(0), vec![]));

    let other_agent = commit(
        "agent/T-7-parser",
        "b.txt",
        &["Agent-Task: T-7", "Agent-Name: claude-code"],
    );
    let (code, found) = judge(&other_agent);
    assert_eq!(code, Some(1));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "agent-not-admitted");
    assert!(
        found[0].1.contains("`claude-code` (Agent-Name trailer)"),
        "{found:?}"
    );

    // Every named agent must be admitted.
    let two = commit(
        "agent/T-7-parser",
        "c.txt",
        &["Agent-Task: T-7", "Agent-Name: codex", "Agent-Name: cursor"],
    );
    assert_eq!(judge(&two).1[0].0, "agent-not-admitted");

    // Without an Agent-Name, the author: a bot's address is admitted.
    origin.git(&["checkout", "-q", "-B", "agent/T-7-bot", "main"]);
    origin.write("d.txt", "x\n");
    origin.git(&["add", "-A"]);
    origin.git(&[
        "-c",
        "user.email=parser@bots.example.com",
        "commit",
        "-q",
        "--no-verify",
        "--author",
        "Parser Bot <parser@bots.example.com>",
        "-m",
        &msg(&["Agent-Task: T-7"]),
    ]);
    assert_eq!(judge("HEAD"), (Some(0), vec![]));

    let wrong_branch = commit(
        "agent/misc",
        "e.txt",
        &["Agent-Task: T-7", "Agent-Name: codex"],
    );
    let (code, found) = judge(&wrong_branch);
    assert_eq!(code, Some(1));
    assert_eq!(found[0].0, "branch-not-admitted", "{found:?}");
    assert!(found[0].1.contains("`agent/misc`"), "{found:?}");

    // A task defined in the policy binds the same way.
    let policy_task = commit("agent/T-8-wip", "f.txt", &["Agent-Task: T-8"]);
    assert_eq!(judge(&policy_task).1[0].0, "branch-not-admitted");
}

#[test]
fn the_ci_gate_judges_bindings_on_the_branch_it_verifies() {
    let origin = bound_tasks();
    origin.checkout_new("agent/misc");
    origin.write("a.txt", "x\n");
    origin.commit_all(&msg(&["Agent-Task: T-7", "Agent-Name: codex"]));
    let (code, report) = ci_verify(&origin, "agent/misc");
    assert_eq!(code, 1);
    let found = binding_findings(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "branch-not-admitted");

    // The same commit pushed for the task's own branch passes the gate there.
    origin.git(&["branch", "-q", "agent/T-7-misc"]);
    let (code, report) = ci_verify(&origin, "agent/T-7-misc");
    assert_eq!(code, 0, "{report:#}");
}
