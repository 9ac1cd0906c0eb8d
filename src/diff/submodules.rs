//! What a change does to its submodules: a gitlink added or pointed at another commit, and
//! a `.gitmodules` url changed or a submodule moved. Each makes a checkout fetch other code.

use super::gitmodules::{self, Submodule};
use super::raw::{EntryKind, Trees};
use super::{Entry, MODE_GITLINK};
use git2::Oid;

/// One thing the change does to a submodule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmoduleChange {
    /// The submodule's path (the gitlink's, or `.gitmodules` for a url change).
    pub path: String,
    /// Its name in `.gitmodules`, when it has one there.
    pub name: Option<String>,
    /// Its url in the judged tree's `.gitmodules`.
    pub url: Option<String>,
    pub edit: SubmoduleEdit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmoduleEdit {
    /// A new gitlink.
    Added { commit: Oid },
    /// A gitlink pointed at another commit.
    Repointed { from: Oid, to: Oid },
    /// A url set or changed in `.gitmodules`.
    Url { from: Option<String> },
    /// A submodule's path changed in `.gitmodules`.
    Moved { from: String },
}

/// The submodule changes of `entries` (the change from `old` to `new`).
pub(super) fn changes(
    trees: &mut Trees<'_>,
    old: Option<Oid>,
    new: Oid,
    entries: &[Entry],
) -> Result<Vec<SubmoduleChange>, git2::Error> {
    let gitmodules_touched = entries
        .iter()
        .any(|e| e.touched_paths().contains(&&b".gitmodules"[..]));
    let gitlinks: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.new.as_ref().is_some_and(|n| n.mode == MODE_GITLINK))
        .collect();
    if !gitmodules_touched && gitlinks.is_empty() {
        return Ok(Vec::new());
    }
    let after = read(trees, Some(new))?;
    let before = read(trees, old)?;
    let mut out = Vec::new();
    for entry in gitlinks {
        let Some(new_side) = &entry.new else { continue };
        let path = new_side.display_path();
        let defined = after
            .iter()
            .find(|s| s.path.as_deref() == Some(path.as_str()));
        let edit = match &entry.old {
            Some(old) if old.mode == MODE_GITLINK => SubmoduleEdit::Repointed {
                from: old.oid,
                to: new_side.oid,
            },
            _ => SubmoduleEdit::Added {
                commit: new_side.oid,
            },
        };
        out.push(SubmoduleChange {
            path,
            name: defined.map(|s| s.name.clone()),
            url: defined.and_then(|s| s.url.clone()),
            edit,
        });
    }
    if gitmodules_touched {
        for submodule in &after {
            let previous = before.iter().find(|s| s.name == submodule.name);
            let was = |get: fn(&Submodule) -> Option<&String>| previous.and_then(get).cloned();
            if submodule.url.is_some() && submodule.url != was(|s| s.url.as_ref()) {
                out.push(SubmoduleChange {
                    path: ".gitmodules".to_string(),
                    name: Some(submodule.name.clone()),
                    url: submodule.url.clone(),
                    edit: SubmoduleEdit::Url {
                        from: was(|s| s.url.as_ref()),
                    },
                });
            }
            if let (Some(from), Some(_)) = (was(|s| s.path.as_ref()), &submodule.path) {
                if Some(&from) != submodule.path.as_ref() {
                    out.push(SubmoduleChange {
                        path: ".gitmodules".to_string(),
                        name: Some(submodule.name.clone()),
                        url: submodule.url.clone(),
                        edit: SubmoduleEdit::Moved { from },
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The submodules `.gitmodules` at the root of `tree` defines; none when there is no such
/// file or git could not read it (the tree check reports that).
fn read(trees: &mut Trees<'_>, tree: Option<Oid>) -> Result<Vec<Submodule>, git2::Error> {
    let Some(tree) = tree else {
        return Ok(Vec::new());
    };
    let entry = match trees.entry_at(tree, b".gitmodules")? {
        Some(entry) if entry.kind() == EntryKind::File => entry,
        _ => return Ok(Vec::new()),
    };
    let bytes = trees.blob(entry.oid)?;
    Ok(std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| gitmodules::parse(text).ok())
        .unwrap_or_default())
}
