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

#[test]
fn small_fleet_upstream_vs_patched() {
    if let Some(why) = python_venv_missing() {
        eprintln!("SKIPPED: the nova virtualenv cannot be built here ({why})");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    std::fs::copy(
        root().join("verda-patch.toml"),
        repo.join("verda-patch.toml"),
    )
    .unwrap();
    copy_dir(&root().join("patches"), &repo.join("patches"));
    copy_dir(&root().join("constraints"), &repo.join("constraints"));

    let apply = verda(repo, &["apply"]);
    assert!(
        apply.status.success(),
        "apply: {}",
        String::from_utf8_lossy(&apply.stderr)
    );
    let profile = root().join("sim/profiles/small.toml");
    let html = repo.join("sim.html");
    let output = verda(
        repo,
        &[
            "sim",
            "--profile",
            profile.to_str().unwrap(),
            "--json",
            "--report",
            html.to_str().unwrap(),
        ],
    );
    assert!(
        output.status.success(),
        "sim: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
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

    // The weigher cache places every instance exactly as upstream does,
    // with far fewer filter and weigher calls.
    let compared = cache["compared_to_upstream"].as_u64().unwrap();
    assert!(compared >= 20, "{cache}");
    assert_eq!(cache["identical_to_upstream"].as_u64(), Some(compared));
    assert!(cache["filter_calls"].as_u64() < upstream["filter_calls"].as_u64());
    assert!(cache["weigher_calls"].as_u64() < upstream["weigher_calls"].as_u64());
    assert!(
        cache["slowest_call_seconds"].as_f64() < upstream["slowest_call_seconds"].as_f64(),
        "{report}"
    );
    // The CPU time of the burst is measured too, and is what the cache saves.
    let cpu = |r: &Value| r["slowest_call_cpu_seconds"].as_f64().unwrap();
    assert!(cpu(cache) > 0.0 && cpu(cache) < cpu(upstream), "{report}");
    assert!(cache["slowest_call_cpu_speedup"].as_f64().unwrap() > 1.0);
    // Weigh-first schedules as many, and every host it picked passes the
    // enabled filters when checked again.
    assert_eq!(first["scheduled"], cache["scheduled"]);
    for r in [upstream, cache, first] {
        assert_eq!(r["filter_violations"], 0, "{r}");
        assert_eq!(r["timed_out"], false, "{r}");
        // The one request no hypervisor can take (x1.huge).
        assert_eq!(r["no_valid_host"], 1, "{r}");
    }

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
}
