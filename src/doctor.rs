//! `agentguard doctor`: is this clone set up so that agentguard works? Each check is one line,
//! ok / warn / fail, and a problem comes with its fix. The checks read; they change nothing.

use crate::explain;
use crate::finding::Action;
use crate::hooks::{self, run::HookName};
use crate::policy::{Policy, PolicySource, RawTask, SourceText, TaskSpec, POLICY_FILE};
use crate::repo::Repo;
use crate::risk::CompiledPolicy;
use crate::task::TASKS_DIR;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub name: &'static str,
    pub status: Status,
    pub message: String,
    /// What to do about a warn or a fail.
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, message: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Ok,
            message: message.into(),
            fix: None,
        }
    }

    fn warn(name: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Warn,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }

    fn fail(name: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Fail,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Every check, in the order a person would fix them.
pub(crate) fn run(repo: &Repo) -> Vec<Check> {
    let mut checks = Vec::new();
    let head = repo.head_commit().ok().flatten();
    let policy = Policy::for_base(repo, head.as_ref());
    checks.push(match &policy {
        Ok(p) => Check::ok("policy", format!("{} is valid", p.source)),
        Err(e) => Check::fail(
            "policy",
            e.to_string(),
            "fix the file and commit the fix: agentguard reads the policy from the base commit",
        ),
    });
    checks.extend(work_tree_policy(repo, policy.as_ref().ok()));
    checks.push(task_files(repo, head.as_ref(), policy.as_ref().ok()));
    if let Ok(policy) = &policy {
        checks.push(examples(repo, head.as_ref(), policy));
    }
    checks.push(hook_check(repo));
    checks.push(branches_check(repo));
    if let Ok(policy) = &policy {
        checks.push(rewrite_refs(repo, policy));
        checks.extend(notes_transport(repo, policy));
        checks.push(allowed_signers(repo, head.as_ref(), policy));
        checks.push(approvers(repo, head.as_ref(), policy));
    }
    checks.push(ssh_keygen());
    checks.extend(sandbox(policy.as_ref().ok()));
    checks
}

/// The work tree's `.agentguard.toml`, when it differs from HEAD's: valid, and not yet in
/// force.
fn work_tree_policy(repo: &Repo, committed: Option<&Policy>) -> Option<Check> {
    let root = repo.git().workdir()?;
    let text = std::fs::read_to_string(root.join(POLICY_FILE)).ok()?;
    let head_text = repo
        .head_tree()
        .and_then(|tree| repo.read_file_at(tree, POLICY_FILE).ok().flatten());
    if head_text.as_deref() == Some(text.as_bytes()) {
        return None;
    }
    Some(
        match Policy::parse(&text, POLICY_FILE, PolicySource::WorkTree) {
            Err(e) => Check::fail(
                "policy (work tree)",
                e.to_string(),
                "fix it before committing it: a broken policy blocks every agent commit",
            ),
            Ok(_) if committed.is_some() => Check::warn(
                "policy (work tree)",
                format!("{POLICY_FILE} in the work tree is valid but differs from HEAD's, which is the one in force"),
                format!("commit it to put it in force: git add {POLICY_FILE} && git commit"),
            ),
            Ok(_) => return None,
        },
    )
}

fn task_files(repo: &Repo, head: Option<&git2::Commit<'_>>, policy: Option<&Policy>) -> Check {
    let (Some(head), Some(policy)) = (head, policy) else {
        return Check::ok("tasks", "no commit yet: no task files to read");
    };
    let names = match repo.file_names_in(head.tree_id(), TASKS_DIR) {
        Ok(names) => names,
        Err(e) => {
            return Check::fail(
                "tasks",
                e.to_string(),
                "check the repository with `git fsck`",
            )
        }
    };
    let categories = policy.risk.category_names();
    let mut count = 0;
    let mut broken = Vec::new();
    for name in names.iter().filter(|n| n.ends_with(".toml")) {
        count += 1;
        let path = format!("{TASKS_DIR}/{name}");
        let text = match repo.read_file_at(head.tree_id(), &path) {
            Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(None) => continue,
            Err(e) => {
                broken.push(format!("{path}: {e}"));
                continue;
            }
        };
        let source = SourceText {
            file: path.clone(),
            text: &text,
        };
        let parsed = source
            .parse::<RawTask>()
            .and_then(|raw| TaskSpec::compile(raw, &source, &categories));
        if let Err(e) = parsed {
            broken.push(e.to_string());
        }
    }
    let inline = policy.tasks.len();
    if broken.is_empty() {
        Check::ok(
            "tasks",
            format!(
                "{count} task file{} in HEAD and {inline} in the policy are valid",
                plural(count)
            ),
        )
    } else {
        Check::fail(
            "tasks",
            broken.join("; "),
            "fix each task file and commit the fix: an agent commit naming a broken task is an error",
        )
    }
}

fn examples(repo: &Repo, head: Option<&git2::Commit<'_>>, policy: &Policy) -> Check {
    if policy.examples.is_empty() {
        return Check::ok(
            "examples",
            "the policy has no [[examples]] (see `agentguard policy test`)",
        );
    }
    let compiled = CompiledPolicy::new(policy.clone());
    match explain::check_examples(repo, head, &compiled) {
        Err(e) => Check::fail(
            "examples",
            e.to_string(),
            "fix the policy or the task files it names",
        ),
        Ok(results) => {
            let failed: Vec<String> = results
                .iter()
                .filter(|r| !r.holds())
                .map(|r| format!("{} ({})", r.example.path, r.example.at))
                .collect();
            if failed.is_empty() {
                Check::ok("examples", format!("{} [[examples]] hold", results.len()))
            } else {
                Check::fail(
                    "examples",
                    format!("these [[examples]] no longer hold: {}", failed.join(", ")),
                    "run `agentguard policy test HEAD` to see each; restore the rule or update the example",
                )
            }
        }
    }
}

/// The shims are there, are agentguard's, and run this binary.
fn hook_check(repo: &Repo) -> Check {
    let dir = match hooks::hooks_dir(repo) {
        Ok(dir) => dir,
        Err(e) => {
            return Check::fail(
                "hooks",
                e.to_string(),
                "run agentguard inside a clone with a work tree",
            )
        }
    };
    let this = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok());
    let mut missing = Vec::new();
    let mut foreign = Vec::new();
    let mut elsewhere: Vec<String> = Vec::new();
    for hook in HookName::ALL {
        let path = dir.join(hook.as_str());
        let Ok(content) = std::fs::read(&path) else {
            missing.push(hook.as_str());
            continue;
        };
        if !hooks::is_shim(&content) {
            foreign.push(hook.as_str());
            continue;
        }
        let binary = shim_binary(&content);
        let runs = match &binary {
            Some(p) if p.is_file() => p.canonicalize().ok(),
            // The shim falls back to the agentguard on PATH.
            _ => which::which("agentguard")
                .ok()
                .and_then(|p| p.canonicalize().ok()),
        };
        if runs.is_none() || runs != this {
            let shown = runs.map_or_else(
                || "no agentguard at all".to_string(),
                |p| p.display().to_string(),
            );
            if !elsewhere.contains(&shown) {
                elsewhere.push(shown);
            }
        }
    }
    let shown_dir = shown_path(repo, &dir);
    if !missing.is_empty() || !foreign.is_empty() {
        let mut what = Vec::new();
        if !missing.is_empty() {
            what.push(format!("missing in {shown_dir}: {}", missing.join(", ")));
        }
        if !foreign.is_empty() {
            what.push(format!("not agentguard's: {}", foreign.join(", ")));
        }
        return Check::fail(
            "hooks",
            what.join("; "),
            "run `agentguard install` (a hook that is there already is kept and runs first)",
        );
    }
    if !elsewhere.is_empty() {
        return Check::warn(
            "hooks",
            format!(
                "installed in {shown_dir}, but they run {} and this is {}",
                elsewhere.join(", "),
                this.map_or_else(|| "unknown".to_string(), |p| p.display().to_string())
            ),
            "run `agentguard install` with the agentguard you mean the hooks to use",
        );
    }
    Check::ok(
        "hooks",
        format!(
            "{} hooks installed in {shown_dir}, running this agentguard",
            HookName::ALL.len()
        ),
    )
}

