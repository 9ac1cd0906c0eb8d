//! The documentation's links hold: every relative link in the README, SECURITY.md, CHANGELOG.md
//! and the book under docs/src names a file that exists, every `#anchor` into a Markdown file
//! names one of its headings (slugged as GitHub and mdBook slug them), every `{{#include}}`
//! names a file, and SUMMARY.md lists every page of the book and nothing else. Needs no mdbook.

use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn book_src() -> PathBuf {
    root().join("docs/src")
}

/// Every `.md` file below `dir`, sorted.
fn markdown_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The documents whose links are checked.
fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = ["README.md", "SECURITY.md", "CHANGELOG.md"]
        .iter()
        .map(|name| root().join(name))
        .collect();
    docs.extend(markdown_below(&book_src()));
    docs
}

/// The lines of a Markdown text that are not inside fenced code blocks, with their numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fence: Option<String> = None;
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker: String = trimmed
            .chars()
            .take_while(|&c| c == '`' || c == '~')
            .collect();
        let is_fence =
            marker.len() >= 3 && marker.chars().all(|c| c == marker.as_bytes()[0] as char);
        match &fence {
            Some(open)
                if is_fence && marker.starts_with(open.as_str()) && trimmed.trim() == marker =>
            {
                fence = None;
            }
            Some(_) => {}
            None if is_fence => fence = Some(marker),
            None => out.push((index + 1, line)),
        }
    }
    out
}

/// `line` with inline code spans blanked out, so a link written inside backticks is not one.
fn without_code_spans(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let ticks = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            let fence = &line[i..i + ticks];
            if let Some(end) = line[i + ticks..].find(fence) {
                let close = i + ticks + end + ticks;
                out.push_str(&" ".repeat(close - i));
                i = close;
                continue;
            }
            out.push_str(fence);
            i += ticks;
            continue;
        }
        let c = line[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The targets of inline links and images (`[text](target)`) and reference definitions.
fn link_targets(line: &str) -> Vec<String> {
    let line = without_code_spans(line);
    let mut out = Vec::new();
    if let Some(rest) = line.trim_start().strip_prefix('[') {
        if let Some((_, target)) = rest.split_once("]: ") {
            out.push(target.split_whitespace().next().unwrap_or("").to_string());
            return out;
        }
    }
    let mut rest = line.as_str();
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let mut depth = 0;
        let mut end = None;
        for (i, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    end = Some(i);
                    break;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        let Some(end) = end else { break };
        let target = after[..end].split_whitespace().next().unwrap_or("");
        out.push(target.trim_matches(|c| c == '<' || c == '>').to_string());
        rest = &after[end..];
    }
    out
}

/// A heading's anchor as GitHub and mdBook make it: lower case, letters, digits, `-` and `_`
/// kept, spaces turned into `-`, everything else dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c.to_lowercase().next().unwrap_or(c)),
            _ => None,
        })
        .collect()
}

/// Every anchor a Markdown file's headings make; a repeated heading gets `-1`, `-2`, ….
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(line[hashes..].trim_end_matches('#'));
        let count = seen.entry(base.clone()).or_insert(0);
        out.insert(if *count == 0 {
            base.clone()
        } else {
            format!("{base}-{count}")
        });
        *count += 1;
    }
    out
}

/// `path` with `.` and `..` components resolved, without touching the file system.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn is_external(target: &str) -> bool {
    target.starts_with("http://") || target.starts_with("https://") || target.starts_with("mailto:")
}

