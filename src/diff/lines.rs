//! Added lines: what each file of a change gains, read one file at a time; for a binary file,
//! the printable strings it gains.

use super::{Change, DiffError, Entry};
use crate::repo::Repo;
use git2::DiffOptions;

/// Lines a change adds to one file, for content rules.
#[derive(Debug, Clone)]
pub struct FileAdditions {
    pub path: String,
    /// Binary by content sniffing. A binary file's "lines" are the printable strings it gains
    /// (numbered in order, not by line), so a key cannot hide behind one NUL byte.
    pub binary: bool,
    pub lines: Vec<AddedLine>,
}

#[derive(Debug, Clone)]
pub struct AddedLine {
    pub number: u32,
    pub text: String,
}

impl FileAdditions {
    /// A whole file as if every line were added: for scanning files and trees rather than
    /// changes (`agentguard scan`).
    pub fn whole(path: String, content: &[u8]) -> Self {
        let sniffed = content.iter().take(8000).any(|&b| b == 0);
        if sniffed && binary_content(content) {
            return Self {
                path,
                binary: true,
                lines: new_strings_of(None, content),
            };
        }
        let lines = String::from_utf8_lossy(content)
            .lines()
            .enumerate()
            .map(|(i, text)| AddedLine {
                number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                text: text.to_string(),
            })
            .collect();
        Self {
            path,
            binary: false,
            lines,
        }
    }
}

impl Change {
    /// The lines each text file gains, with their line numbers in the new file.
    pub fn added_lines(&self, repo: &Repo) -> Result<Vec<FileAdditions>, DiffError> {
        self.additions(repo).collect()
    }

    /// `added_lines` one file at a time, in entry order, read as the iterator is advanced: a
    /// large change is never held whole.
    pub fn additions<'c>(
        &'c self,
        repo: &'c Repo,
    ) -> impl Iterator<Item = Result<FileAdditions, DiffError>> + 'c {
        self.entries
            .iter()
            .filter_map(move |entry| file_additions(repo, entry).transpose())
    }
}

/// The lines the new side of `entry` gains; `None` for deletions, symlinks and submodules.
fn file_additions(repo: &Repo, entry: &Entry) -> Result<Option<FileAdditions>, DiffError> {
    let Some(new) = &entry.new else {
        return Ok(None);
    };
    if new.is_symlink() || new.is_submodule() {
        return Ok(None);
    }
    let new_blob = repo.blob(new.oid)?;
    let path = new.display_path();
    let old_blob = match &entry.old {
        Some(old) if !old.is_symlink() && !old.is_submodule() => Some(repo.blob(old.oid)?),
        _ => None,
    };
    if is_binary(&new_blob) {
        return Ok(Some(FileAdditions {
            path,
            binary: true,
            lines: new_strings(old_blob.as_ref(), &new_blob),
        }));
    }
    let old_blob = match old_blob {
        Some(old) if !is_binary(&old) => Some(old),
        _ => None,
    };
    let lines =
        match old_blob {
            None => {
                let content = new_blob.content();
                let mut lines = Vec::with_capacity(memchr::memchr_iter(b'\n', content).count() + 1);
                lines.extend(String::from_utf8_lossy(content).lines().enumerate().map(
                    |(i, text)| AddedLine {
                        number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                        text: text.to_string(),
                    },
                ));
                lines
            }
            Some(old_blob) => added_between(&old_blob, &new_blob)?,
        };
    Ok(Some(FileAdditions {
        path,
        binary: false,
        lines,
    }))
}

/// Binary by git's sniffing (a NUL in the first 8000 bytes), unless the content is valid
/// UTF-8 or text but for a few stray control bytes: padding a script with NULs must not
/// switch its content rules off.
fn is_binary(blob: &git2::Blob<'_>) -> bool {
    let content = blob.content();
    // Valid UTF-8 is text whatever git sniffs; checking that first spares libgit2's
    // byte-at-a-time sniffing of every text file.
    if std::str::from_utf8(content).is_ok() {
        return false;
    }
    blob.is_binary() && binary_content(content)
}

/// Content git sniffed as binary that is not text after all: not valid UTF-8 and more than
/// one byte in a hundred a control byte.
fn binary_content(content: &[u8]) -> bool {
    // Valid UTF-8 is text, however many control bytes it carries.
    if std::str::from_utf8(content).is_ok() {
        return false;
    }
    let controls = content
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    controls * 100 > content.len()
}

/// Printable runs this long or longer count as strings of a binary file (as `strings` does,
/// with a bar high enough that chance bytes rarely form one).
const MIN_BINARY_STRING: usize = 8;

/// The printable strings of `new` that `old` does not have.
fn new_strings(old: Option<&git2::Blob<'_>>, new: &git2::Blob<'_>) -> Vec<AddedLine> {
    new_strings_of(old.map(git2::Blob::content), new.content())
}

/// The printable strings of `new` that `old` does not have.
fn new_strings_of(old: Option<&[u8]>, new: &[u8]) -> Vec<AddedLine> {
    let before: std::collections::HashSet<&str> =
        old.map(|b| printable_runs(b).collect()).unwrap_or_default();
    printable_runs(new)
        .filter(|run| !before.contains(run))
        .enumerate()
        .map(|(i, text)| AddedLine {
            number: u32::try_from(i + 1).unwrap_or(u32::MAX),
            text: text.to_string(),
        })
        .collect()
}

/// Runs of printable ASCII (and tabs), split at line breaks like text.
fn printable_runs(content: &[u8]) -> impl Iterator<Item = &str> {
    content
        .split(|b| !(b.is_ascii_graphic() || *b == b' ' || *b == b'\t'))
        .filter(|run| run.len() >= MIN_BINARY_STRING)
        .filter_map(|run| std::str::from_utf8(run).ok())
}

fn added_between(old: &git2::Blob<'_>, new: &git2::Blob<'_>) -> Result<Vec<AddedLine>, DiffError> {
    let mut opts = DiffOptions::new();
    // Both sides are text by `is_binary`, even where a stray NUL would make git say binary.
    opts.context_lines(0).force_text(true);
    // An empty path, not none: without one libgit2 names the blobs `file` and looks up that
    // path's diff attributes in the work tree for every pair (several stats each); with an
    // empty one it skips the lookup. Attributes cannot change what a text diff adds.
    let unnamed = Some(std::path::Path::new(""));
    let patch = git2::Patch::from_blobs(old, unnamed, new, unnamed, Some(&mut opts))?;
    let (_, added, _) = patch.line_stats()?;
    let mut lines = Vec::with_capacity(added);
    for hunk in 0..patch.num_hunks() {
        for n in 0..patch.num_lines_in_hunk(hunk)? {
            let line = patch.line_in_hunk(hunk, n)?;
            if line.origin() != '+' {
                continue;
            }
            let text = String::from_utf8_lossy(line.content());
            lines.push(AddedLine {
                number: line.new_lineno().unwrap_or(0),
                text: text.trim_end_matches(['\n', '\r']).to_string(),
            });
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::printable_runs;

    #[test]
    fn binary_strings_split_at_unprintable_bytes() {
        let content = b"\x00\x01-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\x00short\x7fAKIAQWERTYUIOPASDFGH\x00";
        let runs: Vec<&str> = printable_runs(content).collect();
        assert_eq!(
            runs,
            vec![
                "-----BEGIN OPENSSH PRIVATE KEY-----",
                "b3BlbnNzaC1rZXktdjEAAAAA",
                "AKIAQWERTYUIOPASDFGH"
            ]
        );
    }
}
