//! Two outputs in two columns, lined up by a line diff, so a reviewer sees at a glance where the
//! recorded run and the fresh one part ways.

use similar::{ChangeTag, TextDiff};
use std::fmt::Write;

const COLUMN: usize = 56;
const MAX_ROWS: usize = 60;

pub(super) fn render(left_title: &str, left: &str, right_title: &str, right: &str) -> String {
    let diff = TextDiff::from_lines(left, right);
    let mut rows: Vec<(char, String, String)> = Vec::new();
    let mut deleted: Vec<String> = Vec::new();
    let mut inserted: Vec<String> = Vec::new();
    let flush = |rows: &mut Vec<(char, String, String)>,
                 deleted: &mut Vec<String>,
                 inserted: &mut Vec<String>| {
        let n = deleted.len().max(inserted.len());
        let mut d = deleted.drain(..);
        let mut i = inserted.drain(..);
        for _ in 0..n {
            rows.push((
                '|',
                d.next().unwrap_or_default(),
                i.next().unwrap_or_default(),
            ));
        }
    };
    for change in diff.iter_all_changes() {
        let line = change.value().trim_end_matches(['\n', '\r']).to_string();
        match change.tag() {
            ChangeTag::Equal => {
                flush(&mut rows, &mut deleted, &mut inserted);
                rows.push((' ', line.clone(), line));
            }
            ChangeTag::Delete => deleted.push(line),
            ChangeTag::Insert => inserted.push(line),
        }
    }
    flush(&mut rows, &mut deleted, &mut inserted);

    let mut out = String::new();
    let _ = writeln!(out, "{:<COLUMN$}   {}", left_title, right_title);
    let skipped = rows.len().saturating_sub(MAX_ROWS);
    if skipped > 0 {
        let _ = writeln!(out, "… {skipped} earlier lines not shown");
    }
    for (marker, l, r) in rows.iter().skip(skipped) {
        let _ = writeln!(out, "{:<COLUMN$} {marker} {}", clip(l), clip(r));
    }
    out
}

fn clip(line: &str) -> String {
    if line.chars().count() <= COLUMN {
        return line.to_string();
    }
    let mut clipped: String = line.chars().take(COLUMN - 1).collect();
    clipped.push('…');
    clipped
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn differing_lines_share_a_row_and_are_marked() {
        let text = render("recorded", "a\nok\nz\n", "fresh", "a\nFAIL\nz\n");
        let rows: Vec<&str> = text.lines().collect();
        assert!(rows[0].starts_with("recorded") && rows[0].ends_with("fresh"));
        assert!(rows[1].starts_with('a') && rows[1].contains(" a"));
        assert!(rows[2].starts_with("ok") && rows[2].contains(" | FAIL"));
        assert_eq!(rows.len(), 4);
    }

    #[test]
    fn one_sided_lines_leave_the_other_column_empty() {
        let text = render("recorded", "", "fresh", "new\n");
        assert!(text
            .lines()
            .nth(1)
            .is_some_and(|r| r.trim_start().starts_with("| new")));
    }
}
