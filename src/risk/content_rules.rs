//! Content rules: the hits of the compiled rules in each file's added lines, as findings,
//! capped per file and category, secrets redacted and fingerprinted.

use super::paths::FileContext;
use super::rules::Check;
use super::{fingerprint, secret_fingerprint, secrets, Collector, Matcher, CREDENTIALS};
use crate::diff::FileAdditions;

/// Content findings kept per file and category; the rest are counted in one summary finding.
pub(super) const MAX_LINE_FINDINGS: usize = 25;

/// Hits validated per file and category; past this the summary says "at least", so a file of
/// a million matching lines costs no more than one of a thousand.
const MAX_COUNTED_HITS: usize = 1_000;

/// The content findings of one file; with `only`, of the categories it marks alone.
pub(super) fn content_rules(
    out: &mut Collector<'_>,
    matcher: &Matcher,
    file: &FileAdditions,
    only: Option<&[bool]>,
) {
    let ctx = FileContext::of(&file.path);
    let scan = matcher.scan_lines(&file.path, &file.lines, ctx, MAX_COUNTED_HITS, only);
    let hits = scan.hits;
    let mut per_category = vec![0usize; out.categories.len()];
    let mut more = vec![0usize; out.categories.len()];
    // Secret fingerprints are slow on purpose: one per distinct secret and rule in the file.
    let mut prints: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut print_of = |secret: bool, category: &str, matched: &str| -> String {
        if !secret {
            return fingerprint(category, &file.path, matched);
        }
        prints
            .entry(matched.to_string())
            .or_insert_with(|| secret_fingerprint(category, &file.path, matched))
            .clone()
    };
    for hit in hits {
        let rule = matcher.rule(hit.rule);
        let category = &out.categories[rule.category].name;
        let secret = category == CREDENTIALS || matches!(rule.check, Check::Secret(_));
        // Renamed rules keep the id their fingerprints were first published with.
        let id = super::fingerprints::stable_rule_id(&rule.id, &hit.matched);
        let matched = format!("{id}\0{}", hit.matched);
        if per_category[rule.category] >= MAX_LINE_FINDINGS {
            // Only an allowlisted finding is left out of the count; with no fingerprints
            // listed there is nothing to compute.
            let listed = !out.allowlist.findings.is_empty()
                && out.allowlisted(
                    rule.category,
                    &file.path,
                    &print_of(secret, category, &matched),
                );
            if !listed && !out.allowlisted(rule.category, &file.path, "") {
                more[rule.category] += 1;
            }
            continue;
        }
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
        let print = print_of(secret, category, &matched);
        if out.push_printed(
            rule.category,
            &file.path,
            (!file.binary).then_some(hit.line),
            message,
            &source,
            print,
        ) {
            per_category[rule.category] += 1;
        }
    }
    for (index, count) in more.into_iter().enumerate() {
        if count > 0 {
            let name = out.categories[index].name.clone();
            let at_least = if scan.truncated.get(index).copied().unwrap_or(false) {
                "at least "
            } else {
                ""
            };
            out.push(
                index,
                &file.path,
                None,
                format!(
                    "{at_least}{count} more added lines match {name} rules (the first {MAX_LINE_FINDINGS} are listed)"
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
