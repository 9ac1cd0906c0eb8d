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
