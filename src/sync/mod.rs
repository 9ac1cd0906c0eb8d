//! Sharing the evidence and approval notes with a remote: fetched into remote-tracking notes
//! refs (`refs/notes/remotes/<remote>/…`, never over the local ones), merged into the local
//! refs, and pushed. Fetch and push are git's own (`git fetch`, `git push`), so they reach the
//! remote the way every other fetch and push does: its URL rewriting, protocols, credential
//! helpers and SSH configuration. The merge is agentguard's, because it knows what a note holds
//! (see [`merge`]).

pub(crate) mod merge;

use crate::policy::{Policy, PolicyError};
use crate::repo::{Repo, RepoError};
use git2::Oid;
pub(crate) use merge::{Merged, NoteKind};
use std::process::{Command, Stdio};

/// How often a push rejected because someone pushed notes in between is fetched, merged and
/// tried again.
const ATTEMPTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncError {
    #[error("`git {command}` failed: {reason}")]
    Git { command: String, reason: String },
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
    #[error("{remote} rejected the notes push {ATTEMPTS} times: others pushed notes between each fetch and push")]
    Rejected { remote: String },
    #[error("this clone has no remote to share the notes with")]
    NoRemote,
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error("cannot read the policy that names the notes refs: {0}")]
    Policy(#[from] PolicyError),
}

impl From<git2::Error> for SyncError {
    fn from(e: git2::Error) -> Self {
        SyncError::Repo(RepoError::Git(e))
    }
}

impl SyncError {
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match self {
            SyncError::Git { .. } => Some(
                "check that `git fetch` and `git push` to that remote work from this clone (URL, credentials, permission to push refs/notes/*)",
            ),
            SyncError::Spawn(_) => Some("install git and put it on PATH"),
            SyncError::Rejected { .. } => Some("run `agentguard sync` again"),
            SyncError::NoRemote => Some("add one (git remote add origin <url>), or name it: agentguard sync <remote>"),
            SyncError::Repo(e) => e.hint(),
            SyncError::Policy(e) => e.hint(),
        }
    }
}

/// The two notes refs of a policy: evidence and, beside it, approvals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotesRefs {
    pub evidence: String,
    pub approvals: String,
}

impl NotesRefs {
    /// From `[evidence] notes_ref`, expanded as `git notes --ref` expands a short name.
    pub(crate) fn new(notes_ref: &str) -> Self {
        let evidence = full_notes_ref(notes_ref);
        let approvals = crate::approval::store::notes_ref(&evidence);
        Self {
            evidence,
            approvals,
        }
    }

    /// The refs HEAD's policy names (the base of the next commit).
    pub(crate) fn of_head(repo: &Repo) -> Result<Self, SyncError> {
        let head = repo.head_commit()?;
        let policy = Policy::for_base(repo, head.as_ref())?;
        Ok(Self::new(&policy.evidence.notes_ref))
    }

    fn each(&self) -> [(&str, NoteKind); 2] {
        [
            (&self.evidence, NoteKind::Evidence),
            (&self.approvals, NoteKind::Approvals),
        ]
    }

    /// The fetch refspec for `remote`: both refs (approvals' name extends evidence's) into
    /// remote-tracking refs. Forced, because a tracking ref follows the remote; the local refs
    /// are never its destination.
    pub(crate) fn fetch_refspec(&self, remote: &str) -> String {
        format!(
            "+{}*:{}*",
            self.evidence,
            tracking_ref(remote, &self.evidence)
        )
    }
}

/// The full ref name, as `git notes --ref` expands a short one.
pub(crate) fn full_notes_ref(name: &str) -> String {
    if name.starts_with("refs/notes/") {
        name.to_string()
    } else if let Some(rest) = name.strip_prefix("notes/") {
        format!("refs/notes/{rest}")
    } else {
        format!("refs/notes/{name}")
    }
}

