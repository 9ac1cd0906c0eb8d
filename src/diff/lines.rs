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
        Self {
            path,
            binary: false,
            lines: text_lines(content),
        }
    }
}

/// Every line of a text, numbered from 1.
fn text_lines(content: &[u8]) -> Vec<AddedLine> {
    let mut lines = Vec::with_capacity(memchr::memchr_iter(b'\n', content).count() + 1);
    let text = String::from_utf8_lossy(content);
    lines.extend(text.lines().enumerate().map(|(i, text)| AddedLine {
        number: u32::try_from(i + 1).unwrap_or(u32::MAX),
        text: text.to_string(),
    }));
    lines
}

/// A file's added lines as read from the repository, before they are split into lines: what
/// a reading thread hands the thread that scans, which does the splitting.
#[derive(Debug)]
pub struct ReadAdditions(Read);

#[derive(Debug)]
enum Read {
    Lines(FileAdditions),
    /// A new text file: all of it is added.
    Whole {
        path: String,
        content: Vec<u8>,
    },
    /// A changed text file: the added lines' bytes one after another, and where each ends
    /// with its number in the new file.
    Added {
        path: String,
        bytes: Vec<u8>,
        ends: Vec<(u32, usize)>,
    },
}

impl ReadAdditions {
    /// The bytes read, about what the file holds in memory until it is split.
    pub fn size(&self) -> usize {
        match &self.0 {
            Read::Lines(file) => file.lines.iter().map(|l| l.text.len()).sum(),
            Read::Whole { content, .. } => content.len(),
            Read::Added { bytes, ends, .. } => {
                bytes.len() + ends.len() * std::mem::size_of::<(u32, usize)>()
            }
        }
    }

    /// The added lines, split.
    pub fn lines(self) -> FileAdditions {
        match self.0 {
            Read::Lines(file) => file,
            Read::Whole { path, content } => FileAdditions {
                lines: text_lines(&content),
                path,
                binary: false,
            },
            Read::Added { path, bytes, ends } => {
                let mut start = 0;
                let lines = ends
                    .into_iter()
                    .map(|(number, end)| {
                        let text = String::from_utf8_lossy(&bytes[start..end]);
                        start = end;
                        AddedLine {
                            number,
                            text: text.trim_end_matches(['\n', '\r']).to_string(),
                        }
                    })
                    .collect();
                FileAdditions {
                    path,
                    binary: false,
                    lines,
                }
            }
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
        self.read_additions(repo)
            .map(|file| file.map(ReadAdditions::lines))
    }

    /// `additions` as read and not yet split into lines (`ReadAdditions::lines`), so that
    /// another thread can do the splitting.
    pub fn read_additions<'c>(
        &'c self,
        repo: &'c Repo,
    ) -> impl Iterator<Item = Result<ReadAdditions, DiffError>> + 'c {
        self.entries
            .iter()
            .filter_map(move |entry| file_additions(repo, entry).transpose())
    }
}

/// The lines the new side of `entry` gains; `None` for deletions, symlinks and submodules.
fn file_additions(repo: &Repo, entry: &Entry) -> Result<Option<ReadAdditions>, DiffError> {
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
        return Ok(Some(ReadAdditions(Read::Lines(FileAdditions {
            path,
            binary: true,
            lines: new_strings(old_blob.as_ref(), &new_blob),
        }))));
    }
    let old_blob = match old_blob {
        Some(old) if !is_binary(&old) => Some(old),
        _ => None,
    };
    Ok(Some(ReadAdditions(match old_blob {
        None => Read::Whole {
            path,
            content: new_blob.content().to_vec(),
        },
        Some(old_blob) => added_between(path, &old_blob, &new_blob)?,
    })))
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

/// The lines `new` adds over `old` at `path`.
fn added_between(
    path: String,
    old: &git2::Blob<'_>,
    new: &git2::Blob<'_>,
) -> Result<Read, DiffError> {
    let mut opts = DiffOptions::new();
    // Both sides are text by `is_binary`, even where a stray NUL would make git say binary.
    opts.context_lines(0).force_text(true);
    // An empty path, not none: without one libgit2 names the blobs `file` and looks up that
    // path's diff attributes in the work tree for every pair (several stats each); with an
    // empty one it skips the lookup. Attributes cannot change what a text diff adds.
    let unnamed = Some(std::path::Path::new(""));
    let patch = git2::Patch::from_blobs(old, unnamed, new, unnamed, Some(&mut opts))?;
    let (_, added, _) = patch.line_stats()?;
    let mut bytes = Vec::new();
    let mut ends = Vec::with_capacity(added);
    for hunk in 0..patch.num_hunks() {
        for n in 0..patch.num_lines_in_hunk(hunk)? {
            let line = patch.line_in_hunk(hunk, n)?;
            if line.origin() != '+' {
                continue;
            }
            bytes.extend_from_slice(line.content());
            ends.push((line.new_lineno().unwrap_or(0), bytes.len()));
        }
    }
    Ok(Read::Added { path, bytes, ends })
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
