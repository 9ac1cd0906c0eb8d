//! What an acceptance command runs through indirection, and what could stand in for what it
//! runs. `make test` runs the recipe of `test`, which runs `./scripts/check.sh`, which runs
//! `pytest`: editing any file on that chain changes what "the tests pass" means as surely as
//! editing the command. Followed within the repository: Makefile targets (prerequisites,
//! recipes, `$(MAKE)` and `include`), justfile recipes and their dependencies, package.json
//! scripts (with their `pre`/`post` hooks and `npm run` chains, lifecycle scripts under
//! `npm install`/`ci`), and shell scripts, to a bounded depth, each file read once.
//!
//! Shadowing: under `python -m X` the checkout comes first on `sys.path`, so a new top-level
//! `X.py` (or `X/`), or a module named like one of the standard library's, runs instead of the
//! real one; a file named like a program on the command line, in a directory of the
//! checkout that the PATH names (`PATH=bin:$PATH`, `.`, `node_modules/.bin` under npm), runs
//! instead of that program.
//!
//! Pure: files are read through a closure, once for the base tree and once for the judged
//! one; the caller unites the two.

use super::tampering::files_implied_by;
use std::collections::{BTreeMap, HashSet, VecDeque};

/// How deep a chain of files is followed.
const MAX_DEPTH: usize = 8;
/// How many files one command may make us read, and how much of each.
const MAX_FILES: usize = 200;
const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Command lines looked at per command.
const MAX_LINES: usize = 20_000;

/// One file (or pattern of files) that an acceptance command reaches, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Reached {
    /// A path, a pattern as `files_run_by` writes them (`**/conftest.py`), or a directory
    /// ending in `/` (everything below it).
    pub(crate) pattern: String,
    /// Index of the command in the list given.
    pub(crate) command: usize,
    pub(crate) why: Why,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Why {
    /// Run or read through these files, in order (the first is what the command names).
    Through(Vec<String>),
    /// A module that `python -m` would import from the checkout instead of the installed one;
    /// counts where the change adds it (editing a module the project already has is work on
    /// the project).
    ShadowsModule { module: String },
    /// A file that the shell would run instead of the program `program`, since `dir` is on the
    /// PATH.
    ShadowsProgram { program: String, dir: String },
}

/// Reads a file of the tree being followed; `None` when there is none.
pub(crate) type Read<'a> = &'a dyn Fn(&str) -> Option<Vec<u8>>;

/// Everything each command reaches in one tree. `path_dirs` are the entries of the
/// commands' PATH that lead into the checkout (relative ones, `.`, empty).
pub(crate) fn reached(commands: &[&str], read: Read<'_>, path_dirs: &[String]) -> Vec<Reached> {
    let mut out = Vec::new();
    for (index, command) in commands.iter().enumerate() {
        Walk {
            command: index,
            read,
            out: &mut out,
            read_files: HashSet::new(),
            lines: 0,
            path_dirs: path_dirs.to_vec(),
            programs: Vec::new(),
        }
        .run(command);
    }
    out.sort();
    out.dedup();
    out
}

/// One command line to look at: where it runs and how it was reached.
struct Line {
    text: String,
    /// The directory it runs in, relative to the checkout ("" for the root).
    dir: String,
    chain: Vec<String>,
    /// Whether npm runs it (`node_modules/.bin` is then first on PATH).
    npm: bool,
}

struct Walk<'a, 'o> {
    command: usize,
    read: Read<'a>,
    out: &'o mut Vec<Reached>,
    read_files: HashSet<String>,
    lines: usize,
    /// PATH entries inside the checkout: from the environment, then from assignments.
    path_dirs: Vec<String>,
    /// Programs run by bare name, with the directory they run in and whether under npm.
    programs: Vec<(String, String, bool)>,
}

impl Walk<'_, '_> {
    fn run(mut self, command: &str) {
        let mut queue = VecDeque::from([Line {
            text: command.to_string(),
            dir: String::new(),
            chain: Vec::new(),
            npm: false,
        }]);
        while let Some(line) = queue.pop_front() {
            self.lines += 1;
            if self.lines > MAX_LINES {
                break;
            }
            self.line(&line, &mut queue);
        }
        self.shadowed_programs();
    }

    fn push(&mut self, pattern: String, why: Why) {
        self.out.push(Reached {
            pattern,
            command: self.command,
            why,
        });
    }

