//! Risk: the high-risk categories a change touches, by path and by added content.
//!
//! Path rules look at every path an entry touches (both ends of a rename; a symlink's target
//! too). Content rules look at added lines only, through the policy's compiled `Matcher`.
//! Secrets are redacted in every message; each finding carries a stable fingerprint that the
//! policy's `[allowlist] findings` accepts.

mod matcher;
pub mod paths;
pub mod rules;
pub mod secrets;
pub mod tampering;

pub use matcher::{Matcher, MatcherError};

use crate::diff::{display_path, Change, Entry, FileAdditions, Side, Status};
use crate::finding::{Finding, Kind};
use crate::policy::risk::RiskCategory;
use crate::policy::{Allowlist, Policy};
use crate::task::AcceptanceCommand;
use paths::FileContext;
use rules::Check;
use sha2::{Digest, Sha256};

/// Everything the risk rules look at for one change.
pub struct RiskInput<'a> {
    pub change: &'a Change,
    pub additions: &'a [FileAdditions],
    pub acceptance: &'a [AcceptanceCommand],
    pub policy: &'a Policy,
}

pub const CREDENTIALS: &str = "credentials";
pub const GUARD_CONFIG: &str = "guard-config";
pub const TEST_TAMPERING: &str = "test-tampering";

/// Content findings kept per file and category; the rest are counted in one summary finding.
const MAX_LINE_FINDINGS: usize = 25;

/// A change built from paths alone, outside any repository: for scanning fixtures, corpora
/// and benchmarks. Each entry is (status, old path, new path); blob ids are zero.
#[doc(hidden)]
pub fn detached_change(entries: &[(Status, Option<&str>, Option<&str>)]) -> Change {
    let side = |path: &str| Side {
        path: path.as_bytes().to_vec(),
        mode: 0o100644,
        oid: git2::Oid::zero(),
    };
    let entries: Vec<Entry> = entries
        .iter()
        .map(|(status, old, new)| Entry {
            status: *status,
            old: old.map(side),
            new: new.map(side),
            symlink: None,
        })
        .collect();
    Change {
        tree: git2::Oid::zero(),
        fingerprint: crate::diff::fingerprint(&entries),
        entries,
    }
}

/// Findings of kind `risk` for the change.
pub fn scan(input: &RiskInput<'_>) -> Vec<Finding> {
    let risk = &input.policy.risk;
    let allowlist = &input.policy.allowlist;
    let matcher = match risk.matcher() {
        Ok(matcher) => matcher,
        // Fail closed: without its rules the change cannot be cleared.
        Err(reason) => {
            return vec![Finding::new(
                Kind::Risk,
                CREDENTIALS,
                crate::finding::Action::Block,
                format!("the risk rules could not be compiled: {reason}"),
            )
            .rule("risk rules")]
        }
    };
    let mut out = Collector {
        categories: &risk.categories,
        allowlist,
        findings: Vec::new(),
    };
    for entry in &input.change.entries {
        path_rules(&mut out, &matcher, entry);
    }
    test_tampering(&mut out, input);
    // Only guard-config survives the path allowlist; without content rules of its own there
    // is nothing to look for in an allowlisted file (vendored code, generated data).
    let guard_has_content = risk
        .get(GUARD_CONFIG)
        .is_some_and(|c| !c.content.is_empty());
    for file in input.additions {
        if file.lines.is_empty()
            || (!guard_has_content && allowlist.paths.is_match(file.path.as_bytes()))
        {
            continue;
        }
        content_rules(&mut out, &matcher, file);
    }
    out.findings
}

struct Collector<'a> {
    categories: &'a [RiskCategory],
    allowlist: &'a Allowlist,
    findings: Vec<Finding>,
}

impl Collector<'_> {
    fn index(&self, name: &str) -> Option<usize> {
        self.categories.iter().position(|c| c.name == name)
    }

    fn allowlisted(&self, index: usize, path: &str, print: &str) -> bool {
        // guard-config protects the allowlist itself: nothing in policy can silence it.
        self.categories[index].name != GUARD_CONFIG
            && (self.allowlist.paths.is_match(path.as_bytes())
                || self.allowlist.findings.contains(print))
    }

    /// Records a finding of category `index` unless the allowlist accepts it; `matched` feeds
    /// the fingerprint only. Returns whether it was recorded.
    fn push(
        &mut self,
        index: usize,
        path: &str,
        line: Option<u32>,
        message: String,
        rule: &str,
        matched: &str,
    ) -> bool {
        let category = &self.categories[index];
        let print = fingerprint(&category.name, path, matched);
        if self.allowlisted(index, path, &print) {
            return false;
        }
        let mut finding = Finding::new(Kind::Risk, &category.name, category.action, message)
            .at(path)
            .rule(format!("{rule}; allowlist fingerprint {print}"));
        if let Some(line) = line {
            finding = finding.line(line);
        }
        finding.fingerprint = Some(print);
        self.findings.push(finding);
        true
    }
}

