//! Telemetry beyond one clone: every ledger record shipped to an OpenTelemetry collector
//! (`[ledger] otlp_endpoint`) as OTLP/HTTP JSON logs, in the encoding `log --format otel`
//! writes. A batch is spooled first (`<git common dir>/agentguard/otlp-spool/`), then sent
//! with a short timeout; what the collector does not take stays in the spool and goes first
//! on the next run. An unreachable collector never blocks a commit and never loses a record
//! while the spool has room; the spool is bounded, and past its bound the oldest batches go.
//!
//! Delivery is at least once: a batch the collector took but whose answer was lost is sent
//! again. Every record carries `agentguard.record_id`, the same on every resend, for a
//! collector to drop repeats by.
//!
//! Plain HTTP only: there is no TLS stack in the binary. Ship to a collector or agent on the
//! machine or its network, which can forward over TLS.

use crate::ledger::Entry;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The spool directory, under the ledger's.
pub(crate) const SPOOL_DIR: &str = "otlp-spool";
/// The spool's bound: past it the oldest batches are dropped.
pub(crate) const MAX_SPOOL_BYTES: u64 = 8 * 1024 * 1024;
pub(crate) const MAX_SPOOL_FILES: usize = 10_000;
/// Per request, and per run (a run never spends longer than this on the collector).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(800);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
const RUN_BUDGET: Duration = Duration::from_secs(4);

/// What one run did with the spool.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Shipped {
    pub delivered: usize,
    /// Batches left in the spool for the next run.
    pub kept: usize,
    /// Batches dropped, oldest first, to keep the spool within its bound.
    pub dropped: usize,
    /// Batches the collector refused for good (an HTTP 4xx other than 408 and 429).
    pub refused: usize,
    /// Why sending stopped, when it did.
    pub failure: Option<String>,
    pub spool: PathBuf,
}

pub(crate) fn spool_dir(common_dir: &Path) -> PathBuf {
    crate::ledger::dir(common_dir).join(SPOOL_DIR)
}

/// Spools `entries` as one batch, then sends what the spool holds, oldest first.
pub(crate) fn ship(
    common_dir: &Path,
    endpoint: &str,
    entries: &[Entry],
) -> std::io::Result<Shipped> {
    let dir = spool_dir(common_dir);
    std::fs::create_dir_all(&dir)?;
    let mut shipped = Shipped {
        spool: dir.clone(),
        ..Shipped::default()
    };
    if !entries.is_empty() {
        spool(&dir, entries)?;
    }
    shipped.dropped += bound(&dir, MAX_SPOOL_BYTES, MAX_SPOOL_FILES)?;
    // Another run sending now sends ours too, or leaves it for the next.
    let Some(_lock) = crate::lock::Lock::try_exclusive(&dir.join(".lock"))? else {
        shipped.kept = batches(&dir)?.len();
        return Ok(shipped);
    };
    send(&dir, endpoint, &mut shipped)?;
    Ok(shipped)
}

/// The OTLP/HTTP request body for `entries`.
pub(crate) fn body(entries: &[Entry], id_prefix: &str) -> Value {
    let records: Vec<Value> = entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let mut record = crate::report::otel::record(entry);
            if let Some(attributes) = record["attributes"].as_array_mut() {
                attributes.push(json!({
                    "key": "agentguard.record_id",
                    "value": { "stringValue": format!("{id_prefix}-{i}") }
                }));
            }
            record
        })
        .collect();
    json!({
        "resourceLogs": [{
            "resource": { "attributes": [
                { "key": "service.name", "value": { "stringValue": "agentguard" } },
                { "key": "service.version", "value": { "stringValue": env!("CARGO_PKG_VERSION") } },
            ]},
            "scopeLogs": [{
                "scope": { "name": "agentguard", "version": env!("CARGO_PKG_VERSION") },
                "logRecords": records,
            }],
        }]
    })
}

/// Writes one batch atomically; names sort by time, so the oldest goes first.
fn spool(dir: &Path, entries: &[Entry]) -> std::io::Result<()> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!("{nanos:024}-{}", std::process::id());
    let text = body(entries, &name).to_string();
    let mut file = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    file.write_all(text.as_bytes())?;
    file.persist(dir.join(format!("{name}.json")))
        .map_err(|e| e.error)?;
    Ok(())
}

