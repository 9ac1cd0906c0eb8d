//! `.agentguard.toml`: raw TOML structs (unknown keys rejected) validated into a compiled
//! `Policy`. The policy is read from the base commit's tree, never from the change.

pub(crate) mod acceptance;
pub(crate) mod examples;
mod narrow;
pub(crate) mod risk;
pub(crate) mod session;
pub(crate) mod task;

use crate::glob::{Case, GlobList};
use crate::repo::{Repo, RepoError};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

pub(crate) use acceptance::AcceptancePolicy;
pub(crate) use risk::RiskPolicy;
pub(crate) use session::{CheckAction, LedgerRules, SessionPolicy};
pub(crate) use task::{RawTask, TaskSpec};

pub(crate) const POLICY_FILE: &str = ".agentguard.toml";
/// The example shipped with agentguard is the built-in default policy, byte for byte.
pub const DEFAULT_POLICY: &str = include_str!("../../.agentguard.toml.example");

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error(transparent)]
    Repo(#[from] RepoError),
}

impl PolicyError {
    /// What the user can do next; the same wherever the policy was read (check, a hook,
    /// install).
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            PolicyError::Repo(e) => e.hint(),
            PolicyError::Parse { .. } | PolicyError::Invalid { .. } => Some(
                "fix the file in the base commit; agentguard never falls back to defaults when a policy or task file is broken",
            ),
        }
    }
}

/// Where the policy in force came from, shown as "policy: <source>".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySource {
    /// `.agentguard.toml` in the base commit's tree.
    File { base: String },
    /// No `.agentguard.toml` in the base commit.
    DefaultNoFile { base: String },
    /// No base commit (root commit or unborn HEAD).
    DefaultNoBase,
    /// `.agentguard.toml` in the work tree, not yet committed (`policy test`).
    WorkTree,
}

impl fmt::Display for PolicySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicySource::File { base } => write!(f, "{POLICY_FILE} at base {base}"),
            PolicySource::DefaultNoFile { base } => {
                write!(f, "built-in default (no {POLICY_FILE} at base {base})")
            }
            PolicySource::DefaultNoBase => write!(f, "built-in default (no base commit)"),
            PolicySource::WorkTree => write!(f, "{POLICY_FILE} in the work tree"),
        }
    }
}

/// Turns byte spans of a TOML document into `file:line:column` errors.
pub struct SourceText<'a> {
    pub file: String,
    pub text: &'a str,
}

