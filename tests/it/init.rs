//! `agentguard init`, `task new` and `task trailers`.

use crate::support::{findings, msg, TestRepo};

fn output(repo: &TestRepo, args: &[&str], code: i32) -> (String, String) {
    let output = repo.agentguard().args(args).output().unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert_eq!(
        output.status.code(),
        Some(code),
        "agentguard {args:?}:\n{out}{err}"
    );
    (out, err)
}

fn example() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.agentguard.toml.example"
    ))
    .unwrap()
}

#[test]
fn init_writes_the_example_and_the_tasks_dir_and_refuses_to_overwrite() {
    let repo = TestRepo::with_initial_commit();
    let (out, _) = output(&repo, &["init"], 0);
    assert!(out.contains("wrote .agentguard.toml"), "{out}");
    assert!(out.contains("wrote .agentguard/tasks/README.md"), "{out}");
    assert!(out.contains("agentguard install"), "{out}");
    assert!(out.contains("agentguard task new <id>"), "{out}");
    assert_eq!(repo.read(".agentguard.toml"), example());
    assert!(repo
        .read(".agentguard/tasks/README.md")
        .contains("Agent-Task"));

    repo.write(".agentguard.toml", "[scope]\ndeny = [\"vendor/\"]\n");
    let (_, err) = output(&repo, &["init"], 2);
    assert!(err.contains(".agentguard.toml"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        repo.read(".agentguard.toml"),
        "[scope]\ndeny = [\"vendor/\"]\n"
    );

    let (out, _) = output(&repo, &["init", "--force"], 0);
    assert!(out.contains("overwrote .agentguard.toml"), "{out}");
    assert_eq!(repo.read(".agentguard.toml"), example());

    // What init writes is a policy agentguard accepts.
    repo.commit_all("adopt agentguard");
    repo.write("src/lib.rs", "pub fn f() {}\n");
    repo.commit_all(&msg(&["Agent-Task: T-1"]));
    let report = repo.check_json(&["HEAD", "--no-run"], 0);
    assert_eq!(report["commits"][0]["task"], "T-1");
}

#[test]
fn init_from_a_subdirectory_writes_at_the_root() {
    let repo = TestRepo::with_initial_commit();
    std::fs::create_dir_all(repo.path().join("deep/er")).unwrap();
    let output = repo
        .agentguard()
        .current_dir(repo.path().join("deep/er"))
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(repo.path().join(".agentguard.toml").is_file());
    assert!(!repo.path().join("deep/er/.agentguard.toml").exists());
}

#[test]
fn init_outside_a_repository_is_an_error() {
    let repo = TestRepo::new();
    let output = repo
        .agentguard()
        .current_dir(repo.home())
        .env("GIT_CEILING_DIRECTORIES", repo.scratch())
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not inside a git repository"));
}

#[test]
fn task_new_writes_a_template_the_checker_accepts() {
    let repo = TestRepo::with_initial_commit();
    let (out, _) = output(&repo, &["task", "new", "T-7"], 0);
    assert!(out.contains("wrote .agentguard/tasks/T-7.toml"), "{out}");
    let text = repo.read(".agentguard/tasks/T-7.toml");
    for key in ["goal", "allow", "deny", "acceptance", "requires_approval"] {
        assert!(text.contains(&format!("\n{key} = ")), "{key}: {text}");
    }

    let (_, err) = output(&repo, &["task", "new", "T-7"], 2);
    assert!(err.contains(".agentguard/tasks/T-7.toml"), "{err}");
    repo.write(".agentguard/tasks/T-7.toml", "goal = \"mine\"\n");
    output(&repo, &["task", "new", "T-7", "--force"], 0);
    assert_eq!(repo.read(".agentguard/tasks/T-7.toml"), text);

    // Committed, the template is the task of an agent commit that names it.
    repo.commit_all("task T-7");
    repo.write("src/lib.rs", "pub fn f() {}\n");
    repo.commit_all(&msg(&["Agent-Task: T-7"]));
    let report = repo.check_json(&["HEAD", "--no-run"], 0);
    assert_eq!(report["commits"][0]["task"], "T-7");
    assert!(findings(&report).is_empty(), "{report:#}");
}

#[test]
fn bad_task_ids_are_refused() {
    let repo = TestRepo::with_initial_commit();
    for id in ["../x", "", "with space", ".hidden"] {
        let (_, err) = output(&repo, &["task", "new", id], 2);
        assert!(err.contains("invalid task id"), "{id:?}: {err}");
        let (_, err) = output(&repo, &["task", "trailers", id], 2);
        assert!(err.contains("invalid task id"), "{id:?}: {err}");
    }
    assert!(!repo.path().join(".agentguard").exists());
    assert!(!repo.scratch().join("x.toml").exists());
}

/// The trailers of a message as `git interpret-trailers --parse` reads them.
fn parsed_trailers(repo: &TestRepo, message: &str) -> String {
    use std::io::Write;
    let mut child = repo
        .git_command()
        .args(["interpret-trailers", "--parse"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(message.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn task_trailers_restate_a_defined_task_as_git_parses_it() {
    let repo = TestRepo::with_initial_commit();
    repo.write(
        ".agentguard/tasks/T-9.toml",
        "goal = \"billing\"\nallow = [\"src/billing/**\", \"tests/billing.rs\"]\n\
         deny = [\"src/billing/legacy/\"]\nacceptance = [\"true\"]\n\
         requires_approval = [\"payments\"]\n",
    );
    repo.commit_all("task T-9");
    let (out, err) = output(&repo, &["task", "trailers", "T-9"], 0);
    assert_eq!(
        out,
        "Agent-Task: T-9\n\
         Agent-Allow: src/billing/**\n\
         Agent-Allow: tests/billing.rs\n\
         Agent-Deny: src/billing/legacy/\n\
         Agent-Acceptance: true\n\
         Agent-Requires-Approval: payments\n"
    );
    assert!(err.contains("restate .agentguard/tasks/T-9.toml"), "{err}");
    let message = format!("Bill better\n\nSome explanation.\n\n{out}");
    assert_eq!(parsed_trailers(&repo, &message), out);

    // The restated block narrows nothing: an in-scope commit has no scope or metadata
    // findings; it only waits for the payments sign-off the task asks for.
    repo.write("src/billing/a.rs", "pub fn a() {}\n");
    repo.commit_all(&message);
    let report = repo.check_json(&["HEAD", "--no-run"], 1);
    let categories: Vec<String> = findings(&report)
        .iter()
        .map(|f| {
            format!(
                "{}/{}",
                f["kind"].as_str().unwrap(),
                f["category"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(categories, ["risk/payments", "risk/payments"], "{report:#}");
}

#[test]
fn task_trailers_for_a_task_from_the_policy() {
    let repo = TestRepo::with_initial_commit();
    repo.write(
        ".agentguard.toml",
        "[tasks.\"P-1\"]\ndeny = [\"docs/\"]\nacceptance = [\"make test\"]\n",
    );
    repo.commit_all("policy task");
    let (out, _) = output(&repo, &["task", "trailers", "P-1"], 0);
    assert_eq!(
        out,
        "Agent-Task: P-1\nAgent-Deny: docs/\nAgent-Acceptance: make test\n"
    );
}

#[test]
fn task_trailers_for_an_unknown_task_say_so() {
    let repo = TestRepo::with_initial_commit();
    let (out, err) = output(&repo, &["task", "trailers", "T-404"], 0);
    assert_eq!(out, "Agent-Task: T-404\n");
    assert!(err.contains("no task file defines `T-404`"), "{err}");
    assert_eq!(
        parsed_trailers(&repo, &format!("Title\n\n{out}")),
        "Agent-Task: T-404\n"
    );

    // Uncommitted task files do not count yet, and where tasks are defined the commit blocks.
    output(&repo, &["task", "new", "T-1"], 0);
    output(&repo, &["task", "new", "T-404"], 0);
    std::fs::remove_file(repo.path().join(".agentguard/tasks/T-404.toml")).unwrap();
    repo.commit_all("task T-1");
    output(&repo, &["task", "new", "T-404"], 0);
    let (out, err) = output(&repo, &["task", "trailers", "T-404"], 0);
    assert_eq!(out, "Agent-Task: T-404\n");
    assert!(err.contains("will be blocked"), "{err}");
    assert!(
        err.contains("exists in the work tree but not in HEAD"),
        "{err}"
    );
}

// --- init --agents ----------------------------------------------------------------------

const BEGIN: &str = "<!-- agentguard:begin";
const END: &str = "<!-- agentguard:end -->";

#[test]
fn init_agents_writes_the_block_once_and_keeps_everything_else() {
    let repo = TestRepo::with_initial_commit();
    let (out, _) = output(&repo, &["init", "--agents"], 0);
    assert!(
        out.contains("wrote AGENTS.md with the agentguard instructions block"),
        "{out}"
    );
    let written = repo.read("AGENTS.md");
    assert!(written.starts_with(BEGIN), "{written}");
    assert!(written.ends_with(&format!("{END}\n")), "{written}");
    for needed in [
        "Agent-Task: <task id>",
        "agentguard explain <path> --task <id>",
        "--no-verify",
        "AGENTGUARD_SKIP",
        "ask\n    a human",
    ] {
        assert!(written.contains(needed), "{needed}: {written}");
    }
    // Only the block: no policy was written.
    assert!(!repo.path().join(".agentguard.toml").exists());

    // Idempotent: a second run changes nothing, byte for byte.
    let (out, _) = output(&repo, &["init", "--agents"], 0);
    assert!(
        out.contains("AGENTS.md: the agentguard instructions block is up to date"),
        "{out}"
    );
    assert_eq!(repo.read("AGENTS.md"), written);

    // Text around the block is the team's; an edit inside the block is agentguard's to undo.
    let edited = format!(
        "# Our agents\n\nUse tabs.\n\n{}\n## After\n",
        written.replace("Stay in scope", "Roam freely")
    );
    repo.write("AGENTS.md", &edited);
    let (out, _) = output(&repo, &["init", "--agents"], 0);
    assert!(
        out.contains("updated the agentguard instructions block in AGENTS.md"),
        "{out}"
    );
    assert_eq!(
        repo.read("AGENTS.md"),
        format!("# Our agents\n\nUse tabs.\n\n{written}\n## After\n")
    );
}

#[test]
fn init_agents_finds_claude_md_and_writes_named_files() {
    let repo = TestRepo::with_initial_commit();
    repo.write("CLAUDE.md", "# Project notes\nRun `make test`.");
    let (out, _) = output(&repo, &["init", "--agents"], 0);
    assert!(
        out.contains("added the agentguard instructions block to the end of CLAUDE.md"),
        "{out}"
    );
    let claude = repo.read("CLAUDE.md");
    assert!(
        claude.starts_with("# Project notes\nRun `make test`.\n\n<!-- agentguard:begin"),
        "{claude}"
    );
    assert!(!repo.path().join("AGENTS.md").exists());

    let (out, _) = output(
        &repo,
        &[
            "init",
            "--agents",
            "--file",
            "CLAUDE.md",
            "--file",
            "docs/AGENTS.md",
        ],
        0,
    );
    assert!(
        out.contains("CLAUDE.md: the agentguard instructions block is up to date"),
        "{out}"
    );
    assert!(out.contains("wrote docs/AGENTS.md"), "{out}");
    assert_eq!(repo.read("CLAUDE.md"), claude);
}

#[test]
fn init_agents_follows_a_symlink_inside_the_repository() {
    let repo = TestRepo::with_initial_commit();
    repo.write("AGENTS.md", "# Agents\n");
    std::os::unix::fs::symlink("AGENTS.md", repo.path().join("CLAUDE.md")).unwrap();
    output(&repo, &["init", "--agents", "--file", "CLAUDE.md"], 0);
    let meta = std::fs::symlink_metadata(repo.path().join("CLAUDE.md")).unwrap();
    assert!(meta.file_type().is_symlink(), "the link is kept");
    assert!(repo.read("AGENTS.md").contains(END));
}

#[test]
fn init_agents_refuses_broken_markers_and_paths_outside() {
    let repo = TestRepo::with_initial_commit();
    let broken = "# Agents\n<!-- agentguard:begin (written by `agentguard init --agents`; run it again to update) -->\nhalf a block\n";
    repo.write("AGENTS.md", broken);
    let (_, err) = output(&repo, &["init", "--agents"], 2);
    assert!(
        err.contains("AGENTS.md has only one of the agentguard block markers"),
        "{err}"
    );
    assert_eq!(repo.read("AGENTS.md"), broken);

    let (_, err) = output(&repo, &["init", "--agents", "--file", "../AGENTS.md"], 2);
    assert!(err.contains("not a file inside the work tree"), "{err}");
    let (_, err) = output(&repo, &["init", "--file", "AGENTS.md"], 2);
    assert!(err.contains("--agents"), "{err}");
}

#[test]
fn the_book_shows_the_block_init_agents_writes() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/src/guide/agent-instructions.md"
    ))
    .unwrap();
    assert!(
        page.contains(agentguard::internals::onboarding::AGENTS_BLOCK),
        "docs/src/guide/agent-instructions.md must show AGENTS_BLOCK verbatim"
    );
}
