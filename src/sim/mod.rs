//! `sim`: the bundled scheduler and quota patches against a simulated
//! fleet, upstream vs patched, with real nova code.
//!
//! Rust generates the fleet from a profile (`profile`), writes the harness
//! (`sim/harness.py`, embedded) to `.verda/sim/`, and runs it in the
//! project's cached virtualenv once per variant: on the pinned upstream tree
//! and on `custom-source/<project>`. `report` turns the runs into the model
//! every output is rendered from.

pub mod profile;
pub mod report;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::error::{Error, IoContext, Result};
use crate::fsutil;
use crate::manifest::Workspace;
use crate::progress::Progress;
use crate::python::{Venv, venv_with};
use crate::queue::apply::{ApplyOptions, apply};
use crate::queue::custom_source;
use crate::upstream::Upstream;
use profile::{Fleet, Profile};
use report::{Report, ScalePoint};

/// The harness, written next to the fleet files at run time.
pub const HARNESS: &str = include_str!("../../sim/harness.py");

/// The variants, in the order they run.
pub const VARIANTS: [&str; 3] = ["upstream", "weigher-cache", "weigh-first"];

/// Instances per burst in the upstream run that `--skip-upstream` measures
/// and extrapolates from.
pub const UPSTREAM_SAMPLE: usize = 20;

/// What the harness needs beside nova's own requirements: placement of the
/// 2025.1 series (nova 31's), in process behind wsgi-intercept, as nova's
/// functional tests run it. Pinned further by the project's constraints.
pub const SIM_PACKAGES: [&str; 2] = ["openstack-placement>=13.0.0,<14", "wsgi-intercept"];

/// Build `custom-source/<project>` as `apply` would when it does not exist
/// yet; leave an existing one as it is. A directory that verda-patch did
/// not make is refused (by `apply`'s own check), never touched.
///
/// Returns whether it was built. Errors: those of `apply`.
pub fn ensure_custom_source(
    ws: &Workspace,
    project: &str,
    progress: &dyn Progress,
) -> Result<bool> {
    if custom_source::open(ws, project)?.is_some() {
        return Ok(false);
    }
    let _lock = crate::lock::Lock::acquire(ws, "apply")?;
    progress.note(&format!(
        "custom-source/{project} is not built yet: applying the queue first"
    ));
    apply(ws, project, ApplyOptions::default(), progress)?;
    Ok(true)
}

/// Where and with what the harness runs.
pub struct Setup {
    pub python: PathBuf,
    pub upstream_tree: PathBuf,
    pub patched_tree: PathBuf,
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// Do not run upstream at full size: extrapolate it from a small run.
    pub skip_upstream: bool,
    /// Host counts for the scaling curve (empty: none).
    pub scale: Vec<usize>,
}

/// One harness run, as it reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct HarnessRun {
    pub variant: String,
    pub nova_module_path: String,
    pub has_pci_quota: bool,
    pub filter_calls: u64,
    pub weigher_calls: u64,
    pub filter_violations: u64,
    /// Each violation: the host, and the filters it failed at claim time.
    #[serde(default)]
    pub violations: Vec<serde_json::Value>,
    /// `real` or `fake`.
    pub placement: String,
    /// openstack-placement's version (real placement only).
    #[serde(default)]
    pub placement_version: Option<String>,
    pub max_placement_results: u64,
    pub workers: usize,
    /// Starting placement and loading the fleet into it (not part of any
    /// call's time).
    #[serde(default)]
    pub placement_setup_seconds: f64,
    /// Claims made (PUT /allocations, or the fake's check) and those
    /// placement refused (the scheduler then tried the next host); of the
    /// refused, those refused for a concurrent update (409 with
    /// `placement.concurrent_update`; the rest were over capacity).
    pub claims: u64,
    pub claims_refused: u64,
    pub claim_conflicts: u64,
    /// The first refusals (at most 5), as placement worded them.
    #[serde(default)]
    pub claim_refusals: Vec<String>,
    /// Hosts whose state ended past a capacity (CPU, RAM, disk at the
    /// allocation ratios, PCI devices), and providers whose usage placement
    /// reports past its capacity (real placement only).
    pub over_allocated_hosts: u64,
    pub placement_over_allocated_providers: u64,
    /// Instances the conductor's quota recheck refused after scheduling
    /// (their allocations deleted, never built).
    #[serde(default)]
    pub quota_recheck_refused: u64,
    /// Instances a compute could not build on the host chosen for them
    /// (its record had no room left, or a device was taken): each
    /// `{"host", "instance", "reason"}`.
    #[serde(default)]
    pub build_failures: Vec<serde_json::Value>,
    /// `ImagePropertiesWeigher` calls that returned a non-zero weight.
    #[serde(default)]
    pub image_weights_nonzero: u64,
    /// Claims whose allocation request was not the instance's own (not its
    /// flavor's resources or devices): must be 0.
    #[serde(default)]
    pub claims_mismatched: u64,
    /// PCI devices tracked in placement (`[pci] report_in_placement`,
    /// `[filter_scheduler] pci_in_placement`).
    #[serde(default)]
    pub pci_in_placement: bool,
    pub calls: Vec<report::Call>,
    pub held: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>,
}

