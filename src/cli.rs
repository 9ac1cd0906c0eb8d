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
pub struct Cli {
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
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge one change: a commit against its first parent, or the staged index against HEAD.
    Check(CheckArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}