/// Every problem with the links of `doc`, one line each.
fn link_problems(doc: &Path, root: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(doc).unwrap();
    let dir = doc.parent().unwrap();
    let shown = doc.strip_prefix(root).unwrap().display().to_string();
    let mut problems = Vec::new();
    for (number, line) in prose_lines(&text) {
        for target in link_targets(line) {
            if target.is_empty() {
                problems.push(format!("{shown}:{number}: an empty link"));
                continue;
            }
            if is_external(&target) {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((file, anchor)) => (file, Some(anchor)),
                None => (target.as_str(), None),
            };
            let path = if file.is_empty() {
                doc.to_path_buf()
            } else {
                lexical(&dir.join(file))
            };
            if !path.starts_with(root) || !path.exists() {
                problems.push(format!("{shown}:{number}: `{target}`: no such file"));
                continue;
            }
            if let Some(anchor) = anchor {
                if path.extension().is_some_and(|e| e == "md") {
                    let headings = anchors(&std::fs::read_to_string(&path).unwrap());
                    if !headings.contains(anchor) {
                        problems.push(format!(
                            "{shown}:{number}: `{target}`: no heading makes the anchor `#{anchor}`"
                        ));
                    }
                }
            }
        }
    }
    // mdBook expands includes inside code blocks too.
    for (index, line) in text.lines().enumerate() {
        if let Some(start) = line.find("{{#include ") {
            let rest = &line[start + "{{#include ".len()..];
            let file = rest.split("}}").next().unwrap_or("");
            let file = file.split(':').next().unwrap_or("").trim();
            if !lexical(&dir.join(file)).is_file() {
                problems.push(format!(
                    "{shown}:{}: include `{file}`: no such file",
                    index + 1
                ));
            }
        }
    }
    problems
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let root = root();
    let problems: Vec<String> = documents()
        .iter()
        .flat_map(|doc| link_problems(doc, &root))
        .collect();
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn summary_lists_every_page_of_the_book_and_only_those() {
    let src = book_src();
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).unwrap();
    let listed: BTreeSet<PathBuf> = prose_lines(&summary)
        .into_iter()
        .flat_map(|(_, line)| link_targets(line))
        .map(|target| lexical(&src.join(target)))
        .collect();
    let pages: BTreeSet<PathBuf> = markdown_below(&src)
        .into_iter()
        .filter(|page| page != &src.join("SUMMARY.md"))
        .collect();
    let unlisted: Vec<_> = pages.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&pages).collect();
    assert!(
        unlisted.is_empty() && missing.is_empty(),
        "pages not in SUMMARY.md: {unlisted:?}\nSUMMARY.md entries with no page: {missing:?}"
    );
}

#[test]
fn the_checker_finds_what_it_must() {
    assert_eq!(
        slug("`agentguard init [--force]`"),
        "agentguard-init---force"
    );
    assert_eq!(
        slug("`agentguard show [<rev>] [--format human|json]`"),
        "agentguard-show-rev---format-humanjson"
    );
    assert_eq!(slug("What `verify` requires"), "what-verify-requires");
    assert_eq!(slug("`[risk.<category>]`"), "riskcategory");
    assert_eq!(
        link_targets("see [a](b.md#c) and `[x](not-a-link)` and ![i](img.png \"t\")"),
        vec!["b.md#c", "img.png"]
    );
    assert_eq!(
        link_targets("[Keep]: https://example.com/x"),
        vec!["https://example.com/x"]
    );
    let text = "# A\n```\n# not a heading\n```\n## A\n### B c\n";
    assert_eq!(
        anchors(text),
        ["a", "a-1", "b-c"].iter().map(|s| s.to_string()).collect()
    );
    assert_eq!(prose_lines("a\n````\n```\nb\n````\nc").len(), 2);
    // A broken link and a broken anchor are reported, a good one is not.
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("page.md");
    std::fs::write(dir.path().join("other.md"), "# Title\n").unwrap();
    std::fs::write(
        &doc,
        "[ok](other.md#title) [gone](missing.md) [bad](other.md#nope) [self](#here)\n# Here\n\
         ```toml\n{{#include nothing.toml}}\n```\n",
    )
    .unwrap();
    let problems = link_problems(&doc, dir.path());
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains("missing.md"), "{problems:?}");
    assert!(problems[1].contains("#nope"), "{problems:?}");
    assert!(problems[2].contains("nothing.toml"), "{problems:?}");
}

/// The credentials page lists every rule the category has: each provider token rule of the
/// table and each built-in credentials rule, by the id findings name.
#[test]
fn the_credentials_page_lists_every_rule() {
    let page = std::fs::read_to_string(book_src().join("reference/credentials.md")).unwrap();
    let mut missing: BTreeSet<&str> = BTreeSet::new();
    let ids = agentguard::internals::risk::credential_rule_ids();
    assert!(ids.len() > 200, "{}", ids.len());
    for id in ids {
        if !page.contains(&format!("`{id}`")) {
            missing.insert(id);
        }
    }
    assert!(missing.is_empty(), "not in credentials.md: {missing:?}");
}
