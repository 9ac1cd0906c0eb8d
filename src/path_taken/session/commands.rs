//! Shell commands as a transcript records them: shown as the agent meant them, the files an
//! `apply_patch` wrote, and whether a command reaches the network.

/// An argument vector as one command line: the script of `bash -lc <script>` (how Codex runs
/// everything), else the words, quoted where they need it.
pub(crate) fn display(argv: &[&str]) -> String {
    let shells = ["bash", "sh", "zsh", "dash", "fish"];
    if let [shell, flag, script] = argv {
        let name = shell.rsplit('/').next().unwrap_or(shell);
        if shells.contains(&name) && flag.starts_with('-') && flag.contains('c') {
            return (*script).to_string();
        }
    }
    argv.iter()
        .map(|word| {
            if !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                (*word).to_string()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The files an `apply_patch` patch adds, updates, deletes or moves to.
pub(crate) fn patch_paths(patch: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for line in patch.lines() {
        let line = line.trim_end();
        for header in [
            "*** Add File: ",
            "*** Update File: ",
            "*** Delete File: ",
            "*** Move to: ",
        ] {
            if let Some(path) = line.strip_prefix(header) {
                let path = path.trim().to_string();
                if !path.is_empty() && !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
    }
    paths
}

/// Whether a command reaches the network: a download tool, a package install, a git fetch or
/// push. Each part of a pipeline or list is judged by its program and subcommand, after
/// variable assignments and `sudo`/`env`.
pub(crate) fn reaches_network(command: &str) -> bool {
    command
        .split(['\n', ';', '|', '&', '(', ')', '`'])
        .any(part_reaches_network)
}

fn part_reaches_network(part: &str) -> bool {
    let words: Vec<&str> = part
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
        .skip_while(|w| w.contains('=') || matches!(*w, "sudo" | "env" | "time" | "exec" | "$"))
        .collect();
    let Some(first) = words.first() else {
        return false;
    };
    let program = first.rsplit('/').next().unwrap_or(first);
    let sub = words.get(1).copied().unwrap_or_default();
    let rest = &words[1..];
    match program {
        "curl" | "wget" | "http" | "https" | "aria2c" | "scp" | "rsync" | "ssh" | "ftp" | "nc"
        | "telnet" => true,
        "pip" | "pip3" | "pipx" => matches!(sub, "install" | "download"),
        "python" | "python3" => rest
            .windows(3)
            .any(|w| w[0] == "-m" && w[1].starts_with("pip") && w[2] == "install"),
        "uv" => matches!(sub, "add" | "sync" | "pip" | "tool") && !rest.contains(&"--offline"),
        "poetry" | "pdm" => matches!(sub, "add" | "install" | "update" | "lock"),
        "npm" | "pnpm" | "bun" => {
            matches!(sub, "install" | "i" | "ci" | "add" | "update")
                || (program == "npm" && sub == "exec")
        }
        "npx" | "bunx" | "pnpx" => true,
        "yarn" => matches!(sub, "" | "add" | "install" | "upgrade" | "dlx"),
        "cargo" => matches!(
            sub,
            "install" | "add" | "fetch" | "update" | "search" | "publish"
        ),
        "go" => matches!(sub, "get" | "install") || (sub == "mod" && rest.contains(&"download")),
        "gem" => matches!(sub, "install" | "update" | "fetch"),
        "bundle" | "bundler" => matches!(sub, "install" | "update" | "add"),
        "composer" => matches!(sub, "install" | "require" | "update"),
        "apt" | "apt-get" | "dnf" | "yum" | "apk" | "brew" | "pacman" => {
            matches!(
                sub,
                "install" | "update" | "upgrade" | "add" | "-S" | "-Sy" | "-Syu"
            )
        }
        "git" => matches!(
            sub,
            "clone" | "fetch" | "pull" | "push" | "ls-remote" | "submodule"
        ),
        "docker" | "podman" => matches!(sub, "pull" | "push" | "login"),
        "gh" => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_argv_shows_its_script() {
        assert_eq!(display(&["bash", "-lc", "cargo test -q"]), "cargo test -q");
        assert_eq!(display(&["/bin/zsh", "-c", "ls"]), "ls");
        assert_eq!(
            display(&["rg", "-n", "fn main", "src"]),
            "rg -n 'fn main' src"
        );
    }

    #[test]
    fn patch_headers_name_the_files() {
        let patch = "*** Begin Patch\n*** Update File: src/lib.rs\n@@\n-a\n+b\n*** Add File: tests/t.rs\n+x\n*** Update File: src/old.rs\n*** Move to: src/new.rs\n*** End Patch\n";
        assert_eq!(
            patch_paths(patch),
            ["src/lib.rs", "tests/t.rs", "src/old.rs", "src/new.rs"]
        );
    }

    #[test]
    fn network_commands() {
        for yes in [
            "curl -sSf https://example.com/install.sh | sh",
            "cd web && npm install left-pad",
            "pip install requests",
            "python3 -m pip install -r requirements.txt",
            "git fetch origin",
            "sudo apt-get update",
            "FOO=1 wget http://x",
            "cargo add serde",
        ] {
            assert!(reaches_network(yes), "{yes}");
        }
        for no in [
            "cargo test",
            "git status",
            "npm test",
            "grep -rn curl src",
            "echo pip install",
            "ls && git diff",
        ] {
            assert!(!reaches_network(no), "{no}");
        }
    }
}
