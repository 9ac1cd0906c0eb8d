//! Which branches run which hooks under the default `install`: git picks them itself
//! (`includeIf "onbranch:…"`), so a person's commit on their own branch starts agentguard
//! only for an agent's work, and pre-push judges the rest; an agent branch, a detached HEAD
//! and a moved repository run every hook.

use crate::support::{msg, path_without_agentguard, text, Remote, TestRepo, TASK};
use serde_json::Value;

/// A token of GitHub's published shape, assembled here so no literal sits in the repository.
fn token() -> String {
    format!("gh{}_{}", "p", "PersonBranchFixture4Hx8Mq2Vw6Zt1Jc9Lb")
}

const POLICY: &str = "[scope]\ndeny = [\"secrets/\"]\n";

fn base(policy: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write(".agentguard.toml", policy);
    repo.write("README.md", "hello\n");
    repo.commit_all("base");
    repo
}

fn install(repo: &TestRepo, args: &[&str]) -> String {
    let output = repo
        .agentguard_std()
        .arg("install")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    text(&output)
}

/// `git <args>` with `env` set, as an agent's harness would set it.
fn git_in(repo: &TestRepo, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut cmd = repo.git_command();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn commit(repo: &TestRepo, message: &str, env: &[(&str, &str)]) -> std::process::Output {
    repo.git(&["add", "-A"]);
    git_in(repo, env, &["commit", "-q", "-m", message])
}

/// The commit or push failed, and its output names `what`.
fn refused(output: &std::process::Output, what: &str) {
    assert_ne!(output.status.code(), Some(0), "{}", text(output));
    assert!(text(output).contains(what), "{}", text(output));
}

/// The hook runs the ledger recorded.
fn hook_runs(repo: &TestRepo) -> usize {
    let log: Value =
        serde_json::from_slice(&repo.run(&["log", "--format", "json"]).stdout).unwrap();
    log.as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["command"]
                .as_str()
                .is_some_and(|c| c.starts_with("hook "))
        })
        .count()
}

fn hooks_path(repo: &TestRepo) -> String {
    let output = repo.git_output(&["config", "core.hooksPath"]);
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Whether the routing is in place and sends this branch to the repository's own hooks.
fn full_hooks(repo: &TestRepo) -> bool {
    let own = repo.path().join(".git/hooks").canonicalize().unwrap();
    repo.path()
        .join(".git/agentguard/branches/gate.config")
        .is_file()
        && hooks_path(repo) == own.display().to_string()
}

/// Points every shim of a person's branch at a wrapper that logs each start of agentguard
/// before it runs it; returns the log.
fn log_starts(repo: &TestRepo) -> std::path::PathBuf {
    let log = repo.scratch().join("starts.log");
    let wrapper = repo.scratch().join("agentguard-logged");
    let real = repo.agentguard_std().get_program().to_owned();
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            std::path::Path::new(&real).display()
        ),
    )
    .unwrap();
    chmod_x(&wrapper);
    let dir = repo.path().join(".git/agentguard/branches/hooks");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let shim = std::fs::read_to_string(&path).unwrap();
        let shim: String = shim
            .lines()
            .map(|line| match line.trim_start().starts_with("agentguard='") {
                true => format!("agentguard='{}'\n", wrapper.display()),
                false => format!("{line}\n"),
            })
            .collect();
        std::fs::write(&path, shim).unwrap();
    }
    log
}

fn chmod_x(path: &std::path::Path) {
    assert!(std::process::Command::new("chmod")
        .arg("+x")
        .arg(path)
        .status()
        .unwrap()
        .success());
}

