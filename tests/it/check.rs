//! `agentguard check`: scope rules, narrowing layers, policy from the base, renames, staged
//! mode, zero configuration, and the fingerprint.

use crate::support::{finding_keys, finding_keys_of, findings, keys, msg, TestRepo, TASK};
use sha2::{Digest, Sha256};

#[test]
fn zero_config_human_commit_passes_untouched() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/lib.rs", "fn main() {}\n");
    repo.commit_all("human work");
    let before = repo.state();
    let report = repo.check_json(&["HEAD"], 0);
    assert_eq!(report["schema"], "agentguard.report/v1");
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["commits"][0]["agent"], false);
    assert!(findings(&report).is_empty());
    let human = repo.agentguard().args(["check"]).assert().code(0);
    let out = String::from_utf8_lossy(&human.get_output().stdout).into_owned();
    assert!(
        out.contains("policy: built-in default (no .agentguard.toml at base"),
        "{out}"
    );
    assert!(out.contains("human commit"), "{out}");
    assert!(out.trim_end().ends_with("verdict: pass"), "{out}");
    assert_eq!(repo.state(), before);
}

#[test]
fn agent_commit_inside_its_scope_passes() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/api/users.rs", "pub fn users() {}\n");
    repo.commit_all(&msg(&[
        TASK,
        "Agent-Allow: src/api/**",
        "Agent-Name: codex",
    ]));
    let report = repo.check_json(&["HEAD"], 0);
    let commit = &report["commits"][0];
    assert_eq!(commit["agent"], true);
    assert_eq!(commit["task"], "T-1");
    assert_eq!(commit["agent_name"], "codex");
    assert_eq!(commit["fingerprint"].as_str().map(str::len), Some(64));
    assert!(findings(&report).is_empty(), "{report:#}");
}

#[test]
fn paths_outside_allow_and_inside_deny_block() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/api/users.rs", "ok\n");
    repo.write("src/api/secrets/key.txt", "x\n");
    repo.write("docs/notes.md", "x\n");
    repo.commit_all(&msg(&[
        TASK,
        "Agent-Allow: src/api/**",
        "Agent-Deny: secrets/",
    ]));
    let report = repo.check_json(&["HEAD"], 1);
    assert_eq!(report["verdict"], "block");
    assert_eq!(
        finding_keys(&report),
        keys(&[
            ("scope", "denied", "src/api/secrets/key.txt"),
            ("scope", "outside-allow", "docs/notes.md"),
        ])
    );
    let f = findings(&report);
    assert_eq!(f[0]["action"], "block");
    assert_eq!(f[0]["approved"], false);
    assert!(f[0]["rule"]
        .as_str()
        .unwrap()
        .contains("deny `secrets/` (trailers)"));
    assert!(f[1]["rule"]
        .as_str()
        .unwrap()
        .contains("allow `src/api/**` (trailers)"));
}

#[test]
fn glob_semantics_follow_gitignore() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "x\n");
    repo.write("src/deep/b.rs", "x\n");
    repo.write("config/prod.pem", "x\n");
    repo.commit_all(&msg(&[TASK, "Agent-Allow: src/*.rs", "Agent-Allow: *.pem"]));
    let report = repo.check_json(&["HEAD"], 1);
    // `*` does not cross `/`; a pattern without `/` matches a name at any depth.
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "src/deep/b.rs")])
    );
}

fn repo_with_policy(policy: &str) -> TestRepo {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", policy);
    repo.commit_all("add policy");
    repo
}

#[test]
fn trailers_only_narrow_the_policy() {
    let repo = repo_with_policy("[scope]\nallow = [\"src/**\"]\ndeny = [\"src/vendor/\"]\n");
    repo.write("src/ok.rs", "x\n");
    repo.write("src/vendor/lib.rs", "x\n");
    repo.write("docs/x.md", "x\n");
    // `**` in a trailer cannot widen the policy's allow, and cannot undo its deny.
    repo.commit_all(&msg(&[TASK, "Agent-Allow: **"]));
    let report = repo.check_json(&["HEAD"], 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[
            ("scope", "denied", "src/vendor/lib.rs"),
            ("scope", "outside-allow", "docs/x.md"),
        ])
    );
    assert!(findings(&report)[1]["rule"]
        .as_str()
        .unwrap()
        .contains("policy [scope]"));
    let policy = report["commits"][0]["policy"].as_str().unwrap();
    assert!(policy.starts_with(".agentguard.toml at base"), "{policy}");
}

