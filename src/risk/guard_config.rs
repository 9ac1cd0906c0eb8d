//! The files that guard the rules wherever the repository keeps them: the approvals' trust
//! root and the hooks directory. Changing either is `guard-config`, which nothing silences.

use super::{Collector, RiskInput, GUARD_CONFIG};
use crate::diff::display_path;

/// Files that guard the rules wherever the repository puts them: the approvals' trust root
/// (`[approvals] allowed_signers`: a key added there approves anything) and the hooks
/// directory named by `core.hooksPath`.
pub(super) fn guarded_files(out: &mut Collector<'_>, input: &RiskInput<'_>) {
    let policy = &input.compiled.policy;
    // The target branch's signers too, when its policy narrows this one.
    let signers = std::iter::once(policy)
        .chain(policy.target.as_deref())
        .filter_map(|p| p.approvals.allowed_signers.as_deref());
    for signers in signers {
        guard(
            out,
            input,
            signers,
            false,
            "the `[approvals] allowed_signers` file: whoever is listed there can approve anything",
            "path is `[approvals] allowed_signers`",
        );
    }
    if let Some(hooks) = input.hooks_path {
        guard(
            out,
            input,
            hooks,
            true,
            "the hooks directory (`core.hooksPath`) whose hooks run agentguard",
            "path is below `core.hooksPath`",
        );
    }
}

/// A guard-config finding for each entry touching `target` (a file, or a directory and what
/// is below it), by its own paths or through a symlink; what a directory exposes is looked
/// at once, however many links point at it.
fn guard(
    out: &mut Collector<'_>,
    input: &RiskInput<'_>,
    target: &str,
    directory: bool,
    what: &str,
    rule: &str,
) {
    let target = target.trim().trim_start_matches("./").trim_end_matches('/');
    let Some(index) = out.index(GUARD_CONFIG) else {
        return;
    };
    if target.is_empty() {
        return;
    }
    let hits = |p: &[u8]| {
        let t = target.as_bytes();
        p == t || (directory && p.strip_prefix(t).is_some_and(|r| r.starts_with(b"/")))
    };
    let mut shown_already: std::collections::HashSet<String> = out
        .findings
        .iter()
        .filter(|f| f.category == GUARD_CONFIG)
        .filter_map(|f| f.path.clone())
        .collect();
    let mut exposed: std::collections::HashMap<&[u8], Option<&[u8]>> =
        std::collections::HashMap::new();
    for entry in &input.change.entries {
        let own = [&entry.old, &entry.new]
            .into_iter()
            .flatten()
            .map(|side| side.path.as_slice())
            .find(|p| hits(p));
        let through_link = || {
            let link = entry.symlink.as_ref()?;
            let resolved = link.resolved.as_deref()?;
            if hits(resolved) {
                return Some(resolved);
            }
            *exposed
                .entry(resolved)
                .or_insert_with(|| link.exposes.iter().map(Vec::as_slice).find(|p| hits(p)))
        };
        let Some(path) = own.or_else(through_link).map(display_path) else {
            continue;
        };
        let shown = entry
            .new
            .as_ref()
            .or(entry.old.as_ref())
            .map_or(path.clone(), |s| s.display_path());
        if !shown_already.insert(shown.clone()) {
            continue;
        }
        out.push(
            index,
            &shown,
            None,
            format!("changes `{path}`, {what}"),
            rule,
            &format!("path:{rule}"),
        );
    }
}
