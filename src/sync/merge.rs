//! Merging two histories of a notes ref: a three-way merge per annotated commit, and where
//! both sides changed one note, a resolution that knows what the note holds. git's own
//! strategies do not fit: `cat_sort_uniq` sorts the lines of a note and tears signed approval
//! blocks apart, and `union` concatenates two evidence documents into one unreadable TOML.

use crate::evidence::Evidence;
use crate::repo::{Repo, RepoError};
use crate::verdict::Verdict;
use git2::{ObjectType, Oid};
use std::collections::{BTreeMap, BTreeSet};

/// What a notes ref holds, which decides how two versions of one note are reconciled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoteKind {
    /// One evidence document per commit: the better of the two is kept.
    Evidence,
    /// Signed approval blocks, appended: both sides' blocks are kept, each once.
    Approvals,
}

/// What merging the fetched ref into the local one did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Merged {
    /// Nothing was fetched for this ref.
    NothingFetched,
    /// The local ref already had everything fetched.
    UpToDate,
    /// There was no local ref: it now is the fetched one.
    Created,
    /// The local ref had nothing the fetched one lacked: it moved forward to it.
    FastForward,
    /// Both sides had notes of their own: a merge commit keeps both. `changed` notes came
    /// from the other side, `resolved` were changed on both sides.
    Joined { changed: usize, resolved: usize },
}

/// Merges the notes commit `theirs` into `local_ref`, under the notes lock, moving the ref
/// only if nobody moved it meanwhile.
pub(crate) fn merge_into(
    repo: &Repo,
    local_ref: &str,
    theirs: Option<Oid>,
    kind: NoteKind,
) -> Result<Merged, RepoError> {
    let Some(theirs) = theirs else {
        return Ok(Merged::NothingFetched);
    };
    let git = repo.git();
    let _lock = repo.lock_notes()?;
    let ours = match git.refname_to_id(local_ref) {
        Ok(oid) => oid,
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            git.reference(local_ref, theirs, false, "agentguard sync: fetched notes")?;
            return Ok(Merged::Created);
        }
        Err(e) => return Err(e.into()),
    };
    if ours == theirs || git.graph_descendant_of(ours, theirs)? {
        return Ok(Merged::UpToDate);
    }
    if git.graph_descendant_of(theirs, ours)? {
        git.reference_matching(
            local_ref,
            theirs,
            true,
            ours,
            "agentguard sync: fast-forward",
        )?;
        return Ok(Merged::FastForward);
    }
    let base = git.merge_base(ours, theirs).ok();
    let read = |commit: Option<Oid>| -> Result<BTreeMap<Oid, Oid>, RepoError> {
        match commit {
            Some(commit) => notes_of(repo, commit),
            None => Ok(BTreeMap::new()),
        }
    };
    let (mine, other, old) = (read(Some(ours))?, read(Some(theirs))?, read(base)?);
    let mut merged = BTreeMap::new();
    let (mut changed, mut resolved) = (0, 0);
    let keys: BTreeSet<Oid> = mine.keys().chain(other.keys()).copied().collect();
    for annotated in keys {
        let (l, r, b) = (
            mine.get(&annotated).copied(),
            other.get(&annotated).copied(),
            old.get(&annotated).copied(),
        );
        let kept = if l == r || r == b {
            l
        } else if l == b {
            changed += 1;
            r
        } else {
            resolved += 1;
            resolve(repo, kind, annotated, l, r)?
        };
        if let Some(blob) = kept {
            merged.insert(annotated, blob);
        }
    }
    let mut tree = git.treebuilder(None)?;
    for (annotated, blob) in &merged {
        tree.insert(annotated.to_string(), *blob, 0o100644)?;
    }
    let tree = git.find_tree(tree.write()?)?;
    let signature = repo.notes_signature()?;
    let parents = [&git.find_commit(ours)?, &git.find_commit(theirs)?];
    let message = format!("Notes merged by agentguard sync\n\nMerged {theirs} into {ours}.\n");
    let commit = git.commit(None, &signature, &signature, &message, &tree, &parents)?;
    git.reference_matching(
        local_ref,
        commit,
        true,
        ours,
        "agentguard sync: merged notes",
    )?;
    Ok(Merged::Joined { changed, resolved })
}

/// Annotated object → note blob, for a notes commit (flat or fanned out into `ab/cdef…`).
pub(crate) fn notes_of(repo: &Repo, commit: Oid) -> Result<BTreeMap<Oid, Oid>, RepoError> {
    let git = repo.git();
    let tree = git.find_commit(commit)?.tree()?;
    let mut notes = BTreeMap::new();
    let mut pending = vec![(String::new(), tree)];
    while let Some((prefix, tree)) = pending.pop() {
        for entry in tree.iter() {
            let Some(name) = entry.name() else { continue };
            let path = format!("{prefix}{name}");
            match entry.kind() {
                Some(ObjectType::Tree) if is_hex(name) && path.len() < 40 => {
                    pending.push((path, git.find_tree(entry.id())?));
                }
                Some(ObjectType::Blob) if path.len() == 40 && is_hex(&path) => {
                    if let Ok(annotated) = Oid::from_str(&path) {
                        notes.insert(annotated, entry.id());
                    }
                }
                // Anything else in a notes tree is not a note.
                _ => {}
            }
        }
    }
    Ok(notes)
}

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// One note both sides changed (or one removed while the other changed it): the blob kept.
fn resolve(
    repo: &Repo,
    kind: NoteKind,
    annotated: Oid,
    ours: Option<Oid>,
    theirs: Option<Oid>,
) -> Result<Option<Oid>, RepoError> {
    let (ours, theirs) = match (ours, theirs) {
        (Some(a), Some(b)) => (a, b),
        // A note removed on one side and changed on the other: the change is kept.
        (only, None) | (None, only) => return Ok(only),
    };
    let text = |oid: Oid| -> Result<Vec<u8>, RepoError> { Ok(repo.blob(oid)?.content().to_vec()) };
    let (a, b) = (text(ours)?, text(theirs)?);
    let bytes = match kind {
        NoteKind::Approvals => union_of_blocks(&a, &b).into_bytes(),
        NoteKind::Evidence => {
            let tree = repo
                .git()
                .find_commit(annotated)
                .ok()
                .map(|c| c.tree_id().to_string());
            let rank = |bytes: &[u8], blob: Oid| evidence_rank(bytes, tree.as_deref(), blob);
            let better = if rank(&b, theirs) > rank(&a, ours) {
                theirs
            } else {
                ours
            };
            return Ok(Some(better));
        }
    };
    Ok(Some(repo.git().blob(&bytes)?))
}

