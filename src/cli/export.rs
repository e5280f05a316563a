use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::queue::export::{ExportOptions, export};
use verda_patch::queue::series::Category;

use super::{Context, failed, print_json};

/// Turn custom-source commits back into normalised patch files.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch export nova --category bugfix   new commits become bugfix/ patches\n  verda-patch export --check                  CI: fail if the patch files are not up to date"
)]
pub struct Args {
    /// Projects (default: all).
    projects: Vec<String>,
    /// Category for new commits without a `Verda-Category:` trailer.
    #[arg(long, value_parser = parse_category)]
    category: Option<Category>,
    /// Write nothing; exit 1 if export would change any file.
    #[arg(long)]
    check: bool,
    /// Export even though patches/ changed since custom-source was built
    /// from it (an import, a pull, a hand edit): those changes are overwritten.
    #[arg(long)]
    force: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_category(s: &str) -> std::result::Result<Category, String> {
    s.parse()
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let _lock = verda_patch::lock::Lock::acquire(&ws, "export")?;
    let progress = context.progress();
    let mut reports = Vec::new();
    for project in ws.select(&args.projects)? {
        let report = export(
            &ws,
            &project,
            ExportOptions {
                category: args.category,
                check: args.check,
                skip_uncommitted: false,
                force: args.force,
            },
            progress.as_ref(),
        )?;
        if !args.json {
            let verb = if args.check { "would be " } else { "" };
            if report.finished_interrupted {
                context.say(format!(
                    "  finished the export of {project} that had been interrupted"
                ));
            }
            for path in &report.added {
                context.say(format!("  added    {path}"));
            }
            for path in &report.updated {
                context.say(format!("  updated  {path}"));
            }
            for (from, to) in &report.moved {
                context.say(format!("  moved    {from} -> {to}"));
            }
            for path in &report.removed {
                context.say(format!(
                    "  removed  {path} (its commit is gone from custom-source)"
                ));
            }
            if !report.changed() {
                context.say(format!(
                    "{project}: patch files are up to date ({} patches)",
                    report.unchanged
                ));
            } else {
                context.say(format!(
                    "{project}: {} added, {} updated, {} moved, {} removed {verb}{}",
                    report.added.len(),
                    report.updated.len(),
                    report.moved.len(),
                    report.removed.len(),
                    if report.series_changed {
                        "(series updated)"
                    } else {
                        ""
                    }
                ));
            }
            if !report.uncommitted.is_empty() {
                eprintln!(
                    "warning: custom-source/{project} has uncommitted changes that were not exported: {}",
                    report.uncommitted.join(", ")
                );
            }
        }
        reports.push(report);
    }
    if args.json {
        print_json(&reports);
    }
    if args.check && reports.iter().any(|r| r.changed()) {
        eprintln!(
            "error: patch files are not up to date with custom-source; run `verda-patch export`"
        );
        return Ok(failed());
    }
    Ok(ExitCode::SUCCESS)
}
