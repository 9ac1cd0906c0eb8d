//! A finding: one reason a change cannot pass as it is.

use serde::Serialize;
use std::fmt;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Metadata,
    Scope,
    Risk,
    Acceptance,
    Evidence,
    Approval,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Metadata => "metadata",
            Kind::Scope => "scope",
            Kind::Risk => "risk",
            Kind::Acceptance => "acceptance",
            Kind::Evidence => "evidence",
            Kind::Approval => "approval",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a finding does to the verdict; ordered from mildest to strictest.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Reported, never blocks.
    Warn,
    /// Blocks until a human approves the category.
    Approve,
    /// Blocks.
    Block,
}

impl Action {
    /// The spelling read back from a stored record.
    pub fn parse(text: &str) -> Option<Self> {
        [Action::Warn, Action::Approve, Action::Block]
            .into_iter()
            .find(|a| a.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Warn => "warn",
            Action::Approve => "approve",
            Action::Block => "block",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A human's verified sign-off on an `approve` finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOff {
    pub approver: String,
    /// When it was signed (RFC 3339), as the approval says.
    pub time: String,
}

/// The facts of a finding; renderers turn them into sentences (what to do next, who
/// approved it), so every format says it in its own way from the same data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    /// Stable kebab-case name: the risk category, or the rule family for other kinds.
    pub category: String,
    pub path: Option<String>,
    pub line: Option<u32>,
    pub action: Action,
    pub message: String,
    /// The rule that fired, e.g. "denied by `secrets/` (policy [scope] deny)".
    pub rule: String,
    /// The verified approval that covers an `approve` finding.
    pub approved_by: Option<SignOff>,
    /// More lines for a reader: the approvals that were refused, a recorded and a fresh output
    /// side by side.
    pub detail: Option<String>,
    /// Stable short id of a risk finding, for `[allowlist] findings`.
    pub fingerprint: Option<String>,
    /// An `approve` finding whose approval is due at merge, not yet (`[approvals] when =
    /// "merge"`, judged at commit or on a push to the agent's own branch): it does not block.
    pub deferred: bool,
}

impl Finding {
    pub fn new(kind: Kind, category: &str, action: Action, message: impl Into<String>) -> Self {
        Self {
            kind,
            category: category.to_string(),
            path: None,
            line: None,
            action,
            message: message.into(),
            rule: String::new(),
            approved_by: None,
            detail: None,
            fingerprint: None,
            deferred: false,
        }
    }

    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }

    pub fn rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = rule.into();
        self
    }

    /// Whether a verified approval covers it.
    pub fn approved(&self) -> bool {
        self.approved_by.is_some()
    }

    /// Whether this finding, as it stands, keeps the change from passing.
    pub fn blocks(&self) -> bool {
        crate::verdict::blocks(self.action, self.approved()) && !self.deferred
    }

    /// An approval still missing, due now or at merge.
    pub fn awaits_approval(&self) -> bool {
        self.action == Action::Approve && !self.approved()
    }
}
