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

use crate::diff::Change;
use crate::repo::RepoError;
use git2::{ObjectType, Oid, Repository, Tree};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::Path;

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

/// What one JavaScript package manager reads in a package's directory.
const JS_FILES: &[&str] = &[
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
    "bun.lockb",
    "bun.lock",
    ".npmrc",
    ".yarnrc",
    ".yarnrc.yml",
    ".pnpmfile.cjs",
    ".pnp.cjs",
    ".pnp.loader.mjs",
    // Without an install script, npm runs `node-gyp rebuild` when this exists.
    "binding.gyp",
];

/// npm's scripts that run on install, in a package and in each of its local dependencies.
const LIFECYCLE: &[&str] = &[
    "preinstall",
    "install",
    "postinstall",
    "prepublish",
    "preprepare",
    "prepare",
    "postprepare",
    "dependencies",
];

/// What a Python project's build reads.
const PYTHON_FILES: &[&str] = &[
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "hatch_build.py",
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile",
    "Pipfile.lock",
];

/// cargo subcommands that read manifests but compile nothing (so run no build script).
const CARGO_NO_BUILD: &[&str] = &[
    "fetch",
    "generate-lockfile",
    "metadata",
    "tree",
    "vendor",
    "locate-project",
    "pkgid",
    "verify-project",
    "version",
    "update",
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
struct Rule {
    pattern: Pattern,
    why: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    /// One file (or whatever stands at that path).
    File(String),
    /// A directory and everything below it; `""` is the whole tree.
    Below(String),
    /// A path tail at any depth (`Cargo.toml`, `.cargo/config.toml`).
    Named(String),
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
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
pub struct Touched {
    pub path: String,
    pub why: String,
}

impl SetupInputs {
    /// The inputs of `setup` in each of `trees` (the base's and the change's: a reference
    /// either side makes the path an input).
    pub fn read(repo: &Repository, trees: &[Oid], setup: &[String]) -> Result<Self, RepoError> {
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

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Why setup reads `path`, if it does.
    pub fn why(&self, path: &str) -> Option<&str> {
        self.rules
            .iter()
            .find(|r| r.pattern.matches(path))
            .map(|r| r.why.as_str())
    }

    /// The paths of `change` that setup reads (both ends of a rename), in the change's order.
    pub fn touched(&self, change: &Change) -> Vec<Touched> {
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
    pub fn hash(
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

/// What stands at a path of the tree, links within the tree followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
    Missing,
}

struct Reader<'t, 'r> {
    repo: &'r Repository,
    tree: &'t Tree<'r>,
    rules: Vec<Rule>,
    /// Files already followed, by path and the kind of following.
    followed: HashSet<(String, &'static str)>,
    /// Set once following went on too long: everything is an input.
    everything: bool,
}

impl<'t, 'r> Reader<'t, 'r> {
    fn new(repo: &'r Repository, tree: &'t Tree<'r>) -> Self {
        Self {
            repo,
            tree,
            rules: Vec::new(),
            followed: HashSet::new(),
            everything: false,
        }
    }

    fn add(&mut self, pattern: Pattern, why: String) {
        if self.everything {
            return;
        }
        let rule = Rule { pattern, why };
        if !self.rules.contains(&rule) {
            self.rules.push(rule);
        }
    }

    /// Stops following: every path counts (fail closed).
    fn give_up(&mut self, why: &str) {
        if !self.everything {
            self.rules = vec![Rule {
                pattern: Pattern::Below(String::new()),
                why: format!(
                    "setup's inputs could not all be followed ({why}), so every file counts"
                ),
            }];
            self.everything = true;
        }
    }

    /// Marks `path` followed as `how`; false if it was already, or if following must stop.
    fn first_time(&mut self, path: &str, how: &'static str, depth: u8) -> bool {
        if self.everything {
            return false;
        }
        if depth > MAX_DEPTH {
            self.give_up("references nest too deep");
            return false;
        }
        if self.followed.len() >= MAX_FILES {
            self.give_up("too many files");
            return false;
        }
        self.followed.insert((path.to_string(), how))
    }

    /// A file (`Kind::File`) or a whole directory as an input, under both its own path and,
    /// where links lead elsewhere in the tree, the path it resolves to.
    fn add_path(&mut self, path: &str, why: &str) -> Kind {
        let (real, kind) = self.resolve(path);
        for p in std::iter::once(path).chain(real.as_deref().filter(|r| *r != path)) {
            let pattern = match kind {
                Kind::Dir => Pattern::Below(p.to_string()),
                _ => Pattern::File(p.to_string()),
            };
            self.add(pattern, why.to_string());
        }
        kind
    }

    /// The path `path` resolves to through symlinks inside the tree, and what is there.
    fn resolve(&self, path: &str) -> (Option<String>, Kind) {
        let mut current = path.to_string();
        for _ in 0..40 {
            if current.is_empty() {
                return (Some(current), Kind::Dir);
            }
            let parts: Vec<&str> = current.split('/').collect();
            let mut tree = self.tree.clone();
            let mut redirected = None;
            for (i, part) in parts.iter().enumerate() {
                let Some((mode, id)) = tree.get_name(part).map(|e| (e.filemode(), e.id())) else {
                    return (Some(current), Kind::Missing);
                };
                let last = i + 1 == parts.len();
                match mode {
                    0o040000 => {
                        let Ok(sub) = self.repo.find_tree(id) else {
                            return (Some(current), Kind::Missing);
                        };
                        if last {
                            return (Some(current), Kind::Dir);
                        }
                        tree = sub;
                    }
                    0o120000 => {
                        let Ok(blob) = self.repo.find_blob(id) else {
                            return (None, Kind::Missing);
                        };
                        let target = String::from_utf8_lossy(blob.content()).into_owned();
                        let parent = parts[..i].join("/");
                        let Some(mut next) = normalize(&parent, &target) else {
                            // Out of the tree: nothing of the change's.
                            return (None, Kind::Missing);
                        };
                        for rest in &parts[i + 1..] {
                            next = join(&next, rest);
                        }
                        redirected = Some(next);
                        break;
                    }
                    _ if last => return (Some(current), Kind::File),
                    _ => return (Some(current), Kind::Missing),
                }
            }
            match redirected {
                Some(next) => current = next,
                None => return (Some(current), Kind::Dir),
            }
        }
        (None, Kind::Missing)
    }

    /// The text of the regular file at `path` (links followed), if it can be parsed.
    fn text(&mut self, path: &str) -> Option<String> {
        let (real, kind) = self.resolve(path);
        if kind != Kind::File {
            return None;
        }
        let entry = self.tree.get_path(Path::new(&real?)).ok()?;
        let blob = self.repo.find_blob(entry.id()).ok()?;
        if blob.size() > MAX_PARSED_BYTES {
            self.give_up(&format!("`{path}` is too large to read"));
            return None;
        }
        Some(String::from_utf8_lossy(blob.content()).into_owned())
    }

    /// Follows one command line run in directory `cwd`.
    fn command(&mut self, line: &str, cwd: &str, why: &str, depth: u8) {
        if depth > MAX_DEPTH {
            self.give_up("commands nest too deep");
            return;
        }
        let mut cwd = cwd.to_string();
        for words in segments(line) {
            let words = strip_prefixes(&words);
            let Some((program, args)) = words.split_first() else {
                continue;
            };
            let name = program.rsplit('/').next().unwrap_or(program);
            match name {
                "cd" | "pushd" => {
                    if let Some(dir) = args.first().and_then(|d| normalize(&cwd, d)) {
                        cwd = dir;
                    }
                }
                "sh" | "bash" | "zsh" | "dash" | "ksh" => self.shell(&cwd, args, why, depth),
                "pip" | "pip3" => self.pip(&cwd, args, why, depth),
                "uv" => self.uv(&cwd, args, why, depth),
                "poetry" | "pdm" | "pipenv" | "hatch" | "rye" | "tox" | "nox" => {
                    for file in ["tox.ini", "noxfile.py"] {
                        self.add_path(&join(&cwd, file), why);
                    }
                    self.python_project(&cwd, why, depth);
                }
                "npm" | "pnpm" | "yarn" | "bun" | "npx" | "bunx" | "corepack" => {
                    self.js(&cwd, name, args, why, depth)
                }
                "cargo" => self.cargo(&cwd, args, why, depth),
                "go" => self.go(&cwd, args, why, depth),
                "bundle" | "gem" => self.ruby(&cwd, why, depth),
                "make" | "gmake" => self.make(&cwd, args, why, depth),
                "just" => self.just(&cwd, args, why, depth),
                _ if is_python(name) => self.python(&cwd, args, why, depth),
                _ => {
                    // A program of the repository runs; so may every file it is given.
                    if program.contains('/') {
                        if let Some(path) = normalize(&cwd, program) {
                            self.named(&cwd, &path, why, depth);
                        }
                    }
                    self.arguments(&cwd, args, why, depth);
                }
            }
        }
    }

    /// Every argument that names a file or directory of the tree.
    fn arguments(&mut self, cwd: &str, args: &[String], why: &str, depth: u8) {
        for arg in args {
            let value = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with('-') => value,
                _ => arg.as_str(),
            };
            if value.starts_with('-') || value == "." || value.is_empty() {
                continue;
            }
            if let Some(path) = normalize(cwd, value) {
                if !path.is_empty() && self.resolve(&path).1 != Kind::Missing {
                    self.named(cwd, &path, why, depth);
                }
            }
        }
    }

    /// A path some command or file names: followed by what it is.
    fn named(&mut self, cwd: &str, path: &str, why: &str, depth: u8) {
        let kind = self.add_path(path, why);
        if kind != Kind::File {
            if kind == Kind::Dir {
                self.local_package(path, why, depth + 1);
            }
            return;
        }
        let file = path.rsplit('/').next().unwrap_or(path);
        let dir = parent(path);
        let lower = file.to_ascii_lowercase();
        if lower.starts_with("requirements") || lower.ends_with(".in") {
            self.requirements(cwd, path, why, depth + 1);
        } else if file == "package.json" {
            self.js_package(dir, why, depth + 1);
        } else if file == "Cargo.toml" {
            self.cargo_manifest(path, true, why, depth + 1);
        } else if file == "pyproject.toml" || file == "setup.py" || file == "setup.cfg" {
            self.python_project(dir, why, depth + 1);
        } else if matches!(file, "Makefile" | "makefile" | "GNUmakefile") || lower.ends_with(".mk")
        {
            self.makefile(cwd, path, why, depth + 1);
        } else if file == "go.mod" {
            self.go_module(dir, why, depth + 1);
        } else if file == "Gemfile" || file == "gems.rb" {
            self.ruby(dir, why, depth + 1);
        } else {
            self.script(cwd, path, why, depth + 1);
        }
    }

    /// A script: shell lines are followed as commands; in any script, quoted strings and
    /// words that name files of the tree are followed too (a Python bootstrap that runs
    /// `pip install -r requirements.txt`).
    fn script(&mut self, cwd: &str, path: &str, why: &str, depth: u8) {
        if !self.first_time(path, "script", depth) {
            return;
        }
        let Some(text) = self.text(path) else {
            return;
        };
        let why = format!("`{path}`, run by {why}");
        let first = text.lines().next().unwrap_or_default();
        let shell = path.ends_with(".sh")
            || path.ends_with(".bash")
            || (first.starts_with("#!")
                && ["sh", "bash", "zsh", "dash", "ksh"]
                    .iter()
                    .any(|s| first.split(['/', ' ']).any(|w| w == *s)));
        let dir = parent(path);
        if shell {
            for line in joined_lines(&text) {
                let line = line.trim();
                if line.starts_with('#') || line.is_empty() {
                    continue;
                }
                self.command(line, cwd, &why, depth + 1);
                if dir != cwd {
                    self.command(line, dir, &why, depth + 1);
                }
            }
        } else {
            for word in quoted_strings(&text) {
                for base in [cwd, dir] {
                    if let Some(p) = normalize(base, &word) {
                        if !p.is_empty() && p != path && self.resolve(&p).1 != Kind::Missing {
                            self.named(cwd, &p, &why, depth + 1);
                        }
                    }
                }
            }
        }
    }

    fn shell(&mut self, cwd: &str, args: &[String], why: &str, depth: u8) {
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if arg == "-c" {
                if let Some(line) = args.next() {
                    self.command(line, cwd, why, depth + 1);
                }
                return;
            }
            if arg.starts_with('-') {
                continue;
            }
            if let Some(path) = normalize(cwd, arg) {
                self.named(cwd, &path, why, depth);
            }
            return;
        }
    }

    fn python(&mut self, cwd: &str, args: &[String], why: &str, depth: u8) {
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-m" => {
                    let Some(module) = args.next() else { return };
                    // `python -m X` imports X from the working directory first.
                    let top = module.split('.').next().unwrap_or(module);
                    let shadow = format!("{why} (imports `{top}` from its directory first)");
                    self.add(
                        Pattern::File(join(cwd, &format!("{top}.py"))),
                        shadow.clone(),
                    );
                    self.add(Pattern::Below(join(cwd, top)), shadow);
                    let rest: Vec<String> = args.cloned().collect();
                    if top == "pip" {
                        self.pip(cwd, &rest, why, depth);
                    } else {
                        self.arguments(cwd, &rest, why, depth);
                    }
                    return;
                }
                "-c" => return,
                a if a.starts_with('-') => {}
                script => {
                    if let Some(path) = normalize(cwd, script) {
                        self.named(cwd, &path, why, depth);
                    }
                    let rest: Vec<String> = args.cloned().collect();
                    self.arguments(cwd, &rest, why, depth);
                    return;
                }
            }
        }
    }

    fn pip(&mut self, cwd: &str, args: &[String], why: &str, depth: u8) {
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (arg.as_str(), None),
            };
            let mut value = || inline.clone().or_else(|| args.next().cloned());
            match flag {
                "-r" | "--requirement" | "-c" | "--constraint" => {
                    if let Some(file) = value().and_then(|v| normalize(cwd, &v)) {
                        self.requirements(cwd, &file, why, depth + 1);
                    }
                }
                "-e" | "--editable" | "-f" | "--find-links" => {
                    if let Some(path) = value().and_then(|v| local_path(cwd, &v)) {
                        self.package_path(&path, why, depth + 1);
                    }
                }
                // Options that take a value that is not a local package.
                "-i" | "--index-url" | "--extra-index-url" | "-t" | "--target" | "--prefix"
                | "--root" | "--python" | "--platform" | "--implementation"
                | "--python-version" | "--abi" | "--src" | "--cache-dir" | "--log" | "--report"
                | "--trusted-host" | "--progress-bar" | "--upgrade-strategy" | "--only-binary"
                | "--no-binary" | "--config-settings" | "-C" => {
                    value();
                }
                _ if flag.starts_with('-') => {}
                "install" | "wheel" | "download" | "sync" | "compile" => {}
                spec => {
                    if let Some(path) = local_path(cwd, spec) {
                        self.package_path(&path, why, depth + 1);
                    }
                }
            }
        }
    }

    fn uv(&mut self, cwd: &str, args: &[String], why: &str, depth: u8) {
        match args.first().map(String::as_str) {
            Some("pip") => self.pip(cwd, &args[1..], why, depth),
            Some("tool") | Some("python") | Some("self") | Some("cache") => {}
            _ => {
                self.python_project(cwd, why, depth);
                self.arguments(cwd, &args[1..], why, depth);
            }
        }
    }

    /// A local package to install: a wheel or archive is one file; a directory is read whole.
    fn package_path(&mut self, path: &str, why: &str, depth: u8) {
        match self.resolve(path).1 {
            Kind::Dir => self.local_package(path, why, depth),
            _ => {
                self.add_path(path, why);
            }
        }
    }

    /// A local package directory: any of its files may run while it builds. The repository
    /// itself (`pip install -e .`) counts by its build files, not whole.
    fn local_package(&mut self, dir: &str, why: &str, depth: u8) {
        if !dir.is_empty() {
            let why = format!("local package `{dir}/`, installed by {why}");
            self.add_path(dir, &why);
        }
        self.python_project(dir, why, depth);
        if self.resolve(&join(dir, "package.json")).1 == Kind::File {
            self.js_package(dir, why, depth);
        }
    }

    /// A requirements file: its own lines name more files and local packages.
    fn requirements(&mut self, cwd: &str, path: &str, why: &str, depth: u8) {
        self.add_path(path, why);
        if !self.first_time(path, "requirements", depth) {
            return;
        }
        let Some(text) = self.text(path) else {
            return;
        };
        let why = format!("`{path}`, read by {why}");
        let dir = parent(path).to_string();
        for line in joined_lines(&text) {
            let line = match line.find(" #") {
                Some(at) => &line[..at],
                None => line.as_str(),
            }
            .trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
            let first = words.first().map(String::as_str).unwrap_or_default();
            if first.starts_with('-') {
                // Nested files are relative to this file; packages to the working directory
                // (pip's rules): both are followed.
                let (flag, value) = match first.split_once('=') {
                    Some((f, v)) => (f, Some(v.to_string())),
                    None => (first, words.get(1).cloned()),
                };
                let value = value.or_else(|| {
                    // `-rother.txt`
                    (flag.len() > 2 && !flag.starts_with("--")).then(|| flag[2..].to_string())
                });
                let short = if flag.starts_with("--") {
                    flag
                } else {
                    &flag[..flag.len().min(2)]
                };
                let Some(value) = value else { continue };
                match short {
                    "-r" | "--requirement" | "-c" | "--constraint" => {
                        if let Some(file) = normalize(&dir, &value) {
                            self.requirements(cwd, &file, &why, depth + 1);
                        }
                    }
                    "-e" | "--editable" | "-f" | "--find-links" => {
                        for base in [cwd, dir.as_str()] {
                            if let Some(p) = local_path(base, &value) {
                                self.package_path(&p, &why, depth + 1);
                            }
                        }
                    }
                    _ => {}
                }
                continue;
            }
            // `name @ file:./x`, `./x[extra]`, `x/ ; python_version > "3"`.
            let spec = line.split(';').next().unwrap_or_default().trim();
            let spec = spec.rsplit(" @ ").next().unwrap_or(spec).trim();
            let spec = spec.split('[').next().unwrap_or(spec);
            for base in [cwd, dir.as_str()] {
                if let Some(p) = local_path(base, spec) {
                    self.package_path(&p, &why, depth + 1);
                }
            }
        }
    }

    /// A Python project directory: its build files, and the paths its `pyproject.toml`
    /// names (build backend paths, hooks, local sources, workspace members, dynamic
    /// metadata read from modules or files).
    fn python_project(&mut self, dir: &str, why: &str, depth: u8) {
        for file in PYTHON_FILES {
            self.add(Pattern::File(join(dir, file)), why.to_string());
        }
        let path = join(dir, "pyproject.toml");
        if !self.first_time(&path, "pyproject", depth) {
            return;
        }
        let Some(text) = self.text(&path) else {
            return;
        };
        let Ok(doc) = text.parse::<toml::Table>() else {
            // Unreadable to us, but perhaps not to the build: its whole directory counts.
            self.add(
                Pattern::Below(dir.to_string()),
                format!("`{path}` (unparsable), read by {why}"),
            );
            return;
        };
        let why = format!("`{path}`, read by {why}");
        let get = |keys: &[&str]| -> Option<toml::Value> {
            let mut value = toml::Value::Table(doc.clone());
            for key in keys {
                value = value.get(key)?.clone();
            }
            Some(value)
        };
        let mut dirs: Vec<String> = Vec::new();
        let mut files: Vec<String> = Vec::new();
        let mut packages: Vec<String> = Vec::new();
        if let Some(paths) = get(&["build-system", "backend-path"]) {
            dirs.extend(strings(&paths));
        }
        if let Some(hooks) = get(&["tool", "hatch", "build", "hooks"]) {
            for hook in hooks.as_table().into_iter().flat_map(|t| t.values()) {
                files.extend(
                    hook.get("path")
                        .and_then(|p| p.as_str())
                        .map(str::to_string),
                );
            }
        }
        for sources in [get(&["tool", "uv", "sources"])].into_iter().flatten() {
            for source in sources.as_table().into_iter().flat_map(|t| t.values()) {
                packages.extend(
                    source
                        .get("path")
                        .and_then(|p| p.as_str())
                        .map(str::to_string),
                );
            }
        }
        if let Some(members) = get(&["tool", "uv", "workspace", "members"]) {
            dirs.extend(strings(&members).iter().map(|m| glob_prefix(m)));
        }
        let mut poetry_tables = vec![
            get(&["tool", "poetry", "dependencies"]),
            get(&["tool", "poetry", "dev-dependencies"]),
        ];
        if let Some(groups) = get(&["tool", "poetry", "group"]) {
            for group in groups.as_table().into_iter().flat_map(|t| t.values()) {
                poetry_tables.push(group.get("dependencies").cloned());
            }
        }
        for table in poetry_tables.into_iter().flatten() {
            for dep in table.as_table().into_iter().flat_map(|t| t.values()) {
                packages.extend(dep.get("path").and_then(|p| p.as_str()).map(str::to_string));
            }
        }
        if let Some(dynamic) = get(&["tool", "setuptools", "dynamic"]) {
            for field in dynamic.as_table().into_iter().flat_map(|t| t.values()) {
                if let Some(attr) = field.get("attr").and_then(|a| a.as_str()) {
                    // setuptools may import the module to read the attribute.
                    let top = attr.split('.').next().unwrap_or(attr);
                    for base in ["", "src"] {
                        files.push(join(base, &format!("{top}.py")));
                        dirs.push(join(base, top));
                    }
                }
                if let Some(file) = field.get("file") {
                    files.extend(strings(file));
                }
            }
        }
        for d in dirs {
            if let Some(d) = normalize(dir, &d) {
                self.add(Pattern::Below(d), why.clone());
            }
        }
        for f in files {
            if let Some(f) = normalize(dir, &f) {
                self.add_path(&f, &why);
            }
        }
        for p in packages {
            if let Some(p) = normalize(dir, &p) {
                self.package_path(&p, &why, depth + 1);
            }
        }
    }

    fn js(&mut self, cwd: &str, program: &str, args: &[String], why: &str, depth: u8) {
        self.js_package(cwd, why, depth);
        // `npm run X`, `yarn X`, `pnpm X`: the script named runs too, with its pre and post.
        let words: Vec<&str> = args
            .iter()
            .map(String::as_str)
            .filter(|a| !a.starts_with('-'))
            .collect();
        let script = match (program, words.as_slice()) {
            (_, ["run" | "run-script" | "rum" | "urn", name, ..]) => Some(*name),
            ("yarn" | "pnpm" | "bun", [name, ..])
                if !matches!(
                    *name,
                    "install" | "i" | "add" | "ci" | "exec" | "dlx" | "x" | "create"
                ) =>
            {
                Some(*name)
            }
            ("npm", ["test" | "t" | "start" | "stop" | "restart", ..]) => words.first().copied(),
            _ => None,
        };
        if let Some(name) = script {
            let names = [
                format!("pre{name}"),
                name.to_string(),
                format!("post{name}"),
            ];
            let scripts = self.js_scripts(cwd);
            for (key, line) in scripts {
                if names.contains(&key) {
                    let why = format!(
                        "npm script `{key}` of `{}`, run by {why}",
                        join(cwd, "package.json")
                    );
                    self.command(&line, cwd, &why, depth + 1);
                }
            }
        }
    }

    fn js_scripts(&mut self, dir: &str) -> Vec<(String, String)> {
        let Some(text) = self.text(&join(dir, "package.json")) else {
            return Vec::new();
        };
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
            return Vec::new();
        };
        doc.get("scripts")
            .and_then(|s| s.as_object())
            .map(|s| {
                s.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A JavaScript package directory: its manifests and lock files, its install scripts
    /// and the files they run, its local dependencies and workspaces (read whole).
    fn js_package(&mut self, dir: &str, why: &str, depth: u8) {
        for file in JS_FILES {
            self.add(Pattern::File(join(dir, file)), why.to_string());
        }
        // Yarn runs the release and plugins it keeps here.
        self.add(Pattern::Below(join(dir, ".yarn")), why.to_string());
        let path = join(dir, "package.json");
        if !self.first_time(&path, "package.json", depth) {
            return;
        }
        let Some(text) = self.text(&path) else {
            return;
        };
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
            self.add(
                Pattern::Below(dir.to_string()),
                format!("`{path}` (unparsable), read by {why}"),
            );
            return;
        };
        let why = format!("`{path}`, read by {why}");
        for (key, line) in self.js_scripts(dir) {
            if LIFECYCLE.contains(&key.as_str()) {
                let why = format!("install script `{key}` of `{path}`, run by {why}");
                self.command(&line, dir, &why, depth + 1);
            }
        }
        for table in [
            "dependencies",
            "devDependencies",
            "optionalDependencies",
            "peerDependencies",
            "overrides",
            "resolutions",
        ] {
            let Some(deps) = doc.get(table).and_then(|d| d.as_object()) else {
                continue;
            };
            for spec in deps.values().filter_map(|v| v.as_str()) {
                let local = ["file:", "link:", "portal:"]
                    .iter()
                    .find_map(|scheme| spec.strip_prefix(scheme));
                if let Some(p) = local.and_then(|l| normalize(dir, l)) {
                    let why = format!("local dependency `{spec}` in {why}");
                    self.add_path(&p, &why);
                    if self.resolve(&join(&p, "package.json")).1 == Kind::File {
                        self.js_package(&p, &why, depth + 1);
                    }
                }
            }
        }
        let workspaces = match doc.get("workspaces") {
            Some(serde_json::Value::Array(list)) => list.clone(),
            Some(serde_json::Value::Object(o)) => o
                .get("packages")
                .and_then(|p| p.as_array())
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let mut members: Vec<String> = workspaces
            .iter()
            .filter_map(|w| w.as_str().map(glob_prefix))
            .collect();
        if let Some(text) = self.text(&join(dir, "pnpm-workspace.yaml")) {
            members.extend(
                text.lines()
                    .filter_map(|l| l.trim().strip_prefix("- "))
                    .map(|m| glob_prefix(m.trim().trim_matches(['"', '\'']))),
            );
        }
        for member in members {
            if let Some(p) = normalize(dir, &member) {
                self.add(Pattern::Below(p), format!("workspace `{member}` of {why}"));
            }
        }
    }

    fn cargo(&mut self, cwd: &str, args: &[String], why: &str, depth: u8) {
        for tail in ["Cargo.toml", ".cargo/config", ".cargo/config.toml"] {
            self.add(Pattern::Named(tail.to_string()), why.to_string());
        }
        self.add(Pattern::File(join(cwd, "Cargo.lock")), why.to_string());
        self.add(Pattern::File("Cargo.lock".into()), why.to_string());
        let mut manifest = join(cwd, "Cargo.toml");
        let mut subcommand = None;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if let Some(path) = arg.strip_prefix("--manifest-path=") {
                manifest = normalize(cwd, path).unwrap_or(manifest);
            } else if arg == "--manifest-path" {
                if let Some(path) = args.next().and_then(|p| normalize(cwd, p)) {
                    manifest = path;
                }
            } else if !arg.starts_with('-') && !arg.starts_with('+') && subcommand.is_none() {
                subcommand = Some(arg.clone());
            }
        }
        let builds = !subcommand
            .as_deref()
            .is_some_and(|s| CARGO_NO_BUILD.contains(&s));
        if builds {
            // Build scripts and proc macros run while it compiles.
            self.add(Pattern::Named("build.rs".into()), why.to_string());
        }
        self.cargo_manifest(&manifest, builds, why, depth + 1);
    }

    /// A Cargo manifest: its workspace members and path dependencies (read whole when they
    /// are compiled) and its build script.
    fn cargo_manifest(&mut self, path: &str, builds: bool, why: &str, depth: u8) {
        self.add_path(path, why);
        if !self.first_time(path, if builds { "cargo build" } else { "cargo" }, depth) {
            return;
        }
        let Some(text) = self.text(path) else {
            return;
        };
        let dir = parent(path).to_string();
        let Ok(doc) = text.parse::<toml::Table>() else {
            if builds {
                self.add(
                    Pattern::Below(dir),
                    format!("`{path}` (unparsable), read by {why}"),
                );
            }
            return;
        };
        let why = format!("`{path}`, read by {why}");
        let mut deps: Vec<String> = Vec::new();
        let mut collect = |table: Option<&toml::Value>| {
            for dep in table
                .and_then(|t| t.as_table())
                .into_iter()
                .flat_map(|t| t.values())
            {
                deps.extend(dep.get("path").and_then(|p| p.as_str()).map(str::to_string));
            }
        };
        for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
            collect(doc.get(key));
        }
        if let Some(workspace) = doc.get("workspace") {
            collect(workspace.get("dependencies"));
        }
        for target in doc
            .get("target")
            .and_then(|t| t.as_table())
            .into_iter()
            .flat_map(|t| t.values())
        {
            for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
                collect(target.get(key));
            }
        }
        if let Some(patches) = doc.get("patch").and_then(|p| p.as_table()) {
            for registry in patches.values() {
                collect(Some(registry));
            }
        }
        let members: Vec<String> = doc
            .get("workspace")
            .and_then(|w| w.get("members"))
            .map(strings)
            .unwrap_or_default();
        if let Some(build) = doc
            .get("package")
            .and_then(|p| p.get("build"))
            .and_then(|b| b.as_str())
        {
            if let Some(p) = normalize(&dir, build) {
                self.add_path(&p, &why);
            }
        }
        for dep in deps {
            let Some(p) = normalize(&dir, &dep) else {
                continue;
            };
            if builds {
                let why = format!("path dependency `{dep}` in {why}");
                self.add_path(&p, &why);
            }
            self.cargo_manifest(&join(&p, "Cargo.toml"), builds, &why, depth + 1);
        }
        for member in members {
            let Some(p) = normalize(&dir, &glob_prefix(&member)) else {
                continue;
            };
            if builds {
                self.add(
                    Pattern::Below(p.clone()),
                    format!("workspace member `{member}` of {why}"),
                );
            } else if !member.contains(['*', '?', '[']) {
                self.cargo_manifest(&join(&p, "Cargo.toml"), builds, &why, depth + 1);
            }
        }
    }

    fn go(&mut self, cwd: &str, args: &[String], why: &str, depth: u8) {
        self.go_module(cwd, why, depth);
        for file in ["go.work", "go.work.sum"] {
            self.add(Pattern::File(join(cwd, file)), why.to_string());
        }
        // `go generate` runs what comments in the sources say; `go run` runs the sources.
        if matches!(
            args.iter()
                .find(|a| !a.starts_with('-'))
                .map(String::as_str),
            Some("generate" | "run")
        ) {
            self.add(Pattern::Below(cwd.to_string()), why.to_string());
        }
    }

    fn go_module(&mut self, dir: &str, why: &str, depth: u8) {
        for file in ["go.mod", "go.sum"] {
            self.add(Pattern::File(join(dir, file)), why.to_string());
        }
        let path = join(dir, "go.mod");
        if !self.first_time(&path, "go.mod", depth) {
            return;
        }
        let Some(text) = self.text(&path) else {
            return;
        };
        let why = format!("`{path}`, read by {why}");
        for line in text.lines() {
            let Some((_, target)) = line.split_once("=>") else {
                continue;
            };
            let target = target.split_whitespace().next().unwrap_or_default();
            if target.starts_with("./") || target.starts_with("../") {
                if let Some(p) = normalize(dir, target) {
                    self.add(Pattern::Below(p.clone()), why.clone());
                    self.go_module(&p, &why, depth + 1);
                }
            }
        }
    }

    fn ruby(&mut self, dir: &str, why: &str, depth: u8) {
        for file in ["Gemfile", "Gemfile.lock", "gems.rb", "gems.locked"] {
            self.add(Pattern::File(join(dir, file)), why.to_string());
        }
        self.add(Pattern::Below(join(dir, ".bundle")), why.to_string());
        // A gemspec is Ruby, run as it loads.
        if let Ok(names) = self.names_in(dir) {
            for name in names.iter().filter(|n| n.ends_with(".gemspec")) {
                self.add(Pattern::File(join(dir, name)), why.to_string());
            }
        }
        for file in ["Gemfile", "gems.rb"] {
            let path = join(dir, file);
            if !self.first_time(&path, "gemfile", depth) {
                continue;
            }
            let Some(text) = self.text(&path) else {
                continue;
            };
            let why = format!("`{path}`, read by {why}");
            for line in text.lines() {
                let Some(at) = line.find("path:").or_else(|| line.find(":path")) else {
                    continue;
                };
                if let Some(p) = quoted_strings(&line[at..])
                    .first()
                    .and_then(|p| normalize(dir, p))
                {
                    self.add(Pattern::Below(p), why.clone());
                }
            }
        }
    }

    fn names_in(&self, dir: &str) -> Result<Vec<String>, git2::Error> {
        let tree = if dir.is_empty() {
            self.tree.clone()
        } else {
            let entry = self.tree.get_path(Path::new(dir))?;
            self.repo.find_tree(entry.id())?
        };
        Ok(tree
            .iter()
            .filter_map(|e| e.name().map(str::to_string))
            .collect())
    }

    fn make(&mut self, cwd: &str, args: &[String], why: &str, depth: u8) {
        let mut cwd = cwd.to_string();
        let mut files: Vec<String> = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let value = |args: &mut std::slice::Iter<'_, String>, inline: Option<&str>| {
                inline.map(str::to_string).or_else(|| args.next().cloned())
            };
            if arg == "-C" || arg.starts_with("--directory") {
                if let Some(dir) = value(&mut args, arg.strip_prefix("--directory=")) {
                    cwd = normalize(&cwd, &dir).unwrap_or(cwd);
                }
            } else if arg == "-f" || arg.starts_with("--file") || arg.starts_with("--makefile") {
                let inline = arg.split_once('=').map(|(_, v)| v);
                files.extend(value(&mut args, inline));
            }
        }
        if files.is_empty() {
            files = ["GNUmakefile", "makefile", "Makefile"]
                .iter()
                .map(|f| (*f).to_string())
                .collect();
        }
        for file in files {
            if let Some(path) = normalize(&cwd, &file) {
                self.add_path(&path, why);
                self.makefile(&cwd, &path, why, depth + 1);
            }
        }
    }

    /// A makefile: every recipe line is followed (which targets run is not known here),
    /// and every file it includes.
    fn makefile(&mut self, cwd: &str, path: &str, why: &str, depth: u8) {
        if !self.first_time(path, "makefile", depth) {
            return;
        }
        let Some(text) = self.text(path) else {
            return;
        };
        let why = format!("`{path}`, run by {why}");
        for line in joined_lines(&text) {
            if let Some(recipe) = line.strip_prefix('\t') {
                let recipe = recipe.trim_start_matches(['@', '-', '+', ' ']);
                self.command(recipe, cwd, &why, depth + 1);
            } else if let Some(included) = line
                .strip_prefix("include ")
                .or_else(|| line.strip_prefix("-include "))
                .or_else(|| line.strip_prefix("sinclude "))
            {
                for file in included.split_whitespace() {
                    if let Some(p) = normalize(cwd, file) {
                        self.add_path(&p, &why);
                        self.makefile(cwd, &p, &why, depth + 1);
                    }
                }
            } else if let Some((_, prerequisites)) = line.split_once(':') {
                // Prerequisites that are files of the tree (`deps: requirements.txt`).
                if !line.starts_with(['#', ' ']) && !prerequisites.starts_with('=') {
                    let words: Vec<String> = prerequisites
                        .split_whitespace()
                        .map(str::to_string)
                        .collect();
                    self.arguments(cwd, &words, &why, depth + 1);
                }
            }
        }
    }

    fn just(&mut self, cwd: &str, args: &[String], why: &str, depth: u8) {
        let mut files: Vec<String> = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if arg == "-f" || arg == "--justfile" {
                files.extend(args.next().cloned());
            }
        }
        if files.is_empty() {
            files = ["justfile", "Justfile", ".justfile"]
                .iter()
                .map(|f| (*f).to_string())
                .collect();
        }
        for file in files {
            let Some(path) = normalize(cwd, &file) else {
                continue;
            };
            self.add_path(&path, why);
            if !self.first_time(&path, "justfile", depth) {
                continue;
            }
            let Some(text) = self.text(&path) else {
                continue;
            };
            let why = format!("`{path}`, run by {why}");
            for line in joined_lines(&text) {
                if line.starts_with([' ', '\t']) {
                    let recipe = line.trim().trim_start_matches(['@', '-']);
                    self.command(recipe, cwd, &why, depth + 1);
                } else if let Some(imported) = line.strip_prefix("import ") {
                    if let Some(p) = quoted_strings(imported)
                        .first()
                        .and_then(|p| normalize(cwd, p))
                    {
                        self.add_path(&p, &why);
                    }
                }
            }
        }
    }
}