#[test]
fn task_file_in_base_narrows_and_names_itself() {
    let repo = TestRepo::with_initial_commit();
    repo.write(
        ".agentguard/tasks/T-1.toml",
        "goal = \"users endpoint\"\nallow = [\"src/api/**\"]\ndeny = [\"src/api/auth/**\"]\n",
    );
    repo.commit_all("define task");
    repo.write("src/api/users.rs", "x\n");
    repo.write("src/api/auth/login.rs", "x\n");
    repo.write("src/other.rs", "x\n");
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD"], 1);
    assert_eq!(
        finding_keys_of(&report, "scope"),
        keys(&[
            ("scope", "denied", "src/api/auth/login.rs"),
            ("scope", "outside-allow", "src/other.rs"),
        ])
    );
    let rule = findings(&report)[1]["rule"].as_str().unwrap().to_string();
    assert!(rule.contains(".agentguard/tasks/T-1.toml"), "{rule}");
    let out = repo.agentguard().args(["check", "-v"]).assert().code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("task: T-1 — users endpoint"), "{text}");
}

#[test]
fn policy_tasks_table_is_a_layer_too() {
    let repo = repo_with_policy("[tasks.\"T-1\"]\nallow = [\"lib/**\"]\n");
    repo.write("lib/a.rs", "x\n");
    repo.write("bin/b.rs", "x\n");
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD"], 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "bin/b.rs")])
    );
}

#[test]
fn every_layer_must_allow_a_path() {
    // Policy allows src/, the task file allows src/api/, the trailers allow src/api/users/.
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[scope]\nallow = [\"src/**\"]\n");
    repo.write(".agentguard/tasks/T-1.toml", "allow = [\"src/api/**\"]\n");
    repo.commit_all("rules");
    repo.write("src/api/users/list.rs", "x\n");
    repo.write("src/api/orders.rs", "x\n");
    repo.commit_all(&msg(&[TASK, "Agent-Allow: src/api/users/"]));
    let report = repo.check_json(&["HEAD"], 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "src/api/orders.rs")])
    );
}

#[test]
fn policy_is_read_from_the_base_not_the_change() {
    let repo = repo_with_policy("[scope]\nallow = [\"src/**\"]\n");
    // The agent loosens the policy in the same commit and uses the loosened rule.
    repo.write(".agentguard.toml", "[scope]\nallow = [\"**\"]\n");
    repo.write("docs/x.md", "x\n");
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD"], 1);
    let keys = finding_keys(&report);
    assert!(
        keys.contains(&("scope".into(), "outside-allow".into(), "docs/x.md".into())),
        "{keys:?}"
    );
    assert!(
        keys.contains(&(
            "scope".into(),
            "outside-allow".into(),
            ".agentguard.toml".into()
        )),
        "{keys:?}"
    );
    // The loosened policy governs only the next change, whose base holds it.
    repo.write("docs/y.md", "y\n");
    repo.commit_all(&msg(&[TASK]));
    repo.check_json(&["HEAD"], 0);
}

#[test]
fn renames_are_judged_at_both_paths() {
    let repo = TestRepo::with_initial_commit();
    let body = "line one\nline two\nline three\nline four\n";
    repo.write("src/keep.rs", body);
    repo.write("legacy/old.rs", body);
    repo.commit_all("files");

    repo.git(&["mv", "src/keep.rs", "legacy/moved.rs"]);
    repo.commit_all(&msg(&[TASK, "Agent-Allow: src/**"]));
    let out_of_scope = repo.check_json(&["HEAD"], 1);
    assert_eq!(
        finding_keys(&out_of_scope),
        keys(&[("scope", "outside-allow", "legacy/moved.rs")])
    );

    repo.git(&["mv", "legacy/old.rs", "src/old.rs"]);
    repo.commit_all(&msg(&[TASK, "Agent-Allow: src/**"]));
    let into_scope = repo.check_json(&["HEAD"], 1);
    assert_eq!(
        finding_keys(&into_scope),
        keys(&[("scope", "outside-allow", "legacy/old.rs")])
    );

    repo.git(&["mv", "src/old.rs", "src/renamed.rs"]);
    repo.commit_all(&msg(&[TASK, "Agent-Allow: src/**"]));
    repo.check_json(&["HEAD"], 0);
}

