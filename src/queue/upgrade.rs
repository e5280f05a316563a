//! `rebase --to <series>`: a series-wide upgrade. Every project of the
//! manifest (or the one named) is mapped to its release in that OpenStack
//! series through the releases snapshot (`upstream::releases`), then the
//! projects are rebased one after the other, each by the ordinary
//! `rebase` (its own journal record, backup and report), under one record
//! of the upgrade (`.verda/journal/.upgrade.json`, see `journal.rs`): the
//! mapping, how far it got and what each finished project's rebase did.
//!
//! It stops at the first conflict, in the project it is at;
//! `rebase --continue` (or `--skip`) finishes that project's rebase and
//! goes on with the rest. `rebase --abort` undoes the rebase of the project
//! it stopped in, byte for byte, and ends the upgrade: projects it finished
//! stay on their new release (each is a complete rebase, reported), those
//! it had not reached stay where they were. Running `rebase --to <series>`
//! again takes up the rest (a project already on its release is passed).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::journal::{self, Kind, Record};
use super::rebase::{self, PatchResult, RebaseOptions, Report};
use super::resolutions;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::manifest::Workspace;
use crate::progress::Progress;
use crate::upstream::releases::{Pick, Releases, Series};
use crate::upstream::version_key;

/// One project's place in the upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapped {
    pub project: String,
    /// Its deliverable in the releases snapshot (`None`: given by `--release`).
    pub deliverable: Option<String>,
    pub from: String,
    pub to: String,
}

/// A project the upgrade is done with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finished {
    pub project: String,
    pub from: String,
    pub to: String,
    /// Already on its release: nothing was done.
    pub already: bool,
    pub results: Vec<PatchResult>,
    /// The project's own rebase report (JSON).
    pub report_file: Option<PathBuf>,
    /// What became of its test constraints.
    pub constraints: Option<String>,
    /// The recorded resolutions its rebase used, wrote and pruned.
    #[serde(default)]
    pub resolutions: resolutions::Report,
}

impl Finished {
    fn of(report: Report) -> Finished {
        Finished {
            already: false,
            project: report.project,
            from: report.from,
            to: report.to,
            results: report.results,
            report_file: report.report_file,
            constraints: report.constraints,
            resolutions: report.resolutions,
        }
    }
}

/// The upgrade's own state in its journal record.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    series: Series,
    mapping: Vec<Mapped>,
    /// How many projects of `mapping` are done.
    done: usize,
    finished: Vec<Finished>,
    keep: Vec<String>,
}

