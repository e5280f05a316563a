//! `verda-patch sim` on the bundled nova queue, end to end: nova 31.0.0
//! from PyPI, the queue applied, the venv built with upper-constraints, and a
//! small simulation (sim/profiles/small.toml) run through the real nova code
//! of both trees. The invariants the patches promise are asserted on it.
//!
//! The download and the venv go to `$VERDA_PATCH_CACHE`, else to a cache
//! kept in the target directory, so only the first run pays for them.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cache() -> PathBuf {
    std::env::var_os("VERDA_PATCH_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| root().join("target"));
            target.join("sim-test-cache")
        })
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walk(from) {
        let rel = entry.strip_prefix(from).unwrap();
        let target = to.join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &target).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Python with venv and pip, or the reason there is none.
fn python_venv_missing() -> Option<String> {
    let output = Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .output();
    match output {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        Err(e) => Some(format!("python3: {e}")),
    }
}

fn verda(repo: &Path, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("verda-patch")
        .unwrap()
        .current_dir(repo)
        .args(args)
        .env("VERDA_PATCH_CACHE", cache())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
}

fn run<'a>(report: &'a Value, variant: &str) -> &'a Value {
    report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["variant"] == variant)
        .unwrap_or_else(|| panic!("no {variant} run in {report}"))
}

fn gpu<'a>(run: &'a Value, project: &str) -> &'a Value {
    run["gpu"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["project"] == project && g["alias"] == "a100")
        .unwrap_or_else(|| panic!("no GPU row for {project} in {run}"))
}

fn scratch_repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    std::fs::copy(
        root().join("verda-patch.toml"),
        repo.join("verda-patch.toml"),
    )
    .unwrap();
    copy_dir(&root().join("patches"), &repo.join("patches"));
    copy_dir(&root().join("constraints"), &repo.join("constraints"));
    tmp
}

