//! agentguard under hook managers, for real: pre-commit (from PyPI) with the repository's
//! `.pre-commit-hooks.yaml`, and lefthook (from npm) with the book's `lefthook.yml`. Each tool
//! is installed once into Cargo's scratch directory for tests and kept there; where its
//! registry cannot be reached the test says so and is skipped.

use crate::support::{text, TestRepo};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where installed tools are kept between runs (`target/tmp`).
fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hook-managers")
}

/// Installs into its own directory once; a marker written last tells a finished install from
/// one that stopped half way (redone). Virtualenvs cannot move, so it installs in place.
fn install_once(
    name: &str,
    binary: &str,
    install: impl Fn(&Path) -> Result<(), String>,
) -> Result<PathBuf, String> {
    let dir = tools_dir().join(name);
    let bin = dir.join(binary);
    let done = dir.join(".installed");
    if done.is_file() && bin.is_file() {
        return Ok(bin);
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    install(&dir)?;
    if !bin.is_file() {
        return Err(format!("{} is missing after the install", bin.display()));
    }
    std::fs::write(&done, "").map_err(|e| e.to_string())?;
    Ok(bin)
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| e.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        Err(text(&output))
    }
}

/// `pre-commit` installed into a virtualenv from PyPI.
fn pre_commit() -> Result<PathBuf, String> {
    install_once("pre-commit", "venv/bin/pre-commit", |dir| {
        let venv = dir.join("venv");
        run(Command::new("python3")
            .current_dir(dir)
            .arg("-m")
            .arg("venv")
            .arg(&venv))?;
        run(Command::new(venv.join("bin/pip")).current_dir(dir).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "pre-commit",
        ]))
    })
}

/// `lefthook` installed from npm.
fn lefthook() -> Result<PathBuf, String> {
    install_once("lefthook", "node_modules/.bin/lefthook", |dir| {
        // No install scripts: lefthook's would run `lefthook install` in the directory npm
        // was started from, writing hooks into that repository.
        run(Command::new("npm")
            .current_dir(dir)
            .env("LEFTHOOK", "0")
            .args([
                "install",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--silent",
                "--prefix",
            ])
            .arg(dir)
            .arg("lefthook"))
    })
}

/// Skips the test, saying why, when the tool cannot be installed here.
macro_rules! tool_or_skip {
    ($tool:expr, $name:literal) => {
        match $tool {
            Ok(path) => path,
            Err(why) => {
                eprintln!(
                    "skipped: {} could not be installed from its registry: {why}",
                    $name
                );
                return;
            }
        }
    };
}

