//! The GitHub Action (`action.yml`) and the GitLab CI component (`templates/agentguard.yml`):
//! valid against GitHub's and GitLab's published schemas (vendored in fixtures/ci-schemas),
//! their shell scripts parse, every input they use is declared, and they call agentguard the
//! way the book says.

use serde_json::Value;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("fixtures/ci-schemas").join(name)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// Each YAML document of a file, as JSON.
fn yaml_documents(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| {
            let value: serde_yaml_ng::Value = serde::Deserialize::deserialize(doc).unwrap();
            serde_json::to_value(value).unwrap()
        })
        .collect()
}

fn violations(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

/// `bash -n` on a script: it parses.
fn assert_shell_parses(shell: &str, script: &str, what: &str) {
    let output = std::process::Command::new(shell)
        .args(["-n", "-c", script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{what} does not parse as {shell}: {}\n{script}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// GitHub expressions (`${{ … }}`) and GitLab inputs (`$[[ … ]]`) replaced by a word.
fn without_expressions(script: &str) -> String {
    let mut out = script.to_string();
    for (open, close) in [("${{", "}}"), ("$[[", "]]")] {
        while let Some(start) = out.find(open) {
            let Some(len) = out[start..].find(close) else {
                break;
            };
            out.replace_range(start..start + len + close.len(), "EXPR");
        }
    }
    out
}

#[test]
fn the_action_is_a_valid_composite_action() {
    let docs = yaml_documents("action.yml");
    assert_eq!(docs.len(), 1);
    let action = &docs[0];
    let validator = schema("github-action.json");
    let errors = violations(&validator, action);
    assert!(errors.is_empty(), "action.yml: {errors:#?}");
    assert_eq!(action["runs"]["using"], "composite");

    // The schema test can fail: a step with neither `run` nor `uses`, an unknown key.
    let mut broken = action.clone();
    broken["runs"]["steps"][0] = serde_json::json!({ "name": "nothing", "shell": "bash" });
    assert!(!violations(&validator, &broken).is_empty());
    let mut broken = action.clone();
    broken["runs"]["colour"] = Value::from("green");
    assert!(!violations(&validator, &broken).is_empty());
}

#[test]
fn the_actions_steps_install_the_pinned_agentguard_fetch_notes_verify_and_upload() {
    let action = &yaml_documents("action.yml")[0];
    let steps = action["runs"]["steps"].as_array().unwrap();
    let inputs: Vec<&str> = action["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut runs = String::new();
    for step in steps {
        let name = step["name"].as_str().unwrap_or("a step");
        if let Some(run) = step["run"].as_str() {
            assert_eq!(step["shell"], "bash", "{name}");
            assert_shell_parses("bash", &without_expressions(run), name);
            runs.push_str(run);
        }
        // Every input a step reads is declared.
        let text = serde_json::to_string(step).unwrap();
        for used in text.split("inputs.").skip(1) {
            let input: String = used
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            assert!(
                inputs.contains(&input.as_str()),
                "{name} reads undeclared input `{input}`"
            );
        }
    }
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(uses.contains(&"actions/cache@v4"), "{uses:?}");
    assert!(
        uses.contains(&"github/codeql-action/upload-sarif@v3"),
        "{uses:?}"
    );
    for needed in [
        // The binary is built from the action's own source: the tag or commit in `uses:`.
        "cargo install --locked --profile dist --root \"$ROOT\" --path \"$GITHUB_ACTION_PATH\"",
        "agentguard sync --no-push",
        "agentguard verify --format github --output \"sarif=$sarif\" --output \"markdown=$summary\"",
        "--unshallow",
        "kernel.apparmor_restrict_unprivileged_userns=0",
    ] {
        assert!(runs.contains(needed), "the action's steps lack `{needed}`");
    }
    // The upload runs when verify blocked too, and the verdict step fails the job after it.
    let upload = steps
        .iter()
        .find(|s| s["uses"] == "github/codeql-action/upload-sarif@v3")
        .unwrap();
    assert!(upload["if"].as_str().unwrap().starts_with("always()"));
    let last = steps.last().unwrap();
    assert_eq!(last["if"], "always()");
    assert!(last["run"].as_str().unwrap().contains("exit 1"));
}

#[test]
fn the_gitlab_component_is_valid_ci_configuration() {
    let docs = yaml_documents("templates/agentguard.yml");
    assert_eq!(docs.len(), 2, "a spec header and the job, separated by ---");
    let validator = schema("gitlab-ci.json");
    for (i, doc) in docs.iter().enumerate() {
        let errors = violations(&validator, doc);
        assert!(
            errors.is_empty(),
            "templates/agentguard.yml document {i}: {errors:#?}"
        );
    }
    let spec = &docs[0]["spec"];
    let declared: Vec<&str> = spec["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let text = std::fs::read_to_string(root().join("templates/agentguard.yml")).unwrap();
    let body = &text[text.find("\n---\n").unwrap()..];
    let mut used = Vec::new();
    for part in body.split("$[[").skip(1) {
        let expr = part.split("]]").next().unwrap().trim();
        if let Some(input) = expr.strip_prefix("inputs.") {
            assert!(declared.contains(&input), "undeclared input `{input}`");
            used.push(input);
        } else if let Some(field) = expr.strip_prefix("component.") {
            let fields = spec["component"].as_array().unwrap();
            assert!(
                fields.iter().any(|f| f == field),
                "undeclared component field `{field}`"
            );
        } else {
            panic!("unknown interpolation `{expr}`");
        }
    }
    for input in &declared {
        assert!(
            used.contains(input),
            "input `{input}` is declared but never used"
        );
    }
    // The schema test can fail: a job with a misspelt keyword.
    let mut broken = docs[1].clone();
    broken["agentguard-verify"]["scirpt"] = serde_json::json!(["true"]);
    assert!(!violations(&validator, &broken).is_empty());

    let job = &docs[1]["agentguard-verify"];
    let mut scripts = String::new();
    for key in ["before_script", "script"] {
        for line in job[key].as_array().unwrap() {
            let line = line.as_str().unwrap();
            assert_shell_parses("sh", &without_expressions(line), key);
            scripts.push_str(line);
            scripts.push('\n');
        }
    }
    for needed in [
        "--rev \"${AGENTGUARD_VERSION:-$AGENTGUARD_COMPONENT_SHA}\" agentguard",
        "agentguard sync --no-push",
        "agentguard verify --output junit=agentguard-junit.xml --output sarif=agentguard.sarif --output markdown=agentguard-summary.md",
    ] {
        assert!(scripts.contains(needed), "the job lacks `{needed}`:\n{scripts}");
    }
    assert_eq!(job["artifacts"]["reports"]["junit"], "agentguard-junit.xml");
    assert_eq!(job["artifacts"]["when"], "always");
}

#[test]
fn the_books_ci_page_uses_the_action_and_the_component() {
    let page = std::fs::read_to_string(root().join("docs/src/guide/ci.md")).unwrap();
    assert!(
        page.contains("uses: <owner>/agentguard@"),
        "the GitHub section uses the action"
    );
    assert!(
        page.contains("component: $CI_SERVER_FQDN/<group>/agentguard/agentguard@"),
        "the GitLab section uses the component"
    );
}

/// A composite action's `run` steps executed as GitHub's runner would (`bash -eo pipefail`),
/// with `${{ … }}` expressions replaced from `values`; steps that `uses:` another action, and
/// those named in `skip`, are left out. Returns each step's exit code by id or name.
struct Runner {
    values: std::collections::BTreeMap<String, String>,
    env: Vec<(String, String)>,
    cwd: std::path::PathBuf,
    github_output: std::path::PathBuf,
}

impl Runner {
    fn new(cwd: &Path, scratch: &Path) -> Self {
        let github_output = scratch.join("github-output");
        Self {
            values: Default::default(),
            env: Vec::new(),
            cwd: cwd.to_path_buf(),
            github_output,
        }
    }

    fn expand(&self, text: &str) -> String {
        let mut out = text.to_string();
        while let Some(start) = out.find("${{") {
            let end = start + out[start..].find("}}").expect("an expression ends");
            let key = out[start + 3..end].trim().to_string();
            let value = self
                .values
                .get(&key)
                .unwrap_or_else(|| panic!("no value for `${{{{ {key} }}}}`"));
            out.replace_range(start..end + 2, value);
        }
        out
    }

    /// Runs one step; records its outputs as `steps.<id>.outputs.<name>` values.
    fn step(&mut self, step: &Value) -> Option<i32> {
        let run = step["run"].as_str()?;
        std::fs::write(&self.github_output, "").unwrap();
        let mut command = std::process::Command::new("bash");
        // As on a runner: nothing of this machine's git, agentguard or CI settings leaks in.
        for (key, _) in std::env::vars_os() {
            let key_str = key.to_string_lossy();
            if ["GIT_", "AGENTGUARD", "GITHUB_", "CI", "RUNNER_", "NO_COLOR"]
                .iter()
                .any(|prefix| key_str.starts_with(prefix))
            {
                command.env_remove(&key);
            }
        }
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
            .arg(self.expand(run))
            .current_dir(&self.cwd)
            .env("GITHUB_OUTPUT", &self.github_output);
        for (key, value) in &self.env {
            command.env(key, value);
        }
        if let Some(env) = step["env"].as_object() {
            for (key, value) in env {
                command.env(key, self.expand(value.as_str().unwrap()));
            }
        }
        let output = command.output().unwrap();
        let code = output.status.code().unwrap_or(-1);
        if let Some(id) = step["id"].as_str() {
            for line in std::fs::read_to_string(&self.github_output)
                .unwrap()
                .lines()
            {
                if let Some((name, value)) = line.split_once('=') {
                    self.values
                        .insert(format!("steps.{id}.outputs.{name}"), value.to_string());
                }
            }
        }
        assert!(
            code == 0 || step["name"] == "Verdict",
            "step `{}` failed: {}",
            step["name"],
            crate::support::text(&output)
        );
        Some(code)
    }
}

#[test]
fn the_actions_pin_step_names_the_source_it_builds() {
    let action = &yaml_documents("action.yml")[0];
    let steps = action["runs"]["steps"].as_array().unwrap();
    let pin = steps.iter().find(|s| s["id"] == "pin").unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut runner = Runner::new(root(), scratch.path());
    runner.values.insert("inputs.version".into(), String::new());
    runner.env = vec![
        ("GITHUB_ACTION_PATH".into(), root().display().to_string()),
        ("RUNNER_OS".into(), "Linux".into()),
        ("RUNNER_ARCH".into(), "X64".into()),
        ("RUNNER_TEMP".into(), scratch.path().display().to_string()),
    ];
    assert_eq!(runner.step(pin), Some(0));
    let key = runner.values["steps.pin.outputs.key"].clone();
    assert!(key.starts_with("agentguard-Linux-X64-src-"), "{key}");
    assert_eq!(key.len(), "agentguard-Linux-X64-src-".len() + 40, "{key}");
    // Pinned to a version, the key names it.
    runner
        .values
        .insert("inputs.version".into(), "v0.1.0".into());
    runner.step(pin);
    assert_eq!(
        runner.values["steps.pin.outputs.key"],
        "agentguard-Linux-X64-git-v0.1.0"
    );
}

/// The action, step by step as GitHub's runner runs them, in a fresh clone of a pull request's
/// branch: the notes come with `agentguard sync --no-push`, `verify` judges the pull request's
/// commits with no range given, the reports are written, and the last step fails the job when
/// verify blocks. Installing (a `cargo install` of the action's own source) and the SARIF upload
/// are GitHub's side; the binary under test stands in for the installed one.
#[test]
fn the_actions_steps_judge_a_pull_request_in_a_fresh_clone() {
    crate::require_user_namespaces!();
    let dev = crate::support::TestRepo::new();
    let origin = dev.scratch().join("origin.git");
    dev.git(&["init", "-q", "--bare", origin.to_str().unwrap()]);
    dev.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    dev.write("README.md", "shop\n");
    dev.write("test.sh", "grep -q page src/api.rs && echo \"1 passed\"\n");
    dev.write(
        ".agentguard/tasks/T-1.toml",
        "goal = \"pages\"\nallow = [\"src/**\"]\nacceptance = [\"sh test.sh\"]\n",
    );
    dev.commit_all("human: adopt agentguard");
    dev.git(&["push", "-q", "origin", "main"]);
    let output = dev.run(&["install"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        crate::support::text(&output)
    );
    dev.checkout_new("agent/T-1-pages");
    dev.write("src/api.rs", "pub fn page() {}\n");
    dev.git(&["add", "src"]);
    let tmp = dev.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let commit = dev
        .git_command()
        .args(["commit", "-q", "-m", "Pages"])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert!(commit.status.success(), "{}", crate::support::text(&commit));
    // pre-push pushes the evidence notes with the branch.
    dev.git(&["push", "-q", "origin", "agent/T-1-pages"]);

    let run_action = |name: &str| -> (Runner, Vec<(String, Option<i32>)>, std::path::PathBuf) {
        let ci = dev.scratch().join(name);
        std::fs::create_dir_all(&ci).unwrap();
        let clone = dev
            .command("git")
            .current_dir(&ci)
            .args(["clone", "-q", origin.to_str().unwrap(), "work"])
            .output()
            .unwrap();
        assert!(clone.status.success(), "{}", crate::support::text(&clone));
        let work = ci.join("work");
        let detach = dev
            .command("git")
            .current_dir(&work)
            .args(["checkout", "-q", "--detach", "origin/agent/T-1-pages"])
            .output()
            .unwrap();
        assert!(detach.status.success(), "{}", crate::support::text(&detach));
        let summary = ci.join("step-summary.md");
        let agentguard = assert_cmd::cargo::cargo_bin("agentguard");
        let path = std::env::join_paths(
            std::iter::once(agentguard.parent().unwrap().to_path_buf()).chain(
                std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
            ),
        )
        .unwrap();
        let mut runner = Runner::new(&work, &ci);
        for (key, value) in [
            ("inputs.version", ""),
            ("inputs.args", ""),
            ("inputs.upload-sarif", "true"),
            ("inputs.allow-user-namespaces", "true"),
            ("inputs.working-directory", "."),
            ("github.server_url", "https://github.com"),
            ("github.action_repository", "owner/agentguard"),
        ] {
            runner.values.insert(key.into(), value.into());
        }
        let home = dev.home().display().to_string();
        runner.env = [
            ("PATH", path.to_string_lossy().into_owned()),
            ("HOME", home.clone()),
            ("GIT_CONFIG_NOSYSTEM", "1".into()),
            ("GIT_CONFIG_GLOBAL", format!("{home}/.gitconfig")),
            ("TMPDIR", tmp.display().to_string()),
            ("CI", "true".into()),
            ("GITHUB_ACTIONS", "true".into()),
            ("GITHUB_EVENT_NAME", "pull_request".into()),
            ("GITHUB_REF", "refs/pull/1/merge".into()),
            ("GITHUB_HEAD_REF", "agent/T-1-pages".into()),
            ("GITHUB_BASE_REF", "main".into()),
            ("GITHUB_ACTION_PATH", root().display().to_string()),
            ("GITHUB_PATH", ci.join("github-path").display().to_string()),
            ("GITHUB_STEP_SUMMARY", summary.display().to_string()),
            ("RUNNER_OS", "Linux".into()),
            ("RUNNER_ARCH", "X64".into()),
            ("RUNNER_TEMP", ci.display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let action = &yaml_documents("action.yml")[0];
        let mut ran = Vec::new();
        for step in action["runs"]["steps"].as_array().unwrap() {
            let name = step["name"].as_str().unwrap().to_string();
            // GitHub's side, and the machine's: the install (the binary under test stands in)
            // and the sysctl, which needs root on a runner.
            if ["Install agentguard", "Allow the acceptance sandbox"].contains(&name.as_str()) {
                continue;
            }
            let code = runner.step(step);
            ran.push((name, code));
        }
        (runner, ran, summary)
    };

    let (runner, ran, summary) = run_action("ci-pass");
    let code_of = |ran: &[(String, Option<i32>)], name: &str| {
        ran.iter().find(|(n, _)| n == name).and_then(|(_, c)| *c)
    };
    assert_eq!(runner.values["steps.verify.outputs.exit-code"], "0");
    assert_eq!(code_of(&ran, "Verdict"), Some(0));
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(&runner.values["steps.verify.outputs.sarif"]).unwrap(),
    )
    .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let markdown = std::fs::read_to_string(&runner.values["steps.verify.outputs.summary"]).unwrap();
    assert!(markdown.contains("pass"), "{markdown}");
    assert!(std::fs::read_to_string(&summary)
        .unwrap()
        .contains("agentguard"));

    // An agent commit pushed around the hooks: no evidence. verify blocks, the reports are still
    // written for the upload, and the last step fails the job.
    dev.write("src/more.rs", "pub fn more() {}\n");
    dev.git(&["add", "src"]);
    dev.git(&["commit", "-q", "--no-verify", "-m", "More"]);
    dev.git(&["push", "-q", "--no-verify", "origin", "agent/T-1-pages"]);
    let (runner, ran, _) = run_action("ci-block");
    assert_eq!(runner.values["steps.verify.outputs.exit-code"], "1");
    assert_eq!(code_of(&ran, "Verdict"), Some(1));
    let sarif = std::fs::read_to_string(&runner.values["steps.verify.outputs.sarif"]).unwrap();
    assert!(sarif.contains("agentguard/evidence/missing"), "{sarif}");
}

/// The GitLab component's job, line by line as a runner's shell runs it, in a fresh clone of a
/// merge request's branch, with the inputs' defaults; the cached binary (the one under test)
/// makes the job skip its `cargo install`, as a warm cache does.
#[test]
fn the_components_job_judges_a_merge_request_in_a_fresh_clone() {
    crate::require_user_namespaces!();
    let dev = crate::support::TestRepo::new();
    let origin = dev.scratch().join("origin.git");
    dev.git(&["init", "-q", "--bare", origin.to_str().unwrap()]);
    dev.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    dev.write("README.md", "shop\n");
    dev.write(
        ".agentguard/tasks/T-1.toml",
        "goal = \"pages\"\nallow = [\"src/**\"]\n",
    );
    dev.commit_all("human: adopt agentguard");
    dev.git(&["push", "-q", "origin", "main"]);
    assert_eq!(dev.run(&["install"]).status.code(), Some(0));
    dev.checkout_new("agent/T-1-pages");
    dev.write("src/api.rs", "pub fn page() {}\n");
    dev.git(&["add", "src"]);
    let commit = dev.git_output(&["commit", "-q", "-m", "Pages"]);
    assert!(commit.status.success(), "{}", crate::support::text(&commit));
    dev.git(&["push", "-q", "origin", "agent/T-1-pages"]);

    let ci = dev.scratch().join("ci");
    std::fs::create_dir_all(&ci).unwrap();
    let clone = dev
        .command("git")
        .current_dir(&ci)
        .args(["clone", "-q", origin.to_str().unwrap(), "work"])
        .output()
        .unwrap();
    assert!(clone.status.success(), "{}", crate::support::text(&clone));
    let work = ci.join("work");
    assert!(dev
        .command("git")
        .current_dir(&work)
        .args(["checkout", "-q", "--detach", "origin/agent/T-1-pages"])
        .status()
        .unwrap()
        .success());
    // A warm cache: the binary is where the job's cache keeps it.
    let cached = work.join(".agentguard-bin/bin");
    std::fs::create_dir_all(&cached).unwrap();
    std::os::unix::fs::symlink(
        assert_cmd::cargo::cargo_bin("agentguard"),
        cached.join("agentguard"),
    )
    .unwrap();

    let docs = yaml_documents("templates/agentguard.yml");
    let job = &docs[1]["agentguard-verify"];
    let inputs = &docs[0]["spec"]["inputs"];
    let expand = |text: &str| {
        let mut out = text.to_string();
        while let Some(start) = out.find("$[[") {
            let end = start + out[start..].find("]]").unwrap();
            let expr = out[start + 3..end].trim().to_string();
            let value = match expr.strip_prefix("inputs.") {
                Some("repository") => "https://gitlab.example.com/tools/agentguard.git".into(),
                Some(input) => inputs[input]["default"].as_str().unwrap().to_string(),
                None => "0123456789abcdef0123456789abcdef01234567".into(),
            };
            out.replace_range(start..end + 2, &value);
        }
        out
    };
    let mut script = String::from("set -e\n");
    for (key, value) in job["variables"].as_object().unwrap() {
        let value =
            expand(value.as_str().unwrap()).replace("$CI_PROJECT_DIR", &work.display().to_string());
        script.push_str(&format!("export {key}=\"{value}\"\n"));
    }
    for key in ["before_script", "script"] {
        for line in job[key].as_array().unwrap() {
            script.push_str(&expand(line.as_str().unwrap()));
            script.push('\n');
        }
    }
    let tmp = dev.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let output = dev
        .command("sh")
        .current_dir(&work)
        .arg("-c")
        .arg(&script)
        .env("TMPDIR", &tmp)
        .env("CI", "true")
        .env("GITLAB_CI", "true")
        .env("CI_PROJECT_DIR", &work)
        .env("CI_PIPELINE_SOURCE", "merge_request_event")
        .env("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "agent/T-1-pages")
        .env("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        crate::support::text(&output)
    );
    let junit = std::fs::read_to_string(work.join("agentguard-junit.xml")).unwrap();
    assert!(junit.contains("<testsuites"), "{junit}");
    for artifact in job["artifacts"]["paths"].as_array().unwrap() {
        let path = work.join(artifact.as_str().unwrap());
        assert!(path.is_file(), "{} is written", path.display());
    }
}
