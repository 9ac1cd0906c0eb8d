use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(agentguard::main_with_args(std::env::args_os()))
}
