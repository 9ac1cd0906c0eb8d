//! agentguard: the control layer for coding-agent work in git.
//!
//! Data flows one way: the CLI builds a request, the engine gathers the change, the policy and
//! the task, the checks produce findings, and a renderer turns them into text.

mod acceptance;
mod approval;
mod ci;
mod cli;
mod commands;
mod diff;
mod doctor;
mod engine;
mod error;
mod evidence;
mod explain;
mod finding;
mod glob;
mod hooks;
mod ledger;
mod lock;
mod onboarding;
mod output;
mod path_taken;
mod policy;
mod read_ahead;
mod repo;
mod report;
mod risk;
mod scope;
mod symlink;
mod sync;
mod task;
mod telemetry;
mod trailers;
mod verdict;

/// Internals the benches, the fuzz targets and the end-to-end tests drive directly, without a
/// process or a repository in between. Not a stable API: anything here may change in any
/// release; the supported interface is the `agentguard` command.
pub mod internals {
    /// One acceptance run with chosen options, for a test of how setup runs when the change
    /// touched its inputs.
    pub mod acceptance {
        pub use crate::acceptance::setup_inputs::SetupInputs;
        pub use crate::acceptance::{run, RunOptions};
        pub use crate::task::AcceptanceCommand;
    }
    /// Acceptance progress events, for a test that watches a real run.
    pub mod progress {
        pub use crate::acceptance::progress::{Event, Progress};
    }
    /// Approval notes, for the note fuzz target.
    pub mod approval {
        pub use crate::approval::parse_blocks;
    }
    /// The changed entries of a commit and their fingerprint, for benches, fuzz and tests.
    pub mod diff {
        pub use crate::diff::{
            fingerprint, AddedLine, Change, Entry, FileAdditions, Side, Status, SubmoduleChange,
            SubmoduleEdit, TreeProblem,
        };
    }
    /// Tree objects as git stores them and the checks `git fsck` makes of them, for the tree
    /// fuzz target.
    pub mod trees {
        pub use crate::diff::fsck::{check_gitmodules, git_order, is_dotgit, Problem};
        pub use crate::diff::raw::{parse, EntryKind, RawEntry, RawTree};
    }
    /// One whole check, for a test that watches its progress events.
    pub mod engine {
        pub use crate::engine::{check, Cache, CheckRequest, Target};
    }
    /// Evidence notes, for the note fuzz target.
    pub mod evidence {
        pub use crate::evidence::Evidence;
    }
    /// Findings, as the risk scanner returns them to benches and tests.
    pub mod finding {
        pub use crate::finding::Finding;
    }
    /// Glob lists, for scope benches and fuzzing.
    pub mod glob {
        pub use crate::glob::{Case, GlobList};
    }
    /// The ledger file, for tests that write old or odd entries.
    pub mod ledger {
        pub use crate::ledger::{append, path, Entry, EntryRun, LineVerdict};
    }
    /// Policy parsing, for benches, fuzz and tests.
    pub mod policy {
        pub use crate::policy::{Policy, PolicyError, PolicySource, DEFAULT_POLICY};
    }
    /// The one door to git, for tests that assemble a task from a real repository.
    pub mod repo {
        pub use crate::repo::Repo;
    }
    /// Risk scanning and secret redaction, for benches, fuzz and tests.
    pub mod risk {
        pub use crate::risk::paths::FileContext;
        pub use crate::risk::secrets::is_placeholder;
        pub use crate::risk::{
            credential_rule_ids, detached_change, redact_secrets, scan, CompiledPolicy, RiskInput,
        };
    }
    /// The scope check, for benches, fuzz and tests.
    pub mod scope {
        pub use crate::scope::check;
    }
    /// Task assembly, for benches, fuzz and tests.
    pub mod task {
        pub use crate::task::{
            assemble, AcceptanceCommand, AgentTrailers, ScopeLayer, Task, TrailerGlobs,
        };
    }
    /// Trailer parsing, for benches, fuzz and tests.
    pub mod trailers {
        pub use crate::trailers::{parse, Trailer};
    }
    /// The instructions block `init --agents` writes, for the test that the book shows it.
    pub mod onboarding {
        pub use crate::onboarding::AGENTS_BLOCK;
    }
    /// Pass or block, as ledger lines carry it.
    pub mod verdict {
        pub use crate::verdict::Verdict;
    }
}

use clap::Parser;
use std::ffi::OsString;

use verdict::Verdict;

const EXIT_PASS: u8 = 0;
const EXIT_BLOCK: u8 = 1;
const EXIT_ERROR: u8 = 2;

/// Parses the arguments, runs the command and returns the process exit code.
pub fn main_with_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_PASS
            };
        }
    };
    let verbosity = if cli.quiet {
        output::Verbosity::Quiet
    } else if cli.verbose {
        output::Verbosity::Verbose
    } else {
        output::Verbosity::Normal
    };
    let out = output::Output::new(cli.color, verbosity);
    // A panic (a bug) is an error like any other: the hooks fail closed with exit 2.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&cli, &out)));
    let Ok(result) = result else {
        out.stderr(
            "agentguard: internal error: agentguard stopped at the panic reported above; nothing was judged\n  hint: this is not a problem with your input; if it persists, report it with the command that failed\n",
        );
        return EXIT_ERROR;
    };
    match result {
        Ok(Verdict::Pass) => EXIT_PASS,
        Ok(Verdict::Block) => EXIT_BLOCK,
        Err(e) => {
            out.stderr(&error::CommandError::from(e).render());
            EXIT_ERROR
        }
    }
}

fn run(cli: &cli::Cli, out: &output::Output) -> Result<Verdict, error::Error> {
    if let Some(dir) = &cli.directory {
        std::env::set_current_dir(dir).map_err(|source| error::Error::Directory {
            path: dir.clone(),
            source,
        })?;
    }
    let cwd = std::env::current_dir().map_err(|source| error::Error::Directory {
        path: ".".into(),
        source,
    })?;
    let repo = repo::Repo::open(&cwd)?;
    match &cli.command {
        cli::Command::Init(args) => commands::init::run(&repo, args, out),
        cli::Command::Task(args) => commands::task::run(&repo, args, out),
        cli::Command::Check(args) => commands::check::run(&repo, args, out),
        cli::Command::Verify(args) => commands::verify::run(&repo, args, out),
        cli::Command::Scan(args) => commands::scan::run(&repo, args, out),
        cli::Command::Approve(args) => commands::approve::run(&repo, args, out),
        cli::Command::Show(args) => commands::show::run(&repo, args, out),
        cli::Command::Install(args) => commands::install::run(&repo, args, out),
        cli::Command::Sync(args) => commands::sync::run(&repo, args, out),
        cli::Command::Uninstall => commands::uninstall::run(&repo, out),
        cli::Command::Hook(args) => commands::hook::run(&repo, args, out),
        cli::Command::Explain(args) => commands::explain::run(&repo, args, out),
        cli::Command::Policy(args) => commands::policy::run(&repo, args, out),
        cli::Command::Doctor => commands::doctor::run(&repo, out),
        cli::Command::Log(args) => commands::log::run(&repo, args, out),
        cli::Command::Report(args) => commands::report::run(&repo, args, out),
        cli::Command::AttachSession(args) => commands::attach_session::run(&repo, args, out),
        cli::Command::Rollback(args) => commands::rollback::run(&repo, args, out),
    }
}
