//! pre-push: every agent commit the remote lacks must carry passing evidence and its
//! approvals before it leaves this machine.

use super::run::{HookRun, HookRunError};
use crate::engine::{self, CheckRequest, Target};
use crate::repo::Repo;
use git2::Oid;

/// One line git writes on pre-push's stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRef {
    pub local_ref: String,
    pub local: Oid,
    pub remote_ref: String,
    pub remote: Oid,
}

/// Parses `<local ref> <local sha> <remote ref> <remote sha>` lines; anything else is an error
/// (the hook fails closed rather than push unjudged commits).
pub fn parse(stdin: &str) -> Result<Vec<PushedRef>, HookRunError> {
    stdin
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let [local_ref, local, remote_ref, remote] = words.as_slice() else {
                return Err(HookRunError::PushInput(format!(
                    "expected four words, got `{line}`"
                )));
            };
            let oid = |text: &str| {
                Oid::from_str(text)
                    .map_err(|_| HookRunError::PushInput(format!("`{text}` is not an object id")))
            };
            Ok(PushedRef {
                local_ref: local_ref.to_string(),
                local: oid(local)?,
                remote_ref: remote_ref.to_string(),
                remote: oid(remote)?,
            })
        })
        .collect()
}

/// Judges the commits each pushed ref would add to `remote`. Acceptance is not re-run here:
/// the evidence recorded at commit time speaks for it, and the CI gate runs it fresh.
pub fn pre_push(repo: &Repo, remote: &str, stdin: &str) -> Result<HookRun, HookRunError> {
    let mut run = HookRun::default();
    let mut seen = std::collections::HashSet::new();
    // The branch the work is headed for: the remote's default branch as last fetched.
    let default_branch = repo
        .resolve_commit(&format!("refs/remotes/{remote}/HEAD"))
        .ok()
        .map(|c| c.id());
    let mut requests = Vec::new();
    for pushed in parse(stdin)? {
        if pushed.local.is_zero() {
            continue; // deleting a remote branch adds nothing
        }
        // A tag of a tree or blob carries no commit to judge.
        let Some(local) = repo.peel_to_commit(pushed.local) else {
            continue;
        };
        let known_remote =
            (!pushed.remote.is_zero() && repo.has_commit(pushed.remote)).then_some(pushed.remote);
        let commits = match known_remote {
            Some(remote_tip) => repo.commits_not_in(local, &[remote_tip], None)?,
            // A new branch, or a remote tip this clone never saw: whatever the remote's
            // tracking refs already have is not new.
            None => {
                repo.commits_not_in(pushed.local, &[], Some(&format!("refs/remotes/{remote}/*")))?
            }
        };
        let policy_base = known_remote.map(|r| repo.merge_base(r, local).unwrap_or(r));
        // Every commit pushed for a branch is judged as being on that branch.
        let mut branches: Vec<String> = [&pushed.local_ref, &pushed.remote_ref]
            .iter()
            .filter_map(|r| r.strip_prefix("refs/heads/"))
            .map(str::to_string)
            .collect();
        branches.dedup();
        for commit in commits {
            if !seen.insert(commit) {
                continue;
            }
            let request = CheckRequest {
                run_acceptance: false,
                require_evidence: true,
                policy_base,
                // The target's rules as they are now narrow those the work began under.
                policy_tip: default_branch.or(known_remote),
                branches: Some(branches.clone()),
                ..CheckRequest::new(Target::Rev(commit.to_string()))
            };
            requests.push(request);
        }
    }
    for (result, _) in engine::check_all(repo, &requests) {
        run.reports.push(result?);
    }
    if run.verdict().passed() && run.reports.iter().any(|r| r.agent) {
        run.notes.push(format!(
            "push the evidence and approvals too: git push {remote} 'refs/notes/agentguard*'"
        ));
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_gits_lines_and_refuses_anything_else() {
        let zero = "0".repeat(40);
        let sha = "a".repeat(40);
        let lines = format!("refs/heads/x {sha} refs/heads/x {zero}\n\n");
        let parsed = parse(&lines).unwrap();
        assert_eq!(parsed.len(), 1);
        assert!(parsed[0].remote.is_zero());
        assert!(parse("refs/heads/x abc").is_err());
        assert!(parse(&format!("a {sha} b nothex")).is_err());
    }
}
