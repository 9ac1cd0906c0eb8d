//! The checks `git fsck` makes of a tree object (git's `fsck_tree`): entries out of order or
//! named twice, names git's checkout refuses or rewrites (`.`, `..`, `.git` in any of the
//! spellings NTFS and HFS+ treat as `.git`, `/` inside a name, the empty name), modes git
//! does not write, and the `.gitmodules` rules. A tree that breaks one can make a diff skip a
//! path that `git checkout` writes, so the change it belongs to is not judged as shown.

use super::gitmodules;
use super::raw::{EntryKind, RawEntry, RawTree, MAX_NAME};

/// One thing `git fsck` says about a tree, by git's own message id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// git's message id (`duplicateEntries`, `hasDotgit`, …).
    pub check: &'static str,
    /// The first entry it concerns.
    pub entry: Option<Vec<u8>>,
    /// What is wrong, in words.
    pub detail: String,
    /// How many entries of the tree break it.
    pub count: usize,
}

impl Problem {
    pub(crate) fn new(
        check: &'static str,
        entry: Option<&[u8]>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            check,
            entry: entry.map(<[u8]>::to_vec),
            detail: detail.into(),
            count: 1,
        }
    }
}

/// Adds `problem` to `out`, counting repeats of a check instead of listing each.
fn note(out: &mut Vec<Problem>, check: &'static str, entry: &[u8], detail: &str) {
    // Where the detail says the name, the entry is not named again.
    let named = !matches!(check, "emptyName" | "hasDot" | "hasDotdot");
    match out.iter_mut().find(|p| p.check == check) {
        Some(existing) => existing.count += 1,
        None => out.push(Problem::new(check, named.then_some(entry), detail)),
    }
}

/// Checks one parsed tree's entries, adding to its problems; returns whether its entries are
/// strictly ordered with no name twice.
pub(crate) fn check_tree(tree: &mut RawTree) -> bool {
    let mut problems = std::mem::take(&mut tree.problems);
    let mut ordered = true;
    let mut seen: std::collections::HashSet<&[u8]> =
        std::collections::HashSet::with_capacity(tree.entries.len());
    let mut previous: Option<&RawEntry> = None;
    for entry in &tree.entries {
        check_entry(entry, &mut problems);
        if !seen.insert(&entry.name) {
            ordered = false;
            note(
                &mut problems,
                "duplicateEntries",
                &entry.name,
                "names an entry twice",
            );
        } else if previous.is_some_and(|p| git_order(p, entry) != std::cmp::Ordering::Less) {
            ordered = false;
            note(
                &mut problems,
                "treeNotSorted",
                &entry.name,
                "lists its entries out of git's order",
            );
        }
        previous = Some(entry);
    }
    tree.problems = problems;
    ordered
}

/// The per-entry rules of `fsck_tree`.
fn check_entry(entry: &RawEntry, out: &mut Vec<Problem>) {
    let name = entry.name.as_slice();
    if entry.oid.is_zero() {
        note(
            out,
            "nullSha1",
            name,
            "has an entry pointing to the null object id",
        );
    }
    if name.contains(&b'/') {
        note(
            out,
            "fullPathname",
            name,
            "has an entry whose name contains `/`",
        );
    }
    if name.is_empty() {
        note(out, "emptyName", name, "has an entry with an empty name");
    }
    if name == b"." {
        note(out, "hasDot", name, "has an entry named `.`");
    }
    if name == b".." {
        note(out, "hasDotdot", name, "has an entry named `..`");
    }
    if is_dotgit(name) {
        note(
            out,
            "hasDotgit",
            name,
            "has an entry git treats as `.git` (in some case, or as NTFS or HFS+ spell it)",
        );
    }
    if entry.zero_padded {
        note(
            out,
            "zeroPaddedFilemode",
            name,
            "has a zero-padded file mode",
        );
    }
    if !matches!(
        entry.mode,
        0o100644 | 0o100755 | 0o100664 | 0o120000 | 0o040000 | 0o160000
    ) {
        note(
            out,
            "badFilemode",
            name,
            "has an entry with a mode git does not write",
        );
    }
    if name.len() > MAX_NAME {
        note(
            out,
            "largePathname",
            name,
            "has an entry name over 4096 bytes",
        );
    }
    let symlink = entry.kind() == EntryKind::Symlink;
    if is_special(name, Special::Gitmodules) {
        if symlink {
            note(
                out,
                "gitmodulesSymlink",
                name,
                "has a `.gitmodules` that is a symlink",
            );
        } else if entry.kind() != EntryKind::File {
            note(
                out,
                "gitmodulesBlob",
                name,
                "has a `.gitmodules` that is not a file",
            );
        }
    }
    if symlink {
        for (special, check, what) in [
            (
                Special::Gitattributes,
                "gitattributesSymlink",
                "has a `.gitattributes` that is a symlink",
            ),
            (
                Special::Gitignore,
                "gitignoreSymlink",
                "has a `.gitignore` that is a symlink",
            ),
            (
                Special::Mailmap,
                "mailmapSymlink",
                "has a `.mailmap` that is a symlink",
            ),
        ] {
            if is_special(name, special) {
                note(out, check, name, what);
            }
        }
    }
}

