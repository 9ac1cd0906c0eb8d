//! The notes travel: `agentguard sync` against a real bare remote from two clones, the fetch
//! refspec `install` configures, and what neither may ever do: overwrite notes the other side
//! has not seen.

use crate::support::{msg, text, Remote, TestRepo, TASK};

/// A remote with a human `main` and an agent commit on `agent/work` (no policy file: the
/// default one).
fn remote_with_work() -> (Remote, String) {
    let origin = TestRepo::with_initial_commit();
    let remote = Remote::with(&origin);
    origin.checkout_new("agent/work");
    origin.write("src/app.py", "x = 1\n");
    let work = origin.commit_all(&msg(&[TASK]));
    origin.git(&[
        "push",
        "-q",
        "--no-verify",
        remote.path.to_str().unwrap(),
        "agent/work",
    ]);
    (remote, work)
}

fn sync(repo: &TestRepo, args: &[&str]) -> std::process::Output {
    let mut all = vec!["sync"];
    all.extend_from_slice(args);
    repo.run(&all)
}

fn add_note(repo: &TestRepo, notes_ref: &str, commit: &str, text: &str) {
    repo.git(&["notes", "--ref", notes_ref, "add", "-f", "-m", text, commit]);
}

fn notes(repo: &TestRepo, notes_ref: &str) -> Vec<String> {
    let mut commits: Vec<String> = repo
        .git(&["notes", "--ref", notes_ref, "list"])
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect();
    commits.sort();
    commits
}

/// An approval block as a note holds it (its signature is not checked by a merge).
fn block(approver: &str) -> String {
    format!(
        "agentguard-approval v1\nfingerprint ab12\ncategories auth\napprover {approver}\ntime 2026-01-01T00:00:00Z\nreason ok\n-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n"
    )
}

#[test]
fn notes_added_in_two_clones_both_survive() {
    let (remote, work) = remote_with_work();
    let a = TestRepo::clone_of_remote(&remote);
    let b = TestRepo::clone_of_remote(&remote);
    let main = a.git(&["rev-parse", "origin/main"]);

    // Each clone notes another commit, and both approve the same one.
    add_note(&a, "agentguard", &work, "evidence of work\n");
    add_note(
        &a,
        "agentguard-approvals",
        &work,
        &block("lead@example.com"),
    );
    add_note(&b, "agentguard", &main, "evidence of main\n");
    add_note(&b, "agentguard-approvals", &work, &block("dba@example.com"));

    let output = sync(&a, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("refs/notes/agentguard: origin has none; pushed to origin"),
        "{said}"
    );

    // B's notes and A's diverged: merged, not replaced, and pushed.
    let output = sync(&b, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("refs/notes/agentguard: merged with origin's: 1 note from origin, 0 changed on both sides; pushed to origin"),
        "{said}"
    );
    assert!(
        said.contains("refs/notes/agentguard-approvals: merged with origin's: 0 notes from origin, 1 changed on both sides; pushed"),
        "{said}"
    );
    let mut both = vec![main.clone(), work.clone()];
    both.sort();
    assert_eq!(remote.notes("agentguard"), both);

    // A gets B's by a fast-forward; every approval block is there once, intact.
    let output = sync(&a, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("fast-forwarded to origin's"));
    assert_eq!(notes(&a, "agentguard"), both);
    let approvals = a.git(&["notes", "--ref", "agentguard-approvals", "show", &work]);
    assert_eq!(
        approvals.matches("agentguard-approval v1").count(),
        2,
        "{approvals}"
    );
    assert!(approvals.contains("approver lead@example.com"));
    assert!(approvals.contains("approver dba@example.com"));
    assert_eq!(
        remote
            .note("agentguard-approvals", &work)
            .unwrap()
            .trim_end(),
        approvals.trim_end()
    );

    // Nothing new: nothing pushed.
    let output = sync(&a, &[]);
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(!said.contains("pushed"), "{said}");
    assert!(said.contains("has everything origin has"), "{said}");
}

