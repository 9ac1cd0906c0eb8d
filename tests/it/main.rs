//! End-to-end tests: real repositories built with the `git` binary, judged by the built
//! `agentguard` binary. One test binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod acceptance;
mod approve;
mod branches;
mod check;
mod check_bad_input;
mod ci_templates;
mod docs;
mod doctor;
mod evidence;
mod explain;
mod gate_isolation;
mod holes;
mod hook_managers;
mod hooks;
mod hostile;
mod humans;
mod init;
mod install;
mod leaks;
mod ledger;
mod local_isolation;
mod narrowing;
mod path_taken;
mod prepare;
mod production;
mod properties;
mod pushes;
mod readme;
mod risk;
mod scan;
mod secrets_corpus;
mod signed;
mod snapshots;
mod submodules;
mod support;
mod sync;
mod team;
mod test_integrity;
mod trailers;
mod trees;
mod verify;
