//! End-to-end tests: real repositories built with the `git` binary, judged by the built
//! `agentguard` binary. One test binary, one module per area.

mod acceptance;
mod check;
mod check_bad_input;
mod risk;
mod support;
