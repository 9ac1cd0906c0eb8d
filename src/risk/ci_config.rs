//! CI configuration that lives outside the usual places: the local actions a GitHub workflow
//! runs (`uses: ./tools/setup`) and the files a `.gitlab-ci.yml` includes (`include: local`),
//! wherever they are. Which files those are is read from the CI files of the base and of the
//! change itself; editing one changes what CI runs, so it is `ci-config` like the workflow.

use super::{path_rules, Collector, CompiledPolicy};
use crate::diff::raw::{EntryKind, Trees};
use crate::diff::Change;
use crate::finding::Finding;
use crate::glob::{Case, GlobList};
use git2::Oid;
use std::collections::HashSet;

pub(crate) const CI_CONFIG: &str = "ci-config";

/// Files read to follow local actions and includes, at most; a web of includes stops here.
const MAX_FILES: usize = 200;

/// One place the CI configuration runs from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CiPath {
    /// A file, a directory (everything below it) or a glob (`include: local` wildcards).
    pub(crate) target: Target,
    /// Why: the CI file and what it says.
    pub(crate) source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    File(String),
    Directory(String),
    Glob(String),
}

impl CiPath {
    fn covers(&self, path: &str, globs: &mut Vec<(String, GlobList)>) -> bool {
        match &self.target {
            Target::File(file) => path == file,
            Target::Directory(dir) => path
                .strip_prefix(dir.as_str())
                .is_some_and(|rest| rest.starts_with('/')),
            Target::Glob(pattern) => {
                if !globs.iter().any(|(p, _)| p == pattern) {
                    let list = GlobList::with_case(&[format!("/{pattern}")], Case::Insensitive)
                        .unwrap_or_else(|_| GlobList::empty());
                    globs.push((pattern.clone(), list));
                }
                globs
                    .iter()
                    .find(|(p, _)| p == pattern)
                    .is_some_and(|(_, list)| list.is_match(path.as_bytes()))
            }
        }
    }
}

/// The places the CI files of `trees` (the base's and the change's) run from.
pub(crate) fn local_paths(
    git: &git2::Repository,
    trees: &[Oid],
) -> Result<Vec<CiPath>, git2::Error> {
    let mut reader = Reader {
        trees: Trees::new(git)?,
        seen: HashSet::new(),
        out: Vec::new(),
    };
    for &tree in trees {
        reader.github(tree)?;
        reader.gitlab(tree)?;
    }
    let mut out = reader.out;
    out.dedup_by(|a, b| a.target == b.target);
    Ok(out)
}

struct Reader<'r> {
    trees: Trees<'r>,
    /// (tree, path) already read.
    seen: HashSet<(Oid, String)>,
    out: Vec<CiPath>,
}

impl Reader<'_> {
    /// The text of the file at `path` in `tree`, once per tree and path.
    fn read(&mut self, tree: Oid, path: &str) -> Result<Option<String>, git2::Error> {
        if self.seen.len() >= MAX_FILES || !self.seen.insert((tree, path.to_string())) {
            return Ok(None);
        }
        match self.trees.entry_at(tree, path.as_bytes())? {
            Some(entry) if entry.kind() == EntryKind::File => Ok(Some(
                String::from_utf8_lossy(&self.trees.blob(entry.oid)?).into_owned(),
            )),
            _ => Ok(None),
        }
    }

    fn push(&mut self, target: Target, source: String) {
        if !self.out.iter().any(|p| p.target == target) {
            self.out.push(CiPath { target, source });
        }
    }

    /// Local actions and reusable workflows the workflows use, and what those use in turn.
    fn github(&mut self, tree: Oid) -> Result<(), git2::Error> {
        let Some(dir) = self.trees.entry_at(tree, b".github/workflows")? else {
            return Ok(());
        };
        if !dir.is_tree() {
            return Ok(());
        }
        let mut pending: Vec<String> = self
            .trees
            .tree(dir.oid)?
            .entries
            .iter()
            .filter(|e| e.kind() == EntryKind::File)
            .map(|e| String::from_utf8_lossy(&e.name).into_owned())
            .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
            .map(|n| format!(".github/workflows/{n}"))
            .collect();
        while let Some(file) = pending.pop() {
            let Some(text) = self.read(tree, &file)? else {
                continue;
            };
            for used in local_uses(&text) {
                let source = format!("`{file}` uses `./{used}`");
                if used.is_empty() {
                    // The repository itself is the action: its action file and what it runs.
                    for name in ["action.yml", "action.yaml"] {
                        self.push(Target::File(name.to_string()), source.clone());
                        pending.push(name.to_string());
                    }
                } else if used.ends_with(".yml") || used.ends_with(".yaml") {
                    self.push(Target::File(used.clone()), source);
                    pending.push(used);
                } else {
                    self.push(Target::Directory(used.clone()), source);
                    for name in ["action.yml", "action.yaml"] {
                        pending.push(format!("{used}/{name}"));
                    }
                }
            }
            // An action at the root names the files it runs (`main`, `pre`, `post`, a
            // Dockerfile); below a directory they are covered by the directory already.
            if !file.contains('/') {
                for run in action_runs(&text) {
                    self.push(Target::File(run), format!("`{file}` runs it"));
                }
            }
        }
        Ok(())
    }

    /// Files `.gitlab-ci.yml` includes from the repository, and what those include.
    fn gitlab(&mut self, tree: Oid) -> Result<(), git2::Error> {
        let mut pending = vec![".gitlab-ci.yml".to_string()];
        while let Some(file) = pending.pop() {
            let Some(text) = self.read(tree, &file)? else {
                continue;
            };
            for included in local_includes(&text) {
                let source = format!("`{file}` includes `{included}`");
                let path = included.trim_start_matches('/').to_string();
                if path.contains(['*', '?', '[']) {
                    self.push(Target::Glob(path), source);
                } else {
                    self.push(Target::File(path.clone()), source);
                    pending.push(path);
                }
            }
        }
        Ok(())
    }
}

