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
