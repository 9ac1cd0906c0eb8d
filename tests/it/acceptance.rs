//! Acceptance runs: a clean checkout of exactly the judged tree, a scrubbed environment,
//! process groups killed whole, capped output, network isolation, reused checkouts, and
//! nothing left behind.
//!
//! Every test here runs commands in the sandbox, which is made of user and network namespaces.
//! On a machine that cannot make them each test fails, saying why, unless the machine is
//! declared to lack them with `AGENTGUARD_TEST_NO_USERNS=1`; then they are skipped, each with
//! a line on stderr. None passes without having run. (The other modules' tests that run
//! acceptance commands fail there too: agentguard blocks, as it must, without isolation.)

use crate::require_user_namespaces;
use crate::support::{finding_keys, msg, text, TestRepo, TASK};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

/// A repository whose base commit carries `policy` as `.agentguard.toml`.
fn repo_with_policy(policy: &str) -> TestRepo {
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", policy);
    repo.commit_all("policy");
    repo
}

/// A temporary directory for agentguard's TMPDIR, to see what it leaves behind.
fn tmpdir(repo: &TestRepo) -> PathBuf {
    let dir = repo.scratch().join("tmp");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The built binary with `args`, its TMPDIR the test's own.
fn run(repo: &TestRepo, args: &[&str]) -> Output {
    repo.agentguard()
        .args(args)
        .env("TMPDIR", tmpdir(repo))
        .output()
        .unwrap()
}

fn check(repo: &TestRepo, args: &[&str]) -> (Output, Value) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    let output = run(repo, &all);
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output, report)
}

/// The caller's git variables removed and the test's home and TMPDIR set, as for
/// `TestRepo::agentguard`.
fn hermetic(command: &mut std::process::Command, repo: &TestRepo) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GIT_") {
            command.env_remove(key);
        }
    }
    command
        .current_dir(repo.path())
        .env("HOME", repo.home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", repo.home().join(".gitconfig"))
        .env("TMPDIR", tmpdir(repo));
}

/// The built binary started in the background.
fn spawn(repo: &TestRepo, args: &[&str]) -> std::process::Child {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("agentguard"));
    hermetic(&mut command, repo);
    command
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// A human commit of a policy that lets commands write to the test's scratch directory, where
/// the tests leave what the commands saw.
fn allow_scratch_writes(repo: &TestRepo, extra: &str) {
    repo.write(
        ".agentguard.toml",
        &format!(
            "[acceptance]\nwritable = [\"{}\"]\n{extra}",
            repo.scratch().display()
        ),
    );
    repo.commit_all("let acceptance commands write to the scratch directory");
}

fn expect(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn runs(report: &Value) -> Vec<Value> {
    report["commits"][0]["acceptance"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn key(kind: &str, category: &str) -> (String, String, String) {
    (kind.to_string(), category.to_string(), String::new())
}

/// Whether a process is alive (a zombie awaiting a reaper is not).
/// A `sleep` duration no other process on the machine uses, to find it again: commands run
/// in their own PID namespace, so the pids they see mean nothing out here.
fn marker(test: u32) -> String {
    format!("{}.{:06}{test}", 40 + test, std::process::id() % 1_000_000)
}

/// Whether a live (not zombie) process runs `sleep <marker>`.
fn running(marker: &str) -> bool {
    let needle = format!("sleep\0{marker}\0");
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let live = std::fs::read_to_string(entry.path().join("stat")).is_ok_and(|stat| {
            !matches!(
                stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]),
                Some("Z" | "X")
            )
        });
        live && String::from_utf8_lossy(&cmdline).contains(&needle)
    })
}

fn assert_nothing_left(repo: &TestRepo) {
    let left: Vec<_> = std::fs::read_dir(tmpdir(repo))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    assert_eq!(repo.git(&["worktree", "list"]).lines().count(), 1);
}

fn shell_path(path: &Path) -> String {
    format!("'{}'", path.display())
}

#[test]
fn passing_and_failing_commands_are_recorded_in_order() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    repo.write("b.txt", "b\n");
    repo.commit_all(&msg(&[
        TASK,
        "Agent-Acceptance: test -f b.txt",
        "Agent-Acceptance: echo first; echo boom >&2; exit 3",
    ]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 1);
    assert!(output.stderr.is_empty(), "no progress without a terminal");
    let runs = runs(&report);
    assert_eq!(runs.len(), 2, "{report:#}");
    assert_eq!(runs[0]["command"], "test -f b.txt");
    assert_eq!(runs[0]["exit_code"], 0);
    assert_eq!(runs[0]["status"], "passed");
    assert_eq!(runs[0]["network"], "denied");
    assert_eq!(runs[0]["worktree"], "fresh");
    assert_eq!(runs[0]["phase"], "acceptance");
    assert_eq!(runs[1]["exit_code"], 3);
    assert_eq!(runs[1]["status"], "failed");
    assert_eq!(runs[1]["output_tail"], "first\nboom\n");
    assert_eq!(runs[1]["output_bytes"], 11);
    assert_eq!(runs[1]["output_sha256"].as_str().map(str::len), Some(64));
    assert!(runs[1]["duration_ms"].is_u64());
    assert_eq!(
        finding_keys(&report),
        vec![key("acceptance", "command-failed")]
    );

    let human = run(&repo, &["check"]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("ran: test -f b.txt … ok"), "{text}");
    assert!(text.contains("… exit 3 in"), "{text}");
    assert!(
        text.contains("│ boom"),
        "the failing command's last lines: {text}"
    );
    assert_nothing_left(&repo);
}

