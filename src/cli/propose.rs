use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::queue::propose::{
    Options, abort, continue_stopped, find_patch, propose, stopped_project,
};

use super::{Context, print_json};

/// Send an upstreamable patch to upstream Gerrit for review.
///
/// Forward-ports the patch onto the upstream branch tip (3-way), keeps its
/// Change-Id (or adds one, as Gerrit's commit-msg hook would), pushes it
/// through git to `refs/for/<branch>` of `gerrit_push`, and records
/// `Upstream-Status: Submitted <change URL>` in the patch file. A conflict
/// stops with exit 3 and the forward-port in `.verda/propose/<project>`:
/// resolve it there, `git add`, then `--continue` (or `--abort`).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch propose patches/nova/upstreamable/0003-cache-weigher-results.patch\n  verda-patch propose upstreamable/0003-cache-weigher-results.patch --branch stable/2025.1 --topic weigher-cache --dry-run\n  verda-patch propose --continue       after resolving a conflict in .verda/propose/<project>"
)]
pub struct Args {
    /// The patch file, or its series entry (`upstreamable/NNNN-x.patch`).
    #[arg(required_unless_present_any = ["continue_", "abort"])]
    patch: Option<String>,
    /// Push the forward-port resolved in `.verda/propose/<project>`.
    #[arg(long = "continue", conflicts_with_all = ["patch", "abort", "dry_run", "branch", "topic"])]
    continue_: bool,
    /// Drop a forward-port stopped on a conflict.
    #[arg(long, conflicts_with_all = ["patch", "dry_run", "branch", "topic"])]
    abort: bool,
    /// The project (default: the one whose series lists the patch).
    #[arg(long)]
    project: Option<String>,
    /// The upstream branch (default: `defaultbranch` of .gitreview, else master).
    #[arg(long)]
    branch: Option<String>,
    /// The Gerrit topic of the change.
    #[arg(long)]
    topic: Option<String>,
    /// Do everything but the push and the write to the patch file.
    #[arg(long)]
    dry_run: bool,
    /// Print the result (with the change URL) as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let progress = context.progress();
    let proposal = match args.patch {
        _ if args.abort => {
            let project = stopped_project(&ws, args.project.as_deref())?;
            abort(&ws, &project)?;
            context.say(format!("dropped the stopped propose of {project}"));
            return Ok(ExitCode::SUCCESS);
        }
        _ if args.continue_ => {
            let project = stopped_project(&ws, args.project.as_deref())?;
            continue_stopped(&ws, &project, progress.as_ref())?
        }
        Some(patch) => {
            let (queue, index) = find_patch(&ws, &context.dir, &patch, args.project.as_deref())?;
            let options = Options {
                branch: args.branch,
                topic: args.topic,
                dry_run: args.dry_run,
            };
            propose(&ws, &queue, index, &options, progress.as_ref())?
        }
        None => {
            return Err(verda_patch::Error::Usage(
                "name the patch to propose (or --continue / --abort)".into(),
            ));
        }
    };
    if args.json {
        print_json(&proposal);
        return Ok(ExitCode::SUCCESS);
    }
    let onto = &proposal.onto[..proposal.onto.len().min(10)];
    if proposal.dry_run {
        context.say(format!(
            "would push {} ({}; forward-port: {}, onto {} {onto}) to {} as {}",
            proposal.patch,
            proposal.change_id,
            proposal.forward_port,
            proposal.branch,
            proposal.push,
            proposal.refspec
        ));
        context.say("dry run: nothing pushed, nothing written");
    } else {
        context.say(format!(
            "pushed {} ({}; forward-port: {}, onto {} {onto}) to {}",
            proposal.patch,
            proposal.change_id,
            proposal.forward_port,
            proposal.branch,
            proposal.push
        ));
        context.say(format!("change: {}", proposal.url));
        context.say(format!(
            "{}: Upstream-Status: Submitted {}{}",
            proposal.patch,
            proposal.url,
            if proposal.change_id_added {
                format!(" (and Change-Id: {})", proposal.change_id)
            } else {
                String::new()
            }
        ));
    }
    Ok(ExitCode::SUCCESS)
}
