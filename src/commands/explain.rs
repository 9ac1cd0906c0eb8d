//! `agentguard explain <path>…`: what the policy at HEAD says about each path.

use crate::cli::{ExplainArgs, Format};
use crate::engine::EngineError;
use crate::error::Error;
use crate::explain::{self, As, LayerSays, PathExplanation};
use crate::output::Output;
use crate::policy::Policy;
use crate::repo::Repo;
use crate::risk::CompiledPolicy;
use crate::Verdict;
use std::fmt::Write;

pub(crate) fn run(repo: &Repo, args: &ExplainArgs, out: &Output) -> Result<Verdict, Error> {
    let head = repo.head_commit()?;
    let policy = Policy::for_base(repo, head.as_ref()).map_err(EngineError::from)?;
    let compiled = CompiledPolicy::new(policy);
    let who = As {
        task: args.task.clone(),
        agent: args.agent.clone(),
    };
    let explanation = explain::explain(repo, head.as_ref(), &compiled, &args.paths, &who)?;
    let text = match args.format {
        Format::Human => human(&explanation, &who),
        Format::Json => json(&explanation, &who)?,
    };
    out.stdout(&text)?;
    Ok(Verdict::Pass)
}

fn human(e: &explain::Explanation, who: &As) -> String {
    let mut text = format!("policy: {}\n", e.policy_source);
    match &who.task {
        Some(task) => {
            let sources = e.task.sources.get(1..).unwrap_or_default();
            let defined = if sources.is_empty() {
                "not defined in the base: the policy's scope applies".to_string()
            } else {
                format!("defined in {}", sources.join(" and "))
            };
            let _ = writeln!(text, "task: {task}, {defined}");
        }
        None => text.push_str("task: none given (--task narrows the scope to a task's)\n"),
    }
    if let Some(agent) = &who.agent {
        let _ = writeln!(text, "agent: {agent}");
    }
    for finding in &e.task_findings {
        let _ = writeln!(
            text,
            "  {} [{}] {}",
            finding.action, finding.category, finding.message
        );
    }
    for path in &e.paths {
        text.push('\n');
        path_text(&mut text, path, e.allowed_signers.as_deref());
    }
    text
}

fn path_text(text: &mut String, p: &PathExplanation, signers: Option<&str>) {
    let _ = writeln!(text, "{}", p.path);
    let scope = if p.in_scope {
        "in scope"
    } else {
        "out of scope"
    };
    let _ = writeln!(text, "  scope: {scope}");
    if p.in_git_dir {
        text.push_str("    `.git/**` is always denied\n");
    }
    for layer in &p.layers {
        let says = match &layer.says {
            LayerSays::Denies(glob) => format!("denies it: deny `{glob}`"),
            LayerSays::Allows(glob) => format!("allows it: allow `{glob}`"),
            LayerSays::Excludes(globs) if globs.is_empty() => "allows nothing".to_string(),
            LayerSays::Excludes(globs) => format!(
                "does not allow it: allow {}",
                globs
                    .iter()
                    .map(|g| format!("`{g}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            LayerSays::Silent => "says nothing (no allow list, no matching deny)".to_string(),
        };
        let _ = writeln!(text, "    {}: {says}", layer.layer);
    }
    if p.risks.is_empty() {
        text.push_str(
            "  risk: no path rule matches (content rules judge the lines a change adds)\n",
        );
    }
    for risk in &p.risks {
        let rule = risk
            .rule
            .split("; allowlist fingerprint")
            .next()
            .unwrap_or(&risk.rule);
        let _ = writeln!(text, "  risk: {} ({}): {rule}", risk.category, risk.action);
    }
    for approvers in &p.approvers {
        let who = if approvers.identities.is_empty() {
            format!(
                "nobody: [approvals] approvers lists no one for `{}` or \"*\", so its approvals are refused",
                approvers.category
            )
        } else {
            approvers.identities.join(", ")
        };
        let _ = writeln!(text, "  may approve {}: {who}", approvers.category);
    }
    if !p.approvers.is_empty() {
        let _ = writeln!(
            text,
            "  signatures checked against: {}",
            signers.unwrap_or(
                "nothing: set [approvals] allowed_signers or gpg.ssh.allowedSignersFile"
            )
        );
    }
    let outcomes: Vec<String> = p.outcomes().iter().map(ToString::to_string).collect();
    let _ = writeln!(
        text,
        "  as an example: expect = [{}]",
        outcomes
            .iter()
            .map(|o| format!("\"{o}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

#[derive(serde::Serialize)]
struct JsonExplanation<'a> {
    schema: &'static str,
    policy: &'a str,
    task: Option<&'a str>,
    agent: Option<&'a str>,
    task_findings: Vec<JsonFinding<'a>>,
    paths: Vec<JsonPath<'a>>,
}

#[derive(serde::Serialize)]
struct JsonFinding<'a> {
    category: &'a str,
    action: &'static str,
    message: &'a str,
    rule: &'a str,
}

#[derive(serde::Serialize)]
struct JsonLayer<'a> {
    layer: &'a str,
    says: &'static str,
    globs: Vec<&'a str>,
}

#[derive(serde::Serialize)]
struct JsonPath<'a> {
    path: &'a str,
    in_scope: bool,
    layers: Vec<JsonLayer<'a>>,
    risks: Vec<JsonFinding<'a>>,
    approvers: std::collections::BTreeMap<&'a str, &'a [String]>,
    outcomes: Vec<String>,
}

fn finding(f: &crate::finding::Finding) -> JsonFinding<'_> {
    JsonFinding {
        category: &f.category,
        action: f.action.as_str(),
        message: &f.message,
        rule: &f.rule,
    }
}

fn json(e: &explain::Explanation, who: &As) -> Result<String, Error> {
    let paths = e
        .paths
        .iter()
        .map(|p| JsonPath {
            path: &p.path,
            in_scope: p.in_scope,
            layers: p
                .layers
                .iter()
                .map(|l| {
                    let (says, globs) = match &l.says {
                        LayerSays::Denies(g) => ("denies", vec![g.as_str()]),
                        LayerSays::Allows(g) => ("allows", vec![g.as_str()]),
                        LayerSays::Excludes(g) => {
                            ("excludes", g.iter().map(String::as_str).collect())
                        }
                        LayerSays::Silent => ("silent", Vec::new()),
                    };
                    JsonLayer {
                        layer: &l.layer,
                        says,
                        globs,
                    }
                })
                .collect(),
            risks: p.risks.iter().map(finding).collect(),
            approvers: p
                .approvers
                .iter()
                .map(|a| (a.category.as_str(), a.identities.as_slice()))
                .collect(),
            outcomes: p.outcomes().iter().map(ToString::to_string).collect(),
        })
        .collect();
    let value = JsonExplanation {
        schema: "agentguard.explain/v1",
        policy: &e.policy_source,
        task: who.task.as_deref(),
        agent: who.agent.as_deref(),
        task_findings: e.task_findings.iter().map(finding).collect(),
        paths,
    };
    let mut text = serde_json::to_string_pretty(&value)
        .map_err(|e| Error::Render(crate::report::RenderError::from(e)))?;
    text.push('\n');
    Ok(text)
}