/// The `./…` paths of `uses:` lines (without `./` and a trailing `/`; empty for `./`).
fn local_uses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start().trim_start_matches("- ").trim_start();
        let Some(value) = line.strip_prefix("uses:") else {
            continue;
        };
        let value = unquote(value);
        let Some(local) = value.strip_prefix("./") else {
            continue;
        };
        let local = local.trim_end_matches('/');
        if local.split('/').any(|c| c == "..") {
            continue;
        }
        out.push(local.trim_start_matches("./").to_string());
    }
    out
}

/// The files a root `action.yml` runs: `main`, `pre` and `post` scripts and a local
/// Dockerfile `image`.
fn action_runs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        for key in ["main:", "pre:", "post:", "image:"] {
            if let Some(value) = line.strip_prefix(key) {
                let value = unquote(value);
                let value = value.trim_start_matches("./");
                if !value.is_empty() && !value.contains("://") && !value.contains("..") {
                    out.push(value.to_string());
                }
            }
        }
    }
    out
}

/// The local files of a GitLab `include:`: `include: 'path'`, a list of paths, `local:`
/// entries, and the flow forms `['a', 'b']` and `{ local: 'a' }`. Remote URLs, `project`,
/// `template` and `component` includes are not in this repository.
fn local_includes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        let indent = line.len() - line.trim_start().len();
        let Some(rest) = line.trim_start().strip_prefix("include:") else {
            continue;
        };
        let rest = strip_comment(rest).trim();
        if !rest.is_empty() {
            inline_includes(rest, &mut out);
            continue;
        }
        // A block: every more-indented line below `include:`.
        let mut in_project = false;
        while i < lines.len() {
            let next = lines[i];
            let trimmed = next.trim_start();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                let next_indent = next.len() - trimmed.len();
                if next_indent <= indent && !trimmed.starts_with("- ") {
                    break;
                }
                if next_indent < indent {
                    break;
                }
            }
            i += 1;
            let item = trimmed.strip_prefix("- ");
            let body = strip_comment(item.unwrap_or(trimmed)).trim();
            if item.is_some() {
                in_project = false;
            }
            if let Some(key_value) = body.split_once(':').filter(|(k, _)| is_key(k)) {
                let (key, value) = key_value;
                match key.trim() {
                    "local" => out.push(unquote(value)),
                    "project" | "remote" | "template" | "component" => in_project = true,
                    "file" if in_project => {}
                    _ => {}
                }
            } else if item.is_some() && !body.is_empty() {
                let value = unquote(body);
                if !value.contains("://") {
                    out.push(value);
                }
            }
        }
    }
    out.retain(|p| !p.is_empty() && !p.split('/').any(|c| c == ".."));
    out
}