    /// Reads a reached file once, within the bounds.
    fn read(&mut self, path: &str) -> Option<String> {
        if self.read_files.len() >= MAX_FILES || !self.read_files.insert(path.to_string()) {
            return None;
        }
        let mut bytes = (self.read)(path)?;
        bytes.truncate(MAX_FILE_BYTES);
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn exists(&self, path: &str) -> bool {
        self.read_files.contains(path) || (self.read)(path).is_some()
    }

    fn line(&mut self, line: &Line, queue: &mut VecDeque<Line>) {
        let top = line.chain.is_empty();
        let deeper = line.chain.len() < MAX_DEPTH;
        // What the runners on a reached line read (on the command itself the caller's own scan
        // has them). The other paths such a line names are data (`grep x src/a.rs`), not run.
        if !top {
            for file in files_implied_by(&line.text) {
                self.push(file, Why::Through(line.chain.clone()));
            }
        }
        let mut dir = line.dir.clone();
        for words in segments(&line.text) {
            let Some((program, args)) = program_of(&words, &mut self.path_dirs, &dir) else {
                continue;
            };
            let name = program.rsplit('/').next().unwrap_or(&program).to_string();
            if name == "cd" {
                if let Some(to) = args.first().and_then(|a| relative(&dir, a)) {
                    dir = to;
                }
                continue;
            }
            if !program.contains('/') {
                self.programs.push((name.clone(), dir.clone(), line.npm));
            }
            if !deeper {
                continue;
            }
            // The file this command runs: its program given by path, or an interpreter's script.
            let script = if program.contains('/') {
                Some(program.clone())
            } else {
                script_argument(&name, &args)
            };
            // A configuration file given by option (`jest --config ci/jest.js`).
            let config = args
                .iter()
                .enumerate()
                .find_map(|(i, arg)| match arg.split_once('=') {
                    Some((flag, value)) if CONFIG_FLAGS.contains(&flag) => Some(value.to_string()),
                    _ if CONFIG_FLAGS.contains(&arg.as_str()) => args.get(i + 1).cloned(),
                    _ => None,
                });
            for script in script.into_iter().chain(config) {
                for path in candidates(&dir, &script) {
                    if self.exists(&path) {
                        self.reach_file(&path, line, queue);
                    }
                }
            }
            match name.as_str() {
                "make" | "gmake" => self.make(&args, &dir, line, queue),
                "just" => self.just(&args, &dir, line, queue),
                "npm" | "yarn" | "pnpm" | "bun" => self.npm(&name, &args, &dir, line, queue),
                _ if is_python(&name) => self.python(&args, &dir),
                _ => {}
            }
        }
    }

    /// A file a line runs: reached, and followed when it is a shell script.
    fn reach_file(&mut self, path: &str, line: &Line, queue: &mut VecDeque<Line>) {
        let mut chain = line.chain.clone();
        chain.push(path.to_string());
        self.push(path.to_string(), Why::Through(chain));
        self.follow_script(path, line, queue);
    }

    /// Queues the lines of a shell script; anything else is left as reached.
    fn follow_script(&mut self, path: &str, line: &Line, queue: &mut VecDeque<Line>) {
        let Some(text) = self.read(path) else {
            return;
        };
        if !is_shell(path, &text) {
            return;
        }
        let mut chain = line.chain.clone();
        chain.push(path.to_string());
        let dir = parent(path);
        for text in shell_lines(&text) {
            queue.push_back(Line {
                text,
                dir: dir.clone(),
                chain: chain.clone(),
                npm: line.npm,
            });
        }
    }

    fn make(&mut self, args: &[String], dir: &str, line: &Line, queue: &mut VecDeque<Line>) {
        let mut dir = dir.to_string();
        let mut file = None;
        let mut goals = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-C" | "--directory" => {
                    if let Some(to) = args.next().and_then(|a| relative(&dir, a)) {
                        dir = to;
                    }
                }
                "-f" | "--file" | "--makefile" => file = args.next().cloned(),
                a if a.starts_with("-C") && a.len() > 2 => {
                    if let Some(to) = relative(&dir, &a[2..]) {
                        dir = to;
                    }
                }
                a if a.starts_with("--directory=") => {
                    if let Some(to) = relative(&dir, &a["--directory=".len()..]) {
                        dir = to;
                    }
                }
                a if a.starts_with('-') || a.contains('=') => {}
                a => goals.push(a.to_string()),
            }
        }
        let names = match &file {
            Some(f) => vec![f.clone()],
            None => vec!["GNUmakefile".into(), "makefile".into(), "Makefile".into()],
        };
        let Some(path) = names.iter().map(|n| join(&dir, n)).find(|p| self.exists(p)) else {
            return;
        };
        let mut chain = line.chain.clone();
        chain.push(path.clone());
        self.push(path.clone(), Why::Through(chain.clone()));
        let Some(text) = self.read(&path) else {
            return;
        };
        let mut makefile = Makefile::parse(&text);
        // `include`d files are part of it.
        for include in std::mem::take(&mut makefile.includes) {
            let included = join(&dir, &include);
            let Some(more) = self.read(&included) else {
                continue;
            };
            let mut chain = chain.clone();
            chain.push(included.clone());
            self.push(included, Why::Through(chain));
            makefile.merge(Makefile::parse(&more));
        }
        for recipe in makefile.recipes_for(&goals) {
            queue.push_back(Line {
                text: recipe,
                dir: dir.clone(),
                chain: chain.clone(),
                npm: line.npm,
            });
        }
    }

    fn just(&mut self, args: &[String], dir: &str, line: &Line, queue: &mut VecDeque<Line>) {
        let mut dir = dir.to_string();
        let mut file = None;
        let mut words = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-f" | "--justfile" => file = args.next().cloned(),
                "-d" | "--working-directory" => {
                    if let Some(to) = args.next().and_then(|a| relative(&dir, a)) {
                        dir = to;
                    }
                }
                a if a.starts_with('-') => {}
                a => words.push(a.to_string()),
            }
        }
        let names = match &file {
            Some(f) => vec![f.clone()],
            None => vec!["justfile".into(), "Justfile".into(), ".justfile".into()],
        };
        let Some(path) = names.iter().map(|n| join(&dir, n)).find(|p| self.exists(p)) else {
            return;
        };
        let mut chain = line.chain.clone();
        chain.push(path.clone());
        self.push(path.clone(), Why::Through(chain.clone()));
        let Some(text) = self.read(&path) else {
            return;
        };
        let justfile = Justfile::parse(&text);
        for body in justfile.bodies_for(&words) {
            queue.push_back(Line {
                text: body,
                dir: dir.clone(),
                chain: chain.clone(),
                npm: line.npm,
            });
        }
    }

    fn npm(
        &mut self,
        tool: &str,
        args: &[String],
        dir: &str,
        line: &Line,
        queue: &mut VecDeque<Line>,
    ) {
        let mut dir = dir.to_string();
        let mut words = Vec::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--prefix" | "-C" | "--cwd" | "--dir" => {
                    if let Some(to) = args.next().and_then(|a| relative(&dir, a)) {
                        dir = to;
                    }
                }
                "--" => break,
                a if a.starts_with("--prefix=") || a.starts_with("--cwd=") => {
                    if let Some(to) = a.split_once('=').and_then(|(_, d)| relative(&dir, d)) {
                        dir = to;
                    }
                }
                a if a.starts_with('-') => {}
                a => words.push(a.to_string()),
            }
        }
        let scripts: Vec<String> = match (tool, words.first().map(String::as_str)) {
            (_, Some("run" | "run-script" | "rum" | "urn")) => {
                words.get(1).cloned().into_iter().collect()
            }
            (_, Some("test" | "t" | "tst" | "it" | "install-test")) if tool != "bun" => {
                vec!["test".to_string()]
            }
            (_, Some(s @ ("start" | "stop" | "restart"))) => vec![s.to_string()],
            (_, Some("install" | "i" | "ci" | "add" | "clean-install")) | ("yarn", None) => {
                ["preinstall", "install", "postinstall", "prepare"]
                    .map(str::to_string)
                    .to_vec()
            }
            // `yarn build`, `pnpm lint`: a script by its name.
            ("yarn" | "pnpm", Some(name)) => vec![name.to_string()],
            _ => Vec::new(),
        };
        if scripts.is_empty() {
            return;
        }
        let path = join(&dir, "package.json");
        let Some(text) = self.read(&path).or_else(|| {
            // Read before for another script of the same file: read it again, uncounted.
            self.read_files
                .contains(&path)
                .then(|| (self.read)(&path))
                .flatten()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        }) else {
            return;
        };
        let mut chain = line.chain.clone();
        chain.push(path.clone());
        self.push(path, Why::Through(chain.clone()));
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            return;
        };
        let Some(defined) = json.get("scripts").and_then(|s| s.as_object()) else {
            return;
        };
        for script in scripts {
            for name in [
                format!("pre{script}"),
                script.clone(),
                format!("post{script}"),
            ] {
                if let Some(body) = defined.get(&name).and_then(|b| b.as_str()) {
                    queue.push_back(Line {
                        text: body.to_string(),
                        dir: dir.clone(),
                        chain: chain.clone(),
                        npm: true,
                    });
                }
            }
        }
    }

    /// `python -m X`: the checkout's directory comes first on `sys.path`.
    fn python(&mut self, args: &[String], dir: &str) {
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let module = match arg.as_str() {
                "-m" => args.next().cloned(),
                a if a.starts_with("-m") && a.len() > 2 => Some(a[2..].to_string()),
                // Options that take a value.
                "-W" | "-X" | "-c" => {
                    args.next();
                    continue;
                }
                a if a.starts_with('-') => continue,
                _ => return,
            };
            let Some(module) = module else {
                return;
            };
            let top = module.split('.').next().unwrap_or(&module).to_string();
            if top.is_empty() || top.contains('/') {
                return;
            }
            for name in std::iter::once(top.as_str())
                .chain(RUNNER_MODULES.iter().copied())
                .chain(STDLIB.iter().copied())
            {
                for file in [".py", ".pyc", "/__init__.py", "/__init__.pyc"] {
                    self.push(
                        join(dir, &format!("{name}{file}")),
                        Why::ShadowsModule {
                            module: name.to_string(),
                        },
                    );
                }
            }
            return;
        }
    }

    /// Every program run by bare name, in each PATH directory of the checkout.
    fn shadowed_programs(&mut self) {
        let programs = std::mem::take(&mut self.programs);
        let dirs = self.path_dirs.clone();
        for (program, dir, npm) in programs {
            if BUILTINS.contains(&program.as_str()) || program.contains(['$', '`', '=']) {
                continue;
            }
            let mut on_path: Vec<String> = dirs.clone();
            if npm {
                on_path.push(join(&dir, "node_modules/.bin"));
            }
            for path_dir in on_path {
                self.push(
                    join(&path_dir, &program),
                    Why::ShadowsProgram {
                        program: program.clone(),
                        dir: if path_dir.is_empty() {
                            ".".to_string()
                        } else {
                            path_dir.clone()
                        },
                    },
                );
            }
        }
    }
}

