//! Which repository files an acceptance command runs: editing them changes what "the tests
//! pass" means, so the change that edits them cannot also be the change they judge.

use super::reach::{Reached, Why};
use super::{paths, Collector, CompiledPolicy, RiskInput, TEST_TAMPERING};
use crate::acceptance::baseline::Shortfall;
use crate::diff::{display_path, Status};
use crate::finding::Finding;
use std::collections::HashMap;

/// Extensions of files a command line typically executes or reads as configuration.
const SCRIPT_EXTENSIONS: [&str; 16] = [
    "sh", "bash", "zsh", "py", "js", "mjs", "cjs", "ts", "rb", "pl", "ps1", "php", "lua", "mk",
    "toml", "cfg",
];

/// What a JavaScript test run reads besides the tests: package manager and runner settings.
const JS: &[&str] = &[
    "package.json",
    "**/.npmrc",
    "**/.yarnrc",
    "**/.yarnrc.yml",
    "**/.pnpmfile.cjs",
    "bunfig.toml",
    "**/jest.config.*",
    "**/vitest.config.*",
    "**/vitest.workspace.*",
    "**/vite.config.*",
    "**/karma.conf.*",
    "**/.mocharc*",
    "**/playwright.config.*",
];

/// What pytest and python read: rootdir configuration, plugins in `conftest.py`.
const PYTHON: &[&str] = &[
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "setup.cfg",
    "tox.ini",
    "**/conftest.py",
    "sitecustomize.py",
];

/// What cargo reads besides the manifests: build configuration, toolchain, build scripts.
const CARGO: &[&str] = &[
    "**/.cargo/config",
    "**/.cargo/config.toml",
    "rust-toolchain",
    "rust-toolchain.toml",
    "**/build.rs",
];

/// `go.work` picks the modules; a `go.mod` below the root cuts its directory out of `./...`.
const GO: &[&str] = &["go.work", "go.work.sum", "*/go.mod"];

/// Files a program reads implicitly when named as the command's program. `**/` matches at any
/// depth, `*/` only below the root, a trailing `*` any rest of the name.
fn implicit_files(program: &str) -> &'static [&'static str] {
    match program {
        "make" | "gmake" => &["Makefile", "makefile", "GNUmakefile"],
        "just" => &["justfile", "Justfile", ".justfile"],
        "npm" | "yarn" | "pnpm" | "bun" | "npx" | "bunx" | "jest" | "vitest" | "mocha"
        | "karma" | "playwright" => JS,
        "tox" | "pytest" | "py.test" | "python" | "python3" | "nox" => PYTHON,
        "cargo" | "cargo-nextest" => CARGO,
        "go" => GO,
        "rake" => &["Rakefile"],
        "task" => &["Taskfile.yml", "Taskfile.yaml"],
        _ => &[],
    }
}

/// Runners that often come after a wrapper's subcommand (`uv run pytest`, `npm exec jest`).
const RUNNERS: [&str; 7] = [
    "pytest", "py.test", "jest", "vitest", "mocha", "tox", "cargo",
];

/// Repository-relative files one acceptance command names or implies.
pub(crate) fn files_run_by(command: &str) -> Vec<String> {
    files_of(command, true)
}

/// Only the files the programs of a command imply (their configuration: `**/conftest.py`
/// under `pytest`), not the paths it names: what a script reached through another reads is
/// data, what its runners read is configuration.
pub(crate) fn files_implied_by(command: &str) -> Vec<String> {
    files_of(command, false)
}