fn sim_json(repo: &Path, extra: &[&str]) -> Value {
    let profile = root().join("sim/profiles/small.toml");
    let mut args = vec!["sim", "--profile", profile.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let output = verda(repo, &args);
    assert!(
        output.status.success(),
        "sim {extra:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The small simulation CI runs: real placement (openstack-placement in
/// process) with `max_placement_results` cut to 20 of the 60 hosts, one
/// worker, on a fresh clone (no `apply` first: `sim` builds custom-source).
#[test]
fn small_fleet_upstream_vs_patched() {
    // This test must run where CI runs it: without a Python that can build
    // the virtualenv it fails (it does not pass without having run).
    if let Some(why) = python_venv_missing() {
        panic!("the nova virtualenv cannot be built here ({why}); install python3-venv");
    }
    let tmp = scratch_repo();
    let repo = tmp.path();
    assert!(!repo.join("custom-source/nova").exists());
    let html = repo.join("sim.html");
    let report = sim_json(
        repo,
        &[
            "--max-placement-results",
            "20",
            "--report",
            html.to_str().unwrap(),
        ],
    );
    // sim applied the queue itself, as `apply` would.
    assert!(repo.join("custom-source/nova/.git").exists());
    assert_eq!(report["hosts"], 60);
    assert_eq!(report["instances"], 20);

    let upstream = run(&report, "upstream");
    let cache = run(&report, "weigher-cache");
    let first = run(&report, "weigh-first");

    // Each run imported the tree it was meant to.
    let path = |r: &Value| PathBuf::from(r["nova_module_path"].as_str().unwrap());
    assert!(path(upstream).ends_with(".verda/sim/upstream-31.0.0/nova"));
    assert!(path(cache).ends_with("custom-source/nova/nova"));
    assert!(path(first).ends_with("custom-source/nova/nova"));
    assert!(path(upstream).join("scheduler/manager.py").is_file());
    assert!(!path(upstream).join("scheduler/weigher_cache.py").exists());

    for r in [upstream, cache, first] {
        // Real placement of the 2025.1 series, nova's limit as configured.
        assert_eq!(r["placement"], "real", "{r}");
        assert!(
            r["placement_version"]
                .as_str()
                .is_some_and(|v| v.starts_with("13.")),
            "{}",
            r["placement_version"]
        );
        assert_eq!(r["max_placement_results"], 20);
        assert_eq!(r["workers"], 1);
        assert_eq!(r["deterministic"], true);
        // Every call that reached placement got at most `limit` hosts, and
        // the limit bit (60 hosts, most with room).
        let calls = r["calls"].as_array().unwrap();
        let candidates: Vec<u64> = calls
            .iter()
            .filter_map(|c| c["candidates"].as_u64())
            .collect();
        assert!(!candidates.is_empty(), "{r}");
        assert!(candidates.iter().all(|&n| n <= 20), "{candidates:?}");
        assert!(candidates.contains(&20), "{candidates:?}");
        assert_eq!(r["max_candidates"], 20);
        // Per call: end to end = scheduler + placement (the split adds up),
        // and every instance scheduled was claimed in placement.
        for c in calls.iter().filter(|c| !c["seconds"].is_null()) {
            let part = |k: &str| c[k].as_f64().unwrap();
            assert!(part("placement_seconds") > 0.0, "{c}");
            assert!(
                (part("scheduler_seconds") + part("placement_seconds") - part("seconds")).abs()
                    < 1e-9,
                "{c}"
            );
        }
        assert_eq!(r["claims"], r["scheduled"], "{r}");
        assert_eq!(r["claims_refused"], 0, "{r}");
        // PCI devices are in placement: a GPU request's candidates are
        // allocation requests naming devices, several per GPU host, and the
        // limit counts those.
        assert_eq!(r["pci_in_placement"], true, "{r}");
        let gpu_calls: Vec<&Value> = calls
            .iter()
            .filter(|c| c["flavor"] == "g1.a100x2" && !c["candidates"].is_null())
            .collect();
        assert!(!gpu_calls.is_empty(), "{r}");
        for c in &gpu_calls {
            let hosts = c["candidates"].as_u64().unwrap();
            let requests = c["allocation_requests"].as_u64().unwrap();
            assert!(requests <= 20 && requests > hosts, "{c}");
        }
        // One worker: the API's quota check sees every earlier instance,
        // so the conductor's recheck refuses nothing; every scheduled
        // instance is built where it was put.
        assert_eq!(r["quota_recheck_refused"], 0, "{r}");
        assert_eq!(r["build_failures"], serde_json::json!([]), "{r}");
        assert_eq!(r["built"], r["scheduled"], "{r}");
        // The multiplier is 0 (nova's default): the weigher weighs nothing.
        assert_eq!(r["image_weights_nonzero"], 0, "{r}");
        assert_eq!(r["over_allocated_hosts"], 0, "{r}");
        assert_eq!(r["placement_over_allocated_providers"], 0, "{r}");
        assert_eq!(r["filter_violations"], 0, "{r}");
        assert_eq!(r["timed_out"], false, "{r}");
        // The one request no hypervisor can take (x1.huge).
        assert_eq!(r["no_valid_host"], 1, "{r}");
    }
    // Upstream filters and weighs no more than the 20 candidates per
    // instance: 6 filters, each host once per instance.
    let instances = upstream["scheduled"].as_u64().unwrap() + 1;
    assert!(
        upstream["filter_calls"].as_u64().unwrap() <= instances * 20 * 6,
        "{upstream}"
    );

    // The weigher cache places every instance exactly as upstream does
    // (one worker: deterministic), with far fewer filter and weigher calls.
    // No wall-clock comparison: the machine's load decides those.
    let compared = cache["compared_to_upstream"].as_u64().unwrap();
    assert!(compared >= 20, "{cache}");
    assert_eq!(cache["identical_to_upstream"].as_u64(), Some(compared));
    assert!(cache["filter_calls"].as_u64() < upstream["filter_calls"].as_u64());
    assert!(cache["weigher_calls"].as_u64() < upstream["weigher_calls"].as_u64());
    let cpu = |r: &Value| r["slowest_call_cpu_seconds"].as_f64().unwrap();
    assert!(cpu(cache) > 0.0 && cpu(upstream) > 0.0, "{report}");
    // Weigh-first schedules as many.
    assert_eq!(first["scheduled"], cache["scheduled"]);

    // GPU quota: upstream lets ml-research past its 8 a100; the patched
    // tree refuses with the quota error and never over-allocates.
    let up = gpu(upstream, "ml-research");
    assert_eq!(up["limit"], 8);
    assert!(up["over_allocation"].as_u64().unwrap() > 0, "{up}");
    assert_eq!(up["requests_refused"], 0);
    for r in [cache, first] {
        let g = gpu(r, "ml-research");
        assert_eq!(g["over_allocation"], 0, "{g}");
        assert!(g["held"].as_u64().unwrap() <= 8, "{g}");
        assert!(g["requests_refused"].as_u64().unwrap() > 0, "{g}");
        let error = g["first_refusal"].as_str().unwrap();
        assert!(
            error.starts_with("Quota exceeded for pci_device a100"),
            "{error}"
        );
    }

    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<svg").count(), 2, "two charts");
    assert!(page.contains("ml-research"));

    // Two workers at once on the same stream, against the one placement.
    let report = sim_json(repo, &["--max-placement-results", "20", "--workers", "2"]);
    for variant in ["upstream", "weigher-cache", "weigh-first"] {
        let r = run(&report, variant);
        assert_eq!(r["workers"], 2, "{r}");
        assert_eq!(r["placement"], "real", "{r}");
        // Not deterministic: not compared with upstream.
        assert_eq!(r["deterministic"], false, "{r}");
        assert!(r["identical_to_upstream"].is_null(), "{r}");
        // Nothing over-allocated, by the computes' records (a PCI device
        // given twice included) nor by placement (device providers included).
        assert_eq!(r["over_allocated_hosts"], 0, "{r}");
        assert_eq!(r["placement_over_allocated_providers"], 0, "{r}");
        assert!(r["claims"].as_u64().unwrap() >= r["scheduled"].as_u64().unwrap());
        // Every chosen host passes every filter at claim time, and every
        // instance is built where it was put: with PCI in placement the
        // claim took the devices, so no concurrent request can take them.
        assert_eq!(r["filter_violations"], 0, "{r}");
        assert_eq!(r["build_failures"], serde_json::json!([]), "{r}");
        // Each request claims with its own allocation requests (host
        // states are the request's own, as nova 31 builds them).
        assert_eq!(r["claims_mismatched"], 0, "{r}");
        let built = r["built"].as_u64().unwrap();
        let refused = r["quota_recheck_refused"].as_u64().unwrap();
        assert_eq!(built + refused, r["scheduled"].as_u64().unwrap(), "{r}");
    }
    // The quota holds with workers too: the conductor's recheck refuses
    // what two requests let through together, and their allocations go.
    for variant in ["weigher-cache", "weigh-first"] {
        let g = gpu(run(&report, variant), "ml-research");
        assert_eq!(g["over_allocation"], 0, "{g}");
        assert!(g["held"].as_u64().unwrap() <= 8, "{g}");
    }

    // ImagePropertiesWeigher with a non-zero multiplier: the web requests
    // boot windows-2022, and the hosts an earlier web request's instances
    // run on (reported by their computes, image properties loaded) weigh
    // more, so later requests pack onto them.
    let text = std::fs::read_to_string(root().join("sim/profiles/small.toml")).unwrap();
    let text = text.replace(
        "[scheduler.weigher_multipliers]",
        "[scheduler.weigher_multipliers]\nimage_props_weight_multiplier = 10.0",
    );
    assert!(text.contains("image_props_weight_multiplier = 10.0"));
    let profile = repo.join("images.toml");
    std::fs::write(&profile, text).unwrap();
    let output = verda(
        repo,
        &[
            "sim",
            "--profile",
            profile.to_str().unwrap(),
            "--json",
            "--max-placement-results",
            "20",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    for variant in ["upstream", "weigher-cache", "weigh-first"] {
        let r = run(&report, variant);
        assert!(r["image_weights_nonzero"].as_u64().unwrap() > 0, "{r}");
        let calls = r["calls"].as_array().unwrap();
        let chosen = |c: &Value| -> Vec<String> {
            c["hosts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h[0].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(calls[1]["flavor"], "m1.large");
        let first = chosen(&calls[1]);
        for later in [&calls[2], &calls[3]] {
            let hosts = chosen(later);
            assert!(!hosts.is_empty(), "{later}");
            assert!(
                hosts.iter().all(|h| first.contains(h)),
                "{first:?} then {hosts:?}"
            );
        }
    }
    // The cache stays exact with the weigher on.
    let cache = run(&report, "weigher-cache");
    assert_eq!(
        cache["identical_to_upstream"], cache["compared_to_upstream"],
        "{cache}"
    );
}

/// `sim` builds a missing custom-source but never touches one that
/// verda-patch did not make.
#[test]
fn sim_refuses_a_foreign_custom_source() {
    let tmp = scratch_repo();
    let repo = tmp.path();
    let foreign = repo.join("custom-source/nova");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("mine.txt"), "not verda's").unwrap();
    for command in ["sim", "test"] {
        let output = verda(repo, &[command]);
        assert_eq!(output.status.code(), Some(1), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("was not made by verda-patch"),
            "{command}: {stderr}"
        );
        assert_eq!(
            std::fs::read_to_string(foreign.join("mine.txt")).unwrap(),
            "not verda's"
        );
    }
}
