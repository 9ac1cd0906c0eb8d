//! Path rules: each path an entry touches (both ends of a rename, a symlink's target and what
//! a link to a directory exposes) against each category's policy and built-in globs.

use super::{paths, Collector, Matcher, CREDENTIALS};
use crate::diff::{display_path, Entry, Status};

pub(super) fn path_rules(out: &mut Collector<'_>, matcher: &Matcher, entry: &Entry) {
    let all = vec![true; out.categories.len()];
    path_rules_of(out, matcher, entry, &all);
}

/// `path_rules` for the categories marked in `only`.
pub(super) fn path_rules_of(
    out: &mut Collector<'_>,
    matcher: &Matcher,
    entry: &Entry,
    only: &[bool],
) {
    let mut touched: Vec<(String, bool, Option<String>)> = Vec::new();
    if let Some(old) = &entry.old {
        touched.push((old.display_path(), false, None));
    }
    if let Some(new) = &entry.new {
        let path = new.display_path();
        touched.retain(|(p, _, _)| *p != path);
        touched.push((path.clone(), true, None));
        if let Some(link) = &entry.symlink {
            // A link to a directory exposes every file below it.
            for target in link.resolved.iter().chain(link.exposes.iter()) {
                touched.push((display_path(target), true, Some(path.clone())));
            }
        }
    }
    for index in 0..out.categories.len() {
        if !only.get(index).copied().unwrap_or(false) {
            continue;
        }
        let category = &out.categories[index];
        let builtin = matcher.paths(index);
        for (path, new_side, link) in &touched {
            // A deleted secret file is no leak; every other category cares about removals too.
            if category.name == CREDENTIALS && !new_side {
                continue;
            }
            let bytes = path.as_bytes();
            let (glob, source) = if let Some(glob) = category.paths.first_match(bytes) {
                (
                    glob.to_string(),
                    format!("policy [risk.{}] paths", category.name),
                )
            } else if let Some(glob) = builtin.include.first_match(bytes) {
                if builtin.exclude.is_match(bytes) {
                    continue;
                }
                (glob.to_string(), "built-in path rule".to_string())
            } else if let Some(word) = paths::builtin_word(&category.name, path) {
                (format!("word:{word}"), "built-in path rule".to_string())
            } else {
                continue;
            };
            let verb = match (entry.status, new_side) {
                (Status::Added, _) => "adds",
                (Status::Deleted, _) => "deletes",
                (Status::Renamed, false) => "renames away",
                (Status::Renamed, true) => "renames into",
                _ => "modifies",
            };
            let (shown, message) = match link {
                Some(link) => (
                    link.clone(),
                    format!(
                        "symlink to `{path}`, a file covered by `{}` ({})",
                        category.name, category.description
                    ),
                ),
                None => (
                    path.clone(),
                    format!(
                        "{verb} a file covered by `{}` ({})",
                        category.name, category.description
                    ),
                ),
            };
            let rule = format!("path matches `{glob}` ({source})");
            out.push(index, &shown, None, message, &rule, &format!("path:{glob}"));
            break;
        }
    }
}