/// Modules a test runner imports besides its own, which a top-level file could replace.
const RUNNER_MODULES: &[&str] = &[
    "_pytest",
    "pytest",
    "pluggy",
    "iniconfig",
    "packaging",
    "py",
    "tomli",
    "exceptiongroup",
    "coverage",
    "nose2",
    "hypothesis",
    "xdist",
];

/// `sys.stdlib_module_names` of CPython 3.11, less `test` (a common project directory that no
/// runner imports) and the easter eggs.
const STDLIB: &[&str] = &[
    "_abc",
    "_aix_support",
    "_ast",
    "_asyncio",
    "_bisect",
    "_blake2",
    "_bootsubprocess",
    "_bz2",
    "_codecs",
    "_codecs_cn",
    "_codecs_hk",
    "_codecs_iso2022",
    "_codecs_jp",
    "_codecs_kr",
    "_codecs_tw",
    "_collections",
    "_collections_abc",
    "_compat_pickle",
    "_compression",
    "_contextvars",
    "_crypt",
    "_csv",
    "_ctypes",
    "_curses",
    "_curses_panel",
    "_datetime",
    "_dbm",
    "_decimal",
    "_elementtree",
    "_frozen_importlib",
    "_frozen_importlib_external",
    "_functools",
    "_gdbm",
    "_hashlib",
    "_heapq",
    "_imp",
    "_io",
    "_json",
    "_locale",
    "_lsprof",
    "_lzma",
    "_markupbase",
    "_md5",
    "_msi",
    "_multibytecodec",
    "_multiprocessing",
    "_opcode",
    "_operator",
    "_osx_support",
    "_overlapped",
    "_pickle",
    "_posixshmem",
    "_posixsubprocess",
    "_py_abc",
    "_pydecimal",
    "_pyio",
    "_queue",
    "_random",
    "_scproxy",
    "_sha1",
    "_sha256",
    "_sha3",
    "_sha512",
    "_signal",
    "_sitebuiltins",
    "_socket",
    "_sqlite3",
    "_sre",
    "_ssl",
    "_stat",
    "_statistics",
    "_string",
    "_strptime",
    "_struct",
    "_symtable",
    "_thread",
    "_threading_local",
    "_tkinter",
    "_tokenize",
    "_tracemalloc",
    "_typing",
    "_uuid",
    "_warnings",
    "_weakref",
    "_weakrefset",
    "_winapi",
    "_zoneinfo",
    "abc",
    "aifc",
    "argparse",
    "array",
    "ast",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "audioop",
    "base64",
    "bdb",
    "binascii",
    "bisect",
    "builtins",
    "bz2",
    "cProfile",
    "calendar",
    "cgi",
    "cgitb",
    "chunk",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compileall",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "crypt",
    "csv",
    "ctypes",
    "curses",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "distutils",
    "doctest",
    "email",
    "encodings",
    "ensurepip",
    "enum",
    "errno",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "genericpath",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "idlelib",
    "imaplib",
    "imghdr",
    "imp",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "lib2to3",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "mailbox",
    "mailcap",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "msilib",
    "msvcrt",
    "multiprocessing",
    "netrc",
    "nis",
    "nntplib",
    "nt",
    "ntpath",
    "nturl2path",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "ossaudiodev",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pipes",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posix",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "pydoc_data",
    "pyexpat",
    "queue",
    "quopri",
    "random",
    "re",
    "readline",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtpd",
    "smtplib",
    "sndhdr",
    "socket",
    "socketserver",
    "spwd",
    "sqlite3",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "ssl",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "sunau",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "telnetlib",
    "tempfile",
    "termios",
    "textwrap",
    "threading",
    "time",
    "timeit",
    "tkinter",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "turtle",
    "turtledemo",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "uu",
    "uuid",
    "venv",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "winreg",
    "winsound",
    "wsgiref",
    "xdrlib",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
];

