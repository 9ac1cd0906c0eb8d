//! Commit-message trailers, parsed by git's rules (`git interpret-trailers --parse`):
//! the trailer block is the last paragraph after the title, `#` comment lines are ignored,
//! a line starting with whitespace continues the previous trailer, keys are case-insensitive.

/// One `Key: value` trailer with continuation lines unfolded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    pub key: String,
    pub value: String,
}

const CUT_LINE: &str = "------------------------ >8 ------------------------";
const GIT_GENERATED_PREFIXES: [&str; 2] = ["Signed-off-by: ", "(cherry picked from commit "];

/// Parses the trailer block of a commit message whose comment lines start with `comment`
/// (git's `core.commentChar`, `#` by default).
pub fn parse(message: &str, comment: &str) -> Vec<Trailer> {
    let lines = message_lines(message, comment);
    let Some(block) = trailer_block(&lines, comment) else {
        return Vec::new();
    };
    let mut trailers: Vec<Trailer> = Vec::new();
    // Continuation lines belong to whatever precedes them, trailer or not.
    let mut continuing_trailer = false;
    for line in block {
        if line.starts_with(comment) {
            continue;
        }
        if starts_with_space(line) {
            if continuing_trailer {
                if let Some(last) = trailers.last_mut() {
                    let more = trim_space(line);
                    if !more.is_empty() {
                        if !last.value.is_empty() {
                            last.value.push(' ');
                        }
                        last.value.push_str(more);
                    }
                }
            }
            continue;
        }
        match split_trailer(line) {
            Some((key, value)) => {
                trailers.push(Trailer {
                    key: key.to_string(),
                    value: trim_space(value).to_string(),
                });
                continuing_trailer = true;
            }
            None => continuing_trailer = false,
        }
    }
    trailers
}

/// The lines of the log message git keeps, with their 1-based line numbers in `message`:
/// nothing from the scissors line of `git commit -v` on, no comment lines.
pub(crate) fn log_lines<'a>(message: &'a str, comment: &str) -> Vec<(u32, &'a str)> {
    message_lines(message, comment)
        .into_iter()
        .enumerate()
        .filter(|(_, line)| !line.starts_with(comment))
        .map(|(i, line)| (u32::try_from(i + 1).unwrap_or(u32::MAX), line))
        .collect()
}

/// The message's lines up to the end of the log message: nothing from the scissors line of
/// `git commit -v` on, and no trailing comment or blank lines.
fn message_lines<'a>(message: &'a str, comment: &str) -> Vec<&'a str> {
    let scissors = format!("{comment} {CUT_LINE}");
    let mut out: Vec<&str> = Vec::new();
    for raw in message.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line == scissors {
            break;
        }
        out.push(line);
    }
    while out
        .last()
        .is_some_and(|l| is_blank(l) || l.starts_with(comment))
    {
        out.pop();
    }
    out
}

/// git's `isspace`: ASCII space, tab, newline and carriage return only.
fn is_git_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn starts_with_space(line: &str) -> bool {
    line.starts_with(is_git_space)
}

fn trim_space(text: &str) -> &str {
    text.trim_matches(is_git_space)
}

fn is_blank(line: &str) -> bool {
    line.chars().all(is_git_space)
}

/// The last paragraph, if git would take it as a trailer block (git's
/// `find_trailer_block_start`). The title paragraph never is.
fn trailer_block<'a>(lines: &[&'a str], comment: &str) -> Option<Vec<&'a str>> {
    let title_end = lines
        .iter()
        .position(|l| !l.starts_with(comment) && is_blank(l))
        .unwrap_or(lines.len());
    let mut trailer_lines = 0usize;
    let mut non_trailer_lines = 0usize;
    let mut possible_continuation_lines = 0usize;
    let mut recognized_prefix = false;
    let mut only_spaces = true;
    for index in (title_end..lines.len()).rev() {
        let line = lines[index];
        if line.starts_with(comment) {
            non_trailer_lines += possible_continuation_lines;
            possible_continuation_lines = 0;
            continue;
        }
        if is_blank(line) {
            if only_spaces {
                continue;
            }
            non_trailer_lines += possible_continuation_lines;
            let accepted = (recognized_prefix && trailer_lines * 3 >= non_trailer_lines)
                || (trailer_lines > 0 && non_trailer_lines == 0);
            return accepted.then(|| lines[index + 1..].to_vec());
        }
        only_spaces = false;
        if GIT_GENERATED_PREFIXES.iter().any(|p| line.starts_with(p)) {
            trailer_lines += 1;
            possible_continuation_lines = 0;
            recognized_prefix = true;
        } else if split_trailer(line).is_some() {
            trailer_lines += 1;
            possible_continuation_lines = 0;
        } else if starts_with_space(line) {
            possible_continuation_lines += 1;
        } else {
            non_trailer_lines += 1 + possible_continuation_lines;
            possible_continuation_lines = 0;
        }
    }
    None
}

/// git's `find_separator` with `:`: a key of ASCII letters, digits and `-`, optional spaces
/// or tabs, then the colon.
fn split_trailer(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let key = line[..colon].trim_end_matches([' ', '\t']);
    let valid = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    valid.then(|| (key, &line[colon + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(message: &str) -> Vec<(String, String)> {
        parse(message, "#")
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
    fn no_patch_divider_in_commit_messages() {
        // `git log --format=%(trailers)` applies no `---` divider to commit objects.
        let msg = "Title\n\nbody\n---\n\nAgent-Task: T-1\n";
        assert_eq!(kv(msg), vec![("Agent-Task".into(), "T-1".into())]);
    }

    #[test]
    fn leading_blank_line_ends_an_empty_title() {
        assert_eq!(
            kv("\nAgent-Task: T\n"),
            vec![("Agent-Task".into(), "T".into())]
        );
    }

    #[test]
    fn only_ascii_whitespace_is_blank() {
        // A no-break space line is text to git, so the paragraph is not split there.
        let msg = "T\n\nAgent-Task: T\n\u{a0}\nSigned-off-by: a <a@b>\n";
        assert_eq!(
            kv(msg),
            vec![
                ("Agent-Task".into(), "T".into()),
                ("Signed-off-by".into(), "a <a@b>".into())
            ]
        );
    }

    #[test]
    fn scissors_must_be_the_exact_line() {
        let msg = "T\n\nAgent-Task: T\n#  not scissors ------------------------ >8 ------------------------\n";
        assert_eq!(kv(msg), vec![("Agent-Task".into(), "T".into())]);
    }

    #[test]
    fn cherry_pick_line_counts_as_trailer() {
        // Two trailer lines against six of prose is exactly git's 25% with the cherry-pick
        // line counted as a trailer; counted as prose it would fall short.
        let msg = "T\n\np1\np2\np3\np4\np5\np6\n(cherry picked from commit abc)\nAgent-Task: T\n";
        assert_eq!(kv(msg), vec![("Agent-Task".into(), "T".into())]);
    }

    #[test]
    fn continuation_after_prose_is_not_a_value() {
        let msg = "T\n\nAgent-Task: T\nprose\n  --extra\nSigned-off-by: a <a@b>\n";
        assert_eq!(kv(msg)[0], ("Agent-Task".into(), "T".into()));
    }

    #[test]
    fn configured_comment_character() {
        let msg = "T\n\nAgent-Task: T\n; Please enter the commit message\n";
        assert!(parse(msg, "#").is_empty());
        assert_eq!(parse(msg, ";").len(), 1);
    }
}
