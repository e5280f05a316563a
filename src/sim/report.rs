//! The sim report: one model built from the harness runs, rendered as a
//! text table (by the CLI), JSON, and HTML with inline SVG charts (a
//! template over `Html`, every string escaped by the template engine).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::HarnessRun;
use super::profile::Profile;

/// One `select_destinations`-level call as the harness reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Call {
    pub request: usize,
    pub project: String,
    pub flavor: String,
    pub min_count: u64,
    pub max_count: u64,
    /// Instances the quota check allowed (0 when refused).
    pub allowed: u64,
    pub quota_error: Option<String>,
    pub scheduled: u64,
    /// Wall time of select_destinations, less the harness's own checks
    /// during the call (`harness_seconds`); none when the quota refused.
    pub seconds: Option<f64>,
    /// The harness's own work during the call (re-checking every chosen
    /// host against the filters, progress), taken out of `seconds`.
    #[serde(default)]
    pub harness_seconds: f64,
    /// Of `seconds`: time in placement (allocation candidates, claims,
    /// waiting for placement) and the rest, the scheduler's own work
    /// (filter, weigh, consume).
    #[serde(default)]
    pub placement_seconds: Option<f64>,
    #[serde(default)]
    pub scheduler_seconds: Option<f64>,
    /// Hosts placement returned as candidates (at most
    /// max_placement_results); none when placement was not asked.
    #[serde(default)]
    pub candidates: Option<u64>,
    /// CPU time of the call (the harness's own work taken out): unlike the
    /// wall time, hardly changed by other work on the machine.
    #[serde(default)]
    pub cpu_seconds: Option<f64>,
    /// Allocation requests placement returned (with PCI in placement one
    /// host can supply many; nova's limit counts these).
    #[serde(default)]
    pub allocation_requests: Option<u64>,
    /// NoValidHost and the like.
    pub error: Option<String>,
    /// The conductor's quota recheck refused the scheduled instances.
    #[serde(default)]
    pub recheck_error: Option<String>,
    /// Instances the computes built (after the recheck).
    #[serde(default)]
    pub built: u64,
    /// Per instance: the chosen host, then the alternates.
    pub hosts: Vec<Vec<String>>,
}