/// The rules `git fsck` applies to a `.gitmodules` file's content.
pub fn check_gitmodules(name: &[u8], content: &[u8]) -> Vec<Problem> {
    let mut out = Vec::new();
    let text = match std::str::from_utf8(content) {
        Ok(text) => text,
        Err(_) => {
            out.push(Problem::new(
                "gitmodulesParse",
                Some(name),
                "has a `.gitmodules` that is not UTF-8 text",
            ));
            return out;
        }
    };
    let submodules = match gitmodules::parse(text) {
        Ok(submodules) => submodules,
        Err(reason) => {
            out.push(Problem::new(
                "gitmodulesParse",
                Some(name),
                format!("has a `.gitmodules` git cannot parse: {reason}"),
            ));
            return out;
        }
    };
    for submodule in &submodules {
        if !gitmodules::is_valid_name(&submodule.name) {
            note(
                &mut out,
                "gitmodulesName",
                name,
                &format!(
                    "has a `.gitmodules` naming a submodule `{}`, which leaves the modules directory",
                    submodule.name
                ),
            );
        }
        if submodule
            .url
            .as_deref()
            .is_some_and(|u| !gitmodules::is_valid_url(u))
        {
            note(
                &mut out,
                "gitmodulesUrl",
                name,
                &format!(
                    "has a `.gitmodules` with an invalid url for submodule `{}`",
                    submodule.name
                ),
            );
        }
        if submodule
            .path
            .as_deref()
            .is_some_and(|p| p.starts_with('-'))
        {
            note(
                &mut out,
                "gitmodulesPath",
                name,
                &format!(
                    "has a `.gitmodules` whose path for submodule `{}` starts with `-`",
                    submodule.name
                ),
            );
        }
        if submodule
            .update
            .as_deref()
            .is_some_and(|u| u.starts_with('!'))
        {
            note(
                &mut out,
                "gitmodulesUpdate",
                name,
                &format!(
                    "has a `.gitmodules` whose update for submodule `{}` runs a command",
                    submodule.name
                ),
            );
        }
    }
    out
}

/// git's order of tree entries: by name, a directory's name as if it ended in `/`.
pub fn git_order(a: &RawEntry, b: &RawEntry) -> std::cmp::Ordering {
    let (x, y) = (a.name.as_slice(), b.name.as_slice());
    let common = x.len().min(y.len());
    x[..common].cmp(&y[..common]).then_with(|| {
        let next =
            |name: &[u8], e: &RawEntry| name.get(common).copied().or(e.is_tree().then_some(b'/'));
        next(x, a).cmp(&next(y, b))
    })
}

/// Whether git refuses `name` as `.git`: in any case, as NTFS reads it (`.git.`, `.git `,
/// `git~1`, `.git::$INDEX_ALLOCATION`, after a `\`) or as HFS+ reads it (with Unicode
/// characters it ignores).
pub fn is_dotgit(name: &[u8]) -> bool {
    is_ntfs_dotgit(name)
        || is_hfs_dot(name, b"git")
        || name.split(|b| *b == b'\\').skip(1).any(is_ntfs_dotgit)
}

/// git's `is_ntfs_dotgit`.
fn is_ntfs_dotgit(name: &[u8]) -> bool {
    let lower = |i: usize| name.get(i).map(u8::to_ascii_lowercase);
    let rest = if lower(0) == Some(b'.')
        && name
            .get(1..4)
            .is_some_and(|g| g.eq_ignore_ascii_case(b"git"))
    {
        4
    } else if name
        .get(..3)
        .is_some_and(|g| g.eq_ignore_ascii_case(b"git"))
        && name.get(3..5) == Some(b"~1")
    {
        5
    } else {
        return false;
    };
    only_spaces_and_periods(&name[rest..], true)
}