/// Shell builtins and keywords: never looked up on PATH.
const BUILTINS: &[&str] = &[
    "cd", "export", "set", "unset", "source", ".", "exec", "eval", "test", "[", "true", "false",
    "echo", "printf", ":", "read", "shift", "trap", "umask", "wait", "exit", "return", "local",
    "if", "then", "else", "elif", "fi", "for", "do", "done", "while", "until", "case", "esac", "{",
    "}", "!", "[[", "]]", "command", "builtin", "type", "alias", "pwd", "in",
];

/// Options that name a runner's configuration file.
const CONFIG_FLAGS: &[&str] = &[
    "--config",
    "--config-file",
    "--configFile",
    "--rcfile",
    "--settings",
    "--setup-file",
    "--setupFiles",
    "--rootdir",
];

/// Programs that run the file named by their first argument.
const INTERPRETERS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "source", ".", "node", "deno", "ruby", "perl", "php",
    "lua", "Rscript", "tsx", "ts-node",
];

/// The script an interpreter runs: its first argument that is not an option (`python -m x`
/// and `python -c '…'` run none).
fn script_argument(name: &str, args: &[String]) -> Option<String> {
    let python = is_python(name);
    if !python && !INTERPRETERS.contains(&name) {
        return None;
    }
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-m" | "-c" if python => return None,
            a if python && a.starts_with("-m") => return None,
            "-W" | "-X" if python => {
                args.next();
            }
            "--" => return args.next().cloned(),
            a if a.starts_with('-') => {}
            a => return Some(a.to_string()),
        }
    }
    None
}

