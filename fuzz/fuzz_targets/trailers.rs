//! The trailer parser on arbitrary commit messages: no panic, every trailer well formed, and
//! a message rebuilt from the trailers parses back to the same trailers.
#![no_main]

use agentguard::internals::trailers::{parse, Trailer};
use libfuzzer_sys::fuzz_target;

fn is_git_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    // The first byte picks the comment string; an arbitrary one comes from the first line.
    let (comment, message) = match selector % 4 {
        0 => ("#", text),
        1 => (";", text),
        2 => ("//", text),
        _ => match text.split_once('\n') {
            Some((first, message)) if !first.is_empty() => (first, message),
            _ => return,
        },
    };
    let trailers = parse(message, comment);
    for Trailer { key, value } in &trailers {
        assert!(!key.is_empty(), "empty key in {trailers:?}");
        assert!(
            key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "bad key {key:?}"
        );
        assert!(message.contains(key.as_str()), "key {key:?} not in message");
        assert!(!value.contains('\n'), "newline in value {value:?}");
        assert!(
            !value.starts_with(is_git_space) && !value.ends_with(is_git_space),
            "untrimmed value {value:?}"
        );
    }
    if trailers.is_empty() || selector % 4 == 3 {
        return;
    }
    let mut rebuilt = String::from("Title\n\n");
    for t in &trailers {
        rebuilt.push_str(&format!("{}: {}\n", t.key, t.value));
    }
    assert_eq!(parse(&rebuilt, comment), trailers, "rebuilt: {rebuilt:?}");
});
