//! What `[acceptance] setup` reads: the files whose content decides what setup does.
//!
//! Setup runs with the network, and installing a package runs its code (`setup.py`, a
//! build backend, an npm `preinstall` script, a `build.rs`). A change to any of these is a
//! change to code that runs with the network before any verdict, so it needs a person's
//! `test-tampering` approval first. The same set, hashed, tells a reused checkout whether its
//! setup is still current.
//!
//! The set is read from the trees themselves: the files the setup commands name or imply
//! (`-r requirements.txt`, `package.json`, `Cargo.toml`), the files those name in turn
//! (`-r other.txt`, `-e ./pkg`, `file:../x`, `path = "crates/y"`, lifecycle scripts, build
//! backends), shell scripts and makefiles followed line by line, and the toolchain files. A
//! local package is read whole: any file in it may run while it installs. Where following
//! would go on too long (a hostile tree), everything counts.
//!
//! [`follow`] reads the trees, one package manager and script language at a time; [`words`]
//! splits command lines and paths as `sh` and the package managers do.

mod follow;
mod words;

use crate::diff::Change;
use crate::repo::RepoError;
use follow::Reader;
use git2::{ObjectType, Oid, Repository};
use sha2::{Digest, Sha256};

/// Files a toolchain manager reads before any setup command starts.
const TOOLCHAIN: &[&str] = &[
    "rust-toolchain",
    "rust-toolchain.toml",
    ".python-version",
    ".nvmrc",
    ".node-version",
    ".tool-versions",
    ".ruby-version",
    ".mise.toml",
    "mise.toml",
];

/// Files followed at most (each read and parsed once); beyond, everything counts.
const MAX_FILES: usize = 400;
/// How deep commands, scripts and references are followed; beyond, everything counts.
const MAX_DEPTH: u8 = 32;
/// Larger files are not parsed: everything counts.
const MAX_PARSED_BYTES: usize = 1 << 20;

/// The files setup reads, each with the reason it does.
#[derive(Debug, Clone, Default)]
pub struct SetupInputs {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Rule {
    pub(super) pattern: Pattern,
    pub(super) why: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Pattern {
    /// One file (or whatever stands at that path).
    File(String),
    /// A directory and everything below it; `""` is the whole tree.
    Below(String),
    /// A path tail at any depth (`Cargo.toml`, `.cargo/config.toml`).
    Named(String),
}

impl Pattern {
    pub(super) fn matches(&self, path: &str) -> bool {
        let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        match self {
            Pattern::File(file) => eq(file, path),
            Pattern::Below(dir) if dir.is_empty() => true,
            Pattern::Below(dir) => {
                eq(dir, path)
                    || (path.len() > dir.len()
                        && path.as_bytes()[dir.len()] == b'/'
                        && path.is_char_boundary(dir.len())
                        && eq(&path[..dir.len()], dir))
            }
            Pattern::Named(tail) => {
                eq(tail, path)
                    || (path.len() > tail.len()
                        && path.is_char_boundary(path.len() - tail.len())
                        && path.as_bytes()[path.len() - tail.len() - 1] == b'/'
                        && eq(&path[path.len() - tail.len()..], tail))
            }
        }
    }
}

/// A path the change touched that setup reads, and why setup reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Touched {
    pub path: String,
    pub why: String,
}

impl SetupInputs {
    /// The inputs of `setup` in each of `trees` (the base's and the change's: a reference
    /// either side makes the path an input).
    pub(crate) fn read(
        repo: &Repository,
        trees: &[Oid],
        setup: &[String],
    ) -> Result<Self, RepoError> {
        let mut inputs = SetupInputs::default();
        if setup.iter().all(|c| c.trim().is_empty()) {
            return Ok(inputs);
        }
        for tree in trees {
            let tree = repo.find_tree(*tree)?;
            let mut reader = Reader::new(repo, &tree);
            for name in TOOLCHAIN {
                reader.add(
                    Pattern::File((*name).to_string()),
                    "a toolchain file".into(),
                );
            }
            for command in setup.iter().filter(|c| !c.trim().is_empty()) {
                let why = format!("setup command `{}`", command.trim());
                reader.command(command, "", &why, 0);
            }
            for rule in reader.rules {
                if !inputs.rules.contains(&rule) {
                    inputs.rules.push(rule);
                }
            }
        }
        Ok(inputs)
    }