#[test]
fn runs_see_the_committed_tree_and_leave_the_work_tree_alone() {
    require_user_namespaces!();
    let repo = repo_with_policy(
        "[acceptance]\ncommands = [\"grep -qx committed data.txt\", \"test ! -e untracked.txt\", \
         \"test -z \\\"$(git status --porcelain)\\\"\"]\n",
    );
    repo.write("data.txt", "committed\n");
    repo.commit_all(&msg(&[TASK]));
    repo.write("data.txt", "dirty\n");
    repo.write("untracked.txt", "scratch\n");
    repo.git(&["add", "data.txt"]);
    repo.write("data.txt", "dirtier\n");
    let before = repo.state();
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    assert_eq!(runs(&report).len(), 3);
    assert_eq!(repo.state(), before);
    assert_eq!(repo.read("data.txt"), "dirtier\n");
    assert_eq!(repo.read("untracked.txt"), "scratch\n");
    assert_nothing_left(&repo);
}

#[test]
fn git_in_the_checkout_sees_the_judged_tree_despite_hook_variables() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    allow_scratch_writes(&repo, "");
    let out = repo.scratch().join("git-view");
    repo.write("feature.txt", "x\n");
    repo.commit_all(&msg(&[
        TASK,
        &format!(
            "Agent-Acceptance: git rev-parse HEAD^{{tree}} > {0}; git status --porcelain >> {0}; \
             env | grep ^GIT_ >> {0}; true",
            shell_path(&out)
        ),
    ]));
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"]);
    // As inside a hook during `git commit -a`: the caller's git points at its own repository
    // and a temporary index.
    let git_dir = repo.path().join(".git");
    let other_index = repo.scratch().join("other-index");
    std::fs::copy(git_dir.join("index"), &other_index).unwrap();
    let output = repo
        .agentguard()
        .args(["check", "--format", "json"])
        .env("GIT_DIR", &git_dir)
        .env("GIT_WORK_TREE", repo.path())
        .env("GIT_INDEX_FILE", &other_index)
        .env("GIT_PREFIX", "")
        .env("TMPDIR", tmpdir(&repo))
        .output()
        .unwrap();
    expect(&output, 0);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), format!("{tree}\n"));
    assert_nothing_left(&repo);
}

