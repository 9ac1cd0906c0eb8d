//! What "the tests" are cannot be changed silently: each trick an agent could use to make the
//! acceptance command pass without the real tests running, played as an attack on a real
//! repository, and caught as `test-tampering` — by following what the command runs, by
//! spotting files that shadow it, or by the test inventory (fewer tests than the base ran).

use crate::support::{msg, text, Remote, TestRepo, TASK};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A Python that runs without the user's shims: the acceptance environment passes only an
/// allowlist, and a pyenv shim needs more than that.
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// The cargo toolchain's homes, passed to the acceptance commands (tests run with a scratch
/// HOME, where rustup would find no toolchain).
fn rust_homes() -> [(String, PathBuf); 2] {
    let home = PathBuf::from(std::env::var_os("HOME").expect("HOME"));
    let var = |name: &str, default: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(default))
    };
    [
        ("RUSTUP_HOME".to_string(), var("RUSTUP_HOME", ".rustup")),
        ("CARGO_HOME".to_string(), var("CARGO_HOME", ".cargo")),
    ]
}

/// `agentguard <args> --format json` with the toolchain homes; asserts the exit code.
fn judge(repo: &TestRepo, args: &[&str], code: i32) -> Value {
    let tmp = repo.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let output = repo
        .agentguard()
        .args(args)
        .args(["--format", "json"])
        .env("TMPDIR", tmp)
        .envs(rust_homes())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(code), "{}", text(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The test-tampering findings of the last judged commit: (path, message).
fn tampering(report: &Value) -> Vec<(String, String)> {
    let commits = report["commits"].as_array().unwrap();
    commits.last().unwrap()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "test-tampering")
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The only test-tampering finding's message; fails when there is not exactly one.
fn only_tampering(report: &Value) -> String {
    let found = tampering(report);
    assert_eq!(found.len(), 1, "{report:#}");
    found[0].1.clone()
}

/// A repository on `main` with `files` and the acceptance `command`, committed by a human;
/// then the branch `agent/work`.
fn project(command: &str, files: &[(&str, &str)]) -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        ".agentguard.toml",
        &format!("[acceptance]\ncommands = [{command:?}]\n"),
    );
    repo.write(".gitignore", "target/\n__pycache__/\n");
    for (path, content) in files {
        repo.write(path, content);
    }
    repo.commit_all("base");
    repo.checkout_new("agent/work");
    repo
}

fn agent_commit(repo: &TestRepo) {
    repo.commit_all(&msg(&[TASK]));
}

// --- Indirection: what a Makefile, a package script, a shell script runs -------------------

#[test]
fn a_make_test_whose_script_was_neutered_is_test_tampering() {
    crate::require_user_namespaces!();
    let repo = project(
        "make test",
        &[
            (
                "Makefile",
                "SCRIPTS = scripts\n.PHONY: test\ntest:\n\t@sh $(SCRIPTS)/run-tests.sh\n",
            ),
            (
                "scripts/run-tests.sh",
                "set -e\n. scripts/lib/env.sh\ntest -f README.md\n",
            ),
            ("scripts/lib/env.sh", "export LANG=C\n"),
            ("README.md", "hello\n"),
        ],
    );
    repo.write("scripts/run-tests.sh", "exit 0\n");
    agent_commit(&repo);
    let report = judge(&repo, &["check", "HEAD"], 1);
    let message = only_tampering(&report);
    assert!(
        message.contains("`scripts/run-tests.sh`")
            && message.contains("`make test`")
            && message.contains("through `Makefile`"),
        "{message}"
    );
    // What the script sources is reached too.
    repo.git(&["checkout", "-q", "-b", "agent/two", "main"]);
    repo.write("scripts/lib/env.sh", "exit 0\n");
    agent_commit(&repo);
    let found = tampering(&judge(&repo, &["check", "HEAD", "--no-run"], 1));
    assert_eq!(found[0].0, "scripts/lib/env.sh", "{found:?}");
    assert!(
        found[0].1.contains("`Makefile` → `scripts/run-tests.sh`"),
        "{found:?}"
    );
}

