use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::upstream::releases::{self, DEFAULT_SOURCE, Releases};

use super::{Context, print_json};

/// OpenStack's release data (series ↔ numbers ↔ each service's releases),
/// the snapshot `rebase --to <series>` and `constraints = "series"` read.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch releases show                  the series and the manifest's projects in them\n  verda-patch releases refresh               regenerate data/openstack-releases.json from opendev\n  verda-patch releases refresh --from ../releases   from a clone or checkout (its committed HEAD)\n\nThe snapshot is data/openstack-releases.json in the patch repo; without one,\nthe copy built into verda-patch is used."
)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Regenerate the snapshot from openstack/releases and print what changed.
    Refresh {
        /// A git URL or a path to a clone or checkout of openstack/releases
        /// (its committed HEAD is read, through the `git` executable).
        #[arg(long, value_name = "PATH|URL", default_value = DEFAULT_SOURCE)]
        from: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The series of the snapshot, and each project's releases in them.
    Show {
        /// Print the snapshot as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    match args.command {
        Sub::Refresh { from, json } => {
            let _lock = verda_patch::lock::Lock::acquire(&ws, "releases")?;
            // A relative path is relative to where the command runs, like git's.
            let local = context.dir.join(&from);
            let from = if local.exists() {
                local
                    .canonicalize()
                    .unwrap_or(local)
                    .to_string_lossy()
                    .into_owned()
            } else {
                from
            };
            let refreshed = releases::refresh(&ws, &from, context.progress().as_ref())?;
            if json {
                print_json(&refreshed);
                return Ok(ExitCode::SUCCESS);
            }
            context.say(format!(
                "{}: openstack/releases at {} ({})",
                ws.rel(&refreshed.file),
                refreshed.source.commit,
                refreshed.source.date
            ));
            if refreshed.changes.is_empty() {
                context.say("  no change");
            }
            for change in &refreshed.changes {
                context.say(format!("  {change}"));
            }
        }
        Sub::Show { json } => {
            let snapshot = Releases::load(&ws)?;
            if json {
                print_json(&snapshot);
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "openstack/releases at {} ({})",
                snapshot.source.commit, snapshot.source.date
            );
            for series in &snapshot.series {
                let mut line = format!(
                    "{} {:<10} {:<13}",
                    series.number, series.name, series.status
                );
                for (project, spec) in &ws.manifest.projects {
                    let Some(deliverable) = snapshot.deliverable_of(project, spec) else {
                        continue;
                    };
                    if let Some(latest) =
                        snapshot.release_in(deliverable, &series.number, releases::Pick::Latest)
                    {
                        line.push_str(&format!("  {project} {latest}"));
                    }
                }
                println!("{}", line.trim_end());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
