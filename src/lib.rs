//! agentguard: the control layer for coding-agent work in git.
//!
//! Data flows one way: the CLI builds a request, the engine gathers the change, the policy and
//! the task, the checks produce findings, and a renderer turns them into text.

pub mod acceptance;
pub mod approval;
pub mod cli;
mod commands;
pub mod diff;
pub mod doctor;
pub mod engine;
pub mod error;
pub mod evidence;
pub mod explain;
pub mod finding;
pub mod glob;
pub mod hooks;
pub mod ledger;
pub mod lock;
pub mod onboarding;
pub mod output;
pub mod policy;
pub mod repo;
pub mod report;
pub mod risk;
pub mod scope;
pub mod symlink;
pub mod task;
pub mod trailers;
pub mod verdict;

use clap::Parser;
use std::ffi::OsString;

pub use verdict::Verdict;

pub const EXIT_PASS: u8 = 0;
pub const EXIT_BLOCK: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

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
        cli::Command::Approve(args) => commands::approve::run(&repo, args, out),
        cli::Command::Show(args) => commands::show::run(&repo, args, out),
        cli::Command::Install(args) => commands::install::run(&repo, args, out),
        cli::Command::Uninstall => commands::uninstall::run(&repo, out),
        cli::Command::Hook(args) => commands::hook::run(&repo, args, out),
        cli::Command::Explain(args) => commands::explain::run(&repo, args, out),
        cli::Command::Policy(args) => commands::policy::run(&repo, args, out),
        cli::Command::Doctor => commands::doctor::run(&repo, out),
        cli::Command::Log(args) => commands::log::run(&repo, args, out),
        cli::Command::Report(args) => commands::report::run(&repo, args, out),
    }
}