#[test]
fn deletions_and_mode_changes_are_changes() {
    let repo = TestRepo::with_initial_commit();
    repo.write("ops/run.sh", "echo hi\n");
    repo.write("ops/old.sh", "echo old\n");
    repo.commit_all("ops");
    repo.git(&["update-index", "--chmod=+x", "ops/run.sh"]);
    repo.git(&["rm", "-q", "ops/old.sh"]);
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        &msg(&[TASK, "Agent-Allow: src/**"]),
    ]);
    let report = repo.check_json(&["HEAD"], 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[
            ("scope", "outside-allow", "ops/old.sh"),
            ("scope", "outside-allow", "ops/run.sh"),
        ])
    );
}

#[test]
fn agent_branch_without_task_is_blocked_unless_policy_relaxes_it() {
    let repo = TestRepo::with_initial_commit();
    repo.checkout_new("agent/fix-login");
    repo.write("src/a.rs", "x\n");
    repo.commit_all("no trailers here");
    let report = repo.check_json(&["HEAD"], 1);
    assert_eq!(report["commits"][0]["agent"], true);
    assert_eq!(
        finding_keys(&report),
        keys(&[("metadata", "missing-task", "")])
    );
    let message = findings(&report)[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("branch agent/fix-login matches `agent/**`"),
        "{message}"
    );

    let relaxed = repo_with_policy("[agent]\nrequire_task = false\n");
    relaxed.checkout_new("agent/x");
    relaxed.write("src/a.rs", "x\n");
    relaxed.commit_all("no trailers");
    relaxed.check_json(&["HEAD"], 0);
}

#[test]
fn author_globs_mark_agent_commits() {
    let repo = repo_with_policy("[agent]\nauthors = [\"*@bots.example.com\"]\n");
    repo.write("a.txt", "x\n");
    repo.git(&["add", "-A"]);
    repo.git_command()
        .args(["commit", "-q", "-m", "bot work"])
        .env("GIT_AUTHOR_EMAIL", "codex@bots.example.com")
        .status()
        .expect("commit");
    let report = repo.check_json(&["HEAD"], 1);
    let reasons = report["commits"][0]["agent_reasons"].to_string();
    assert!(
        reasons.contains("author codex@bots.example.com"),
        "{reasons}"
    );
}

#[test]
fn requires_approval_names_the_sign_off_command() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "x\n");
    repo.commit_all(&msg(&[TASK, "Agent-Requires-Approval: migrations"]));
    let report = repo.check_json(&["HEAD"], 1);
    let f = findings(&report);
    let approval: Vec<_> = f.iter().filter(|f| f["category"] == "migrations").collect();
    assert_eq!(approval.len(), 1, "{report:#}");
    assert_eq!(approval[0]["kind"], "risk");
    assert_eq!(approval[0]["action"], "approve");
    assert!(approval[0]["message"]
        .as_str()
        .unwrap()
        .contains("agentguard approve"));
}

#[test]
fn staged_mode_judges_the_index_and_touches_nothing() {
    let repo = TestRepo::with_initial_commit();
    repo.checkout_new("agent/work");
    repo.write("src/a.rs", "staged\n");
    repo.write("docs/b.md", "staged\n");
    repo.git(&["add", "-A"]);
    // Unstaged and untracked edits are not part of the staged change.
    repo.write("src/a.rs", "unstaged edit\n");
    repo.write("untracked/c.txt", "x\n");
    let message = repo.scratch().join("COMMIT_EDITMSG");
    std::fs::write(&message, msg(&[TASK, "Agent-Allow: src/**"])).unwrap();
    let before = repo.state();
    let report = repo.check_json(
        &["--staged", "--message-file", message.to_str().unwrap()],
        1,
    );
    assert_eq!(report["commits"][0]["commit"], serde_json::Value::Null);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "docs/b.md")])
    );
    assert_eq!(repo.state(), before);
    assert_eq!(repo.read("src/a.rs"), "unstaged edit\n");
}

