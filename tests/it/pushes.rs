//! pre-push against a real bare remote: what a push adds is judged (never what the remote
//! already has), the notes go with the agent's commits, and approvals due at merge.

use crate::support::{msg, text, Remote, TestRepo, TASK};
use serde_json::Value;

/// A remote whose `main` has `policy`; a clone of it with the hooks installed, on
/// `agent/work`.
fn team(policy: &str) -> (Remote, TestRepo) {
    let origin = TestRepo::new();
    origin.write(".agentguard.toml", policy);
    origin.write("README.md", "hello\n");
    origin.commit_all("base");
    let remote = Remote::with(&origin);
    let clone = hooked_clone(&remote);
    clone.checkout_new("agent/work");
    (remote, clone)
}

fn hooked_clone(remote: &Remote) -> TestRepo {
    let clone = TestRepo::clone_of_remote(remote);
    let output = clone.run(&["install"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    clone
}

/// `git commit` through the hooks.
fn commit(repo: &TestRepo, message: &str) -> std::process::Output {
    let tmp = repo.scratch().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    repo.git(&["add", "-A"]);
    repo.git_command()
        .args(["commit", "-q", "-m", message])
        .env("TMPDIR", tmp)
        .output()
        .unwrap()
}

fn committed(repo: &TestRepo, message: &str) -> String {
    let output = commit(repo, message);
    assert!(output.status.success(), "{}", text(&output));
    repo.git(&["rev-parse", "HEAD"])
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn ledger(repo: &TestRepo) -> Vec<Value> {
    let output = repo.run(&["log", "--format", "json"]);
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn main_merged_or_rebased_into_an_agent_branch_is_not_judged_again() {
    let (remote, agent) = team("");
    agent.write("src/app.py", "x = 1\n");
    committed(&agent, &msg(&[TASK]));
    assert!(agent
        .push(&["-q", "-u", "origin", "agent/work"])
        .status
        .success());

    // A person changes main, policy included: agent work touching it would need approval.
    let person = hooked_clone(&remote);
    person.write(".agentguard.toml", "[scope]\ndeny = [\"secrets/\"]\n");
    person.write("docs/notes.md", "no trailers here\n");
    person.commit_all("A person's change");
    assert!(person.push(&["-q", "origin", "main"]).status.success());

    agent.git(&["fetch", "-q", "origin"]);
    let output = agent
        .git_command()
        .args(["merge", "-q", "--no-edit", "origin/main"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let output = agent.push(&["origin", "agent/work"]);
    assert!(output.status.success(), "{}", text(&output));
    let merge = agent.git(&["rev-parse", "HEAD"]);
    let judged: Vec<Value> = ledger(&agent)
        .into_iter()
        .filter(|e| e["command"] == "hook pre-push")
        .collect();
    assert_eq!(judged[0]["commit"], merge.as_str(), "only the merge is new");
    assert_eq!(judged[0]["branch"], "agent/work");

    // Rebased instead: the agent's commit is new (and re-recorded), main's are not.
    agent.git(&["reset", "-q", "--hard", "HEAD^"]);
    let output = agent
        .git_command()
        .args(["rebase", "-q", "origin/main"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let rebased = agent.git(&["rev-parse", "HEAD"]);
    assert_eq!(agent.run(&["check", "--record"]).status.code(), Some(0));
    let output = agent.push(&["--force", "origin", "agent/work"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        !stderr(&output).contains("missing-task"),
        "{}",
        text(&output)
    );
    assert_eq!(remote.branch("agent/work"), Some(rebased.clone()));
    assert!(remote.notes("agentguard").contains(&rebased));
}

#[test]
fn the_notes_go_with_the_push_or_the_push_does_not_go() {
    let (remote, agent) = team("");
    agent.write("src/app.py", "x = 1\n");
    let work = committed(&agent, &msg(&[TASK]));
    let output = agent.push(&["origin", "agent/work"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        stderr(&output).contains("agentguard: notes pushed to origin: refs/notes/agentguard"),
        "{}",
        text(&output)
    );
    assert_eq!(remote.notes("agentguard"), vec![work]);

    // A push straight to a URL takes them too.
    agent.write("src/b.py", "y = 1\n");
    let second = committed(&agent, &msg(&[TASK]));
    let output = agent.push(&[remote.path.to_str().unwrap(), "agent/work"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(remote.notes("agentguard").contains(&second));

    // A remote that refuses notes: the push stops before the branch goes.
    let hook = remote.path.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\nwhile read old new ref; do case $ref in refs/notes/*) echo no notes here >&2; exit 1;; esac; done\n",
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    agent.write("src/c.py", "z = 1\n");
    committed(&agent, &msg(&[TASK]));
    let before = remote.branch("agent/work");
    let output = agent.push(&["origin", "agent/work"]);
    assert!(!output.status.success(), "{}", text(&output));
    let err = stderr(&output);
    assert!(
        err.contains(
            "the push was stopped: the evidence and approval notes cannot be pushed to origin"
        ),
        "{err}"
    );
    assert!(err.contains("no notes here"), "{err}");
    assert_eq!(remote.branch("agent/work"), before);
}

#[test]
fn a_push_needs_notes_that_only_the_remote_has_and_fetches_them() {
    let (remote, agent) = team("");
    agent.write("src/app.py", "x = 1\n");
    committed(&agent, &msg(&[TASK]));
    assert!(agent.push(&["-q", "origin", "agent/work"]).status.success());
    // A person merges the agent's branch into main in a clone that never fetched its notes.
    let person = hooked_clone(&remote);
    person.git(&["merge", "-q", "--ff-only", "origin/agent/work"]);
    assert!(person
        .git_output(&["notes", "--ref", "agentguard", "list"])
        .stdout
        .is_empty());
    let output = person.push(&["origin", "main"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(!person
        .git(&["notes", "--ref", "agentguard", "list"])
        .is_empty());
}

const AT_MERGE: &str = "[approvals]\nwhen = \"merge\"\nallowed_signers = \"signers\"\napprovers = { \"*\" = [\"lead@example.com\"] }\n";

#[test]
fn approvals_due_at_merge_let_the_work_up_for_review_and_no_further() {
    let origin = TestRepo::new();
    origin.write(
        "signers",
        &format!("{}\n", origin.signer_line("lead@example.com", "lead")),
    );
    origin.write(".agentguard.toml", AT_MERGE);
    origin.commit_all("base");
    let remote = Remote::with(&origin);
    let agent = hooked_clone(&remote);
    agent.checkout_new("agent/work");

    // Committed: the hooks let it through, its evidence says what it waits for.
    agent.write("src/auth/login.py", "def login():\n    return True\n");
    let output = commit(&agent, &msg(&[TASK]));
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        stderr(&output).contains(
            "pass — task T-1, 1 path, no acceptance run, awaiting approval at merge: auth"
        ),
        "{}",
        text(&output)
    );
    let risky = agent.git(&["rev-parse", "HEAD"]);
    let evidence = agent.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    assert!(evidence.contains("verdict = \"pass\""), "{evidence}");
    assert!(
        evidence.contains("awaiting_approval = [\"auth\"]"),
        "{evidence}"
    );
    let shown = agent.run(&["show"]);
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("awaiting approval at merge: auth"),
        "{}",
        text(&shown)
    );

    // Up to its own branch for review: yes, saying what it waits for.
    let output = agent.push(&["origin", "agent/work"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        stderr(&output).contains(&format!(
            "{} awaits approval before merge: a reviewer signs off in their clone with `agentguard approve {} --category auth`",
            &risky[..10],
            &risky[..10]
        )),
        "{}",
        text(&output)
    );
    // Into main: a merge, refused until approved; so is verify.
    agent.git(&["checkout", "-q", "main"]);
    agent.git(&["merge", "-q", "--ff-only", "agent/work"]);
    let output = agent.push(&["origin", "main"]);
    assert!(!output.status.success(), "{}", text(&output));
    assert!(stderr(&output).contains("[auth]"), "{}", text(&output));
    let output = agent.run(&["verify", "--base", "origin/main", "--no-run"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));

    // The lead approves in their clone and shares it; then the merge goes.
    let lead = hooked_clone(&remote);
    lead.git(&["config", "user.email", "lead@example.com"]);
    let key = origin.ssh_key("lead");
    let output = lead.run(&[
        "approve",
        "origin/agent/work",
        "--category",
        "auth",
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("share it: agentguard sync"));
    assert_eq!(lead.run(&["sync"]).status.code(), Some(0));
    let output = agent.push(&["origin", "main"]);
    assert!(output.status.success(), "{}", text(&output));
    let output = agent.run(&["verify", "--base", "HEAD~1", "--no-run"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}
