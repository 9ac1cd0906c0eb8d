//! Commit-message trailers, parsed by git's rules (`git interpret-trailers --parse`):
//! the trailer block is the last paragraph after the title, `#` comment lines are ignored,
//! a line starting with whitespace continues the previous trailer, keys are case-insensitive.

/// One `Key: value` trailer with continuation lines unfolded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    pub key: String,
    pub value: String,
}

const SCISSORS: &str = "------------------------ >8 ------------------------";
const GIT_GENERATED_PREFIXES: [&str; 2] = ["Signed-off-by: ", "(cherry picked from commit "];

/// Parses the trailer block of a commit message.
pub fn parse(message: &str) -> Vec<Trailer> {
    let lines = message_lines(message);
    let Some(block) = trailer_block(&lines) else {
        return Vec::new();
    };
    let mut trailers: Vec<Trailer> = Vec::new();
    for line in block {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = trailers.last_mut() {
                let more = line.trim();
                if !more.is_empty() {
                    if !last.value.is_empty() {
                        last.value.push(' ');
                    }
                    last.value.push_str(more);
                }
            }
            continue;
        }
        if let Some((key, value)) = split_trailer(line) {
            trailers.push(Trailer {
                key: key.to_string(),
                value: value.trim().to_string(),
            });
        }
    }
    trailers
}

/// The message's lines up to the end of the log message: comment lines dropped, and nothing
/// after a scissors line (`git commit -v`) or a patch divider (`---`).
fn message_lines(message: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for raw in message.lines() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.starts_with('#') {
            if line.contains(SCISSORS) {
                break;
            }
            continue;
        }
        if line == "---" || line.starts_with("--- ") {
            break;
        }
        out.push(line);
    }
    out
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// The last paragraph, if git would take it as a trailer block. The title paragraph never is.
fn trailer_block<'a>(lines: &[&'a str]) -> Option<Vec<&'a str>> {
    let title_end = lines
        .iter()
        .position(|l| !is_blank(l))
        .map(|first| {
            lines[first..]
                .iter()
                .position(|l| is_blank(l))
                .map_or(lines.len(), |n| first + n)
        })
        .unwrap_or(lines.len());
    let mut end = lines.len();
    while end > title_end && is_blank(lines[end - 1]) {
        end -= 1;
    }
    let mut start = end;
    while start > title_end && !is_blank(lines[start - 1]) {
        start -= 1;
    }
    if start >= end || start <= title_end {
        return None;
    }
    let block = &lines[start..end];
    let mut trailer_lines = 0usize;
    let mut non_trailer_lines = 0usize;
    let mut recognized_prefix = false;
    let mut in_trailer = false;
    for line in block {
        if line.starts_with([' ', '\t']) {
            if !in_trailer {
                non_trailer_lines += 1;
            }
            continue;
        }
        if GIT_GENERATED_PREFIXES.iter().any(|p| line.starts_with(p)) {
            recognized_prefix = true;
        }
        if split_trailer(line).is_some() {
            trailer_lines += 1;
            in_trailer = true;
        } else {
            non_trailer_lines += 1;
            in_trailer = false;
        }
    }
    let accepted = (trailer_lines > 0 && non_trailer_lines == 0)
        || (recognized_prefix && trailer_lines * 3 >= non_trailer_lines);
    accepted.then(|| block.to_vec())
}

/// `Key: value` where the key is letters, digits and `-`, optionally followed by spaces.
fn split_trailer(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let key = line[..colon].trim_end();
    let valid = !key.is_empty()
        && key.len() == key.trim_start().len()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    valid.then(|| (key, &line[colon + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(message: &str) -> Vec<(String, String)> {
        parse(message)
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect()
    }

    #[test]
    fn last_paragraph_only() {
        let msg =
            "Title\n\nAgent-Task: not-this\nbody text\n\nAgent-Task: T-1\nAgent-Allow: src/**\n";
        assert_eq!(
            kv(msg),
            vec![
                ("Agent-Task".into(), "T-1".into()),
                ("Agent-Allow".into(), "src/**".into())
            ]
        );
    }

    #[test]
    fn title_is_never_a_trailer() {
        assert!(kv("Agent-Task: T-1\n").is_empty());
        assert!(kv("Agent-Task: T-1\nAgent-Allow: x\n").is_empty());
    }

    #[test]
    fn continuation_lines_are_unfolded() {
        let msg = "Title\n\nAgent-Acceptance: cargo test\n  --all-features\nAgent-Task: T\n";
        assert_eq!(
            kv(msg)[0],
            (
                "Agent-Acceptance".into(),
                "cargo test --all-features".into()
            )
        );
    }

    #[test]
    fn comments_and_scissors_are_ignored() {
        let msg = "Title\n\nAgent-Task: T\n# Please enter the commit message\n# ------------------------ >8 ------------------------\ndiff --git a b\n\nAgent-Task: evil\n";
        assert_eq!(kv(msg), vec![("Agent-Task".into(), "T".into())]);
    }

    #[test]
    fn mixed_paragraph_is_not_trailers_without_git_prefix() {
        let msg = "Title\n\nsome prose here\nAgent-Task: T\n";
        assert!(kv(msg).is_empty());
        let msg = "Title\n\nsome prose here\nSigned-off-by: A <a@b>\nAgent-Task: T\n";
        assert_eq!(kv(msg).len(), 2);
    }

    #[test]
    fn crlf_and_spacing() {
        let msg = "Title\r\n\r\nagent-task :  T-9 \r\n";
        assert_eq!(kv(msg), vec![("agent-task".into(), "T-9".into())]);
    }

    #[test]
    fn patch_divider_ends_message() {
        let msg = "Title\n\nAgent-Task: T\n---\n\nAgent-Task: other\n";
        assert_eq!(kv(msg), vec![("Agent-Task".into(), "T".into())]);
    }
}