/// The spooled batches, oldest first.
fn batches(dir: &Path) -> std::io::Result<Vec<(PathBuf, u64)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json") {
            found.push((path, entry.metadata()?.len()));
        }
    }
    found.sort();
    Ok(found)
}

/// Drops the oldest batches until the spool is within its bound; returns how many.
fn bound(dir: &Path, max_bytes: u64, max_files: usize) -> std::io::Result<usize> {
    let found = batches(dir)?;
    let mut total: u64 = found.iter().map(|(_, len)| len).sum();
    let mut count = found.len();
    let mut dropped = 0;
    for (path, len) in &found {
        if total <= max_bytes && count <= max_files {
            break;
        }
        remove(path)?;
        total -= len;
        count -= 1;
        dropped += 1;
    }
    Ok(dropped)
}

fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn send(dir: &Path, endpoint: &str, shipped: &mut Shipped) -> std::io::Result<()> {
    let url = format!("{}/v1/logs", endpoint.trim_end_matches('/'));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(REQUEST_TIMEOUT))
        .http_status_as_error(false)
        // The collector is named exactly; a proxy from the environment is not asked.
        .proxy(None)
        .max_redirects(0)
        .build()
        .into();
    let started = Instant::now();
    let all = batches(dir)?;
    for (i, (path, _)) in all.iter().enumerate() {
        if started.elapsed() > RUN_BUDGET {
            shipped.failure = Some("out of time for this run".to_string());
            shipped.kept = all.len() - i;
            return Ok(());
        }
        let body = match std::fs::read(path) {
            Ok(body) => body,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let answer = agent
            .post(&url)
            .header("content-type", "application/json")
            .send(&body[..]);
        match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                if (200..300).contains(&status) {
                    remove(path)?;
                    shipped.delivered += 1;
                } else if (400..500).contains(&status) && status != 408 && status != 429 {
                    // The collector will never take this batch: keeping it would block the
                    // ones behind it for good.
                    remove(path)?;
                    shipped.refused += 1;
                    shipped.failure =
                        Some(format!("the collector refused a batch (HTTP {status})"));
                } else {
                    shipped.failure = Some(format!("the collector answered HTTP {status}"));
                    shipped.kept = all.len() - i;
                    return Ok(());
                }
            }
            Err(e) => {
                shipped.failure = Some(e.to_string());
                shipped.kept = all.len() - i;
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn the_body_is_otlp_json_with_a_record_id_each() {
        let entries = [Entry::new("check"), Entry::new("verify")];
        let body = body(&entries, "p");
        let records = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
            .as_array()
            .unwrap();
        assert_eq!(records.len(), 2);
        let id = |r: &Value| {
            r["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["key"] == "agentguard.record_id")
                .map(|a| a["value"]["stringValue"].clone())
        };
        assert_eq!(id(&records[1]), Some(json!("p-1")));
        assert_eq!(
            body["resourceLogs"][0]["resource"]["attributes"][0]["value"]["stringValue"],
            "agentguard"
        );
    }

    #[test]
    fn the_spool_keeps_its_bound_by_dropping_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            spool(dir.path(), &[Entry::new("check")]).unwrap();
        }
        let before = batches(dir.path()).unwrap();
        assert_eq!(before.len(), 5);
        assert_eq!(bound(dir.path(), u64::MAX, 3).unwrap(), 2);
        let after = batches(dir.path()).unwrap();
        assert_eq!(after, before[2..].to_vec());
        let one = after[0].1;
        assert_eq!(bound(dir.path(), one, usize::MAX).unwrap(), 2);
    }

    #[test]
    fn an_unreachable_collector_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        // A port nothing listens on: bind, note it, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let endpoint = format!("http://127.0.0.1:{port}");
        let first = ship(dir.path(), &endpoint, &[Entry::new("check")]).unwrap();
        assert_eq!((first.delivered, first.kept), (0, 1));
        assert!(first.failure.is_some());
        let second = ship(dir.path(), &endpoint, &[Entry::new("check")]).unwrap();
        assert_eq!((second.delivered, second.kept), (0, 2));
    }
}
