//! Risk: the high-risk categories a change touches, by path and by added content.
//!
//! Path rules look at every path an entry touches (both ends of a rename; a symlink's target
//! too). Content rules look at added lines only, through the policy's compiled `Matcher`.
//! Secrets are redacted in every message; each finding carries a stable fingerprint that the
//! policy's `[allowlist] findings` accepts.

pub(crate) mod ci_config;
mod compiled;
mod content_rules;
mod fingerprints;
mod guard_config;
mod matcher;
pub(crate) mod names;
mod path_rules;
pub(crate) mod paths;
pub(crate) mod production;
pub(crate) mod providers;
pub(crate) mod reach;
pub(crate) mod rules;
pub(crate) mod secrets;
mod submodules;
pub(crate) mod tampering;

pub use compiled::CompiledPolicy;
pub(crate) use fingerprints::{fingerprint, secret_fingerprint};
pub(crate) use matcher::Matcher;

use crate::diff::{Change, Entry, FileAdditions, Side, Status};
use crate::finding::{Finding, Kind};
use crate::policy::risk::RiskCategory;
use crate::policy::Allowlist;
use crate::task::AcceptanceCommand;

/// Every rule id of the credentials category, as findings name them: the provider table's,
/// then the built-in rules' (the documentation lists each).
pub fn credential_rule_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = providers::PROVIDERS.iter().map(|p| p.id).collect();
    ids.extend(
        rules::BUILTIN_RULES
            .iter()
            .filter(|r| r.category == CREDENTIALS)
            .map(|r| r.id),
    );
    ids.dedup();
    ids
}

/// Everything the risk rules look at for one change.
pub struct RiskInput<'a> {
    pub change: &'a Change,
    pub additions: &'a [FileAdditions],
    pub acceptance: &'a [AcceptanceCommand],
    /// The policy in force, with its rules compiled.
    pub compiled: &'a CompiledPolicy,
    /// The repository's hooks directory (`core.hooksPath`) when it lies inside the work tree,
    /// relative to it: the hooks that run agentguard are guard-config wherever they live.
    pub hooks_path: Option<&'a str>,
}

pub(crate) const CREDENTIALS: &str = "credentials";
pub(crate) const GUARD_CONFIG: &str = "guard-config";
pub(crate) const TEST_TAMPERING: &str = "test-tampering";
pub(crate) const PRODUCTION_CONFIG: &str = "production-config";

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
        malformed: Vec::new(),
        submodules: Vec::new(),
    }
}

/// Findings of kind `risk` for the change.
pub fn scan(input: &RiskInput<'_>) -> Vec<Finding> {
    scan_files(input, input.additions.iter())
}

