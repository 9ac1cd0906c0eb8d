//! Path rules: each path an entry touches (both ends of a rename, a symlink's target and what
//! a link to a directory exposes) against each category's policy and built-in globs. What a
//! directory exposes is judged once, however many links point at it.

use super::{paths, Collector, Matcher, CREDENTIALS};
use crate::diff::{display_path, Entry, Status};
use crate::policy::risk::RiskCategory;
use std::collections::HashMap;
use std::rc::Rc;

/// A path rule that fired: the path, the glob (or word) and where the rule comes from.
#[derive(Debug, Clone)]
struct Hit {
    path: String,
    glob: String,
    source: String,
}

/// For each directory a link exposes: per category, the first file below it a rule covers.
#[derive(Default)]
pub(super) struct Exposed(HashMap<Vec<u8>, Rc<Vec<Option<Hit>>>>);

impl Exposed {
    fn of(
        &mut self,
        categories: &[RiskCategory],
        matcher: &Matcher,
        dir: &[u8],
        files: &[Vec<u8>],
    ) -> Rc<Vec<Option<Hit>>> {
        if let Some(hits) = self.0.get(dir) {
            return Rc::clone(hits);
        }
        let shown: Vec<String> = files.iter().map(|f| display_path(f)).collect();
        let hits: Vec<Option<Hit>> = (0..categories.len())
            .map(|index| {
                shown
                    .iter()
                    .find_map(|path| rule_for(categories, matcher, index, path))
            })
            .collect();
        let hits = Rc::new(hits);
        self.0.insert(dir.to_vec(), Rc::clone(&hits));
        hits
    }
}

/// Whether a path rule of category `index` covers `path`.
pub(super) fn covered(
    categories: &[RiskCategory],
    matcher: &Matcher,
    index: usize,
    path: &str,
) -> bool {
    rule_for(categories, matcher, index, path).is_some()
}

/// The first rule of category `index` covering `path`, if any.
fn rule_for(
    categories: &[RiskCategory],
    matcher: &Matcher,
    index: usize,
    path: &str,
) -> Option<Hit> {
    let category = &categories[index];
    let builtin = matcher.paths(index);
    let bytes = path.as_bytes();
    let (glob, source) = if let Some(glob) = category.paths.first_match(bytes) {
        (
            glob.to_string(),
            format!("policy [risk.{}] paths", category.name),
        )
    } else if let Some(glob) = builtin.include.first_match(bytes) {
        if builtin.exclude.is_match(bytes) {
            return None;
        }
        (glob.to_string(), "built-in path rule".to_string())
    } else if let Some(word) = paths::builtin_word(&category.name, path) {
        (format!("word:{word}"), "built-in path rule".to_string())
    } else {
        return None;
    };
    Some(Hit {
        path: path.to_string(),
        glob,
        source,
    })
}

pub(super) fn path_rules(
    out: &mut Collector<'_>,
    matcher: &Matcher,
    exposed: &mut Exposed,
    entry: &Entry,
) {
    let all = vec![true; out.categories.len()];
    path_rules_of(out, matcher, exposed, entry, &all);
}

/// `path_rules` for the categories marked in `only`.
pub(super) fn path_rules_of(
    out: &mut Collector<'_>,
    matcher: &Matcher,
    exposed: &mut Exposed,
    entry: &Entry,
    only: &[bool],
) {
    // (path, on the new side) of the entry itself, then its link's target.
    let mut touched: Vec<(String, bool)> = Vec::new();
    if let Some(old) = &entry.old {
        touched.push((old.display_path(), false));
    }
    let mut link_path = None;
    // Where the link's target stands in `touched`.
    let mut target_at = None;
    if let Some(new) = &entry.new {
        let path = new.display_path();
        touched.retain(|(p, _)| *p != path);
        touched.push((path.clone(), true));
        if let Some(link) = &entry.symlink {
            link_path = Some(path);
            if let Some(target) = &link.resolved {
                target_at = Some(touched.len());
                touched.push((display_path(target), true));
            }
        }
    }
    // A link to a directory exposes every file below it.
    let below = entry.symlink.as_ref().and_then(|link| {
        let dir = link.resolved.as_ref()?;
        (!link.exposes.is_empty()).then(|| exposed.of(out.categories, matcher, dir, &link.exposes))
    });
    for index in 0..out.categories.len() {
        if !only.get(index).copied().unwrap_or(false) {
            continue;
        }
        let category = &out.categories[index];
        let own = touched
            .iter()
            .enumerate()
            .find_map(|(n, (path, new_side))| {
                // A deleted secret file is no leak; every other category cares about removals too.
                if category.name == CREDENTIALS && !new_side {
                    return None;
                }
                let hit = rule_for(out.categories, matcher, index, path)?;
                Some((hit, *new_side, Some(n) == target_at))
            });
        let found = own.or_else(|| {
            let hit = below.as_ref()?.get(index)?.clone()?;
            Some((hit, true, true))
        });
        let Some((hit, new_side, through_link)) = found else {
            continue;
        };
        let verb = match (entry.status, new_side) {
            (Status::Added, _) => "adds",
            (Status::Deleted, _) => "deletes",
            (Status::Renamed, false) => "renames away",
            (Status::Renamed, true) => "renames into",
            _ => "modifies",
        };
        let category = &out.categories[index];
        let (shown, message) = match (&link_path, through_link) {
            (Some(link), true) => (
                link.clone(),
                format!(
                    "symlink to `{}`, a file covered by `{}` ({})",
                    hit.path, category.name, category.description
                ),
            ),
            _ => (
                hit.path.clone(),
                format!(
                    "{verb} a file covered by `{}` ({})",
                    category.name, category.description
                ),
            ),
        };
        let rule = format!("path matches `{}` ({})", hit.glob, hit.source);
        out.push(
            index,
            &shown,
            None,
            message,
            &rule,
            &format!("path:{}", hit.glob),
        );
    }
}
