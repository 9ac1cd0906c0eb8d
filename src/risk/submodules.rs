//! Submodules: a gitlink added or repointed, a `.gitmodules` url or path changed. A checkout
//! of the change then fetches and runs against code from elsewhere, which nothing else in the
//! change shows: `submodules`, which needs a human's approval by default.

use super::{Collector, RiskInput};
use crate::diff::{SubmoduleChange, SubmoduleEdit};

pub(crate) const SUBMODULES: &str = "submodules";

pub(super) fn submodules(out: &mut Collector<'_>, input: &RiskInput<'_>) {
    let Some(index) = out.index(SUBMODULES) else {
        return;
    };
    for change in &input.change.submodules {
        let (message, matched) = describe(change);
        out.push(
            index,
            &change.path,
            None,
            message,
            "submodule changes (built-in)",
            &matched,
        );
    }
}

/// The finding's message, and what its fingerprint is made from.
fn describe(change: &SubmoduleChange) -> (String, String) {
    let short = |oid: &git2::Oid| oid.to_string()[..12].to_string();
    let url = change
        .url
        .as_deref()
        .map(|u| format!(" (url `{u}`)"))
        .unwrap_or_else(|| " (no url in .gitmodules)".to_string());
    let name = change.name.as_deref().unwrap_or(&change.path);
    match &change.edit {
        SubmoduleEdit::Added { commit } => (
            format!(
                "adds submodule `{}` at commit {}{url}",
                change.path,
                short(commit)
            ),
            format!("gitlink:{commit}"),
        ),
        SubmoduleEdit::Repointed { from, to } => (
            format!(
                "repoints submodule `{}` from commit {} to {}{url}",
                change.path,
                short(from),
                short(to)
            ),
            format!("gitlink:{from}:{to}"),
        ),
        SubmoduleEdit::Url { from } => {
            let to = change.url.as_deref().unwrap_or_default();
            let message = match from {
                Some(from) => {
                    format!("changes the url of submodule `{name}` from `{from}` to `{to}`")
                }
                None => format!("sets the url of submodule `{name}` to `{to}`"),
            };
            (message, format!("url:{name}:{to}"))
        }
        SubmoduleEdit::Moved { from } => (
            format!("moves submodule `{name}` from `{from}`{url}"),
            format!("moved:{name}:{from}"),
        ),
    }
}