#[test]
fn a_persons_commit_starts_no_agentguard_and_an_agent_branch_runs_every_hook() {
    let repo = base(POLICY);
    let said = install(&repo, &[]);
    assert!(said.contains("branches: a commit on agent/**"), "{said}");
    assert!(hooks_path(&repo).ends_with("agentguard/branches/hooks"));

    repo.write("notes.md", "a person's note\n");
    let output = commit(&repo, "A person's change", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        output.stdout.is_empty() && output.stderr.is_empty(),
        "{}",
        text(&output)
    );
    assert_eq!(
        hook_runs(&repo),
        0,
        "agentguard started for a person's commit"
    );
    assert!(!repo.path().join(".git/agentguard-human").exists());
    // No process of agentguard started at all; an agent's commit there starts it.
    let starts = log_starts(&repo);
    repo.write("notes.md", "another note\n");
    let output = commit(&repo, "Another change", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        !starts.exists(),
        "{}",
        std::fs::read_to_string(&starts).unwrap()
    );
    repo.write("src/lib.rs", "pub fn f() {}\n");
    let output = commit(&repo, "Agent change", &[("AGENTGUARD_TASK", "T-1")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let started = std::fs::read_to_string(&starts).unwrap();
    assert!(started.contains("hook commit-msg"), "{started}");

    // An agent branch finds the full hooks: the same kind of change is judged, and blocked.
    repo.checkout_new("agent/T-1-work");
    assert!(full_hooks(&repo), "{}", hooks_path(&repo));
    let hooks = repo.git(&["rev-parse", "--git-path", "hooks"]);
    assert!(hooks.ends_with(".git/hooks"), "{hooks}");
    repo.write("secrets/key.txt", "k\n");
    let output = commit(&repo, &msg(&[TASK]), &[]);
    refused(&output, "secrets/key.txt");
    assert!(hook_runs(&repo) > 0);
}

#[test]
fn the_agent_environment_and_an_agent_trailer_are_judged_on_a_persons_branch() {
    let repo = base(POLICY);
    install(&repo, &[]);
    // From the environment: the trailer is written, the change judged and blocked.
    repo.write("secrets/key.txt", "k\n");
    let output = commit(&repo, "Agent change", &[("AGENTGUARD_TASK", "T-1")]);
    refused(&output, "secrets/key.txt");
    // From the message alone.
    let output = commit(&repo, &msg(&[TASK]), &[]);
    refused(&output, "secrets/key.txt");
    repo.git(&["rm", "-q", "--cached", "secrets/key.txt"]);
    repo.remove("secrets/key.txt");

    // A pass gets its trailer and its evidence, which post-commit attaches.
    repo.write("src/lib.rs", "pub fn f() {}\n");
    let output = commit(&repo, "Agent change", &[("AGENTGUARD_TASK", "T-1")]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let message = repo.git(&["log", "-1", "--format=%B"]);
    assert!(message.contains("Agent-Task: T-1"), "{message}");
    // git runs no post-commit there: the evidence is attached when the commit is pushed.
    let remote = Remote::new();
    let output = repo.push(&["-q", &remote.url(), "main"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        text(&output).contains("evidence attached"),
        "{}",
        text(&output)
    );
    let note = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    assert!(note.contains("task = \"T-1\""), "{note}");
    let head = repo.git(&["rev-parse", "HEAD"]);
    assert!(remote.note("refs/notes/agentguard", &head).is_some());
}

#[test]
fn a_credential_a_person_commits_on_their_branch_is_stopped_at_the_push() {
    let origin = base(POLICY);
    let remote = Remote::with(&origin);
    let clone = TestRepo::clone_of_remote(&remote);
    install(&clone, &[]);
    let before = remote.branch("main");
    clone.write(
        "deploy/env.sh",
        &format!("export GITHUB_TOKEN={}\n", token()),
    );
    let output = commit(&clone, "add deploy script", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));

    let output = clone.push(&["-q", "origin", "main"]);
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    let shown = text(&output);
    assert!(shown.contains("credentials"), "{shown}");
    assert!(shown.contains("deploy/env.sh"), "{shown}");
    assert!(!shown.contains(&token()[4..]), "{shown}");
    assert_eq!(
        remote.branch("main"),
        before,
        "the credential reached the remote"
    );
}

#[test]
fn a_detached_head_and_a_moved_repository_run_every_hook() {
    let repo = base(POLICY);
    install(&repo, &[]);
    repo.git(&["checkout", "-q", "--detach"]);
    repo.write("a.txt", "a\n");
    let output = commit(&repo, "detached", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(hook_runs(&repo) > 0, "a detached HEAD ran no hook");

    // A copy elsewhere is not the git directory the gate names: every hook runs there.
    repo.git(&["checkout", "-q", "main"]);
    let moved = repo.scratch().join("moved");
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(repo.path())
        .arg(&moved)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(moved.join("b.txt"), "b\n").unwrap();
    let mut git = repo.git_command();
    git.current_dir(&moved);
    assert!(git.args(["add", "b.txt"]).status().unwrap().success());
    let mut git = repo.git_command();
    git.current_dir(&moved);
    let output = git
        .args(["commit", "-q", "-m", "moved"])
        .env("GIT_TRACE", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let trace = text(&output);
    assert!(trace.contains(".git/hooks/pre-commit"), "{trace}");
    assert!(!trace.contains("agentguard/branches/hooks"), "{trace}");
}

#[test]
fn install_says_why_every_branch_runs_every_hook() {
    // Agents named by author: only a hook sees the author.
    let repo = base("[agent]\nauthors = [\"*bot*\"]\n");
    let said = install(&repo, &[]);
    assert!(
        said.contains("branches: every commit runs every hook: `[agent] authors`"),
        "{said}"
    );
    assert_eq!(hooks_path(&repo), "");

    // Someone else's hook must run on every branch.
    let repo = base(POLICY);
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    chmod_x(&hook);
    let said = install(&repo, &[]);
    assert!(said.contains("pre-commit.agentguard-chained"), "{said}");
    assert!(said.contains("every commit runs every hook"), "{said}");
    assert_eq!(hooks_path(&repo), "");

    // Asked for; and asked for after the gate was set up, which removes it.
    let repo = base(POLICY);
    install(&repo, &[]);
    let said = install(&repo, &["--every-branch"]);
    assert!(
        said.contains("git config --unset includeif.gitdir:"),
        "{said}"
    );
    assert!(
        said.contains("every commit runs every hook: `install --every-branch`"),
        "{said}"
    );
    assert_eq!(hooks_path(&repo), "");
    assert!(!repo.path().join(".git/agentguard/branches").exists());
    repo.write("a.txt", "a\n");
    commit(&repo, "a person's change", &[]);
    assert!(hook_runs(&repo) > 0);
}

#[test]
fn uninstall_removes_the_gate_and_a_second_install_changes_nothing() {
    let repo = base(POLICY);
    install(&repo, &[]);
    let said = install(&repo, &[]);
    assert!(said.contains("nothing changed"), "{said}");
    let output = repo.run(&["uninstall"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("git config --unset includeif.gitdir:"));
    let includes = repo.git_output(&["config", "--get-regexp", "^includeif\\."]);
    assert!(includes.stdout.is_empty(), "{}", text(&includes));
    assert!(!repo.path().join(".git/agentguard/branches").exists());
    assert_eq!(hooks_path(&repo), "");
}

#[test]
fn the_next_push_routes_an_agent_branch_the_policy_adds_and_never_drops_one() {
    let origin = base(POLICY);
    let remote = Remote::with(&origin);
    let clone = TestRepo::clone_of_remote(&remote);
    install(&clone, &[]);
    clone.git(&["checkout", "-q", "-b", "bots/x"]);
    assert!(hooks_path(&clone).ends_with("agentguard/branches/hooks"));
    clone.git(&["checkout", "-q", "main"]);
    // A person's policy change: bots/** is an agent's too, agent/** no longer is.
    clone.write(
        ".agentguard.toml",
        "[agent]\nbranches = [\"bots/**\"]\n[scope]\ndeny = [\"secrets/\"]\n",
    );
    let output = commit(&clone, "Agents work on bots/ now", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = clone.push(&["-q", "origin", "main"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("bots/**"), "{}", text(&output));
    clone.git(&["checkout", "-q", "bots/x"]);
    assert!(full_hooks(&clone), "bots/x should run every hook now");
    clone.git(&["checkout", "-q", "-b", "agent/y"]);
    assert!(full_hooks(&clone), "a push dropped agent/**");
}

#[test]
fn someone_elses_hook_installed_later_makes_every_branch_run_every_hook_at_the_next_push() {
    let origin = base(POLICY);
    let remote = Remote::with(&origin);
    let clone = TestRepo::clone_of_remote(&remote);
    install(&clone, &[]);
    let hook = clone.path().join(".git/hooks/post-checkout");
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    chmod_x(&hook);
    clone.write("a.txt", "a\n");
    commit(&clone, "a person's change", &[]);
    let output = clone.push(&["-q", "origin", "main"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        text(&output).contains("every branch now runs all of agentguard's hooks"),
        "{}",
        text(&output)
    );
    assert!(text(&output).contains("post-checkout"), "{}", text(&output));
    assert_eq!(hooks_path(&clone), "");
}

#[test]
fn agent_work_on_a_persons_branch_is_blocked_when_the_binary_is_gone() {
    let repo = base(POLICY);
    install(&repo, &[]);
    // The one commit hook of a person's branch, pointed at a binary that is gone.
    let path = repo
        .path()
        .join(".git/agentguard/branches/hooks/commit-msg");
    let shim: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| match line.trim_start().starts_with("agentguard='") {
            true => "agentguard='/nonexistent/agentguard'\n".to_string(),
            false => format!("{line}\n"),
        })
        .collect();
    std::fs::write(&path, shim).unwrap();
    let before = repo.git(&["rev-parse", "HEAD"]);
    repo.write("src/lib.rs", "pub fn f() {}\n");
    repo.git(&["add", "-A"]);
    let output = repo
        .git_command()
        .env("PATH", path_without_agentguard())
        .env("AGENTGUARD_TASK", "T-1")
        .args(["commit", "-q", "-m", "Agent change"])
        .output()
        .unwrap();
    refused(&output, "cannot find the agentguard binary");
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), before);
    // A person's commit does not need the binary at all.
    let output = repo
        .git_command()
        .env("PATH", path_without_agentguard())
        .args(["commit", "-q", "-m", "A person's change"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn a_branch_checkout_routes_an_agent_branch_the_checked_out_policy_adds() {
    let origin = base(POLICY);
    let remote = Remote::with(&origin);
    let clone = TestRepo::clone_of_remote(&remote);
    install(&clone, &[]);
    // Elsewhere, a person makes bots/** agent branches too.
    origin.write(
        ".agentguard.toml",
        "[agent]\nbranches = [\"agent/**\", \"bots/**\"]\n[scope]\ndeny = [\"secrets/\"]\n",
    );
    origin.commit_all("Agents work on bots/ too");
    origin.git(&["push", "-q", "--no-verify", &remote.url(), "main"]);

    clone.git(&["fetch", "-q", "origin"]);
    let output = clone
        .git_command()
        .args(["switch", "-q", "-c", "bots/foo", "origin/main"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("bots/**"), "{}", text(&output));
    assert!(full_hooks(&clone), "{}", hooks_path(&clone));
    // Its first commit is judged as an agent's: no task, a denied path.
    clone.write("secrets/key.txt", "k\n");
    let output = commit(&clone, "work", &[]);
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    // A file checkout starts nothing.
    let runs = hook_runs(&clone);
    clone.git(&["checkout", "-q", "--", "README.md"]);
    assert_eq!(hook_runs(&clone), runs);
}

#[test]
fn an_amend_whose_agent_trailer_is_typed_in_the_editor_is_held_at_the_push() {
    let repo = base(POLICY);
    install(&repo, &[]);
    let remote = Remote::new();
    repo.write("secrets/key.txt", "k\n");
    let output = commit(&repo, "a person's change", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let editor = repo.scratch().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf '\\nAgent-Task: T-1\\n' >> \"$1\"\n",
    )
    .unwrap();
    chmod_x(&editor);
    // No prepare-commit-msg on a person's branch sees the amend: commit-msg judges the change
    // over HEAD, post-rewrite judges the amended commit whole, and pre-push holds it.
    let output = repo
        .git_command()
        .env("GIT_EDITOR", &editor)
        .args(["commit", "--amend"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        text(&output).contains("secrets/key.txt"),
        "{}",
        text(&output)
    );
    let output = repo.push(&["-q", &remote.url(), "main"]);
    refused(&output, "secrets/key.txt");
    assert_eq!(remote.branch("main"), None);
}

#[test]
fn doctor_says_when_the_routing_is_unsafe_or_the_repository_moved() {
    let repo = base(POLICY);
    install(&repo, &[]);
    let doctor = |dir: &std::path::Path| {
        let output = repo
            .agentguard_std()
            .current_dir(dir)
            .arg("doctor")
            .output()
            .unwrap();
        text(&output)
    };
    let said = doctor(&repo.path());
    assert!(
        said.contains("ok    branches: a commit on agent/**"),
        "{said}"
    );

    // A user's hook added later does not run on a person's branch until the next refresh.
    let hook = repo.path().join(".git/hooks/pre-merge-commit");
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    chmod_x(&hook);
    let said = doctor(&repo.path());
    assert!(said.contains("fail  branches:"), "{said}");
    assert!(said.contains("pre-merge-commit"), "{said}");
    std::fs::remove_file(&hook).unwrap();

    let moved = repo.scratch().join("moved");
    std::fs::rename(repo.path(), &moved).unwrap();
    let said = doctor(&moved);
    assert!(
        said.contains("warn  branches: the repository moved"),
        "{said}"
    );
    std::fs::rename(&moved, repo.path()).unwrap();
}

#[test]
fn a_hooks_path_set_after_install_is_found_again_by_the_next_install() {
    let repo = base(POLICY);
    install(&repo, &[]);
    // A hook manager in the style of husky, set up after agentguard.
    let dir = repo.path().join(".husky");
    std::fs::create_dir_all(&dir).unwrap();
    let ran = repo.scratch().join("husky-ran");
    std::fs::write(
        dir.join("pre-commit"),
        format!("#!/bin/sh\necho ran >> '{}'\n", ran.display()),
    )
    .unwrap();
    chmod_x(&dir.join("pre-commit"));
    repo.git(&["config", "core.hooksPath", ".husky"]);
    let said = text(&repo.run(&["doctor"]));
    assert!(said.contains("fail  branches:"), "{said}");
    assert!(said.contains("core.hooksPath is set (.husky)"), "{said}");

    let said = install(&repo, &[]);
    assert!(
        said.contains("hooks directory: ") && said.contains(".husky"),
        "{said}"
    );
    assert!(
        said.contains("every commit runs every hook: core.hooksPath"),
        "{said}"
    );
    assert_eq!(hooks_path(&repo), ".husky");
    repo.write("a.txt", "a\n");
    let output = commit(&repo, "a person's change", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(ran.exists(), "the husky hook did not run");
    assert!(hook_runs(&repo) > 0, "agentguard's hooks did not run");
}

#[test]
fn an_include_of_the_users_under_the_same_condition_is_kept() {
    let repo = base(POLICY);
    let dir = repo.path().join(".git").canonicalize().unwrap();
    let mine = repo.scratch().join("mine.config");
    std::fs::write(&mine, "[user]\n\tname = Mine\n").unwrap();
    let key = format!("includeIf.gitdir:{}.path", dir.display());
    repo.git(&["config", "--add", &key, mine.to_str().unwrap()]);
    install(&repo, &[]);
    assert_eq!(repo.git(&["config", "user.name"]), "Mine");
    assert!(hooks_path(&repo).ends_with("agentguard/branches/hooks"));
    let output = repo.run(&["uninstall"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(repo.git(&["config", "user.name"]), "Mine");
    assert_eq!(
        repo.git(&["config", "--get-all", &key]),
        mine.display().to_string()
    );
}

#[test]
fn every_work_trees_policy_decides_the_routing() {
    let repo = base(POLICY);
    // A linked work tree whose branch's policy makes `feature` an agent branch.
    repo.checkout_new("feature");
    repo.write(
        ".agentguard.toml",
        "[agent]\nbranches = [\"feature\"]\n[scope]\ndeny = [\"secrets/\"]\n",
    );
    repo.commit_all("feature is an agent branch");
    repo.git(&["checkout", "-q", "main"]);
    let linked = repo.scratch().join("linked");
    repo.git(&["worktree", "add", "-q", linked.to_str().unwrap(), "feature"]);
    let said = install(&repo, &[]);
    assert!(said.contains("feature"), "{said}");
    let mut git = repo.git_command();
    let output = git
        .current_dir(&linked)
        .args(["config", "core.hooksPath"])
        .output()
        .unwrap();
    let own = repo.path().join(".git/hooks").canonicalize().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        own.display().to_string()
    );
}

#[test]
fn someone_elses_hook_among_the_person_branch_hooks_is_found_and_kept() {
    let repo = base(POLICY);
    install(&repo, &[]);
    let theirs = repo
        .path()
        .join(".git/agentguard/branches/hooks/pre-commit");
    std::fs::write(&theirs, "#!/bin/sh\nexit 0\n").unwrap();
    chmod_x(&theirs);
    let said = text(&repo.run(&["doctor"]));
    assert!(said.contains("fail  branches:"), "{said}");
    assert!(said.contains("hooks/pre-commit here"), "{said}");
    let said = install(&repo, &[]);
    assert!(said.contains("every commit runs every hook"), "{said}");
    assert!(theirs.exists(), "install deleted someone else's hook");
    assert_eq!(hooks_path(&repo), "");
}

#[test]
fn a_lost_list_of_agent_branches_turns_the_routing_off_at_the_next_checkout() {
    let repo = base(POLICY);
    install(&repo, &[]);
    std::fs::remove_file(repo.path().join(".git/agentguard/branches/agent-branches")).unwrap();
    let said = text(&repo.run(&["doctor"]));
    assert!(said.contains("fail  branches:"), "{said}");
    let output = repo
        .git_command()
        .args(["checkout", "-q", "-b", "feature"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("every branch now runs all of agentguard's hooks"),
        "{}",
        text(&output)
    );
    assert_eq!(hooks_path(&repo), "");
}

#[test]
fn a_chained_post_checkout_hook_keeps_its_exit_status() {
    let repo = base(POLICY);
    let hook = repo.path().join(".git/hooks/post-checkout");
    std::fs::write(&hook, "#!/bin/sh\nexit 3\n").unwrap();
    chmod_x(&hook);
    install(&repo, &[]);
    let output = repo
        .git_command()
        .args(["checkout", "-q", "-b", "feature"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
}

#[test]
fn in_an_agents_environment_a_merge_or_a_cherry_pick_without_a_trailer_is_still_the_agents() {
    let repo = base("[scope]\ndeny = [\"secrets/\"]\n[agent]\nrequire_task = true\n");
    install(&repo, &[]);
    let remote = Remote::new();
    let env = [("AGENTGUARD_TASK", "T-1")];
    repo.checkout_new("side");
    repo.write("src/side.rs", "pub fn side() {}\n");
    repo.commit_all("side work");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["checkout", "-q", "-b", "feature"]);

    // A merge concluded with content of its own: no trailer, judged as the agent's.
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    repo.write("secrets/key.txt", "k\n");
    repo.git(&["add", "-A"]);
    let output = git_in(&repo, &env, &["commit", "--no-edit"]);
    refused(&output, "secrets/key.txt");
    repo.git(&["merge", "--abort"]);

    // A cherry-pick runs no commit-msg: pre-push, in the same environment, holds it.
    repo.git(&["checkout", "-q", "side"]);
    repo.write("secrets/other.txt", "k\n");
    repo.commit_all("a denied path, committed elsewhere");
    let picked = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["checkout", "-q", "feature"]);
    let output = git_in(&repo, &env, &["cherry-pick", &picked]);
    assert!(output.status.success(), "{}", text(&output));
    let output = git_in(&repo, &env, &["push", "-q", &remote.url(), "feature"]);
    refused(&output, "secrets/other.txt");
    assert_eq!(remote.branch("feature"), None);
}

#[test]
fn evidence_left_pending_for_one_task_is_not_attached_to_a_commit_naming_another() {
    let repo = base(POLICY);
    install(&repo, &[]);
    let remote = Remote::new();
    repo.write("src/x.rs", "pub fn x() {}\n");
    let output = commit(&repo, &msg(&["Agent-Task: T-1"]), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    // The same tree and parent, committed again (no hooks) naming another task.
    repo.git(&["reset", "-q", "--soft", "HEAD~1"]);
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        &msg(&["Agent-Task: T-2"]),
    ]);
    let output = repo.push(&["-q", &remote.url(), "main"]);
    assert_ne!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        !text(&output).contains("evidence attached"),
        "{}",
        text(&output)
    );
    assert_eq!(remote.branch("main"), None);
}