#[test]
fn staged_mode_honours_git_index_file() {
    // During `git commit -a` hooks see a temporary index through GIT_INDEX_FILE.
    let repo = TestRepo::with_initial_commit();
    repo.checkout_new("agent/work");
    repo.write("docs/out.md", "x\n");
    let alt_index = repo.scratch().join("alt-index");
    std::fs::copy(repo.path().join(".git/index"), &alt_index).unwrap();
    repo.git_command()
        .args(["add", "docs/out.md"])
        .env("GIT_INDEX_FILE", &alt_index)
        .status()
        .expect("git add");
    let message = repo.scratch().join("MSG");
    std::fs::write(&message, msg(&[TASK, "Agent-Allow: src/**"])).unwrap();
    let args = [
        "check",
        "--staged",
        "--no-run",
        "--format",
        "json",
        "--message-file",
    ];
    let plain = repo.agentguard().args(args).arg(&message).output().unwrap();
    assert_eq!(
        plain.status.code(),
        Some(0),
        "the real index stages nothing"
    );
    let with_env = repo
        .agentguard()
        .args(args)
        .arg(&message)
        .env("GIT_INDEX_FILE", &alt_index)
        .output()
        .unwrap();
    assert_eq!(with_env.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&with_env.stdout).contains("docs/out.md"));
}

#[test]
fn staged_mode_on_an_unborn_branch_judges_against_the_empty_tree() {
    let repo = TestRepo::new();
    repo.checkout_new("agent/first");
    repo.write("src/a.rs", "x\n");
    repo.write("b.txt", "x\n");
    repo.git(&["add", "-A"]);
    let message = repo.scratch().join("MSG");
    std::fs::write(&message, msg(&[TASK, "Agent-Allow: src/**"])).unwrap();
    let report = repo.check_json(
        &["--staged", "--message-file", message.to_str().unwrap()],
        1,
    );
    assert_eq!(report["commits"][0]["base"], serde_json::Value::Null);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "b.txt")])
    );
    let policy = report["commits"][0]["policy"].as_str().unwrap();
    assert_eq!(policy, "built-in default (no base commit)");
}