#[test]
fn a_timeout_kills_the_whole_process_group() {
    require_user_namespaces!();
    let repo = repo_with_policy("[acceptance]\ntimeout = \"1s\"\n");
    let (child, orphan, escapee) = (marker(1), marker(2), marker(3));
    repo.commit_all(&msg(&[
        TASK,
        &format!("Agent-Acceptance: sleep {child} & sleep 30"),
        // Passes, but leaves children behind, one in a session of its own: they die too.
        &format!("Agent-Acceptance: sleep {orphan} & setsid sleep {escapee} & sleep 0.2; exit 0"),
    ]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 1);
    let runs = runs(&report);
    assert_eq!(runs[0]["status"], "timed-out");
    assert_eq!(runs[0]["timed_out"], true);
    assert_eq!(runs[0]["exit_code"], Value::Null);
    assert_eq!(runs[1]["status"], "passed");
    assert_eq!(finding_keys(&report), vec![key("acceptance", "timeout")]);
    for marker in [&child, &orphan, &escapee] {
        assert!(!running(marker), "sleep {marker} survived");
    }
    assert_nothing_left(&repo);
}

#[test]
fn a_200_mb_flood_is_counted_whole_and_kept_capped() {
    require_user_namespaces!();
    // How much memory this takes is measured by benches/compare.sh, not asserted here.
    let repo = repo_with_policy("[acceptance]\nmax_output = \"4KiB\"\n");
    repo.commit_all(&msg(&[
        TASK,
        "Agent-Acceptance: echo start; head -c 200000000 /dev/zero; echo; echo end",
    ]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    let run = &runs(&report)[0];
    assert_eq!(run["output_bytes"], 200_000_000u64 + 11);
    assert_eq!(run["output_truncated"], true);
    let tail = run["output_tail"].as_str().unwrap();
    assert!(tail.starts_with("start\n"), "{tail:.40}");
    assert!(tail.ends_with("\nend\n"));
    assert!(tail.contains("bytes elided"));
    // 4 KiB of output (max_output) and the line that says what was elided.
    assert_eq!(tail.len(), 4130);
    assert_nothing_left(&repo);
}

#[test]
fn network_deny_blocks_loopback_that_allow_reaches() {
    require_user_namespaces!();
    let bash = which::which("bash").expect("bash, for its /dev/tcp");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connect = format!(
        "Agent-Acceptance: {} -c 'exec 3<>/dev/tcp/127.0.0.1/{port}'",
        bash.display()
    );
    for (policy, code, applied) in [
        ("network = \"allow\"", 0, "allowed"),
        ("network = \"deny\"", 1, "denied"),
        ("network = \"auto\"", 1, "denied"),
    ] {
        let repo = repo_with_policy(&format!("[acceptance]\n{policy}\n"));
        repo.commit_all(&msg(&[TASK, &connect]));
        let (output, report) = check(&repo, &["HEAD"]);
        expect(&output, code);
        assert_eq!(runs(&report)[0]["network"], applied, "{policy}");
    }
    drop(listener);
}

#[test]
fn setup_runs_first_with_the_network_and_its_failure_stops_the_run() {
    require_user_namespaces!();
    let repo = repo_with_policy(
        "[acceptance]\nsetup = [\"touch .setup-ran\"]\ncommands = [\"test -f .setup-ran\"]\n",
    );
    repo.commit_all(&msg(&[TASK]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    let runs = runs(&report);
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["phase"], "setup");
    assert_eq!(runs[0]["network"], "allowed");
    assert_eq!(runs[1]["phase"], "acceptance");
    assert_eq!(runs[1]["network"], "denied");

    let repo = repo_with_policy("[acceptance]\nsetup = [\"false\"]\ncommands = [\"true\"]\n");
    repo.commit_all(&msg(&[TASK]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 1);
    assert_eq!(crate::acceptance::runs(&report).len(), 1, "{report:#}");
    assert!(finding_keys(&report).contains(&key("acceptance", "setup-failed")));
}

#[test]
fn a_reused_checkout_keeps_only_the_kept_directories() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    let seen = repo.scratch().join("seen");
    std::fs::create_dir_all(&seen).unwrap();
    repo.write(
        ".agentguard.toml",
        &format!(
            "[acceptance]\nwritable = [\"{1}\"]\nworktree = \"reuse\"\nkeep = [\"cache/\"]\ncommands = [\"LC_ALL=C ls -A > {0}/ls; \
             git status --porcelain > {0}/status; stat -c %y README.md >> {0}/mtime; touch junk; mkdir -p cache; echo x >> cache/n; \
             cp cache/n {0}/n\"]\n",
            seen.display(),
            repo.scratch().display()
        ),
    );
    repo.commit_all("policy");
    repo.write("a.txt", "a\n");
    repo.commit_all(&msg(&[TASK]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    assert_eq!(runs(&report)[0]["worktree"], "reuse");
    repo.remove("a.txt");
    repo.write("b.txt", "b\n");
    repo.commit_all(&msg(&[TASK]));
    let (output, _) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    let read = |name: &str| std::fs::read_to_string(seen.join(name)).unwrap();
    assert_eq!(read("n"), "x\nx\n", "cache/ kept between runs");
    assert_eq!(
        read("ls"),
        ".agentguard.toml\n.git\nREADME.md\nb.txt\ncache\n"
    );
    assert_eq!(read("status"), "", "clean before the command");
    let mtimes: Vec<String> = read("mtime").lines().map(str::to_string).collect();
    assert_eq!(mtimes.len(), 2);
    assert_eq!(mtimes[0], mtimes[1], "unchanged files are not rewritten");
    assert!(repo
        .path()
        .join(".git/agentguard/worktrees/reuse/cache/n")
        .exists());
    assert_nothing_left(&repo);
}

#[test]
fn staged_mode_runs_on_the_staged_tree() {
    require_user_namespaces!();
    let repo = repo_with_policy("[acceptance]\ncommands = [\"grep -qx staged data.txt\"]\n");
    repo.write("data.txt", "staged\n");
    repo.git(&["add", "data.txt"]);
    repo.write("data.txt", "not staged\n");
    let message = repo.scratch().join("MSG");
    std::fs::write(&message, msg(&[TASK])).unwrap();
    let before = repo.state();
    let (output, report) = check(
        &repo,
        &["--staged", "--message-file", message.to_str().unwrap()],
    );
    expect(&output, 0);
    assert_eq!(runs(&report)[0]["exit_code"], 0);
    assert_eq!(repo.state(), before);
    assert_nothing_left(&repo);
}

#[test]
fn unknown_and_disallowed_programs_are_findings_and_do_not_run() {
    require_user_namespaces!();
    let repo = repo_with_policy("[acceptance]\nallowed_programs = [\"true\", \"git\"]\n");
    repo.commit_all(&msg(&[
        TASK,
        "Agent-Acceptance: true",
        "Agent-Acceptance: no-such-program-xyz --check",
        "Agent-Acceptance: ls",
    ]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 1);
    let runs = runs(&report);
    let status: Vec<&str> = runs.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["passed", "not-run", "not-run"]);
    assert!(runs[2]["program"].as_str().unwrap().ends_with("/ls"));
    let mut keys = finding_keys(&report);
    keys.sort();
    assert_eq!(
        keys,
        vec![
            key("acceptance", "program-not-allowed"),
            key("acceptance", "unknown-program")
        ]
    );
    let messages = report["commits"][0]["findings"].to_string();
    assert!(messages.contains("no-such-program-xyz"), "{messages}");
}

#[test]
fn interruption_kills_the_command_and_removes_the_checkout() {
    require_user_namespaces!();
    interrupt_with(libc::SIGTERM, "SIGTERM");
}

#[test]
fn a_closed_terminal_kills_the_command_and_removes_the_checkout() {
    require_user_namespaces!();
    interrupt_with(libc::SIGHUP, "SIGHUP");
}

#[test]
fn ctrl_c_during_a_recording_check_writes_no_note_and_leaves_nothing() {
    require_user_namespaces!();
    let repo = interrupt_with(libc::SIGINT, "SIGINT");
    let notes = repo.git_output(&["notes", "--ref", "agentguard", "list"]);
    assert!(
        notes.stdout.is_empty(),
        "no evidence note after an interrupted check"
    );
    let pending = repo.path().join(".git/agentguard/pending");
    assert!(!pending.read_dir().is_ok_and(|mut d| d.next().is_some()));
    // The ledger lock is not left held: the next run appends.
    let output = run(&repo, &["log", "--format", "json"]);
    expect(&output, 0);
}

fn interrupt_with(signal: i32, name: &str) -> TestRepo {
    let repo = TestRepo::with_initial_commit();
    allow_scratch_writes(&repo, "");
    let child = repo.scratch().join("child.pid");
    let sleeper = marker(4 + u32::try_from(signal).unwrap_or(0));
    repo.commit_all(&msg(&[
        TASK,
        &format!(
            "Agent-Acceptance: sleep {sleeper} & echo $! > {}.tmp; mv {0}.tmp {0}; wait",
            child.display()
        ),
    ]));
    let agentguard = spawn(&repo, &["check", "--record", "--format", "json"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !child.exists() {
        assert!(Instant::now() < deadline, "the command never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = i32::try_from(agentguard.id()).unwrap();
    unsafe { libc::kill(pid, signal) };
    let output = agentguard.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("interrupted by {name}")),
        "{stderr}"
    );
    assert!(!running(&sleeper), "sleep {sleeper} survived");
    assert_nothing_left(&repo);
    repo
}

#[test]
fn concurrent_checks_of_different_trees_do_not_share_a_reused_checkout() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    let seen = repo.scratch().join("seen");
    std::fs::create_dir_all(&seen).unwrap();
    repo.write(
        ".agentguard.toml",
        &format!(
            "[acceptance]\nwritable = [\"{1}\"]\nworktree = \"reuse\"\ncommands = [\"id=$(cat id); \
             git rev-parse HEAD^{{tree}} > {0}/$id.before; sleep 0.5; \
             cat id > {0}/$id.after\"]\n",
            seen.display(),
            repo.scratch().display()
        ),
    );
    repo.commit_all("policy");
    repo.checkout_new("agent/a");
    repo.write("id", "a\n");
    let a = repo.commit_all(&msg(&[TASK]));
    repo.git(&["checkout", "-q", "main"]);
    repo.checkout_new("agent/b");
    repo.write("id", "b\n");
    let b = repo.commit_all(&msg(&[TASK]));
    let outputs: Vec<Output> = std::thread::scope(|scope| {
        let handles: Vec<_> = [&a, &b]
            .into_iter()
            .map(|rev| scope.spawn(|| check(&repo, &[rev.as_str()]).0))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for output in &outputs {
        expect(output, 0);
    }
    for (id, rev) in [("a", &a), ("b", &b)] {
        let read = |suffix: &str| std::fs::read_to_string(seen.join(format!("{id}.{suffix}")));
        let tree = repo.git(&["rev-parse", &format!("{rev}^{{tree}}")]);
        assert_eq!(read("before").unwrap(), format!("{tree}\n"));
        assert_eq!(
            read("after").unwrap(),
            format!("{id}\n"),
            "nobody reset it mid-run"
        );
    }
}

#[test]
fn commands_cannot_write_the_users_repository() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    repo.write("a.txt", "a\n");
    let work = repo.path().canonicalize().unwrap();
    repo.commit_all(&msg(&[
        TASK,
        // Root in the sandbox tries to take the mounts away first; the checkout no longer
        // names the repository, so the command is told where it is.
        &format!(
            "Agent-Acceptance: test ! -e .git/objects/info/alternates && echo no-alternates; W={}; U=\"$W/.git\"; umount -l \"$U\"; umount -l \"$W\"; mount -o remount,bind,rw \"$W\"; touch \"$U/hooks/planted\" \"$W/planted\"; git --git-dir=\"$U\" update-ref refs/heads/evil HEAD; ls -A \"$U\" | wc -l; true",
            shell_path(&work)
        ),
    ]));
    let refs_before = repo.git(&["for-each-ref"]);
    let before = repo.state();
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    let run = &runs(&report)[0];
    assert_eq!(run["repository"], "read-only");
    let tail = run["output_tail"].as_str().unwrap();
    assert!(tail.contains("no-alternates"), "{tail}");
    assert!(tail.contains("Read-only file system"), "{tail}");
    // The git directory is an empty tmpfs in there.
    assert!(tail.trim_end().ends_with("\n0"), "{tail}");
    assert!(!repo.path().join(".git/hooks/planted").exists());
    assert!(!repo.path().join("planted").exists());
    assert_eq!(repo.git(&["for-each-ref"]), refs_before);
    assert_eq!(repo.state(), before);
}

#[test]
fn root_inside_the_sandbox_cannot_rejoin_the_host_network() {
    require_user_namespaces!();
    // A new user namespace even for root: no capability over the host's namespaces remains.
    let repo = TestRepo::with_initial_commit();
    repo.write("a.txt", "a\n");
    repo.commit_all(&msg(&[
        TASK,
        "Agent-Acceptance: nsenter --net=/proc/1/ns/net true",
    ]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 1);
    assert_eq!(runs(&report)[0]["network"], "denied");
    assert_ne!(runs(&report)[0]["exit_code"], 0);
}

#[test]
fn a_reused_checkout_never_follows_links_swapped_into_its_path() {
    require_user_namespaces!();
    let repo = repo_with_policy("[acceptance]\nworktree = \"reuse\"\ncommands = [\"true\"]\n");
    repo.write("a.txt", "a\n");
    repo.commit_all(&msg(&[TASK]));
    let (output, _) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    // What an unsandboxed command of an earlier run could have done: the kept checkout, and
    // its `.git`, become links to the user's repository.
    let reuse = repo.path().join(".git/agentguard/worktrees/reuse");
    std::fs::remove_dir_all(&reuse).unwrap();
    std::os::unix::fs::symlink(repo.path(), &reuse).unwrap();
    let before = repo.state();
    let (output, _) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    assert_eq!(repo.state(), before);
    assert!(std::fs::symlink_metadata(&reuse).unwrap().is_dir());
    std::fs::remove_dir_all(reuse.join(".git")).unwrap();
    std::os::unix::fs::symlink(repo.path().join(".git"), reuse.join(".git")).unwrap();
    let (output, _) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    assert_eq!(repo.state(), before);
    assert!(repo.path().join(".git/HEAD").exists());
}

#[test]
fn a_reused_checkout_forgets_index_flags_an_earlier_command_set() {
    require_user_namespaces!();
    // The first run hides an edit of the acceptance script behind skip-worktree.
    let repo = TestRepo::with_initial_commit();
    repo.write(
        ".agentguard.toml",
        "[acceptance]\nworktree = \"reuse\"\ncommands = [\"sh check.sh\"]\n",
    );
    repo.write("check.sh", "test -f ok\n");
    repo.write("ok", "\n");
    repo.commit_all("policy and its acceptance script");
    repo.write("a.txt", "a\n");
    repo.commit_all(&msg(&[
        TASK,
        "Agent-Acceptance: git update-index --skip-worktree check.sh && printf 'exit 0\\n' > check.sh",
    ]));
    let (output, _) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    repo.remove("ok");
    repo.commit_all(&msg(&[TASK]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 1);
    assert_eq!(
        finding_keys(&report),
        vec![("acceptance".into(), "command-failed".into(), String::new())]
    );
}

#[test]
fn command_output_cannot_rewrite_the_report_on_a_terminal() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    repo.write("a.txt", "a\n");
    repo.commit_all(&msg(&[
        TASK,
        "Agent-Acceptance: printf 'FAILED\\033[2K\\033[1A\\033[32mall good\\n'; exit 1",
    ]));
    let output = run(&repo, &["check", "--color", "never"]);
    expect(&output, 1);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("FAILED\\u{1b}[2K"), "{text}");
}

#[test]
fn secrets_a_command_prints_or_names_are_redacted() {
    require_user_namespaces!();
    // Assembled here so no literal token sits in the repository.
    let token = format!("gh{}_{}", "p", "AcceptanceRedaction7Qz2Lp9Xw4Rt8Kd3V");
    let repo = TestRepo::with_initial_commit();
    repo.write("a.txt", "a\n");
    // The shell joins the token only in what it prints: the command runs, its output is redacted.
    repo.commit_all(&msg(&[
        TASK,
        "Agent-Acceptance: echo \"calling the API with gh\"\"p_AcceptanceRedaction7Qz2Lp9Xw4Rt8Kd3Vn6\"; exit 3",
    ]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 1);
    let printed = &runs(&report)[0];
    assert_eq!(printed["status"], "failed", "{printed:#}");
    assert!(
        printed["output_tail"].as_str().unwrap().contains("ghp_…"),
        "{printed:#}"
    );
    // A command that names the token is a credential in the message: nothing runs, and the
    // record shows the command redacted.
    repo.write("a.txt", "b\n");
    repo.commit_all(&msg(&[
        TASK,
        &format!("Agent-Acceptance: echo \"calling the API with {token}\"; exit 3"),
    ]));
    let (named_output, named) = check(&repo, &["HEAD"]);
    expect(&named_output, 1);
    let skipped = &runs(&named)[0];
    assert_eq!(skipped["status"], "skipped", "{skipped:#}");
    assert!(
        skipped["command"].as_str().unwrap().contains("`ghp_…`"),
        "{skipped:#}"
    );
    // Verbose output lists the task's commands too.
    let human = run(&repo, &["-v", "check", "--color", "never"]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("acceptance (trailer): echo"));
    for text in [
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        String::from_utf8_lossy(&named_output.stdout).into_owned(),
        String::from_utf8_lossy(&named_output.stderr).into_owned(),
        String::from_utf8_lossy(&human.stdout).into_owned(),
        String::from_utf8_lossy(&human.stderr).into_owned(),
    ] {
        assert!(!text.contains(&token), "{text}");
        assert!(!text.contains(&token[..12]), "{text}");
    }
}

#[test]
fn what_a_command_writes_to_the_global_git_config_never_runs_outside_the_sandbox() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    // Writes outside the checkout allowed, to test the checkout's own defences.
    repo.write(".agentguard.toml", "[acceptance]\nfilesystem = \"allow\"\n");
    repo.commit_all("policy");
    let smudged = repo.scratch().join("SMUDGED");
    repo.write("a.txt", "a\n");
    repo.commit_all(&msg(&[
        TASK,
        &format!(
            "Agent-Acceptance: git config --global filter.x.smudge 'touch {}; cat' && printf '* filter=x\\n' > \"$HOME/.attrs\" && git config --global core.attributesFile \"$HOME/.attrs\"",
            shell_path(&smudged)
        ),
    ]));
    let (output, _) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    assert!(
        repo.home().join(".attrs").exists(),
        "the first command wrote $HOME"
    );
    repo.write("b.txt", "b\n");
    repo.commit_all(&msg(&[TASK, "Agent-Acceptance: true"]));
    let (output, _) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    assert!(
        !smudged.exists(),
        "a filter from the global config ran while preparing a checkout"
    );
}

#[test]
fn every_work_tree_of_the_repository_is_read_only() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    let linked = repo.scratch().join("linked");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "agent/wt",
        linked.to_str().unwrap(),
    ]);
    std::fs::write(linked.join("a.txt"), "a\n").unwrap();
    let main_readme = repo.path().join("README.md");
    let git = |args: &[&str]| {
        let status = repo
            .git_command()
            .current_dir(&linked)
            .args(args)
            .status()
            .unwrap();
        assert!(status.success());
    };
    git(&["add", "a.txt"]);
    git(&[
        "commit",
        "-q",
        "-m",
        &msg(&[
            TASK,
            &format!(
                "Agent-Acceptance: echo pwned >> {}; true",
                shell_path(&main_readme)
            ),
        ]),
    ]);
    let output = repo
        .agentguard()
        .current_dir(&linked)
        .args(["check", "--format", "json"])
        .env("TMPDIR", tmpdir(&repo))
        .output()
        .unwrap();
    expect(&output, 0);
    assert_eq!(std::fs::read_to_string(&main_readme).unwrap(), "hello\n");
}

#[test]
fn a_restricted_command_writes_only_its_checkout_and_temporary_directory() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    let outside = repo.scratch().join("outside.txt");
    repo.write("a.txt", "a\n");
    repo.commit_all(&msg(&[
        TASK,
        "Agent-Acceptance: echo in > inside.txt && cat inside.txt",
        "Agent-Acceptance: echo t > \"$TMPDIR/t\" && cat \"$TMPDIR/t\"",
        &format!("Agent-Acceptance: echo out > {}", shell_path(&outside)),
        "Agent-Acceptance: git config --global user.name mallory",
        "Agent-Acceptance: echo quiet > /dev/null && head -c 4 /dev/urandom > /dev/null",
        "Agent-Acceptance: echo shared > /dev/shm/agentguard-test-$$",
    ]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 1);
    let runs = report["commits"][0]["acceptance"].as_array().unwrap();
    let passed: Vec<bool> = runs.iter().map(|r| r["exit_code"] == 0).collect();
    assert_eq!(
        passed,
        vec![true, true, false, false, true, false],
        "{runs:#?}"
    );
    for run in runs {
        assert_eq!(run["filesystem"], "restricted");
    }
    assert!(!outside.exists());
    assert_eq!(
        std::fs::read_to_string(repo.home().join(".gitconfig")).unwrap(),
        "",
        "$HOME is not writable"
    );
    assert_nothing_left(&repo);
}

#[test]
fn writable_paths_and_allow_open_the_filesystem() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    let cache = repo.scratch().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    let other = repo.scratch().join("other.txt");
    repo.write(
        ".agentguard.toml",
        &format!("[acceptance]\nwritable = [\"{}\"]\n", cache.display()),
    );
    repo.commit_all("policy");
    repo.write("a.txt", "a\n");
    repo.commit_all(&msg(&[
        TASK,
        &format!("Agent-Acceptance: echo c > {}/c", shell_path(&cache)),
        &format!("Agent-Acceptance: echo o > {}", shell_path(&other)),
    ]));
    let (_, report) = check(&repo, &["HEAD"]);
    let codes: Vec<Value> = report["commits"][0]["acceptance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["exit_code"].clone())
        .collect();
    assert_eq!(codes[0], 0);
    assert_ne!(codes[1], 0);
    assert!(cache.join("c").exists() && !other.exists());

    repo.write(".agentguard.toml", "[acceptance]\nfilesystem = \"allow\"\n");
    repo.commit_all("policy: allow");
    repo.write("b.txt", "b\n");
    repo.commit_all(&msg(&[
        TASK,
        &format!("Agent-Acceptance: echo o > {}", shell_path(&other)),
    ]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    assert_eq!(
        report["commits"][0]["acceptance"][0]["filesystem"],
        "allowed"
    );
    assert!(other.exists());
}

#[test]
fn a_relative_writable_path_is_a_policy_error() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    repo.write(".agentguard.toml", "[acceptance]\nwritable = [\"cache\"]\n");
    repo.commit_all("policy");
    repo.write("a.txt", "a\n");
    repo.commit_all(&msg(&[TASK]));
    let (output, _) = check(&repo, &["HEAD"]);
    expect(&output, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("writable path `cache` must be absolute"),
        "{stderr}"
    );
    assert!(stderr.contains(":2:13:"), "{stderr}");
}

/// Records progress events as lines of text.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<String>>);

impl agentguard::internals::progress::Progress for Recorder {
    fn event(&self, event: &agentguard::internals::progress::Event<'_>) {
        use agentguard::internals::progress::Event;
        let line = match *event {
            Event::Started {
                number,
                total,
                phase,
                command,
            } => format!("started {number}/{total} {}: {command}", phase.as_str()),
            Event::Output { line } => format!("output {line}"),
            Event::Finished { run } => format!("finished {}", run.outcome()),
            Event::Abandoned => "abandoned".to_string(),
        };
        self.0.lock().unwrap().push(line);
    }
}

#[test]
fn progress_is_reported_as_events_with_secrets_redacted() {
    let repo = TestRepo::with_initial_commit();
    repo.write("b.txt", "b\n");
    let token = format!("gh{}_{}", "p", "UnitFixtureQ7z2Lp9Xw4Rt8Kd3Mv6Hs1NbY");
    // The command's text holds no token (a named one would block before anything ran); the
    // shell joins one in what it prints.
    repo.commit_all(&msg(&[
        TASK,
        "Agent-Acceptance: echo first; sleep 0.5; echo \"key gh\"\"p_UnitFixtureQ7z2Lp9Xw4Rt8Kd3Mv6Hs1NbY\"; sleep 0.5",
        "Agent-Acceptance: exit 3",
    ]));
    let recorder = std::sync::Arc::new(Recorder::default());
    let request = agentguard::internals::engine::CheckRequest {
        progress: Some(recorder.clone()),
        ..agentguard::internals::engine::CheckRequest::new(
            agentguard::internals::engine::Target::Rev("HEAD".into()),
        )
    };
    let opened = agentguard::internals::repo::Repo::open(&repo.path()).unwrap();
    let mut cache = agentguard::internals::engine::Cache::default();
    let report = agentguard::internals::engine::check(&opened, &mut cache, &request).unwrap();
    assert_eq!(report.acceptance.len(), 2);
    let events = recorder.0.lock().unwrap().clone();
    let first =
        "echo first; sleep 0.5; echo \"key gh\"\"p_UnitFixtureQ7z2Lp9Xw4Rt8Kd3Mv6Hs1NbY\"; sleep 0.5";
    assert_eq!(events[0], format!("started 1/2 acceptance: {first}"));
    assert!(events.contains(&"output first".to_string()), "{events:#?}");
    let finished = events.iter().position(|e| e == "finished passed").unwrap();
    // The line the shell printed carries the whole token: it reaches the display redacted.
    assert_eq!(
        events[finished - 1],
        "output key `ghp_…` (40 chars, redacted)",
        "{events:#?}"
    );
    assert_eq!(
        &events[finished + 1..],
        [
            "started 2/2 acceptance: exit 3".to_string(),
            "finished exited with code 3".to_string(),
        ],
        "{events:#?}"
    );
    assert!(events.iter().all(|e| !e.contains(&token)), "{events:#?}");
}

/// The Python interpreter itself (not a version manager's shim, which reads `HOME`).
fn python() -> String {
    let output = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

#[test]
fn network_deny_keeps_a_loopback_of_its_own_for_test_servers() {
    require_user_namespaces!();
    // A service on the host's loopback: the sandbox's own loopback must not reach it.
    let host = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    host.set_nonblocking(true).unwrap();
    let port = host.local_addr().unwrap().port();
    let repo = repo_with_policy("[acceptance]\nnetwork = \"deny\"\n");
    repo.write(
        "tests/serve.py",
        &format!(
            "import socket, sys\n\
             server = socket.socket()\n\
             server.bind(('127.0.0.1', 0))\n\
             server.listen(1)\n\
             client = socket.create_connection(server.getsockname(), timeout=5)\n\
             conn, _ = server.accept()\n\
             conn.sendall(b'pong')\n\
             assert client.recv(4) == b'pong'\n\
             print('local server ok')\n\
             try:\n\
             \x20   socket.create_connection(('127.0.0.1', {port}), timeout=2)\n\
             \x20   print('host service reachable')\n\
             \x20   sys.exit(3)\n\
             except OSError as e:\n\
             \x20   print('host service unreachable:', type(e).__name__)\n"
        ),
    );
    repo.commit_all("a test that serves on loopback");
    repo.write("src/app.py", "print()\n");
    repo.commit_all(&msg(&[
        TASK,
        &format!("Agent-Acceptance: {} tests/serve.py", python()),
    ]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    let run = &runs(&report)[0];
    assert_eq!(run["network"], "denied");
    let tail = run["output_tail"].as_str().unwrap();
    assert!(tail.contains("local server ok"), "{tail}");
    assert!(tail.contains("host service unreachable"), "{tail}");
    assert!(
        host.accept().is_err(),
        "nothing connected to the host's service"
    );
}

#[test]
fn a_blocked_change_runs_nothing_and_says_why() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    let setup_ran = repo.scratch().join("setup-ran");
    let tests_ran = repo.scratch().join("tests-ran");
    allow_scratch_writes(
        &repo,
        &format!(
            "setup = [\"touch {}\"]\ncommands = [\"touch {}; sleep 30\"]\n[scope]\ndeny = [\"secrets/\"]\n",
            setup_ran.display(),
            tests_ran.display()
        ),
    );
    repo.write("secrets/token.txt", "not for agents\n");
    repo.write("src/app.py", "print()\n");
    repo.commit_all(&msg(&[TASK]));
    let started = Instant::now();
    let (output, report) = check(&repo, &["HEAD", "--record"]);
    expect(&output, 1);
    // The 30-second suite never started (the bound is far below it, far above any machine).
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!setup_ran.exists() && !tests_ran.exists());
    let skipped = runs(&report);
    assert_eq!(skipped.len(), 2);
    for run in &skipped {
        assert_eq!(run["status"], "skipped");
        assert_eq!(
            run["reason"],
            "the change is already blocked (scope denied), so no setup or acceptance command ran"
        );
    }
    // The human report says it once, and so does the evidence note.
    let human = run(&repo, &["check", "HEAD"]);
    expect(&human, 1);
    let stdout = String::from_utf8_lossy(&human.stdout);
    assert!(
        stdout.contains("acceptance skipped: the change is already blocked (scope denied)"),
        "{stdout}"
    );
    let note = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    assert!(note.contains("status = \"skipped\""), "{note}");
    assert!(
        note.contains("reason = \"the change is already blocked"),
        "{note}"
    );
    assert_nothing_left(&repo);

    // A credential blocks the same way; an approval awaited too.
    repo.write(".env", "DATABASE_URL=postgres://app@db/app\n");
    repo.commit_all(&msg(&[TASK, "Agent-Requires-Approval: payments"]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 1);
    let reason = runs(&report)[0]["reason"].as_str().unwrap().to_string();
    assert!(reason.contains("risk credentials"), "{reason}");
    assert!(
        reason.contains("risk payments awaiting approval"),
        "{reason}"
    );
    assert!(!setup_ran.exists() && !tests_ran.exists());
}

#[test]
fn a_reused_checkout_reruns_setup_only_when_its_inputs_change() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    let log = repo.scratch().join("setups");
    repo.write("requirements.txt", "requests\n");
    repo.write(
        "tools/setup.sh",
        &format!(
            "cat requirements.txt > /dev/null\necho ran >> {}\n",
            log.display()
        ),
    );
    allow_scratch_writes(
        &repo,
        "worktree = \"reuse\"\nsetup = [\"sh tools/setup.sh\"]\ncommands = [\"true\"]\n",
    );
    let setups = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let agent_check = |file: &str| {
        repo.write(file, "print()\n");
        repo.commit_all(&msg(&[TASK]));
        let (output, report) = check(&repo, &["HEAD"]);
        expect(&output, 0);
        runs(&report)[0].clone()
    };
    let first = agent_check("src/a.py");
    assert_eq!(first["status"], "passed");
    assert_eq!(setups(), 1);
    let second = agent_check("src/b.py");
    assert_eq!(second["status"], "reused", "{second:#}");
    let reason = second["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("setup reused (inputs unchanged, hash "),
        "{reason}"
    );
    assert_eq!(setups(), 1, "setup did not run again");
    // A person changes what setup reads (human commits pass untouched): it runs again.
    repo.write("requirements.txt", "requests==2.32\n");
    repo.commit_all("pin requests");
    assert_eq!(agent_check("src/c.py")["status"], "passed");
    assert_eq!(setups(), 2);
    // So does a toolchain file.
    repo.write(".python-version", "3.12\n");
    repo.commit_all("python 3.12");
    assert_eq!(agent_check("src/d.py")["status"], "passed");
    assert_eq!(setups(), 3);
    assert_eq!(agent_check("src/e.py")["status"], "reused");
    assert_eq!(setups(), 3);
}

#[test]
fn an_interrupted_setup_leaves_no_checkout_and_is_not_taken_as_done() {
    require_user_namespaces!();
    let repo = TestRepo::with_initial_commit();
    let started = repo.scratch().join("setup-started");
    let log = repo.scratch().join("setups");
    let policy = |worktree: &str, sleep: &str| {
        format!(
            "[acceptance]\nwritable = [\"{scratch}\"]\nworktree = \"{worktree}\"\nsetup = [\"echo ran >> {log}; touch {started}; {sleep}\"]\ncommands = [\"true\"]\n",
            scratch = repo.scratch().display(),
            log = log.display(),
            started = started.display()
        )
    };
    for worktree in ["fresh", "reuse"] {
        repo.write(".agentguard.toml", &policy(worktree, "sleep 30"));
        repo.commit_all(&format!("worktree {worktree}"));
        repo.write(&format!("src/{worktree}.py"), "print()\n");
        repo.commit_all(&msg(&[TASK]));
        let _ = std::fs::remove_file(&started);
        let mut agentguard = spawn(&repo, &["check", "--format", "json"]);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !started.exists() {
            if Instant::now() > deadline || agentguard.try_wait().unwrap().is_some() {
                let _ = agentguard.kill();
                let output = agentguard.wait_with_output().unwrap();
                panic!(
                    "setup never started ({worktree}):\n{}",
                    crate::support::text(&output)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        unsafe { libc::kill(i32::try_from(agentguard.id()).unwrap(), libc::SIGINT) };
        let output = agentguard.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{worktree}");
        assert_nothing_left(&repo);
    }
    // The interrupted setup of the reused checkout counts for nothing: the next check runs it.
    let stamp = repo.path().join(".git/agentguard/worktrees/reuse.setup");
    assert!(!stamp.exists());
    let before = std::fs::read_to_string(&log).unwrap().lines().count();
    repo.write(".agentguard.toml", &policy("reuse", "true"));
    repo.commit_all("a quick setup");
    repo.write("src/again.py", "print()\n");
    repo.commit_all(&msg(&[TASK]));
    let (output, report) = check(&repo, &["HEAD"]);
    expect(&output, 0);
    assert_eq!(runs(&report)[0]["status"], "passed");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().lines().count(),
        before + 1
    );
    assert!(stamp.exists());
}

#[test]
fn setup_without_the_network_when_its_inputs_are_not_approved() {
    require_user_namespaces!();
    // What the engine asks for while the change touched setup's inputs unapproved (where
    // such a change may run at all): setup in the sandbox, offline, and saying why.
    let bash = which::which("bash").expect("bash, for its /dev/tcp");
    let host = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = host.local_addr().unwrap().port();
    let repo = TestRepo::with_initial_commit();
    let opened = agentguard::internals::repo::Repo::open(&repo.path()).unwrap();
    let policy = agentguard::internals::policy::Policy::parse(
        &format!(
            "[acceptance]\nnetwork = \"allow\"\nsetup = [\"{} -c 'exec 3<>/dev/tcp/127.0.0.1/{port}'\"]\n",
            bash.display()
        ),
        ".agentguard.toml",
        agentguard::internals::policy::PolicySource::DefaultNoBase,
    )
    .unwrap();
    let tree = opened.head_tree().unwrap();
    let command = agentguard::internals::acceptance::AcceptanceCommand {
        command: "true".into(),
        source: "trailer".into(),
    };
    let mut options = agentguard::internals::acceptance::RunOptions {
        progress: None,
        local: false,
        setup_network: false,
        setup_inputs: None,
    };
    let offline = agentguard::internals::acceptance::run(
        &opened,
        tree,
        std::slice::from_ref(&command),
        &policy.acceptance,
        &options,
    )
    .unwrap();
    let setup = &offline.runs[0];
    assert_eq!(setup.network, "denied");
    assert!(!setup.passed(), "the host stayed out of reach");
    assert!(setup
        .reason
        .as_deref()
        .unwrap()
        .contains("no test-tampering approval covers it"));
    options.setup_network = true;
    let online = agentguard::internals::acceptance::run(
        &opened,
        tree,
        std::slice::from_ref(&command),
        &policy.acceptance,
        &options,
    )
    .unwrap();
    assert_eq!(online.runs[0].network, "allowed");
    assert!(online.runs.iter().all(|r| r.passed()), "{:#?}", online.runs);
    drop(host);
}

/// A repository whose setup "downloads": it reads `requirements.txt` and must reach a
/// listener on the host (returned, to keep it open), as pip reaches an index. Approvals are due
/// at merge.
fn repo_whose_setup_downloads() -> (TestRepo, std::net::TcpListener) {
    let bash = which::which("bash").expect("bash, for its /dev/tcp");
    let host = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = host.local_addr().unwrap().port();
    let repo = TestRepo::new();
    repo.write(
        ".agentguard.toml",
        &format!(
            "[acceptance]\nnetwork = \"allow\"\nsetup = [\"{} -c 'test -f requirements.txt && exec 3<>/dev/tcp/127.0.0.1/{port}'\"]\ncommands = [\"true\"]\n\n[approvals]\nwhen = \"merge\"\n",
            bash.display()
        ),
    );
    repo.write("requirements.txt", "requests\n");
    repo.commit_all("base");
    (repo, host)
}

#[test]
fn a_dependency_change_commits_locally_with_setup_online_and_waits_for_approval_at_merge() {
    require_user_namespaces!();
    let (repo, host) = repo_whose_setup_downloads();
    let output = repo.run(&["install"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    repo.checkout_new("agent/deps");
    repo.write("requirements.txt", "requests\npluggy>=1.0\n");
    repo.git(&["add", "-A"]);
    let output = repo
        .git_command()
        .args(["commit", "-q", "-m", &msg(&[TASK])])
        .output()
        .unwrap();
    // The committer's machine: setup keeps the network, the commit is made, the approval is
    // due at merge.
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("awaiting approval at merge: test-tampering"),
        "{}",
        text(&output)
    );
    let note = repo.git(&["notes", "--ref", "agentguard", "show", "HEAD"]);
    assert!(note.contains("network = \"allowed\""), "{note}");
    // The CI gate runs nothing for it until a person approves.
    let output = repo.run(&["verify", "--base", "main", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let runs = report["commits"][0]["acceptance"].as_array().unwrap();
    assert!(runs.iter().all(|r| r["status"] == "skipped"), "{report:#}");
    drop(host);
}

#[test]
fn a_dependency_change_checked_in_a_ci_job_gets_no_network_for_setup() {
    require_user_namespaces!();
    let (repo, host) = repo_whose_setup_downloads();
    repo.checkout_new("agent/deps");
    repo.write("requirements.txt", "requests\npluggy>=1.0\n");
    repo.commit_all(&msg(&[TASK]));
    // `check` in a CI job (not verify, which waits for the approval): setup stays offline.
    let output = repo
        .agentguard()
        .args(["check", "HEAD", "--format", "json"])
        .env("CI", "true")
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let setup = &report["commits"][0]["acceptance"][0];
    assert_eq!(setup["network"], "denied", "{report:#}");
    drop(host);
}
