//! Tree objects and `.gitmodules` files from arbitrary bytes, as an agent can write them with
//! `git hash-object --literally`: parsed and checked without a panic, and a tree whose entries
//! are not strictly in git's order is never taken for an ordered one.
#![no_main]

use agentguard::internals::trees;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let tree = trees::parse(data);
    if tree.ordered {
        for pair in tree.entries.windows(2) {
            assert_eq!(
                trees::git_order(&pair[0], &pair[1]),
                std::cmp::Ordering::Less,
                "{pair:?}"
            );
        }
    }
    for entry in &tree.entries {
        let _ = (entry.kind(), entry.canonical_mode(), trees::is_dotgit(&entry.name));
    }
    let _ = trees::check_gitmodules(b".gitmodules", data);
});