/// A harness run before comparison; `sample_of` holds the real request
/// sizes when the run was a small upstream sample to extrapolate from.
pub struct Measured {
    pub run: HarnessRun,
    pub sample_of: Option<Vec<u64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub profile: String,
    pub seed: u64,
    pub hosts: usize,
    pub instances: usize,
    pub rpc_response_timeout: f64,
    pub long_rpc_timeout: f64,
    pub runs: Vec<Run>,
    /// Scheduling time per host count and variant (`--scale`).
    pub scale: Vec<ScalePoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub variant: String,
    /// `real` (openstack-placement in process) or `fake`.
    pub placement: String,
    pub placement_version: Option<String>,
    pub max_placement_results: u64,
    pub workers: usize,
    /// Starting placement and loading the fleet (outside every call).
    pub placement_setup_seconds: f64,
    /// Placements are compared with upstream's only when deterministic:
    /// one worker and host_subset_size 1 without shuffling.
    pub deterministic: bool,
    /// The `nova` package the harness imported.
    pub nova_module_path: String,
    /// Sum of the select_destinations calls' wall times, end to end (what
    /// the RPC callers wait for: placement included).
    pub seconds: f64,
    pub slowest_call_seconds: f64,
    /// Of `seconds`: the scheduler's own work (filter, weigh, consume) and
    /// placement's (allocation candidates, claims).
    pub scheduler_seconds: f64,
    pub placement_seconds: f64,
    /// The scheduler's own part of the slowest call, and upstream's over
    /// it: the scheduler-only ratio, beside the end-to-end one.
    pub slowest_call_scheduler_seconds: f64,
    pub slowest_call_scheduler_speedup: Option<f64>,
    /// The most hosts placement returned to one call (capped by
    /// max_placement_results).
    pub max_candidates: Option<u64>,
    /// Claims made, refused by placement (the next host was tried), and of
    /// those refused for a concurrent update.
    pub claims: u64,
    pub claims_refused: u64,
    pub claim_conflicts: u64,
    /// The first refusals (at most 5), as placement worded them.
    pub claim_refusals: Vec<String>,
    /// Hosts past a capacity at the end, as the scheduler's host states
    /// and as placement's usages say (must both be 0).
    pub over_allocated_hosts: u64,
    pub placement_over_allocated_providers: u64,
    /// Instances the conductor's quota recheck refused after scheduling.
    pub quota_recheck_refused: u64,
    /// Instances a compute could not build where the scheduler put them.
    pub build_failures: Vec<serde_json::Value>,
    /// Instances built (scheduled and past the recheck).
    pub built: u64,
    /// `ImagePropertiesWeigher` calls with a non-zero weight.
    pub image_weights_nonzero: u64,
    /// Claims whose allocation request was not the instance's own.
    pub claims_mismatched: u64,
    /// PCI devices tracked (and claimed) in placement.
    pub pci_in_placement: bool,
    /// `seconds` extrapolated from a smaller upstream run (`--skip-upstream`).
    pub extrapolated: bool,
    pub speedup_vs_upstream: Option<f64>,
    /// Upstream's slowest call over this run's: the call that times out.
    pub slowest_call_speedup: Option<f64>,
    /// CPU time of the slowest call (by wall time), and upstream's over it:
    /// the speedup least disturbed by other work on the machine.
    pub slowest_call_cpu_seconds: f64,
    pub slowest_call_cpu_speedup: Option<f64>,
    pub requested: u64,
    pub scheduled: u64,
    /// Instances whose host and alternates equal upstream's, of those both
    /// scheduled in requests of the same size (a request the quota cut down
    /// is not compared); none when upstream did not run at full size.
    pub identical_to_upstream: Option<u64>,
    pub compared_to_upstream: Option<u64>,
    /// A call took longer than rpc_response_timeout.
    pub timed_out: bool,
    pub calls_over_rpc_response_timeout: usize,
    pub calls_over_long_rpc_timeout: usize,
    pub filter_calls: u64,
    pub weigher_calls: u64,
    /// Selected hosts that failed an enabled filter when re-checked.
    pub filter_violations: u64,
    /// Each: `{"host", "instance", "filters"}` (the filters it failed).
    pub violations: Vec<serde_json::Value>,
    pub no_valid_host: usize,
    /// Whether this nova has the PCI device quota.
    pub pci_quota: bool,
    pub gpu: Vec<GpuQuota>,
    pub calls: Vec<Call>,
}

