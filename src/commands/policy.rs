//! `agentguard policy test [<rev>]`: the policy's `[[examples]]`, each checked.

use crate::cli::PolicyCommand;
use crate::engine::EngineError;
use crate::error::Error;
use crate::explain::{self, ExampleResult};
use crate::output::Output;
use crate::policy::{Policy, PolicySource, DEFAULT_POLICY, POLICY_FILE};
use crate::repo::Repo;
use crate::risk::CompiledPolicy;
use crate::Verdict;
use std::fmt::Write;

pub(crate) fn run(repo: &Repo, args: &PolicyCommand, out: &Output) -> Result<Verdict, Error> {
    let PolicyCommand::Test { rev } = args;
    let (base, policy) = match rev {
        Some(rev) => {
            let commit = repo.resolve_commit(rev)?;
            let policy = Policy::for_base(repo, Some(&commit)).map_err(EngineError::from)?;
            (Some(commit), policy)
        }
        None => (repo.head_commit()?, work_tree_policy(repo)?),
    };
    let compiled = CompiledPolicy::new(policy);
    let results = explain::check_examples(repo, base.as_ref(), &compiled)?;
    let mut text = format!("policy: {}\n", compiled.policy.source);
    if results.is_empty() {
        text.push_str(
            "no [[examples]] in the policy: add some, e.g.\n  [[examples]]\n  path = \"src/auth/login.rs\"\n  expect = [\"approve:auth\"]\n",
        );
        out.stdout(&text)?;
        return Ok(Verdict::Pass);
    }
    let failed = results.iter().filter(|r| !r.holds()).count();
    for result in &results {
        text.push_str(&line(result));
    }
    let _ = writeln!(
        text,
        "{} example{}: {} passed, {failed} failed",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        results.len() - failed
    );
    out.stdout(&text)?;
    Ok(if failed == 0 {
        Verdict::Pass
    } else {
        Verdict::Block
    })
}

/// `ok`/`FAIL`, the path, and for a failure what the policy says instead.
pub(crate) fn line(result: &ExampleResult) -> String {
    let list = |set: &std::collections::BTreeSet<crate::policy::examples::Outcome>| {
        set.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let example = &result.example;
    let task = example
        .task
        .as_deref()
        .map(|t| format!(" (task {t})"))
        .unwrap_or_default();
    if result.holds() {
        return format!("ok    {}{task}: {}\n", example.path, list(&example.expect));
    }
    let mut text = format!(
        "FAIL  {}{task} ({}): expected {}; the policy says {}\n",
        example.path,
        example.at,
        list(&example.expect),
        list(&result.actual)
    );
    for finding in &result.task_findings {
        let _ = writeln!(text, "      {}", finding.message);
    }
    text
}

/// The `.agentguard.toml` being edited: the work tree's, or the built-in default without one.
fn work_tree_policy(repo: &Repo) -> Result<Policy, Error> {
    let root = repo.git().workdir().ok_or(Error::Onboarding(
        crate::onboarding::OnboardingError::NoWorkTree,
    ))?;
    let path = root.join(POLICY_FILE);
    let policy = match std::fs::read_to_string(&path) {
        Ok(text) => Policy::parse(&text, POLICY_FILE, PolicySource::WorkTree),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Policy::parse(
            DEFAULT_POLICY,
            "built-in default policy",
            PolicySource::DefaultNoBase,
        ),
        Err(source) => return Err(Error::ReadPolicy { path, source }),
    };
    Ok(policy.map_err(EngineError::from)?)
}

/// `verify`'s check: every policy the range is judged by (the merge base's, the tip's) must
/// still say what its own `[[examples]]` say. A policy edit that silently stops protecting a
/// path is a configuration error, before any commit is judged.
pub(crate) fn check_examples_at(repo: &Repo, commits: &[git2::Oid]) -> Result<(), Error> {
    let mut seen = Vec::new();
    for oid in commits {
        if seen.contains(oid) {
            continue;
        }
        seen.push(*oid);
        let commit = repo.git().find_commit(*oid).map_err(EngineError::from)?;
        let policy = Policy::for_base(repo, Some(&commit)).map_err(EngineError::from)?;
        let compiled = CompiledPolicy::new(policy);
        let failures: Vec<String> = explain::check_examples(repo, Some(&commit), &compiled)?
            .iter()
            .filter(|r| !r.holds())
            .map(|r| line(r).trim_end().to_string())
            .collect();
        if !failures.is_empty() {
            return Err(Error::ExamplesFail {
                policy: compiled.policy.source.to_string(),
                failures,
            });
        }
    }
    Ok(())
}
