//! The intersection of two policies: a range is judged by its merge base's policy and by the
//! target branch tip's, so an agent working on an old base is held to the rules the target
//! has now, and a rule the target dropped still holds for work begun under it. Layers only
//! narrow: each setting takes the stricter side.

use super::acceptance::{AcceptancePolicy, FilesystemMode, LocalIsolation, NetworkMode};
use super::risk::{RiskCategory, RiskPolicy};
use super::session::{CheckAction, SessionPolicy};
use super::{
    AgentRules, Allowlist, ApprovalRules, ApprovalsDue, EvidenceRules, Policy, PolicyError,
    ScopeRules, VerifyRules, VerifyRun,
};
use crate::glob::{Case, GlobList};
use std::collections::{BTreeMap, BTreeSet};

impl Policy {
    /// This policy (the merge base's) narrowed by `target` (the target branch tip's).
    ///
    /// - agent work: a commit either policy counts as agent work is agent work; a task is
    ///   required if either requires one;
    /// - scope, tasks and allowed signers: the target's stand beside this one's as layers of
    ///   their own (`target`): a path must be allowed by both and denied by neither, both
    ///   definitions of a task apply, an approval must verify against both signer files;
    /// - risk: every category of either, with the stricter action and both sets of rules;
    /// - acceptance: the commands and setup of both; the stricter isolation, the shorter
    ///   timeout, the smaller output, only the variables, writable paths, kept paths and
    ///   programs both allow;
    /// - session cross-checks: the stricter action of each;
    /// - approvals: an identity approves a category only if both policies list it;
    /// - evidence: required if either requires it; both must keep it under one notes ref;
    /// - verify: every agent commit run again if either asks for it;
    /// - allowlist: only entries both policies list;
    /// - examples: this policy's (each policy's examples are checked against it alone).
    pub(crate) fn narrowed_by(self, target: Policy) -> Result<Policy, PolicyError> {
        let Policy {
            source,
            read_at,
            agent,
            scope,
            risk,
            acceptance,
            approvals,
            evidence,
            verify,
            allowlist,
            tasks,
            examples,
            session,
            ledger,
            target: _,
        } = self;
        if evidence.notes_ref != target.evidence.notes_ref {
            return Err(PolicyError::Invalid {
                file: format!("{source} and the target branch's {}", target.source),
                message: format!(
                    "the merge base's policy keeps evidence under `{}` and the target branch's under `{}`; \
                     rebase the branch onto the target so one notes ref holds its evidence",
                    evidence.notes_ref, target.evidence.notes_ref
                ),
            });
        }
        Ok(Policy {
            agent: AgentRules {
                branches: union(&agent.branches, &target.agent.branches, Case::Sensitive),
                authors: union(&agent.authors, &target.agent.authors, Case::Insensitive),
                require_task: agent.require_task || target.agent.require_task,
            },
            scope: ScopeRules {
                allow: scope.allow,
                deny: scope.deny,
            },
            risk: narrow_risk(risk, &target.risk),
            acceptance: narrow_acceptance(acceptance, &target.acceptance),
            approvals: ApprovalRules {
                // Due at commit if either policy wants it then.
                when: if approvals.when == ApprovalsDue::Commit
                    || target.approvals.when == ApprovalsDue::Commit
                {
                    ApprovalsDue::Commit
                } else {
                    ApprovalsDue::Merge
                },
                allowed_signers: approvals.allowed_signers,
                approvers: narrow_approvers(&approvals.approvers, &target.approvals.approvers),
            },
            evidence: EvidenceRules {
                require: evidence.require || target.evidence.require,
                notes_ref: evidence.notes_ref,
            },
            verify: VerifyRules {
                run: if verify.run == VerifyRun::Each || target.verify.run == VerifyRun::Each {
                    VerifyRun::Each
                } else {
                    VerifyRun::Tip
                },
            },
            allowlist: Allowlist {
                paths: common(&allowlist.paths, &target.allowlist.paths, Case::Sensitive),
                findings: allowlist
                    .findings
                    .intersection(&target.allowlist.findings)
                    .cloned()
                    .collect(),
            },
            tasks,
            session: SessionPolicy {
                untouched: stricter(session.untouched, target.session.untouched),
                unlisted: stricter(session.unlisted, target.session.unlisted),
                acceptance: stricter(session.acceptance, target.session.acceptance),
                network: stricter(session.network, target.session.network),
            },
            // Where records are shipped is not a rule a change is judged by: the base's.
            ledger,
            // Each policy's examples are checked against that policy alone (`policy test`,
            // `verify`): an example says what its own policy must hold.
            examples,
            source,
            read_at,
            target: Some(Box::new(target)),
        })
    }
}

