//! Command-line types (clap derive) only.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "agentguard",
    version,
    about = "The control layer for coding-agent work in git",
    long_about = "Judges agent commits against their task's path boundary and the repository's \
                  high-risk areas, and re-runs the task's acceptance commands fresh on the exact \
                  tree.\n\nExit codes: 0 passed, 1 blocked, 2 could not evaluate."
)]
pub(crate) struct Cli {
    /// Run as if started in <DIR>.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,
    /// When to colour output (NO_COLOR is honoured under `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only what blocks.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print the task's layers and commands too.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Write `.agentguard.toml` (the example policy) and `.agentguard/tasks/`; with `--agents`,
    /// the instructions block for your agent.
    Init(InitArgs),
    /// Write task files and the trailers an agent adds for them.
    #[command(subcommand)]
    Task(TaskCommand),
    /// Judge one change: a commit against its first parent, or the staged index against HEAD.
    Check(CheckArgs),
    /// The CI gate: judge every agent commit of a range, requiring evidence and approvals.
    Verify(VerifyArgs),
    /// Scan history or files for credentials (or any risk category): for adopting agentguard
    /// on an existing repository.
    Scan(ScanArgs),
    /// Sign off on risky categories of a change with an SSH key.
    Approve(ApproveArgs),
    /// Show the evidence and approvals attached to a commit.
    Show(ShowArgs),
    /// Install the git hooks and the notes fetch refspec.
    Install(InstallArgs),
    /// Fetch, merge and push the evidence and approval notes.
    Sync(SyncArgs),
    /// Remove the git hooks and restore the ones that were there before.
    Uninstall,
    /// What the installed hook shims call.
    #[command(hide = true)]
    Hook(HookArgs),
    /// What the policy says about paths: which layer allows or denies each, which risk rules
    /// match, who may approve.
    Explain(ExplainArgs),
    /// Check the policy: `policy test` runs its `[[examples]]`.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Check this clone's setup: hooks, notes, approvers, sandbox, policy and task files.
    Doctor,
    /// The ledger: every check, block, failure, bypass and rollback, newest first.
    Log(LogArgs),
    /// A summary of the ledger per task and per agent.
    Report(ReportArgs),
    /// Attach the agent's session transcript to a commit's evidence, summed up.
    AttachSession(AttachSessionArgs),
    /// Revert an agent commit (through the hooks) and record why in the ledger.
    Rollback(RollbackArgs),
}

