//! A team's first week, played end to end: a bare remote, a lead's clone, an agent's clone, a
//! second agent session's clone and fresh CI clones, every command run by `sh` as a person
//! would type it. The command blocks below are the ones the book's guide pages show (a test
//! at the bottom holds them to it), so the guide is exactly what this test does.

use crate::support::{hermetic, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Once, by a person, in an existing clone of the project: adopt agentguard, trust the
/// lead's SSH key for approvals and signed commits, define the task.
const ADOPT: &str = r#"agentguard init
agentguard task new T-1
mkdir -p .agentguard
echo "lead@example.com $(cat ~/.ssh/id_ed25519.pub)" > .agentguard/allowed_signers"#;

/// The `[approvals]` section of `.agentguard.toml` after the lead's edit.
const APPROVALS: &str = r#"[approvals]
allowed_signers = ".agentguard/allowed_signers"
approvers = { "*" = ["lead@example.com"] }
when = "merge""#;

/// `.agentguard/tasks/T-1.toml` after the lead's edit.
const TASK: &str = r#"goal = "Paginate the users list"
allow = ["src/**", "tests/**"]
acceptance = ["sh tests/run.sh"]"#;

const COMMIT_POLICY: &str = r#"git add .agentguard.toml .agentguard
git commit -m "Adopt agentguard"
git push origin main
agentguard install"#;

/// Every clone, people's and agents' alike.
const CLONE: &str = r#"git clone <url> shop
cd shop
agentguard install"#;

/// What a person who reviews and approves sets once: git signs their commits with SSH.
const SIGNING: &str = r#"git config gpg.format ssh
git config user.signingkey ~/.ssh/id_ed25519.pub
git config commit.gpgsign true"#;

const AGENT_START: &str = "git switch -c agent/T-1";

/// An agent commit and its push: the notes go with it.
const AGENT_COMMIT: &str = r#"git add -A
git commit -m "Paginate the users list" --trailer "Agent-Task: T-1" --trailer "Agent-Name: codex"
git push -u origin agent/T-1"#;

/// A second agent session, in a clone of its own, on the same task.
const SECOND_AGENT: &str = r#"git switch -c agent/T-1-search
git add -A
git commit -m "Search the users list" --trailer "Agent-Task: T-1" --trailer "Agent-Name: claude"
git fetch origin
git push -u origin agent/T-1-search"#;

const AGENT_MORE: &str = r#"git add -A
git commit -m "Page size from the query" --trailer "Agent-Task: T-1" --trailer "Agent-Name: codex"
git push"#;

/// A person's change on main.
const HUMAN_ON_MAIN: &str = r#"git commit -am "Document the users endpoint"
git push origin main"#;

const AGENT_MERGE: &str = r#"git pull --no-rebase --no-edit origin main
git push"#;

const AGENT_REBASE: &str = r#"git fetch origin
git rebase origin/main
for commit in $(git rev-list --reverse origin/main..HEAD); do agentguard check "$commit" --record; done
git push --force-with-lease"#;

const AGENT_RISKY: &str = r#"git add -A
git commit -m "Keep sessions short" --trailer "Agent-Task: T-1" --trailer "Agent-Name: codex"
git push"#;

const LEAD_APPROVES: &str = r#"git fetch origin
agentguard sync
agentguard show origin/agent/T-1
agentguard approve origin/agent/T-1 --category auth --reason "Reviewed the session lifetime"
agentguard sync"#;

const REVIEWER_START: &str = "git switch agent/T-1";

const REVIEWER_FIXUP: &str = r#"git commit -am "Name the session lifetime"
git push"#;

/// The agentguard steps of each CI system's job (after its checkout and the install).
const GITHUB_STEPS: &str = r#"agentguard sync --no-push
agentguard verify --format github --sarif agentguard.sarif --junit agentguard.xml"#;
const GITLAB_STEPS: &str = r#"agentguard sync --no-push
agentguard verify --junit agentguard.xml --markdown agentguard.md"#;
const BUILDKITE_STEPS: &str = r#"agentguard sync --no-push
agentguard verify --output junit=agentguard.xml --output sarif=agentguard.sarif"#;

/// The blocks the book shows, by the name its pages mark them with.
const BLOCKS: &[(&str, &str)] = &[
    ("ADOPT", ADOPT),
    ("APPROVALS", APPROVALS),
    ("TASK", TASK),
    ("COMMIT_POLICY", COMMIT_POLICY),
    ("CLONE", CLONE),
    ("SIGNING", SIGNING),
    ("AGENT_START", AGENT_START),
    ("AGENT_COMMIT", AGENT_COMMIT),
    ("SECOND_AGENT", SECOND_AGENT),
    ("AGENT_MORE", AGENT_MORE),
    ("HUMAN_ON_MAIN", HUMAN_ON_MAIN),
    ("AGENT_MERGE", AGENT_MERGE),
    ("AGENT_REBASE", AGENT_REBASE),
    ("AGENT_RISKY", AGENT_RISKY),
    ("LEAD_APPROVES", LEAD_APPROVES),
    ("REVIEWER_START", REVIEWER_START),
    ("REVIEWER_FIXUP", REVIEWER_FIXUP),
    ("GITHUB_STEPS", GITHUB_STEPS),
    ("GITLAB_STEPS", GITLAB_STEPS),
    ("BUILDKITE_STEPS", BUILDKITE_STEPS),
];

/// One person's (or agent's, or CI runner's) machine: a home with its own git config and
/// SSH key, and the directory the clone goes in.
struct Machine {
    root: tempfile::TempDir,
    url: String,
}

impl Machine {
    fn new(name: &str, url: &str) -> Self {
        let root = tempfile::Builder::new()
            .prefix(&format!("agentguard-{name}"))
            .tempdir()
            .unwrap();
        let machine = Self {
            root,
            url: url.to_string(),
        };
        std::fs::create_dir_all(machine.home().join(".ssh")).unwrap();
        std::fs::create_dir_all(machine.root.path().join("tmp")).unwrap();
        std::fs::write(
            machine.home().join(".gitconfig"),
            format!(
                "[user]\n\tname = {name}\n\temail = {name}@example.com\n[init]\n\tdefaultBranch = main\n"
            ),
        )
        .unwrap();
        machine
    }

    fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    /// Where the clone is.
    fn shop(&self) -> PathBuf {
        self.root.path().join("shop")
    }

    fn ssh_key(&self) {
        let status = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "test key", "-f"])
            .arg(self.home().join(".ssh/id_ed25519"))
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Runs a block with `sh -e` in `dir`, as its person would type it; `<url>` is the
    /// remote.
    fn sh_in(&self, dir: &Path, block: &str, env: &[(&str, &str)]) -> Output {
        let bin = assert_cmd::cargo::cargo_bin("agentguard");
        let path =
            std::env::join_paths(std::iter::once(bin.parent().unwrap().to_path_buf()).chain(
                std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
            ))
            .unwrap();
        let mut cmd = std::process::Command::new("sh");
        hermetic(&mut cmd, &self.home());
        // The people are themselves: git config says who they are.
        cmd.env_remove("GIT_AUTHOR_NAME")
            .env_remove("GIT_AUTHOR_EMAIL")
            .env_remove("GIT_COMMITTER_NAME")
            .env_remove("GIT_COMMITTER_EMAIL");
        cmd.arg("-ec")
            .arg(block.replace("<url>", &self.url))
            .current_dir(dir)
            .env("PATH", path)
            .env("TMPDIR", self.root.path().join("tmp"))
            .envs(env.iter().copied());
        cmd.output().unwrap()
    }

    /// A block in the clone; it must succeed.
    fn sh(&self, block: &str) -> String {
        self.sh_env(block, &[])
    }

    fn sh_env(&self, block: &str, env: &[(&str, &str)]) -> String {
        let output = self.sh_in(&self.shop(), block, env);
        assert!(output.status.success(), "{block}\n{}", text(&output));
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }

    /// The clone block, from the machine's root.
    fn clone_and_install(&self) -> String {
        let output = self.sh_in(self.root.path(), CLONE, &[]);
        assert!(output.status.success(), "{}", text(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn git(&self, args: &[&str]) -> String {
        let mut cmd = std::process::Command::new("git");
        hermetic(&mut cmd, &self.home());
        let output = cmd.args(args).current_dir(self.shop()).output().unwrap();
        assert!(output.status.success(), "git {args:?}: {}", text(&output));
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    fn write(&self, path: &str, content: &str) {
        let full = self.shop().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }

    /// Replaces the `[section]` of a TOML file, up to the next section, with `body`.
    fn set_section(&self, path: &str, body: &str) {
        let file = std::fs::read_to_string(self.shop().join(path)).unwrap();
        let header = body.lines().next().unwrap();
        let start = file.find(&format!("\n{header}\n")).unwrap() + 1;
        let end = file[start + header.len()..]
            .find("\n[")
            .map_or(file.len(), |i| start + header.len() + i + 1);
        let updated = format!("{}{body}\n\n{}", &file[..start], &file[end..]);
        self.write(path, &updated);
    }

    fn ledger(&self) -> Vec<Value> {
        let output = self.sh_in(&self.shop(), "agentguard log --format json", &[]);
        assert!(output.status.success(), "{}", text(&output));
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

/// The notes of a ref in the bare remote: annotated commit ids.
fn remote_notes(remote: &Path, notes_ref: &str) -> Vec<String> {
    let output = std::process::Command::new("git")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .arg("--git-dir")
        .arg(remote)
        .args(["notes", "--ref", notes_ref, "list"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect()
}

fn remote_branch(remote: &Path, branch: &str) -> Option<String> {
    let output = std::process::Command::new("git")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .arg("--git-dir")
        .arg(remote)
        .args(["rev-parse", "--verify", "-q", branch])
        .output()
        .unwrap();
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// A CI job: a fresh clone checked out detached at the pull request's head, as the CI's
/// checkout leaves it, then the job's agentguard steps with the CI's variables.
fn ci_job(url: &str, name: &str, steps: &str, env: &[(&str, &str)]) -> (Machine, Output) {
    let ci = Machine::new(name, url);
    let output = ci.sh_in(
        ci.root.path(),
        "git clone -q <url> shop && cd shop && git checkout -q --detach origin/agent/T-1",
        &[],
    );
    assert!(output.status.success(), "{}", text(&output));
    let mut env = env.to_vec();
    env.push(("CI", "true"));
    let output = ci.sh_in(&ci.shop(), steps, &env);
    (ci, output)
}

const GITHUB: &[(&str, &str)] = &[
    ("GITHUB_ACTIONS", "true"),
    ("GITHUB_EVENT_NAME", "pull_request"),
    ("GITHUB_REF", "refs/pull/1/merge"),
    ("GITHUB_HEAD_REF", "agent/T-1"),
    ("GITHUB_BASE_REF", "main"),
];
const GITLAB: &[(&str, &str)] = &[
    ("GITLAB_CI", "true"),
    ("CI_PIPELINE_SOURCE", "merge_request_event"),
    ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "agent/T-1"),
    ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
];
const BUILDKITE: &[(&str, &str)] = &[
    ("BUILDKITE", "true"),
    ("BUILDKITE_BRANCH", "agent/T-1"),
    ("BUILDKITE_PULL_REQUEST", "1"),
    ("BUILDKITE_PULL_REQUEST_BASE_BRANCH", "main"),
];

#[test]
fn a_teams_first_week() {
    crate::require_user_namespaces!();
    let origin = tempfile::Builder::new()
        .prefix("agentguard-remote")
        .tempdir()
        .unwrap();
    let remote = origin.path().join("shop.git");
    let url = remote.to_str().unwrap().to_string();
    let git_remote = std::process::Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(&remote)
        .status()
        .unwrap();
    assert!(git_remote.success());

    // The project before agentguard: the lead's clone with its first commit.
    let lead = Machine::new("lead", &url);
    lead.ssh_key();
    assert!(lead
        .sh_in(lead.root.path(), "git clone -q <url> shop", &[])
        .status
        .success());
    lead.write("README.md", "# shop\n");
    lead.write("src/api/users.py", "def users():\n    return []\n");
    lead.write(
        "tests/run.sh",
        "grep -q 'def users' src/api/users.py && echo '1 passed'\n",
    );
    lead.sh("git add -A && git commit -q -m 'The shop' && git push -q origin main");

    // Monday: the lead adopts agentguard.
    lead.sh(ADOPT);
    lead.set_section(".agentguard.toml", APPROVALS);
    lead.write(".agentguard/tasks/T-1.toml", &format!("{TASK}\n"));
    let installed = lead.sh(COMMIT_POLICY);
    assert!(
        installed.contains(
            "git config --add remote.origin.fetch +refs/notes/agentguard*:refs/notes/remotes/origin/agentguard*"
        ),
        "{installed}"
    );
    lead.sh(SIGNING);

    // The agent's clone; it commits through the hooks and pushes: the notes go along.
    let agent = Machine::new("agent", &url);
    let installed = agent.clone_and_install();
    assert!(installed.contains("remote.origin.fetch"), "{installed}");
    agent.sh(AGENT_START);
    agent.write("src/api/users.py", "def users(page=1):\n    return []\n");
    let pushed = agent.sh(AGENT_COMMIT);
    assert!(pushed.contains("agentguard commit-msg: pass"), "{pushed}");
    assert!(
        pushed.contains("notes pushed to origin: refs/notes/agentguard"),
        "{pushed}"
    );
    assert!(!pushed.contains("AGENTGUARD_SKIP"), "{pushed}");
    let first = agent.git(&["rev-parse", "HEAD"]);
    assert_eq!(remote_notes(&remote, "agentguard"), vec![first.clone()]);

    // A second agent session in its own clone: its note is local until it pushes, and a
    // fetch of the remote's notes (install's refspec) does not overwrite it.
    let second = Machine::new("second", &url);
    second.clone_and_install();
    second.write("src/api/search.py", "def search(q):\n    return []\n");
    let out = second.sh(SECOND_AGENT);
    assert!(out.contains("notes pushed to origin"), "{out}");
    let search = second.git(&["rev-parse", "HEAD"]);
    let tracked = second.git(&["notes", "--ref", "remotes/origin/agentguard", "list"]);
    assert!(tracked.contains(&first), "{tracked}");
    let mut both = vec![first.clone(), search.clone()];
    both.sort();
    let mut on_remote = remote_notes(&remote, "agentguard");
    on_remote.sort();
    assert_eq!(on_remote, both, "both sessions' notes are on the remote");

    // The first agent goes on; its push merges the other session's notes with its own.
    agent.write(
        "src/api/users.py",
        "def users(page=1, size=20):\n    return []\n",
    );
    let out = agent.sh(AGENT_MORE);
    assert!(out.contains("notes pushed to origin"), "{out}");
    let more = agent.git(&["rev-parse", "HEAD"]);
    for commit in [&first, &search, &more] {
        assert!(
            remote_notes(&remote, "agentguard").contains(commit),
            "{commit} kept"
        );
        assert!(
            agent
                .git(&["notes", "--ref", "agentguard", "list"])
                .contains(commit.as_str()),
            "the agent's clone has {commit}'s note"
        );
    }

    // Main moves under the agent; it merges main, then rebases onto it, and pushes each time
    // without being judged for main's human commits.
    lead.write("README.md", "# shop\n\nGET /users?page=N\n");
    lead.sh(HUMAN_ON_MAIN);
    let out = agent.sh(AGENT_MERGE);
    assert!(!out.contains("verdict: block"), "{out}");
    assert!(!out.contains("missing-task"), "{out}");
    lead.write("README.md", "# shop\n\nGET /users?page=N&size=M\n");
    lead.sh(HUMAN_ON_MAIN);
    let out = agent.sh(AGENT_REBASE);
    assert!(out.contains("no longer match their evidence"), "{out}");
    assert!(out.contains("evidence recorded: note on"), "{out}");
    assert!(!out.contains("verdict: block"), "{out}");
    assert_eq!(
        remote_branch(&remote, "agent/T-1"),
        Some(agent.git(&["rev-parse", "HEAD"]))
    );

    // A risky change: committed and pushed to its branch awaiting the lead's approval, which
    // is due at merge.
    agent.write(
        "src/auth/session.py",
        "MAX_AGE = 3600\n\ndef expired(age):\n    return age > MAX_AGE\n",
    );
    let out = agent.sh(AGENT_RISKY);
    assert!(
        out.contains("agentguard commit-msg: pass")
            && out.contains("awaiting approval at merge: auth"),
        "{out}"
    );
    assert!(out.contains("awaits approval before merge"), "{out}");
    let risky = agent.git(&["rev-parse", "HEAD"]);
    let note = agent.git(&["notes", "--ref", "agentguard", "show", &risky]);
    assert!(note.contains("awaiting_approval = [\"auth\"]"), "{note}");
    // Pushing it anywhere but its own branch is a merge: refused.
    let output = agent.sh_in(
        &agent.shop(),
        "git push origin HEAD:refs/heads/release",
        &[],
    );
    assert!(!output.status.success(), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("[auth]"),
        "{}",
        text(&output)
    );
    assert_eq!(remote_branch(&remote, "release"), None);
    // CI blocks it too until the approval is there.
    let (_, output) = ci_job(&url, "ci-early", GITHUB_STEPS, GITHUB);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("awaiting approval"),
        "{}",
        text(&output)
    );

    // The lead approves from their clone, then adds a signed fixup on the agent's branch:
    // human work there, because a key the base trusts signed it.
    let out = lead.sh(LEAD_APPROVES);
    // After sync, show has the agent's evidence for the lead to review before signing.
    assert!(out.contains("awaiting approval"), "{out}");
    assert!(!out.contains("no evidence note"), "{out}");
    assert!(out.contains("✓ auth src/auth/session.py"), "{out}");
    assert!(
        out.contains("refs/notes/agentguard-approvals: ") && out.contains("pushed to origin"),
        "{out}"
    );
    assert_eq!(
        remote_notes(&remote, "agentguard-approvals"),
        vec![risky.clone()]
    );
    lead.sh(REVIEWER_START);
    lead.write(
        "src/auth/session.py",
        "SESSION_MAX_AGE = 3600\n\ndef expired(age):\n    return age > SESSION_MAX_AGE\n",
    );
    let out = lead.sh(REVIEWER_FIXUP);
    assert!(!out.contains("verdict: block"), "{out}");
    let fixup = lead.git(&["rev-parse", "HEAD"]);
    assert!(lead
        .git(&["cat-file", "commit", &fixup])
        .contains("-----BEGIN SSH SIGNATURE-----"));
    assert_eq!(remote_branch(&remote, "agent/T-1"), Some(fixup.clone()));

    // CI, in fresh clones under three CI systems' variables: detached, no upstream, the base
    // from the variables, the notes fetched, several reports from one run.
    let (github, output) = ci_job(&url, "ci-github", GITHUB_STEPS, GITHUB);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    for file in ["agentguard.sarif", "agentguard.xml"] {
        assert!(github.shop().join(file).is_file(), "{file} written");
    }
    // One judgement for every report: one ledger line per commit of the range.
    let range = github.git(&["rev-list", "origin/main..HEAD"]);
    let verified: Vec<Value> = github
        .ledger()
        .into_iter()
        .filter(|e| e["command"] == "verify")
        .collect();
    assert_eq!(verified.len(), range.lines().count());
    let fixup_line = verified
        .iter()
        .find(|e| e["commit"] == fixup.as_str())
        .unwrap();
    assert_eq!(
        fixup_line["agent_work"],
        Value::Null,
        "the signed fixup is human work"
    );
    let (_, output) = ci_job(&url, "ci-gitlab", GITLAB_STEPS, GITLAB);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let (buildkite, output) = ci_job(&url, "ci-buildkite", BUILDKITE_STEPS, BUILDKITE);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let junit = std::fs::read_to_string(buildkite.shop().join("agentguard.xml")).unwrap();
    assert!(junit.contains("(human commit)"), "{junit}");

    // A CI that says nothing but CI=true, on a merge commit no branch points to: whatever is
    // not provably human is agent work, and the reason names --branch. The signed fixup is
    // provably human.
    let merged = github.sh(
        "git checkout -q --detach origin/main && git -c commit.gpgsign=false merge -q --no-ff --no-edit origin/agent/T-1 && git rev-parse HEAD",
    );
    let merge = merged.trim().lines().last().unwrap().to_string();
    let output = github.sh_in(
        &github.shop(),
        "agentguard verify --base origin/main --format json",
        &[("CI", "true")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let commits = report["commits"].as_array().unwrap();
    let merge_report = commits
        .iter()
        .find(|c| c["commit"] == merge.as_str())
        .unwrap();
    assert!(
        merge_report["agent_reasons"]
            .to_string()
            .contains("--branch"),
        "{merge_report:#}"
    );
    let fixup_report = commits
        .iter()
        .find(|c| c["commit"] == fixup.as_str())
        .unwrap();
    assert_eq!(fixup_report["agent"], false);
    assert_eq!(fixup_report["signed_by"], "lead@example.com");

    // A push to main in CI has nothing to verify: exit 2, unless that is expected.
    let main_push = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REF", "refs/heads/main"),
    ];
    github.sh("git checkout -q --detach origin/main && git remote set-head origin main");
    let output = github.sh_in(&github.shop(), "agentguard verify", &main_push);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("nothing to verify"),
        "{}",
        text(&output)
    );
    let output = github.sh_in(
        &github.shop(),
        "agentguard verify --allow-empty",
        &main_push,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));

    // The agent's ledger knows every push by the branch it went to.
    let pushes: Vec<Value> = agent
        .ledger()
        .into_iter()
        .filter(|e| e["command"] == "hook pre-push" && e["commit"].is_string())
        .collect();
    assert!(!pushes.is_empty());
    assert!(pushes
        .iter()
        .all(|e| e["branch"] == "agent/T-1" || e["branch"] == "release"));
}

/// The book shows the blocks this test runs, each under a `<!-- tests/it/team.rs NAME -->`
/// marker, byte for byte; and every block is shown somewhere.
#[test]
fn the_guide_shows_exactly_what_the_week_runs() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/src/guide");
    let mut shown = std::collections::BTreeSet::new();
    for page in std::fs::read_dir(&docs).unwrap() {
        let path = page.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices("<!-- tests/it/team.rs ") {
            let rest = &text[at + "<!-- tests/it/team.rs ".len()..];
            let name = rest[..rest.find(" -->").unwrap()].trim();
            // The fenced block after the marker, as deep as its fence is indented (a block in
            // a list item is indented with it).
            let mut lines = rest.lines().skip(1).skip_while(|l| l.trim().is_empty());
            let fence = lines.next().unwrap();
            assert!(fence.trim_start().starts_with("```"), "{name}: {fence}");
            let indent = fence.len() - fence.trim_start().len();
            let body = lines
                .take_while(|l| l.trim() != "```")
                .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
                .collect::<Vec<_>>()
                .join("\n");
            let body = body.as_str();
            let (_, block) = BLOCKS
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("{}: no block named {name}", path.display()));
            let expected = if name.ends_with("_STEPS") {
                // CI steps sit in the CI system's YAML, one command a line.
                block.lines().all(|line| body.contains(line))
            } else {
                body == *block
            };
            assert!(
                expected,
                "{} shows {name} differently from what tests/it/team.rs runs:\n{body}\n---\n{block}",
                path.display()
            );
            shown.insert(name.to_string());
        }
    }
    for (name, _) in BLOCKS {
        assert!(shown.contains(*name), "the guide does not show {name}");
    }
}
