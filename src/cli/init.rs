use std::path::PathBuf;
use std::process::ExitCode;

use verda_patch::Result;

use super::Context;

/// Scaffold a patch repository: manifest, patches/, Makefile, .gitignore.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  verda-patch init my-cloud-patches && cd my-cloud-patches")]
pub struct Args {
    /// Directory to create the repository in (default: the current one).
    dir: Option<PathBuf>,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let dir = match args.dir {
        Some(dir) if dir.is_relative() => context.dir.join(dir),
        Some(dir) => dir,
        None => context.dir.clone(),
    };
    let report = verda_patch::scaffold::init(&dir)?;
    for name in &report.created {
        context.say(format!("created {name}"));
    }
    if report.git_init {
        context.say(format!(
            "initialised a git repository in {}",
            report.root.display()
        ));
    }
    context.say(
        "next: add a [projects.<name>] table to verda-patch.toml, then run `verda-patch apply`",
    );
    Ok(ExitCode::SUCCESS)
}
