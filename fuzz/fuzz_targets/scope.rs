//! Glob lists from arbitrary patterns (a bad one is an error, never a panic) matched against
//! arbitrary byte paths, and the layered scope check: a trailer layer only narrows.
//!
//! Input: sections separated by a line `--`: policy allow, policy deny, trailer allow,
//! trailer deny (one pattern a line), then paths (raw bytes, one a line).
#![no_main]

use agentguard::internals::diff::{Change, Entry, Side, Status};
use agentguard::internals::glob::{Case, GlobList};
use agentguard::internals::task::ScopeLayer;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;

fn patterns(section: &[u8]) -> Vec<String> {
    section
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect()
}

fn list(patterns: &[String], case: Case) -> Option<GlobList> {
    let list = GlobList::with_case(patterns, case).ok()?;
    for p in patterns {
        // Each pattern on its own compiles too, or the whole list would have failed.
        assert!(GlobList::with_case(&[p], case).is_ok(), "{p:?}");
    }
    Some(list)
}

fn blocked(change: &Change, layers: &[ScopeLayer]) -> BTreeSet<String> {
    agentguard::internals::scope::check(change, layers)
        .into_iter()
        .filter_map(|f| f.path)
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let mut sections = data.split(|b| *b == 0xff);
    let mut next = || sections.next().unwrap_or_default();
    let (allow, deny, trailer_allow, trailer_deny, paths) =
        (next(), next(), next(), next(), next());
    let paths: Vec<&[u8]> = paths
        .split(|b| *b == b'\n')
        .filter(|p| !p.is_empty())
        .collect();
    let Some(allow) = list(&patterns(allow), Case::Sensitive) else {
        return;
    };
    let Some(deny) = list(&patterns(deny), Case::Insensitive) else {
        return;
    };
    let trailer_allow = patterns(trailer_allow);
    let Some(trailer_allow_list) = list(&trailer_allow, Case::Sensitive) else {
        return;
    };
    let Some(trailer_deny) = list(&patterns(trailer_deny), Case::Insensitive) else {
        return;
    };
    for path in &paths {
        for l in [&allow, &deny, &trailer_allow_list, &trailer_deny] {
            assert_eq!(l.is_match(path), l.first_match(path).is_some());
        }
    }
    let entries: Vec<Entry> = paths
        .iter()
        .map(|p| Entry {
            status: Status::Added,
            old: None,
            new: Some(Side {
                path: p.to_vec(),
                mode: 0o100644,
                oid: git2::Oid::zero(),
            }),
            symlink: None,
        })
        .collect();
    let change = Change {
        tree: git2::Oid::zero(),
        fingerprint: agentguard::internals::diff::fingerprint(&entries),
        entries,
        malformed: Vec::new(),
        submodules: Vec::new(),
    };
    let policy = ScopeLayer {
        name: "policy".into(),
        allow: Some(allow),
        deny,
    };
    let trailers = ScopeLayer {
        name: "trailers".into(),
        allow: (!trailer_allow.is_empty()).then_some(trailer_allow_list),
        deny: trailer_deny,
    };
    let before = blocked(&change, std::slice::from_ref(&policy));
    let after = blocked(&change, &[policy, trailers]);
    assert!(
        before.is_subset(&after),
        "unblocked: {:?}",
        before.difference(&after)
    );
});
