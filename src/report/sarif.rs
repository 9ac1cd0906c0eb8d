//! `--format sarif`: SARIF 2.1.0 for code scanning (GitHub's `upload-sarif`, and any other
//! SARIF consumer). One run; one rule per (kind, category) that fired, with id
//! `agentguard/<kind>/<category>`; one result per finding of an agent commit.
//!
//! Levels: `error` for a finding that blocks (a block, or an approval not yet given),
//! `warning` for a warning, `note` for an approved category.
//!
//! Every result has a location, because GitHub code scanning shows no result without one. A
//! finding with a path points at that path (as a percent-encoded URI reference relative to the
//! repository root, with the line when there is one). A finding about the change as a whole
//! (a missing task trailer, missing evidence, an acceptance command) has no file of its own:
//! it points at the policy file, `.agentguard.toml`, where the rule that fired is configured,
//! with a location message naming the commit.

use super::{full_commit, short_commit};
use crate::engine::CommitReport;
use crate::finding::{Action, Finding, Kind};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub(crate) const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub(crate) const SARIF_VERSION: &str = "2.1.0";
/// Where a finding about the whole change is located.
pub(crate) const POLICY_FILE: &str = ".agentguard.toml";
/// The `partialFingerprints` key of every result.
pub(crate) const FINGERPRINT_KEY: &str = "agentguard/v1";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
    properties: RunProperties,
}

#[derive(Serialize)]
struct RunProperties {
    verdict: crate::verdict::Verdict,
    /// The path each agent commit took (attempts, session, the way back); a commit that
    /// passed has no results to carry it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    commits: Vec<CommitPath>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommitPath {
    commit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    passed_first_time: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<crate::evidence::path_taken::SessionTotals>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rollback: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rollback_applies: Option<String>,
}

fn commit_paths(reports: &[CommitReport]) -> Vec<CommitPath> {
    reports
        .iter()
        .filter(|r| r.agent)
        .filter_map(|r| {
            let path = &r.path_taken;
            if path.attempts.is_none() && path.session.is_none() && path.rollback.is_none() {
                return None;
            }
            let commit = full_commit(r);
            Some(CommitPath {
                attempts: path.attempts.as_ref().map(|a| a.count()),
                passed_first_time: path.attempts.as_ref().map(|a| a.first_time()),
                session: path.session.as_ref().map(|s| s.totals.clone()),
                rollback: path
                    .rollback
                    .as_ref()
                    .map(|rb| super::path_taken::rollback_headline(rb, Some(&commit))),
                rollback_applies: path.rollback.as_ref().map(|rb| rb.applies.clone()),
                commit,
            })
        })
        .collect()
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct RuleProperties {
    kind: Kind,
    category: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties {
    commit: String,
    task: Option<String>,
    agent: Option<String>,
    kind: Kind,
    category: String,
    action: Action,
    approved: bool,
    rule: String,
    /// The path exactly as git has it (the location's URI is its percent-encoded form).
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
}

pub(crate) fn render(reports: &[CommitReport]) -> Result<String, super::RenderError> {
    // A human commit has findings only when its credentials check found some.
    let findings: Vec<(&CommitReport, &Finding)> = reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
        .collect();

    let mut ids: Vec<(Kind, &str)> = findings
        .iter()
        .map(|(_, f)| (f.kind, f.category.as_str()))
        .collect();
    ids.sort();
    ids.dedup();
    let rules: Vec<Rule> = ids
        .iter()
        .map(|&(kind, category)| {
            let strictest = findings
                .iter()
                .filter(|(_, f)| f.kind == kind && f.category == category)
                .map(|(_, f)| f.action)
                .max()
                .unwrap_or(Action::Warn);
            rule(kind, category, strictest)
        })
        .collect();

    let results = findings
        .iter()
        .map(|&(report, finding)| {
            let rule_index = ids
                .binary_search(&(finding.kind, finding.category.as_str()))
                .unwrap_or_default();
            result(report, finding, rule_index)
        })
        .collect();

    let log = Log {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "agentguard",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: information_uri(),
                    rules,
                },
            },
            results,
            properties: RunProperties {
                verdict: super::verdict(reports),
                commits: commit_paths(reports),
            },
        }],
    };
    super::pretty_json(&log)
}

/// The crate's repository or homepage, when the manifest names one.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
        .into_iter()
        .find(|uri| uri.starts_with("https://"))
}

pub(crate) fn rule_id(kind: Kind, category: &str) -> String {
    format!("agentguard/{kind}/{category}")
}

