//! Which repository files an acceptance command runs: editing them changes what "the tests
//! pass" means, so the change that edits them cannot also be the change they judge.

/// Extensions of files a command line typically executes or reads as configuration.
const SCRIPT_EXTENSIONS: [&str; 16] = [
    "sh", "bash", "zsh", "py", "js", "mjs", "cjs", "ts", "rb", "pl", "ps1", "php", "lua", "mk",
    "toml", "cfg",
];

/// Files a program reads implicitly when named as the command's program.
fn implicit_files(program: &str) -> &'static [&'static str] {
    match program {
        "make" | "gmake" => &["Makefile", "makefile", "GNUmakefile"],
        "just" => &["justfile", "Justfile", ".justfile"],
        "npm" | "yarn" | "pnpm" | "bun" => &["package.json"],
        "tox" => &["tox.ini"],
        "pytest" | "py.test" => &["pytest.ini", "conftest.py"],
        "rake" => &["Rakefile"],
        "task" => &["Taskfile.yml", "Taskfile.yaml"],
        _ => &[],
    }
}

/// Repository-relative files one acceptance command names or implies.
pub fn files_run_by(command: &str) -> Vec<String> {
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
                if token.contains('/') || has_script_extension(token) {
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
            if token == "pytest" || token == "py.test" {
                for implied in implicit_files("pytest") {
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
            if value.contains('/') || has_script_extension(value) {
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

/// Whether a changed path is one of the files an acceptance command runs. Implicit files such
/// as `conftest.py` count at any depth; named files must match exactly.
pub fn runs(named: &[String], path: &str) -> bool {
    let name = super::paths::file_name(path);
    named
        .iter()
        .any(|n| n == path || (n == "conftest.py" && name == "conftest.py"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_scripts_named_by_commands() {
        assert_eq!(files_run_by("./scripts/test.sh"), vec!["scripts/test.sh"]);
        assert_eq!(files_run_by("bash ci/check.sh --fast"), vec!["ci/check.sh"]);
        assert_eq!(
            files_run_by("python tools/run_tests.py -k smoke"),
            vec!["tools/run_tests.py"]
        );
        assert_eq!(
            files_run_by("cargo test --manifest-path=sub/Cargo.toml && make check"),
            vec!["GNUmakefile", "Makefile", "makefile", "sub/Cargo.toml"]
        );
        assert_eq!(files_run_by("sh -c 'FOO=1 ./run.sh'"), vec!["run.sh"]);
        assert!(files_run_by("cargo test --all").is_empty());
        assert!(files_run_by("pytest tests/").contains(&"conftest.py".to_string()));
        assert!(files_run_by("rm -rf /tmp/x").is_empty());
    }

    #[test]
    fn conftest_counts_at_any_depth() {
        let named = files_run_by("pytest -q");
        assert!(runs(&named, "tests/unit/conftest.py"));
        assert!(!runs(&named, "tests/unit/test_a.py"));
    }
}