#[test]
fn two_evidence_notes_for_one_commit_keep_the_one_for_its_tree() {
    let (remote, work) = remote_with_work();
    let a = TestRepo::clone_of_remote(&remote);
    let b = TestRepo::clone_of_remote(&remote);
    a.git(&["checkout", "-q", "agent/work"]);
    let output = a.run(&["check", "--record", "--no-run"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let recorded = a.git(&["notes", "--ref", "agentguard", "show", &work]);
    // B holds a note for the same commit that speaks of another tree.
    let stale = recorded.replace(&a.git(&["rev-parse", "HEAD^{tree}"]), &"0".repeat(40));
    add_note(&b, "agentguard", &work, &stale);
    assert_eq!(sync(&b, &[]).status.code(), Some(0));
    let output = sync(&a, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 changed on both sides"),
        "{}",
        text(&output)
    );
    assert_eq!(
        remote.note("agentguard", &work).unwrap().trim_end(),
        recorded.trim_end()
    );
    // Whoever merges, the same note is kept.
    assert_eq!(sync(&b, &[]).status.code(), Some(0));
    assert_eq!(
        b.git(&["notes", "--ref", "agentguard", "show", &work]),
        recorded
    );
}

#[test]
fn no_push_only_fetches_and_merges() {
    let (remote, work) = remote_with_work();
    let a = TestRepo::clone_of_remote(&remote);
    add_note(&a, "agentguard", &work, "from a\n");
    assert_eq!(sync(&a, &[]).status.code(), Some(0));
    let ci = TestRepo::clone_of_remote(&remote);
    let main = ci.git(&["rev-parse", "origin/main"]);
    add_note(&ci, "agentguard", &main, "local only\n");
    let output = sync(&ci, &["--no-push"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(!String::from_utf8_lossy(&output.stdout).contains("pushed"));
    let mut both = vec![main, work.clone()];
    both.sort();
    assert_eq!(notes(&ci, "agentguard"), both);
    assert_eq!(remote.notes("agentguard"), vec![work]);
}

#[test]
fn sync_fails_closed_and_says_why() {
    let repo = TestRepo::with_initial_commit();
    let output = sync(&repo, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no remote to share the notes with"),
        "{stderr}"
    );
    assert!(stderr.contains("git remote add origin"), "{stderr}");

    repo.git(&["remote", "add", "origin", "/nonexistent/remote.git"]);
    let output = sync(&repo, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`git fetch origin +refs/notes/agentguard*:refs/notes/remotes/origin/agentguard*` failed"), "{stderr}");
}

#[test]
fn install_fetches_notes_beside_the_local_ones_never_over_them() {
    let (remote, work) = remote_with_work();
    let a = TestRepo::clone_of_remote(&remote);
    // The refspec earlier docs gave: every fetch overwrote the local notes.
    a.git(&[
        "config",
        "--add",
        "remote.origin.fetch",
        "+refs/notes/agentguard*:refs/notes/agentguard*",
    ]);
    a.git(&[
        "config",
        "--add",
        "remote.origin.fetch",
        "+refs/notes/*:refs/notes/*",
    ]);
    let output = a.run(&["install"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("removed remote.origin.fetch +refs/notes/agentguard*:refs/notes/agentguard*"),
        "{said}"
    );
    assert!(
        said.contains("warning: remote.origin.fetch +refs/notes/*:refs/notes/* overwrites"),
        "{said}"
    );
    assert!(
        said.contains("git config --add remote.origin.fetch +refs/notes/agentguard*:refs/notes/remotes/origin/agentguard*"),
        "{said}"
    );
    a.git(&[
        "config",
        "--unset",
        "remote.origin.fetch",
        r"^\+refs/notes/\*:refs/notes/\*$",
    ]);

    // Someone else pushes notes; this clone has a note of its own, not pushed yet.
    let b = TestRepo::clone_of_remote(&remote);
    add_note(&b, "agentguard", &work, "from b\n");
    assert_eq!(sync(&b, &[]).status.code(), Some(0));
    let main = a.git(&["rev-parse", "origin/main"]);
    add_note(&a, "agentguard", &main, "unpushed\n");
    a.git(&["fetch", "-q", "origin"]);
    assert_eq!(
        notes(&a, "agentguard"),
        vec![main.clone()],
        "the local note stays"
    );
    assert_eq!(
        a.git(&["notes", "--ref", "remotes/origin/agentguard", "show", &work]),
        "from b"
    );

    // Installing again changes nothing; uninstall takes only what install added.
    let output = a.run(&["install"]);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("nothing changed"),
        "{}",
        text(&output)
    );
    let output = a.run(&["uninstall"]);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(
            "git config --unset remote.origin.fetch +refs/notes/agentguard*:refs/notes/remotes/origin/agentguard*"
        ),
        "{}",
        text(&output)
    );
    assert_eq!(
        a.git(&["config", "--get-all", "remote.origin.fetch"]),
        "+refs/heads/*:refs/remotes/origin/*"
    );
}