fn rule(kind: Kind, category: &str, strictest: Action) -> Rule {
    let about = match kind {
        Kind::Metadata => "The agent commit's task metadata is missing or invalid",
        Kind::Scope => "The change touches a path outside the task's file boundary",
        Kind::Risk => "The change touches a high-risk area",
        Kind::Acceptance => "An acceptance command did not pass on the exact tree",
        Kind::Evidence => "The evidence of a passing check is missing or disagrees",
        Kind::Approval => "A human sign-off is missing or invalid",
    };
    let effect = match strictest {
        Action::Block => "blocks the commit",
        Action::Approve => "blocks the commit until a human approves the category",
        Action::Warn => "is reported without blocking",
    };
    Rule {
        id: rule_id(kind, category),
        name: format!("{kind}/{category}"),
        short_description: Text {
            text: format!("{kind}: {category}"),
        },
        full_description: Text {
            text: format!("{about} ({category}); a finding of this rule {effect}."),
        },
        default_configuration: Configuration {
            level: match strictest {
                Action::Block | Action::Approve => "error",
                Action::Warn => "warning",
            },
        },
        properties: RuleProperties {
            kind,
            category: category.to_string(),
        },
    }
}

fn level(finding: &Finding) -> &'static str {
    if finding.blocks() {
        "error"
    } else if finding.action == Action::Warn {
        "warning"
    } else {
        "note"
    }
}

fn result(report: &CommitReport, finding: &Finding, rule_index: usize) -> SarifResult {
    let location = match &finding.path {
        Some(path) => Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: uri_reference(path),
                },
                // SARIF lines start at 1.
                region: finding
                    .line
                    .filter(|&line| line >= 1)
                    .map(|start_line| Region { start_line }),
            },
            message: None,
        },
        None => Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: POLICY_FILE.to_string(),
                },
                region: None,
            },
            message: Some(Text {
                text: format!(
                    "commit {} as a whole (no single file)",
                    short_commit(report)
                ),
            }),
        },
    };
    let fingerprint = finding
        .fingerprint
        .clone()
        .unwrap_or_else(|| stable_hash(finding));
    SarifResult {
        rule_id: rule_id(finding.kind, &finding.category),
        rule_index,
        level: level(finding),
        message: Text {
            text: super::message(report, finding),
        },
        locations: vec![location],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint)]),
        properties: ResultProperties {
            commit: full_commit(report),
            task: report.task.id.clone(),
            agent: report.task.agent_name.clone(),
            kind: finding.kind,
            category: finding.category.clone(),
            action: finding.action,
            approved: finding.approved(),
            rule: finding.rule.clone(),
            path: finding.path.clone(),
        },
    }
}

