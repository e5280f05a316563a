use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::repo::short;
use verda_patch::upstream::Upstream;

use super::Context;

/// Mirror (git) or import (pypi) each project's upstream into the cache.
///
/// A git upstream is fetched by the `git` executable, with your git
/// configuration: ssh URLs and `user@host:path`, credential helpers,
/// proxies and `url.<base>.insteadOf` work as they do for `git fetch`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch fetch                 update every project's mirror\n  verda-patch fetch nova --version 32.0.0   import another release\n\nA pin naming a branch (pin = \"stable/2025.1\") is its tip at the last fetch;\nfetch says when it moved."
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
        let before = upstream.mirror.resolve_pin(&version);
        upstream.fetch(&ws, &version, progress.as_ref())?;
        let resolved = match (before, upstream.mirror.resolve_pin_kind(&version)) {
            (_, None) => format!("{version} is not a tag, branch or commit of it"),
            (Some(old), Some((new, kind))) if old != new => format!(
                "{} {version} moved {} -> {}",
                kind.as_str(),
                short(old),
                short(new)
            ),
            (_, Some((new, kind))) => format!("{} {version} is {}", kind.as_str(), short(new)),
        };
        context.say(format!(
            "{project}: {} fetched; {resolved}",
            upstream.describe()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
