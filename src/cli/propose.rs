use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::queue::propose::{Options, find_patch, propose};

use super::{Context, print_json};

/// Send an upstreamable patch to upstream Gerrit for review.
///
/// Forward-ports the patch onto the upstream branch tip (3-way), keeps its
/// Change-Id (or adds one, as Gerrit's commit-msg hook would), pushes it
/// through git to `refs/for/<branch>` of `gerrit_push`, and records
/// `Upstream-Status: Submitted <change URL>` in the patch file. A conflict
/// stops with exit 3 and the forward-port in `.verda/propose/<project>`.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch propose patches/nova/upstreamable/0003-cache-weigher-results.patch\n  verda-patch propose upstreamable/0003-cache-weigher-results.patch --branch stable/2025.1 --topic weigher-cache --dry-run"
)]
pub struct Args {
    /// The patch file, or its series entry (`upstreamable/NNNN-x.patch`).
    patch: String,
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
    let (queue, index) = find_patch(&ws, &context.dir, &args.patch, args.project.as_deref())?;
    let options = Options {
        branch: args.branch,
        topic: args.topic,
        dry_run: args.dry_run,
    };
    let proposal = propose(&ws, &queue, index, &options, context.progress().as_ref())?;
    if args.json {
        print_json(&proposal);
        return Ok(ExitCode::SUCCESS);
    }
    let onto = &proposal.onto[..proposal.onto.len().min(10)];
    if proposal.dry_run {
        context.say(format!(
            "would push {} ({}, forward-ported {} onto {} {onto}) to {} as {}",
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
            "pushed {} ({}, forward-ported {} onto {} {onto}) to {}",
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
