//! Scope: every path a change touches must be allowed by every layer that lists `allow`
//! globs and denied by none. Symlinks are judged by their own path and by their target.

use crate::diff::{display_path, Change};
use crate::finding::{Action, Finding, Kind};
use crate::task::ScopeLayer;
use std::collections::HashMap;

pub fn check(change: &Change, layers: &[ScopeLayer]) -> Vec<Finding> {
    let mut findings = Vec::new();
    // Many links to one directory are judged once.
    let mut judged_targets: HashMap<Vec<u8>, Option<Finding>> = HashMap::new();
    for entry in &change.entries {
        for path in entry.touched_paths() {
            if let Some(finding) = judge(path, layers) {
                findings.push(finding);
            }
        }
        let (Some(new), Some(symlink)) = (&entry.new, &entry.symlink) else {
            continue;
        };
        let link = new.display_path();
        match &symlink.resolved {
            None => findings.push(
                Finding::new(
                    Kind::Scope,
                    "symlink-escape",
                    Action::Block,
                    format!(
                        "symlink {link} points to `{}`, outside the repository",
                        display_path(&symlink.target)
                    ),
                )
                .at(&link)
                .rule("symlinks must resolve inside the repository"),
            ),
            Some(resolved) => {
                // A link to a directory opens up every file below it.
                let exposed = judged_targets
                    .entry(resolved.clone())
                    .or_insert_with(|| {
                        std::iter::once(resolved.as_slice())
                            .chain(symlink.exposes.iter().map(Vec::as_slice))
                            .find_map(|path| judge(path, layers))
                    })
                    .clone();
                if let Some(mut finding) = exposed {
                    finding.message = if symlink.exposes.is_empty() {
                        format!("symlink {link} points to {}", finding.message)
                    } else {
                        format!(
                            "symlink {link} points to directory {}, exposing {}",
                            display_path(resolved),
                            finding.message
                        )
                    };
                    finding.path = Some(link.clone());
                    findings.push(finding);
                }
            }
        }
    }
    findings
}

/// A `malformed-tree` finding for each problem `git fsck` has with a tree the change
/// introduces: such a tree can hide a path from a diff that `git checkout` still writes, so
/// the change is judged as git reads it and blocked whatever else it does.
pub(crate) fn malformed_trees(change: &Change) -> Vec<Finding> {
    change
        .malformed
        .iter()
        .map(|found| {
            let tree = if found.tree.is_empty() {
                "the root tree".to_string()
            } else {
                format!("the tree at `{}`", display_path(&found.tree))
            };
            let problem = &found.problem;
            let entry = problem
                .entry
                .as_ref()
                .map(|name| format!(" (`{}`)", display_path(name).escape_debug()))
                .unwrap_or_default();
            let more = match problem.count {
                0 | 1 => String::new(),
                n => format!(", {} entries in all", n),
            };
            let mut finding = Finding::new(
                Kind::Scope,
                "malformed-tree",
                Action::Block,
                format!(
                    "{tree} {}{entry}{more} (git fsck: {}); a diff can miss paths git checks out from such a tree",
                    problem.detail, problem.check
                ),
            )
            .rule(format!("trees must pass `git fsck` ({})", problem.check));
            let path = match &problem.entry {
                Some(name) if !name.is_empty() => crate::diff::raw::join(&found.tree, name),
                _ => found.tree.clone(),
            };
            if !path.is_empty() {
                finding = finding.at(display_path(&path));
            }
            finding
        })
        .collect()
}

/// The first scope rule `path` breaks, if any.
fn judge(path: &[u8], layers: &[ScopeLayer]) -> Option<Finding> {
    let shown = display_path(path);
    if path
        .split(|b| *b == b'/')
        .any(|c| c.eq_ignore_ascii_case(b".git"))
    {
        return Some(
            Finding::new(
                Kind::Scope,
                "denied",
                Action::Block,
                format!("{shown} is inside a .git directory"),
            )
            .at(&shown)
            .rule("`.git/**` is always denied"),
        );
    }
    for layer in layers {
        if let Some(pattern) = layer.deny.first_match(path) {
            return Some(
                Finding::new(
                    Kind::Scope,
                    "denied",
                    Action::Block,
                    format!("{shown} matches a denied path"),
                )
                .at(&shown)
                .rule(format!("deny `{pattern}` ({})", layer.name)),
            );
        }
    }
    for layer in layers {
        let Some(allow) = &layer.allow else { continue };
        if allow.first_match(path).is_none() {
            let allowed = if allow.is_empty() {
                "nothing".to_string()
            } else {
                allow
                    .patterns()
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Some(
                Finding::new(
                    Kind::Scope,
                    "outside-allow",
                    Action::Block,
                    format!("{shown} is outside the allowed paths"),
                )
                .at(&shown)
                .rule(format!("allow {allowed} ({})", layer.name)),
            );
        }
    }
    None
}