/// Which commits run which hooks (see `hooks::branches`).
fn branches_check(repo: &Repo) -> Check {
    use hooks::branches::Health;
    match hooks::branches::health(repo) {
        Health::Off => Check::ok("branches", "every commit runs every hook"),
        Health::Routed(patterns) => Check::ok(
            "branches",
            format!(
                "a commit on {} or with a detached HEAD runs every hook; on another branch agentguard starts only for an agent's work, and pre-push judges a person's commits",
                patterns.join(", ")
            ),
        ),
        Health::Moved => Check::warn(
            "branches",
            "the repository moved since `agentguard install`: every commit runs every hook",
            "run `agentguard install` here to route a person's branch again",
        ),
        Health::Unsafe(reason) => Check::fail(
            "branches",
            format!(
                "a person's branch is routed to agentguard's reduced hooks, but {reason}; until the next branch checkout, merge, rebase or push, that branch does not run what it should"
            ),
            "run `agentguard install`: where routing is not safe it routes every branch to every hook",
        ),
        Health::Broken(what) => Check::fail(
            "branches",
            format!("the routing of a person's branch is broken: {what}"),
            "run `agentguard install`",
        ),
    }
}

/// The path after `agentguard='` on the shim's binary line.
fn shim_binary(content: &[u8]) -> Option<PathBuf> {
    let text = String::from_utf8_lossy(content);
    let line = text.lines().find(|l| l.starts_with("agentguard='"))?;
    let path = line.strip_prefix("agentguard='")?.strip_suffix('\'')?;
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// A path inside the work tree as a relative one.
fn shown_path(repo: &Repo, path: &Path) -> String {
    repo.git()
        .workdir()
        .and_then(|root| path.strip_prefix(root).ok())
        .map_or_else(|| path.display().to_string(), |p| p.display().to_string())
}

fn notes_refs(policy: &Policy) -> [String; 2] {
    let evidence = full_notes_ref(&policy.evidence.notes_ref);
    let approvals = crate::approval::store::notes_ref(&evidence);
    [evidence, approvals]
}

/// As `git notes --ref` expands a short name.
fn full_notes_ref(name: &str) -> String {
    if name.starts_with("refs/notes/") {
        name.to_string()
    } else if let Some(rest) = name.strip_prefix("notes/") {
        format!("refs/notes/{rest}")
    } else {
        format!("refs/notes/{name}")
    }
}

fn config_values(repo: &Repo, key: &str) -> Vec<String> {
    let Ok(config) = repo.git().config() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Ok(mut entries) = config.multivar(key, None) {
        while let Some(Ok(entry)) = entries.next() {
            if let Some(value) = entry.value() {
                out.push(value.to_string());
            }
        }
    }
    out
}

fn rewrite_refs(repo: &Repo, policy: &Policy) -> Check {
    let present = config_values(repo, "notes.rewriteRef");
    let missing: Vec<String> = notes_refs(policy)
        .into_iter()
        .filter(|r| !present.iter().any(|v| hooks::rewrites(v, r)))
        .collect();
    if missing.is_empty() {
        Check::ok(
            "notes rewrite",
            "notes.rewriteRef carries evidence and approvals through amend and rebase",
        )
    } else {
        Check::fail(
            "notes rewrite",
            format!(
                "notes.rewriteRef lacks {}: amend and rebase drop their notes",
                missing.join(", ")
            ),
            "run `agentguard install`",
        )
    }
}

/// Whether a refspec side (`refs/notes/agentguard*`, `refs/notes/*`) names `reference`.
fn refspec_side_matches(side: &str, reference: &str) -> bool {
    match side.split_once('*') {
        Some((prefix, suffix)) => {
            reference.len() >= prefix.len() + suffix.len()
                && reference.starts_with(prefix)
                && reference.ends_with(suffix)
        }
        None => side == reference,
    }
}

/// The notes travel: each remote fetches them into its own refs (never over the local ones),
/// and pre-push pushes them with the commits.
fn notes_transport(repo: &Repo, policy: &Policy) -> Vec<Check> {
    let refs = notes_refs(policy);
    let remotes: Vec<String> = repo
        .git()
        .remotes()
        .map(|r| r.iter().flatten().map(str::to_string).collect())
        .unwrap_or_default();
    if remotes.is_empty() {
        return vec![Check::ok(
            "notes fetch",
            "no remote yet: the notes stay in this clone",
        )];
    }
    let mut checks = Vec::new();
    for remote in &remotes {
        let key = format!("remote.{remote}.fetch");
        let specs = config_values(repo, &key);
        let mut fetches = [false, false];
        let mut clobbering = Vec::new();
        for spec in &specs {
            let Some((src, dst)) = spec.trim_start_matches('+').split_once(':') else {
                continue;
            };
            for (i, reference) in refs.iter().enumerate() {
                if !refspec_side_matches(src, reference) {
                    continue;
                }
                // The refspec maps `reference` to the same ref here: a fetch overwrites it.
                let mapped = match (src.split_once('*'), dst.split_once('*')) {
                    (Some((sp, ss)), Some((dp, ds))) => {
                        let middle = &reference[sp.len()..reference.len() - ss.len()];
                        format!("{dp}{middle}{ds}")
                    }
                    _ => dst.to_string(),
                };
                if refs.contains(&mapped) {
                    clobbering.push(spec.clone());
                } else {
                    fetches[i] = true;
                }
            }
        }
        clobbering.dedup();
        checks.push(if !clobbering.is_empty() {
            Check::fail(
                "notes fetch",
                format!(
                    "{key} = {} writes {remote}'s notes over this clone's: a fetch deletes evidence not yet pushed",
                    clobbering.join(", ")
                ),
                format!(
                    "remove it (git config --unset-all {key} '{}') and run `agentguard install`, which fetches the notes beside the local ones",
                    regex_quote(&clobbering[0])
                ),
            )
        } else if fetches.iter().all(|f| *f) {
            Check::ok("notes fetch", format!("`git fetch {remote}` brings its evidence and approval notes"))
        } else {
            Check::warn(
                "notes fetch",
                format!("`git fetch {remote}` does not bring the notes, so its evidence and approvals are not seen here"),
                "run `agentguard install` (it adds a fetch of the notes that never overwrites local ones), or `agentguard sync` now",
            )
        });
    }
    let pre_push = hooks::hooks_dir(repo)
        .ok()
        .and_then(|dir| std::fs::read(dir.join(HookName::PrePush.as_str())).ok())
        .is_some_and(|content| hooks::is_shim(&content));
    checks.push(if pre_push {
        Check::ok(
            "notes push",
            "the pre-push hook pushes the notes of the commits it lets through",
        )
    } else {
        Check::fail(
            "notes push",
            "no agentguard pre-push hook: pushed agent commits arrive without their evidence",
            "run `agentguard install`, or push them now with `agentguard sync`",
        )
    });
    checks
}

/// `git config --unset-all` takes a value regex.
fn regex_quote(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        if ".[]{}()\\*+?^$|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The principals of an allowed signers file, or the lines that cannot be read as one.
fn parse_signers(text: &str) -> Result<Vec<String>, Vec<String>> {
    let mut principals = Vec::new();
    let mut bad = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let key_at = words.iter().position(|w| {
            w.starts_with("ssh-") || w.starts_with("ecdsa-sha2-") || w.starts_with("sk-")
        });
        let valid = match key_at {
            Some(at) if at >= 1 => words.get(at + 1).is_some_and(|key| {
                key.len() >= 16
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            }),
            _ => false,
        };
        if valid {
            principals.extend(words[0].split(',').map(str::to_string));
        } else {
            bad.push(format!("line {}", index + 1));
        }
    }
    if bad.is_empty() {
        Ok(principals)
    } else {
        Err(bad)
    }
}

/// The allowed signers text and where it came from; `Err` says why there is none.
fn signers_text(
    repo: &Repo,
    head: Option<&git2::Commit<'_>>,
    policy: &Policy,
) -> Result<Option<(String, String)>, String> {
    if let Some(path) = &policy.approvals.allowed_signers {
        let Some(head) = head else {
            return Err(format!("[approvals] allowed_signers names `{path}`, and there is no commit to read it from"));
        };
        return match repo.read_file_at(head.tree_id(), path) {
            Ok(Some(bytes)) => Ok(Some((
                String::from_utf8_lossy(&bytes).into_owned(),
                format!("{path} in HEAD"),
            ))),
            Ok(None) => Err(format!(
                "[approvals] allowed_signers names `{path}`, which is not in HEAD"
            )),
            Err(e) => Err(e.to_string()),
        };
    }
    match repo.config_path("gpg.ssh.allowedSignersFile") {
        None => Ok(None),
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some((
                text,
                format!("gpg.ssh.allowedSignersFile ({})", path.display()),
            ))),
            Err(e) => Err(format!(
                "gpg.ssh.allowedSignersFile names {}: {e}",
                path.display()
            )),
        },
    }
}

