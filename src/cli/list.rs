use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::queue::upstreamed::standing;
use verda_patch::queue::{Queue, status};
use verda_patch::upstream::Upstream;

use super::{Context, print_json};

/// The queue of each project: order, category, subject, upstream status.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  verda-patch list nova --json")]
pub struct Args {
    /// Projects (default: all).
    projects: Vec<String>,
    /// Also show where each patch stands upstream (merged in a release, on a
    /// branch, or not upstream), from the mirror as last fetched
    /// (`verda-patch fetch` updates it).
    #[arg(long)]
    upstream: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let mut all = Vec::new();
    for project in ws.select(&args.projects)? {
        let queue = Queue::load(&ws, &project)?;
        let mut patches = status::list(&queue);
        if args.upstream {
            let upstream = Upstream::open(&ws, &project)?;
            let pin =
                upstream.resolve(&ws, &ws.project(&project)?.pin, context.progress().as_ref())?;
            for (info, standing) in
                patches
                    .iter_mut()
                    .zip(standing(&upstream.mirror, pin, &queue.patches)?)
            {
                info.upstream = Some(standing);
            }
        }
        if !args.json {
            println!(
                "{project} ({} patches on {})",
                patches.len(),
                ws.project(&project)?.pin
            );
            for p in &patches {
                let status = p.upstream_status.as_deref().unwrap_or("-");
                println!(
                    "{:>4}  {:<12} {:<48} {}  [{status}]",
                    p.index, p.category, p.path, p.subject
                );
                if let Some(standing) = &p.upstream {
                    println!("      upstream: {}", standing.describe());
                }
            }
        }
        all.push(serde_json::json!({ "project": project, "patches": patches }));
    }
    if args.json {
        print_json(&all);
    }
    Ok(ExitCode::SUCCESS)
}