#[test]
fn an_npm_test_chain_reaches_its_hooks_and_scripts() {
    let repo = project(
        "npm test",
        &[
            (
                "package.json",
                r#"{"scripts": {"pretest": "node tools/fixtures.js", "test": "npm run unit", "unit": "sh ci/unit.sh"}}"#,
            ),
            ("tools/fixtures.js", "\n"),
            ("ci/unit.sh", "node --test\n"),
            ("src/app.js", "\n"),
        ],
    );
    repo.write("tools/fixtures.js", "process.exit(0)\n");
    repo.write("ci/unit.sh", "exit 0\n");
    repo.write("src/app.js", "module.exports = 1\n");
    agent_commit(&repo);
    let found = tampering(&judge(&repo, &["check", "HEAD", "--no-run"], 1));
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["ci/unit.sh", "tools/fixtures.js"], "{found:?}");
}

#[test]
fn a_justfile_recipe_reaches_its_dependencies_scripts() {
    let repo = project(
        "just check",
        &[
            (
                "justfile",
                "check: lint\n    ./ci/test.sh\n\nlint:\n    ./ci/lint.sh\n\nrelease:\n    ./ci/release.sh\n",
            ),
            ("ci/test.sh", "true\n"),
            ("ci/lint.sh", "true\n"),
            ("ci/release.sh", "true\n"),
        ],
    );
    for path in ["ci/test.sh", "ci/lint.sh", "ci/release.sh"] {
        repo.write(path, "exit 0\n");
    }
    agent_commit(&repo);
    let found = tampering(&judge(&repo, &["check", "HEAD", "--no-run"], 1));
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    // `release` is not what `just check` runs.
    assert_eq!(paths, ["ci/lint.sh", "ci/test.sh"], "{found:?}");
}

#[test]
fn editing_code_and_tests_a_make_target_runs_is_not_tampering() {
    let repo = project(
        "make test",
        &[
            ("Makefile", "test: src/app.py\n\tsh scripts/t.sh\n"),
            (
                "scripts/t.sh",
                "grep -q x src/app.py && python3 -m unittest discover -s tests\n",
            ),
            ("src/app.py", "x = 1\n"),
            ("tests/test_app.py", "\n"),
        ],
    );
    repo.write("src/app.py", "x = 2\n");
    repo.write("tests/test_app.py", "import unittest\n");
    agent_commit(&repo);
    let report = judge(&repo, &["check", "HEAD", "--no-run"], 0);
    assert!(tampering(&report).is_empty(), "{report:#}");
}

// --- Shadowing: a module or program of the checkout standing in for the runner --------------

#[test]
fn a_top_level_unittest_py_shadowing_the_runner_is_caught() {
    crate::require_user_namespaces!();
    let command = format!("{} -m unittest discover -s tests -v", python());
    let repo = project(
        &command,
        &[(
            "tests/test_calc.py",
            "import unittest\n\nclass T(unittest.TestCase):\n    def test_fails(self):\n        self.assertEqual(1, 2)\n",
        )],
    );
    // The real run fails; the shadow would print a pass and exit 0, but nothing runs while
    // it awaits approval.
    repo.write(
        "unittest.py",
        "print('Ran 1 test in 0.001s')\nprint()\nprint('OK')\n",
    );
    agent_commit(&repo);
    let report = judge(&repo, &["check", "HEAD"], 1);
    let commit = &report["commits"][0];
    assert_eq!(commit["acceptance"][0]["status"], "skipped", "{report:#}");
    let message = only_tampering(&report);
    assert!(
        message.contains("adds `unittest.py`") && message.contains("imports as `unittest`"),
        "{message}"
    );
}