/// GPU quota decisions of one project for one alias in one run.
#[derive(Debug, Clone, Serialize)]
pub struct GpuQuota {
    pub project: String,
    pub alias: String,
    pub limit: Option<i64>,
    pub held: u64,
    pub requests_accepted: usize,
    pub requests_refused: usize,
    /// Accepted by the API's check, then refused by the conductor's
    /// recheck (concurrent requests).
    pub requests_refused_on_recheck: usize,
    /// Devices held beyond the limit.
    pub over_allocation: u64,
    pub first_refusal: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScalePoint {
    pub hosts: usize,
    pub variant: String,
    pub seconds: f64,
    pub extrapolated: bool,
}

impl Report {
    pub fn new(profile: &Profile, name: &str, measured: Vec<Measured>) -> Report {
        let upstream = measured
            .iter()
            .find(|m| m.run.variant == "upstream" && m.sample_of.is_none())
            .map(|m| m.run.calls.clone());
        let mut runs: Vec<Run> = measured
            .into_iter()
            .map(|m| build_run(profile, m, upstream.as_deref()))
            .collect();
        let base = runs.iter().find(|r| r.variant == "upstream").map(|r| {
            (
                r.seconds,
                r.slowest_call_seconds,
                r.slowest_call_cpu_seconds,
                r.slowest_call_scheduler_seconds,
            )
        });
        for run in &mut runs {
            if let Some((total, slowest, slowest_cpu, slowest_scheduler)) =
                base.filter(|_| run.variant != "upstream")
            {
                let ratio = |base: f64, this: f64| (this > 0.0 && base > 0.0).then(|| base / this);
                run.speedup_vs_upstream = ratio(total, run.seconds);
                run.slowest_call_speedup = ratio(slowest, run.slowest_call_seconds);
                run.slowest_call_cpu_speedup = ratio(slowest_cpu, run.slowest_call_cpu_seconds);
                run.slowest_call_scheduler_speedup =
                    ratio(slowest_scheduler, run.slowest_call_scheduler_seconds);
            }
        }
        Report {
            profile: name.to_string(),
            seed: profile.seed,
            hosts: profile.hosts,
            instances: profile.instances,
            rpc_response_timeout: profile.rpc_response_timeout,
            long_rpc_timeout: profile.long_rpc_timeout,
            runs,
            scale: Vec::new(),
        }
    }
}

fn build_run(profile: &Profile, measured: Measured, upstream: Option<&[Call]>) -> Run {
    let Measured { run, sample_of } = measured;
    // Extrapolation: a call's time grows linearly with its instances (each
    // instance filters and weighs every host once).
    let scaled = |c: &Call, seconds: f64| match &sample_of {
        Some(full) if c.max_count > 0 => seconds * full[c.request] as f64 / c.max_count as f64,
        _ => seconds,
    };
    let times: Vec<f64> = run
        .calls
        .iter()
        .map(|c| scaled(c, c.seconds.unwrap_or(0.0)))
        .collect();
    let seconds = times.iter().sum();
    let slowest = times.iter().copied().fold(0.0, f64::max);
    let slowest_call = run
        .calls
        .iter()
        .zip(&times)
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(c, _)| c);
    let slowest_cpu = slowest_call
        .map(|c| scaled(c, c.cpu_seconds.unwrap_or(0.0)))
        .unwrap_or(0.0);
    let slowest_scheduler = slowest_call
        .map(|c| scaled(c, c.scheduler_seconds.or(c.seconds).unwrap_or(0.0)))
        .unwrap_or(0.0);
    let scheduler_seconds = run
        .calls
        .iter()
        .map(|c| scaled(c, c.scheduler_seconds.or(c.seconds).unwrap_or(0.0)))
        .sum();
    let placement_seconds = run
        .calls
        .iter()
        .map(|c| scaled(c, c.placement_seconds.unwrap_or(0.0)))
        .sum();
    let deterministic = run.workers == 1
        && profile.scheduler.host_subset_size == 1
        && !profile.scheduler.shuffle_best_same_weighed_hosts
        && !profile.scheduler.randomize_allocation_candidates;
    let over = |limit: f64| times.iter().filter(|t| **t > limit).count();
    let (identical, compared) = match (upstream, &sample_of) {
        (Some(base), None) if run.variant != "upstream" && deterministic => {
            let mut identical = 0;
            let mut compared = 0;
            // Only the same request can be placed the same: a request the
            // patched quota cut down (max_count lowered) is not compared.
            for (a, b) in base.iter().zip(&run.calls) {
                if a.allowed != b.allowed {
                    continue;
                }
                for (x, y) in a.hosts.iter().zip(&b.hosts) {
                    compared += 1;
                    identical += u64::from(x == y);
                }
            }
            (Some(identical), Some(compared))
        }
        _ => (None, None),
    };
    let gpu = gpu_quota(profile, &run);
    Run {
        variant: run.variant.clone(),
        placement: run.placement.clone(),
        placement_version: run.placement_version.clone(),
        max_placement_results: run.max_placement_results,
        workers: run.workers,
        placement_setup_seconds: run.placement_setup_seconds,
        deterministic,
        nova_module_path: run.nova_module_path.clone(),
        seconds,
        slowest_call_seconds: slowest,
        scheduler_seconds,
        placement_seconds,
        slowest_call_scheduler_seconds: slowest_scheduler,
        slowest_call_scheduler_speedup: None,
        max_candidates: run.calls.iter().filter_map(|c| c.candidates).max(),
        claims: run.claims,
        claims_refused: run.claims_refused,
        claim_conflicts: run.claim_conflicts,
        claim_refusals: run.claim_refusals.clone(),
        over_allocated_hosts: run.over_allocated_hosts,
        placement_over_allocated_providers: run.placement_over_allocated_providers,
        quota_recheck_refused: run.quota_recheck_refused,
        build_failures: run.build_failures.clone(),
        built: run.calls.iter().map(|c| c.built).sum(),
        image_weights_nonzero: run.image_weights_nonzero,
        claims_mismatched: run.claims_mismatched,
        pci_in_placement: run.pci_in_placement,
        extrapolated: sample_of.is_some(),
        speedup_vs_upstream: None,
        slowest_call_speedup: None,
        slowest_call_cpu_seconds: slowest_cpu,
        slowest_call_cpu_speedup: None,
        // As run: an extrapolated run reports the sample's instances.
        requested: run.calls.iter().map(|c| c.max_count).sum(),
        scheduled: run.calls.iter().map(|c| c.scheduled).sum(),
        identical_to_upstream: identical,
        compared_to_upstream: compared,
        timed_out: over(profile.rpc_response_timeout) > 0,
        calls_over_rpc_response_timeout: over(profile.rpc_response_timeout),
        calls_over_long_rpc_timeout: over(profile.long_rpc_timeout),
        filter_calls: run.filter_calls,
        weigher_calls: run.weigher_calls,
        filter_violations: run.filter_violations,
        violations: run.violations.clone(),
        no_valid_host: run.calls.iter().filter(|c| c.error.is_some()).count(),
        pci_quota: run.has_pci_quota,
        gpu,
        calls: run.calls,
    }
}

