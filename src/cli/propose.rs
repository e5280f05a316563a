use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::queue::journal::{self, Kind};
use verda_patch::queue::propose::{
    Options, Report, abort, find_patch, propose, resume, stopped_project,
};

use super::{Context, print_json};

/// Send an upstreamable patch to upstream Gerrit for review.
///
/// Forward-ports the patch onto the upstream branch tip (3-way), keeps its
/// Change-Id (or adds one, as Gerrit's commit-msg hook would), pushes it
/// through git to `refs/for/<branch>` of `gerrit_push`, and records
/// `Upstream-Status: Submitted <change URL>` in the patch file. A conflict
/// stops with exit 3 and the forward-port in `.verda/propose/<project>`:
/// resolve it there, `git add`, then `--continue` (or `--abort`, which puts
/// the patch repo back as it was). A propose killed half-way is finished by
/// `--continue` too.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch propose patches/nova/upstreamable/0003-cache-weigher-results.patch\n  verda-patch propose upstreamable/0003-cache-weigher-results.patch --branch stable/2025.1 --topic weigher-cache --dry-run\n  verda-patch propose --continue       after resolving a conflict in .verda/propose/<project>"
)]
pub struct Args {
    /// The patch file, or its series entry (`upstreamable/NNNN-x.patch`).
    #[arg(required_unless_present_any = ["continue_", "abort"])]
    patch: Option<String>,
    /// Push the forward-port resolved in `.verda/propose/<project>` (or
    /// finish a propose that was killed).
    #[arg(long = "continue", conflicts_with_all = ["patch", "abort", "dry_run", "branch", "topic"])]
    continue_: bool,
    /// Drop a forward-port stopped on a conflict: the patch repo as it was.
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
    // A dry run writes nothing and takes no lock.
    let _lock = match args.dry_run {
        true => None,
        false => Some(verda_patch::lock::Lock::acquire(&ws, "propose")?),
    };
    let report = match args.patch {
        _ if args.abort => {
            let project = stopped_project(&ws, args.project.as_deref())?;
            abort(&ws, &project)?;
            context.say(format!(
                "dropped the propose of {project}; the patch repo is as it was"
            ));
            return Ok(ExitCode::SUCCESS);
        }
        _ if args.continue_ => {
            let project = stopped_project(&ws, args.project.as_deref())?;
            resume(&ws, &project, progress.as_ref())?
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
        print_json(&report);
    }
    let proposal = match report {
        Report::Stopped { stopped } => {
            eprintln!(
                "CONFLICT: {} conflicts with upstream {} ({}) in {}.\n\
                 The forward-port is in {} with conflict markers: resolve them (edit, `git add` there), then {}.",
                stopped.patch,
                stopped.branch,
                &stopped.onto[..stopped.onto.len().min(10)],
                stopped.files.join(", "),
                stopped.worktree,
                journal::sequence_recover(Kind::Propose, &stopped.project)
            );
            return Ok(ExitCode::from(3));
        }
        _ if args.json => return Ok(ExitCode::SUCCESS),
        Report::Proposed(proposal) => proposal,
    };
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
