use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::upstream::Upstream;

use super::Context;

/// Mirror (git) or import (pypi) each project's upstream into the cache.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch fetch                 update every project's mirror\n  verda-patch fetch nova --version 32.0.0   import another release"
)]
pub struct Args {
    /// Projects (default: all).
    projects: Vec<String>,
    /// Release to import for a pypi source (default: the pin).
    #[arg(long)]
    version: Option<String>,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let _lock = verda_patch::lock::Lock::acquire(&ws, "fetch")?;
    let progress = context.progress();
    for project in ws.select(&args.projects)? {
        let upstream = Upstream::open(&ws, &project)?;
        let pin = ws.project(&project)?.pin.clone();
        let version = args.version.clone().unwrap_or(pin.clone());
        upstream.fetch(&ws, &version, progress.as_ref())?;
        let resolved = upstream
            .mirror
            .resolve_pin(&version)
            .map(verda_patch::repo::short)
            .unwrap_or_else(|| "not found".into());
        context.say(format!(
            "{project}: {} fetched; {version} is {resolved}",
            upstream.describe()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