/// Per project and alias: GPU requests accepted and refused, devices held
/// at the end against the profile's limit.
fn gpu_quota(profile: &Profile, run: &HarnessRun) -> Vec<GpuQuota> {
    let aliases_of = |flavor: &str| -> Vec<String> {
        profile
            .flavors
            .iter()
            .find(|f| f.name == flavor)
            .and_then(|f| f.pci_alias.as_deref())
            .map(|spec| {
                spec.split(',')
                    .filter_map(|s| s.split(':').next())
                    .map(|s| s.trim().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut rows: BTreeMap<(String, String), GpuQuota> = BTreeMap::new();
    let mut row = |project: &str, alias: &str| -> (String, String) {
        let key = (project.to_string(), alias.to_string());
        rows.entry(key.clone()).or_insert_with(|| GpuQuota {
            project: project.to_string(),
            alias: alias.to_string(),
            limit: profile.gpu_limit(project, alias),
            held: 0,
            requests_accepted: 0,
            requests_refused: 0,
            requests_refused_on_recheck: 0,
            over_allocation: 0,
            first_refusal: None,
        });
        key
    };
    let mut keys = Vec::new();
    for project in &profile.projects {
        for alias in project.gpu_quota.keys() {
            keys.push(row(&project.id, alias));
        }
    }
    for call in &run.calls {
        for alias in aliases_of(&call.flavor) {
            keys.push(row(&call.project, &alias));
        }
    }
    for call in &run.calls {
        for alias in aliases_of(&call.flavor) {
            let entry = rows
                .get_mut(&(call.project.clone(), alias))
                .expect("row made above");
            if call.quota_error.is_some() {
                entry.requests_refused += 1;
                if entry.first_refusal.is_none() {
                    entry.first_refusal = call.quota_error.clone();
                }
            } else {
                entry.requests_accepted += 1;
                if call.recheck_error.is_some() {
                    entry.requests_refused_on_recheck += 1;
                }
            }
        }
    }
    for entry in rows.values_mut() {
        entry.held = run
            .held
            .get(&entry.project)
            .and_then(|h| h.get(&entry.alias))
            .copied()
            .unwrap_or(0);
        entry.over_allocation = entry
            .limit
            .map(|limit| entry.held.saturating_sub(limit.max(0) as u64))
            .unwrap_or(0);
    }
    rows.into_values().collect()
}

// ---- HTML ------------------------------------------------------------------

const TEMPLATE: &str = include_str!("../../templates/sim.html");

/// Chart geometry, computed here so the template only places elements.
#[derive(Debug, Serialize)]
struct Html<'a> {
    report: &'a Report,
    time_chart: TimeChart,
    gpu_chart: GpuChart,
}

#[derive(Debug, Serialize)]
struct TimeChart {
    width: f64,
    height: f64,
    series: Vec<Series>,
    x_ticks: Vec<Tick>,
    y_ticks: Vec<Tick>,
    timeouts: Vec<Tick>,
    x_label: String,
}

#[derive(Debug, Serialize)]
struct Series {
    variant: String,
    color: &'static str,
    path: String,
    points: Vec<Point>,
}

#[derive(Debug, Serialize)]
struct Point {
    x: f64,
    y: f64,
    label: String,
    hollow: bool,
}

#[derive(Debug, Serialize)]
struct Tick {
    pos: f64,
    label: String,
}

#[derive(Debug, Serialize)]
struct GpuChart {
    width: f64,
    height: f64,
    groups: Vec<GpuGroup>,
    y_ticks: Vec<Tick>,
}

#[derive(Debug, Serialize)]
struct GpuGroup {
    label: String,
    x: f64,
    bars: Vec<Bar>,
    limit_y: Option<f64>,
    limit_label: String,
    width: f64,
}

#[derive(Debug, Serialize)]
struct Bar {
    x: f64,
    y: f64,
    height: f64,
    color: &'static str,
    label: String,
    over: bool,
}

fn color(variant: &str) -> &'static str {
    match variant {
        "upstream" => "#c0392b",
        "weigher-cache" => "#2471a3",
        _ => "#229954",
    }
}

const LEFT: f64 = 70.0;
const TOP: f64 = 20.0;
const PLOT_W: f64 = 560.0;
const PLOT_H: f64 = 280.0;

fn seconds_label(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.0} s")
    } else if s >= 0.01 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{:.1} ms", s * 1000.0)
    }
}