#[test]
fn a_top_level_pytest_py_and_a_stdlib_shadow_under_python_m_pytest() {
    let repo = project(&format!("{} -m pytest -q", python()), &[]);
    repo.write("pytest.py", "print('5 passed in 0.01s')\n");
    repo.write("inspect.py", "\n");
    repo.write("helpers.py", "\n");
    agent_commit(&repo);
    let found = tampering(&judge(&repo, &["check", "HEAD", "--no-run"], 1));
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["inspect.py", "pytest.py"], "{found:?}");
}

#[test]
fn an_executable_named_like_the_runner_on_a_checkout_path_is_caught() {
    let repo = project("PATH=bin:$PATH pytest -q", &[]);
    repo.write("bin/pytest", "#!/bin/sh\necho '3 passed in 0.01s'\n");
    agent_commit(&repo);
    let found = tampering(&judge(&repo, &["check", "HEAD", "--no-run"], 1));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "bin/pytest");
    assert!(found[0].1.contains("`bin` is on its PATH"), "{found:?}");
}

#[test]
fn conftest_edits_are_test_infrastructure() {
    let repo = project(
        &format!("{} -m pytest", python()),
        &[("tests/conftest.py", "\n")],
    );
    repo.write(
        "tests/conftest.py",
        "def pytest_collection_modifyitems(items):\n    items.clear()\n",
    );
    agent_commit(&repo);
    let found = tampering(&judge(&repo, &["check", "HEAD", "--no-run"], 1));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "tests/conftest.py");
}

// --- The test inventory: fewer tests than the base ran --------------------------------------

const CRATE: &str =
    "[package]\nname = \"calc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n";

const LIB: &str = concat!(
    "pub fn add(a: i32, b: i32) -> i32 {\n",
    "    a + b\n",
    "}\n",
    "\n",
    "#[cfg(test)]\n",
    "mod tests {\n",
    "    #[test]\n",
    "    fn adds() {\n",
    "        assert_eq!(super::add(1, 2), 3);\n",
    "    }\n",
    "\n",
    "    #[test]\n",
    "    fn adds_negatives() {\n",
    "        assert_eq!(super::add(-1, -2), -3);\n",
    "    }\n",
    "}\n",
);

fn rust_project() -> TestRepo {
    project(
        "cargo test --offline",
        &[
            ("Cargo.toml", CRATE),
            ("src/lib.rs", LIB),
            (
                "tests/smoke.rs",
                "#[test]\nfn smoke() {\n    assert_eq!(calc::add(0, 0), 0);\n}\n",
            ),
        ],
    )
}

/// The inventory a run recorded: (ran, base ran).
fn counts(report: &Value) -> (u64, Option<u64>) {
    let tests = &report["commits"].as_array().unwrap().last().unwrap()["acceptance"][0]["tests"];
    (tests["ran"].as_u64().unwrap(), tests["base_ran"].as_u64())
}

#[test]
fn a_dead_cfg_test_attribute_runs_fewer_tests_than_the_base() {
    crate::require_user_namespaces!();
    let repo = rust_project();
    repo.write("src/lib.rs", &LIB.replace("#[cfg(test)]", "#[cfg(tests)]"));
    agent_commit(&repo);
    let report = judge(&repo, &["check", "HEAD"], 1);
    assert_eq!(counts(&report), (1, Some(3)), "{report:#}");
    let message = only_tampering(&report);
    assert!(
        message.contains("`cargo test --offline` ran 1 test, the base ran 3 (run of the base tree"),
        "{message}"
    );
    // The base's count is kept: the next check of a change on the same base does not run it.
    let cache = repo.path().join(".git/agentguard/inventory");
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
}