/// How good an evidence note is for the commit it is on: readable, for the commit's own tree,
/// passing, newest; the blob id decides a tie, so both clones keep the same note.
fn evidence_rank(bytes: &[u8], tree: Option<&str>, blob: Oid) -> (bool, bool, bool, String, Oid) {
    match Evidence::parse(bytes) {
        Ok(evidence) => (
            true,
            tree.is_some_and(|t| t == evidence.tree),
            evidence.verdict == Verdict::Pass,
            evidence.time,
            blob,
        ),
        Err(_) => (false, false, false, String::new(), blob),
    }
}

/// The blocks of both approval notes, ours first, each distinct block once. A block runs from
/// its header line to the next; text before the first header is kept as a block of its own.
pub(crate) fn union_of_blocks(ours: &[u8], theirs: &[u8]) -> String {
    let mut seen = BTreeSet::new();
    let mut out = String::new();
    for text in [ours, theirs] {
        for block in blocks(&String::from_utf8_lossy(text)) {
            if seen.insert(block.clone()) {
                out.push_str(&block);
            }
        }
    }
    out
}

fn blocks(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line == crate::approval::HEADER && !current.trim().is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if line.trim().is_empty() && current.trim().is_empty() {
            continue;
        }
        current.push_str(line.trim_end());
        current.push('\n');
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    // Blank lines between blocks are not part of either.
    out.into_iter()
        .map(|b| format!("{}\n", b.trim_end()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n";

    fn block(who: &str) -> String {
        format!(
            "agentguard-approval v1\nfingerprint ab\ncategories auth\napprover {who}\ntime t\nreason r\n{SIG}"
        )
    }

    #[test]
    fn approval_blocks_of_both_sides_are_kept_once_and_intact() {
        let shared = block("lead@example.com");
        let ours = format!("{shared}{}", block("dba@example.com"));
        let theirs = format!("{shared}\n{}", block("sec@example.com"));
        let merged = union_of_blocks(ours.as_bytes(), theirs.as_bytes());
        assert_eq!(
            merged,
            format!(
                "{shared}{}{}",
                block("dba@example.com"),
                block("sec@example.com")
            )
        );
        let parsed = crate::approval::parse_blocks(&merged);
        assert_eq!(parsed.len(), 3);
        assert!(parsed.iter().all(Result::is_ok), "{parsed:?}");
    }

    #[test]
    fn text_that_is_not_a_block_survives_as_it_was() {
        let merged = union_of_blocks(b"garbage\n", block("a@x").as_bytes());
        assert!(
            merged.starts_with("garbage\nagentguard-approval v1\n"),
            "{merged}"
        );
        assert_eq!(union_of_blocks(b"", b""), "");
        assert_eq!(
            union_of_blocks(
                block("a@x").as_bytes(),
                block("a@x").replace('\n', "\r\n").as_bytes()
            ),
            block("a@x")
        );
    }

    #[test]
    fn the_better_evidence_wins_whoever_merges() {
        let note = |tree: &str, verdict: &str, time: &str| {
            format!(
                "schema = \"agentguard.evidence/v1\"\ntree = \"{tree}\"\nfingerprint = \"ff\"\npolicy = \"p\"\nverdict = \"{verdict}\"\nacceptance_ran = true\ntool = \"t\"\ntime = \"{time}\"\n"
            )
        };
        let blob = |n: u8| Oid::from_bytes(&[n; 20]).unwrap();
        let rank = |text: &str, n: u8| evidence_rank(text.as_bytes(), Some("aa"), blob(n));
        let right_tree = note("aa", "pass", "2026-01-01T00:00:00Z");
        let wrong_tree = note("bb", "pass", "2026-02-01T00:00:00Z");
        let blocked = note("aa", "block", "2026-02-01T00:00:00Z");
        let newer = note("aa", "pass", "2026-03-01T00:00:00Z");
        assert!(rank(&right_tree, 1) > rank(&wrong_tree, 2));
        assert!(rank(&right_tree, 1) > rank(&blocked, 2));
        assert!(rank(&newer, 1) > rank(&right_tree, 2));
        assert!(rank(&wrong_tree, 1) > rank("not toml", 2));
        // Equal notes: the blob id decides, the same way on both sides.
        assert!(rank(&newer, 2) > rank(&newer, 1));
    }
}