fn time_chart(report: &Report) -> TimeChart {
    // The scale points, or the single measured point per variant.
    let points: Vec<ScalePoint> = if report.scale.is_empty() {
        report
            .runs
            .iter()
            .map(|r| ScalePoint {
                hosts: report.hosts,
                variant: r.variant.clone(),
                seconds: r.seconds,
                extrapolated: r.extrapolated,
            })
            .collect()
    } else {
        report.scale.clone()
    };
    let mut hosts: Vec<usize> = points.iter().map(|p| p.hosts).collect();
    hosts.sort_unstable();
    hosts.dedup();
    // Host counts on a true logarithmic axis: the usual doublings
    // (250, 500, 1000, …) come out evenly spaced, anything else where it is.
    let (first, last) = (
        hosts.first().copied().unwrap_or(1).max(1) as f64,
        hosts.last().copied().unwrap_or(1).max(1) as f64,
    );
    let x_of = |h: usize| -> f64 {
        if last > first {
            LEFT + PLOT_W * ((h.max(1) as f64).ln() - first.ln()) / (last.ln() - first.ln())
        } else {
            LEFT + PLOT_W / 2.0
        }
    };
    // Log scale over whole decades covering the points and the RPC timeout.
    let positive = points.iter().map(|p| p.seconds.max(1e-3));
    let lo = positive.clone().fold(f64::INFINITY, f64::min).min(1.0);
    let hi = positive
        .fold(0.0, f64::max)
        .max(report.rpc_response_timeout * 1.5);
    let (d0, d1) = (lo.log10().floor(), hi.log10().ceil());
    let y_of = |s: f64| TOP + PLOT_H * (1.0 - (s.max(1e-3).log10() - d0) / (d1 - d0));
    let series = super::VARIANTS
        .iter()
        .filter_map(|variant| {
            let mine: Vec<&ScalePoint> = points.iter().filter(|p| p.variant == *variant).collect();
            if mine.is_empty() {
                return None;
            }
            let pts: Vec<Point> = mine
                .iter()
                .map(|p| Point {
                    x: x_of(p.hosts),
                    y: y_of(p.seconds),
                    label: format!(
                        "{variant}, {} hosts: {}{}",
                        p.hosts,
                        seconds_label(p.seconds),
                        if p.extrapolated {
                            " (extrapolated)"
                        } else {
                            ""
                        }
                    ),
                    hollow: p.extrapolated,
                })
                .collect();
            let path = pts
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, p.x, p.y))
                .collect::<Vec<_>>()
                .join(" ");
            Some(Series {
                variant: variant.to_string(),
                color: color(variant),
                path,
                points: pts,
            })
        })
        .collect();
    let y_ticks = (d0 as i32..=d1 as i32)
        .map(|d| {
            let s = 10f64.powi(d);
            Tick {
                pos: y_of(s),
                label: seconds_label(s),
            }
        })
        .collect();
    let timeouts = [
        (report.rpc_response_timeout, "rpc_response_timeout"),
        (report.long_rpc_timeout, "long_rpc_timeout"),
    ]
    .into_iter()
    .filter(|(t, _)| *t <= 10f64.powf(d1))
    .map(|(t, name)| Tick {
        pos: y_of(t),
        label: format!("{name} {}", seconds_label(t)),
    })
    .collect();
    TimeChart {
        width: LEFT + PLOT_W + 40.0,
        height: TOP + PLOT_H + 50.0,
        series,
        x_ticks: hosts
            .iter()
            .map(|h| Tick {
                pos: x_of(*h),
                label: h.to_string(),
            })
            .collect(),
        y_ticks,
        timeouts,
        x_label: format!(
            "hypervisors, log scale ({} instances per burst)",
            report.instances
        ),
    }
}