#[test]
fn a_failing_test_deleted_from_a_kept_file_is_caught() {
    crate::require_user_namespaces!();
    let failing = LIB.replace("add(-1, -2), -3", "add(-1, -2), -4");
    let repo = project(
        "cargo test --offline",
        &[("Cargo.toml", CRATE), ("src/lib.rs", &failing)],
    );
    let start = failing
        .find("\n    #[test]\n    fn adds_negatives")
        .unwrap();
    let end = failing.rfind("}\n}\n").unwrap() + 2;
    repo.write(
        "src/lib.rs",
        &format!("{}\n{}", &failing[..start], &failing[end..]),
    );
    agent_commit(&repo);
    let report = judge(&repo, &["check", "HEAD"], 1);
    // The base failed, yet counted: two tests ran there, one here.
    assert_eq!(counts(&report), (1, Some(2)), "{report:#}");
    assert!(only_tampering(&report).contains("ran 1 test, the base ran 2"));
}

#[test]
fn a_workspace_member_dropped_from_cargo_toml_is_caught() {
    crate::require_user_namespaces!();
    let member = |name: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n")
    };
    let repo = project(
        "cargo test --offline --workspace",
        &[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"core\", \"parser\"]\nresolver = \"2\"\n",
            ),
            ("core/Cargo.toml", &member("core")),
            ("core/src/lib.rs", LIB),
            ("parser/Cargo.toml", &member("parser")),
            (
                "parser/src/lib.rs",
                "#[test]\nfn parses() {\n    assert!(\"1\".parse::<i32>().is_ok());\n}\n",
            ),
        ],
    );
    repo.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"core\"]\nexclude = [\"parser\"]\nresolver = \"2\"\n",
    );
    agent_commit(&repo);
    let report = judge(&repo, &["check", "HEAD"], 1);
    assert_eq!(counts(&report), (2, Some(3)), "{report:#}");
    assert!(only_tampering(&report).contains("ran 2 tests, the base ran 3"));
}

#[test]
fn a_test_moved_where_the_runner_does_not_collect_it_is_caught() {
    crate::require_user_namespaces!();
    let repo = rust_project();
    // Cargo collects tests/*.rs and tests/*/main.rs, not tests/smoke/checks.rs.
    repo.git(&["mv", "tests/smoke.rs", "tests/checks.rs"]);
    std::fs::create_dir_all(repo.path().join("tests/smoke")).unwrap();
    repo.git(&["mv", "tests/checks.rs", "tests/smoke/checks.rs"]);
    agent_commit(&repo);
    let report = judge(&repo, &["check", "HEAD"], 1);
    assert_eq!(counts(&report), (2, Some(3)), "{report:#}");
    let message = only_tampering(&report);
    assert!(message.contains("ran 2 tests, the base ran 3"), "{message}");
}

#[test]
fn a_python_test_moved_out_of_discovery_is_caught() {
    crate::require_user_namespaces!();
    let test = "import unittest\n\nclass T(unittest.TestCase):\n    def test_one(self):\n        pass\n\n    def test_two(self):\n        pass\n";
    let repo = project(
        &format!("{} -m unittest discover -s tests", python()),
        &[("tests/test_a.py", test), ("tests/test_b.py", test)],
    );
    // Without an __init__.py the subdirectory is not searched.
    repo.git(&["mv", "tests/test_b.py", "tests/slow_test_b.py"]);
    std::fs::create_dir_all(repo.path().join("tests/slow")).unwrap();
    repo.git(&["mv", "tests/slow_test_b.py", "tests/slow/test_b.py"]);
    agent_commit(&repo);
    let report = judge(&repo, &["check", "HEAD"], 1);
    assert_eq!(counts(&report), (2, Some(4)), "{report:#}");
}

#[test]
fn more_tests_than_the_base_pass_and_are_recorded() {
    crate::require_user_namespaces!();
    let repo = rust_project();
    repo.write(
        "tests/more.rs",
        "#[test]\nfn more() {\n    assert_eq!(calc::add(2, 2), 4);\n}\n",
    );
    agent_commit(&repo);
    let report = judge(&repo, &["check", "HEAD", "--record"], 0);
    assert_eq!(counts(&report), (4, Some(3)), "{report:#}");
    let note = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    assert!(note.contains("[acceptance.tests]"), "{note}");
    assert!(note.contains("runner = \"cargo\""), "{note}");
    assert!(
        note.contains("ran = 4") && note.contains("base_ran = 3"),
        "{note}"
    );
}

