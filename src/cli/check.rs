use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::queue::build::How;
use verda_patch::queue::check::check;
use verda_patch::queue::lint::Severity;
use verda_patch::queue::rebase::{self, Outcome, PatchResult, RebaseOptions};
use verda_patch::queue::upgrade::{self, UpgradeOptions};
use verda_patch::upstream::releases::Pick;

use super::{Context, failed, print_json};

/// CI gate: every series applies on its pin; manifest, series and patches lint clean. Writes nothing.
#[derive(clap::Args)]
#[command(
    after_help = "Example:\n  verda-patch check nova   exit 1 if a patch no longer applies on the pin or a lint error is found"
)]
pub struct Args {
    /// Projects (default: all).
    projects: Vec<String>,
    /// Forecast: dry-run a rebase of each project to REL (a release or a
    /// branch tip; an OpenStack series such as `2025.2` maps each project to
    /// its newest release there, as `rebase --to 2025.2` does) and exit 1 if
    /// a patch would conflict. Writes nothing.
    #[arg(long, value_name = "REL|SERIES")]
    against: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    if let Some(release) = &args.against {
        return forecast(context, &args.projects, release, args.json);
    }
    let ws = context.workspace()?;
    let progress = context.progress();
    let mut results = Vec::new();
    for project in ws.select(&args.projects)? {
        let result = check(&ws, &project, progress.as_ref())?;
        if !args.json {
            for finding in &result.findings {
                let location = match finding.line {
                    Some(line) => format!("{}:{line}", finding.file),
                    None => finding.file.clone(),
                };
                let label = match finding.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                eprintln!("{label}: {location}: {}", finding.message);
            }
            let errors = result
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count();
            let warnings = result.findings.len() - errors;
            // A patch upstream already has changed nothing: it does not
            // count as applying.
            let already = result
                .applied
                .iter()
                .filter(|b| b.how == How::AlreadyApplied)
                .count();
            let noted = match already {
                0 => String::new(),
                n => format!(" ({n} already applied upstream)"),
            };
            context.say(format!(
                "{project}: {}/{} patches apply on {}{noted}; {errors} error(s), {warnings} warning(s)",
                result.applied.len() - already,
                result.patches,
                result.pin
            ));
        }
        results.push(result);
    }
    if args.json {
        print_json(&results);
    }
    if results.iter().all(|r| r.ok()) {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(failed())
    }
}

fn forecast(context: &Context, projects: &[String], release: &str, json: bool) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let progress = context.progress();
    if let Some(series) = upgrade::series(&ws, release)? {
        let options = UpgradeOptions {
            series: series.number,
            projects: projects.to_vec(),
            pick: Pick::Latest,
            releases: Vec::new(),
            keep: Vec::new(),
            dry_run: true,
        };
        let report = upgrade::start(&ws, &options, progress.as_ref())?;
        if json {
            print_json(&report);
        } else {
            print!(
                "{}",
                super::rebase::mapping_text(&report.series, &report.mapping, true)
            );
            for project in &report.projects {
                print!("{}", super::rebase::finished_text(project, true));
            }
        }
        let results = report.projects.iter().flat_map(|p| &p.results);
        return Ok(conflicts_verdict(results, release));
    }
    let options = RebaseOptions {
        to: release.to_string(),
        dry_run: true,
        keep: Vec::new(),
    };
    let mut reports = Vec::new();
    for project in ws.select(projects)? {
        let report = rebase::start(&ws, &project, &options, progress.as_ref())?;
        if !json {
            print!("{}", super::rebase::text(&report));
        }
        reports.push(report);
    }
    if json {
        print_json(&reports);
    }
    Ok(conflicts_verdict(
        reports.iter().flat_map(|r| &r.results),
        release,
    ))
}

/// Exit 1 when a forecast patch would conflict.
fn conflicts_verdict<'a>(
    results: impl Iterator<Item = &'a PatchResult>,
    release: &str,
) -> ExitCode {
    let conflicts = results
        .filter(|r| matches!(r.outcome, Outcome::Conflict { .. }))
        .count();
    if conflicts > 0 {
        eprintln!("error: {conflicts} patch(es) would conflict on {release}");
        return failed();
    }
    ExitCode::SUCCESS
}