fn gpu_chart(report: &Report) -> GpuChart {
    let mut keys: Vec<(String, String)> = Vec::new();
    for run in &report.runs {
        for g in &run.gpu {
            let key = (g.project.clone(), g.alias.clone());
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let top = report
        .runs
        .iter()
        .flat_map(|r| &r.gpu)
        .map(|g| g.held.max(g.limit.unwrap_or(0).max(0) as u64))
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.15;
    let y_of = |v: f64| TOP + PLOT_H * (1.0 - v / top);
    let group_w = PLOT_W / keys.len().max(1) as f64;
    let bar_w = (group_w * 0.8 / report.runs.len().max(1) as f64).min(60.0);
    let groups = keys
        .iter()
        .enumerate()
        .map(|(i, (project, alias))| {
            let x = LEFT + group_w * i as f64;
            let span = bar_w * report.runs.len() as f64;
            let start = x + (group_w - span) / 2.0;
            let mut limit = None;
            let bars = report
                .runs
                .iter()
                .enumerate()
                .filter_map(|(j, run)| {
                    let g = run
                        .gpu
                        .iter()
                        .find(|g| &g.project == project && &g.alias == alias)?;
                    limit = g.limit;
                    let y = y_of(g.held as f64);
                    Some(Bar {
                        x: start + bar_w * j as f64,
                        y,
                        height: TOP + PLOT_H - y,
                        color: color(&run.variant),
                        label: format!(
                            "{}: {} {alias} held{}, {} request(s) accepted, {} refused",
                            run.variant,
                            g.held,
                            match g.limit {
                                Some(l) => format!(" of {l}"),
                                None => String::new(),
                            },
                            g.requests_accepted,
                            g.requests_refused
                        ),
                        over: g.over_allocation > 0,
                    })
                })
                .collect();
            GpuGroup {
                label: format!("{project} · {alias}"),
                x: x + group_w / 2.0,
                bars,
                limit_y: limit.map(|l| y_of(l as f64)),
                limit_label: limit.map(|l| format!("quota {l}")).unwrap_or_default(),
                width: span + 16.0,
            }
        })
        .collect();
    let step = (top / 5.0).ceil().max(1.0);
    let y_ticks = (0..)
        .map(|i| i as f64 * step)
        .take_while(|v| *v <= top)
        .map(|v| Tick {
            pos: y_of(v),
            label: format!("{v:.0}"),
        })
        .collect();
    GpuChart {
        width: LEFT + PLOT_W + 40.0,
        height: TOP + PLOT_H + 50.0,
        groups,
        y_ticks,
    }
}

/// The self-contained HTML report.
pub fn render_html(report: &Report) -> String {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("sim.html", TEMPLATE)
        .expect("the embedded template parses");
    let model = Html {
        report,
        time_chart: time_chart(report),
        gpu_chart: gpu_chart(report),
    };
    env.get_template("sim.html")
        .and_then(|t| t.render(minijinja::value::Serde(&model)))
        .expect("the embedded template renders the report model")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(project: &str, flavor: &str, hosts: &[&str], quota_error: Option<&str>) -> Call {
        Call {
            request: 0,
            project: project.into(),
            flavor: flavor.into(),
            min_count: 1,
            max_count: hosts.len().max(1) as u64,
            allowed: hosts.len() as u64,
            quota_error: quota_error.map(str::to_string),
            scheduled: hosts.len() as u64,
            seconds: Some(0.5),
            harness_seconds: 0.0,
            placement_seconds: Some(0.3),
            scheduler_seconds: Some(0.2),
            candidates: Some(2),
            cpu_seconds: Some(0.4),
            allocation_requests: Some(2),
            error: None,
            recheck_error: None,
            built: hosts.len() as u64,
            hosts: hosts.iter().map(|h| vec![h.to_string()]).collect(),
        }
    }

    fn measured(variant: &str, calls: Vec<Call>, held: u64) -> Measured {
        measured_with(variant, calls, held, 1)
    }

    fn measured_with(variant: &str, calls: Vec<Call>, held: u64, workers: usize) -> Measured {
        Measured {
            run: HarnessRun {
                variant: variant.into(),
                nova_module_path: format!("/x/{variant}/nova"),
                has_pci_quota: variant != "upstream",
                filter_calls: 1,
                weigher_calls: 1,
                filter_violations: 0,
                violations: Vec::new(),
                placement: "real".into(),
                placement_version: Some("13.0.1".into()),
                max_placement_results: 1000,
                workers,
                placement_setup_seconds: 1.0,
                claims: calls.iter().map(|c| c.scheduled).sum(),
                claims_refused: 0,
                claim_conflicts: 0,
                claim_refusals: Vec::new(),
                over_allocated_hosts: 0,
                placement_over_allocated_providers: 0,
                quota_recheck_refused: 0,
                build_failures: Vec::new(),
                image_weights_nonzero: 0,
                claims_mismatched: 0,
                pci_in_placement: true,
                calls,
                held: [(
                    "ml-research".to_string(),
                    [("a100".to_string(), held)].into(),
                )]
                .into(),
            },
            sample_of: None,
        }
    }

    #[test]
    fn compares_placements_and_counts_quota() {
        let profile = Profile::default_profile();
        let upstream = measured(
            "upstream",
            vec![call("ml-research", "g1.a100x2", &["h1", "h2"], None)],
            18,
        );
        let cache = measured(
            "weigher-cache",
            vec![call("ml-research", "g1.a100x2", &["h1", "h3"], None)],
            8,
        );
        let refused = measured(
            "weigh-first",
            vec![call(
                "ml-research",
                "g1.a100x2",
                &[],
                Some("Quota exceeded"),
            )],
            2,
        );
        let report = Report::new(&profile, "t", vec![upstream, cache, refused]);
        let [up, cache, first] = &report.runs[..] else {
            panic!("three runs")
        };
        assert_eq!(up.identical_to_upstream, None);
        assert_eq!(
            (cache.identical_to_upstream, cache.compared_to_upstream),
            (Some(1), Some(2))
        );
        // A request the quota cut down is not compared.
        assert_eq!(first.compared_to_upstream, Some(0));
        assert_eq!(up.gpu[0].over_allocation, 10);
        assert_eq!(cache.gpu[0].over_allocation, 0);
        assert_eq!(
            (
                first.gpu[0].requests_accepted,
                first.gpu[0].requests_refused
            ),
            (0, 1)
        );
        assert_eq!(cache.speedup_vs_upstream, Some(1.0));
    }

    #[test]
    fn splits_time_and_compares_only_deterministic_runs() {
        let profile = Profile::default_profile();
        let mut fast = call("ml-research", "g1.a100x2", &["h1", "h2"], None);
        fast.seconds = Some(0.35);
        fast.scheduler_seconds = Some(0.05);
        fast.placement_seconds = Some(0.3);
        let report = Report::new(
            &profile,
            "t",
            vec![
                measured(
                    "upstream",
                    vec![call("ml-research", "g1.a100x2", &["h1", "h2"], None)],
                    0,
                ),
                measured("weigher-cache", vec![fast.clone()], 0),
            ],
        );
        let cache = &report.runs[1];
        // End to end 0.5 / 0.35; scheduler only 0.2 / 0.05.
        assert_eq!(cache.slowest_call_speedup, Some(0.5 / 0.35));
        assert_eq!(cache.slowest_call_scheduler_speedup, Some(0.2 / 0.05));
        assert_eq!(
            (cache.scheduler_seconds, cache.placement_seconds),
            (0.05, 0.3)
        );
        assert_eq!(cache.max_candidates, Some(2));
        assert_eq!(cache.identical_to_upstream, Some(2));
        // Two workers: the order requests meet hosts is the threads'; the
        // same placements are not expected, so none are compared.
        let report = Report::new(
            &profile,
            "t",
            vec![
                measured_with(
                    "upstream",
                    vec![call("ml-research", "g1.a100x2", &["h1", "h2"], None)],
                    0,
                    2,
                ),
                measured_with("weigher-cache", vec![fast], 0, 2),
            ],
        );
        assert!(!report.runs[1].deterministic);
        assert_eq!(report.runs[1].identical_to_upstream, None);
    }

    #[test]
    fn html_escapes_every_string() {
        let profile = Profile::default_profile();
        let hostile = "<img src=x onerror=alert(1)>";
        let mut run = measured(
            "upstream",
            vec![call(hostile, "g1.a100x2", &["h1"], Some(hostile))],
            2,
        );
        run.run.nova_module_path = hostile.into();
        let report = Report::new(&profile, hostile, vec![run]);
        let html = render_html(&report);
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert_eq!(html.matches("<svg").count(), 2);
    }
}