/// sha256 over kind, category, path, line and message: the same finding hashes the same in
/// every run.
fn stable_hash(finding: &Finding) -> String {
    let mut hasher = Sha256::new();
    for part in [
        finding.kind.as_str(),
        &finding.category,
        finding.path.as_deref().unwrap_or_default(),
        &finding.line.map(|l| l.to_string()).unwrap_or_default(),
        &finding.message,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A repository-relative path as a relative URI reference: every byte but the unreserved
/// characters and `/` is percent-encoded, so spaces, `%`, `#`, `?`, `:` and non-ASCII
/// characters cannot change what the reference means.
pub(crate) fn uri_reference(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::{render, uri_reference, FINGERPRINT_KEY, POLICY_FILE};
    use crate::report::test_support::{self, HOSTILE, HOSTILE_PATH};
    use serde_json::Value;

    /// The SARIF 2.1.0 JSON schema (`$id`
    /// `https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json`).
    fn schema() -> Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/sarif/sarif-schema-2.1.0.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn assert_valid(log: &Value) {
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema())
            .unwrap();
        let errors: Vec<String> = validator
            .iter_errors(log)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "schema violations: {errors:#?}");
    }

    fn results(log: &Value) -> &Vec<Value> {
        log["runs"][0]["results"].as_array().unwrap()
    }

    #[test]
    fn every_sample_is_valid_sarif() {
        for report in test_support::sample_reports() {
            let log: Value = serde_json::from_str(&render(&[report]).unwrap()).unwrap();
            assert_valid(&log);
        }
        let log: Value =
            serde_json::from_str(&render(&test_support::sample_reports()).unwrap()).unwrap();
        assert_valid(&log);
        let empty: Value = serde_json::from_str(&render(&[]).unwrap()).unwrap();
        assert_valid(&empty);
    }

    #[test]
    fn the_schema_rejects_what_it_should() {
        // The validator is live: a zero start line and an unencoded space both fail.
        let mut log: Value =
            serde_json::from_str(&render(&[test_support::blocked()]).unwrap()).unwrap();
        log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] =
            0.into();
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema())
            .unwrap();
        assert!(!validator.is_valid(&log));
        let mut log: Value =
            serde_json::from_str(&render(&[test_support::blocked()]).unwrap()).unwrap();
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
            ["uri"] = "a b/<c>".into();
        assert!(!validator.is_valid(&log));
    }

    #[test]
    fn header_tool_and_rules() {
        let log: Value =
            serde_json::from_str(&render(&test_support::sample_reports()).unwrap()).unwrap();
        assert_eq!(
            log["$schema"],
            "https://json.schemastore.org/sarif-2.1.0.json"
        );
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["runs"].as_array().unwrap().len(), 1);
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "agentguard");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        let rules = driver["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids.len(), sorted.len(), "one rule per (kind, category)");
        assert!(ids.contains(&"agentguard/risk/credentials"));
        assert!(ids.contains(&"agentguard/scope/out-of-scope"));
        let level = |id: &str| {
            rules.iter().find(|r| r["id"] == id).unwrap()["defaultConfiguration"]["level"].clone()
        };
        assert_eq!(level("agentguard/risk/credentials"), "error");
        assert_eq!(level("agentguard/risk/migrations"), "error");
        assert_eq!(level("agentguard/risk/dependencies"), "warning");
        // Every result's ruleIndex points at its rule.
        for result in results(&log) {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
        }
        assert_eq!(log["runs"][0]["properties"]["verdict"], "block");
    }

    #[test]
    fn one_result_per_agent_finding_with_levels() {
        let reports = test_support::sample_reports();
        let log: Value = serde_json::from_str(&render(&reports).unwrap()).unwrap();
        let findings: usize = reports.iter().map(|r| r.findings.len()).sum();
        assert_eq!(results(&log).len(), findings);
        let by_rule = |id: &str| {
            results(&log)
                .iter()
                .find(|r| r["ruleId"] == id)
                .unwrap()
                .clone()
        };
        assert_eq!(by_rule("agentguard/risk/credentials")["level"], "error");
        assert_eq!(by_rule("agentguard/risk/auth")["level"], "error");
        assert_eq!(by_rule("agentguard/risk/migrations")["level"], "note");
        assert_eq!(by_rule("agentguard/risk/dependencies")["level"], "warning");
        let credential = by_rule("agentguard/risk/credentials");
        let physical = &credential["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "src/config.rs");
        assert_eq!(physical["region"]["startLine"], 12);
        assert_eq!(
            credential["partialFingerprints"][FINGERPRINT_KEY],
            "c0ffee1234"
        );
        assert_eq!(credential["properties"]["commit"], "b".repeat(40));
        assert_eq!(credential["properties"]["task"], "T-2");
        // A path without a line has no region.
        let scope = by_rule("agentguard/scope/out-of-scope");
        assert!(scope["locations"][0]["physicalLocation"]
            .get("region")
            .is_none());
    }

    #[test]
    fn path_less_findings_point_at_the_policy_file() {
        let log: Value =
            serde_json::from_str(&render(&[test_support::blocked()]).unwrap()).unwrap();
        let acceptance = results(&log)
            .iter()
            .find(|r| r["ruleId"] == "agentguard/acceptance/command-failed")
            .unwrap();
        let location = &acceptance["locations"][0];
        assert_eq!(
            location["physicalLocation"]["artifactLocation"]["uri"],
            POLICY_FILE
        );
        assert!(location["message"]["text"]
            .as_str()
            .unwrap()
            .contains("bbbbbbbbbb"));
        for result in results(&log) {
            assert_eq!(result["locations"].as_array().unwrap().len(), 1);
        }
    }

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        let first: Value =
            serde_json::from_str(&render(&test_support::sample_reports()).unwrap()).unwrap();
        let second: Value =
            serde_json::from_str(&render(&test_support::sample_reports()).unwrap()).unwrap();
        let prints = |log: &Value| -> Vec<String> {
            results(log)
                .iter()
                .map(|r| {
                    r["partialFingerprints"][FINGERPRINT_KEY]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect()
        };
        assert_eq!(prints(&first), prints(&second));
        let mut unique = prints(&first);
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), prints(&first).len());
    }

    #[test]
    fn human_commits_have_no_results() {
        let log: Value = serde_json::from_str(&render(&[test_support::human()]).unwrap()).unwrap();
        assert!(results(&log).is_empty());
        assert_eq!(log["runs"][0]["properties"]["verdict"], "pass");
    }

    #[test]
    fn hostile_paths_are_percent_encoded_and_zero_lines_dropped() {
        assert_eq!(
            uri_reference(HOSTILE_PATH),
            "dir%20with%20space/100%25%20%231%3F%C3%A9%0A%3Cscript%3E.rs"
        );
        assert_eq!(uri_reference("src/lib.rs"), "src/lib.rs");
        assert_eq!(uri_reference("a:b/c"), "a%3Ab/c");
        let log: Value =
            serde_json::from_str(&render(&[test_support::hostile()]).unwrap()).unwrap();
        assert_valid(&log);
        let scope = &results(&log)[0];
        let physical = &scope["locations"][0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"]["uri"],
            uri_reference(HOSTILE_PATH)
        );
        assert!(
            physical.get("region").is_none(),
            "line 0 is not a SARIF line"
        );
        assert_eq!(scope["message"]["text"], HOSTILE);
        assert_eq!(scope["properties"]["path"], HOSTILE_PATH);
    }
}
