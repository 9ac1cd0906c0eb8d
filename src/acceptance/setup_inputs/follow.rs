//! Following what setup reads through a tree: commands, scripts, makefiles, and each
//! package manager's manifests, lock files, local packages and install scripts.

use super::words::{
    glob_prefix, is_python, join, joined_lines, local_path, normalize, parent, quoted_strings,
    segments, strings, strip_prefixes,
};
use super::{Pattern, Rule, MAX_DEPTH, MAX_FILES, MAX_PARSED_BYTES};
use git2::{Repository, Tree};
use std::collections::HashSet;
use std::path::Path;

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

/// What stands at a path of the tree, links within the tree followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
    Missing,
}

pub(super) struct Reader<'t, 'r> {
    repo: &'r Repository,
    tree: &'t Tree<'r>,
    pub(super) rules: Vec<Rule>,
    /// Files already followed, by path and the kind of following.
    followed: HashSet<(String, &'static str)>,
    /// Set once following went on too long: everything is an input.
    everything: bool,
}

impl<'t, 'r> Reader<'t, 'r> {
    pub(super) fn new(repo: &'r Repository, tree: &'t Tree<'r>) -> Self {
        Self {
            repo,
            tree,
            rules: Vec::new(),
            followed: HashSet::new(),
            everything: false,
        }
    }

    pub(super) fn add(&mut self, pattern: Pattern, why: String) {
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
    pub(super) fn command(&mut self, line: &str, cwd: &str, why: &str, depth: u8) {
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