fn allowed_signers(repo: &Repo, head: Option<&git2::Commit<'_>>, policy: &Policy) -> Check {
    match signers_text(repo, head, policy) {
        Err(why) => Check::fail(
            "allowed signers",
            why,
            "commit the file the policy names, or fix [approvals] allowed_signers",
        ),
        Ok(None) => Check::warn(
            "allowed signers",
            "none: neither [approvals] allowed_signers nor gpg.ssh.allowedSignersFile is set, so no approval can be verified and every change that needs sign-off stays blocked",
            "commit an allowed signers file (`<email> <public key>` per line) and name it in [approvals] allowed_signers",
        ),
        Ok(Some((text, source))) => match parse_signers(&text) {
            Err(bad) => Check::fail(
                "allowed signers",
                format!("{source}: not `<principals> [options] <key type> <key>` at {}", bad.join(", ")),
                "fix those lines (ssh-keygen's ALLOWED SIGNERS format) and commit the fix",
            ),
            Ok(principals) if principals.is_empty() => Check::fail(
                "allowed signers",
                format!("{source} lists no key"),
                "add a line `<email> <public key>` for each person who approves",
            ),
            Ok(principals) => Check::ok(
                "allowed signers",
                format!("{source}: {} signer{}", principals.len(), plural(principals.len())),
            ),
        },
    }
}

