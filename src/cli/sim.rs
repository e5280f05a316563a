use std::path::PathBuf;
use std::process::ExitCode;

use verda_patch::sim::profile::{DEFAULT_PROFILE, Profile};
use verda_patch::sim::report::{Report, render_html};
use verda_patch::sim::{SimOptions, prepare, simulate};
use verda_patch::{Error, Result, fsutil};

use super::{Context, print_json};

/// Run the bundled scheduler and quota patches against a simulated fleet:
/// real nova code, upstream vs patched.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch sim                                  the default profile, real placement in process\n  verda-patch sim --hosts 2000 --instances 650     the field incident (placement returns at most 1000 hosts)\n  verda-patch sim --hosts 2000 --instances 650 --max-placement-results 2000\n  verda-patch sim --hosts 10000 --instances 5000 --skip-upstream --placement fake\n  verda-patch sim --workers 4                      4 scheduler requests at once, one placement\n  verda-patch sim --scale 250,500,1000,2000 --report sim.html\n\nA fresh clone needs no `apply` first: sim builds custom-source when it is missing.\n\nVariants: upstream (the pinned release), weigher-cache ([filter_scheduler] weigher_cache),\nweigh-first ([filter_scheduler] scheduling_strategy = weigh-first), both on custom-source."
)]
pub struct Args {
    /// The project (default: the only one).
    project: Option<String>,
    /// A fleet profile (TOML; see sim/profiles/). Default: the embedded one.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// Hypervisors (overrides the profile).
    #[arg(long)]
    hosts: Option<usize>,
    /// Instances per burst request (overrides the profile).
    #[arg(long)]
    instances: Option<usize>,
    /// Seed of the fleet (overrides the profile).
    #[arg(long)]
    seed: Option<u64>,
    /// Also run these host counts for the scaling curve, e.g. 250,500,1000.
    #[arg(long, value_delimiter = ',', value_name = "HOSTS,…")]
    scale: Vec<usize>,
    /// Do not run upstream at full size: extrapolate its time from a small
    /// run (labelled; placements are then not compared).
    #[arg(long)]
    skip_upstream: bool,
    /// Placement: `real` (openstack-placement in process, SQLite) or `fake`
    /// (every host with room, no database: fast, for very large fleets;
    /// labelled in every output).
    #[arg(long, value_parser = ["real", "fake"], default_value = "real")]
    placement: String,
    /// Scheduler requests served at once, on one shared request stream
    /// (overrides the profile; default 1).
    #[arg(long)]
    workers: Option<usize>,
    /// `[scheduler] max_placement_results` (overrides the profile; nova's
    /// default 1000).
    #[arg(long, value_name = "N")]
    max_placement_results: Option<u64>,
    /// Write the HTML report (with charts) to FILE.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let project = context.project(&ws, args.project)?;
    let (mut profile, name) = match &args.profile {
        Some(path) => {
            let text = String::from_utf8_lossy(&fsutil::read(path)?).into_owned();
            (Profile::parse(&text, path)?, path.display().to_string())
        }
        None => (
            Profile::parse(DEFAULT_PROFILE, std::path::Path::new("default"))?,
            "default".to_string(),
        ),
    };
    if let Some(hosts) = args.hosts {
        profile.hosts = hosts;
    }
    if let Some(instances) = args.instances {
        profile.instances = instances;
    }
    if let Some(seed) = args.seed {
        profile.seed = seed;
    }
    if let Some(workers) = args.workers {
        profile.scheduler.workers = workers;
    }
    if let Some(limit) = args.max_placement_results {
        profile.scheduler.max_placement_results = limit;
    }
    profile.scheduler.placement = args.placement.clone();
    if profile.hosts == 0 || profile.instances == 0 || args.scale.contains(&0) {
        return Err(Error::Usage(
            "hosts and instances must be at least 1".into(),
        ));
    }
    if profile.scheduler.workers == 0 || profile.scheduler.max_placement_results == 0 {
        return Err(Error::Usage(
            "--workers and --max-placement-results must be at least 1".into(),
        ));
    }
    let progress = context.progress();
    let setup = prepare(&ws, &project, progress.as_ref())?;
    let options = SimOptions {
        skip_upstream: args.skip_upstream,
        scale: args.scale,
    };
    if !args.json {
        let scheduler = &profile.scheduler;
        context.say(format!(
            "{project} sim: {} hosts, bursts of {} instances, profile {name} (seed {}); \
             placement {}{}, max_placement_results {}, {} worker{}",
            profile.hosts,
            profile.instances,
            profile.seed,
            scheduler.placement,
            if scheduler.placement == "fake" {
                " (FAKE: every host with room, no claims database)"
            } else {
                " (openstack-placement in process)"
            },
            scheduler.max_placement_results,
            scheduler.workers,
            if scheduler.workers == 1 { "" } else { "s" }
        ));
    }
    let report = simulate(&setup, &profile, &name, &options, progress.as_ref())?;
    if let Some(path) = &args.report {
        fsutil::write_atomic(path, render_html(&report).as_bytes())?;
    }
    if args.json {
        print_json(&report);
    } else {
        print_text(context, &ws, &report);
        if let Some(path) = &args.report {
            context.say(format!("report: {}", path.display()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(context: &Context, ws: &verda_patch::manifest::Workspace, report: &Report) {
    context.say(format!(
        "{:<14} {:>9} {:>9} {:>9} {:>7} {:>11} {:>11} {:>9} {:>12} {:>13} {:>10}",
        "variant",
        "seconds",
        "slowest",
        "speedup",
        "cpu",
        "scheduled",
        "identical",
        "timed out",
        "filter calls",
        "weigher calls",
        "violations"
    ));
    for run in &report.runs {
        context.say(format!(
            "{:<14} {:>9} {:>9.3} {:>9} {:>7} {:>11} {:>11} {:>9} {:>12} {:>13} {:>10}",
            run.variant,
            format!(
                "{:.3}{}",
                run.seconds,
                if run.extrapolated { "*" } else { "" }
            ),
            run.slowest_call_seconds,
            match (run.speedup_vs_upstream, run.slowest_call_speedup) {
                (Some(all), Some(slowest)) => format!("{all:.0}x/{slowest:.0}x"),
                _ => "-".into(),
            },
            run.slowest_call_cpu_speedup
                .map_or_else(|| "-".into(), |x| format!("{x:.0}x")),
            format!("{}/{}", run.scheduled, run.requested),
            match (run.identical_to_upstream, run.compared_to_upstream) {
                (Some(same), Some(all)) => format!("{same}/{all}"),
                _ => "-".into(),
            },
            if run.timed_out { "YES" } else { "no" },
            run.filter_calls,
            run.weigher_calls,
            run.filter_violations
        ));
    }
    context.say(
        "speedup: all calls / the slowest call, against upstream (wall time, end to end: \
         placement included); cpu: the slowest call's CPU time, against upstream's",
    );
    context.say(format!(
        "{:<14} {:>9} {:>9} {:>10} {:>10} {:>8} {:>8} {:>9} {:>9} {:>7}",
        "variant",
        "placement",
        "limit",
        "scheduler",
        "placement",
        "sched-x",
        "cands",
        "claims",
        "refused",
        "over"
    ));
    for run in &report.runs {
        context.say(format!(
            "{:<14} {:>9} {:>9} {:>10.3} {:>10.3} {:>8} {:>8} {:>9} {:>9} {:>7}",
            run.variant,
            if run.placement == "fake" {
                "FAKE"
            } else {
                "real"
            },
            run.max_placement_results,
            run.scheduler_seconds,
            run.placement_seconds,
            run.slowest_call_scheduler_speedup
                .map_or_else(|| "-".into(), |x| format!("{x:.0}x")),
            run.max_candidates
                .map_or_else(|| "-".into(), |x| x.to_string()),
            run.claims,
            run.claims_refused,
            run.over_allocated_hosts + run.placement_over_allocated_providers
        ));
    }
    context.say(
        "scheduler / placement: seconds of all calls in the scheduler's own work and in placement; \
         sched-x: the slowest call's scheduler-only time against upstream's; cands: the most hosts \
         placement returned to a call; over: hosts past a capacity (must be 0)",
    );
    if let Some(run) = report.runs.first() {
        if run.workers > 1 {
            context.say(format!(
                "{} workers at once: placements are not deterministic and are not compared with upstream's",
                run.workers
            ));
        }
        if run.placement == "fake" {
            context.say(
                "FAKE placement: candidates are every host with room (one per host), claims \
                 checked against its own books (hosts and devices); placement's own time is not \
                 measured",
            );
        }
    }
    context.say(format!(
        "{:<14} {:>8} {:>9} {:>14} {:>11} {:>13}",
        "variant",
        "built",
        "rechecked",
        "build failures",
        "over (hosts/placement)",
        "image weights"
    ));
    for run in &report.runs {
        context.say(format!(
            "{:<14} {:>8} {:>9} {:>14} {:>11} {:>13}",
            run.variant,
            run.built,
            run.quota_recheck_refused,
            run.build_failures.len() as u64 + run.claims_mismatched,
            format!(
                "{}/{}",
                run.over_allocated_hosts, run.placement_over_allocated_providers
            ),
            run.image_weights_nonzero
        ));
    }
    context.say(
        "built: instances the computes built; rechecked: instances the conductor's quota \
         recheck refused after scheduling (allocations deleted); build failures: a host the \
         compute found full or a device taken, or a claim not of the instance's own resources (must be 0); PCI devices are claimed in placement; \
         image weights: ImagePropertiesWeigher calls with a non-zero weight",
    );
    if report.runs.iter().any(|r| r.extrapolated) {
        context.say("* extrapolated from a small upstream run (--skip-upstream)");
    }
    context.say(format!(
        "timeouts: rpc_response_timeout {} s, long_rpc_timeout {} s",
        report.rpc_response_timeout, report.long_rpc_timeout
    ));
    let gpu: Vec<_> = report
        .runs
        .iter()
        .flat_map(|r| r.gpu.iter().map(move |g| (r, g)))
        .collect();
    if !gpu.is_empty() {
        context.say("GPU quota:");
        for (run, g) in gpu {
            context.say(format!(
                "  {:<14} {} {}: {} held{}, {} request(s) accepted ({} then refused by the recheck), {} refused{}",
                run.variant,
                g.project,
                g.alias,
                g.held,
                g.limit.map(|l| format!(" of {l}")).unwrap_or_default(),
                g.requests_accepted,
                g.requests_refused_on_recheck,
                g.requests_refused,
                if g.over_allocation > 0 {
                    format!(", OVER QUOTA by {}", g.over_allocation)
                } else {
                    String::new()
                }
            ));
        }
    }
    if !report.scale.is_empty() {
        context.say("scale (seconds):");
        let mut hosts: Vec<usize> = report.scale.iter().map(|p| p.hosts).collect();
        hosts.dedup();
        for h in hosts {
            let row: Vec<String> = report
                .scale
                .iter()
                .filter(|p| p.hosts == h)
                .map(|p| {
                    format!(
                        "{} {:.3}{}",
                        p.variant,
                        p.seconds,
                        if p.extrapolated { "*" } else { "" }
                    )
                })
                .collect();
            context.say(format!("  {h:>6} hosts: {}", row.join(", ")));
        }
    }
    context.say("nova imported from:");
    for run in &report.runs {
        context.say(format!(
            "  {:<14} {}",
            run.variant,
            ws.rel(std::path::Path::new(&run.nova_module_path))
        ));
    }
}
