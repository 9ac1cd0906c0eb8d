//! The risk scanner over arbitrary added lines of an arbitrary path, and secret redaction:
//! no panic, and no secret the scanner reports survives redaction.
//!
//! Input: the first line is the path, the rest the added lines. `%%` is removed first, as in
//! `fixtures/risk`, so seeds need not hold secret-shaped literals.
#![no_main]

use agentguard::internals::diff::AddedLine;
use agentguard::internals::policy::{Policy, PolicySource, DEFAULT_POLICY};
use agentguard::internals::risk::FileContext;
use agentguard::internals::risk::CompiledPolicy;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn policy() -> &'static CompiledPolicy {
    static POLICY: OnceLock<CompiledPolicy> = OnceLock::new();
    POLICY.get_or_init(|| {
        CompiledPolicy::new(
            Policy::parse(DEFAULT_POLICY, "default", PolicySource::DefaultNoBase)
                .expect("the default policy parses"),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = text.replace("%%", "");
    let (path, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let policy = policy();
    let matcher = policy.matcher().expect("the default rules compile");
    let lines: Vec<AddedLine> = body
        .split('\n')
        .enumerate()
        .map(|(i, t)| AddedLine {
            number: i as u32 + 1,
            text: t.to_string(),
        })
        .collect();
    let scan = matcher.scan_lines(path, &lines, FileContext::of(path), 1_000);
    let credentials = policy
        .policy
        .risk
        .categories
        .iter()
        .position(|c| c.name == "credentials")
        .expect("a credentials category");
    let redacted = agentguard::internals::risk::redact_secrets(policy, body);
    for hit in &scan.hits {
        if matcher.rule(hit.rule).category != credentials {
            continue;
        }
        // A reported secret that occurs once in the text must be gone after redaction (one
        // that also occurs elsewhere, outside any secret context, may stay there).
        let secret = hit.matched.as_str();
        if secret.chars().count() >= 8 && body.matches(secret).count() == 1 {
            assert!(
                !redacted.contains(secret),
                "secret {secret:?} survives redaction: {redacted:?}"
            );
        }
    }
    let _ = agentguard::internals::risk::redact_secrets(policy, path);
});
