//! `[session]`: what the cross-checks between an attached agent session and the change do,
//! and `[ledger]`: where ledger records are shipped.

use super::{PolicyError, SourceText};
use serde::Deserialize;
use toml::Spanned;

/// What one session cross-check does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckAction {
    /// Not checked.
    Off,
    /// Reported, never blocks.
    Warn,
    /// Blocks.
    Block,
}

impl CheckAction {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckAction::Off => "off",
            CheckAction::Warn => "warn",
            CheckAction::Block => "block",
        }
    }
}

fn warn() -> CheckAction {
    CheckAction::Warn
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSession {
    #[serde(default = "warn")]
    untouched: CheckAction,
    #[serde(default = "warn")]
    unlisted: CheckAction,
    #[serde(default = "warn")]
    acceptance: CheckAction,
    #[serde(default = "warn")]
    network: CheckAction,
}

impl Default for RawSession {
    fn default() -> Self {
        Self {
            untouched: warn(),
            unlisted: warn(),
            acceptance: warn(),
            network: warn(),
        }
    }
}

/// The session cross-checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A file in the change the session never wrote.
    pub untouched: CheckAction,
    /// A file the session wrote that is not in the change.
    pub unlisted: CheckAction,
    /// An acceptance command the session never ran, or last saw failing.
    pub acceptance: CheckAction,
    /// Network use in the session where `[acceptance] network = "deny"`.
    pub network: CheckAction,
}

impl From<RawSession> for SessionPolicy {
    fn from(raw: RawSession) -> Self {
        Self {
            untouched: raw.untouched,
            unlisted: raw.unlisted,
            acceptance: raw.acceptance,
            network: raw.network,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLedger {
    otlp_endpoint: Option<Spanned<String>>,
}

/// `[ledger]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerRules {
    /// The OTLP/HTTP collector (`http://host:4318`); records go to `<endpoint>/v1/logs`.
    pub otlp_endpoint: Option<String>,
}

pub(crate) fn compile_ledger(
    raw: RawLedger,
    text: &SourceText<'_>,
) -> Result<LedgerRules, PolicyError> {
    let Some(endpoint) = raw.otlp_endpoint else {
        return Ok(LedgerRules::default());
    };
    let span = endpoint.span();
    let value = endpoint.into_inner();
    let value = value.trim().trim_end_matches('/').to_string();
    match endpoint_error(&value) {
        Some(message) => Err(text.error_at(span, message)),
        None => Ok(LedgerRules {
            otlp_endpoint: Some(value),
        }),
    }
}

/// Why an endpoint cannot be used, if it cannot.
pub(crate) fn endpoint_error(value: &str) -> Option<String> {
    if value.starts_with("https://") {
        return Some(format!(
            "`otlp_endpoint = \"{value}\"`: https is not supported; ship to a collector or agent \
             on this machine or network over http (it can forward over TLS)"
        ));
    }
    let Some(rest) = value.strip_prefix("http://") else {
        return Some(format!(
            "`otlp_endpoint = \"{value}\"` is not an http:// URL (e.g. \"http://localhost:4318\")"
        ));
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains(['@', ' ', '?', '#']) {
        return Some(format!(
            "`otlp_endpoint = \"{value}\"` names no host (e.g. \"http://localhost:4318\")"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::endpoint_error;

    #[test]
    fn endpoints() {
        assert_eq!(endpoint_error("http://localhost:4318"), None);
        assert_eq!(endpoint_error("http://collector:4318/otel"), None);
        assert!(endpoint_error("https://collector:4318")
            .is_some_and(|e| e.contains("https is not supported")));
        assert!(endpoint_error("collector:4318").is_some());
        assert!(endpoint_error("http:///v1").is_some());
        assert!(endpoint_error("http://user@host").is_some());
    }
}
