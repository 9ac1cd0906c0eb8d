//! The README's example is run, not just read: its commands run in a scratch directory with the
//! built binary, and what they print must be what the README shows. The README block is the
//! expected value; `UPDATE_README=1 cargo test --test it readme` rewrites it from a fresh run.

use crate::support::TestRepo;
use regex::Regex;
use std::path::{Path, PathBuf};

/// The comment that marks the example block in README.md.
const MARKER: &str = "<!-- readme-example:";
/// The path every scratch directory is shown as in the README.
const SHOWN_HOME: &str = "/home/dev";

fn readme_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")
}

/// The example block: the byte range of its body in the README, and the body.
fn example_block(readme: &str) -> (std::ops::Range<usize>, &str) {
    let marker = readme
        .find(MARKER)
        .expect("README.md has the readme-example marker");
    let after_marker = marker + readme[marker..].find("-->").expect("marker comment ends") + 3;
    let fence_start = after_marker + readme[after_marker..].find("```").expect("a fenced block");
    let body_start = fence_start + readme[fence_start..].find('\n').expect("fence line ends") + 1;
    let body_end = body_start
        + readme[body_start..]
            .find("\n```")
            .expect("the fenced block closes")
        + 1;
    (body_start..body_end, &readme[body_start..body_end])
}

/// Each command of a transcript: a `$ ` line and the lines it continues onto with `\`.
fn commands(transcript: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut continuing = false;
    for line in transcript.lines() {
        if continuing {
            let last = out.last_mut().expect("a command to continue");
            last.push('\n');
            last.push_str(line);
        } else if let Some(command) = line.strip_prefix("$ ") {
            out.push(command.to_string());
        } else {
            continuing = false;
            continue;
        }
        continuing = line.ends_with('\\');
    }
    out
}

/// A shell script that prints each command as the transcript shows it, then runs it.
fn script(commands: &[String]) -> String {
    let mut script = String::from("exec 2>&1\n");
    for command in commands {
        let shown = format!("$ {command}");
        script.push_str(&format!(
            "printf '%s\\n' '{}'\n",
            shown.replace('\'', r"'\''")
        ));
        script.push_str(command);
        script.push('\n');
    }
    script
}

/// Hides what differs from run to run: object ids, fingerprints, times and durations.
fn normalise(text: &str) -> String {
    let hex = Regex::new(r"\b[0-9a-f]{7,64}\b").unwrap();
    let time = Regex::new(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\b").unwrap();
    let duration = Regex::new(r"\b\d+(\.\d+)? ?(ms|s|µs)\b").unwrap();
    text.lines()
        .map(|line| {
            let line = time.replace_all(line, "<time>");
            let line = hex.replace_all(&line, "<hex>");
            let line = duration.replace_all(&line, "<duration>");
            line.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs the transcript's commands in `<scratch>/dev` and returns what they printed, with the
/// scratch directory shown as the README shows it.
fn run_example(commands: &[String]) -> String {
    let repo = TestRepo::new();
    let dev = repo.scratch().join("dev");
    let tmp = repo.scratch().join("tmp");
    std::fs::create_dir_all(&dev).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    let binary = assert_cmd::cargo::cargo_bin("agentguard");
    let bin_dir = binary.parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let output = repo
        .command("sh")
        .arg("-c")
        .arg(script(commands))
        .current_dir(&dev)
        .env("PATH", path)
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the example's last command failed: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let mut printed = String::from_utf8_lossy(&output.stdout).into_owned();
    for shown_as in [dev.clone(), dev.canonicalize().unwrap()] {
        printed = printed.replace(&*shown_as.to_string_lossy(), SHOWN_HOME);
    }
    printed
}

#[test]
fn the_readme_example_prints_what_the_readme_shows() {
    let readme = std::fs::read_to_string(readme_path()).unwrap();
    let (range, block) = example_block(&readme);
    let commands = commands(block);
    assert!(
        commands.len() > 5,
        "the example has its commands: {commands:?}"
    );
    let printed = run_example(&commands);
    if std::env::var_os("UPDATE_README").is_some() {
        let mut updated = readme.clone();
        updated.replace_range(range, &printed);
        std::fs::write(readme_path(), updated).unwrap();
        return;
    }
    let (expected, actual) = (normalise(block), normalise(&printed));
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, &actual)
            .unified_diff()
            .header("README.md", "this run")
            .to_string();
        panic!(
            "the README's example no longer prints what the README shows; update the block \
             (UPDATE_README=1 cargo test --test it readme) or fix the change:\n{diff}"
        );
    }
}

#[test]
fn the_example_blocks_then_passes() {
    // The comparison above could pass on a README that shows a failure; the story must hold.
    let readme = std::fs::read_to_string(readme_path()).unwrap();
    let (_, block) = example_block(&readme);
    let blocked = block
        .find("verdict: block")
        .expect("the first commit is blocked");
    let passed = block
        .rfind("verdict: pass")
        .expect("verify passes at the end");
    assert!(blocked < passed, "blocked first, then passed");
    assert!(block.contains("[outside-allow] src/auth/session.rs is outside the allowed paths"));
    assert!(block.contains("evidence attached to"));
}

#[test]
fn normalising_hides_ids_times_and_durations_only() {
    assert_eq!(
        normalise("commit 1a73bcfe73 at 2026-12-06T03:04:51Z … ok in 27 ms (2.5 s)  "),
        "commit <hex> at <time> … ok in <duration> (<duration>)"
    );
    assert_eq!(normalise("verdict: pass"), "verdict: pass");
    assert_eq!(
        commands("$ a \\\n  b\nout\n$ c\n"),
        vec!["a \\\n  b".to_string(), "c".to_string()]
    );
}
