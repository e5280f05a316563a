use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::queue::apply::{ApplyOptions, apply};
use verda_patch::queue::build::How;
use verda_patch::repo::short;

use super::{Context, print_json};

/// Build custom-source/<project>: the pin plus one commit per patch.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch apply              every project\n  verda-patch apply nova --force rebuild even over unexported work (kept under refs/verda/backup/)"
)]
pub struct Args {
    /// Projects (default: all).
    projects: Vec<String>,
    /// Apply even over uncommitted changes or unexported commits (both are
    /// saved under refs/verda/backup/ first).
    #[arg(long)]
    force: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let _lock = verda_patch::lock::Lock::acquire(&ws, "apply")?;
    let progress = context.progress();
    let mut reports = Vec::new();
    for project in ws.select(&args.projects)? {
        let report = apply(
            &ws,
            &project,
            ApplyOptions { force: args.force },
            progress.as_ref(),
        )?;
        if !args.json {
            for built in &report.patches {
                let note = match &built.how {
                    How::Clean | How::Cached | How::AlreadyApplied => String::new(),
                    How::Offset { hunks } => {
                        let moves: Vec<String> = hunks
                            .iter()
                            .map(|h| {
                                format!("{} hunk #{} at offset {:+}", h.file, h.hunk, h.offset)
                            })
                            .collect();
                        format!(" (applied with offset: {})", moves.join(", "))
                    }
                    How::ThreeWay { files } => {
                        format!(" (applied with 3-way merge: {})", files.join(", "))
                    }
                };
                if !note.is_empty() {
                    context.say(format!("  {}{note}", built.path));
                }
            }
            let cached = report
                .patches
                .iter()
                .filter(|b| b.how == How::Cached)
                .count();
            let state = if report.up_to_date {
                "already up to date".to_string()
            } else {
                format!("{} files written", report.files_written)
            };
            context.say(format!(
                "{}: {} patches on {} ({}) -> custom-source/{} at {} [{}{}]",
                report.project,
                report.patches.len(),
                report.pin,
                short(report.pin_commit),
                report.project,
                short(report.head),
                state,
                if cached > 0 {
                    format!(", {cached} reused from cache")
                } else {
                    String::new()
                },
            ));
            if report.finished_interrupted {
                context.say(format!(
                    "  finished the apply of {} that had been interrupted",
                    report.project
                ));
            }
            for backup in &report.backups {
                context.say(format!("  previous state kept as {backup}"));
            }
        }
        reports.push(report);
    }
    if args.json {
        print_json(&reports);
    }
    Ok(ExitCode::SUCCESS)
}
