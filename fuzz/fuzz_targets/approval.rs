//! Approval notes and evidence notes from arbitrary bytes: a corrupt note is an error, never
//! a panic, and whatever parses writes back to the same thing.
#![no_main]

use agentguard::internals::approval::parse_blocks;
use agentguard::internals::evidence::Evidence;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let approvals: Vec<_> = parse_blocks(&text).into_iter().flatten().collect();
    if !approvals.is_empty() {
        let written: String = approvals.iter().map(|a| a.to_block()).collect();
        let reread: Vec<_> = parse_blocks(&written).into_iter().collect();
        assert_eq!(
            reread,
            approvals.iter().cloned().map(Ok).collect::<Vec<_>>(),
            "written: {written:?}"
        );
    }
    if let Ok(evidence) = Evidence::parse(data) {
        let written = evidence.to_toml().expect("parsed evidence serialises");
        assert_eq!(
            Evidence::parse(written.as_bytes()).as_ref(),
            Ok(&evidence),
            "written: {written}"
        );
    }
});
