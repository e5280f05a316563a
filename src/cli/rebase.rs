use std::fmt::Write as _;
use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::queue::journal::{self, Kind};
use verda_patch::queue::rebase::{self, Outcome, RebaseOptions, Report, short_hex};

use super::{Context, print_json};

/// Move a project's queue to a new upstream release, dropping what upstream merged.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch rebase nova --to 32.0.0          move the queue; stops on a conflict (exit 3)\n  verda-patch rebase nova --to 32.0.0 --dry-run  the report only, nothing written\n  verda-patch rebase nova --continue            after resolving the conflict in custom-source/nova and `git add`"
)]
pub struct Args {
    /// The project (default: the only one).
    project: Option<String>,
    /// The release (tag, branch, commit; a version for PyPI) to move to.
    #[arg(long, value_name = "REL", required_unless_present_any = ["cont", "skip", "abort"])]
    to: Option<String>,
    /// Print the report of what would happen; change nothing.
    #[arg(long, requires = "to")]
    dry_run: bool,
    /// Carry this patch (path as in series) even if a rule says upstream has it.
    #[arg(long, value_name = "PATCH", requires = "to")]
    keep: Vec<String>,
    /// Take the resolution in custom-source as the new version of the patch and go on.
    #[arg(long = "continue", id = "cont", conflicts_with_all = ["to", "skip", "abort"])]
    cont: bool,
    /// Drop the patch the rebase stopped on and go on.
    #[arg(long, conflicts_with_all = ["to", "abort"])]
    skip: bool,
    /// Give up: the patch repo back byte for byte, custom-source at its old head.
    #[arg(long, conflicts_with = "to")]
    abort: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let _lock = verda_patch::lock::Lock::acquire(&ws, "rebase")?;
    let project = context.project(&ws, args.project)?;
    let progress = context.progress();
    if args.abort {
        rebase::abort(&ws, &project)?;
        context.say(format!(
            "{project}: rebase aborted; patch repo and custom-source/{project} are as they were"
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let report = if args.cont {
        rebase::resume(&ws, &project, progress.as_ref())?
    } else if args.skip {
        rebase::skip(&ws, &project, progress.as_ref())?
    } else {
        let options = RebaseOptions {
            to: args.to.unwrap_or_default(),
            dry_run: args.dry_run,
            keep: args.keep,
        };
        rebase::start(&ws, &project, &options, progress.as_ref())?
    };
    if args.json {
        print_json(&report);
    } else {
        print!("{}", text(&report));
    }
    if let Some(file) = &report.report_file {
        let markdown_file = file.with_extension("md");
        verda_patch::fsutil::write_atomic(&markdown_file, markdown(&report).as_bytes())?;
        // With --json, stdout is the JSON alone (it names the report).
        if !args.json {
            context.say(format!("report: {}", ws.rel(&markdown_file)));
        }
    }
    match &report.stopped {
        Some((patch, files)) => {
            eprintln!(
                "CONFLICT: patches/{project}/{patch} does not apply on {} ({}).\n\
                 Resolve it in custom-source/{project} (edit, `git add`), then {}.",
                report.to,
                files.join(", "),
                journal::sequence_recover(Kind::Rebase, &project)
            );
            if let Some(line) = resolved_hunks(report.resolutions.resolved_hunks) {
                eprintln!("{line}");
            }
            Ok(ExitCode::from(3))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

pub fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Carried { how } => format!("carried ({how})"),
        Outcome::Resolved { recorded: true } => "carried (recorded resolution)".into(),
        Outcome::Resolved { recorded: false } => "resolved by hand".into(),
        Outcome::Skipped => "skipped".into(),
        Outcome::Dropped { rule, commit } => match commit {
            Some(c) => format!("dropped: {} ({})", rule.describe(), short_hex(c)),
            None => format!("dropped: {}", rule.describe()),
        },
        Outcome::Conflict { files } => format!("CONFLICT in {}", files.join(", ")),
    }
}

/// The stop's line about hunks recorded resolutions already resolved.
fn resolved_hunks(hunks: usize) -> Option<String> {
    let s = if hunks == 1 { "" } else { "s" };
    (hunks > 0).then(|| {
        format!(
            "{hunks} conflict hunk{s} resolved from recorded resolutions; only the rest is marked."
        )
    })
}

/// The recorded resolutions a rebase used, wrote and pruned, one per line.
fn resolution_lines(report: &Report) -> Vec<String> {
    let dir = format!("patches/{}/.resolutions", report.project);
    let r = &report.resolutions;
    let mut lines = Vec::new();
    for (what, list) in [("used", &r.used), ("recorded", &r.recorded)] {
        for used in list {
            lines.push(format!(
                "{what} resolution {dir}/{} ({})",
                used.record, used.patch
            ));
        }
    }
    for pruned in &r.pruned {
        lines.push(format!(
            "pruned resolution {dir}/{pruned} (unused, last used before {})",
            report.to
        ));
    }
    lines
}

pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let verb = if report.dry_run {
        "would rebase"
    } else {
        "rebase"
    };
    let _ = writeln!(
        out,
        "{}: {verb} {} -> {}",
        report.project, report.from, report.to
    );
    for r in &report.results {
        let _ = writeln!(out, "  {:<44} {}", r.path, describe(&r.outcome));
    }
    for line in resolution_lines(report) {
        let _ = writeln!(out, "  {line}");
    }
    out
}

fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Rebase of {} from {} to {}\n",
        report.project, report.from, report.to
    );
    let _ = writeln!(out, "| patch | subject | outcome |\n|---|---|---|");
    for r in &report.results {
        let subject = r.subject.replace('|', "\\|");
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            r.path,
            subject,
            describe(&r.outcome)
        );
    }
    let resolutions = resolution_lines(report);
    if !resolutions.is_empty() {
        let _ = writeln!(out, "\n## Recorded resolutions\n");
        for line in resolutions {
            let _ = writeln!(out, "* {line}");
        }
    }
    out
}
