//! Renderers: each turns reports into text in one format; none decides anything.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod ledger;
pub mod markdown;
pub mod otel;
pub mod runs;
pub mod sarif;
pub mod show;
mod style;
#[cfg(test)]
pub(crate) mod test_support;

pub use style::Styles;

use crate::engine::CommitReport;
use crate::verdict::Verdict;

pub const SCHEMA: &str = "agentguard.report/v1";

/// Text from the change or from a command, made safe for a terminal: control characters
/// (escape sequences could rewrite what the reviewer sees) and invisible formatting characters
/// (bidirectional overrides, zero-width characters could hide or reorder it) are shown escaped.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                if needs_escape(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// "s" for anything but one.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The overall verdict over every judged commit.
pub fn verdict(reports: &[CommitReport]) -> Verdict {
    Verdict::all(reports.iter().map(CommitReport::verdict))
}

/// The commit a report is about, shortened for display: ten hex digits, or `staged` for a
/// staged change.
pub(crate) fn short_commit(report: &CommitReport) -> String {
    match report.commit {
        Some(commit) => {
            let hex = commit.to_string();
            hex[..hex.len().min(10)].to_string()
        }
        None => "staged".to_string(),
    }
}

/// The full commit id, or `staged`.
pub(crate) fn full_commit(report: &CommitReport) -> String {
    report
        .commit
        .map_or_else(|| "staged".to_string(), |c| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn escapes_control_characters_only() {
        assert_eq!(printable("ok\ttab\nline"), "ok\ttab\nline");
        assert_eq!(printable("\u{1b}[2Kgood"), "\\u{1b}[2Kgood");
        assert_eq!(printable("a\rb"), "a\\u{d}b");
        assert_eq!(printable("ok\u{202e}gnp.exe"), "ok\\u{202e}gnp.exe");
        assert_eq!(printable("a\u{200b}b"), "a\\u{200b}b");
        assert_eq!(printable("café ✓"), "café ✓");
    }
}