/// Where the remote's version of `local_ref` is kept: `refs/notes/agentguard` of `origin` is
/// `refs/notes/remotes/origin/agentguard`.
pub(crate) fn tracking_ref(remote: &str, local_ref: &str) -> String {
    let rest = local_ref.strip_prefix("refs/notes/").unwrap_or(local_ref);
    format!("refs/notes/remotes/{}/{rest}", ref_component(remote))
}

/// A remote as one ref name component: a remote's name as it is, a URL (`git push <url>`) with
/// everything but letters, digits, `-` and `_` replaced.
fn ref_component(remote: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if !remote.is_empty()
        && remote.chars().all(|c| safe(c) || c == '.')
        && !remote.starts_with('.')
        && !remote.contains("..")
        && !remote.ends_with(".lock")
    {
        return remote.to_string();
    }
    let mapped: String = remote
        .chars()
        .map(|c| if safe(c) { c } else { '_' })
        .collect();
    format!("url_{}", mapped.trim_matches('_'))
}

/// What one ref went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefSync {
    pub local_ref: String,
    pub merged: Merged,
    /// Whether the local ref was pushed (it had notes the remote lacked).
    pub pushed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Report {
    pub remote: String,
    pub refs: Vec<RefSync>,
}

/// Fetches the remote's notes, merges them into the local refs and, with `push`, pushes the
/// local refs where they have notes the remote lacks. A push rejected because someone pushed
/// notes meanwhile is fetched, merged and tried again.
pub(crate) fn sync(
    repo: &Repo,
    remote: &str,
    refs: &NotesRefs,
    push: bool,
) -> Result<Report, SyncError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        fetch(repo, remote, refs)?;
        let mut outcome = Report {
            remote: remote.to_string(),
            refs: Vec::new(),
        };
        let mut to_push = Vec::new();
        for (local_ref, kind) in refs.each() {
            let tracking = tracking_ref(remote, local_ref);
            let theirs = ref_target(repo, &tracking)?;
            let merged = merge::merge_into(repo, local_ref, theirs, kind)?;
            let ours = ref_target(repo, local_ref)?;
            if push {
                if let Some(ours) = ours.filter(|o| Some(*o) != theirs) {
                    to_push.push((local_ref.to_string(), tracking, ours));
                }
            }
            outcome.refs.push(RefSync {
                local_ref: local_ref.to_string(),
                merged,
                pushed: false,
            });
        }
        if to_push.is_empty() {
            return Ok(outcome);
        }
        match push_refs(repo, remote, &to_push)? {
            Pushed::Yes => {
                for (local_ref, tracking, ours) in &to_push {
                    // The remote has what was pushed: its tracking ref says so until next fetch.
                    repo.git()
                        .reference(tracking, *ours, true, "agentguard sync: pushed")?;
                    if let Some(r) = outcome.refs.iter_mut().find(|r| &r.local_ref == local_ref) {
                        r.pushed = true;
                    }
                }
                return Ok(outcome);
            }
            Pushed::Rejected if attempt < ATTEMPTS => continue,
            Pushed::Rejected => {
                return Err(SyncError::Rejected {
                    remote: remote.to_string(),
                })
            }
        }
    }
}

/// The remote to sync with when none is named: the checked-out branch's, else `origin`, else
/// the only one.
pub(crate) fn default_remote(repo: &Repo) -> Result<String, SyncError> {
    let git = repo.git();
    if let Some(branch) = repo.current_branch() {
        if let Some(remote) = repo.config_string(&format!("branch.{branch}.remote")) {
            if remote != "." && git.find_remote(&remote).is_ok() {
                return Ok(remote);
            }
        }
    }
    let remotes = git.remotes()?;
    let names: Vec<&str> = remotes.iter().flatten().collect();
    if names.contains(&"origin") {
        return Ok("origin".to_string());
    }
    match names.as_slice() {
        [only] => Ok((*only).to_string()),
        _ => Err(SyncError::NoRemote),
    }
}

