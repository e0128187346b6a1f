//! `aibom completions SHELL`: a completion script generated from the clap definitions, so it
//! always matches `aibom --help`.

use crate::ExitStatus;
use crate::cli::{Cli, CompletionsArgs};
use anyhow::Result;
use clap::CommandFactory;

/// The completion script for `shell`.
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "aibom", &mut buf);
    buf
}

pub fn run(args: CompletionsArgs) -> Result<ExitStatus> {
    super::write_stdout(&script(args.shell))?;
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_shell_script_names_every_subcommand() {
        let cmd = Cli::command();
        for shell in clap_complete::Shell::value_variants() {
            let text = String::from_utf8(script(*shell)).unwrap();
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                assert!(
                    text.contains(sub.get_name()),
                    "{shell} completion lacks {}",
                    sub.get_name()
                );
            }
        }
    }
}