#[derive(Debug, Args)]
pub(crate) struct AttachSessionArgs {
    /// The commit whose evidence gets the session.
    #[arg(value_name = "REV")]
    pub rev: String,
    /// The transcript: a Codex CLI rollout file or a Claude Code session file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct RollbackArgs {
    /// The commit to revert.
    #[arg(value_name = "REV")]
    pub rev: String,
    /// Why it is rolled back (kept in the commit message and the ledger).
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Overwrite existing files.
    #[arg(long, conflicts_with = "agents")]
    pub force: bool,
    /// Write or update only the instructions block for your agent (AGENTS.md, CLAUDE.md).
    #[arg(long)]
    pub agents: bool,
    /// The agent's file to write the block into (repeatable) [default: AGENTS.md, or CLAUDE.md
    /// if only that exists].
    #[arg(long = "file", value_name = "FILE", requires = "agents")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TaskCommand {
    /// Write the task template `.agentguard/tasks/<ID>.toml`.
    New {
        id: String,
        /// Overwrite an existing task file.
        #[arg(long)]
        force: bool,
    },
    /// Print the trailer block an agent puts in its commit messages for a task.
    Trailers { id: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum VerifyFormat {
    Human,
    Json,
    Junit,
    Sarif,
    Github,
    Markdown,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The commits to judge [default: <base>..HEAD, the base being the pull request's target
    /// branch as the CI's variables name it, else the remote's default branch].
    #[arg(value_name = "RANGE")]
    pub range: Option<String>,
    /// Judge `<BASE>..HEAD`, reading policy and task files from the merge base.
    #[arg(long, value_name = "REV", conflicts_with = "range")]
    pub base: Option<String>,
    /// The branch the range is on, where the checkout cannot tell (a detached CI checkout).
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// Pass when the range has no commits (otherwise exit 2: a gate that judged nothing).
    #[arg(long)]
    pub allow_empty: bool,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Human)]
    pub format: VerifyFormat,
    /// Also write a report in FORMAT to PATH (repeatable); a bare PATH writes the --format
    /// report there instead of stdout.
    #[arg(long, value_name = "[FORMAT=]PATH")]
    pub output: Vec<String>,
    /// Also write the SARIF report to PATH (as --output sarif=PATH).
    #[arg(long, value_name = "PATH")]
    pub sarif: Option<PathBuf>,
    /// Also write the JUnit XML report to PATH (as --output junit=PATH).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Also write the Markdown summary to PATH (as --output markdown=PATH).
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Also write the JSON report to PATH (as --output json=PATH).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Treat every commit in the range as agent work.
    #[arg(long)]
    pub all_agent: bool,
    /// Skip re-running acceptance commands (never use this for the required check).
    #[arg(long)]
    pub no_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ScanFormat {
    Human,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// A range of commits (`main..HEAD`), one commit, or files and directories in the work
    /// tree [default: the files of HEAD]. `--` before paths that look like revisions.
    #[arg(value_name = "RANGE|PATH")]
    pub targets: Vec<String>,
    /// Every commit of the history: each branch, tag and remote-tracking branch.
    #[arg(long, conflicts_with = "targets")]
    pub all: bool,
    /// A risk category to scan for (repeat or separate with commas) [default: credentials].
    #[arg(long = "category", value_name = "CATEGORY", value_delimiter = ',')]
    pub categories: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Human)]
    pub format: ScanFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// The remote [default: the checked-out branch's remote, else origin, else the only one].
    pub remote: Option<String>,
    /// Fetch and merge only, push nothing (what CI needs to read the notes).
    #[arg(long)]
    pub no_push: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ApproveArgs {
    /// The commit to approve [default: HEAD].
    #[arg(value_name = "REV", conflicts_with = "staged")]
    pub rev: Option<String>,
    /// Approve the staged change (the approval is attached by the post-commit hook).
    #[arg(long)]
    pub staged: bool,
    /// A risk category to sign off on (repeat or separate with commas).
    #[arg(
        long = "category",
        value_name = "CATEGORY",
        required = true,
        value_delimiter = ','
    )]
    pub categories: Vec<String>,
    /// The SSH key to sign with [default: git config user.signingkey].
    #[arg(long, value_name = "FILE")]
    pub key: Option<String>,
    /// Why the change is acceptable.
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The commit [default: HEAD].
    #[arg(value_name = "REV")]
    pub rev: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct InstallArgs {
    /// Replace hooks even where agentguard cannot chain to them.
    #[arg(long)]
    pub force: bool,
    /// Run every hook on every branch. By default, on a named branch outside `[agent]
    /// branches`, agentguard starts only for an agent's work, and pre-push judges a
    /// person's commits.
    #[arg(long)]
    pub every_branch: bool,
}

#[derive(Debug, Args)]
pub(crate) struct HookArgs {
    /// pre-commit, commit-msg, post-commit, pre-push or post-rewrite.
    pub name: String,
    /// The arguments git passed to the hook.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<std::ffi::OsString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    Human,
    Json,
    /// OpenTelemetry-style JSON log records, one per line.
    Otel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum VerdictFilter {
    Pass,
    Block,
    /// Hooks skipped with AGENTGUARD_SKIP.
    Bypass,
    /// Runs that could not evaluate.
    Error,
}

#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// Only runs for this task.
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// Only runs by this agent (`Agent-Name`).
    #[arg(long, value_name = "NAME")]
    pub agent: Option<String>,
    /// Only runs with this verdict.
    #[arg(long, value_enum)]
    pub verdict: Option<VerdictFilter>,
    /// Only runs at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    Human,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The commit to judge [default: HEAD].
    #[arg(value_name = "REV", conflicts_with = "staged")]
    pub rev: Option<String>,
    /// Judge the staged index against HEAD instead of a commit.
    #[arg(long)]
    pub staged: bool,
    /// Read the commit message (and its trailers) from this file.
    #[arg(long, value_name = "FILE")]
    pub message_file: Option<PathBuf>,
    /// Skip the acceptance commands.
    #[arg(long)]
    pub no_run: bool,
    /// Write evidence: a note on the commit, or pending evidence for the staged tree.
    #[arg(long)]
    pub record: bool,
    /// The agent's session transcript to sum up and cross-check with the change.
    #[arg(long, value_name = "FILE")]
    pub session: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// Paths relative to the repository root.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<String>,
    /// Judge as work on this task (its task file narrows the scope).
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// The agent (`Agent-Name`) the change would come from.
    #[arg(long, value_name = "NAME")]
    pub agent: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Check every `[[examples]]` entry: the work tree's `.agentguard.toml`, or REV's.
    Test {
        /// Test the policy and task files of this commit instead of the work tree's policy.
        #[arg(value_name = "REV")]
        rev: Option<String>,
    },
}
