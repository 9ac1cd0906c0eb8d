//! `log --format otel`: each ledger line as an OpenTelemetry log record in the OTLP/JSON
//! encoding (64-bit integers as strings, attributes as key/value lists), one per line, for a
//! collector's file log receiver or any JSON log pipeline.

use crate::ledger::{Entry, LineVerdict};
use crate::verdict::Verdict;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::UNIX_EPOCH;

/// OpenTelemetry severity numbers.
const INFO: u8 = 9;
const WARN: u8 = 13;
const ERROR: u8 = 17;

fn string(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": { "stringValue": value } })
}

fn int(key: &str, value: u64) -> Value {
    json!({ "key": key, "value": { "intValue": value.to_string() } })
}

fn strings(key: &str, values: &[String]) -> Value {
    let values: Vec<Value> = values.iter().map(|v| json!({ "stringValue": v })).collect();
    json!({ "key": key, "value": { "arrayValue": { "values": values } } })
}

/// One record for one ledger line.
pub(crate) fn record(entry: &Entry) -> Value {
    let (severity_number, severity_text) = match entry.verdict {
        LineVerdict::Judged(Verdict::Pass) | LineVerdict::Rewrite => (INFO, "INFO"),
        LineVerdict::Judged(Verdict::Block) | LineVerdict::Bypass | LineVerdict::Rollback => {
            (WARN, "WARN")
        }
        LineVerdict::Error => (ERROR, "ERROR"),
        LineVerdict::None | LineVerdict::Unknown(_) => (INFO, "INFO"),
    };
    let nanos = entry
        .system_time()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());

    let mut body = format!("agentguard {}: {}", entry.command, entry.verdict.as_str());
    if let Some(commit) = &entry.commit {
        body.push_str(&format!(" {}", commit.get(..7).unwrap_or(commit)));
    }
    if let Some(task) = &entry.task {
        body.push_str(&format!(" task {task}"));
    }

    let mut attributes = vec![
        string("agentguard.command", &entry.command),
        string("agentguard.verdict", entry.verdict.as_str()),
        string("agentguard.version", &entry.version),
        int("agentguard.duration_ms", entry.duration_ms),
    ];
    let optional = [
        ("agentguard.commit", &entry.commit),
        ("agentguard.tree", &entry.tree),
        ("agentguard.task", &entry.task),
        ("agentguard.agent", &entry.agent),
        ("agentguard.branch", &entry.branch),
        ("agentguard.error", &entry.error),
        ("agentguard.rewrite", &entry.rewrite),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            attributes.push(string(key, value));
        }
    }
    if !entry.findings.is_empty() {
        let blocking: Vec<String> = entry.blocking_findings().map(|f| f.key()).collect();
        let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
        for f in &entry.findings {
            *kinds.entry(f.kind.as_str()).or_default() += 1;
        }
        attributes.push(int(
            "agentguard.findings.count",
            entry.findings.len() as u64,
        ));
        attributes.push(int("agentguard.findings.blocking", blocking.len() as u64));
        attributes.push(strings("agentguard.findings.blocking_keys", &blocking));
        for (kind, n) in kinds {
            attributes.push(int(&format!("agentguard.findings.{kind}"), n));
        }
    }
    if !entry.acceptance.is_empty() {
        let failed: Vec<String> = entry.failed_runs().map(|r| r.command.clone()).collect();
        let total: u64 = entry.acceptance.iter().map(|r| r.duration_ms).sum();
        attributes.push(int(
            "agentguard.acceptance.runs",
            entry.acceptance.len() as u64,
        ));
        attributes.push(int("agentguard.acceptance.failed", failed.len() as u64));
        attributes.push(strings("agentguard.acceptance.failed_commands", &failed));
        attributes.push(int("agentguard.acceptance.duration_ms", total));
    }
    if let Some(bypass) = &entry.bypass {
        attributes.push(string("agentguard.bypass.reason", &bypass.reason));
        attributes.push(string("agentguard.bypass.who", &bypass.who));
    }
    if let Some(rollback) = &entry.rollback {
        attributes.push(string("agentguard.rollback.revert", &rollback.revert));
        attributes.push(string("agentguard.rollback.reason", &rollback.reason));
        attributes.push(string("agentguard.rollback.who", &rollback.who));
    }
    if !entry.rewritten.is_empty() {
        let pairs: Vec<String> = entry
            .rewritten
            .iter()
            .map(|p| format!("{} {}", p.old, p.new))
            .collect();
        attributes.push(strings("agentguard.rewritten", &pairs));
    }

    json!({
        "timeUnixNano": nanos.to_string(),
        "observedTimeUnixNano": nanos.to_string(),
        "severityNumber": severity_number,
        "severityText": severity_text,
        "body": { "stringValue": body },
        "attributes": attributes,
    })
}

/// Every entry as one record per line.
pub(crate) fn render(entries: &[&Entry]) -> String {
    let mut out = String::new();
    for entry in entries {
        out.push_str(&record(entry).to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::ledger::EntryFinding;

    #[test]
    fn a_block_is_a_warning_with_agentguard_attributes() {
        let mut entry = Entry {
            time: "2026-01-01T00:00:01Z".into(),
            task: Some("t1".into()),
            verdict: LineVerdict::Judged(Verdict::Block),
            ..Entry::new("check")
        };
        entry.findings.push(EntryFinding {
            kind: "scope".into(),
            category: "denied".into(),
            action: "block".into(),
            ..EntryFinding::default()
        });
        let record = record(&entry);
        assert_eq!(record["timeUnixNano"], "1767225601000000000");
        assert_eq!(record["severityText"], "WARN");
        let attrs = record["attributes"].as_array().unwrap();
        let get = |k: &str| {
            attrs
                .iter()
                .find(|a| a["key"] == k)
                .map(|a| a["value"].clone())
        };
        assert_eq!(get("agentguard.task").unwrap()["stringValue"], "t1");
        assert_eq!(get("agentguard.findings.scope").unwrap()["intValue"], "1");
        assert!(attrs
            .iter()
            .all(|a| a["key"].as_str().unwrap().starts_with("agentguard.")));
    }
}