/// Someone may sign off on every category that asks for it, and has a key.
fn approvers(repo: &Repo, head: Option<&git2::Commit<'_>>, policy: &Policy) -> Check {
    let needing: Vec<&str> = policy
        .risk
        .categories
        .iter()
        .filter(|c| c.action == Action::Approve)
        .map(|c| c.name.as_str())
        .collect();
    let principals = match signers_text(repo, head, policy) {
        Ok(Some((text, _))) => parse_signers(&text).unwrap_or_default(),
        _ => Vec::new(),
    };
    if policy.approvals.approvers.is_empty() && principals.is_empty() {
        return Check::warn(
            "approvers",
            "approvals are not set up: nobody may sign off on a risky change, so it stays blocked",
            "list who may approve in [approvals] approvers (e.g. { \"*\" = [\"lead@example.com\"] }) beside an allowed signers file",
        );
    }
    let nobody: Vec<&str> = needing
        .iter()
        .copied()
        .filter(|c| explain::approvers_of(policy, c).is_empty())
        .collect();
    if !nobody.is_empty() {
        return Check::fail(
            "approvers",
            format!("nobody may approve {}", nobody.join(", ")),
            "add them to [approvals] approvers, or `\"*\"` for every category",
        );
    }
    let listed: Vec<String> = needing
        .iter()
        .flat_map(|c| explain::approvers_of(policy, c))
        .filter(|id| id != "*")
        .collect();
    let keyless: Vec<String> = listed
        .iter()
        .filter(|id| !principals.iter().any(|p| principal_matches(p, id)))
        .cloned()
        .fold(Vec::new(), |mut out, id| {
            if !out.contains(&id) {
                out.push(id);
            }
            out
        });
    if !keyless.is_empty() {
        return Check::fail(
            "approvers",
            format!(
                "{} may approve but have no key in the allowed signers",
                keyless.join(", ")
            ),
            "add a line `<email> <public key>` for each of them to the allowed signers file",
        );
    }
    Check::ok(
        "approvers",
        format!(
            "someone may approve each of the {} categories that need sign-off",
            needing.len()
        ),
    )
}