fn is_python(name: &str) -> bool {
    name.strip_prefix("python")
        .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn is_shell(path: &str, text: &str) -> bool {
    if [".sh", ".bash", ".zsh", ".ksh"]
        .iter()
        .any(|e| path.ends_with(e))
    {
        return true;
    }
    let first = text.lines().next().unwrap_or("");
    first.starts_with("#!")
        && ["sh", "bash", "zsh", "dash", "ksh"].iter().any(|s| {
            first
                .split(|c: char| c == '/' || c.is_whitespace())
                .any(|w| w == *s)
        })
}

/// The command lines of a shell script: continuations joined, comments dropped.
fn shell_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for raw in text.lines() {
        let trimmed = raw.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                lines.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The simple commands of a line, each as its words with quotes removed.
fn segments(line: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for segment in line.split([';', '&', '|', '(', ')', '`', '\n']) {
        let words: Vec<String> = segment
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string())
            .filter(|w| !w.is_empty())
            .collect();
        if !words.is_empty() {
            out.push(words);
        }
    }
    out
}

/// The program of a simple command and its arguments, past assignments and wrappers. A
/// `PATH=` assignment or `export PATH=` adds its entries inside the checkout to `path_dirs`.
fn program_of(
    words: &[String],
    path_dirs: &mut Vec<String>,
    dir: &str,
) -> Option<(String, Vec<String>)> {
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        if let Some(value) = word.strip_prefix("PATH=").or_else(|| {
            (word == "export")
                .then(|| words.get(i + 1)?.strip_prefix("PATH="))
                .flatten()
        }) {
            for entry in value.split(':') {
                if let Some(d) = path_entry(dir, entry) {
                    if !path_dirs.contains(&d) {
                        path_dirs.push(d);
                    }
                }
            }
        }
        let assignment = word
            .split_once('=')
            .is_some_and(|(name, _)| !name.is_empty() && !name.starts_with('-'));
        let wrapper = matches!(
            word.as_str(),
            "env" | "exec" | "time" | "nice" | "nohup" | "command" | "sudo" | "xargs" | "timeout"
        );
        if assignment || wrapper || (i > 0 && word.starts_with('-') && is_wrapper(&words[i - 1])) {
            i += 1;
            continue;
        }
        if word == "export" {
            return None;
        }
        // `uv run pytest`, `poetry run pytest`, `npx jest`: the tool runs the next program.
        if matches!(word.as_str(), "uv" | "poetry" | "pipenv" | "pdm" | "hatch")
            && words.get(i + 1).is_some_and(|w| w == "run")
        {
            i += 2;
            continue;
        }
        if matches!(word.as_str(), "npx" | "bunx" | "pnpx") {
            i += 1;
            continue;
        }
        return Some((word.clone(), words[i + 1..].to_vec()));
    }
    None
}

fn is_wrapper(word: &str) -> bool {
    matches!(word, "env" | "nice" | "timeout" | "sudo" | "xargs") || word.starts_with('-')
}

/// A PATH entry that leads into the checkout, relative to it: relative entries, `.`, the
/// empty entry, and `$PWD/…`-style ones.
fn path_entry(dir: &str, entry: &str) -> Option<String> {
    let entry = entry.trim_matches(|c| c == '"' || c == '\'');
    for prefix in ["$PWD", "${PWD}", "$(pwd)", "`pwd`"] {
        if let Some(rest) = entry.strip_prefix(prefix) {
            return relative(dir, rest.trim_start_matches('/')).or(Some(dir.to_string()));
        }
    }
    if entry.is_empty() || entry == "." {
        return Some(dir.to_string());
    }
    if entry.starts_with(['/', '$', '~']) {
        return None;
    }
    relative(dir, entry)
}