fn ref_target(repo: &Repo, name: &str) -> Result<Option<Oid>, SyncError> {
    match repo.git().refname_to_id(name) {
        Ok(oid) => Ok(Some(oid)),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn git(repo: &Repo) -> Command {
    let mut command = Command::new("git");
    if let Some(dir) = repo.git().workdir() {
        command.current_dir(dir);
    }
    // Never wait on a terminal that is not there; git's own prompts still reach a user's.
    command.stdin(Stdio::null());
    command
}

fn fetch(repo: &Repo, remote: &str, refs: &NotesRefs) -> Result<(), SyncError> {
    let refspec = refs.fetch_refspec(remote);
    let output = git(repo)
        .args([
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--no-recurse-submodules",
        ])
        .arg(remote)
        .arg(&refspec)
        .output()
        .map_err(SyncError::Spawn)?;
    if !output.status.success() {
        return Err(SyncError::Git {
            command: format!("fetch {remote} {refspec}"),
            reason: last_lines(&output.stderr),
        });
    }
    Ok(())
}

enum Pushed {
    Yes,
    /// Someone else moved a notes ref on the remote since the fetch.
    Rejected,
}

fn push_refs(
    repo: &Repo,
    remote: &str,
    refs: &[(String, String, Oid)],
) -> Result<Pushed, SyncError> {
    let specs: Vec<String> = refs
        .iter()
        .map(|(local, _, _)| format!("{local}:{local}"))
        .collect();
    // `--no-verify`: this push carries notes, which the pre-push hook has nothing to judge
    // in, and the hook may be what runs it.
    let output = git(repo)
        .args(["push", "--porcelain", "--no-verify"])
        .arg(remote)
        .args(&specs)
        .output()
        .map_err(SyncError::Spawn)?;
    if output.status.success() {
        return Ok(Pushed::Yes);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    // `!\t<src>:<dst>\t[rejected] (fetch first)`: the remote's ref moved; anything else is not
    // ours to retry.
    if stdout
        .lines()
        .any(|l| l.starts_with('!') && l.contains("\t[rejected]"))
    {
        return Ok(Pushed::Rejected);
    }
    let mut reason = last_lines(&output.stderr);
    if reason.is_empty() {
        reason = last_lines(&output.stdout);
    }
    Err(SyncError::Git {
        command: format!("push {remote} {}", specs.join(" ")),
        reason,
    })
}

/// The last few lines git printed, for an error message.
fn last_lines(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines.len().saturating_sub(3);
    lines[start..].join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_notes_refs_are_expanded_like_git_notes_does() {
        assert_eq!(full_notes_ref("refs/notes/x"), "refs/notes/x");
        assert_eq!(full_notes_ref("notes/x"), "refs/notes/x");
        assert_eq!(full_notes_ref("x"), "refs/notes/x");
        let refs = NotesRefs::new("agentguard");
        assert_eq!(refs.evidence, "refs/notes/agentguard");
        assert_eq!(refs.approvals, "refs/notes/agentguard-approvals");
    }

    #[test]
    fn the_fetch_refspec_never_writes_the_local_refs() {
        let refs = NotesRefs::new("refs/notes/agentguard");
        assert_eq!(
            refs.fetch_refspec("origin"),
            "+refs/notes/agentguard*:refs/notes/remotes/origin/agentguard*"
        );
        assert_eq!(
            tracking_ref("origin", &refs.approvals),
            "refs/notes/remotes/origin/agentguard-approvals"
        );
    }

    #[test]
    fn a_url_becomes_one_safe_ref_component() {
        assert_eq!(ref_component("origin"), "origin");
        assert_eq!(ref_component("up-stream_2"), "up-stream_2");
        assert_eq!(
            ref_component("https://git.example.com/team/shop.git"),
            "url_https___git_example_com_team_shop_git"
        );
        assert_eq!(ref_component("/srv/git/shop.git"), "url_srv_git_shop_git");
        assert_eq!(ref_component("../x"), "url_x");
        assert_eq!(ref_component("a.lock"), "url_a_lock");
    }

    #[test]
    fn error_lines_are_the_last_few() {
        assert_eq!(last_lines(b"a\n\nb\nc\nd\n"), "b; c; d");
        assert_eq!(last_lines(b""), "");
    }
}
