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
