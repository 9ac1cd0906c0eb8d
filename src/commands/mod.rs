//! One file per subcommand.

pub mod approve;
pub mod check;
pub mod hook;
pub mod init;
pub mod install;
pub mod log;
pub mod report;
pub mod show;
pub mod task;
pub mod uninstall;
pub mod verify;