/// Everything the harness needs: the venv, the upstream tree of the pin,
/// custom-source, and the harness file itself.
pub fn prepare(ws: &Workspace, project: &str, progress: &dyn Progress) -> Result<Setup> {
    let spec = ws.project(project)?;
    let test = spec.test.clone().ok_or_else(|| {
        Error::Usage(format!(
            "verda-patch.toml has no [projects.{project}.test] table: sim runs in its virtualenv"
        ))
    })?;
    ensure_custom_source(ws, project, progress)?;
    let patched_tree = ws.custom_source(project);
    let env: Venv = venv_with(ws, project, &test, &patched_tree, &SIM_PACKAGES, progress)?;
    let dir = ws.state_dir().join("sim");
    let upstream = Upstream::open(ws, project)?;
    let pin = upstream.resolve(ws, &spec.pin, progress)?;
    let tree = upstream.mirror.tree_of(pin)?;
    let upstream_tree = dir.join(format!("upstream-{}", spec.pin));
    let marker = upstream_tree.join(".verda-tree");
    let current = std::fs::read_to_string(&marker).unwrap_or_default();
    if current.trim() != tree.to_string() {
        progress.begin(&format!("writing {project} {} for import", spec.pin), None);
        let building = dir.join(format!("upstream-{}.building", spec.pin));
        for stale in [&building, &upstream_tree] {
            if stale.exists() {
                std::fs::remove_dir_all(stale).at(stale)?;
            }
        }
        upstream.mirror.write_tree_to(tree, &building)?;
        fsutil::write_atomic(&building.join(".verda-tree"), tree.to_string().as_bytes())?;
        std::fs::rename(&building, &upstream_tree).at(&upstream_tree)?;
        progress.end();
    }
    fsutil::write_atomic(&dir.join("harness.py"), HARNESS.as_bytes())?;
    Ok(Setup {
        python: env.python(),
        upstream_tree,
        patched_tree,
        dir,
    })
}

/// Run every variant on the profile's fleet (and, with `scale`, on fleets of
/// those sizes) and build the report.
pub fn simulate(
    setup: &Setup,
    profile: &Profile,
    profile_name: &str,
    options: &SimOptions,
    progress: &dyn Progress,
) -> Result<Report> {
    let runs = run_variants(setup, profile, options, progress)?;
    let mut report = Report::new(profile, profile_name, runs);
    for &hosts in &options.scale {
        let sized = Profile {
            hosts,
            ..profile.clone()
        };
        let runs = if hosts == profile.hosts {
            report.runs.clone()
        } else {
            Report::new(
                &sized,
                profile_name,
                run_variants(setup, &sized, options, progress)?,
            )
            .runs
        };
        report.scale.extend(runs.iter().map(|run| ScalePoint {
            hosts,
            variant: run.variant.clone(),
            seconds: run.seconds,
            extrapolated: run.extrapolated,
        }));
    }
    Ok(report)
}

fn run_variants(
    setup: &Setup,
    profile: &Profile,
    options: &SimOptions,
    progress: &dyn Progress,
) -> Result<Vec<report::Measured>> {
    let fleet = profile.generate();
    let mut runs = Vec::new();
    for variant in VARIANTS {
        let tree = if variant == "upstream" {
            &setup.upstream_tree
        } else {
            &setup.patched_tree
        };
        if variant == "upstream" && options.skip_upstream {
            let sample = Profile {
                instances: profile.instances.min(UPSTREAM_SAMPLE),
                ..profile.clone()
            };
            let run = run_harness(setup, tree, variant, &sample.generate(), progress)?;
            runs.push(report::Measured {
                run,
                sample_of: Some(fleet.requests.iter().map(|r| r.max_count).collect()),
            });
        } else {
            let run = run_harness(setup, tree, variant, &fleet, progress)?;
            runs.push(report::Measured {
                run,
                sample_of: None,
            });
        }
    }
    Ok(runs)
}

#[derive(Deserialize)]
struct Event {
    placed: u64,
}

/// Run the harness once; progress is the number of instances placed.
pub fn run_harness(
    setup: &Setup,
    tree: &Path,
    variant: &str,
    fleet: &Fleet,
    progress: &dyn Progress,
) -> Result<HarnessRun> {
    let hosts = fleet.hosts.len();
    let fleet_file = setup.dir.join(format!("fleet-{hosts}.json"));
    let result_file = setup.dir.join(format!("result-{variant}-{hosts}.json"));
    let json = serde_json::to_vec(fleet).expect("plain data serialises");
    fsutil::write_atomic(&fleet_file, &json)?;
    let _ = std::fs::remove_file(&result_file);
    let total: u64 = fleet.requests.iter().map(|r| r.max_count).sum();
    progress.begin(&format!("{variant} on {hosts} hosts"), Some(total));
    let mut child = Command::new(&setup.python)
        .arg(setup.dir.join("harness.py"))
        .arg(tree)
        .arg(variant)
        .arg(&fleet_file)
        .arg(&result_file)
        .env("PYTHONPATH", tree)
        // Placement orders its candidates by sets of strings before it cuts
        // them to nova's limit: the same string hashes in every run, so that
        // every variant meets the same candidates.
        .env("PYTHONHASHSEED", (fleet.seed % 4_294_967_295).to_string())
        .current_dir(&setup.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Error::Refused(format!(
                "cannot run the sim harness with {}: {e}",
                setup.python.display()
            ))
        })?;
    let mut other = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let line = line.at(&setup.dir)?;
            match serde_json::from_str::<Event>(&line) {
                Ok(event) => progress.set(event.placed),
                Err(_) => other.push(line),
            }
        }
    }
    let status = child.wait().at(&setup.dir)?;
    progress.end();
    if !status.success() {
        let tail = other.len().saturating_sub(20);
        return Err(Error::Refused(format!(
            "the sim harness failed for {variant} ({}):\n{}",
            tree.display(),
            other[tail..].join("\n")
        )));
    }
    let bytes = fsutil::read(&result_file)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::invalid(
            &result_file,
            None,
            format!("unreadable harness result: {e}"),
        )
    })
}
