//! `aibom man [-o DIR]`: roff man pages generated from the clap definitions (clap_mangen):
//! `aibom.1`, and with `-o`, one page per subcommand (`aibom-scan.1`, `aibom-ledger-show.1`,
//! ...). No date is written, so the pages are the same bytes on every run.

use crate::ExitStatus;
use crate::cli::{Cli, ManArgs};
use anyhow::{Context, Result};
use clap::CommandFactory;

/// Every page as (file name, roff bytes): the main page first, then each subcommand's
/// (recursively, hidden ones and `help` left out).
pub fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    collect(&cmd, &mut out)?;
    Ok(out)
}

fn collect(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render(&mut buf).context("rendering a man page")?;
    out.push((man.get_filename(), buf));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, out)?;
    }
    Ok(())
}

pub fn run(args: ManArgs) -> Result<ExitStatus> {
    let pages = pages()?;
    match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for (name, bytes) in &pages {
                let path = dir.join(name);
                super::write_atomic(&path, bytes)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            super::note!("wrote {} man pages to {}", pages.len(), dir.display());
        }
        None => {
            let (_, main) = pages.first().context("no man page rendered")?;
            super::write_stdout(main)?;
        }
    }
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_roff_page_per_subcommand_and_the_main_page_lists_them_all() {
        let pages = pages().unwrap();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[0], "aibom.1");
        let main = String::from_utf8(pages[0].1.clone()).unwrap();
        for (name, bytes) in &pages {
            let text = String::from_utf8(bytes.clone()).unwrap();
            // clap_mangen defines the `Aq` string (.ie/.el) before the title; the first
            // request after that must be .TH, and every page has a NAME section.
            let first = text
                .lines()
                .find(|l| !l.starts_with(".ie ") && !l.starts_with(".el "))
                .unwrap_or_default();
            assert!(first.starts_with(".TH "), "{name} starts with {first:?}");
            assert!(text.contains("\n.SH NAME\n"), "{name} has no NAME section");
        }
        for sub in Cli::command()
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
        {
            let file = format!("aibom-{}.1", sub.get_name());
            assert!(names.contains(&file.as_str()), "no page {file}: {names:?}");
            assert!(
                main.contains(sub.get_name()),
                "aibom.1 lacks {}",
                sub.get_name()
            );
        }
    }
}