/// What the command reports: the mapping, every finished project, and
/// the rebase it stopped in.
#[derive(Debug, Serialize)]
pub struct UpgradeReport {
    pub series: Series,
    pub mapping: Vec<Mapped>,
    pub projects: Vec<Finished>,
    /// The rebase it stopped in (on a conflict), with its report.
    pub stopped: Option<Report>,
    pub dry_run: bool,
    /// The report written when the upgrade finished (JSON; the CLI writes
    /// the Markdown beside it).
    pub report_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct UpgradeOptions {
    /// A series name or number of the snapshot (`flamingo`, `2025.2`).
    pub series: String,
    /// Only these projects (default: every project of the manifest).
    pub projects: Vec<String>,
    pub pick: Pick,
    /// (project, release): instead of the snapshot's.
    pub releases: Vec<(String, String)>,
    pub keep: Vec<String>,
    pub dry_run: bool,
}

/// The series `name` names in the releases snapshot, if it is one (a
/// release version is not).
pub fn series(ws: &Workspace, name: &str) -> Result<Option<Series>> {
    Ok(Releases::load(ws)?.series(name).cloned())
}

/// What `rebase [PROJECT] --to <to>` means: the series `to` names, unless
/// `project` is named and is no deliverable of the snapshot (then `to` is
/// one of its releases, even one spelled like a series: a tag `2025.2`).
pub fn series_for(ws: &Workspace, to: &str, project: Option<&str>) -> Result<Option<Series>> {
    let releases = Releases::load(ws)?;
    let Some(series) = releases.series(to) else {
        return Ok(None);
    };
    if let Some(project) = project {
        if releases
            .deliverable_of(project, ws.project(project)?)
            .is_none()
        {
            return Ok(None);
        }
    }
    Ok(Some(series.clone()))
}

/// Every selected project and the release it moves to. A project the
/// snapshot cannot map (no deliverable, no final release in the series)
/// is an error naming it and the way out, before anything starts.
pub fn plan(ws: &Workspace, options: &UpgradeOptions) -> Result<(Series, Vec<Mapped>)> {
    let releases = Releases::load(ws)?;
    let series = releases.series(&options.series).cloned().ok_or_else(|| {
        Error::Usage(format!(
            "`{}` is not a series of the releases snapshot; known: {}",
            options.series,
            releases
                .series
                .iter()
                .map(|s| format!("{} ({})", s.number, s.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    for (project, _) in &options.releases {
        if !options.projects.is_empty() && !options.projects.contains(project) {
            return Err(Error::Usage(format!(
                "--release {project}=…: `{project}` is not one of the projects being upgraded"
            )));
        }
        ws.project(project)?;
    }
    let mut mapping = Vec::new();
    for project in ws.select(&options.projects)? {
        let spec = ws.project(&project)?;
        let given = options.releases.iter().find(|(p, _)| *p == project);
        let deliverable = releases.deliverable_of(&project, spec).map(str::to_string);
        let to = match (given, &deliverable) {
            (Some((_, release)), _) => release.clone(),
            (None, Some(d)) => releases
                .release_in(d, &series.number, options.pick)
                .map(str::to_string)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "the releases snapshot has no final release of {d} (project `{project}`) in {} ({}); \
                         name one with --release {project}=VERSION, or run `verda-patch releases refresh`",
                        series.number, series.name
                    ))
                })?,
            (None, None) => {
                return Err(Error::Usage(format!(
                    "project `{project}` is no deliverable of the releases snapshot; set \
                     `deliverable = \"…\"` in [projects.{project}], name its release with \
                     --release {project}=VERSION, or leave it out by naming the projects to upgrade"
                )));
            }
        };
        // Never backwards: a pin already past the series' pick stays.
        let to = match &deliverable {
            Some(d) if given.is_none() => {
                let same_series =
                    releases.series_of(d, &spec.pin).map(|s| &s.number) == Some(&series.number);
                if same_series && version_key(&spec.pin) > version_key(&to) {
                    spec.pin.clone()
                } else {
                    to
                }
            }
            _ => to,
        };
        mapping.push(Mapped {
            project,
            deliverable: given.is_none().then_some(deliverable).flatten(),
            from: spec.pin.clone(),
            to,
        });
    }
    Ok((series, mapping))
}

/// Start the upgrade (or forecast it, with `dry_run`: every project's
/// rebase dry-run, nothing written).
pub fn start(
    ws: &Workspace,
    options: &UpgradeOptions,
    progress: &dyn Progress,
) -> Result<UpgradeReport> {
    let (series, mapping) = plan(ws, options)?;
    if options.dry_run {
        let mut projects = Vec::new();
        for mapped in mapping.iter().filter(|m| m.from != m.to) {
            let rebase_options = RebaseOptions {
                to: mapped.to.clone(),
                dry_run: true,
                keep: options.keep.clone(),
            };
            let report = rebase::start(ws, &mapped.project, &rebase_options, progress)?;
            projects.push(Finished::of(report));
        }
        return Ok(UpgradeReport {
            series,
            mapping,
            projects,
            stopped: None,
            dry_run: true,
            report_file: None,
        });
    }
    for mapped in &mapping {
        drop(journal::guard(ws, &mapped.project, Kind::Upgrade, false)?);
    }
    let first = mapping
        .first()
        .map(|m| m.project.clone())
        .unwrap_or_default();
    let mut record = journal::new_upgrade(
        &first,
        State {
            series,
            mapping,
            done: 0,
            finished: Vec::new(),
            keep: options.keep.clone(),
        },
    );
    journal::save_upgrade(ws, &record)?;
    crate::crash_point("upgrade-started");
    run(ws, &mut record, progress)
}

/// Whether an upgrade is in progress (then `rebase --continue`, `--skip`
/// and `--abort` are its).
pub fn in_progress(ws: &Workspace) -> Result<bool> {
    Ok(journal::load_upgrade::<State>(ws)?.is_some())
}

/// The upgrade in progress, for `status`: its series, the project it is
/// in (0-based) and how many projects it maps.
pub fn pending(ws: &Workspace) -> Result<Option<(Series, usize, usize)>> {
    Ok(journal::load_upgrade::<State>(ws)?
        .map(|r| (r.payload.series, r.payload.done, r.payload.mapping.len())))
}

fn expect(ws: &Workspace) -> Result<Record<State>> {
    journal::load_upgrade(ws)?.ok_or_else(|| Error::Usage("no upgrade is in progress".into()))
}

/// Rebase the projects from `done` on, until one stops or all are done.
fn run(
    ws: &Workspace,
    record: &mut Record<State>,
    progress: &dyn Progress,
) -> Result<UpgradeReport> {
    while record.payload.done < record.payload.mapping.len() {
        let mapped = record.payload.mapping[record.payload.done].clone();
        record.project = mapped.project.clone();
        journal::save_upgrade(ws, record)?;
        let ws = Workspace::load(&ws.root)?;
        let pin = ws.project(&mapped.project)?.pin.clone();
        let finished = if pin == mapped.to {
            // Already there, or its rebase finished before the upgrade
            // could note it (killed in between): then its report says how.
            finished_before(&ws, &mapped)
        } else {
            let options = RebaseOptions {
                to: mapped.to.clone(),
                dry_run: false,
                keep: record.payload.keep.clone(),
            };
            let report = rebase::start(&ws, &mapped.project, &options, progress)?;
            if report.stopped.is_some() {
                return Ok(stopped(record, report));
            }
            crate::crash_point("upgrade-project-rebased");
            Finished::of(report)
        };
        note_finished(&ws, record, finished)?;
    }
    finish(ws, record)
}

/// A project found on its release: what its rebase by this upgrade
/// reported (killed before the upgrade noted it), else already there.
fn finished_before(ws: &Workspace, mapped: &Mapped) -> Finished {
    /// The part of a rebase report the upgrade's report repeats.
    #[derive(Deserialize)]
    struct Saved {
        results: Vec<PatchResult>,
        constraints: Option<String>,
        #[serde(default)]
        resolutions: resolutions::Report,
    }
    let file = ws.state_dir().join("reports").join(format!(
        "rebase-{}-{}-to-{}.json",
        mapped.project, mapped.from, mapped.to
    ));
    let saved = (mapped.from != mapped.to)
        .then(|| std::fs::read(&file).ok())
        .flatten()
        .and_then(|bytes| serde_json::from_slice::<Saved>(&bytes).ok());
    Finished {
        project: mapped.project.clone(),
        from: mapped.from.clone(),
        to: mapped.to.clone(),
        already: saved.is_none(),
        report_file: saved.is_some().then_some(file),
        constraints: saved.as_ref().and_then(|s| s.constraints.clone()),
        resolutions: saved
            .as_ref()
            .map(|s| s.resolutions.clone())
            .unwrap_or_default(),
        results: saved.map(|s| s.results).unwrap_or_default(),
    }
}

fn note_finished(ws: &Workspace, record: &mut Record<State>, finished: Finished) -> Result<()> {
    record.payload.finished.push(finished);
    record.payload.done += 1;
    journal::save_upgrade(ws, record)?;
    crate::crash_point("upgrade-project-done");
    Ok(())
}

fn stopped(record: &Record<State>, report: Report) -> UpgradeReport {
    let state = &record.payload;
    UpgradeReport {
        series: state.series.clone(),
        mapping: state.mapping.clone(),
        projects: state.finished.clone(),
        stopped: Some(report),
        dry_run: false,
        report_file: None,
    }
}

/// Every project done: write the one report and forget the upgrade.
fn finish(ws: &Workspace, record: &Record<State>) -> Result<UpgradeReport> {
    let state = &record.payload;
    let file = ws
        .state_dir()
        .join("reports")
        .join(format!("upgrade-{}.json", state.series.number));
    let report = UpgradeReport {
        series: state.series.clone(),
        mapping: state.mapping.clone(),
        projects: state.finished.clone(),
        stopped: None,
        dry_run: false,
        report_file: Some(file.clone()),
    };
    fsutil::write_atomic(
        &file,
        &serde_json::to_vec_pretty(&report).expect("plain data serialises"),
    )?;
    journal::end_upgrade(ws)?;
    Ok(report)
}

/// The project the upgrade is at, checked against the one named.
fn current(record: &Record<State>, named: Option<&str>) -> Result<String> {
    let at = record.project.clone();
    match named {
        Some(project) if project != at => Err(Error::Usage(format!(
            "the upgrade to {} is at `{at}`, not `{project}`; run `verda-patch rebase --continue` (or name `{at}`)",
            record.payload.series.number
        ))),
        _ => Ok(at),
    }
}

/// `--continue` (`skip`: `--skip`): finish the rebase of the project it
/// stopped in, then go on with the rest.
pub fn resume(
    ws: &Workspace,
    named: Option<&str>,
    skip: bool,
    progress: &dyn Progress,
) -> Result<UpgradeReport> {
    let mut record = expect(ws)?;
    let project = current(&record, named)?;
    if rebase::load(ws, &project)?.is_some() {
        let report = match skip {
            true => rebase::skip(ws, &project, progress)?,
            false => rebase::resume(ws, &project, progress)?,
        };
        if report.stopped.is_some() {
            return Ok(stopped(&record, report));
        }
        let ws = Workspace::load(&ws.root)?;
        note_finished(&ws, &mut record, Finished::of(report))?;
    }
    run(ws, &mut record, progress)
}

/// What `--abort` did.
#[derive(Debug, Serialize)]
pub struct Aborted {
    pub series: Series,
    /// The project whose rebase was undone, if one was under way.
    pub undone: Option<String>,
    /// Projects the upgrade finished: they stay on their new release.
    pub kept: Vec<Finished>,
    /// Projects it had not reached: unchanged.
    pub untouched: Vec<String>,
}

/// `--abort`: undo the rebase of the project it stopped in (byte for
/// byte, like `rebase --abort`) and end the upgrade; the projects it
/// finished stay upgraded.
pub fn abort(ws: &Workspace, named: Option<&str>) -> Result<Aborted> {
    let record = expect(ws)?;
    let project = current(&record, named)?;
    let undone = match rebase::load(ws, &project)? {
        Some(_) => {
            rebase::abort(ws, &project)?;
            Some(project)
        }
        None => None,
    };
    journal::end_upgrade(ws)?;
    let state = record.payload;
    let untouched = state.mapping[state.done..]
        .iter()
        .map(|m| m.project.clone())
        .filter(|p| Some(p) != undone.as_ref())
        .collect();
    Ok(Aborted {
        series: state.series,
        undone,
        kept: state.finished,
        untouched,
    })
}