/// `scan`, with the added lines coming one file at a time from `files` (in the change's entry
/// order) instead of from `input.additions`, so they need not all be held at once.
pub(crate) fn scan_files<F: std::borrow::Borrow<FileAdditions>>(
    input: &RiskInput<'_>,
    files: impl IntoIterator<Item = F>,
) -> Vec<Finding> {
    let risk = &input.compiled.policy.risk;
    let allowlist = &input.compiled.policy.allowlist;
    let matcher = match input.compiled.matcher() {
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
    if let Err(reason) = matcher.paths_ready() {
        return vec![Finding::new(
            Kind::Risk,
            CREDENTIALS,
            crate::finding::Action::Block,
            format!("the risk rules could not be compiled: {reason}"),
        )
        .rule("risk rules")];
    }
    let mut out = Collector {
        categories: &risk.categories,
        allowlist,
        findings: Vec::new(),
    };
    let mut exposed = path_rules::Exposed::default();
    for entry in &input.change.entries {
        path_rules::path_rules(&mut out, matcher, &mut exposed, entry);
    }
    guard_config::guarded_files(&mut out, input);
    submodules::submodules(&mut out, input);
    tampering::test_tampering(&mut out, input);
    // Only guard-config survives the path allowlist; without content rules of its own there
    // is nothing to look for in an allowlisted file (vendored code, generated data).
    let guard_has_content = risk
        .get(GUARD_CONFIG)
        .is_some_and(|c| !c.content.is_empty());
    for file in files {
        let file = file.borrow();
        if file.lines.is_empty()
            || (!guard_has_content && allowlist.paths.is_match(file.path.as_bytes()))
        {
            continue;
        }
        content_rules::content_rules(&mut out, matcher, file, None);
    }
    out.findings
}

/// The findings of some categories only, for changes judged by those alone: a human
/// change's credentials, `agentguard scan --category …`. Content rules of the categories in
/// `only` (indexed like the policy's categories) run on the added lines; with `paths`, their
/// path rules on the change's entries too.
pub(crate) fn scan_only<F: std::borrow::Borrow<FileAdditions>>(
    compiled: &CompiledPolicy,
    change: Option<&Change>,
    files: impl IntoIterator<Item = F>,
    only: &[bool],
) -> Vec<Finding> {
    let risk = &compiled.policy.risk;
    let allowlist = &compiled.policy.allowlist;
    let matcher = match compiled.matcher() {
        Ok(matcher) => matcher,
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
    if let Some(change) = change {
        if let Err(reason) = matcher.paths_ready() {
            out.findings.push(
                Finding::new(
                    Kind::Risk,
                    CREDENTIALS,
                    crate::finding::Action::Block,
                    format!("the risk rules could not be compiled: {reason}"),
                )
                .rule("risk rules"),
            );
            return out.findings;
        }
        let mut exposed = path_rules::Exposed::default();
        for entry in &change.entries {
            path_rules::path_rules_of(&mut out, matcher, &mut exposed, entry, only);
        }
    }
    for file in files {
        let file = file.borrow();
        if file.lines.is_empty() || allowlist.paths.is_match(file.path.as_bytes()) {
            continue;
        }
        content_rules::content_rules(&mut out, matcher, file, Some(only));
    }
    out.findings
}

/// Credentials in added lines, and nothing else: what a human change is checked for.
pub(crate) fn scan_credentials<F: std::borrow::Borrow<FileAdditions>>(
    compiled: &CompiledPolicy,
    files: impl IntoIterator<Item = F>,
) -> Vec<Finding> {
    let only: Vec<bool> = compiled
        .policy
        .risk
        .categories
        .iter()
        .map(|c| c.name == CREDENTIALS)
        .collect();
    scan_only(compiled, None, files, &only)
}

/// `production-config` findings for the manifests of the change that declare a production
/// namespace or environment (see `production`), beside the `found` findings of `scan`: a file
/// already in the category by its path gets no second finding. `read` returns a blob's bytes.
pub(crate) fn production_manifests<E>(
    compiled: &CompiledPolicy,
    change: &Change,
    found: &[Finding],
    read: &mut dyn FnMut(git2::Oid) -> Result<Vec<u8>, E>,
) -> Result<Vec<Finding>, E> {
    let policy = &compiled.policy;
    let mut out = Collector {
        categories: &policy.risk.categories,
        allowlist: &policy.allowlist,
        findings: found
            .iter()
            .filter(|f| f.kind == Kind::Risk && f.category == PRODUCTION_CONFIG)
            .cloned()
            .collect(),
    };
    let before = out.findings.len();
    production::manifests(&mut out, change, read)?;
    Ok(out.findings.split_off(before))
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
        let print = fingerprint(&self.categories[index].name, path, matched);
        self.push_printed(index, path, line, message, rule, print)
    }

    fn push_printed(
        &mut self,
        index: usize,
        path: &str,
        line: Option<u32>,
        message: String,
        rule: &str,
        print: String,
    ) -> bool {
        let category = &self.categories[index];
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

/// Where the commit message's findings say they are, for fingerprints and file-kind rules.
pub(crate) const MESSAGE_PATH: &str = "(commit message)";

/// Credentials in the commit message itself (its body and trailer values): `lines` are the
/// log message's lines with their numbers. A message is published with the commit, so a
/// secret there is as leaked as one in a file.
pub(crate) fn scan_message(compiled: &CompiledPolicy, lines: &[(u32, &str)]) -> Vec<Finding> {
    let file = FileAdditions {
        path: MESSAGE_PATH.to_string(),
        binary: false,
        lines: lines
            .iter()
            .map(|(number, text)| crate::diff::AddedLine {
                number: *number,
                text: (*text).to_string(),
            })
            .collect(),
    };
    let change = detached_change(&[]);
    let input = RiskInput {
        change: &change,
        additions: std::slice::from_ref(&file),
        acceptance: &[],
        compiled,
        hooks_path: None,
    };
    let Ok(matcher) = compiled.matcher() else {
        return scan(&input);
    };
    let policy = &compiled.policy;
    let mut out = Collector {
        categories: &policy.risk.categories,
        allowlist: &policy.allowlist,
        findings: Vec::new(),
    };
    content_rules::content_rules(&mut out, matcher, &file, None);
    out.findings
        .into_iter()
        .filter(|f| f.category == CREDENTIALS)
        .map(|mut f| {
            f.message = match f.line.take() {
                Some(line) => format!("in the commit message (line {line}): {}", f.message),
                None => format!("in the commit message: {}", f.message),
            };
            f.path = None;
            f
        })
        .collect()
}

/// `test-tampering` findings for what the acceptance commands reach through other files and
/// for files that would stand in for what they run (see `reach`); `reached` comes from
/// `reach::reached` over `tampering::commands(input)`, for the base tree and the judged one.
pub(crate) fn scan_reached(input: &RiskInput<'_>, reached: &[reach::Reached]) -> Vec<Finding> {
    let mut out = Collector {
        categories: &input.compiled.policy.risk.categories,
        allowlist: &input.compiled.policy.allowlist,
        findings: Vec::new(),
    };
    tampering::reached_files(&mut out, input, reached);
    out.findings
}

/// A finding of `category` that no path carries (the test inventory's), as the policy
/// defines the category: its action, its allowlist fingerprint. `None` when the policy has no
/// such category or its allowlist accepts the finding.
pub(crate) fn category_finding(
    compiled: &CompiledPolicy,
    category: &str,
    message: String,
    rule: &str,
    matched: &str,
) -> Option<Finding> {
    let defined = compiled
        .policy
        .risk
        .categories
        .iter()
        .find(|c| c.name == category)?;
    let print = fingerprint(category, "", matched);
    if compiled.policy.allowlist.findings.contains(&print) {
        return None;
    }
    let mut finding = Finding::new(Kind::Risk, category, defined.action, message)
        .rule(format!("{rule}; allowlist fingerprint {print}"));
    finding.fingerprint = Some(print);
    Some(finding)
}

/// `text` with every credential the policy's rules recognise (provider tokens, private keys,
/// URL passwords, secret assignments, bearer and basic auth, JWTs) replaced by its redacted
/// form, as in findings: `` `ghp_…` (40 chars, redacted) ``. For any text shown to people:
/// messages, acceptance commands and their output.
pub fn redact_secrets(compiled: &CompiledPolicy, text: &str) -> String {
    match compiled.matcher() {
        Ok(matcher) => matcher.redact(text),
        // Fail closed: text that cannot be checked is not shown.
        Err(_) => format!(
            "({} bytes withheld: the secret rules could not be compiled)",
            text.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::content_rules::MAX_LINE_FINDINGS;
    use super::*;
    use crate::diff::AddedLine;
    use crate::finding::Action;
    use crate::policy::{Policy, PolicySource, DEFAULT_POLICY};
    use sha2::{Digest, Sha256};

    fn policy(text: &str) -> CompiledPolicy {
        CompiledPolicy::new(
            Policy::parse(text, "test policy", PolicySource::DefaultNoBase).unwrap(),
        )
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

    fn scan_text(compiled: &CompiledPolicy, path: &str, text: &str) -> Vec<Finding> {
        let (change, files) = added(path, text);
        scan(&RiskInput {
            change: &change,
            additions: &files,
            acceptance: &[],
            compiled,
            hooks_path: None,
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

    fn github() -> String {
        format!("gh{}_{}", "p", "UnitFixtureQ7z2Lp9Xw4Rt8Kd3Mv6Hs1NbY")
    }

    #[test]
    fn redact_secrets_hides_every_kind_of_credential() {
        let p = policy(DEFAULT_POLICY);
        let key_body = "MIIEowIBAAKCAQEAq9Zt2Lw8Xv4Rp7QmNbK3Hs6Jd1Fg5Vc0Ye2Ua9Wi4Ox7Pl3Mk";
        let jwt = format!(
            "{}.{}.{}",
            "eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiJhZ2VudCJ9", "Q7z2Lp9Xw4Rt8Kd3Mv6Hs1Nb"
        );
        let secrets = [
            github(),
            "Zr7qLp2xVw9m".to_string(),
            "q8ZtR2mLw9XvB4nKp7Hs".to_string(),
            "Tk4Vn8Qz2Lm7Xr9Pw3Js".to_string(),
            // base64 of `deploy:Hq7Lz2Vx9RtK4mPw`
            "ZGVwbG95OkhxN0x6MlZ4OVJ0SzRtUHc=".to_string(),
            jwt.clone(),
            key_body.to_string(),
        ];
        let text = format!(
            "running 3 tests\n\
             push failed for {}\n\
             connecting to postgres://app:{}@db.internal:5432/app\n\
             client_secret = {}\n\
             Authorization: Bearer {}\n\
             Authorization: Basic {}\n\
             token {}\n\
             -----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n\
             test result: ok. 3 passed; 0 failed\n",
            secrets[0], secrets[1], secrets[2], secrets[3], secrets[4], jwt, key_body
        );
        let redacted = redact_secrets(&p, &text);
        for secret in &secrets {
            assert!(!redacted.contains(secret.as_str()), "{secret}:\n{redacted}");
        }
        assert!(
            redacted.contains("`ghp_…` (40 chars, redacted)"),
            "{redacted}"
        );
        assert!(redacted.starts_with("running 3 tests\npush failed for `ghp_…`"));
        assert!(redacted.ends_with("test result: ok. 3 passed; 0 failed\n"));
        assert_eq!(redacted.lines().count(), text.lines().count());
    }

    #[test]
    fn redact_secrets_leaves_test_runner_output_alone() {
        let p = policy(DEFAULT_POLICY);
        let output = concat!(
            "   Compiling tokenizer v0.3.1 (/work/tokenizer)\n",
            "    Finished `test` profile [unoptimized + debuginfo] target(s) in 4.21s\n",
            "     Running unittests src/lib.rs (target/debug/deps/tokenizer-3f2a9c1d7e5b4a60)\n",
            "test auth::tests::password_reset_token_expires ... ok\n",
            "test auth::tests::rejects_bad_password ... FAILED\n",
            "thread 'auth::tests::rejects_bad_password' panicked at src/auth.rs:42:5:\n",
            "assertion `left == right` failed: token mismatch\n",
            "  left: \"refresh_token\"\n",
            " right: \"access_token\"\n",
            "tests/test_auth.py::test_token_refresh PASSED                     [ 50%]\n",
            "tests/test_auth.py::test_password_hash FAILED                     [100%]\n",
            "E       AssertionError: assert password_hash == expected_hash\n",
            "  ✓ refreshes the session token (12 ms)\n",
            "  ✕ rejects an expired api_key (3 ms)\n",
            "Tests:       1 failed, 41 passed, 42 total\n",
            "ok  \tgithub.com/acme/auth/token\t0.012s\n",
            "--- FAIL: TestSecretRotation (0.00s)\n",
            "test result: FAILED. 41 passed; 1 failed; 0 ignored; 0 measured\n",
        );
        assert_eq!(redact_secrets(&p, output), output);
        // 64 KiB of it, as kept from one acceptance command, stays as it is too.
        let big = output.repeat(64 * 1024 / output.len() + 1);
        assert_eq!(redact_secrets(&p, &big), big);
    }

    #[test]
    fn redact_secrets_applies_policy_credential_rules() {
        let p = policy("[risk.credentials]\ncontent = ['INTERNAL-[0-9]{6}']\n");
        let redacted = redact_secrets(&p, "key INTERNAL-482913 used");
        assert_eq!(redacted, "key `INT…` (15 chars, redacted) used");
    }

    #[test]
    fn snippets_of_other_categories_mask_credentials() {
        let p = policy(DEFAULT_POLICY);
        let token = github();
        let found = scan_text(
            &p,
            "scripts/wipe.sh",
            &format!("rm -rf /srv/app --token={token}\n"),
        );
        let deletion: Vec<&Finding> = found
            .iter()
            .filter(|f| f.category == "data-deletion")
            .collect();
        assert_eq!(deletion.len(), 1, "{found:?}");
        assert!(deletion[0].message.contains("/srv/app"), "{found:?}");
        assert!(!deletion[0].message.contains(&token[..8]), "{found:?}");

        let stripe = format!("{}{}", "sk_live_", "UnitFixtureQ7z2Lp9Xw4Rt");
        let flags = policy("[risk.flags]\ncontent = ['STRIPE_KEY=.*']\n");
        let found = scan_text(&flags, "deploy/app.conf", &format!("STRIPE_KEY={stripe}\n"));
        let flagged: Vec<&Finding> = found.iter().filter(|f| f.category == "flags").collect();
        assert_eq!(flagged.len(), 1, "{found:?}");
        assert!(!flagged[0].message.contains(&stripe[..12]), "{found:?}");
        assert!(flagged[0].message.contains("redacted"), "{found:?}");
    }

    #[test]
    fn a_data_uri_hides_only_what_is_inside_its_base64() {
        let p = policy(DEFAULT_POLICY);
        let line = format!(
            "ICON = \"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==\"; GITHUB = \"{}\"\n",
            github()
        );
        let found = scan_text(&p, "app/ui.py", &line);
        assert_eq!(lines_of(&found, CREDENTIALS), vec![Some(1)]);
        let inside = format!(
            "ICON = \"data:image/png;base64,iVBORw0KGgo{}AAAA\"\n",
            github()
        );
        assert!(scan_text(&p, "app/ui.py", &inside).is_empty());
    }

    #[test]
    fn secret_fingerprints_are_stretched_and_domain_separated() {
        let plain = fingerprint(CREDENTIALS, "a.py", "x\0hunter2");
        let stretched = secret_fingerprint(CREDENTIALS, "a.py", "x\0hunter2");
        assert_ne!(plain, stretched);
        assert_eq!(
            stretched,
            secret_fingerprint(CREDENTIALS, "a.py", "x\0hunter2")
        );
        assert_ne!(
            stretched,
            secret_fingerprint(CREDENTIALS, "b.py", "x\0hunter2")
        );
        // The stretched value is not one sha256 of the same input.
        let mut once = Sha256::new();
        once.update(b"agentguard secret fingerprint v1\0");
        assert_ne!(crate::diff::hex(&once.finalize()[..8]), stretched);
        let p = policy(DEFAULT_POLICY);
        let found = scan_text(&p, "app/a.py", &format!("T = \"{}\"\n", github()));
        let matched = format!("github-token\0{}", github());
        assert_eq!(
            found[0].fingerprint.as_deref(),
            Some(secret_fingerprint(CREDENTIALS, "app/a.py", &matched).as_str())
        );
    }
}
