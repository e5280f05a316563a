use std::process::ExitCode;

use clap::CommandFactory;
use verda_patch::Result;

/// Print a shell completion script.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  verda-patch completions bash > /etc/bash_completion.d/verda-patch"
)]
pub struct Args {
    shell: clap_complete::Shell,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut command = super::Cli::command();
    clap_complete::generate(
        args.shell,
        &mut command,
        "verda-patch",
        &mut std::io::stdout(),
    );
    Ok(ExitCode::SUCCESS)
}

/// Print the man page (roff).
#[derive(clap::Args)]
#[command(after_help = "Example:\n  verda-patch man > /usr/local/share/man/man1/verda-patch.1")]
pub struct ManArgs {}

pub fn man() -> Result<ExitCode> {
    let page = clap_mangen::Man::new(super::Cli::command());
    page.render(&mut std::io::stdout())
        .map_err(|source| verda_patch::Error::Io {
            path: "<stdout>".into(),
            source,
        })?;
    Ok(ExitCode::SUCCESS)
}