fn files_of(command: &str, named: bool) -> Vec<String> {
    let mut files = Vec::new();
    for segment in command.split([';', '&', '|', '(', ')', '`', '\n']) {
        let mut at_program = true;
        for raw in segment.split_whitespace() {
            let token = raw.trim_matches(|c| c == '"' || c == '\'');
            if token.is_empty() {
                continue;
            }
            if at_program {
                // Flags of a wrapper (`sh -c`, `env -i`) and `VAR=value` assignments come
                // before the program that matters.
                if token.starts_with('-') || token.contains('=') {
                    continue;
                }
                let program = token.rsplit('/').next().unwrap_or(token);
                for implied in implicit_files(program) {
                    files.push((*implied).to_string());
                }
                if named && (token.contains('/') || has_script_extension(token)) {
                    push_path(&mut files, token);
                }
                at_program = !token.contains('/')
                    && matches!(
                        program,
                        "sh" | "bash"
                            | "zsh"
                            | "env"
                            | "exec"
                            | "time"
                            | "nice"
                            | "xargs"
                            | "sudo"
                            | "uv"
                            | "poetry"
                            | "pipenv"
                            | "npx"
                            | "bunx"
                    );
                continue;
            }
            if RUNNERS.contains(&token) {
                for implied in implicit_files(token) {
                    files.push((*implied).to_string());
                }
            }
            let value = match token.split_once('=') {
                Some((flag, value)) if flag.starts_with('-') => value,
                _ => token,
            };
            if value.starts_with('-') {
                continue;
            }
            if named && (value.contains('/') || has_script_extension(value)) {
                push_path(&mut files, value);
            }
        }
    }
    files.sort();
    files.dedup();
    files
}

fn has_script_extension(token: &str) -> bool {
    token
        .rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && SCRIPT_EXTENSIONS.contains(&ext))
}

fn push_path(files: &mut Vec<String>, token: &str) {
    let path = token.trim_start_matches("./");
    if path.is_empty()
        || path.starts_with('/')
        || path.starts_with('~')
        || path.starts_with('$')
        || path.contains("..")
        || path.contains("://")
        || path.ends_with('/')
        || path.contains(['*', '?', '['])
    {
        return;
    }
    files.push(path.to_string());
}

/// Whether a changed path is one of the files an acceptance command runs: named files match
/// exactly, implied ones by their pattern (see `implicit_files`).
pub(crate) fn runs(named: &[String], path: &str) -> bool {
    named.iter().any(|n| matches_file(n, path))
}

fn matches_file(pattern: &str, path: &str) -> bool {
    if pattern.ends_with('/') {
        return path.starts_with(pattern);
    }
    let (tail, anywhere, below_root) = if let Some(rest) = pattern.strip_prefix("**/") {
        (rest, true, false)
    } else if let Some(rest) = pattern.strip_prefix("*/") {
        (rest, true, true)
    } else {
        (pattern, false, false)
    };
    let same = |candidate: &str| match tail.strip_suffix('*') {
        Some(prefix) => candidate.starts_with(prefix) && !candidate[prefix.len()..].contains('/'),
        None => candidate == tail,
    };
    if !anywhere {
        return same(path);
    }
    let depth = tail.matches('/').count() + 1;
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() < depth || (below_root && parts.len() == depth) {
        return false;
    }
    same(&parts[parts.len() - depth..].join("/"))
}

/// The commands whose files count, each with what it is called in findings: the acceptance
/// commands, then the setup commands (they run first, in the same checkout: what they run
/// shapes the tests too).
pub(crate) fn commands<'a>(input: &RiskInput<'a>) -> Vec<(&'a str, &'static str)> {
    input
        .acceptance
        .iter()
        .map(|c| (c.command.as_str(), "acceptance command"))
        .chain(
            input
                .compiled
                .policy
                .acceptance
                .setup
                .iter()
                .map(|c| (c.as_str(), "acceptance setup command")),
        )
        .collect()
}

