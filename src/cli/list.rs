use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::queue::{Queue, status};

use super::{Context, print_json};

/// The queue of each project: order, category, subject, upstream status.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  verda-patch list nova --json")]
pub struct Args {
    /// Projects (default: all).
    projects: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let mut all = Vec::new();
    for project in ws.select(&args.projects)? {
        let queue = Queue::load(&ws, &project)?;
        let patches = status::list(&queue);
        if !args.json {
            println!(
                "{project} ({} patches on {})",
                patches.len(),
                ws.project(&project)?.pin
            );
            for p in &patches {
                let upstream = p.upstream_status.as_deref().unwrap_or("-");
                println!(
                    "{:>4}  {:<12} {:<48} {}  [{upstream}]",
                    p.index, p.category, p.path, p.subject
                );
            }
        }
        all.push(serde_json::json!({ "project": project, "patches": patches }));
    }
    if args.json {
        print_json(&all);
    }
    Ok(ExitCode::SUCCESS)
}
