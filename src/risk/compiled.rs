//! A policy together with its risk rules in compiled form. The policy itself is plain data;
//! whoever reads it keeps one of these beside it for as long as the policy is in force.

use super::Matcher;
use crate::policy::Policy;
use std::sync::OnceLock;

#[derive(Debug)]
pub struct CompiledPolicy {
    pub policy: Policy,
    /// Every path glob and content rule, compiled on first use: a human commit, which is
    /// never scanned, does not pay for it.
    matcher: OnceLock<Result<Matcher, String>>,
}

impl CompiledPolicy {
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            matcher: OnceLock::new(),
        }
    }

    /// The compiled rules (each policy regex was already validated when the policy was read).
    pub fn matcher(&self) -> Result<&Matcher, &str> {
        self.matcher
            .get_or_init(|| Matcher::build(&self.policy.risk.categories).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(String::as_str)
    }
}
