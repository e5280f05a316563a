use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::queue::status::{SourceState, status};
use verda_patch::queue::upgrade;
use verda_patch::repo::PinKind;

use super::rebase::{attribution_lines, indented};
use super::{Context, print_json};

/// Each project's pin, queue and the state of custom-source.
#[derive(clap::Args)]
#[command(after_help = "Example:\n  verda-patch status --json")]
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
        let s = status(&ws, &project)?;
        if !args.json {
            let counts: Vec<String> = s
                .by_category
                .iter()
                .map(|(c, n)| format!("{n} {c}"))
                .collect();
            // A branch pin is a moving target: say where it was fetched to.
            let tip = match (s.pin_kind, &s.pin_commit) {
                (Some(PinKind::Branch), Some(commit)) => {
                    format!(" (branch tip {} at the last fetch)", &commit[..10])
                }
                _ => String::new(),
            };
            println!(
                "{}: {} patches ({}) on {}{tip} from {}",
                s.project,
                s.patches,
                counts.join(", "),
                s.pin,
                s.source
            );
            match &s.custom_source {
                SourceState::Absent => println!("  custom-source/{}: not built", s.project),
                SourceState::Foreign { message } => {
                    println!("  custom-source/{}: {message}", s.project)
                }
                SourceState::Present {
                    head,
                    branch,
                    in_sync,
                    unexported_commits,
                    dirty_files,
                    untracked_files,
                    pin_changed,
                    queue_changed,
                    owned_by: None,
                } => {
                    println!(
                        "  custom-source/{}: {} at {}{}",
                        s.project,
                        branch.as_deref().unwrap_or("detached HEAD"),
                        head.as_deref().unwrap_or("-"),
                        if *in_sync && dirty_files.is_empty() {
                            " (in sync)"
                        } else {
                            ""
                        }
                    );
                    if *unexported_commits > 0 {
                        println!("  {unexported_commits} commit(s) not exported yet");
                    }
                    if !dirty_files.is_empty() {
                        println!(
                            "  {} file(s) with uncommitted changes: {}",
                            dirty_files.len(),
                            dirty_files.join(", ")
                        );
                    }
                    if *untracked_files > 0 {
                        println!("  {untracked_files} untracked file(s)");
                    }
                    if *pin_changed && s.pin_kind == Some(PinKind::Branch) {
                        println!("  built on another commit than the tip of {}", s.pin);
                    } else if *pin_changed {
                        println!("  built on another pin than {}", s.pin);
                    }
                    if *queue_changed {
                        println!("  patch files changed since the last apply/export");
                    }
                }
                // A rebase or cherry-pick in progress: its commits and its
                // conflict in the work tree are the operation, shown below.
                SourceState::Present {
                    owned_by: Some(_), ..
                } => {}
            }
            if let Some(r) = &s.rebase {
                let at = match r.stopped_on.as_ref() {
                    Some((patch, _)) => format!("patch {} of {}, {patch}", r.done + 1, r.total),
                    None if r.done < r.total => format!("patch {} of {}", r.done + 1, r.total),
                    None => format!("all {} patches replayed", r.total),
                };
                println!("  rebase to {} in progress: {at}", r.to);
                if let Some((series, at, total)) = upgrade::pending(&ws)? {
                    println!(
                        "  part of the upgrade to {} ({}): project {} of {total}",
                        series.number,
                        series.name,
                        at + 1
                    );
                }
                if let Some((_, files)) = &r.stopped_on {
                    println!("  conflict in {}", files.join(", "));
                }
                if let Some(attribution) = &r.attribution {
                    let lines = attribution_lines(attribution, &s.pin, &r.to, None);
                    print!("{}", indented(&lines, 2));
                }
            }
            if let Some(p) = &s.cherry_pick {
                println!("  cherry-pick in progress: {}/{} picked", p.done, p.total);
                let (rev, files) = &p.stopped_on;
                if !files.is_empty() {
                    println!("  stopped on {rev}: conflict in {}", files.join(", "));
                }
            }
            if let Some(i) = &s.interrupted {
                println!(
                    "  {} interrupted: started {}, did not finish; {}",
                    i.operation.as_str(),
                    i.started,
                    i.what
                );
            }
            if let Some(p) = &s.propose {
                match p.stopped_on.as_slice() {
                    [] => println!(
                        "  propose of {} to {} in progress (interrupted)",
                        p.patch, p.branch
                    ),
                    files => println!(
                        "  propose of {} stopped on a conflict in {}: {}",
                        p.patch,
                        p.worktree,
                        files.join(", ")
                    ),
                }
            }
            if let Some(advice) = &s.advice {
                println!("  next: {advice}");
            }
        }
        all.push(s);
    }
    if args.json {
        print_json(&all);
    }
    Ok(ExitCode::SUCCESS)
}