pub(super) fn test_tampering(out: &mut Collector<'_>, input: &RiskInput<'_>) {
    let Some(index) = out.index(TEST_TAMPERING) else {
        return;
    };
    let scripts: Vec<(String, (&str, &str))> = commands(input)
        .into_iter()
        .flat_map(|c| files_run_by(c.0).into_iter().map(move |f| (f, c)))
        .collect();
    let named: Vec<String> = scripts.iter().map(|(f, _)| f.clone()).collect();
    for entry in &input.change.entries {
        let old = entry.old.as_ref().map(|s| display_path(&s.path));
        let new = entry.new.as_ref().map(|s| display_path(&s.path));
        let gone = match (&old, &new) {
            (Some(old), None) if paths::is_test_path(old) => Some((
                old,
                "deletes a test file".to_string(),
                "deleted test file",
                "deleted".to_string(),
            )),
            // Test-ness by the runners' conventions as well as by directory:
            // `tests/test_a.py` -> `tests/test_a.py.disabled` stays in the tree, unrun.
            (Some(old), Some(new))
                if entry.status == Status::Renamed
                    && ((paths::is_test_path(old) && !paths::is_test_path(new))
                        || (paths::is_runnable_test(old) && !paths::is_runnable_test(new))) =>
            {
                Some((
                    old,
                    format!("renames test file away to `{new}`, where it no longer runs as a test"),
                    "test file renamed out of the test tree",
                    format!("renamed:{new}"),
                ))
            }
            _ => None,
        };
        if let Some((path, message, rule, matched)) = gone {
            out.push(index, path, None, message, rule, &matched);
        }
        for path in old
            .iter()
            .chain(new.iter().filter(|n| Some(*n) != old.as_ref()))
        {
            if !runs(&named, path) {
                continue;
            }
            let mut commands: Vec<(&str, &str)> = scripts
                .iter()
                .filter(|(f, _)| runs(std::slice::from_ref(f), path))
                .map(|(_, c)| *c)
                .collect();
            commands.dedup();
            let kind = commands.first().map_or("acceptance command", |c| c.1);
            let listed: Vec<&str> = commands.iter().map(|c| c.0).collect();
            out.push(
                index,
                path,
                None,
                format!(
                    "edits `{path}`, which the {kind} `{}` runs or reads",
                    listed.join("`, `")
                ),
                "file run by an acceptance command",
                "acceptance-script",
            );
        }
    }
}

/// Findings for the files the commands reach through other files, and for files that would
/// shadow what they run (`reached`, from `reach::reached` over `commands(input)`). Paths the
/// commands name themselves are left to `test_tampering`.
pub(super) fn reached_files(out: &mut Collector<'_>, input: &RiskInput<'_>, reached: &[Reached]) {
    let Some(index) = out.index(TEST_TAMPERING) else {
        return;
    };
    let commands = commands(input);
    let named: Vec<String> = commands.iter().flat_map(|c| files_run_by(c.0)).collect();
    // Most are exact paths (a module name per standard library module): looked up, not scanned.
    let mut exact: HashMap<&str, Vec<&Reached>> = HashMap::new();
    let mut patterns: Vec<&Reached> = Vec::new();
    for r in reached {
        if r.pattern.contains('*') || r.pattern.ends_with('/') {
            patterns.push(r);
        } else {
            exact.entry(r.pattern.as_str()).or_default().push(r);
        }
    }
    for entry in &input.change.entries {
        let old = entry.old.as_ref().map(|s| display_path(&s.path));
        let new = entry.new.as_ref().map(|s| display_path(&s.path));
        // A path the change brings into being: added, or the new end of a rename.
        let appears = new.as_ref().filter(|n| old.as_ref() != Some(*n));
        let mut flagged: Vec<String> = Vec::new();
        let candidates = old
            .iter()
            .chain(new.iter())
            .filter_map(|p| exact.get(p.as_str()))
            .flatten()
            .chain(patterns.iter())
            .copied();
        for r in candidates {
            let Some(&(command, kind)) = commands.get(r.command) else {
                continue;
            };
            let (path, message, rule, matched) = match &r.why {
                Why::Through(chain) => {
                    let Some(path) = old
                        .iter()
                        .chain(new.iter())
                        .find(|p| matches_file(&r.pattern, p) && !runs(&named, p))
                    else {
                        continue;
                    };
                    let shown: Vec<String> = chain
                        .iter()
                        .filter(|c| *c != path)
                        .map(|c| format!("`{c}`"))
                        .collect();
                    let through = if shown.is_empty() {
                        String::new()
                    } else {
                        format!(" through {}", shown.join(" → "))
                    };
                    (
                        path.clone(),
                        format!(
                            "edits `{path}`, which the {kind} `{command}` runs or reads{through}"
                        ),
                        "file reached by an acceptance command",
                        "acceptance-script",
                    )
                }
                Why::ShadowsModule { module } => {
                    let Some(path) = appears.filter(|p| **p == r.pattern) else {
                        continue;
                    };
                    (
                        path.clone(),
                        format!(
                            "adds `{path}`, which the {kind} `{command}` imports as `{module}` \
                             instead of the installed module (the checkout comes first on its \
                             sys.path)"
                        ),
                        "module shadowing what an acceptance command imports",
                        "shadow-module",
                    )
                }
                Why::ShadowsProgram { program, dir } => {
                    let Some(path) = new.as_ref().filter(|p| **p == r.pattern) else {
                        continue;
                    };
                    (
                        path.clone(),
                        format!(
                            "adds or edits `{path}`, which the shell runs for `{program}` in the \
                             {kind} `{command}` (`{dir}` is on its PATH)"
                        ),
                        "program shadowing what an acceptance command runs",
                        "shadow-program",
                    )
                }
            };
            if flagged.contains(&path) {
                continue;
            }
            flagged.push(path.clone());
            out.push(index, &path, None, message, rule, matched);
        }
    }
}