impl SourceText<'_> {
    pub fn error_at(&self, span: Range<usize>, message: impl Into<String>) -> PolicyError {
        let offset = span.start.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit_once('\n')
            .map_or(before, |(_, rest)| rest)
            .chars()
            .count()
            + 1;
        PolicyError::Parse {
            file: self.file.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Deserialises the whole document, mapping syntax and schema errors to positions.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, PolicyError> {
        toml::from_str(self.text).map_err(|e| {
            let message = e.message().trim().to_string();
            match e.span() {
                Some(span) => {
                    let message = match self.key_on_line(span.start) {
                        Some(key)
                            if message.starts_with("invalid")
                                || message.starts_with("unknown variant") =>
                        {
                            format!("`{key}`: {message}")
                        }
                        _ => message,
                    };
                    self.error_at(span, message)
                }
                None => PolicyError::Invalid {
                    file: self.file.clone(),
                    message,
                },
            }
        })
    }

    /// The `key` of a `key = value` line holding `offset`, to name it in type errors.
    fn key_on_line(&self, offset: usize) -> Option<&str> {
        let start = self.text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
        let line = self.text.get(start..)?.lines().next()?;
        let (key, _) = line.split_once('=')?;
        let key = key.trim().trim_matches('"');
        (!key.is_empty() && !key.starts_with('[')).then_some(key)
    }

    /// Compiles spanned glob patterns, naming the bad one by position.
    pub fn globs(&self, patterns: &[Spanned<String>]) -> Result<GlobList, PolicyError> {
        self.globs_with_case(patterns, Case::Sensitive)
    }

    /// For deny lists and emails: `Secrets/` must not slip past `secrets/`.
    pub fn globs_ignoring_case(
        &self,
        patterns: &[Spanned<String>],
    ) -> Result<GlobList, PolicyError> {
        self.globs_with_case(patterns, Case::Insensitive)
    }

    fn globs_with_case(
        &self,
        patterns: &[Spanned<String>],
        case: Case,
    ) -> Result<GlobList, PolicyError> {
        let plain: Vec<&str> = patterns.iter().map(|p| p.get_ref().as_str()).collect();
        GlobList::with_case(&plain, case).map_err(|e| match patterns.get(e.index()) {
            Some(pattern) => self.error_at(pattern.span(), e.to_string()),
            None => PolicyError::Invalid {
                file: self.file.clone(),
                message: e.to_string(),
            },
        })
    }
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    agent: RawAgent,
    #[serde(default)]
    scope: RawScope,
    #[serde(default)]
    risk: BTreeMap<String, Spanned<risk::RawRisk>>,
    #[serde(default)]
    acceptance: acceptance::RawAcceptance,
    #[serde(default)]
    approvals: RawApprovals,
    #[serde(default)]
    evidence: RawEvidence,
    #[serde(default)]
    verify: RawVerify,
    #[serde(default)]
    allowlist: RawAllowlist,
    #[serde(default)]
    tasks: BTreeMap<String, Spanned<RawTask>>,
    #[serde(default)]
    session: session::RawSession,
    #[serde(default)]
    ledger: session::RawLedger,
    #[serde(default)]
    examples: Vec<Spanned<examples::RawExample>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    #[serde(default = "default_agent_branches")]
    branches: Vec<Spanned<String>>,
    #[serde(default)]
    authors: Vec<Spanned<String>>,
    #[serde(default = "default_true")]
    require_task: bool,
}

impl Default for RawAgent {
    fn default() -> Self {
        Self {
            branches: default_agent_branches(),
            authors: Vec::new(),
            require_task: true,
        }
    }
}

fn default_agent_branches() -> Vec<Spanned<String>> {
    [
        "agent/**",
        "agents/**",
        "codex/**",
        "claude/**",
        "cursor/**",
        "copilot/**",
    ]
    .into_iter()
    .map(|b| Spanned::new(0..0, b.to_string()))
    .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    #[serde(default = "default_allow")]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
}

impl Default for RawScope {
    fn default() -> Self {
        Self {
            allow: default_allow(),
            deny: Vec::new(),
        }
    }
}

fn default_allow() -> Vec<Spanned<String>> {
    vec![Spanned::new(0..0, "**".to_string())]
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApprovals {
    allowed_signers: Option<String>,
    #[serde(default)]
    approvers: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    when: ApprovalsDue,
}

/// When a risky agent change needs its approval (`[approvals] when`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalsDue {
    /// Before it is committed: the hooks block the commit until a person signs off.
    #[default]
    Commit,
    /// Before it merges: it may be committed and pushed to its agent branch; pushes to any
    /// other branch and `verify` block until the approval is there.
    Merge,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    #[serde(default = "default_true")]
    require: bool,
    #[serde(default = "default_notes_ref")]
    notes_ref: String,
}

impl Default for RawEvidence {
    fn default() -> Self {
        Self {
            require: true,
            notes_ref: default_notes_ref(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVerify {
    #[serde(default)]
    run: VerifyRun,
}

/// Which commits of a range `verify` runs the acceptance commands of (`[verify] run`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyRun {
    /// The range's tip only (and the newest agent commit with a task, where the tip's run does
    /// not cover that task's commands); every other agent commit is vouched for by its
    /// evidence note, which must match it.
    #[default]
    Tip,
    /// Every agent commit of the range.
    Each,
}

#[derive(Debug, Clone)]
pub struct VerifyRules {
    pub run: VerifyRun,
}

fn default_notes_ref() -> String {
    "refs/notes/agentguard".to_string()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllowlist {
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    findings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct AgentRules {
    pub branches: GlobList,
    pub authors: GlobList,
    pub require_task: bool,
}

#[derive(Debug, Clone)]
pub struct ScopeRules {
    pub allow: GlobList,
    pub deny: GlobList,
}

#[derive(Debug, Clone)]
pub struct ApprovalRules {
    pub allowed_signers: Option<String>,
    pub approvers: BTreeMap<String, Vec<String>>,
    pub when: ApprovalsDue,
}

#[derive(Debug, Clone)]
pub struct EvidenceRules {
    pub require: bool,
    pub notes_ref: String,
}

#[derive(Debug, Clone)]
pub struct Allowlist {
    pub paths: GlobList,
    pub findings: BTreeSet<String>,
}

/// The validated policy in force for one change.
#[derive(Debug, Clone)]
pub struct Policy {
    pub source: PolicySource,
    /// The commit it was read from (its task files and allowed signers are read there too);
    /// `None` without a base.
    pub read_at: Option<git2::Oid>,
    pub agent: AgentRules,
    pub scope: ScopeRules,
    pub risk: RiskPolicy,
    pub acceptance: AcceptancePolicy,
    pub approvals: ApprovalRules,
    pub evidence: EvidenceRules,
    pub verify: VerifyRules,
    pub allowlist: Allowlist,
    pub tasks: BTreeMap<String, TaskSpec>,
    /// The target branch tip's policy when this one (the merge base's) is narrowed by it
    /// (`narrowed_by`): its scope, task definitions and allowed signers apply beside these.
    pub target: Option<Box<Policy>>,
    pub session: SessionPolicy,
    pub ledger: LedgerRules,
    /// `[[examples]]`: what the policy must say about some paths (`agentguard policy test`).
    pub examples: Vec<examples::Example>,
}

impl Policy {
    /// The policy governing a change made on `base`: `.agentguard.toml` in the base's tree,
    /// else the built-in default.
    pub fn for_base(repo: &Repo, base: Option<&git2::Commit<'_>>) -> Result<Self, PolicyError> {
        let Some(base) = base else {
            return Self::parse(
                DEFAULT_POLICY,
                "built-in default policy",
                PolicySource::DefaultNoBase,
            );
        };
        let short = repo.short(base.id());
        let read = match repo.read_file_at(base.tree_id(), POLICY_FILE)? {
            Some(bytes) => {
                let file = format!("{POLICY_FILE} (at base {short})");
                let text = String::from_utf8(bytes).map_err(|_| PolicyError::Invalid {
                    file: file.clone(),
                    message: "not valid UTF-8".into(),
                })?;
                Self::parse(&text, &file, PolicySource::File { base: short })
            }
            None => Self::parse(
                DEFAULT_POLICY,
                "built-in default policy",
                PolicySource::DefaultNoFile { base: short },
            ),
        };
        read.map(|policy| Self {
            read_at: Some(base.id()),
            ..policy
        })
    }

    pub fn parse(text: &str, file: &str, source: PolicySource) -> Result<Self, PolicyError> {
        let text = SourceText {
            file: file.to_string(),
            text,
        };
        let raw: RawPolicy = text.parse()?;
        let risk = risk::compile(raw.risk, &text)?;
        let categories = risk.category_names();
        let mut tasks = BTreeMap::new();
        for (id, spec) in raw.tasks {
            let span = spec.span();
            if !task::is_valid_task_id(&id) {
                return Err(text.error_at(span, format!("invalid task id `{id}`")));
            }
            let task_text = SourceText {
                file: format!("{file} [tasks.\"{id}\"]"),
                text: text.text,
            };
            tasks.insert(
                id,
                TaskSpec::compile(spec.into_inner(), &task_text, &categories)?,
            );
        }
        let examples = examples::compile(raw.examples, &text, &categories)?;
        Ok(Self {
            source,
            read_at: None,
            examples,
            agent: AgentRules {
                branches: text.globs(&raw.agent.branches)?,
                authors: text.globs_ignoring_case(&raw.agent.authors)?,
                require_task: raw.agent.require_task,
            },
            scope: ScopeRules {
                allow: text.globs(&raw.scope.allow)?,
                deny: text.globs_ignoring_case(&raw.scope.deny)?,
            },
            acceptance: acceptance::compile(raw.acceptance, &text)?,
            approvals: ApprovalRules {
                allowed_signers: raw.approvals.allowed_signers,
                approvers: raw.approvals.approvers,
                when: raw.approvals.when,
            },
            evidence: EvidenceRules {
                require: raw.evidence.require,
                notes_ref: raw.evidence.notes_ref,
            },
            verify: VerifyRules {
                run: raw.verify.run,
            },
            allowlist: Allowlist {
                paths: text.globs(&raw.allowlist.paths)?,
                findings: raw.allowlist.findings.into_iter().collect(),
            },
            tasks,
            risk,
            target: None,
            session: raw.session.into(),
            ledger: session::compile_ledger(raw.ledger, &text)?,
        })
    }

    /// Where this policy comes from, with the target's when it narrows this one.
    pub fn describe_source(&self) -> String {
        match &self.target {
            Some(target) => format!(
                "{}, narrowed by the target's {}",
                self.source, target.source
            ),
            None => self.source.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse(text, ".agentguard.toml", PolicySource::DefaultNoBase)
    }

    #[test]
    fn example_parses_and_matches_empty_file_defaults() {
        let example = parse(DEFAULT_POLICY).unwrap();
        let empty = parse("").unwrap();
        assert_eq!(
            example.agent.branches.patterns(),
            empty.agent.branches.patterns()
        );
        assert_eq!(example.scope.allow.patterns(), empty.scope.allow.patterns());
        assert_eq!(example.agent.require_task, empty.agent.require_task);
        assert_eq!(example.evidence.notes_ref, empty.evidence.notes_ref);
        assert_eq!(example.risk.humans, empty.risk.humans);
        assert_eq!(example.approvals.when, empty.approvals.when);
        assert_eq!(example.verify.run, empty.verify.run);
        assert_eq!(
            format!("{:?}", example.acceptance),
            format!("{:?}", empty.acceptance)
        );
        assert_eq!(example.session, empty.session);
        assert_eq!(example.ledger, empty.ledger);
    }

    #[test]
    fn a_bad_otlp_endpoint_is_named_with_its_position() {
        let err = parse("[ledger]\notlp_endpoint = \"https://c:4318\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2:17"), "{err}");
        assert!(err.contains("https is not supported"), "{err}");
        let err = parse("[session]\nuntouched = \"loud\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("untouched"), "{err}");
    }

    #[test]
    fn unknown_key_names_key_and_position() {
        let err = parse("[scope]\nallow = [\"**\"]\nalow = []\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(".agentguard.toml:3:1"), "{err}");
        assert!(err.contains("alow"), "{err}");
    }

    #[test]
    fn bad_glob_names_glob_and_position() {
        let err = parse("[scope]\ndeny = [\"ok/**\", \"src/[a\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2:18"), "{err}");
        assert!(err.contains("src/[a"), "{err}");
    }

    #[test]
    fn type_error_names_the_key() {
        let err = parse("[agent]\nrequire_task = \"yes\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2:16: `require_task`: invalid type"), "{err}");
    }

    #[test]
    fn approvals_are_due_at_commit_or_at_merge() {
        assert_eq!(parse("").unwrap().approvals.when, ApprovalsDue::Commit);
        assert_eq!(parse("").unwrap().verify.run, VerifyRun::Tip);
        let each = parse("[verify]\nrun = \"each\"\n").unwrap();
        assert_eq!(each.verify.run, VerifyRun::Each);
        assert!(parse("[verify]\nrun = \"some\"\n").is_err());
        let merge = parse("[approvals]\nwhen = \"merge\"\n").unwrap();
        assert_eq!(merge.approvals.when, ApprovalsDue::Merge);
        let err = parse("[approvals]\nwhen = \"later\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2:8") && err.contains("`when`"), "{err}");
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse("[scope\nallow = 1").unwrap_err().to_string();
        assert!(err.starts_with(".agentguard.toml:1:"), "{err}");
    }
}
