//! Renderers: each turns reports into text in one format; none decides anything.

pub mod human;
pub mod json;
mod runs;

use crate::engine::CommitReport;

pub const SCHEMA: &str = "agentguard.report/v1";

/// The overall verdict over every judged commit.
pub fn verdict(reports: &[CommitReport]) -> &'static str {
    if reports.iter().all(CommitReport::passed) {
        "pass"
    } else {
        "block"
    }
}