/// The finding for an acceptance command that ran fewer tests than the base did.
/// The rule a fall in the test count is reported under.
const FEWER_TESTS_RULE: &str = "test inventory: fewer tests than the base";

/// Whether a finding's rule (its allowlist fingerprint appended) is a fall in the test count.
pub(crate) fn is_fewer_tests(rule: &str) -> bool {
    rule.starts_with(FEWER_TESTS_RULE)
}

pub(crate) fn fewer_tests(compiled: &CompiledPolicy, shortfall: &Shortfall) -> Option<Finding> {
    let base = &shortfall.base;
    let what = match shortfall.ran {
        Some(ran) => format!("ran {ran} test{}", if ran == 1 { "" } else { "s" }),
        None => "reported no test count".to_string(),
    };
    let message = format!(
        "`{}` {what}, the base ran {} ({}): tests were removed, disabled or are no longer \
         collected",
        shortfall.command, base.ran, base.from
    );
    let matched = format!(
        "fewer-tests\0{}\0{}\0{}",
        shortfall.command,
        shortfall
            .ran
            .map_or("unknown".to_string(), |r| r.to_string()),
        base.ran
    );
    super::category_finding(
        compiled,
        TEST_TAMPERING,
        message,
        FEWER_TESTS_RULE,
        &matched,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_scripts_named_by_commands() {
        assert_eq!(files_run_by("./scripts/test.sh"), vec!["scripts/test.sh"]);
        assert_eq!(files_run_by("bash ci/check.sh --fast"), vec!["ci/check.sh"]);
        assert!(files_run_by("python tools/run_tests.py -k smoke")
            .contains(&"tools/run_tests.py".to_string()));
        let both = files_run_by("cargo test --manifest-path=sub/Cargo.toml && make check");
        for file in ["Makefile", "sub/Cargo.toml", "**/build.rs"] {
            assert!(both.contains(&file.to_string()), "{file}");
        }
        assert_eq!(files_run_by("sh -c 'FOO=1 ./run.sh'"), vec!["run.sh"]);
        assert!(files_run_by("cargo test --all").contains(&"**/build.rs".to_string()));
        assert!(files_run_by("pytest tests/").contains(&"**/conftest.py".to_string()));
        assert!(files_run_by("rm -rf /tmp/x").is_empty());
    }

    #[test]
    fn runner_configuration_counts() {
        let cargo = files_run_by("cargo test --workspace");
        for path in [
            ".cargo/config.toml",
            "rust-toolchain.toml",
            "crates/a/build.rs",
        ] {
            assert!(runs(&cargo, path), "{path}");
        }
        assert!(!runs(&cargo, "src/build.rs.txt"));
        let js = files_run_by("npx vitest run");
        for path in [
            "vitest.config.ts",
            "web/jest.config.js",
            ".mocharc.yml",
            ".npmrc",
        ] {
            assert!(runs(&js, path), "{path}");
        }
        let py = files_run_by("uv run pytest -q");
        assert!(runs(&py, "pyproject.toml") && runs(&py, "setup.cfg"));
        let go = files_run_by("go test ./...");
        assert!(runs(&go, "internal/legacy/go.mod"));
        assert!(!runs(&go, "go.mod"));
    }

    #[test]
    fn conftest_counts_at_any_depth() {
        let named = files_run_by("pytest -q");
        assert!(runs(&named, "tests/unit/conftest.py"));
        assert!(!runs(&named, "tests/unit/test_a.py"));
    }
}