/// Whether a program name is a Python interpreter (`python`, `python3.12`, `pypy3`).
fn is_python(name: &str) -> bool {
    let rest = name
        .strip_prefix("python")
        .or_else(|| name.strip_prefix("pypy"));
    rest.is_some_and(|r| r.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// A pip argument that names a local package or file: a path (`.`, `./pkg`, `pkg/`,
/// `dist/x.whl`) or a relative `file:` URL; not a requirement such as `requests>=2`.
fn local_path(cwd: &str, spec: &str) -> Option<String> {
    let spec = spec.trim();
    let spec = spec.strip_prefix("file:").unwrap_or(spec);
    if spec.starts_with("//") || spec.contains("://") {
        return None;
    }
    let looks_local = spec == "."
        || spec.starts_with("./")
        || spec.starts_with("../")
        || spec.contains('/')
        || [".whl", ".tar.gz", ".zip", ".tgz"]
            .iter()
            .any(|ext| spec.ends_with(ext));
    if !looks_local {
        return None;
    }
    normalize(cwd, spec)
}

/// `path` relative to `base` as a tree path ("" for the root); `None` for what lies outside
/// the tree (absolute paths, `~`, variables, URLs, `..` above the root).
fn normalize(base: &str, path: &str) -> Option<String> {
    let path = path.trim().trim_matches(['"', '\'']);
    if path.starts_with(['/', '~', '$']) || path.contains("://") || path.contains(['\0', '`']) {
        return None;
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The directory part of a glob before its first wildcard (`packages/*` -> `packages`).
fn glob_prefix(glob: &str) -> String {
    let cut = glob.find(['*', '?', '[', '{']).unwrap_or(glob.len());
    let head = &glob[..cut];
    if cut == glob.len() {
        head.trim_end_matches('/').to_string()
    } else {
        parent(head).to_string()
    }
}

fn strings(value: &toml::Value) -> Vec<String> {
    match value {
        toml::Value::String(s) => vec![s.clone()],
        toml::Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Lines with backslash continuations joined.
fn joined_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                lines.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The contents of every `"…"` and `'…'` in `text`, and every bare word with a `/` or a
/// file extension: the names a script may pass to what it runs.
fn quoted_strings(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for quote in ['"', '\''] {
        let mut parts = text.split(quote);
        parts.next();
        while let Some(inside) = parts.next() {
            if !inside.contains('\n') && inside.len() < 256 {
                found.push(inside.to_string());
            }
            parts.next();
        }
    }
    for word in text.split(|c: char| c.is_whitespace() || "\"'(),;=[]{}<>|&`".contains(c)) {
        if word.len() < 256 && (word.contains('/') || word.contains('.')) && !word.contains("...") {
            found.push(word.to_string());
        }
    }
    found.sort();
    found.dedup();
    found
}

/// A command line split where `sh` would end a simple command (`;`, `&&`, `||`, `|`, `&`,
/// newlines, parentheses), each into words with quotes removed.
fn segments(line: &str) -> Vec<Vec<String>> {
    let mut segments = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let end_word = |words: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            ';' | '&' | '|' | '\n' | '(' | ')' | '`' => {
                end_word(&mut words, &mut word, &mut in_word);
                if !words.is_empty() {
                    segments.push(std::mem::take(&mut words));
                }
            }
            '#' if !in_word => {
                // A comment runs to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                end_word(&mut words, &mut word, &mut in_word);
                if !words.is_empty() {
                    segments.push(std::mem::take(&mut words));
                }
            }
            c if c.is_whitespace() => end_word(&mut words, &mut word, &mut in_word),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    end_word(&mut words, &mut word, &mut in_word);
    if !words.is_empty() {
        segments.push(words);
    }
    segments
}

/// The words of a simple command from its program on: `VAR=value` assignments and wrappers
/// (`env`, `sudo`, `time`, `exec`, …) with their options dropped.
fn strip_prefixes(words: &[String]) -> Vec<String> {
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        let name = word.rsplit('/').next().unwrap_or(word);
        if word.contains('=') && !word.starts_with('-') && !word.starts_with('=') {
            i += 1;
        } else if matches!(
            name,
            "env"
                | "sudo"
                | "time"
                | "nice"
                | "exec"
                | "command"
                | "nohup"
                | "xargs"
                | "then"
                | "do"
                | "else"
                | "if"
                | "while"
                | "until"
                | "!"
        ) {
            i += 1;
            while i < words.len() && words[i].starts_with('-') {
                i += 1;
            }
        } else {
            break;
        }
    }
    words[i..].to_vec()
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
        assert!(inputs(&[("a", "")], &[]).is_empty());
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

    #[test]
    fn commands_split_as_sh_splits_them() {
        assert_eq!(
            segments("FOO=1 sh -c 'pip install -r r.txt' && cd web; npm ci # note"),
            vec![
                vec![
                    "FOO=1".to_string(),
                    "sh".into(),
                    "-c".into(),
                    "pip install -r r.txt".into()
                ],
                vec!["cd".into(), "web".into()],
                vec!["npm".into(), "ci".into()],
            ]
        );
        assert_eq!(normalize("a/b", "../c/./d/"), Some("a/c/d".into()));
        assert_eq!(normalize("", "../x"), None);
        assert_eq!(normalize("", "/etc/passwd"), None);
        assert_eq!(glob_prefix("packages/*"), "packages");
        assert_eq!(glob_prefix("crates/core"), "crates/core");
        assert!(is_python("python3.12") && !is_python("pythonista"));
    }
}