/// After a dot-name: nothing but spaces and periods up to the end, a `:` (an NTFS stream)
/// or, where `dir_sep`, a directory separator.
fn only_spaces_and_periods(rest: &[u8], dir_sep: bool) -> bool {
    for &c in rest {
        if c == b':' || (dir_sep && (c == b'/' || c == b'\\')) {
            return true;
        }
        if c != b' ' && c != b'.' {
            return false;
        }
    }
    true
}

/// Whether git treats `name` as `.gitmodules`.
pub(crate) fn is_gitmodules(name: &[u8]) -> bool {
    is_special(name, Special::Gitmodules)
}

#[derive(Debug, Clone, Copy)]
enum Special {
    Gitmodules,
    Gitattributes,
    Gitignore,
    Mailmap,
}

/// Whether `name` is the special file, as git's `is_hfs_dot*` and `is_ntfs_dot*` read it
/// (with NTFS's 8.3 short names), also after a `\`.
fn is_special(name: &[u8], special: Special) -> bool {
    let (needle, short): (&[u8], &[u8]) = match special {
        Special::Gitmodules => (b"gitmodules", b"gi7eba"),
        Special::Gitattributes => (b"gitattributes", b"gi7d29"),
        Special::Gitignore => (b"gitignore", b"gi250a"),
        Special::Mailmap => (b"mailmap", b"maba30"),
    };
    std::iter::once(name)
        .chain(name.split(|b| *b == b'\\').skip(1))
        .any(|n| is_ntfs_dot(n, needle, short))
        || is_hfs_dot(name, needle)
}

/// git's `is_ntfs_dot_generic`: `.<needle>` in any case with trailing spaces and periods,
/// its short name `<first six>~1`..`~4`, or the hashed short name `<prefix>~<digits>`.
fn is_ntfs_dot(name: &[u8], needle: &[u8], short: &[u8]) -> bool {
    if name.first() == Some(&b'.')
        && name
            .get(1..1 + needle.len())
            .is_some_and(|n| n.eq_ignore_ascii_case(needle))
    {
        return only_spaces_and_periods(&name[1 + needle.len()..], false);
    }
    if name.len() >= 8
        && name[..6].eq_ignore_ascii_case(&needle[..6])
        && name[6] == b'~'
        && (b'1'..=b'4').contains(&name[7])
    {
        return only_spaces_and_periods(&name[8..], false);
    }
    let mut i = 0;
    let mut saw_tilde = false;
    while i < 8 {
        let Some(&c) = name.get(i) else {
            return false;
        };
        if saw_tilde {
            if !c.is_ascii_digit() {
                return false;
            }
        } else if c == b'~' {
            i += 1;
            if !name.get(i).is_some_and(|d| (b'1'..=b'9').contains(d)) {
                return false;
            }
            saw_tilde = true;
        } else if i >= 6 || c & 0x80 != 0 || c.to_ascii_lowercase() != short[i] {
            return false;
        }
        i += 1;
    }
    only_spaces_and_periods(&name[8..], false)
}

/// Code points HFS+ ignores when it compares names (git's `next_hfs_char`).
fn hfs_ignores(c: char) -> bool {
    matches!(
        c as u32,
        0x200c..=0x200f | 0x202a..=0x202e | 0x206a..=0x206f | 0xfeff
    )
}

