//! The policy parser on arbitrary text: no panic; a malformed policy is an error with a
//! position inside the text; a valid one compiles its risk rules without panicking.
#![no_main]

use agentguard::internals::policy::{Policy, PolicyError, PolicySource};
use agentguard::internals::risk::CompiledPolicy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Policy::parse(text, ".agentguard.toml", PolicySource::DefaultNoBase) {
        Ok(policy) => {
            let compiled = CompiledPolicy::new(policy);
            let _ = compiled.matcher();
            let _ = agentguard::internals::risk::redact_secrets(&compiled, text);
        }
        Err(PolicyError::Parse { line, column, .. }) => {
            let lines = text.split('\n').count();
            assert!(line >= 1 && line <= lines, "line {line} of {lines}");
            let width = text
                .split('\n')
                .nth(line - 1)
                .map_or(0, |l| l.chars().count());
            assert!(
                column >= 1 && column <= width + 1,
                "column {column} of {width}"
            );
        }
        Err(e) => panic!("an error without a position: {e}"),
    }
});