/// An allowed signers principal is a pattern (`*@example.com`), as ssh-keygen matches it.
fn principal_matches(pattern: &str, identity: &str) -> bool {
    match crate::glob::GlobList::new(&[pattern]) {
        Ok(glob) if pattern.contains(['*', '?']) => {
            glob.is_match(identity.as_bytes()) || pattern == identity
        }
        _ => pattern == identity,
    }
}

fn ssh_keygen() -> Check {
    match which::which("ssh-keygen") {
        Ok(path) => Check::ok(
            "ssh-keygen",
            format!("{} signs and verifies approvals", path.display()),
        ),
        Err(_) => Check::warn(
            "ssh-keygen",
            "not on PATH: approvals can be neither signed nor verified here",
            "install OpenSSH's client tools (openssh-client)",
        ),
    }
}

/// What the acceptance sandbox can do on this machine, against what the policy asks.
fn sandbox(policy: Option<&Policy>) -> Vec<Check> {
    use crate::policy::acceptance::{FilesystemMode, NetworkMode};
    let mut checks = Vec::new();
    let (network, filesystem) = policy.map_or((None, None), |p| {
        (Some(p.acceptance.network), Some(p.acceptance.filesystem))
    });
    let on_macos = cfg!(target_os = "macos");
    let network_how = if on_macos {
        "sandbox-exec (Seatbelt) denies the network"
    } else {
        "user and network namespaces isolate the network"
    };
    checks.push(match crate::acceptance::network_isolation_available() {
        Ok(()) => Check::ok("sandbox network", format!("{network_how} of acceptance commands")),
        Err(why) if network == Some(NetworkMode::Deny) => Check::fail(
            "sandbox network",
            format!("{why}; the policy's network = \"deny\" makes acceptance runs fail closed here"),
            "allow unprivileged user namespaces on this machine, or run the checks where they are allowed (CI)",
        ),
        Err(why) => Check::warn(
            "sandbox network",
            format!("{why}; acceptance commands run with the network here"),
            "allow unprivileged user namespaces on this machine",
        ),
    });
    let filesystem_how = if on_macos {
        "sandbox-exec (Seatbelt) restricts writes"
    } else {
        "Landlock (ABI 3 or later) restricts writes"
    };
    checks.push(match crate::acceptance::filesystem::available() {
        Ok(()) => Check::ok("sandbox filesystem", format!("{filesystem_how} to the checkout")),
        Err(why) if filesystem == Some(FilesystemMode::Restrict) => Check::fail(
            "sandbox filesystem",
            format!("{why}; the policy's filesystem = \"restrict\" makes acceptance runs fail closed here"),
            "use a kernel with Landlock (Linux 6.2 or later), or set [acceptance] filesystem = \"auto\"",
        ),
        Err(why) => Check::warn(
            "sandbox filesystem",
            format!("{why}; acceptance commands may write outside their checkout here"),
            "use a kernel with Landlock (Linux 6.2 or later)",
        ),
    });
    checks
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_signers_lines_are_read_as_ssh_keygen_writes_them() {
        let text = "# team\nlead@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0\n\
                    a@x.org,b@x.org namespaces=\"git\" ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB\n";
        assert_eq!(
            parse_signers(text).unwrap(),
            ["lead@example.com", "a@x.org", "b@x.org"]
        );
        assert_eq!(
            parse_signers("lead@example.com\nx ssh-ed25519 short\n").unwrap_err(),
            ["line 1", "line 2"]
        );
    }

    #[test]
    fn refspec_sides_match_like_git() {
        assert!(refspec_side_matches(
            "refs/notes/*",
            "refs/notes/agentguard"
        ));
        assert!(refspec_side_matches(
            "refs/notes/agentguard*",
            "refs/notes/agentguard-approvals"
        ));
        assert!(!refspec_side_matches(
            "refs/heads/*",
            "refs/notes/agentguard"
        ));
        assert!(refspec_side_matches(
            "refs/notes/agentguard",
            "refs/notes/agentguard"
        ));
    }

    #[test]
    fn principals_are_patterns() {
        assert!(principal_matches("*@example.com", "lead@example.com"));
        assert!(principal_matches("lead@example.com", "lead@example.com"));
        assert!(!principal_matches("*@example.com", "lead@example.org"));
    }

    #[test]
    fn the_shim_names_its_binary() {
        let shim = hooks::shim(HookName::PreCommit, Some(Path::new("/opt/agentguard")));
        assert_eq!(
            shim_binary(shim.as_bytes()),
            Some(PathBuf::from("/opt/agentguard"))
        );
        let shim = hooks::shim(HookName::PreCommit, None);
        assert_eq!(shim_binary(shim.as_bytes()), None);
    }
}
