//! Cross-checks between the agent's session and the change, as `evidence` findings whose
//! action `[session]` sets: files in the change the session never wrote, files it wrote that
//! are not in the change, acceptance commands it never ran or last saw failing, and network
//! use where the policy denies the network. They read the note's summary, so `verify`
//! repeats them from the note with the base's policy.

use crate::diff::Change;
use crate::evidence::path_taken::{NoteSession, SessionCommand};
use crate::finding::{Action, Finding, Kind};
use crate::policy::acceptance::NetworkMode;
use crate::policy::{CheckAction, Policy};
use crate::repo::Repo;
use crate::task::Task;
use std::collections::BTreeSet;

/// Path findings per check; the rest are counted in one more.
const PATHS_NAMED: usize = 20;

pub(crate) struct Context<'a> {
    pub repo: &'a Repo,
    pub change: &'a Change,
    pub task: &'a Task,
    pub policy: &'a Policy,
}

pub(crate) fn findings(session: &NoteSession, cx: &Context<'_>) -> Vec<Finding> {
    let rules = &cx.policy.session;
    let mut out = Vec::new();
    if let Some(action) = action(rules.untouched) {
        out.extend(untouched(session, cx, action));
    }
    if let Some(action) = action(rules.unlisted) {
        out.extend(unlisted(session, cx, action));
    }
    if let Some(action) = action(rules.acceptance) {
        out.extend(acceptance(session, cx.task, action));
    }
    if let Some(action) = action(rules.network) {
        if cx.policy.acceptance.network == NetworkMode::Deny && !session.network.is_empty() {
            out.push(network(session, action));
        }
    }
    out
}

fn action(check: CheckAction) -> Option<Action> {
    match check {
        CheckAction::Off => None,
        CheckAction::Warn => Some(Action::Warn),
        CheckAction::Block => Some(Action::Block),
    }
}

fn finding(category: &str, key: &str, action: Action, message: String) -> Finding {
    Finding::new(Kind::Evidence, category, action, message)
        .rule(format!("[session] {key} = \"{}\"", action.as_str()))
}

/// The paths of the change, both ends of a rename.
fn change_paths(change: &Change) -> BTreeSet<String> {
    change
        .entries
        .iter()
        .flat_map(|e| e.touched_paths())
        .map(crate::diff::display_path)
        .collect()
}

/// Whether a command names the path (`sed -i … src/a.rs`, `git mv a b`, `cargo fmt` aside).
fn named_by_command(commands: &[SessionCommand], path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    commands
        .iter()
        .any(|c| c.command.contains(path) || (name.len() > 3 && c.command.contains(name)))
}

fn untouched(session: &NoteSession, cx: &Context<'_>, action: Action) -> Vec<Finding> {
    // A cut list cannot say what the session did not write.
    if session.files_truncated {
        return Vec::new();
    }
    let written: BTreeSet<&str> = session.files_written.iter().map(String::as_str).collect();
    let missing: Vec<String> = change_paths(cx.change)
        .into_iter()
        .filter(|p| !written.contains(p.as_str()) && !named_by_command(&session.commands, p))
        .collect();
    named(missing, |path| {
        finding(
            "session-untouched",
            "untouched",
            action,
            format!(
                "{path} is in the change, but the agent's session never wrote it (no edit, no \
                 command naming it)"
            ),
        )
        .at(path)
    })
}

fn unlisted(session: &NoteSession, cx: &Context<'_>, action: Action) -> Vec<Finding> {
    let changed = change_paths(cx.change);
    let git = cx.repo.git();
    let left_out: Vec<String> = session
        .files_written
        .iter()
        .filter(|p| !changed.contains(*p))
        // Build output and scratch files git ignores are not work left out.
        .filter(|p| !git.is_path_ignored(p.as_str()).unwrap_or(false))
        .filter(|p| still_there(cx, p))
        .cloned()
        .collect();
    named(left_out, |path| {
        finding(
            "session-unlisted",
            "unlisted",
            action,
            format!(
                "the agent's session wrote {path}, but it is not in the change (left out of \
                 the commit?)"
            ),
        )
        .at(path)
    })
}

/// A written file that is neither in the judged tree nor in the work tree was scratch, since
/// removed.
fn still_there(cx: &Context<'_>, path: &str) -> bool {
    let in_tree = matches!(cx.repo.read_file_at(cx.change.tree, path), Ok(Some(_)));
    in_tree
        || cx
            .repo
            .git()
            .workdir()
            .is_some_and(|top| top.join(path).exists())
}

/// One finding per path up to a cap, then one that counts the rest.
fn named(paths: Vec<String>, make: impl Fn(&str) -> Finding) -> Vec<Finding> {
    let mut out: Vec<Finding> = paths.iter().take(PATHS_NAMED).map(|p| make(p)).collect();
    if paths.len() > PATHS_NAMED {
        let mut more = make(&paths[PATHS_NAMED]);
        more.message = format!("{} more paths like these", paths.len() - PATHS_NAMED);
        more.path = None;
        out.push(more);
    }
    out
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn acceptance(session: &NoteSession, task: &Task, action: Action) -> Vec<Finding> {
    let mut out = Vec::new();
    for wanted in &task.acceptance {
        let wanted = squash(&wanted.command);
        if wanted.is_empty() {
            continue;
        }
        let last = session
            .commands
            .iter()
            .rev()
            .find(|c| squash(&c.command).contains(&wanted));
        match last {
            // Commands left out of the summary may include it.
            None if session.commands_omitted > 0 => {}
            None => out.push(finding(
                "session-acceptance",
                "acceptance",
                action,
                format!("the agent's session never ran the acceptance command `{wanted}`"),
            )),
            Some(run) if run.status == "failed" || run.status == "interrupted" => {
                let how = match run.exit_code {
                    Some(code) => format!("exit {code}"),
                    None => run.status.clone(),
                };
                out.push(finding(
                    "session-acceptance",
                    "acceptance",
                    action,
                    format!(
                        "the last time the agent's session ran the acceptance command `{wanted}` \
                         it failed ({how})"
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    out
}

fn network(session: &NoteSession, action: Action) -> Finding {
    let shown: Vec<String> = session
        .network
        .iter()
        .take(3)
        .map(|f| format!("{} {}", f.tool, f.target))
        .collect();
    let more = session.totals.network.saturating_sub(shown.len());
    let mut message = format!(
        "the agent's session used the network while the policy denies it ([acceptance] network \
         = \"deny\"): {}",
        shown.join("; ")
    );
    if more > 0 {
        message.push_str(&format!("; and {more} more"));
    }
    finding("session-network", "network", action, message)
}
