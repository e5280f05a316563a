use std::fmt::Write as _;
use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::queue::journal::{self, Kind};
use verda_patch::queue::rebase::{self, Outcome, RebaseOptions, Report, short_hex};
use verda_patch::repo::attribution::Attribution;

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
        context.say(format!("report: {}", ws.rel(&markdown_file)));
    }
    match &report.stopped {
        Some((patch, files)) => {
            eprintln!(
                "CONFLICT: patches/{project}/{patch} does not apply on {} ({}).",
                report.to,
                files.join(", "),
            );
            if let Some(attribution) = &report.stopped_attribution {
                let lines = attribution_lines(attribution, &report.from, &report.to, Some(3));
                eprint!("{}", indented(&lines, 1));
            }
            eprintln!(
                "Resolve it in custom-source/{project} (edit, `git add`), then {}.",
                journal::sequence_recover(Kind::Rebase, &project)
            );
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
        if let Some(attribution) = &r.attribution {
            let lines = attribution_lines(attribution, &report.from, &report.to, None);
            out.push_str(&indented(&lines, 2));
        }
    }
    out
}

/// Why a patch conflicted, as (depth, line) pairs: per conflicting hunk,
/// where its lines are and the upstream commits that changed them (the
/// first `limit` of them, then how many more).
pub fn attribution_lines(
    attribution: &Attribution,
    from: &str,
    to: &str,
    limit: Option<usize>,
) -> Vec<(usize, String)> {
    let files = match attribution {
        Attribution::None => {
            return vec![(
                0,
                format!(
                    "no upstream history between {from} and {to} to say why \
                     (a PyPI source imports each release as one snapshot)"
                ),
            )];
        }
        Attribution::Unavailable { reason } => {
            return vec![(0, format!("why is unknown: {reason}"))];
        }
        Attribution::Commits { files } => files,
    };
    let mut out = Vec::new();
    for file in files {
        if let Some(note) = &file.note {
            out.push((0, format!("{}: {note}", file.path)));
        }
        // Hunks no upstream commit explains: one line per file, their
        // places at the new pin, then at the old one.
        let mut unexplained = [Vec::new(), Vec::new()];
        for hunk in &file.hunks {
            let (lines, pin, at_old) = match (hunk.new, hunk.old) {
                (Some(new), _) if new.count > 0 => (new.to_string(), to, 0),
                (_, Some(old)) if old.count > 0 => (old.to_string(), from, 1),
                (Some(new), _) => (new.to_string(), to, 0),
                (None, _) => continue,
            };
            if hunk.commits.is_empty() {
                unexplained[at_old].push(lines);
                continue;
            }
            let place = format!("{} {lines} ({pin})", file.path);
            out.push((0, format!("{place}, changed upstream by:")));
            let shown = limit.unwrap_or(usize::MAX);
            for commit in hunk.commits.iter().take(shown) {
                let mut trailers = Vec::new();
                if let Some(id) = &commit.change_id {
                    trailers.push(format!("Change-Id: {id}"));
                }
                for bug in &commit.closes_bug {
                    trailers.push(format!("Closes-Bug: {bug}"));
                }
                let trailers = match trailers.is_empty() {
                    true => String::new(),
                    false => format!(" ({})", trailers.join(", ")),
                };
                out.push((
                    1,
                    format!("{} {}{trailers}", short_hex(&commit.commit), commit.subject),
                ));
            }
            if hunk.commits.len() > shown {
                out.push((1, format!("… and {} more", hunk.commits.len() - shown)));
            }
        }
        let places: Vec<String> = unexplained
            .iter()
            .zip([to, from])
            .filter(|(places, _)| !places.is_empty())
            .map(|(places, pin)| format!("{} ({pin})", places.join(", ")))
            .collect();
        if !places.is_empty() {
            out.push((
                0,
                format!(
                    "{} {}: no upstream commit between {from} and {to} changed these lines; \
                     the queue's earlier patches did (a forecast leaves out those that conflict)",
                    file.path,
                    places.join("; ")
                ),
            ));
        }
    }
    out
}

/// `lines` as text, two blanks per level below `depth`.
pub fn indented(lines: &[(usize, String)], depth: usize) -> String {
    let mut out = String::new();
    for (level, line) in lines {
        let _ = writeln!(out, "{}{line}", "  ".repeat(depth + level));
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
    let conflicted: Vec<_> = report
        .results
        .iter()
        .filter_map(|r| Some((r, r.attribution.as_ref()?)))
        .collect();
    if !conflicted.is_empty() {
        let _ = writeln!(out, "\n## Why patches conflicted\n");
        for (r, attribution) in conflicted {
            let _ = writeln!(out, "* `{}`", r.path);
            for (level, line) in attribution_lines(attribution, &report.from, &report.to, None) {
                let _ = writeln!(out, "{}* {line}", "  ".repeat(level + 1));
            }
        }
    }
    out
}