/// The session cross-check that does more.
fn stricter(a: CheckAction, b: CheckAction) -> CheckAction {
    let rank = |action| match action {
        CheckAction::Off => 0,
        CheckAction::Warn => 1,
        CheckAction::Block => 2,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Both lists' patterns in one list (each was valid, so the union is).
fn union(a: &GlobList, b: &GlobList, case: Case) -> GlobList {
    let mut patterns: Vec<String> = a.patterns().to_vec();
    for p in b.patterns() {
        if !patterns.contains(p) {
            patterns.push(p.clone());
        }
    }
    GlobList::with_case(&patterns, case).unwrap_or_else(|_| a.clone())
}

/// The patterns both lists hold.
fn common(a: &GlobList, b: &GlobList, case: Case) -> GlobList {
    let patterns: Vec<&String> = a
        .patterns()
        .iter()
        .filter(|p| b.patterns().contains(p))
        .collect();
    GlobList::with_case(&patterns, case).unwrap_or_else(|_| GlobList::empty())
}

fn narrow_risk(mut risk: RiskPolicy, target: &RiskPolicy) -> RiskPolicy {
    for theirs in &target.categories {
        match risk.categories.iter_mut().find(|c| c.name == theirs.name) {
            Some(ours) => {
                ours.action = ours.action.max(theirs.action);
                ours.paths = union(&ours.paths, &theirs.paths, Case::Insensitive);
                for rule in &theirs.content {
                    if !ours.content.contains(rule) {
                        ours.content.push(rule.clone());
                    }
                }
            }
            None => risk.categories.push(RiskCategory::clone(theirs)),
        }
    }
    risk
}

fn narrow_acceptance(ours: AcceptancePolicy, theirs: &AcceptancePolicy) -> AcceptancePolicy {
    let AcceptancePolicy {
        commands,
        setup,
        timeout,
        network,
        filesystem,
        writable,
        local_isolation,
        worktree,
        keep,
        env,
        max_output,
        allowed_programs,
    } = ours;
    let both = |a: Vec<String>, b: &[String]| {
        let mut out = a;
        for item in b {
            if !out.contains(item) {
                out.push(item.clone());
            }
        }
        out
    };
    let strict_network = |n: NetworkMode| match n {
        NetworkMode::Deny => 2,
        NetworkMode::Auto => 1,
        NetworkMode::Allow => 0,
    };
    let strict_filesystem = |f: FilesystemMode| match f {
        FilesystemMode::Restrict => 2,
        FilesystemMode::Auto => 1,
        FilesystemMode::Allow => 0,
    };
    AcceptancePolicy {
        commands: both(commands, &theirs.commands),
        setup: both(setup, &theirs.setup),
        timeout: timeout.min(theirs.timeout),
        network: if strict_network(theirs.network) > strict_network(network) {
            theirs.network
        } else {
            network
        },
        filesystem: if strict_filesystem(theirs.filesystem) > strict_filesystem(filesystem) {
            theirs.filesystem
        } else {
            filesystem
        },
        writable: writable
            .into_iter()
            .filter(|p| theirs.writable.contains(p))
            .collect(),
        local_isolation: if theirs.local_isolation == LocalIsolation::Required {
            LocalIsolation::Required
        } else {
            local_isolation
        },
        worktree: if theirs.worktree == super::acceptance::WorktreeMode::Fresh {
            theirs.worktree
        } else {
            worktree
        },
        keep: common(&keep, &theirs.keep, Case::Sensitive),
        env: narrow_env(&env, &theirs.env),
        max_output: max_output.min(theirs.max_output),
        allowed_programs: match (
            allowed_programs.is_empty(),
            theirs.allowed_programs.is_empty(),
        ) {
            (_, true) => allowed_programs,
            (true, false) => theirs.allowed_programs.clone(),
            (false, false) => allowed_programs
                .into_iter()
                .filter(|p| theirs.allowed_programs.contains(p))
                .collect(),
        },
    }
}

/// The variables both `env` lists pass: a name (or `PREFIX*`) one list has, where the other
/// admits every name it stands for.
fn narrow_env(a: &[String], b: &[String]) -> Vec<String> {
    // Whether `list` passes every variable `pattern` stands for.
    let admits = |list: &[String], pattern: &str| {
        let (stem, prefix) = match pattern.strip_suffix('*') {
            Some(stem) => (stem, true),
            None => (pattern, false),
        };
        list.iter().any(|entry| match entry.strip_suffix('*') {
            Some(other) => stem.starts_with(other),
            None => !prefix && entry == stem,
        })
    };
    let mut out: Vec<String> = Vec::new();
    for pattern in a
        .iter()
        .filter(|p| admits(b, p))
        .chain(b.iter().filter(|p| admits(a, p)))
    {
        if !out.contains(pattern) {
            out.push(pattern.clone());
        }
    }
    out
}

/// Who may approve what under both: for each category, the identities both policies list
/// for it (directly or under `"*"`); under `"*"`, those both list there.
fn narrow_approvers(
    a: &BTreeMap<String, Vec<String>>,
    b: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, Vec<String>> {
    // `None`: anyone (`"*"` among the identities); otherwise the identities.
    let listed = |map: &BTreeMap<String, Vec<String>>, key: &str| -> Option<BTreeSet<String>> {
        let mut ids = BTreeSet::new();
        for k in [key, "*"] {
            for id in map.get(k).into_iter().flatten() {
                if id == "*" {
                    return None;
                }
                ids.insert(id.clone());
            }
        }
        Some(ids)
    };
    let only = |map: &BTreeMap<String, Vec<String>>| -> Option<BTreeSet<String>> {
        let ids = map.get("*")?;
        if ids.iter().any(|id| id == "*") {
            return None;
        }
        Some(ids.iter().cloned().collect())
    };
    let meet = |x: Option<BTreeSet<String>>, y: Option<BTreeSet<String>>| -> Vec<String> {
        match (x, y) {
            (None, None) => vec!["*".to_string()],
            (None, Some(s)) | (Some(s), None) => s.into_iter().collect(),
            (Some(s), Some(t)) => s.intersection(&t).cloned().collect(),
        }
    };
    let mut out = BTreeMap::new();
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let ids = if key == "*" {
            let in_a = a.contains_key("*").then(|| only(a));
            let in_b = b.contains_key("*").then(|| only(b));
            match (in_a, in_b) {
                (Some(x), Some(y)) => meet(x, y),
                _ => Vec::new(),
            }
        } else {
            meet(listed(a, key), listed(b, key))
        };
        if !ids.is_empty() {
            out.insert(key.clone(), ids);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::verify::is_listed;
    use crate::finding::Action;
    use crate::policy::PolicySource;

    fn parse(text: &str) -> Policy {
        Policy::parse(text, ".agentguard.toml", PolicySource::DefaultNoBase).unwrap()
    }

    fn map(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn an_identity_approves_only_what_both_policies_let_it() {
        let a = map(&[("*", &["lead@x"]), ("migrations", &["dba@x"])]);
        let b = map(&[("*", &["lead@x", "cto@x"]), ("auth", &["sec@x"])]);
        let both = narrow_approvers(&a, &b);
        for (category, who, expected) in [
            ("migrations", "lead@x", true),
            ("migrations", "dba@x", false),
            ("auth", "sec@x", false),
            ("auth", "lead@x", true),
            ("payments", "cto@x", false),
            ("payments", "lead@x", true),
        ] {
            assert_eq!(
                is_listed(&both, category, who),
                expected && is_listed(&a, category, who) && is_listed(&b, category, who),
                "{category} {who}"
            );
            assert_eq!(
                is_listed(&both, category, who),
                expected,
                "{category} {who}"
            );
        }
        let anyone = map(&[("payments", &["*"])]);
        let one = map(&[("payments", &["pay@x"])]);
        let both = narrow_approvers(&anyone, &one);
        assert!(is_listed(&both, "payments", "pay@x"));
        assert!(!is_listed(&both, "payments", "else@x"));
        assert!(narrow_approvers(&one, &BTreeMap::new()).is_empty());
    }

    #[test]
    fn variables_pass_only_where_both_lists_pass_them() {
        let a = vec!["PATH".to_string(), "NPM_*".to_string(), "HOME".to_string()];
        let b = vec![
            "PATH".to_string(),
            "NPM_CONFIG_*".to_string(),
            "CI".to_string(),
        ];
        assert_eq!(narrow_env(&a, &b), ["PATH", "NPM_CONFIG_*"]);
        assert_eq!(narrow_env(&["*".to_string()], &b), b);
    }

    #[test]
    fn each_setting_takes_the_stricter_side() {
        let base = parse(
            "[agent]\nbranches = [\"agent/**\"]\nrequire_task = false\n\n\
             [risk.migrations]\naction = \"warn\"\n\n[risk.flags]\npaths = [\"flags/\"]\n\n\
             [acceptance]\ncommands = [\"make test\"]\ntimeout = \"5m\"\nnetwork = \"allow\"\n\
             env = [\"PATH\", \"HOME\"]\n\n[allowlist]\npaths = [\"vendor/\", \"gen/\"]\n",
        );
        let tip = parse(
            "[agent]\nbranches = [\"bots/**\"]\n\n[risk.migrations]\naction = \"block\"\n\n\
             [acceptance]\ncommands = [\"make lint\"]\ntimeout = \"20m\"\nenv = [\"PATH\"]\n\n\
             [allowlist]\npaths = [\"vendor/\"]\n",
        );
        let both = base.narrowed_by(tip).unwrap();
        assert!(
            both.agent.branches.is_match(b"bots/x") && both.agent.branches.is_match(b"agent/x")
        );
        assert!(both.agent.require_task);
        assert_eq!(both.risk.get("migrations").unwrap().action, Action::Block);
        assert!(both.risk.get("flags").is_some());
        assert_eq!(both.acceptance.commands, ["make test", "make lint"]);
        assert_eq!(both.acceptance.timeout, std::time::Duration::from_secs(300));
        assert_eq!(both.acceptance.network, NetworkMode::Deny);
        assert_eq!(both.acceptance.env, ["PATH"]);
        assert_eq!(both.allowlist.paths.patterns(), ["vendor/"]);
        assert!(both.target.is_some());
    }

    #[test]
    fn evidence_under_two_refs_cannot_be_judged() {
        let base = parse("");
        let tip = parse("[evidence]\nnotes_ref = \"refs/notes/elsewhere\"\n");
        let err = base.narrowed_by(tip).unwrap_err().to_string();
        assert!(err.contains("refs/notes/elsewhere"), "{err}");
    }
}