/// The fingerprint recomputed from `git diff-tree --raw`, as the docs define it.
fn expected_fingerprint(repo: &TestRepo, rev: &str) -> String {
    let raw = repo.git(&[
        "diff-tree",
        "-r",
        "--no-commit-id",
        "--raw",
        "--no-renames",
        "--abbrev=40",
        rev,
    ]);
    let mut lines: Vec<String> = raw
        .lines()
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            let f: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
            format!(
                "{} {} {} {} {} {path}\t{path}",
                f[4], f[0], f[1], f[2], f[3]
            )
        })
        .collect();
    lines.sort();
    let mut hasher = Sha256::new();
    for line in &lines {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn fingerprint_is_exactly_the_contract_and_survives_rebase() {
    let repo = TestRepo::with_initial_commit();
    repo.write("src/a.rs", "a\n");
    repo.write("src/gone.rs", "gone\n");
    repo.commit_all("base");
    repo.checkout_new("agent/t");
    repo.write("src/a.rs", "a changed\n");
    repo.write("src/new.rs", "new\n");
    repo.remove("src/gone.rs");
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD"], 0);
    let fingerprint = report["commits"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(fingerprint, expected_fingerprint(&repo, "HEAD"));

    // Rebase onto a main that moved elsewhere: same blobs, same fingerprint.
    repo.git(&["checkout", "-q", "main"]);
    repo.write("other.txt", "unrelated\n");
    repo.commit_all("unrelated");
    repo.git(&["checkout", "-q", "agent/t"]);
    repo.git(&["rebase", "-q", "main"]);
    let rebased = repo.check_json(&["HEAD"], 0);
    assert_eq!(rebased["commits"][0]["fingerprint"], fingerprint.as_str());

    // Any edit of a touched file changes it.
    repo.write("src/new.rs", "new, edited\n");
    repo.git(&["commit", "-q", "-a", "--amend", "--no-edit"]);
    let amended = repo.check_json(&["HEAD"], 0);
    assert_ne!(amended["commits"][0]["fingerprint"], fingerprint.as_str());
}

#[test]
fn human_output_groups_findings_and_ends_with_the_verdict() {
    let repo = TestRepo::with_initial_commit();
    repo.write("docs/a.md", "x\n");
    repo.commit_all(&msg(&[
        TASK,
        "Agent-Allow: src/**",
        "Agent-Requires-Approval: auth",
    ]));
    let out = repo
        .agentguard()
        .args(["check", "--color", "never"])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("\n  scope (1)\n"), "{text}");
    assert!(text.contains("\n  risk (1)\n"), "{text}");
    assert!(text.contains("rule: allow `src/**` (trailers)"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour with --color never");
    let last = text.trim_end().lines().last().unwrap();
    assert_eq!(
        last,
        "verdict: block — 1 blocking finding, 1 awaiting approval"
    );

    let coloured = repo
        .agentguard()
        .args(["check", "--color", "always"])
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&coloured.get_output().stdout).contains('\u{1b}'));
    let no_color = repo
        .agentguard()
        .args(["check"])
        .env("NO_COLOR", "1")
        .assert()
        .code(1);
    assert!(!String::from_utf8_lossy(&no_color.get_output().stdout).contains('\u{1b}'));
}

#[test]
fn quiet_prints_nothing_on_pass() {
    let repo = TestRepo::with_initial_commit();
    repo.agentguard()
        .args(["-q", "check"])
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn check_from_another_directory_with_dash_c() {
    let repo = TestRepo::with_initial_commit();
    let out = assert_cmd::Command::cargo_bin("agentguard")
        .unwrap()
        .current_dir(repo.scratch())
        .arg("-C")
        .arg(repo.path())
        .args(["check", "--format", "json"])
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn symlinks_are_judged_by_their_resolved_target() {
    let repo = TestRepo::with_initial_commit();
    std::os::unix::fs::symlink("/etc", repo.path().join("sys")).unwrap();
    repo.write("secrets/prod.key", "x\n");
    repo.commit_all("base with a symlink out of the repository");
    std::fs::create_dir_all(repo.path().join("src")).unwrap();
    // Each of these is in scope by its own path, but not by where it points.
    std::os::unix::fs::symlink("../sys/passwd", repo.path().join("src/via-other-link")).unwrap();
    std::os::unix::fs::symlink("../secrets/prod.key", repo.path().join("src/key")).unwrap();
    std::os::unix::fs::symlink("lib.rs", repo.path().join("src/alias.rs")).unwrap();
    repo.commit_all(&msg(&[TASK, "Agent-Allow: src/**", "Agent-Deny: secrets/"]));
    let report = repo.check_json(&["HEAD"], 1);
    assert_eq!(
        finding_keys_of(&report, "scope"),
        keys(&[
            ("scope", "denied", "src/key"),
            ("scope", "symlink-escape", "src/via-other-link"),
        ])
    );
    let f = findings(&report);
    assert!(f[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("symlink src/key points to secrets/prod.key"));
}

#[test]
fn naming_an_undefined_task_blocks_where_tasks_are_defined() {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard/tasks/T-1.toml", "allow = [\"src/**\"]\n");
    repo.commit_all("define T-1");
    // The agent dodges T-1's layer by naming a task nobody defined.
    repo.write("README.md", "rewritten\n");
    repo.commit_all(&msg(&["Agent-Task: T-nope"]));
    let report = repo.check_json(&["HEAD"], 1);
    assert_eq!(
        finding_keys(&report),
        keys(&[("metadata", "unknown-task", "")])
    );
    let message = findings(&report)[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("T-nope") && message.contains("T-1"),
        "{message}"
    );

    // Without any defined task, trailers alone define the task.
    let bare = TestRepo::with_initial_commit();
    bare.write("src/a.rs", "x\n");
    bare.commit_all(&msg(&["Agent-Task: T-free", "Agent-Allow: src/**"]));
    bare.check_json(&["HEAD"], 0);
}

#[test]
fn deny_globs_match_at_any_depth_and_any_case() {
    let repo = repo_with_policy("[scope]\ndeny = [\"**.pem\", \"secrets/\"]\n");
    repo.write("certs/server.pem", "x\n");
    repo.write("Secrets/prod.txt", "x\n");
    repo.write("src/ok.rs", "x\n");
    repo.commit_all(&msg(&[TASK]));
    let report = repo.check_json(&["HEAD"], 1);
    assert_eq!(
        finding_keys_of(&report, "scope"),
        keys(&[
            ("scope", "denied", "Secrets/prod.txt"),
            ("scope", "denied", "certs/server.pem"),
        ])
    );
}

#[test]
fn a_link_or_submodule_standing_in_for_a_denied_directory_is_denied() {
    // `secrets/` is untracked here: nothing below it is in the tree to expose.
    let repo = repo_with_policy("[scope]\ndeny = [\"secrets/\"]\n");
    std::fs::create_dir_all(repo.path().join("src")).unwrap();
    std::os::unix::fs::symlink("../secrets", repo.path().join("src/s")).unwrap();
    repo.git(&["add", "src/s"]);
    let head = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{head},secrets"),
    ]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &msg(&[TASK])]);
    let report = repo.check_json(&["HEAD"], 1);
    assert_eq!(
        finding_keys_of(&report, "scope"),
        keys(&[("scope", "denied", "secrets"), ("scope", "denied", "src/s")])
    );
}

#[test]
fn fingerprint_keeps_paths_with_tabs_apart() {
    let fingerprint_of_rename = |from: &str, to: &str| {
        let repo = TestRepo::with_initial_commit();
        repo.write(from, "same content\nover several\nlines\n");
        repo.commit_all("file");
        repo.git(&["mv", from, to]);
        repo.commit_all(&msg(&[TASK]));
        let report = repo.check_json(&["HEAD"], 0);
        report["commits"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_ne!(
        fingerprint_of_rename("a", "b\tc"),
        fingerprint_of_rename("a\tb", "c")
    );
}

#[test]
fn staged_tree_is_the_tree_git_would_commit() {
    let repo = TestRepo::with_initial_commit();
    repo.checkout_new("agent/t");
    repo.write("src/new.rs", "x\n");
    repo.write("src/planned.rs", "not yet\n");
    repo.git(&["add", "src/new.rs"]);
    repo.git(&["add", "-N", "src/planned.rs"]);
    let message = repo.scratch().join("MSG");
    std::fs::write(&message, msg(&[TASK])).unwrap();
    let report = repo.check_json(
        &["--staged", "--message-file", message.to_str().unwrap()],
        0,
    );
    assert_eq!(
        report["commits"][0]["tree"],
        repo.git(&["write-tree"]).as_str()
    );
}

#[test]
fn a_policy_that_is_not_a_regular_file_is_an_error() {
    let repo = TestRepo::with_initial_commit();
    repo.write("pol/strict.toml", "[scope]\nallow = [\"src/**\"]\n");
    std::os::unix::fs::symlink("pol/strict.toml", repo.path().join(".agentguard.toml")).unwrap();
    repo.commit_all("policy as a symlink");
    repo.write("x.txt", "x\n");
    repo.commit_all(&msg(&[TASK]));
    let out = repo.agentguard().args(["check"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains(".agentguard.toml in the base commit is a symlink"),
        "{stderr}"
    );
}

#[test]
fn trailers_after_a_horizontal_rule_still_mark_agent_work() {
    // git reads commit-object trailers without a `---` divider; so must we.
    let repo = TestRepo::with_initial_commit();
    repo.write("docs/x.md", "x\n");
    repo.commit_all("Title\n\nbody\n---\n\nAgent-Task: T-1\nAgent-Allow: src/**\n");
    let report = repo.check_json(&["HEAD"], 1);
    assert_eq!(report["commits"][0]["agent"], true);
    assert_eq!(
        finding_keys(&report),
        keys(&[("scope", "outside-allow", "docs/x.md")])
    );
}

#[test]
fn author_globs_ignore_case() {
    let repo = repo_with_policy("[agent]\nauthors = [\"*@bots.example.com\"]\n");
    repo.write("a.txt", "x\n");
    repo.git(&["add", "-A"]);
    repo.git_command()
        .args(["commit", "-q", "-m", "bot work"])
        .env("GIT_AUTHOR_EMAIL", "Codex@Bots.Example.com")
        .status()
        .expect("commit");
    let report = repo.check_json(&["HEAD"], 1);
    assert_eq!(report["commits"][0]["agent"], true);
}

#[test]
fn quiet_prints_only_what_blocks() {
    let repo = TestRepo::with_initial_commit();
    repo.write("docs/a.md", "x\n");
    repo.commit_all(&msg(&[
        TASK,
        "Agent-Allow: src/**",
        "Agent-Name: x",
        "Agent-Colour: red",
    ]));
    let out = repo
        .agentguard()
        .args(["-q", "check", "--color", "never"])
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("docs/a.md [outside-allow]"), "{text}");
    assert!(
        !text.contains("unknown-trailer"),
        "warnings are not shown: {text}"
    );
    assert!(!text.contains("policy:"), "{text}");
    assert!(
        text.trim_end()
            .ends_with("verdict: block — 1 blocking finding, 1 warning"),
        "{text}"
    );
}