/// `'a'`, `['a', "b"]` or `{ local: 'a' }` after `include:`.
fn inline_includes(value: &str, out: &mut Vec<String>) {
    let value = value.trim();
    if let Some(list) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        for item in list.split(',') {
            inline_includes(item, out);
        }
    } else if let Some(map) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
        for pair in map.split(',') {
            if let Some((key, file)) = pair.split_once(':') {
                if key.trim() == "local" {
                    out.push(unquote(file));
                }
            }
        }
    } else {
        let path = unquote(value);
        if !path.contains("://") {
            out.push(path);
        }
    }
}

/// A YAML key: a plain word (not the `https` of a URL).
fn is_key(key: &str) -> bool {
    let key = key.trim();
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !key.starts_with(['\'', '"'])
}

fn strip_comment(text: &str) -> &str {
    match text.find(" #") {
        Some(at) => &text[..at],
        None if text.trim_start().starts_with('#') => "",
        None => text,
    }
}

/// A scalar without its quotes and trailing comment.
fn unquote(value: &str) -> String {
    let value = strip_comment(value).trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value);
    value.trim().to_string()
}

/// A `ci-config` finding for each path of the change that a CI file runs from, unless a
/// path rule already names it.
pub(crate) fn findings(
    compiled: &CompiledPolicy,
    change: &Change,
    places: &[CiPath],
) -> Vec<Finding> {
    let Ok(matcher) = compiled.matcher() else {
        return Vec::new();
    };
    let policy = &compiled.policy;
    let mut out = Collector {
        categories: &policy.risk.categories,
        allowlist: &policy.allowlist,
        findings: Vec::new(),
    };
    let Some(index) = out.index(CI_CONFIG) else {
        return Vec::new();
    };
    if places.is_empty() {
        return Vec::new();
    }
    let mut globs = Vec::new();
    for entry in &change.entries {
        for side in [&entry.old, &entry.new].into_iter().flatten() {
            let path = side.display_path();
            if path_rules::covered(out.categories, matcher, index, &path) {
                continue;
            }
            let Some(place) = places.iter().find(|p| p.covers(&path, &mut globs)) else {
                continue;
            };
            let verb = match (entry.old.is_some(), entry.new.is_some()) {
                (false, _) => "adds",
                (_, false) => "deletes",
                _ => "modifies",
            };
            let category = &out.categories[index];
            let message = format!(
                "{verb} a file CI runs ({}), covered by `{}` ({})",
                place.source, category.name, category.description
            );
            out.push(
                index,
                &path,
                None,
                message,
                &format!("CI runs it: {} (built-in)", place.source),
                &format!("ci:{}", place.source),
            );
            break;
        }
    }
    out.findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_of_local_actions_and_workflows() {
        let workflow = "jobs:\n  build:\n    steps:\n      - uses: actions/checkout@v4\n      - uses: ./tools/setup\n      - name: x\n        uses: './.github/workflows/reusable.yml'  # shared\n      - uses: ./\n      - uses: ./../escape\n";
        assert_eq!(
            local_uses(workflow),
            ["tools/setup", ".github/workflows/reusable.yml", ""]
        );
    }

    #[test]
    fn gitlab_includes_in_every_form() {
        let text = "include: 'ci/short.yml'\nstages: [test]\n";
        assert_eq!(local_includes(text), ["ci/short.yml"]);
        let text = "include:\n  - 'ci/a.yml'\n  - local: /ci/b.yml\n  - project: group/p\n    file: /templates/x.yml\n  - remote: https://example.com/x.yml\n  - https://example.com/y.yml\n  - template: Auto-DevOps.gitlab-ci.yml\n  - local: 'ci/*.yml'\njob:\n  script: echo\n";
        assert_eq!(local_includes(text), ["ci/a.yml", "/ci/b.yml", "ci/*.yml"]);
        let text = "include:\n  local: ci/c.yml\n";
        assert_eq!(local_includes(text), ["ci/c.yml"]);
        let text = "include: ['ci/d.yml', \"ci/e.yml\"]\n";
        assert_eq!(local_includes(text), ["ci/d.yml", "ci/e.yml"]);
        let text = "include: { local: 'ci/f.yml' }\n";
        assert_eq!(local_includes(text), ["ci/f.yml"]);
    }

    #[test]
    fn a_root_action_names_what_it_runs() {
        let action = "runs:\n  using: node20\n  main: 'dist/index.js'\n  post: ./dist/post.js\n";
        assert_eq!(action_runs(action), ["dist/index.js", "dist/post.js"]);
        assert_eq!(
            action_runs("runs:\n  using: docker\n  image: Dockerfile\n"),
            ["Dockerfile"]
        );
        assert!(action_runs("runs:\n  image: docker://alpine\n").is_empty());
    }
}