    /// Why setup reads `path`, if it does.
    pub(crate) fn why(&self, path: &str) -> Option<&str> {
        self.rules
            .iter()
            .find(|r| r.pattern.matches(path))
            .map(|r| r.why.as_str())
    }

    /// The paths of `change` that setup reads (both ends of a rename), in the change's order.
    pub(crate) fn touched(&self, change: &Change) -> Vec<Touched> {
        let mut touched: Vec<Touched> = Vec::new();
        for entry in &change.entries {
            for path in entry.touched_paths() {
                let path = crate::diff::display_path(path);
                if touched.iter().any(|t| t.path == path) {
                    continue;
                }
                if let Some(why) = self.why(&path) {
                    touched.push(Touched {
                        why: why.to_string(),
                        path,
                    });
                }
            }
        }
        touched
    }

    /// sha256 over the setup commands and every file of `tree` that setup reads (path, mode,
    /// blob): equal hashes mean setup would see exactly the same inputs.
    pub(crate) fn hash(
        &self,
        repo: &Repository,
        tree: Oid,
        setup: &[String],
    ) -> Result<String, RepoError> {
        let mut hasher = Sha256::new();
        hasher.update(b"agentguard setup inputs v1\n");
        for command in setup {
            hasher.update(command.trim().as_bytes());
            hasher.update(b"\n");
        }
        let tree = repo.find_tree(tree)?;
        let mut lines: Vec<Vec<u8>> = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Tree) {
                return git2::TreeWalkResult::Ok;
            }
            let path = format!("{dir}{}", String::from_utf8_lossy(entry.name_bytes()));
            if self.rules.iter().any(|r| r.pattern.matches(&path)) {
                let mut line = format!("{:06o} {} ", entry.filemode(), entry.id()).into_bytes();
                line.extend_from_slice(path.as_bytes());
                lines.push(line);
            }
            git2::TreeWalkResult::Ok
        })?;
        lines.sort();
        for line in lines {
            hasher.update(&line);
            hasher.update(b"\n");
        }
        Ok(crate::diff::hex(&hasher.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository holding `files` (path, content; a content starting with `->` makes a
    /// symlink), its tree, and the inputs of `setup` in it.
    fn inputs(files: &[(&str, &str)], setup: &[&str]) -> SetupInputs {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let tree = tree_of(&repo, files);
        let setup: Vec<String> = setup.iter().map(|s| s.to_string()).collect();
        SetupInputs::read(&repo, &[tree], &setup).unwrap()
    }

    fn tree_of(repo: &Repository, files: &[(&str, &str)]) -> Oid {
        let mut index = repo.index().unwrap();
        for (path, content) in files {
            let (mode, data) = match content.strip_prefix("->") {
                Some(target) => (0o120000, target.as_bytes()),
                None => (0o100644, content.as_bytes()),
            };
            let blob = repo.blob(data).unwrap();
            index
                .add(&git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode,
                    uid: 0,
                    gid: 0,
                    file_size: 0,
                    id: blob,
                    flags: 0,
                    flags_extended: 0,
                    path: path.as_bytes().to_vec(),
                })
                .unwrap();
        }
        index.write_tree_to(repo).unwrap()
    }

    fn reads(inputs: &SetupInputs, path: &str) -> bool {
        inputs.why(path).is_some()
    }

    #[test]
    fn requirements_and_every_local_path_they_name() {
        let files = [
            ("requirements.txt", "requests==2.0\n-r dev/more.txt\n-e ./pkg\n./libs/b[x] ; python_version>'3'\nc @ file:./vend/c-1.0.whl\n"),
            ("dev/more.txt", "-c ../constraints.txt\n--editable=../tools/d\n"),
            ("constraints.txt", "requests<3\n"),
            ("pkg/setup.py", "import os\n"),
            ("pkg/src/pkg/__init__.py", ""),
            ("libs/b/pyproject.toml", "[project]\nname='b'\n"),
            ("tools/d/setup.py", ""),
            ("vend/c-1.0.whl", "zip"),
            ("src/app.py", "print()\n"),
            ("README.md", "hi\n"),
        ];
        let inputs = inputs(&files, &["python3 -m pip install -r requirements.txt"]);
        for path in [
            "requirements.txt",
            "dev/more.txt",
            "constraints.txt",
            "pkg/setup.py",
            "pkg/src/pkg/__init__.py",
            "libs/b/pyproject.toml",
            "tools/d/setup.py",
            "vend/c-1.0.whl",
            ".python-version",
            // `python -m pip` imports pip from the working directory first.
            "pip.py",
            "pip/__init__.py",
        ] {
            assert!(reads(&inputs, path), "{path}");
        }
        for path in ["src/app.py", "README.md", "pkgs/setup.py", "pkg2/x"] {
            assert!(!reads(&inputs, path), "{path}");
        }
    }

    #[test]
    fn the_root_package_counts_by_its_build_files() {
        let files = [
            (
                "pyproject.toml",
                "[build-system]\nbackend-path = ['_build']\n[tool.uv.sources]\nx = { path = 'libs/x' }\n[tool.setuptools.dynamic]\nversion = { attr = 'app.__version__' }\n",
            ),
            ("_build/backend.py", ""),
            ("libs/x/setup.py", ""),
            ("src/app/__init__.py", ""),
            ("tests/test_a.py", ""),
        ];
        let inputs = inputs(&files, &["pip install -e ."]);
        for path in [
            "pyproject.toml",
            "setup.py",
            "_build/backend.py",
            "libs/x/setup.py",
            "src/app/__init__.py",
        ] {
            assert!(reads(&inputs, path), "{path}");
        }
        assert!(!reads(&inputs, "tests/test_a.py"));
    }

    #[test]
    fn npm_install_scripts_local_dependencies_and_workspaces() {
        let files = [
            (
                "package.json",
                r#"{"scripts": {"preinstall": "node scripts/pre.js", "test": "jest"},
                    "dependencies": {"x": "file:../outside", "y": "file:vendor/y"},
                    "workspaces": ["packages/*"]}"#,
            ),
            ("scripts/pre.js", "require('child_process')"),
            (
                "vendor/y/package.json",
                r#"{"scripts": {"install": "sh build.sh"}}"#,
            ),
            ("vendor/y/index.js", ""),
            ("packages/a/index.js", ""),
            ("src/index.js", ""),
        ];
        let inputs = inputs(&files, &["npm ci --no-audit"]);
        for path in [
            "package.json",
            "package-lock.json",
            ".npmrc",
            "scripts/pre.js",
            "vendor/y/index.js",
            "packages/a/index.js",
            ".yarn/releases/yarn.cjs",
        ] {
            assert!(reads(&inputs, path), "{path}");
        }
        assert!(!reads(&inputs, "src/index.js"));
    }

    #[test]
    fn cargo_fetch_reads_manifests_and_a_build_reads_path_dependencies_whole() {
        let files = [
            (
                "Cargo.toml",
                "[workspace]\nmembers = ['crates/*']\n[dependencies]\ny = { path = 'vendor/y' }\n",
            ),
            ("vendor/y/Cargo.toml", "[package]\nname='y'\n"),
            ("vendor/y/src/lib.rs", ""),
            ("crates/a/src/lib.rs", ""),
            ("src/main.rs", ""),
        ];
        let fetch = inputs(&files, &["cargo fetch --locked"]);
        for path in [
            "Cargo.toml",
            "Cargo.lock",
            "vendor/y/Cargo.toml",
            "crates/a/Cargo.toml",
            "rust-toolchain.toml",
            ".cargo/config.toml",
        ] {
            assert!(reads(&fetch, path), "{path}");
        }
        assert!(!reads(&fetch, "vendor/y/src/lib.rs"));
        assert!(!reads(&fetch, "crates/a/build.rs"));
        let build = inputs(&files, &["cargo build --locked"]);
        for path in [
            "vendor/y/src/lib.rs",
            "crates/a/src/lib.rs",
            "build.rs",
            "crates/a/build.rs",
        ] {
            assert!(reads(&build, path), "{path}");
        }
        assert!(!reads(&build, "src/main.rs"));
    }

    #[test]
    fn scripts_and_makefiles_are_followed_to_what_they_install() {
        let files = [
            (
                "Makefile",
                "deps: requirements-dev.txt\n\t@./scripts/setup.sh\ntest:\n\tpytest\n",
            ),
            ("requirements-dev.txt", "-e ./plugin\n"),
            ("plugin/setup.py", ""),
            (
                "scripts/setup.sh",
                "#!/bin/sh\nset -e\ncd web && npm install\npython3 tools/boot.py\n",
            ),
            (
                "web/package.json",
                r#"{"scripts": {"postinstall": "./post.sh"}}"#,
            ),
            ("web/post.sh", "echo hi\n"),
            (
                "tools/boot.py",
                "subprocess.run(['pip', 'install', '-r', 'extra/reqs.txt'])\n",
            ),
            ("extra/reqs.txt", "./extra/pkg\n"),
            ("extra/pkg/setup.py", ""),
            ("src/lib.py", ""),
        ];
        let inputs = inputs(&files, &["make deps"]);
        for path in [
            "Makefile",
            "requirements-dev.txt",
            "plugin/setup.py",
            "scripts/setup.sh",
            "web/package.json",
            "web/post.sh",
            "tools/boot.py",
            "extra/reqs.txt",
            "extra/pkg/setup.py",
        ] {
            assert!(reads(&inputs, path), "{path}");
        }
        assert!(
            !reads(&inputs, "src/lib.py"),
            "{:?}",
            inputs.why("src/lib.py")
        );
    }

    #[test]
    fn links_inside_the_tree_are_followed_and_matching_ignores_case() {
        let files = [
            ("requirements.txt", "-e ./vendor/pkg\n"),
            ("vendor", "->third_party"),
            ("third_party/pkg/setup.py", ""),
        ];
        let inputs = inputs(&files, &["pip install -r requirements.txt"]);
        assert!(reads(&inputs, "third_party/pkg/setup.py"));
        assert!(reads(&inputs, "vendor/pkg/setup.py"));
        assert!(reads(&inputs, "Requirements.TXT"));
    }

    #[test]
    fn no_setup_reads_nothing_and_a_runaway_tree_makes_everything_count() {
        assert!(inputs(&[("a", "")], &[]).rules.is_empty());
        let mut files: Vec<(String, String)> = (0..MAX_FILES + 5)
            .map(|i| (format!("r{i}.txt"), format!("-r r{}.txt\n", i + 1)))
            .collect();
        files.push(("src/x.py".into(), String::new()));
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let inputs = inputs(&files, &["pip install -r r0.txt"]);
        assert!(reads(&inputs, "src/x.py"), "fails closed");
    }

    #[test]
    fn the_hash_changes_only_with_the_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let setup = vec!["pip install -r requirements.txt".to_string()];
        let hash = |files: &[(&str, &str)], setup: &[String]| {
            let tree = tree_of(&repo, files);
            let inputs = SetupInputs::read(&repo, &[tree], setup).unwrap();
            inputs.hash(&repo, tree, setup).unwrap()
        };
        let base = hash(&[("requirements.txt", "a\n"), ("src/x.py", "1")], &setup);
        assert_eq!(
            base,
            hash(&[("requirements.txt", "a\n"), ("src/x.py", "2")], &setup)
        );
        assert_ne!(
            base,
            hash(&[("requirements.txt", "b\n"), ("src/x.py", "1")], &setup)
        );
        assert_ne!(
            base,
            hash(
                &[
                    ("requirements.txt", "a\n"),
                    ("src/x.py", "1"),
                    (".nvmrc", "20")
                ],
                &setup
            )
        );
        assert_ne!(
            base,
            hash(
                &[("requirements.txt", "a\n"), ("src/x.py", "1")],
                &["pip install -U -r requirements.txt".to_string()]
            )
        );
    }
}
