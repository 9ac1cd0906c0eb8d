//! The verdict: whether a change may pass. It is decided here, from the findings, and nowhere
//! else; every format spells it through this type.

use crate::finding::{Action, Finding};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Block,
}

impl Verdict {
    /// Pass unless one of the findings blocks.
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        if findings.into_iter().any(Finding::blocks) {
            Verdict::Block
        } else {
            Verdict::Pass
        }
    }

    /// Pass only when every part passes (and so when there is none).
    pub fn all(verdicts: impl IntoIterator<Item = Verdict>) -> Self {
        if verdicts.into_iter().all(Verdict::passed) {
            Verdict::Pass
        } else {
            Verdict::Block
        }
    }

    pub fn passed(self) -> bool {
        self == Verdict::Pass
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Block => "block",
        }
    }

    /// The spelling read back from a stored record.
    pub fn parse(text: &str) -> Option<Self> {
        [Verdict::Pass, Verdict::Block]
            .into_iter()
            .find(|v| v.as_str() == text)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a finding with `action` keeps a change from passing: a block always, an approval
/// until it is given, a warning never.
pub(crate) fn blocks(action: Action, approved: bool) -> bool {
    match action {
        Action::Block => true,
        Action::Approve => !approved,
        Action::Warn => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Kind;

    #[test]
    fn one_blocking_finding_blocks() {
        let warn = Finding::new(Kind::Risk, "dependencies", Action::Warn, "w");
        let mut approve = Finding::new(Kind::Risk, "auth", Action::Approve, "a");
        assert_eq!(Verdict::of([&warn]), Verdict::Pass);
        assert_eq!(Verdict::of([&warn, &approve]), Verdict::Block);
        approve.approved_by = Some(crate::finding::SignOff {
            approver: "lead@example.com".into(),
            time: "2026-01-01T00:00:00Z".into(),
        });
        assert_eq!(Verdict::of([&warn, &approve]), Verdict::Pass);
        assert_eq!(Verdict::of([]), Verdict::Pass);
        assert_eq!(Verdict::all([]), Verdict::Pass);
        assert_eq!(
            Verdict::all([Verdict::Pass, Verdict::Block]),
            Verdict::Block
        );
        assert_eq!(Verdict::parse("block"), Some(Verdict::Block));
        assert_eq!(Verdict::parse("someday"), None);
    }
}
