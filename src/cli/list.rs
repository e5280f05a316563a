use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::patch;
use verda_patch::queue::upstreamed::{Standing, gerrit_answers, standing};
use verda_patch::queue::{Queue, status};
use verda_patch::upstream::Upstream;
use verda_patch::upstream::gerrit::{Answers, Change, Origin, Status, format_time};

use super::{Context, print_json};

/// The queue of each project: order, category, subject, upstream status.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch list nova --json\n  verda-patch list --upstream --offline   where each patch stands upstream, from the caches only"
)]
pub struct Args {
    /// Projects (default: all).
    projects: Vec<String>,
    /// Also show where each patch stands upstream: merged in a release, on a
    /// branch, or not upstream, from the mirror as last fetched
    /// (`verda-patch fetch` updates it); and, for a project with `gerrit`,
    /// its changes on Gerrit (merged, under review, abandoned, not proposed),
    /// asked once per project and cached for `gerrit_ttl` seconds.
    #[arg(long)]
    upstream: bool,
    /// With --upstream: use only what is cached (the mirror, Gerrit's
    /// answers); fetch and ask nothing.
    #[arg(long, requires = "upstream")]
    offline: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let mut all = Vec::new();
    for project in ws.select(&args.projects)? {
        let queue = Queue::load(&ws, &project)?;
        let pin_name = &ws.project(&project)?.pin;
        let mut patches = status::list(&queue);
        let mut notes = Vec::new();
        let mut gerrit = None;
        if args.upstream {
            let upstream = Upstream::open(&ws, &project)?;
            let pin = if args.offline {
                upstream.mirror.resolve_pin(pin_name)
            } else {
                Some(upstream.resolve(&ws, pin_name, context.progress().as_ref())?)
            };
            match pin {
                Some(pin) => {
                    for (info, standing) in patches
                        .iter_mut()
                        .zip(standing(&upstream.mirror, pin, &queue.patches)?)
                    {
                        info.upstream = Some(standing);
                    }
                }
                None => notes.push(format!(
                    "the mirror of {} has no {pin_name} yet, so git history says nothing; `verda-patch fetch {project}` fetches it",
                    upstream.describe()
                )),
            }
            let answers = gerrit_answers(
                &ws,
                &queue,
                pin.map(|p| (&upstream.mirror, p)),
                args.offline,
            )?;
            if let Some(answers) = &answers {
                if let Some(warning) = &answers.warning {
                    eprintln!("warning: {project}: {warning}");
                }
                for (info, loaded) in patches.iter_mut().zip(&queue.patches) {
                    info.gerrit =
                        gerrit_of(answers, patch::trailer(loaded.patch.message(), "Change-Id"));
                }
            }
            gerrit = answers;
        }
        if !args.json {
            println!("{project} ({} patches on {pin_name})", patches.len());
            for note in &notes {
                println!("      note: {note}");
            }
            if let Some(answers) = &gerrit {
                println!("      gerrit: {}", describe_answers(answers));
            }
            for p in &patches {
                let status = p.upstream_status.as_deref().unwrap_or("-");
                println!(
                    "{:>4}  {:<12} {:<48} {}  [{status}]",
                    p.index, p.category, p.path, p.subject
                );
                if let Some(standing) = &p.upstream {
                    println!("      upstream: {}", standing.describe());
                }
                if let Some(changes) = &p.gerrit {
                    println!(
                        "      gerrit: {}",
                        describe_changes(changes, p.upstream.as_ref())
                    );
                }
            }
        }
        let mut entry = serde_json::json!({ "project": project, "patches": patches });
        if let Some(answers) = &gerrit {
            entry["gerrit"] = serde_json::json!({
                "server": answers.server,
                "origin": answers.origin,
                "fetched": answers.fetched.map(format_time),
                "warning": answers.warning,
            });
        }
        all.push(entry);
    }
    if args.json {
        print_json(&all);
    }
    Ok(ExitCode::SUCCESS)
}

/// A patch's changes; `Some([])` when Gerrit knows none (or it has no
/// Change-Id), `None` when Gerrit's answer is missing.
fn gerrit_of(answers: &Answers, change_id: Option<String>) -> Option<Vec<Change>> {
    match change_id {
        None if answers.origin == Origin::Nothing => None,
        None => Some(Vec::new()),
        Some(id) => answers.of(&id).map(<[Change]>::to_vec),
    }
}

fn describe_answers(answers: &Answers) -> String {
    match (answers.origin, answers.fetched) {
        (Origin::Server, _) => format!("{} (asked now)", answers.server),
        (Origin::Cache | Origin::StaleCache, Some(when)) => {
            format!("{} (cached {})", answers.server, format_time(when))
        }
        _ => format!("{} (no answer; states unknown)", answers.server),
    }
}

/// `merged on master 2026-05-28 (url), in no release yet; under review on
/// stable/2025.1, patch set 2 (url)`, or `not proposed`.
fn describe_changes(changes: &[Change], standing: Option<&Standing>) -> String {
    if changes.is_empty() {
        return "not proposed".into();
    }
    changes
        .iter()
        .map(|c| {
            let mut text = c.describe();
            if c.status == Status::Merged {
                match standing {
                    Some(Standing::Merged { release, .. }) => {
                        text.push_str(&format!(", in {release}"))
                    }
                    Some(_) => text.push_str(", in no release yet"),
                    None => {}
                }
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}
