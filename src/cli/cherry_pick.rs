use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::queue::journal::{self, Kind};
use verda_patch::queue::pick::{self, PickReport};
use verda_patch::queue::series::Category;

use super::{Context, print_json};

/// Take upstream commits into the queue early, with provenance.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch cherry-pick 3f2a9c1e0b                  an upstream commit, as a bugfix/ patch\n  verda-patch cherry-pick I8b4ac0c2d0e5e1c7f05c7a5d7a1c5f8e2e3d4b6a   by Change-Id, searched in all upstream history\n  verda-patch cherry-pick --continue                after resolving a conflict in custom-source and `git add`"
)]
pub struct Args {
    /// Upstream revisions (commit ids, tags, branches) or Gerrit Change-Ids, picked in order.
    #[arg(required_unless_present_any = ["cont", "abort"])]
    revs: Vec<String>,
    /// The project (default: the only one).
    #[arg(long, short)]
    project: Option<String>,
    /// Category of the new patches.
    #[arg(long, default_value = "bugfix", value_parser = |s: &str| s.parse::<Category>())]
    category: Category,
    /// Take the resolution in custom-source and go on.
    #[arg(long = "continue", id = "cont", conflicts_with_all = ["revs", "abort"])]
    cont: bool,
    /// Give up: the patch repo and custom-source as they were.
    #[arg(long, conflicts_with = "revs")]
    abort: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let _lock = verda_patch::lock::Lock::acquire(&ws, "cherry-pick")?;
    let project = context.project(&ws, args.project)?;
    if args.abort {
        pick::abort(&ws, &project)?;
        context.say(format!("{project}: cherry-pick aborted; patch repo and custom-source/{project} are as they were"));
        return Ok(ExitCode::SUCCESS);
    }
    let report = if args.cont {
        pick::resume(&ws, &project)?
    } else {
        pick::start(
            &ws,
            &project,
            &args.revs,
            args.category,
            context.progress().as_ref(),
        )?
    };
    if args.json {
        print_json(&report);
    } else {
        print_text(context, &report);
    }
    match &report.stopped {
        Some((rev, files)) => {
            eprintln!(
                "CONFLICT: {rev} does not apply on the queue ({}).\n\
                 Resolve it in custom-source/{project} (edit, `git add`), then {}.",
                files.join(", "),
                journal::sequence_recover(Kind::CherryPick, &project)
            );
            Ok(ExitCode::from(3))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

fn print_text(context: &Context, report: &PickReport) {
    for p in &report.picked {
        match &p.patch {
            Some(path) => context.say(format!(
                "{}: picked {} {} -> patches/{}/{path}",
                report.project,
                &p.commit[..10],
                p.subject,
                report.project
            )),
            None => context.say(format!(
                "{}: {} {} is already in the queue; nothing added",
                report.project,
                &p.commit[..10],
                p.subject
            )),
        }
    }
}