/// git's `is_hfs_dot_generic`: `.` and `needle` in any case, with the code points HFS+
/// ignores anywhere, then the end of the name.
fn is_hfs_dot(name: &[u8], needle: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(name) else {
        return false;
    };
    let mut chars = text.chars().filter(|c| !hfs_ignores(*c));
    if chars.next() != Some('.') {
        return false;
    }
    for &want in needle {
        match chars.next() {
            Some(c) if c.is_ascii() && c.to_ascii_lowercase() as u32 == u32::from(want) => {}
            _ => return false,
        }
    }
    matches!(chars.next(), None | Some('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotgit_in_every_spelling_git_refuses() {
        for name in [
            ".git",
            ".GIT",
            ".Git",
            ".git.",
            ".git ",
            ".git. .",
            "git~1",
            "GIT~1",
            ".git::$INDEX_ALLOCATION",
            "x\\.git",
            ".g\u{200c}it",
            "\u{feff}.git",
            ".gi\u{200d}T",
        ] {
            assert!(is_dotgit(name.as_bytes()), "{name:?}");
        }
        for name in [
            ".github",
            ".gitignore",
            "git",
            ".gi",
            "x.git",
            "git~2",
            ".git-x",
        ] {
            assert!(!is_dotgit(name.as_bytes()), "{name:?}");
        }
    }

    #[test]
    fn special_files_in_their_ntfs_and_hfs_spellings() {
        for name in [
            ".gitmodules",
            ".GITMODULES",
            ".gitmodules .",
            "gitmod~1",
            "GI7EBA~1",
            "gi7eb~12",
            ".gitmodu\u{200c}les",
        ] {
            assert!(is_special(name.as_bytes(), Special::Gitmodules), "{name:?}");
        }
        for name in [
            ".gitmodulesx",
            "gitmod~5",
            "gitmodules",
            "gi7eba~0",
            "gi7eba~12",
        ] {
            assert!(
                !is_special(name.as_bytes(), Special::Gitmodules),
                "{name:?}"
            );
        }
        assert!(is_special(b".gitattributes", Special::Gitattributes));
        assert!(is_special(b"gi250a~1", Special::Gitignore));
        assert!(is_special(b".MailMap", Special::Mailmap));
    }

    fn entry(mode: u32, name: &str) -> RawEntry {
        RawEntry {
            mode,
            zero_padded: false,
            name: name.as_bytes().to_vec(),
            oid: git2::Oid::from_bytes(&[1; 20]).unwrap(),
        }
    }

    fn checks(entries: Vec<RawEntry>) -> (Vec<&'static str>, bool) {
        let mut tree = RawTree {
            entries,
            ..RawTree::default()
        };
        let ordered = check_tree(&mut tree);
        (tree.problems.iter().map(|p| p.check).collect(), ordered)
    }

    #[test]
    fn order_and_duplicates_as_fsck_sees_them() {
        // `a.c` sorts before the directory `a` (as `a/`), after the file `a`.
        let (found, ordered) = checks(vec![
            entry(0o100644, "a"),
            entry(0o100644, "a.c"),
            entry(0o040000, "b"),
        ]);
        assert!(found.is_empty() && ordered, "{found:?}");
        let (found, _) = checks(vec![entry(0o100644, "a.c"), entry(0o040000, "a")]);
        assert!(found.is_empty(), "{found:?}");
        let (found, ordered) = checks(vec![entry(0o040000, "a"), entry(0o100644, "a.c")]);
        assert_eq!(found, ["treeNotSorted"]);
        assert!(!ordered);
        // A file and a directory of one name, apart: git's non-consecutive duplicates.
        let (found, _) = checks(vec![
            entry(0o100644, "foo"),
            entry(0o100644, "foo.bar"),
            entry(0o040000, "foo"),
        ]);
        assert!(found.contains(&"duplicateEntries"), "{found:?}");
    }

    #[test]
    fn names_and_modes_git_refuses() {
        let (found, _) = checks(vec![
            entry(0o040000, ""),
            entry(0o040000, "."),
            entry(0o040000, ".."),
            entry(0o100600, "a"),
            entry(0o100644, "b/c"),
            entry(0o120000, "d"),
            entry(0o120000, "e.gitmodules"),
        ]);
        for check in [
            "emptyName",
            "hasDot",
            "hasDotdot",
            "badFilemode",
            "fullPathname",
        ] {
            assert!(found.contains(&check), "{check}: {found:?}");
        }
        let (found, _) = checks(vec![entry(0o120000, ".gitmodules")]);
        assert_eq!(found, ["gitmodulesSymlink"]);
    }

    #[test]
    fn gitmodules_content_rules() {
        let bad = "[submodule \"../../hooks\"]\n\tpath = -x\n\turl = --upload-pack=touch pwned\n\tupdate = !sh evil\n";
        let found: Vec<&str> = check_gitmodules(b".gitmodules", bad.as_bytes())
            .iter()
            .map(|p| p.check)
            .collect();
        assert_eq!(
            found,
            [
                "gitmodulesName",
                "gitmodulesUrl",
                "gitmodulesPath",
                "gitmodulesUpdate"
            ]
        );
        let good =
            "[submodule \"lib\"]\n\tpath = vendor/lib\n\turl = https://example.com/lib.git\n";
        assert!(check_gitmodules(b".gitmodules", good.as_bytes()).is_empty());
        assert_eq!(
            check_gitmodules(b".gitmodules", b"[submodule \"x\"\n")[0].check,
            "gitmodulesParse"
        );
    }
}
