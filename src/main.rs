//! The verda-patch binary: parse arguments, run one command, print, exit.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
