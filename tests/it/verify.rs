//! `verify` as a CI job runs it: a fresh clone that fetched the notes, every output format
//! parsed back, and the clones CI systems make by default (shallow).

use crate::support::{msg, text, TestRepo, TASK};
use serde_json::Value;

/// origin: `main` with an acceptance command, and `agent/work` with two agent commits: the first
/// with recorded evidence, the second without (so the range blocks on it).
fn origin() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        ".agentguard.toml",
        "[acceptance]\ncommands = [\"test -f README.md\"]\n",
    );
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    repo.checkout_new("agent/work");
    repo.write("src/app.py", "print('one')\n");
    repo.commit_all(&msg(&[TASK, "Agent-Name: codex"]));
    let output = repo.run(&["check", "--record"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo.write("src/a b%.py", "print('two')\n");
    repo.commit_all(&msg(&[TASK, "Agent-Name: codex"]));
    repo
}

/// A CI checkout: full history, the branch checked out, the notes fetched.
fn ci_clone(origin: &TestRepo) -> TestRepo {
    let clone = TestRepo::clone_of(origin, &["--branch", "agent/work"]);
    let output = clone.run(&["sync", "--no-push"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    clone
}

fn verify(repo: &TestRepo, format: &str) -> std::process::Output {
    repo.run(&["verify", "--base", "origin/main", "--format", format])
}

#[test]
fn json_in_a_fresh_clone_sees_the_fetched_evidence() {
    let clone = ci_clone(&origin());
    let output = verify(&clone, "json");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let commits = report["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 2);
    assert_eq!(commits[0]["verdict"], "pass", "{:#}", commits[0]);
    assert_eq!(commits[1]["verdict"], "block");
    assert!(commits[1]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == "evidence" && f["category"] == "missing"));
    // The tip's runs are fresh; the first commit is vouched for by its evidence.
    assert_eq!(commits[1]["acceptance"][0]["exit_code"], 0);
    assert_eq!(commits[0]["acceptance"].as_array().unwrap().len(), 0);
}

#[test]
fn without_the_notes_every_agent_commit_lacks_evidence() {
    let clone = TestRepo::clone_of(&origin(), &["--branch", "agent/work"]);
    let output = verify(&clone, "json");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    for commit in report["commits"].as_array().unwrap() {
        assert_eq!(commit["verdict"], "block");
    }
}

#[test]
fn junit_has_a_suite_per_commit_and_a_failure_for_missing_evidence() {
    let clone = ci_clone(&origin());
    let output = verify(&clone, "junit");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let xml = String::from_utf8(output.stdout).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures) = (0, 0, 0);
    let mut failure_text = String::new();
    let mut in_failure = false;
    loop {
        match reader.read_event().expect("well-formed JUnit XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    b"testsuite" => suites += 1,
                    b"testcase" => cases += 1,
                    b"failure" => {
                        failures += 1;
                        in_failure = true;
                    }
                    _ => {}
                }
            }
            quick_xml::events::Event::Text(t) if in_failure => {
                failure_text.push_str(&String::from_utf8_lossy(&t));
            }
            quick_xml::events::Event::End(e) if e.name().as_ref() == b"failure" => {
                in_failure = false;
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(suites, 2, "{xml}");
    // Two agent commits, seven cases each: scope, risk, the acceptance command, evidence,
    // approval, metadata, and the path taken (the way back, tried on the target).
    assert_eq!(cases, 14, "{xml}");
    assert_eq!(failures, 1, "{xml}");
    assert!(failure_text.contains("no evidence note"), "{xml}");
}

#[test]
fn sarif_is_valid_against_the_schema_and_points_at_files() {
    let clone = ci_clone(&origin());
    // A scope finding with a path: deny the new file in the base policy of the clone's range.
    let output = verify(&clone, "sarif");
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
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        assert_eq!(result["level"], "error");
        assert!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
    }
}

#[test]
fn github_prints_workflow_commands_and_appends_the_step_summary() {
    let clone = ci_clone(&origin());
    let summary = clone.scratch().join("summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let tmp = clone.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let output = clone
        .agentguard()
        .args(["verify", "--base", "origin/main", "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with("::error ")),
        "{stdout}"
    );
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.starts_with("# earlier step\n"),
        "appended, not replaced"
    );
    assert!(written.contains("block"), "{written}");
}

#[test]
fn markdown_goes_to_the_output_file() {
    let clone = ci_clone(&origin());
    let file = clone.scratch().join("report.md");
    let output = clone.run(&[
        "verify",
        "--base",
        "origin/main",
        "--format",
        "markdown",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(output.stdout.is_empty());
    let markdown = std::fs::read_to_string(&file).unwrap();
    assert!(markdown.contains("| "), "{markdown}");
    assert!(markdown.contains("codex"), "{markdown}");
    assert!(markdown.contains("evidence/missing"), "{markdown}");
}

#[test]
fn a_shallow_clone_missing_the_range_says_to_fetch_deeper() {
    let origin = origin();
    let clone = TestRepo::clone_of(
        &origin,
        &[
            "--depth",
            "1",
            "--no-single-branch",
            "--branch",
            "agent/work",
        ],
    );
    let output = verify(&clone, "human");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("shallow") || stderr.contains("missing"),
        "{stderr}"
    );
    assert!(stderr.contains("fetch"), "{stderr}");

    // After fetching the history, the same command evaluates.
    clone.git(&["fetch", "-q", "--unshallow"]);
    clone.git(&[
        "fetch",
        "-q",
        "origin",
        "+refs/notes/agentguard*:refs/notes/agentguard*",
    ]);
    assert_eq!(verify(&clone, "human").status.code(), Some(1));
}

#[test]
fn verify_never_honours_the_skip_variable() {
    let clone = ci_clone(&origin());
    let tmp = clone.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let output = clone
        .agentguard()
        .args(["verify", "--base", "origin/main"])
        .env("AGENTGUARD_SKIP", "1")
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
}

#[test]
fn a_detached_ci_checkout_knows_the_branch_from_the_ci_variables() {
    let origin = origin();
    // A commit without trailers: agent work only because of the branch it is on.
    origin.write("src/untagged.py", "x = 1\n");
    origin.commit_all("no trailers here");
    let clone = ci_clone(&origin);
    clone.git(&["checkout", "-q", "--detach", "HEAD"]);
    clone.git(&["branch", "-q", "-D", "agent/work"]);
    clone.git(&["update-ref", "-d", "refs/remotes/origin/agent/work"]);
    let tmp = clone.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let run = |env: Option<&str>| {
        let mut cmd = clone.agentguard();
        cmd.args([
            "verify",
            "--base",
            "origin/main",
            "--format",
            "json",
            "--no-run",
        ])
        .env("TMPDIR", &tmp);
        if let Some(branch) = env {
            cmd.env("GITHUB_ACTIONS", "true")
                .env("GITHUB_HEAD_REF", branch);
        }
        let output = cmd.output().unwrap();
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let last = |report: &Value| {
        report["commits"]
            .as_array()
            .unwrap()
            .last()
            .cloned()
            .unwrap()
    };
    assert_eq!(last(&run(None))["agent"], false);
    let report = run(Some("agent/work"));
    let commit = last(&report);
    assert_eq!(commit["agent"], true, "{commit:#}");
    assert!(commit["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["category"] == "missing-task"));

    // In CI, where nothing names the branch, a commit is agent work unless provably human.
    let output = clone
        .agentguard()
        .args([
            "verify",
            "--base",
            "origin/main",
            "--format",
            "json",
            "--no-run",
        ])
        .env("CI", "true")
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let commit = last(&report);
    assert_eq!(commit["agent"], true, "{commit:#}");
    let reasons = commit["agent_reasons"].to_string();
    assert!(
        reasons.contains("branch is unknown") && reasons.contains("--branch"),
        "{reasons}"
    );
    // Named, it is what its branch makes it.
    let output = clone
        .agentguard()
        .args([
            "verify",
            "--base",
            "origin/main",
            "--format",
            "json",
            "--no-run",
        ])
        .args(["--branch", "feature/x"])
        .env("CI", "true")
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(last(&report)["agent"], false, "{}", text(&output));
}

#[test]
fn a_pull_request_merge_checkout_judges_the_agent_commits_and_tests_the_merge() {
    let origin = origin();
    assert_eq!(origin.run(&["check", "--record"]).status.code(), Some(0));
    let clone = ci_clone(&origin);
    // What actions/checkout does for a pull request: the merge of the head into the base.
    clone.git(&["checkout", "-q", "--detach", "origin/main"]);
    clone.git(&[
        "merge",
        "-q",
        "--no-ff",
        "agent/work",
        "-m",
        "Merge pull request #1",
    ]);
    let tmp = clone.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let output = clone
        .agentguard()
        .args(["verify", "--base", "origin/main", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_HEAD_REF", "agent/work")
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let commits = report["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 3);
    let merge = &commits[2];
    assert_eq!(merge["agent"], true);
    assert_eq!(merge["findings"], serde_json::json!([]));
    assert_eq!(
        merge["acceptance"][0]["exit_code"], 0,
        "the merged tree is tested"
    );
}

#[test]
fn many_commits_judged_on_several_threads_come_back_in_order() {
    let repo = TestRepo::new();
    repo.write(".agentguard.toml", "[scope]\ndeny = [\"secrets/\"]\n");
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    repo.checkout_new("agent/many");
    let mut expected = Vec::new();
    for i in 0..40 {
        let stray = i % 7 == 2;
        let path = if stray {
            format!("secrets/s{i}")
        } else {
            format!("src/f{i}.py")
        };
        repo.write(&path, &format!("{i}\n"));
        let commit = repo.commit_all(&msg(&[TASK]));
        expected.push((commit, stray));
    }
    let output = repo.run(&["verify", "--base", "main", "--no-run", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let commits = report["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 40);
    for ((commit, stray), judged) in expected.iter().zip(commits) {
        assert_eq!(judged["commit"].as_str(), Some(commit.as_str()));
        let scope = judged["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "scope");
        assert_eq!(scope, *stray, "{judged:#}");
    }
    let log = repo.run(&["log", "--format", "json"]);
    let lines: Value = serde_json::from_slice(&log.stdout).unwrap();
    let verified: Vec<&str> = lines
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["command"] == "verify")
        .map(|e| e["commit"].as_str().unwrap())
        .collect();
    let mut newest_first: Vec<&str> = expected.iter().map(|(c, _)| c.as_str()).collect();
    newest_first.reverse();
    assert_eq!(verified, newest_first);
}

#[test]
fn an_orphan_branch_is_judged_by_the_bases_policy() {
    let repo = TestRepo::new();
    repo.write(".agentguard.toml", "[scope]\ndeny = [\"secrets/\"]\n");
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "--orphan", "agent/x"]);
    repo.git(&["rm", "-rq", "--cached", "."]);
    std::fs::remove_file(repo.path().join(".agentguard.toml")).unwrap();
    repo.write("secrets/x", "x\n");
    repo.commit_all(&msg(&[TASK]));
    let output = repo.run(&["check", "--record"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "alone, the defaults pass it: {}",
        text(&output)
    );
    let output = repo.run(&["verify", "main..agent/x", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let commit = &report["commits"][0];
    assert!(commit["policy"].as_str().unwrap().contains(&repo.git(&[
        "rev-parse",
        "--short=10",
        "main"
    ])));
    assert!(commit["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == "scope" && f["path"] == "secrets/x"));
}

#[test]
fn one_run_writes_every_report_asked_for() {
    let clone = ci_clone(&origin());
    let dir = clone.scratch();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let output = clone.run(&[
        "verify",
        "--base",
        "origin/main",
        "--format",
        "json",
        "--sarif",
        &path("a.sarif"),
        "--junit",
        &path("a.xml"),
        "--markdown",
        &path("a.md"),
        "--output",
        &format!("github={}", path("a.github")),
        "--output",
        &format!("human={}", path("a.txt")),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["verdict"], "block");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("a.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(std::fs::read_to_string(dir.join("a.xml"))
        .unwrap()
        .contains("<testsuites"));
    assert!(std::fs::read_to_string(dir.join("a.md"))
        .unwrap()
        .contains("agentguard"));
    assert!(std::fs::read_to_string(dir.join("a.github"))
        .unwrap()
        .contains("::error"));
    assert!(std::fs::read_to_string(dir.join("a.txt"))
        .unwrap()
        .contains("verdict: block"));
    // One judgement: one ledger line per commit, the acceptance run once, on the tip (the
    // ledger is newest first).
    let log = clone.run(&["log", "--format", "json"]);
    let lines: Vec<Value> = serde_json::from_slice(&log.stdout).unwrap();
    let verified: Vec<&Value> = lines.iter().filter(|l| l["command"] == "verify").collect();
    assert_eq!(verified.len(), 2);
    let runs: Vec<usize> = verified
        .iter()
        .map(|line| line["acceptance"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(runs, [1, 0]);

    // The older form: the --format report to a file instead of stdout.
    let output = clone.run(&[
        "verify",
        "--base",
        "origin/main",
        "--no-run",
        "--format",
        "markdown",
        "--output",
        &path("only.md"),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(output.stdout.is_empty());
    assert!(dir.join("only.md").is_file());
}

#[test]
fn outputs_that_cannot_all_be_written_are_refused_before_judging() {
    let clone = ci_clone(&origin());
    for args in [
        vec!["--output", "sarif="],
        vec!["--output", "a.txt", "--output", "b.txt"],
        vec!["--sarif", "same.out", "--junit", "same.out"],
    ] {
        let mut all = vec!["verify", "--base", "origin/main", "--no-run"];
        all.extend(args.iter().copied());
        let output = clone.run(&all);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("--output"),
            "{}",
            text(&output)
        );
    }
    assert!(!clone.path().join("same.out").exists());
}

#[test]
fn without_a_range_the_base_comes_from_the_ci() {
    let clone = ci_clone(&origin());
    clone.git(&["checkout", "-q", "--detach", "HEAD"]);
    let ci = |vars: &[(&str, &str)]| {
        let tmp = clone.scratch().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let mut cmd = clone.agentguard();
        cmd.args(["verify", "--format", "json", "--no-run"])
            .env("TMPDIR", &tmp);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    for vars in [
        &[
            ("GITLAB_CI", "true"),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "agent/work"),
            ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
        ][..],
        &[
            ("BUILDKITE", "true"),
            ("BUILDKITE_BRANCH", "agent/work"),
            ("BUILDKITE_PULL_REQUEST", "3"),
            ("BUILDKITE_PULL_REQUEST_BASE_BRANCH", "main"),
        ][..],
        &[
            ("JENKINS_URL", "https://ci.example.com/"),
            ("CHANGE_BRANCH", "agent/work"),
            ("CHANGE_TARGET", "main"),
        ][..],
    ] {
        let output = ci(vars);
        assert_eq!(output.status.code(), Some(1), "{vars:?}: {}", text(&output));
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["commits"].as_array().unwrap().len(), 2, "{vars:?}");
    }
    // A base the clone lacks is named, with how to fetch it.
    let output = ci(&[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_HEAD_REF", "agent/work"),
        ("GITHUB_BASE_REF", "release"),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("GitHub Actions names `release`")
            && stderr.contains("git fetch origin release"),
        "{stderr}"
    );
}

/// `main` whose acceptance command appends a line to `runs` (outside the repository) each
/// time it runs, and `agent/work` with `commits` agent commits, each with recorded evidence.
fn counted(run: Option<&str>, commits: usize) -> (TestRepo, std::path::PathBuf) {
    let repo = TestRepo::new();
    let runs = repo.scratch().join("runs");
    repo.write(
        ".agentguard.toml",
        &format!(
            "[acceptance]\nwritable = [\"{scratch}\"]\ncommands = [\"echo ran >> {runs}\"]\n{verify}",
            scratch = repo.scratch().display(),
            runs = runs.display(),
            verify = run.map(|r| format!("[verify]\nrun = \"{r}\"\n")).unwrap_or_default()
        ),
    );
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    repo.checkout_new("agent/work");
    for i in 0..commits {
        repo.write(&format!("src/m{i}.py"), &format!("n = {i}\n"));
        repo.commit_all(&msg(&[TASK]));
        let output = repo.run(&["check", "--record", "--format", "json"]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    }
    (repo, runs)
}

fn count(runs: &std::path::Path) -> usize {
    std::fs::read_to_string(runs).map_or(0, |t| t.lines().count())
}

fn verdicts(output: &std::process::Output) -> Vec<String> {
    let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    report["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn verify_over_twenty_commits_runs_the_suite_once_on_the_tip() {
    crate::require_user_namespaces!();
    let (repo, runs) = counted(None, 20);
    assert_eq!(count(&runs), 20, "one run per recorded commit");
    let output = repo.run(&["verify", "--base", "main", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(verdicts(&output), vec!["pass"; 20]);
    assert_eq!(count(&runs), 21, "verify ran the suite once");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let commits = report["commits"].as_array().unwrap();
    assert_eq!(commits[19]["acceptance"].as_array().unwrap().len(), 1);
    assert!(commits[..19]
        .iter()
        .all(|c| c["acceptance"].as_array().unwrap().is_empty()));

    // A commit whose note is gone is blocked, and the message says why it needs one.
    let fifth = repo.git(&["rev-parse", "HEAD~15"]);
    repo.git(&["notes", "--ref", "agentguard", "remove", &fifth]);
    let output = repo.run(&["verify", "--base", "main"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("has no evidence note"), "{stdout}");
    assert!(
        stdout.contains(
            "`[verify] run = \"tip\"` the acceptance commands run fresh on the range's tip only"
        ),
        "{stdout}"
    );
    assert_eq!(count(&runs), 22);

    // Nor does another commit's note vouch for it.
    let tip = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["notes", "--ref", "agentguard", "copy", &tip, &fifth]);
    let output = repo.run(&["verify", "--base", "main", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let verdicts = verdicts(&output);
    assert_eq!(verdicts[4], "block", "{}", text(&output));
    assert_eq!(verdicts.iter().filter(|v| *v == "block").count(), 1);
    assert!(String::from_utf8_lossy(&output.stdout).contains("wrong-tree"));
}

#[test]
fn under_tip_a_note_that_does_not_show_the_tasks_command_passing_blocks() {
    crate::require_user_namespaces!();
    let (repo, _runs) = counted(None, 2);
    // The first commit's note, rewritten to record its command failing.
    let first = repo.git(&["rev-parse", "HEAD~1"]);
    let note = repo.git(&["notes", "--ref", "agentguard", "show", &first]);
    let failed = note.replacen("exit_code = 0", "exit_code = 1", 1).replacen(
        "status = \"passed\"",
        "status = \"failed\"",
        1,
    );
    assert_ne!(failed, note);
    repo.git(&[
        "notes",
        "--ref",
        "agentguard",
        "add",
        "-f",
        "-m",
        &failed,
        &first,
    ]);
    let output = repo.run(&["verify", "--base", "main"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("records it failing"), "{stdout}");
}

#[test]
fn a_merge_of_main_on_top_does_not_stand_in_for_the_tasks_fresh_run() {
    crate::require_user_namespaces!();
    let repo = TestRepo::new();
    let runs = repo.scratch().join("runs");
    repo.write(
        ".agentguard.toml",
        &format!(
            "[acceptance]\nwritable = [\"{}\"]\n",
            repo.scratch().display()
        ),
    );
    // The command is the task's alone: a merge, which names no task, has none to run.
    repo.write(
        ".agentguard/tasks/T-1.toml",
        &format!(
            "goal = \"x\"\nallow = [\"src/**\"]\nacceptance = [\"echo ran >> {}\"]\n",
            runs.display()
        ),
    );
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    repo.checkout_new("agent/work");
    for i in 0..2 {
        repo.write(&format!("src/m{i}.py"), &format!("n = {i}\n"));
        repo.commit_all(&msg(&[TASK]));
        let output = repo.run(&["check", "--record", "--format", "json"]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    }
    assert_eq!(count(&runs), 2);
    repo.git(&["checkout", "-q", "main"]);
    repo.write("docs/notes.md", "main moved on\n");
    repo.commit_all("a person's change on main");
    repo.git(&["checkout", "-q", "agent/work"]);
    repo.git(&["merge", "-q", "--no-verify", "--no-edit", "main"]);

    let output = repo.run(&["verify", "--base", "main", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(
        count(&runs),
        3,
        "the newest agent commit's task did not run fresh"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let commits = report["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 3);
    assert_eq!(commits[1]["acceptance"].as_array().unwrap().len(), 1);
}

#[test]
fn run_each_runs_every_agent_commit_again() {
    crate::require_user_namespaces!();
    let (repo, runs) = counted(Some("each"), 3);
    assert_eq!(count(&runs), 3);
    let output = repo.run(&["verify", "--base", "main", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(count(&runs), 6);
}
