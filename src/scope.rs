//! Scope: every path a change touches must be allowed by every layer that lists `allow`
//! globs and denied by none. Symlinks are judged by their own path and by their target.

use crate::diff::{display_path, Change};
use crate::finding::{Action, Finding, Kind};
use crate::task::ScopeLayer;

pub fn check(change: &Change, layers: &[ScopeLayer]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for entry in &change.entries {
        for path in entry.touched_paths() {
            if let Some(finding) = judge(path, layers) {
                findings.push(finding);
            }
        }
        let (Some(new), Some(target)) = (&entry.new, &entry.symlink_target) else {
            continue;
        };
        let link = new.display_path();
        match resolve_symlink(&new.path, target) {
            None => findings.push(
                Finding::new(
                    Kind::Scope,
                    "symlink-escape",
                    Action::Block,
                    format!(
                        "symlink {link} points to `{}`, outside the repository",
                        display_path(target)
                    ),
                )
                .at(&link)
                .rule("symlinks must resolve inside the repository"),
            ),
            Some(resolved) => {
                if let Some(mut finding) = judge(&resolved, layers) {
                    finding.message = format!("symlink {link} points to {}", finding.message);
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

/// The repository-relative path a symlink at `link` resolves to, or `None` if it leaves the
/// repository (absolute target or too many `..`).
pub fn resolve_symlink(link: &[u8], target: &[u8]) -> Option<Vec<u8>> {
    if target.first() == Some(&b'/') || target.is_empty() {
        return None;
    }
    let mut parts: Vec<&[u8]> = link.split(|b| *b == b'/').collect();
    parts.pop();
    for component in target.split(|b| *b == b'/') {
        match component {
            b"" | b"." => {}
            b".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        // The repository root itself: everything is below it.
        return Some(b".".to_vec());
    }
    Some(parts.join(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::resolve_symlink;

    fn r(link: &str, target: &str) -> Option<String> {
        resolve_symlink(link.as_bytes(), target.as_bytes()).map(|p| String::from_utf8(p).unwrap())
    }

    #[test]
    fn resolves_relative_targets() {
        assert_eq!(r("a/b/link", "../c/d").as_deref(), Some("a/c/d"));
        assert_eq!(r("link", "./x/./y").as_deref(), Some("x/y"));
        assert_eq!(r("a/link", "..").as_deref(), Some("."));
    }

    #[test]
    fn escaping_targets_are_none() {
        assert_eq!(r("link", "/etc/passwd"), None);
        assert_eq!(r("a/link", "../../x"), None);
        assert_eq!(r("link", ""), None);
    }
}
