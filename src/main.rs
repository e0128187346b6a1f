use aibom::{ExitStatus, cli::Cli};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match aibom::run(cli) {
        Ok(status) => ExitCode::from(status.code()),
        Err(e) => {
            eprintln!("aibom: error: {e:#}");
            ExitCode::from(ExitStatus::Error.code())
        }
    }
}
