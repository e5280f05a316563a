use std::fmt::Write as _;
use std::process::ExitCode;

use verda_patch::error::Recover;
use verda_patch::manifest::Workspace;
use verda_patch::progress::Progress;
use verda_patch::queue::journal::{self, Kind};
use verda_patch::queue::rebase::{self, Outcome, PatchResult, RebaseOptions, Report, short_hex};
use verda_patch::queue::resolutions;
use verda_patch::queue::upgrade::{self, Finished, Mapped, UpgradeOptions, UpgradeReport};
use verda_patch::repo::attribution::Attribution;
use verda_patch::upstream::releases::{Pick, Series};
use verda_patch::{Error, Result};

use super::{Context, print_json};

/// Move a project's queue to a new upstream release, dropping what upstream
/// merged; or every project to its release in an OpenStack series.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch rebase nova --to 32.0.0          move the queue; stops on a conflict (exit 3)\n  verda-patch rebase nova --to 32.0.0 --dry-run  the report only, nothing written\n  verda-patch rebase nova --continue            after resolving the conflict in custom-source/nova and `git add`\n  verda-patch rebase --to 2025.2                every project to its release in 2025.2 (flamingo)\n  verda-patch rebase --to flamingo --first --release placement=14.0.1\n\nSeries-wide upgrades: a series name or number of the releases snapshot\n(data/openstack-releases.json, see `verda-patch releases`) maps each project\nto the newest final release of its deliverable in that series (--first: the\nseries' first, X.0.0; --release P=V: V for project P). The mapping is printed,\nthen the projects are rebased one after the other with one report; the first\nconflict stops it as usual. `--continue` / `--skip` finish that project and go\non with the rest. `--abort` undoes the rebase of the project it stopped in and\nends the upgrade: projects it finished stay on their new release, the others\nwhere they were; `rebase --to <series>` again takes up the rest. A named\nproject that is no deliverable of the snapshot takes `--to` as its release."
)]
pub struct Args {
    /// The project (default: the only one).
    project: Option<String>,
    /// The release (tag, branch, commit; a version for PyPI) to move to, or
    /// an OpenStack series (`2025.2`, `flamingo`) to move every project to.
    #[arg(long, value_name = "REL|SERIES", required_unless_present_any = ["cont", "skip", "abort"])]
    to: Option<String>,
    /// With a series: take each deliverable's first final release in it
    /// (`32.0.0`) instead of its newest.
    #[arg(long, requires = "to")]
    first: bool,
    /// With a series: move PROJECT to VERSION instead of the snapshot's release.
    #[arg(long, value_name = "PROJECT=VERSION", requires = "to")]
    release: Vec<String>,
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
    let progress = context.progress();
    if args.to.is_none() && upgrade::in_progress(&ws)? {
        return run_upgrade_step(context, &ws, &args, progress.as_ref());
    }
    if let Some(series) = args
        .to
        .as_deref()
        .map(|to| upgrade::series_for(&ws, to, args.project.as_deref()))
        .transpose()?
        .flatten()
    {
        return start_upgrade(context, &ws, args, &series.number, progress.as_ref());
    }
    if !args.release.is_empty() || args.first {
        return Err(Error::Usage(
            "--first and --release apply to a series (`--to 2025.2`), not to one release".into(),
        ));
    }
    let project = context.project(&ws, args.project)?;
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
        Some(stop) => {
            conflict_message(
                &report,
                stop,
                journal::sequence_recover(Kind::Rebase, &project),
            );
            if let Some(line) = resolved_hunks(report.resolutions.resolved_hunks) {
                eprintln!("{line}");
            }
            Ok(ExitCode::from(3))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

/// The usual stop: the patch, the files, what to do.
fn conflict_message(report: &Report, (patch, files): &(String, Vec<String>), recover: Recover) {
    let project = &report.project;
    eprintln!(
        "CONFLICT: patches/{project}/{patch} does not apply on {} ({}).",
        report.to,
        files.join(", "),
    );
    if let Some(attribution) = &report.stopped_attribution {
        let lines = attribution_lines(attribution, &report.from, &report.to, Some(3));
        eprint!("{}", indented(&lines, 1));
    }
    eprintln!("Resolve it in custom-source/{project} (edit, `git add`), then {recover}.");
}

fn start_upgrade(
    context: &Context,
    ws: &Workspace,
    args: Args,
    series: &str,
    progress: &dyn Progress,
) -> Result<ExitCode> {
    let mut releases = Vec::new();
    for given in &args.release {
        let Some((project, version)) = given
            .split_once('=')
            .filter(|(p, v)| !p.is_empty() && !v.is_empty())
        else {
            return Err(Error::Usage(format!(
                "--release {given}: write PROJECT=VERSION (`placement=14.0.1`)"
            )));
        };
        releases.push((project.to_string(), version.to_string()));
    }
    let options = UpgradeOptions {
        series: series.to_string(),
        projects: args.project.into_iter().collect(),
        pick: if args.first {
            Pick::First
        } else {
            Pick::Latest
        },
        releases,
        keep: args.keep,
        dry_run: args.dry_run,
    };
    if !args.json {
        // The mapping first: it is what the upgrade is about to do.
        let (series, mapping) = upgrade::plan(ws, &options)?;
        print!("{}", mapping_text(&series, &mapping, args.dry_run));
    }
    let report = upgrade::start(ws, &options, progress)?;
    upgrade_output(context, ws, &report, args.json)
}

/// `--continue`, `--skip` or `--abort` while an upgrade is in progress.
fn run_upgrade_step(
    context: &Context,
    ws: &Workspace,
    args: &Args,
    progress: &dyn Progress,
) -> Result<ExitCode> {
    let named = args.project.as_deref();
    if args.abort {
        let aborted = upgrade::abort(ws, named)?;
        if args.json {
            print_json(&aborted);
            return Ok(ExitCode::SUCCESS);
        }
        let series = &aborted.series;
        let mut lines = vec![format!(
            "upgrade to {} ({}) aborted",
            series.number, series.name
        )];
        if let Some(project) = &aborted.undone {
            lines.push(format!(
                "  {project}: rebase undone; patch repo and custom-source/{project} are as they were"
            ));
        }
        for done in aborted.kept.iter().filter(|f| !f.already) {
            lines.push(format!(
                "  {}: stays on {} (upgraded from {}; `verda-patch rebase {} --to {}` moves it back)",
                done.project, done.to, done.from, done.project, done.from
            ));
        }
        for project in &aborted.untouched {
            lines.push(format!("  {project}: not reached, unchanged"));
        }
        context.say(lines.join("\n"));
        return Ok(ExitCode::SUCCESS);
    }
    let report = upgrade::resume(ws, named, args.skip, progress)?;
    if !args.json {
        print!(
            "{}",
            mapping_text(&report.series, &report.mapping, report.dry_run)
        );
    }
    upgrade_output(context, ws, &report, args.json)
}

pub(super) fn mapping_text(series: &Series, mapping: &[Mapped], dry_run: bool) -> String {
    let mut out = String::new();
    let verb = if dry_run { "would upgrade" } else { "upgrade" };
    let _ = writeln!(out, "{verb} to {} ({}):", series.number, series.name);
    for m in mapping {
        let note = if m.from == m.to {
            " (already there)"
        } else {
            ""
        };
        let _ = writeln!(out, "  {:<20} {} -> {}{note}", m.project, m.from, m.to);
    }
    out
}

/// Print an upgrade's report (each finished project, then the stop), write
/// its Markdown when it finished; exit 3 on a stop.
fn upgrade_output(
    context: &Context,
    ws: &Workspace,
    report: &UpgradeReport,
    json: bool,
) -> Result<ExitCode> {
    if json {
        print_json(report);
    } else {
        for done in &report.projects {
            print!("{}", finished_text(done, report.dry_run));
        }
        if let Some(stopped) = &report.stopped {
            print!("{}", text(stopped));
        }
    }
    if let Some(file) = &report.report_file {
        let markdown_file = file.with_extension("md");
        verda_patch::fsutil::write_atomic(&markdown_file, upgrade_markdown(report).as_bytes())?;
        context.say(format!("report: {}", ws.rel(&markdown_file)));
    }
    match &report.stopped {
        Some(stopped) => {
            let stop = stopped
                .stopped
                .as_ref()
                .expect("a stopped report names its stop");
            conflict_message(
                stopped,
                stop,
                journal::sequence_recover(Kind::Upgrade, &stopped.project),
            );
            Ok(ExitCode::from(3))
        }
        None => {
            let conflicts = report
                .projects
                .iter()
                .flat_map(|p| &p.results)
                .filter(|r| matches!(r.outcome, Outcome::Conflict { .. }))
                .count();
            if report.dry_run && conflicts > 0 {
                eprintln!(
                    "{conflicts} patch(es) would conflict on {}",
                    report.series.number
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(super) fn finished_text(done: &Finished, dry_run: bool) -> String {
    if done.already {
        return format!("{}: already on {}\n", done.project, done.to);
    }
    project_text(&Section::from(done), dry_run)
}

fn upgrade_markdown(report: &UpgradeReport) -> String {
    let mut out = String::new();
    let series = &report.series;
    let _ = writeln!(
        out,
        "# Upgrade to {} ({})\n\n| project | from | to |\n|---|---|---|",
        series.number, series.name
    );
    for m in &report.mapping {
        let _ = writeln!(out, "| {} | {} | {} |", m.project, m.from, m.to);
    }
    for done in report.projects.iter().filter(|d| !d.already) {
        out.push('\n');
        out.push_str(&project_markdown(&Section::from(done)));
    }
    out
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
fn resolution_lines(project: &str, to: &str, r: &resolutions::Report) -> Vec<String> {
    let dir = format!("patches/{project}/.resolutions");
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
            "pruned resolution {dir}/{pruned} (unused, last used before {to})"
        ));
    }
    lines
}

pub fn text(report: &Report) -> String {
    project_text(&Section::from(report), report.dry_run)
}

/// One project's part of a report: of a rebase, or of an upgrade's
/// finished project.
struct Section<'a> {
    project: &'a str,
    from: &'a str,
    to: &'a str,
    results: &'a [PatchResult],
    constraints: Option<&'a str>,
    resolutions: &'a resolutions::Report,
}

impl<'a> From<&'a Report> for Section<'a> {
    fn from(r: &'a Report) -> Self {
        Section {
            project: &r.project,
            from: &r.from,
            to: &r.to,
            results: &r.results,
            constraints: r.constraints.as_deref(),
            resolutions: &r.resolutions,
        }
    }
}

impl<'a> From<&'a Finished> for Section<'a> {
    fn from(f: &'a Finished) -> Self {
        Section {
            project: &f.project,
            from: &f.from,
            to: &f.to,
            results: &f.results,
            constraints: f.constraints.as_deref(),
            resolutions: &f.resolutions,
        }
    }
}

fn project_text(section: &Section, dry_run: bool) -> String {
    let Section {
        project,
        from,
        to,
        results,
        constraints,
        resolutions,
    } = *section;
    let mut out = String::new();
    let verb = if dry_run { "would rebase" } else { "rebase" };
    let _ = writeln!(out, "{project}: {verb} {from} -> {to}");
    for r in results {
        let _ = writeln!(out, "  {:<44} {}", r.path, describe(&r.outcome));
        if let Some(attribution) = &r.attribution {
            let lines = attribution_lines(attribution, from, to, None);
            out.push_str(&indented(&lines, 2));
        }
    }
    if let Some(constraints) = constraints {
        let _ = writeln!(out, "  {constraints}");
    }
    for line in resolution_lines(project, to, resolutions) {
        let _ = writeln!(out, "  {line}");
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
                if commit.root {
                    trailers.push(
                        "a root commit: the history before it is not in the mirror".to_string(),
                    );
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
    project_markdown(&Section::from(report))
}

fn project_markdown(section: &Section) -> String {
    let Section {
        project,
        from,
        to,
        results,
        constraints,
        resolutions,
    } = *section;
    let mut out = String::new();
    let _ = writeln!(out, "# Rebase of {project} from {from} to {to}\n");
    let _ = writeln!(out, "| patch | subject | outcome |\n|---|---|---|");
    for r in results {
        let subject = r.subject.replace('|', "\\|");
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            r.path,
            subject,
            describe(&r.outcome)
        );
    }
    let conflicted: Vec<_> = results
        .iter()
        .filter_map(|r| Some((r, r.attribution.as_ref()?)))
        .collect();
    if !conflicted.is_empty() {
        let _ = writeln!(out, "\n## Why patches conflicted\n");
        for (r, attribution) in conflicted {
            let _ = writeln!(out, "* `{}`", r.path);
            for (level, line) in attribution_lines(attribution, from, to, None) {
                let _ = writeln!(out, "{}* {line}", "  ".repeat(level + 1));
            }
        }
    }
    if let Some(constraints) = constraints {
        let _ = writeln!(out, "\n{constraints}");
    }
    let resolutions = resolution_lines(project, to, resolutions);
    if !resolutions.is_empty() {
        let _ = writeln!(out, "\n## Recorded resolutions\n");
        for line in resolutions {
            let _ = writeln!(out, "* {line}");
        }
    }
    out
}