/// Where a path named in a line may be: against the line's directory, and against the root
/// (scripts often `cd` to the root first).
fn candidates(dir: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = relative(dir, name) {
        out.push(p);
    }
    if !dir.is_empty() {
        if let Some(p) = relative("", name) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// `name` against `dir`, normalised; `None` when it leaves the checkout or is not a path.
fn relative(dir: &str, name: &str) -> Option<String> {
    if name.starts_with(['/', '$', '~', '-']) || name.contains("://") {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
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

fn parent(path: &str) -> String {
    path.rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default()
}

/// The rules of a Makefile, as far as following them needs.
#[derive(Debug, Default)]
struct Makefile {
    vars: BTreeMap<String, String>,
    /// Targets in order of definition, with prerequisites and recipe lines.
    rules: Vec<(String, Vec<String>, Vec<String>)>,
    includes: Vec<String>,
}

impl Makefile {
    fn parse(text: &str) -> Self {
        let mut makefile = Makefile::default();
        let mut current: Vec<usize> = Vec::new();
        let mut logical = String::new();
        for raw in text.lines() {
            if let Some(head) = raw.strip_suffix('\\') {
                logical.push_str(head);
                logical.push(' ');
                continue;
            }
            logical.push_str(raw);
            let line = std::mem::take(&mut logical);
            if let Some(recipe) = line.strip_prefix('\t') {
                let recipe = recipe.trim().trim_start_matches(['@', '-', '+']).trim();
                if !recipe.is_empty() && !recipe.starts_with('#') {
                    for &i in &current {
                        makefile.rules[i].2.push(recipe.to_string());
                    }
                }
                continue;
            }
            let line = line.split('#').next().unwrap_or("").trim_end();
            if line.trim().is_empty() {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            if matches!(words.first(), Some(&("include" | "-include" | "sinclude"))) {
                makefile
                    .includes
                    .extend(words[1..].iter().map(|w| w.to_string()));
                current.clear();
                continue;
            }
            if let Some((name, value)) = assignment(line) {
                makefile.vars.insert(name, value);
                current.clear();
                continue;
            }
            let Some((targets, rest)) = line.split_once(':') else {
                current.clear();
                continue;
            };
            let (prereqs, inline) = match rest.split_once(';') {
                Some((p, r)) => (p, Some(r.trim())),
                None => (rest, None),
            };
            let prereqs: Vec<String> = prereqs
                .trim_start_matches(':')
                .split_whitespace()
                .filter(|p| *p != "|")
                .map(str::to_string)
                .collect();
            current.clear();
            for target in targets.split_whitespace() {
                makefile
                    .rules
                    .push((target.to_string(), prereqs.clone(), Vec::new()));
                let i = makefile.rules.len() - 1;
                if let Some(recipe) = inline.filter(|r| !r.is_empty()) {
                    makefile.rules[i].2.push(recipe.to_string());
                }
                current.push(i);
            }
        }
        makefile
    }

    fn merge(&mut self, other: Makefile) {
        for (k, v) in other.vars {
            self.vars.entry(k).or_insert(v);
        }
        self.rules.extend(other.rules);
        self.includes.extend(other.includes);
    }

    fn default_goal(&self) -> Option<&str> {
        self.rules
            .iter()
            .map(|(t, _, _)| t.as_str())
            .find(|t| !t.starts_with('.') && !t.contains('%'))
    }

    /// The rules reached from `goals` (the default goal when none): their recipes, expanded.
    fn reached_rules(&self, goals: &[String]) -> Option<Vec<usize>> {
        let mut todo: Vec<String> = if goals.is_empty() {
            self.default_goal()
                .map(str::to_string)
                .into_iter()
                .collect()
        } else {
            goals.to_vec()
        };
        let mut seen = HashSet::new();
        let mut reached = Vec::new();
        let mut unknown_goal = false;
        while let Some(goal) = todo.pop() {
            if !seen.insert(goal.clone()) {
                continue;
            }
            let rules: Vec<usize> = (0..self.rules.len())
                .filter(|&i| self.rules[i].0 == goal)
                .collect();
            if rules.is_empty() && goals.contains(&goal) {
                unknown_goal = true;
            }
            for i in rules {
                reached.push(i);
                todo.extend(self.rules[i].1.iter().map(|p| self.expand(p)));
            }
        }
        (!unknown_goal).then_some(reached)
    }

    /// Recipe lines run for `goals`; every recipe when a goal is not defined here (a pattern
    /// rule, or one the parse missed): more is safer than less.
    fn recipes_for(&self, goals: &[String]) -> Vec<String> {
        let rules = self
            .reached_rules(goals)
            .unwrap_or_else(|| (0..self.rules.len()).collect());
        rules
            .into_iter()
            .flat_map(|i| self.rules[i].2.iter().map(|r| self.expand(r)))
            .collect()
    }

    /// `$(VAR)` and `${VAR}` replaced by their values, `$(MAKE)` by `make`, `$$` by `$`.
    fn expand(&self, text: &str) -> String {
        let mut text = text.to_string();
        for _ in 0..4 {
            let mut out = String::with_capacity(text.len());
            let mut rest = text.as_str();
            let mut changed = false;
            while let Some(at) = rest.find('$') {
                out.push_str(&rest[..at]);
                let after = &rest[at + 1..];
                let close = match after.chars().next() {
                    Some('(') => Some(')'),
                    Some('{') => Some('}'),
                    _ => None,
                };
                let value = close.and_then(|close| {
                    let end = after.find(close)?;
                    let name = &after[1..end];
                    let value = match name {
                        "MAKE" => Some("make".to_string()),
                        _ => self.vars.get(name).cloned(),
                    }?;
                    Some((value, end + 1))
                });
                match value {
                    Some((value, used)) => {
                        out.push_str(&value);
                        rest = &after[used..];
                        changed = true;
                    }
                    None => {
                        out.push('$');
                        rest = after;
                    }
                }
            }
            out.push_str(rest);
            text = out;
            if !changed {
                break;
            }
        }
        text
    }
}

/// `NAME = value` (also `:=`, `::=`, `?=`, `+=`, `!=`, and with `export`/`override`).
fn assignment(line: &str) -> Option<(String, String)> {
    let line = line
        .trim_start()
        .trim_start_matches("export ")
        .trim_start_matches("override ");
    let at = line.find('=')?;
    let name = line[..at].trim_end_matches([':', '?', '+', '!']).trim();
    if name.is_empty()
        || name.contains(char::is_whitespace)
        || name.contains(':') && !name.ends_with(':')
    {
        return None;
    }
    // `target: VAR=value` is a target-specific variable, not an assignment.
    if line[..at]
        .trim_end_matches([':', '?', '+', '!'])
        .contains(':')
    {
        return None;
    }
    Some((name.to_string(), line[at + 1..].trim().to_string()))
}

/// The recipes of a justfile.
#[derive(Debug, Default)]
struct Justfile {
    /// Recipes in order: name, dependencies, body lines.
    recipes: Vec<(String, Vec<String>, Vec<String>)>,
}

impl Justfile {
    fn parse(text: &str) -> Self {
        let mut justfile = Justfile::default();
        let mut current: Option<usize> = None;
        for raw in text.lines() {
            if raw.starts_with([' ', '\t']) {
                if let Some(i) = current {
                    let body = raw.trim().trim_start_matches(['@', '-']).trim();
                    if !body.is_empty() && !body.starts_with('#') {
                        justfile.recipes[i].2.push(body.to_string());
                    }
                }
                continue;
            }
            current = None;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('[') {
                continue;
            }
            let Some((head, deps)) = line.split_once(':') else {
                continue;
            };
            // `name := value` is a variable.
            if deps.starts_with('=') || head.trim_start().starts_with("set ") {
                continue;
            }
            let head = head.trim_start_matches('@');
            let Some(name) = head.split_whitespace().next() else {
                continue;
            };
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                continue;
            }
            let deps = deps
                .split_whitespace()
                .map(|d| d.trim_matches(|c| c == '(' || c == ')' || c == '&'))
                .filter(|d| {
                    !d.is_empty()
                        && d.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                })
                .map(str::to_string)
                .collect();
            justfile.recipes.push((name.to_string(), deps, Vec::new()));
            current = Some(justfile.recipes.len() - 1);
        }
        justfile
    }

    /// Body lines run for the recipes named among `words` (others are their arguments), or
    /// for the default recipe; every body when none is known.
    fn bodies_for(&self, words: &[String]) -> Vec<String> {
        let named: Vec<String> = words
            .iter()
            .filter(|w| self.recipes.iter().any(|(n, _, _)| n == *w))
            .cloned()
            .collect();
        let mut todo = if named.is_empty() && !words.is_empty() {
            return self
                .recipes
                .iter()
                .flat_map(|(_, _, b)| b.clone())
                .collect();
        } else if named.is_empty() {
            let default = self
                .recipes
                .iter()
                .find(|(n, _, _)| n == "default")
                .or_else(|| self.recipes.first());
            default.map(|(n, _, _)| n.clone()).into_iter().collect()
        } else {
            named
        };
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        while let Some(name) = todo.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            for (_, deps, body) in self.recipes.iter().filter(|(n, _, _)| *n == name) {
                out.extend(body.iter().cloned());
                todo.extend(deps.iter().cloned());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn tree(files: &[(&str, &str)]) -> HashMap<String, Vec<u8>> {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    fn reach(command: &str, files: &[(&str, &str)]) -> Vec<String> {
        reach_with_path(command, files, &[])
    }

    fn reach_with_path(command: &str, files: &[(&str, &str)], path: &[&str]) -> Vec<String> {
        let tree = tree(files);
        let read = |p: &str| tree.get(p).cloned();
        let dirs: Vec<String> = path.iter().map(|d| d.to_string()).collect();
        let mut patterns: Vec<String> = reached(&[command], &read, &dirs)
            .into_iter()
            .filter(|r| matches!(r.why, Why::Through(_)))
            .map(|r| r.pattern)
            .collect();
        patterns.dedup();
        patterns
    }

    #[test]
    fn make_follows_the_goal_its_prerequisites_and_scripts() {
        let files = [
            (
                "Makefile",
                "PY = python3\nSCRIPTS := scripts\n\n.PHONY: test lint\n\
                 test: lint fixtures/data.json\n\t@./$(SCRIPTS)/run-tests.sh --fast\n\n\
                 lint:\n\t$(PY) tools/lint.py\n\ndeploy:\n\t./scripts/deploy.sh\n",
            ),
            (
                "scripts/run-tests.sh",
                "#!/bin/sh\nset -e\nbash helpers/env.sh\n$PY -m pytest\n",
            ),
            ("scripts/helpers/env.sh", "export X=1\n"),
            ("scripts/deploy.sh", "#!/bin/sh\n"),
            ("tools/lint.py", "print()\n"),
            ("fixtures/data.json", "{}"),
        ];
        let reached = reach("make test", &files);
        for path in [
            "Makefile",
            "scripts/run-tests.sh",
            "scripts/helpers/env.sh",
            "tools/lint.py",
        ] {
            assert!(reached.contains(&path.to_string()), "{path}: {reached:?}");
        }
        // A prerequisite file is an input to a build, not something the goal runs.
        assert!(
            !reached.contains(&"fixtures/data.json".to_string()),
            "{reached:?}"
        );
        // Another target's script is not what `make test` runs.
        assert!(
            !reached.contains(&"scripts/deploy.sh".to_string()),
            "{reached:?}"
        );
        // The default goal is the first target.
        let default = reach("make", &files);
        assert!(default.contains(&"scripts/run-tests.sh".to_string()));
    }

    #[test]
    fn sub_makes_and_includes_and_unknown_goals() {
        let files = [
            ("Makefile", "include ci.mk\ncheck:\n\t$(MAKE) -C sub unit\n"),
            ("ci.mk", "X = 1\n"),
            ("sub/Makefile", "unit:\n\tsh ./unit.sh\n"),
            ("sub/unit.sh", "echo\n"),
        ];
        let reached = reach("make check", &files);
        for path in ["ci.mk", "sub/Makefile", "sub/unit.sh"] {
            assert!(reached.contains(&path.to_string()), "{path}: {reached:?}");
        }
        // A goal the parse cannot find: every recipe counts.
        let files = [("Makefile", "%:\n\t./any.sh\n"), ("any.sh", "true\n")];
        assert!(reach("make test", &files).contains(&"any.sh".to_string()));
    }

    #[test]
    fn cycles_end() {
        let files = [
            ("a.sh", "#!/bin/bash\n./b.sh\n"),
            ("b.sh", "#!/bin/bash\n./a.sh\nmake loop\n"),
            ("Makefile", "loop: loop\n\tmake loop\n\t./a.sh\n"),
        ];
        let reached = reach("./a.sh", &files);
        assert!(reached.contains(&"b.sh".to_string()));
        assert!(reached.contains(&"Makefile".to_string()));
    }

    #[test]
    fn npm_scripts_with_hooks_and_chains() {
        let package = r#"{
            "scripts": {
                "pretest": "node scripts/prepare.js",
                "test": "npm run unit && yarn lint",
                "posttest": "./scripts/report.sh",
                "unit": "jest --config=ci/jest.ci.js",
                "lint": "eslint .",
                "build": "node scripts/build.js",
                "postinstall": "node scripts/patch.js"
            }
        }"#;
        let files = [
            ("package.json", package),
            ("scripts/prepare.js", ""),
            ("scripts/report.sh", "node scripts/upload.js\n"),
            ("scripts/upload.js", ""),
            ("ci/jest.ci.js", ""),
            ("scripts/build.js", ""),
            ("scripts/patch.js", ""),
        ];
        let reached = reach("npm test", &files);
        for path in [
            "scripts/prepare.js",
            "scripts/report.sh",
            "scripts/upload.js",
            "ci/jest.ci.js",
        ] {
            assert!(reached.contains(&path.to_string()), "{path}: {reached:?}");
        }
        assert!(!reached.contains(&"scripts/build.js".to_string()));
        assert!(reach("npm ci", &files).contains(&"scripts/patch.js".to_string()));
        assert!(reach("npm --prefix . run build", &files).contains(&"scripts/build.js".to_string()));
    }

    #[test]
    fn justfile_recipes_and_dependencies() {
        let files = [
            (
                "justfile",
                "set shell := [\"bash\", \"-c\"]\nroot := justfile_directory()\n\n\
                 default: test\n\ntest: build\n    ./scripts/t.sh\n\nbuild:\n    cargo build\n\n\
                 release:\n    ./scripts/release.sh\n",
            ),
            ("scripts/t.sh", ""),
            ("scripts/release.sh", ""),
        ];
        let reached = reach("just", &files);
        assert!(reached.contains(&"scripts/t.sh".to_string()), "{reached:?}");
        assert!(!reached.contains(&"scripts/release.sh".to_string()));
        assert!(reach("just test", &files).contains(&"scripts/t.sh".to_string()));
    }

    #[test]
    fn a_script_reached_by_path_is_followed() {
        let files = [
            (
                "ci/test",
                "#!/usr/bin/env bash\ncd \"$(dirname \"$0\")\"\n./unit.sh\n",
            ),
            ("ci/unit.sh", "pytest\n"),
        ];
        let reached = reach("./ci/test", &files);
        assert!(reached.contains(&"ci/unit.sh".to_string()), "{reached:?}");
        // `pytest` reached through a script brings its configuration files.
        assert!(
            reached.contains(&"**/conftest.py".to_string()),
            "{reached:?}"
        );
    }

    #[test]
    fn paths_a_reached_script_reads_are_data() {
        let files = [
            (
                "test.sh",
                "grep -q 'fn page' src/api/users.rs && mypy src/app.py\npython3 tools/t.py\n",
            ),
            ("src/api/users.rs", ""),
            ("src/app.py", ""),
            ("tools/t.py", ""),
        ];
        let reached = reach("sh test.sh", &files);
        assert!(reached.contains(&"tools/t.py".to_string()), "{reached:?}");
        assert!(
            !reached.iter().any(|p| p.starts_with("src/")),
            "{reached:?}"
        );
        // `python -m` runs a module, not a file.
        assert_eq!(
            script_argument("python3", &["-m".into(), "x.py".into()]),
            None
        );
        assert_eq!(
            script_argument("bash", &["-e".into(), "a.sh".into()]),
            Some("a.sh".into())
        );
        assert_eq!(script_argument("grep", &["a.sh".into()]), None);
    }

    fn shadows(command: &str, path: &[&str]) -> Vec<(String, Why)> {
        let read = |_: &str| None;
        let dirs: Vec<String> = path.iter().map(|d| d.to_string()).collect();
        reached(&[command], &read, &dirs)
            .into_iter()
            .filter(|r| !matches!(r.why, Why::Through(_)))
            .map(|r| (r.pattern, r.why))
            .collect()
    }

    #[test]
    fn python_dash_m_is_shadowed_by_top_level_modules() {
        let found = shadows("python3 -m pytest -q", &[]);
        let module = |p: &str| found.iter().find(|(q, _)| q == p).map(|(_, w)| w.clone());
        assert_eq!(
            module("pytest.py"),
            Some(Why::ShadowsModule {
                module: "pytest".into(),
            })
        );
        assert!(module("pytest/__init__.py").is_some());
        assert!(module("argparse.py").is_some());
        assert!(module("unittest.py").is_some());
        assert!(module("test.py").is_none());
        let found = shadows("cd pkg && python -m unittest discover", &[]);
        assert!(
            found.iter().any(|(p, _)| p == "pkg/unittest.py"),
            "{found:?}"
        );
        assert!(shadows("python tools/run.py", &[]).is_empty());
    }

    #[test]
    fn programs_are_shadowed_in_path_directories_of_the_checkout() {
        let found = shadows("PATH=bin:$PATH pytest -q", &[]);
        assert!(found.iter().any(|(p, _)| p == "bin/pytest"), "{found:?}");
        let found = shadows("export PATH=\"$PWD/tools:$PATH\"; make test", &[]);
        assert!(found.iter().any(|(p, _)| p == "tools/make"), "{found:?}");
        let found = shadows("cargo test", &["."]);
        assert!(
            found.iter().any(|(p, _)| p == "./cargo" || p == "cargo"),
            "{found:?}"
        );
        assert!(shadows("cargo test", &[]).is_empty());
        assert!(shadows("cd x && echo hi", &["."]).is_empty());
    }

    #[test]
    fn npm_scripts_run_with_node_modules_bin_first() {
        let tree = tree(&[("package.json", r#"{"scripts":{"test":"jest"}}"#)]);
        let read = |p: &str| tree.get(p).cloned();
        let found = reached(&["npm test"], &read, &[]);
        assert!(
            found.iter().any(|r| r.pattern == "node_modules/.bin/jest"),
            "{found:?}"
        );
    }

    #[test]
    fn bounded_paths_stay_in_the_checkout() {
        assert_eq!(relative("a/b", "../c"), Some("a/c".into()));
        assert_eq!(relative("", "../c"), None);
        assert_eq!(relative("", "/etc/passwd"), None);
        assert_eq!(path_entry("", "$PWD/bin"), Some("bin".into()));
        assert_eq!(path_entry("", "/usr/bin"), None);
        assert_eq!(path_entry("", ""), Some(String::new()));
    }
}