/// First 16 hex digits of sha256 over category, path and matched text: stable across line
/// moves and rebases, different for a different secret or file.
pub fn fingerprint(category: &str, path: &str, matched: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [category, path, matched] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    crate::diff::hex(&hasher.finalize()[..8])
}

fn path_rules(out: &mut Collector<'_>, matcher: &Matcher, entry: &Entry) {
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

fn test_tampering(out: &mut Collector<'_>, input: &RiskInput<'_>) {
    let Some(index) = out.index(TEST_TAMPERING) else {
        return;
    };
    let scripts: Vec<(String, &AcceptanceCommand)> = input
        .acceptance
        .iter()
        .flat_map(|c| {
            tampering::files_run_by(&c.command)
                .into_iter()
                .map(move |f| (f, c))
        })
        .collect();
    let named: Vec<String> = scripts.iter().map(|(f, _)| f.clone()).collect();
    for entry in &input.change.entries {
        let old = entry.old.as_ref().map(|s| display_path(&s.path));
        let new = entry.new.as_ref().map(|s| display_path(&s.path));
        let gone = match (&old, &new) {
            (Some(old), None) if paths::is_test_path(old) => Some((
                old,
                "deletes a test file".to_string(),
                "deleted test file",
                "deleted".to_string(),
            )),
            (Some(old), Some(new))
                if entry.status == Status::Renamed
                    && paths::is_test_path(old)
                    && !paths::is_test_path(new) =>
            {
                Some((
                    old,
                    format!("renames test file away to `{new}`, where it no longer runs as a test"),
                    "test file renamed out of the test tree",
                    format!("renamed:{new}"),
                ))
            }
            _ => None,
        };
        if let Some((path, message, rule, matched)) = gone {
            out.push(index, path, None, message, rule, &matched);
        }
        for path in old
            .iter()
            .chain(new.iter().filter(|n| Some(*n) != old.as_ref()))
        {
            if !tampering::runs(&named, path) {
                continue;
            }
            let commands: Vec<&str> = scripts
                .iter()
                .filter(|(f, _)| tampering::runs(std::slice::from_ref(f), path))
                .map(|(_, c)| c.command.as_str())
                .collect();
            out.push(
                index,
                path,
                None,
                format!(
                    "edits `{path}`, which the acceptance command `{}` runs",
                    commands.join("`, `")
                ),
                "file run by an acceptance command",
                "acceptance-script",
            );
        }
    }
}

fn content_rules(out: &mut Collector<'_>, matcher: &Matcher, file: &FileAdditions) {
    let ctx = FileContext::of(&file.path);
    let mut hits = matcher.scan_lines(&file.path, &file.lines, ctx);
    if file.binary {
        // A binary file's strings are not code: only credentials with a shape of their own
        // (provider tokens, private keys) mean anything there.
        hits.retain(|hit| {
            let rule = matcher.rule(hit.rule);
            matches!(
                rule.check,
                Check::PrivateKey | Check::Secret(secrets::SecretCheck::Token)
            )
        });
    }
    let mut per_category = vec![0usize; out.categories.len()];
    let mut more = vec![0usize; out.categories.len()];
    for hit in hits {
        let rule = matcher.rule(hit.rule);
        let category = &out.categories[rule.category].name;
        let matched = format!("{}\0{}", rule.id, hit.matched);
        if per_category[rule.category] >= MAX_LINE_FINDINGS {
            let print = fingerprint(category, &file.path, &matched);
            if !out.allowlisted(rule.category, &file.path, &print) {
                more[rule.category] += 1;
            }
            continue;
        }
        let secret = category == CREDENTIALS || matches!(rule.check, Check::Secret(_));
        let message = if secret {
            match &hit.name {
                Some(name) => format!(
                    "{} `{}`: {}",
                    rule.label,
                    snippet(name),
                    secrets::redact(&hit.matched)
                ),
                None => format!("{}: {}", rule.label, secrets::redact(&hit.matched)),
            }
        } else {
            format!("{}: `{}`", rule.label, snippet(&hit.matched))
        };
        let source = if rule.builtin {
            format!("content rule `{}` (built-in)", rule.id)
        } else {
            format!(
                "content rule `{}` (policy [risk.{category}] content)",
                rule.id
            )
        };
        if out.push(
            rule.category,
            &file.path,
            (!file.binary).then_some(hit.line),
            message,
            &source,
            &matched,
        ) {
            per_category[rule.category] += 1;
        }
    }
    for (index, count) in more.into_iter().enumerate() {
        if count > 0 {
            let name = out.categories[index].name.clone();
            out.push(
                index,
                &file.path,
                None,
                format!(
                    "{count} more added lines match {name} rules (the first {MAX_LINE_FINDINGS} are listed)"
                ),
                "content rules",
                "more",
            );
        }
    }
}

/// A short, single-line excerpt of non-secret matched text.
fn snippet(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = flat.trim();
    if trimmed.chars().count() > 60 {
        let cut: String = trimmed.chars().take(57).collect();
        format!("{cut}...")
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::AddedLine;
    use crate::finding::Action;
    use crate::policy::{PolicySource, DEFAULT_POLICY};

    fn policy(text: &str) -> Policy {
        Policy::parse(text, "test policy", PolicySource::DefaultNoBase).unwrap()
    }

    fn added(path: &str, text: &str) -> (Change, Vec<FileAdditions>) {
        let lines = text
            .lines()
            .enumerate()
            .map(|(i, t)| AddedLine {
                number: i as u32 + 1,
                text: t.to_string(),
            })
            .collect();
        let change = detached_change(&[(Status::Added, None, Some(path))]);
        let files = vec![FileAdditions {
            path: path.to_string(),
            binary: false,
            lines,
        }];
        (change, files)
    }

    fn scan_text(policy: &Policy, path: &str, text: &str) -> Vec<Finding> {
        let (change, files) = added(path, text);
        scan(&RiskInput {
            change: &change,
            additions: &files,
            acceptance: &[],
            policy,
        })
    }

    fn lines_of(findings: &[Finding], category: &str) -> Vec<Option<u32>> {
        findings
            .iter()
            .filter(|f| f.category == category)
            .map(|f| f.line)
            .collect()
    }

    #[test]
    fn delete_without_where_looks_ahead_to_the_end_of_the_statement() {
        let p = policy(DEFAULT_POLICY);
        let sql =
            "DELETE FROM a\n  WHERE id = 1;\nDELETE FROM b;\nDELETE FROM c\n;\nSELECT 1 WHERE x;\n";
        let found = scan_text(&p, "ops/x.sql", sql);
        assert_eq!(lines_of(&found, "data-deletion"), vec![Some(3), Some(4)]);
    }

    #[test]
    fn rm_rf_of_disposable_targets_is_quiet() {
        let p = policy(DEFAULT_POLICY);
        let script = "rm -rf target/ dist\nrm -rf \"$TMPDIR/x\"\nrm -rf ./data\nrm -rf /\n";
        let found = scan_text(&p, "scripts/clean.sh", script);
        assert_eq!(lines_of(&found, "data-deletion"), vec![Some(3), Some(4)]);
    }

    #[test]
    fn one_secret_is_reported_once_even_when_several_rules_match() {
        let p = policy(DEFAULT_POLICY);
        let key = format!("{}{}", "sk_live_", "UnitFixtureQ7z2Lp9Xw4Rt");
        let found = scan_text(&p, "app/pay.py", &format!("stripe_api_key = \"{key}\"\n"));
        let credentials: Vec<&Finding> =
            found.iter().filter(|f| f.category == CREDENTIALS).collect();
        assert_eq!(credentials.len(), 1, "{found:?}");
        assert!(credentials[0].message.contains("Stripe"));
        assert!(!credentials[0].message.contains(&key[..10]));
    }

    #[test]
    fn findings_per_file_and_category_are_capped() {
        let p = policy(DEFAULT_POLICY);
        let text = "DROP TABLE t;\n".repeat(MAX_LINE_FINDINGS + 5);
        let found = scan_text(&p, "ops/drop.sql", &text);
        let lines = lines_of(&found, "data-deletion");
        assert_eq!(lines.len(), MAX_LINE_FINDINGS + 1);
        assert_eq!(lines.last(), Some(&None));
    }

    #[test]
    fn allowlisted_findings_do_not_count_towards_the_cap() {
        let text = "DROP TABLE t;\n".repeat(MAX_LINE_FINDINGS + 5);
        let first = scan_text(&policy(DEFAULT_POLICY), "ops/drop.sql", &text);
        let print = first[0].fingerprint.clone().unwrap();
        let accepting = policy(&format!("[allowlist]\nfindings = [\"{print}\"]\n"));
        assert!(scan_text(&accepting, "ops/drop.sql", &text).is_empty());
        let by_path = policy("[allowlist]\npaths = [\"ops/\"]\n");
        assert!(scan_text(&by_path, "ops/drop.sql", &text).is_empty());
    }

    #[test]
    fn policy_content_rules_join_the_single_pass() {
        let p = policy(
            "[risk.flags]\ncontent = ['default:\\s*true', 'ENABLE_ALL']\naction = \"warn\"\n",
        );
        let found = scan_text(&p, "src/a.rs", "x\n// default: true\nENABLE_ALL\n");
        assert_eq!(lines_of(&found, "flags"), vec![Some(2), Some(3)]);
        assert!(found.iter().all(|f| f.action == Action::Warn));
    }

    #[test]
    fn fingerprints_ignore_line_numbers_but_not_paths() {
        let p = policy(DEFAULT_POLICY);
        let a = scan_text(&p, "ops/a.sql", "DROP TABLE t;\n");
        let b = scan_text(&p, "ops/a.sql", "\n\nDROP TABLE t;\n");
        let c = scan_text(&p, "ops/b.sql", "DROP TABLE t;\n");
        assert_eq!(a[0].fingerprint, b[0].fingerprint);
        assert_ne!(a[0].fingerprint, c[0].fingerprint);
    }
}