/// PATH with the built agentguard and the manager's own directory first.
fn path_with(tool: &Path) -> String {
    let agentguard = assert_cmd::cargo::cargo_bin("agentguard");
    let mut dirs = vec![
        agentguard.parent().unwrap().to_path_buf(),
        tool.parent().unwrap().to_path_buf(),
    ];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// A repository with task T-1 (`src/**` only) and a bare remote; the manager's config and
/// `notes.rewriteRef` are committed and set by a person.
fn repo_with(config_name: &str, config: &str) -> TestRepo {
    let repo = TestRepo::with_initial_commit();
    repo.write(
        ".agentguard/tasks/T-1.toml",
        "goal = \"work\"\nallow = [\"src/**\"]\n",
    );
    repo.write(config_name, config);
    repo.commit_all("human: tasks and hooks");
    let remote = repo.scratch().join("remote.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    repo.git(&["push", "-q", "origin", "main"]);
    // As the docs give it.
    repo.git(&[
        "config",
        "--add",
        "notes.rewriteRef",
        "refs/notes/agentguard*",
    ]);
    repo
}

fn git(repo: &TestRepo, path: &str, args: &[&str]) -> std::process::Output {
    let tmp = repo.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    repo.git_command()
        .args(args)
        .env("PATH", path)
        .env("TMPDIR", tmp)
        .env("NO_COLOR", "1")
        // pre-commit's cache of hook repositories, inside the test.
        .env("PRE_COMMIT_HOME", repo.scratch().join("pre-commit-home"))
        .output()
        .unwrap()
}

/// An agent's day through the manager's hooks: a commit outside the task is blocked, the
/// trailer comes from the branch, the evidence is attached, the push passes; an unproven
/// commit is refused at push.
fn agent_day(repo: &TestRepo, path: &str) {
    repo.checkout_new("agent/T-1-work");
    repo.write("src/lib.rs", "pub fn work() {}\n");
    repo.write("docs/notes.md", "stray\n");
    repo.git(&["add", "src", "docs"]);
    let output = git(repo, path, &["commit", "-m", "Work"]);
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    let all = text(&output);
    assert!(
        all.contains("docs/notes.md is outside the allowed paths"),
        "{all}"
    );
    assert!(
        all.contains("task: T-1"),
        "the trailer came from the branch:\n{all}"
    );

    repo.git(&["rm", "-q", "--cached", "docs/notes.md"]);
    let output = git(repo, path, &["commit", "-m", "Work"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(
        repo.git(&["log", "-1", "--format=%(trailers:key=Agent-Task,valueonly)"]),
        "T-1"
    );
    let note = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    assert!(note.contains("verdict = \"pass\""), "{note}");
    let output = git(repo, path, &["push", "-q", "origin", "agent/T-1-work"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));

    // Committed around the hooks: no evidence, so the push is refused.
    repo.write("src/more.rs", "pub fn more() {}\n");
    repo.git(&["add", "src"]);
    let output = git(repo, path, &["commit", "-q", "--no-verify", "-m", "More"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = git(repo, path, &["push", "-q", "origin", "agent/T-1-work"]);
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("evidence"), "{}", text(&output));
    let remote_tip = repo.git(&["ls-remote", "origin", "refs/heads/agent/T-1-work"]);
    assert!(
        !remote_tip.starts_with(&repo.git(&["rev-parse", "HEAD"])),
        "{remote_tip}"
    );
}

#[test]
fn pre_commit_framework_runs_the_hooks_of_pre_commit_hooks_yaml() {
    let pre_commit = tool_or_skip!(pre_commit(), "pre-commit");
    // The hooks repository: this repository's `.pre-commit-hooks.yaml`, committed.
    let hooks_source = TestRepo::new();
    let manifest = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    ))
    .unwrap();
    hooks_source.write(".pre-commit-hooks.yaml", &manifest);
    let rev = hooks_source.commit_all("hooks");
    let ids: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("- id: "))
        .collect();
    assert_eq!(ids.len(), 6, "{manifest}");
    let config = format!(
        "default_install_hook_types: [pre-commit, prepare-commit-msg, commit-msg, post-commit, post-merge, pre-push]\n\
         repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n{}",
        hooks_source.path().display(),
        ids.iter()
            .map(|id| format!("      - id: {id}\n"))
            .collect::<String>()
    );
    let repo = repo_with(".pre-commit-config.yaml", &config);
    let path = path_with(&pre_commit);
    let output = repo
        .command(&pre_commit)
        .arg("install")
        .env("PATH", &path)
        .env("PRE_COMMIT_HOME", repo.scratch().join("pre-commit-home"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let hook = std::fs::read_to_string(repo.path().join(".git/hooks/pre-push")).unwrap();
    assert!(hook.contains("pre-commit"), "{hook}");
    agent_day(&repo, &path);
}

/// The `lefthook.yml` the book shows.
fn book_lefthook_config() -> String {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/src/guide/hooks.md"
    ))
    .unwrap();
    let marker = page
        .find("<!-- lefthook-snippet:")
        .expect("the snippet marker");
    let start = marker + page[marker..].find("```yaml\n").expect("a yaml block") + 8;
    let end = start + page[start..].find("```").expect("the block ends");
    page[start..end].to_string()
}

#[test]
fn lefthook_runs_the_books_lefthook_yml() {
    let lefthook = tool_or_skip!(lefthook(), "lefthook");
    let repo = repo_with("lefthook.yml", &book_lefthook_config());
    let path = path_with(&lefthook);
    let output = repo
        .command(&lefthook)
        .arg("install")
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let hook = std::fs::read_to_string(repo.path().join(".git/hooks/prepare-commit-msg")).unwrap();
    assert!(hook.contains("lefthook"), "{hook}");
    agent_day(&repo, &path);
}