#[test]
fn an_unknown_runner_records_unknown_and_never_runs_the_base() {
    crate::require_user_namespaces!();
    let repo = project("test -f README.md", &[("README.md", "hello\n")]);
    repo.write("src/app.py", "x = 1\n");
    agent_commit(&repo);
    let report = judge(&repo, &["check", "HEAD", "--record"], 0);
    let tests = &report["commits"][0]["acceptance"][0]["tests"];
    assert_eq!(tests["runner"], "unknown", "{report:#}");
    assert!(tests.get("ran").is_none() && tests.get("base_ran").is_none());
    assert!(!repo.path().join(".git/agentguard/inventory").exists());
    let note = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    assert!(note.contains("runner = \"unknown\""), "{note}");
}

/// A unittest file with a passing test for each of `names`.
fn unittest_file(names: &[&str]) -> String {
    let mut text = "import unittest\n\nclass T(unittest.TestCase):\n".to_string();
    for name in names {
        text.push_str(&format!("    def test_{name}(self):\n        pass\n\n"));
    }
    text
}

/// A repository on `main` whose acceptance command runs three unittest tests, approvals due
/// at merge, with the hooks installed.
fn three_tests_with_hooks() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        ".agentguard.toml",
        &format!(
            "[acceptance]\ncommands = [{:?}]\n\n[approvals]\nwhen = \"merge\"\n",
            format!("{} -m unittest discover -s tests -v", python())
        ),
    );
    repo.write(".gitignore", "__pycache__/\n");
    repo.write("tests/test_a.py", &unittest_file(&["one", "two", "three"]));
    repo.commit_all("base");
    let output = repo.run(&["install"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo
}

/// `git commit -q <args>` of everything, through the installed hooks; asserts it was made.
fn commit_through_hooks(repo: &TestRepo, args: &[&str]) -> std::process::Output {
    repo.git(&["add", "-A"]);
    let output = repo
        .git_command()
        .args(["commit", "-q"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    output
}

// --- The CI flow: a fresh clone with the notes fetched, `verify --base origin/main` ---------

/// origin: `main` whose tip is an agent commit with recorded evidence (so its note holds an
/// inventory), then `agent/work` with two agent commits, evidence recorded for each.
fn origin_with_noted_base(counter: &Path) -> TestRepo {
    let command = format!(
        "{} -m unittest discover -s tests -v && echo run >> {}",
        python(),
        counter.display()
    );
    let repo = TestRepo::new();
    repo.write(
        ".agentguard.toml",
        &format!(
            "[acceptance]\ncommands = [{command:?}]\nwritable = [{:?}]\n",
            counter.parent().unwrap()
        ),
    );
    repo.write(".gitignore", "__pycache__/\n");
    repo.write("tests/test_a.py", &unittest_file(&["one", "two", "three"]));
    repo.commit_all("base");
    repo.write("src/app.py", "x = 1\n");
    repo.commit_all(&msg(&[TASK]));
    let output = repo.run(&["check", "--record"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo.checkout_new("agent/work");
    repo.write("src/app.py", "x = 2\n");
    repo.commit_all(&msg(&[TASK]));
    let output = repo.run(&["check", "--record"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    // The agent drops a test and records what it can: its own check flags it.
    repo.write("tests/test_a.py", &unittest_file(&["one", "two"]));
    repo.commit_all(&msg(&[TASK]));
    let output = repo.run(&["check", "--record"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    repo
}

#[test]
fn verify_in_ci_compares_with_the_base_note_and_runs_the_suite_once() {
    crate::require_user_namespaces!();
    let scratch = tempfile::tempdir().unwrap();
    let counter = scratch.path().join("runs");
    let origin = origin_with_noted_base(&counter);
    std::fs::write(&counter, "").unwrap();
    let clone = TestRepo::clone_of(&origin, &["--branch", "agent/work"]);
    clone.git(&[
        "fetch",
        "-q",
        "origin",
        "+refs/notes/agentguard*:refs/notes/agentguard*",
    ]);
    let report = judge(&clone, &["verify", "--base", "origin/main"], 1);
    let commits = report["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 2);
    assert_eq!(commits[0]["verdict"], "pass", "{:#}", commits[0]);
    // `[verify] run = "tip"`: the first commit is vouched for by its note, the tip runs.
    assert_eq!(commits[0]["acceptance"].as_array().unwrap().len(), 0);
    let tests = &commits[1]["acceptance"][0]["tests"];
    assert_eq!(
        (tests["ran"].as_u64(), tests["base_ran"].as_u64()),
        (Some(2), Some(3))
    );
    assert!(
        tests["base_from"]
            .as_str()
            .unwrap()
            .starts_with("evidence note on "),
        "{tests:#}"
    );
    let message = only_tampering(&report);
    assert!(
        message.contains("ran 2 tests, the base ran 3 (evidence note on"),
        "{message}"
    );
    // The base came from its note: only the range's tip ran.
    let runs = std::fs::read_to_string(&counter).unwrap();
    assert_eq!(runs.lines().count(), 1, "{runs}");
}

#[test]
fn verify_runs_a_base_without_a_note_once_for_the_whole_range() {
    crate::require_user_namespaces!();
    let scratch = tempfile::tempdir().unwrap();
    let counter = scratch.path().join("runs");
    let origin = origin_with_noted_base(&counter);
    // The base's note is gone (a human merge on main has none): the base must be run.
    origin.git(&["notes", "--ref", "agentguard", "remove", "main"]);
    // Every commit of the range runs (`[verify] run = "each"`, from the target branch's
    // policy), so each is compared with the base.
    origin.git(&["checkout", "-q", "main"]);
    let policy = origin.read(".agentguard.toml");
    origin.write(
        ".agentguard.toml",
        &format!("{policy}[verify]\nrun = \"each\"\n"),
    );
    origin.commit_all("verify each commit");
    origin.git(&["checkout", "-q", "agent/work"]);
    std::fs::write(&counter, "").unwrap();
    let clone = TestRepo::clone_of(&origin, &["--branch", "agent/work"]);
    clone.git(&[
        "fetch",
        "-q",
        "origin",
        "+refs/notes/agentguard*:refs/notes/agentguard*",
    ]);
    let report = judge(&clone, &["verify", "--base", "origin/main"], 1);
    let first = &report["commits"][0]["acceptance"][0]["tests"];
    assert!(
        first["base_from"]
            .as_str()
            .unwrap()
            .starts_with("run of the base tree"),
        "{first:#}"
    );
    // The second commit is compared with its parent first, whose note says 3.
    let message = only_tampering(&report);
    assert!(
        message.contains("ran 2 tests, the base ran 3 (evidence note on"),
        "{message}"
    );
    // Two commits judged, the base run once for both.
    let runs = std::fs::read_to_string(&counter).unwrap();
    assert_eq!(runs.lines().count(), 3, "{runs}");
    // And never again for the same base.
    judge(&clone, &["verify", "--base", "origin/main"], 1);
    let runs = std::fs::read_to_string(&counter).unwrap();
    assert_eq!(runs.lines().count(), 5, "{runs}");
}

#[test]
fn verify_compares_each_commit_with_its_parent_so_a_test_added_cannot_hide_one_deleted() {
    crate::require_user_namespaces!();
    let scratch = tempfile::tempdir().unwrap();
    let counter = scratch.path().join("runs");
    let origin = origin_with_noted_base(&counter);
    // Start the branch again: one commit adds a test, the next deletes another, so the tip
    // runs as many tests as main does.
    origin.git(&["checkout", "-q", "main"]);
    origin.git(&["branch", "-q", "-D", "agent/work"]);
    origin.checkout_new("agent/work");
    origin.write(
        "tests/test_a.py",
        &unittest_file(&["one", "two", "three", "four"]),
    );
    origin.commit_all(&msg(&[TASK]));
    let output = origin.run(&["check", "--record"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    origin.write("tests/test_a.py", &unittest_file(&["two", "three", "four"]));
    origin.commit_all(&msg(&[TASK]));
    let output = origin.run(&["check", "--record"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let clone = TestRepo::clone_of(&origin, &["--branch", "agent/work"]);
    clone.git(&[
        "fetch",
        "-q",
        "origin",
        "+refs/notes/agentguard*:refs/notes/agentguard*",
    ]);
    let report = judge(&clone, &["verify", "--base", "origin/main"], 1);
    let commits = report["commits"].as_array().unwrap();
    assert_eq!(commits[0]["verdict"], "pass", "{:#}", commits[0]);
    let message = only_tampering(&report);
    assert!(
        message.contains("ran 3 tests, the base ran 4 (evidence note on"),
        "{message}"
    );
}

#[test]
fn an_amend_through_the_hooks_keeps_the_fall_in_the_test_count() {
    crate::require_user_namespaces!();
    let repo = three_tests_with_hooks();
    repo.checkout_new("agent/work");
    // The agent deletes a test: committed, awaiting approval at merge.
    repo.write("tests/test_a.py", &unittest_file(&["one", "two"]));
    commit_through_hooks(&repo, &["-m", &msg(&[TASK])]);
    let note = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    assert!(
        note.contains("awaiting_approval = [\"test-tampering\"]"),
        "{note}"
    );
    // An amend is judged over the amended commit's parent: the fall stays in its evidence.
    repo.write("src/app.py", "x = 1\n");
    let output = commit_through_hooks(&repo, &["--amend", "--no-edit"]);
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("evidence recorded for the amended commit"),
        "{}",
        text(&output)
    );
    let note = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    assert!(
        note.contains("awaiting_approval = [\"test-tampering\"]"),
        "{note}"
    );
    assert!(note.contains("ran 2 tests, the base ran 3"), "{note}");
    // And the next commit, not an amend, is judged over HEAD again.
    repo.write("src/app.py", "x = 2\n");
    commit_through_hooks(&repo, &["-m", &msg(&[TASK])]);
    let note = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    assert!(
        note.contains("awaiting_approval = []") || !note.contains("awaiting_approval"),
        "{note}"
    );
    assert!(!repo.path().join(".git/agentguard-amending").exists());
}

#[test]
fn pre_push_holds_a_fall_in_the_test_count_the_evidence_recorded() {
    crate::require_user_namespaces!();
    let repo = three_tests_with_hooks();
    let remote = Remote::new();
    repo.git(&["remote", "add", "origin", remote.path.to_str().unwrap()]);
    let output = repo.push(&["origin", "main"]);
    assert!(output.status.success(), "{}", text(&output));
    repo.checkout_new("agent/work");
    // Only running the tests shows this: the file and its runner are unchanged.
    repo.write("tests/test_a.py", &unittest_file(&["one", "two"]));
    commit_through_hooks(&repo, &["-m", &msg(&[TASK])]);
    // Up to its own branch, for review: said, not blocked.
    let output = repo.push(&["origin", "agent/work"]);
    assert!(output.status.success(), "{}", text(&output));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("awaiting approval at merge: test-tampering"),
        "{said}"
    );
    // Anywhere else it is a merge: refused until a person signs off.
    let output = repo.push(&["origin", "agent/work:refs/heads/release"]);
    assert!(!output.status.success(), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("recorded in its evidence when its commands ran"),
        "{}",
        text(&output)
    );
    assert_eq!(remote.branch("release"), None);
}
