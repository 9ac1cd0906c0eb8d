//! Risk: the high-risk categories a change touches, by path and by added content.

use crate::diff::{Change, FileAdditions};
use crate::finding::Finding;
use crate::policy::Policy;
use crate::task::AcceptanceCommand;

/// Everything the risk rules look at for one change.
pub struct RiskInput<'a> {
    pub change: &'a Change,
    pub additions: &'a [FileAdditions],
    pub acceptance: &'a [AcceptanceCommand],
    pub policy: &'a Policy,
}

/// Findings of kind `risk` for the change.
pub fn scan(input: &RiskInput<'_>) -> Vec<Finding> {
    let _ = input;
    Vec::new()
}
