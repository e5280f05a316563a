//! OpenStack series: the releases snapshot and its refresh, series-wide
//! upgrades (`rebase --to 2025.2`) with one report, stop, `--continue` and
//! `--abort`, and test constraints that follow the series.
//!
//! The stop/continue logic runs on two small git upstreams (`alpha`,
//! `beta`) and a releases snapshot made by the test; the mapping of real
//! deliverables (nova and placement from PyPI, through the vendored
//! snapshot) is `nova_and_placement_from_pypi_upgrade_to_2025_2_in_one_command`.

mod common;

use std::path::{Path, PathBuf};

use common::{Fixture, git, lines, write};

/// Two upstreams, each released as 1.0.0 (2025.1) and 2.0.0 (2025.2);
/// alpha also 2.0.1. `conflicting` is the one whose 2.0.0 rewrites the
/// line its queue's patch changes.
fn two_projects(conflicting: &str) -> Fixture {
    let fx = Fixture {
        tmp: tempfile::tempdir().unwrap(),
    };
    for project in ["alpha", "beta"] {
        let up = fx.root().join(project);
        std::fs::create_dir_all(&up).unwrap();
        git(&up, &["init", "-q", "-b", "master"]);
        write(&up.join("core.py"), &lines(project, 30));
        git(&up, &["add", "-A"]);
        git(&up, &["commit", "-q", "-m", "Initial release"]);
        git(&up, &["tag", "1.0.0"]);
        // The queue: one patch changing line 10.
        let work = fx.root().join(format!("{project}-work"));
        git(
            fx.root(),
            &["clone", "-q", up.to_str().unwrap(), work.to_str().unwrap()],
        );
        common::edit(
            &work.join("core.py"),
            &format!("{project} line 10\n"),
            &format!("{project} line 10 (ours)\n"),
        );
        git(
            &work,
            &[
                "commit",
                "-q",
                "-am",
                &format!(
                    "Change {project} line 10\n\nChange-Id: I{:0>40}",
                    project.len()
                ),
            ],
        );
        let out = fx.root().join(format!("{project}-patches"));
        common::format_patch(&work, &out, "1.0.0..HEAD");
        let target = fx.repo().join(format!(
            "patches/{project}/feature/0001-change-line-10.patch"
        ));
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(
            out.join(format!("0001-Change-{project}-line-10.patch")),
            &target,
        )
        .unwrap();
        write(
            &fx.repo().join(format!("patches/{project}/series")),
            "feature/0001-change-line-10.patch\n",
        );
        // 2.0.0: a change far from line 10, or on it for the conflicting one.
        let line = if project == conflicting { 10 } else { 25 };
        common::edit(
            &up.join("core.py"),
            &format!("{project} line {line}\n"),
            &format!("{project} line {line} (upstream)\n"),
        );
        git(&up, &["commit", "-q", "-am", "Upstream change"]);
        git(&up, &["tag", "2.0.0"]);
        write(&up.join("NEWS"), "2.0.1\n");
        git(&up, &["add", "-A"]);
        git(&up, &["commit", "-q", "-m", "Point release"]);
        git(&up, &["tag", "2.0.1"]);
    }
    write(
        &fx.repo().join("verda-patch.toml"),
        "[projects.alpha]\ngit = \"../alpha\"\npin = \"1.0.0\"\n\
         [projects.alpha.test]\nconstraints = \"constraints/alpha-2025.1.txt\"\n\n\
         [projects.beta]\ngit = \"../beta\"\npin = \"1.0.0\"\n\
         [projects.beta.test]\nconstraints = \"constraints/upper-constraints-2025.1.txt\"\n",
    );
    for file in [
        "alpha-2025.1.txt",
        "upper-constraints-2025.1.txt",
        "upper-constraints-2025.2.txt",
    ] {
        write(&fx.repo().join("constraints").join(file), "six===1.16.0\n");
    }
    let snapshot = serde_json::json!({
        "source": {"repository": "test", "commit": "0".repeat(40), "date": "2026-01-01T00:00:00Z"},
        "series": [
            {"name": "flamingo", "number": "2025.2", "status": "maintained", "initial_release": "2025-10-01"},
            {"name": "epoxy", "number": "2025.1", "status": "maintained", "initial_release": "2025-04-02"},
        ],
        "deliverables": {
            "alpha": {"repository": "openstack/alpha", "pypi": "alpha",
                      "releases": {"2025.1": ["1.0.0"], "2025.2": ["2.0.0.0rc1", "2.0.0", "2.0.1"]}},
            "beta": {"repository": "openstack/beta", "pypi": "openstack-beta",
                     "releases": {"2025.1": ["1.0.0"], "2025.2": ["2.0.0"]}},
        },
    });
    write(
        &fx.repo().join("data/openstack-releases.json"),
        &serde_json::to_string_pretty(&snapshot).unwrap(),
    );
    fx
}

fn manifest(fx: &Fixture) -> String {
    std::fs::read_to_string(fx.repo().join("verda-patch.toml")).unwrap()
}

fn pin_of(fx: &Fixture, project: &str) -> String {
    let manifest: toml::Value = toml::from_str(&manifest(fx)).unwrap();
    manifest["projects"][project]["pin"]
        .as_str()
        .unwrap()
        .to_string()
}

fn upgrade_record(fx: &Fixture) -> PathBuf {
    fx.repo().join(".verda/journal/.upgrade.json")
}

/// Resolve the conflict in custom-source/<project>: keep both sides' words.
fn resolve(fx: &Fixture, project: &str) {
    let dir = fx.repo().join("custom-source").join(project);
    let text = lines(project, 30).replace(
        &format!("{project} line 10\n"),
        &format!("{project} line 10 (upstream, ours)\n"),
    );
    write(&dir.join("core.py"), &text);
    git(&dir, &["add", "core.py"]);
}

#[test]
fn a_series_wide_upgrade_stops_on_the_first_conflict_and_continue_finishes_both() {
    let fx = two_projects("alpha");
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "flamingo"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stdout.starts_with(
            "upgrade to 2025.2 (flamingo):\n  alpha                1.0.0 -> 2.0.1\n  beta                 1.0.0 -> 2.0.0\n"
        ),
        "{stdout}"
    );
    assert!(
        stderr.contains(
            "CONFLICT: patches/alpha/feature/0001-change-line-10.patch does not apply on 2.0.1 (core.py)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("run `verda-patch rebase --continue` to finish it"),
        "{stderr}"
    );
    assert_eq!(
        (pin_of(&fx, "alpha"), pin_of(&fx, "beta")),
        ("1.0.0".into(), "1.0.0".into())
    );
    assert!(upgrade_record(&fx).exists());
    // `status` says the stopped rebase is part of the upgrade.
    let (code, stdout, stderr) = fx.run(&["status"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("  part of the upgrade to 2025.2 (flamingo): project 1 of 2\n"),
        "{stdout}"
    );

    // Beside the upgrade, a rebase of another project is refused.
    let (code, _, stderr) = fx.run(&["rebase", "beta", "--to", "2.0.1"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("an upgrade is in progress (at `alpha`"),
        "{stderr}"
    );
    // --continue names the project it is at, or none.
    let (code, _, stderr) = fx.run(&["rebase", "beta", "--continue"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is at `alpha`, not `beta`"), "{stderr}");

    resolve(&fx, "alpha");
    let (code, stdout, stderr) = fx.run(&["rebase", "--continue"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("alpha: rebase 1.0.0 -> 2.0.1\n  feature/0001-change-line-10.patch            resolved by hand\n"), "{stdout}");
    assert!(stdout.contains("beta: rebase 1.0.0 -> 2.0.0\n  feature/0001-change-line-10.patch            carried (clean)\n"), "{stdout}");
    assert_eq!(
        (pin_of(&fx, "alpha"), pin_of(&fx, "beta")),
        ("2.0.1".into(), "2.0.0".into())
    );
    assert!(!upgrade_record(&fx).exists());
    let report =
        std::fs::read_to_string(fx.repo().join(".verda/reports/upgrade-2025.2.md")).unwrap();
    assert!(
        report.contains("# Rebase of alpha from 1.0.0 to 2.0.1"),
        "{report}"
    );
    assert!(
        report.contains("# Rebase of beta from 1.0.0 to 2.0.0"),
        "{report}"
    );
    // The resolution is the patch now; beta's is unchanged but rebased.
    let alpha = std::fs::read_to_string(
        fx.repo()
            .join("patches/alpha/feature/0001-change-line-10.patch"),
    )
    .unwrap();
    assert!(alpha.contains("+alpha line 10 (upstream, ours)"), "{alpha}");

    // Constraints followed the series: beta's to the vendored 2025.2
    // file; alpha has none for 2025.2, which the report says.
    let manifest: toml::Value = toml::from_str(&manifest(&fx)).unwrap();
    assert_eq!(
        manifest["projects"]["beta"]["test"]["constraints"].as_str(),
        Some("constraints/upper-constraints-2025.2.txt")
    );
    assert_eq!(
        manifest["projects"]["alpha"]["test"]["constraints"].as_str(),
        Some("constraints/alpha-2025.1.txt")
    );
    assert!(
        stdout.contains("  constraints moved: constraints/upper-constraints-2025.1.txt -> constraints/upper-constraints-2025.2.txt\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  warning: constraints constraints/alpha-2025.1.txt are 2025.1's, but alpha 2.0.1 is 2025.2, and the patch repo has no constraints/upper-constraints-2025.2.txt"),
        "{stdout}"
    );
}

#[test]
fn abort_undoes_the_stopped_project_and_keeps_the_finished_one() {
    let fx = two_projects("beta");
    fx.verda(&["apply"]).assert().success();
    let before_beta = std::fs::read(
        fx.repo()
            .join("patches/beta/feature/0001-change-line-10.patch"),
    )
    .unwrap();
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2025.2", "--first"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stdout.contains("  alpha                1.0.0 -> 2.0.0\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("alpha: rebase 1.0.0 -> 2.0.0\n"),
        "{stdout}"
    );
    assert!(
        stderr.contains("patches/beta/feature/0001-change-line-10.patch does not apply on 2.0.0"),
        "{stderr}"
    );

    let (code, stdout, stderr) = fx.run(&["rebase", "--abort"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        stdout,
        "upgrade to 2025.2 (flamingo) aborted\n  \
         beta: rebase undone; patch repo and custom-source/beta are as they were\n  \
         alpha: stays on 2.0.0 (upgraded from 1.0.0; `verda-patch rebase alpha --to 1.0.0` moves it back)\n"
    );
    assert_eq!(
        (pin_of(&fx, "alpha"), pin_of(&fx, "beta")),
        ("2.0.0".into(), "1.0.0".into())
    );
    assert_eq!(
        std::fs::read(
            fx.repo()
                .join("patches/beta/feature/0001-change-line-10.patch")
        )
        .unwrap(),
        before_beta
    );
    assert!(!upgrade_record(&fx).exists());

    // Again: alpha is already there, beta stops again.
    let (code, stdout, _) = fx.run(&["rebase", "--to", "2025.2", "--first"]);
    assert_eq!(code, 3);
    assert!(
        stdout.contains("  alpha                2.0.0 -> 2.0.0 (already there)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("alpha: already on 2.0.0\n"), "{stdout}");
    resolve(&fx, "beta");
    let (code, stdout, stderr) = fx.run(&["rebase", "--continue", "beta"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(pin_of(&fx, "beta"), "2.0.0");
}

#[test]
fn a_release_override_and_an_unknown_series_or_project() {
    let fx = two_projects("alpha");
    let (code, stdout, stderr) = fx.run(&[
        "rebase",
        "--to",
        "2025.2",
        "--dry-run",
        "--release",
        "alpha=2.0.0",
    ]);
    // The forecast goes past alpha's conflict; nothing is written.
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with(
            "would upgrade to 2025.2 (flamingo):\n  alpha                1.0.0 -> 2.0.0\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("alpha: would rebase 1.0.0 -> 2.0.0\n  feature/0001-change-line-10.patch            CONFLICT in core.py\n"), "{stdout}");
    assert!(!upgrade_record(&fx).exists());
    assert_eq!(pin_of(&fx, "alpha"), "1.0.0");

    // check --against a series forecasts every project, exit 1 on a conflict.
    let (code, stdout, stderr) = fx.run(&["check", "--against", "flamingo"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("alpha: would rebase 1.0.0 -> 2.0.1"),
        "{stdout}"
    );
    assert!(stdout.contains("beta: would rebase 1.0.0 -> 2.0.0\n  feature/0001-change-line-10.patch            carried (clean)"), "{stdout}");
    assert!(
        stderr.contains("1 patch(es) would conflict on flamingo"),
        "{stderr}"
    );

    // A version is not a series: the one project moves to it.
    let (code, _, stderr) = fx.run(&["rebase", "--to", "2.0.0"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("name the project (one of alpha, beta)"),
        "{stderr}"
    );

    // A project that is no deliverable moves to its release spelled like
    // a series (its tag `2025.2`).
    git(&fx.root().join("alpha"), &["tag", "2025.2", "2.0.0"]);
    let unknown = manifest(&fx).replace(
        "[projects.alpha]\n",
        "[projects.alpha]\ndeliverable = \"none\"\n",
    );
    write(&fx.repo().join("verda-patch.toml"), &unknown);
    let (code, stdout, stderr) = fx.run(&["rebase", "alpha", "--to", "2025.2", "--dry-run"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("alpha: would rebase 1.0.0 -> 2025.2\n"),
        "{stdout}"
    );
    write(
        &fx.repo().join("verda-patch.toml"),
        &unknown.replace("deliverable = \"none\"\n", ""),
    );

    // Never backwards: alpha already on 2.0.1 (2025.2) stays there with --first.
    let pinned = manifest(&fx).replacen("pin = \"1.0.0\"", "pin = \"2.0.1\"", 1);
    write(&fx.repo().join("verda-patch.toml"), &pinned);
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2025.2", "--first", "--dry-run"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("would upgrade to 2025.2 (flamingo):\n  alpha                2.0.1 -> 2.0.1 (already there)\n  beta                 1.0.0 -> 2.0.0\n"),
        "{stdout}"
    );

    // A project the snapshot does not know is named before anything starts.
    let mut text = manifest(&fx);
    text.push_str(
        "\n[projects.gamma]\ngit = \"../alpha\"\npin = \"1.0.0\"\ndeliverable = \"gamma\"\n",
    );
    write(&fx.repo().join("verda-patch.toml"), &text);
    let (code, _, stderr) = fx.run(&["rebase", "--to", "2025.2"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("project `gamma` is no deliverable of the releases snapshot"),
        "{stderr}"
    );
    assert!(!upgrade_record(&fx).exists());
}

/// `verda-patch test` refuses 2025.1's constraints on a 2025.2 pin before
/// building anything.
#[test]
fn test_refuses_constraints_of_another_series() {
    let fx = two_projects("alpha");
    let text = manifest(&fx).replace(
        "pin = \"1.0.0\"\n[projects.beta.test]",
        "pin = \"2.0.0\"\n[projects.beta.test]",
    );
    write(&fx.repo().join("verda-patch.toml"), &text);
    let (code, stdout, stderr) = fx.run(&["test", "beta"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert_eq!(
        stderr,
        "error: [projects.beta.test] constraints are 2025.1's, but beta 2.0.0 is 2025.2; \
         set `constraints = \"series\"` (or constraints/upper-constraints-2025.2.txt) in verda-patch.toml, \
         or pass --allow-constraints-mismatch to test with 2025.1's anyway\n"
    );
    assert!(!fx.cache().join("venv").exists());
    assert!(!fx.repo().join("custom-source").exists());
}

fn releases_repo(dir: &Path, flamingo_versions: &[&str]) {
    write(
        &dir.join("data/series_status.yaml"),
        "---\n- name: flamingo\n  release-id: 2025.2\n  status: maintained\n  initial-release: 2025-10-01\n\
         - name: epoxy\n  release-id: 2025.1\n  status: maintained\n  initial-release: 2025-04-02\n\
         - name: zed\n  status: end of life\n",
    );
    let deliverable = |versions: &[&str]| {
        let mut text = String::from(
            "---\nteam: nova\ntype: service\nrepository-settings:\n  openstack/placement:\n    tarball-base: openstack-placement\nreleases:\n",
        );
        for v in versions {
            text.push_str(&format!("  - version: {v}\n    projects:\n      - repo: openstack/placement\n        hash: {}\n", "a".repeat(40)));
        }
        text
    };
    write(
        &dir.join("deliverables/epoxy/placement.yaml"),
        &deliverable(&["13.0.0"]),
    );
    write(
        &dir.join("deliverables/flamingo/placement.yaml"),
        &deliverable(flamingo_versions),
    );
    write(
        &dir.join("deliverables/flamingo/oslo.db.yaml"),
        "---\ntype: library\nrepository-settings:\n  openstack/oslo.db: {}\nreleases:\n  - version: 17.4.0\n",
    );
    write(
        &dir.join("deliverables/zed/placement.yaml"),
        &deliverable(&["8.0.0"]),
    );
}

#[test]
fn releases_refresh_reads_a_deliverables_repository_and_prints_what_changed() {
    let fx = two_projects("alpha");
    std::fs::remove_file(fx.repo().join("data/openstack-releases.json")).unwrap();
    let source = fx.root().join("releases");
    std::fs::create_dir_all(&source).unwrap();
    git(&source, &["init", "-q", "-b", "master"]);
    releases_repo(&source, &["14.0.0.0rc1", "14.0.0"]);
    git(&source, &["add", "-A"]);
    git(&source, &["commit", "-q", "-m", "flamingo"]);
    let head = git(&source, &["rev-parse", "HEAD"]).trim().to_string();

    let (code, stdout, stderr) = fx.run(&["releases", "refresh", "--from", "../releases"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "data/openstack-releases.json: openstack/releases at {head}"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("  new snapshot: 2 series, 1 deliverables\n"),
        "{stdout}"
    );
    let snapshot: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fx.repo().join("data/openstack-releases.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(snapshot["source"]["commit"], head.as_str());
    assert_eq!(
        snapshot["series"],
        serde_json::json!([
            {"name": "flamingo", "number": "2025.2", "status": "maintained", "initial_release": "2025-10-01"},
            {"name": "epoxy", "number": "2025.1", "status": "maintained", "initial_release": "2025-04-02"},
        ])
    );
    assert_eq!(
        snapshot["deliverables"],
        serde_json::json!({"placement": {"repository": "openstack/placement", "pypi": "openstack-placement",
            "releases": {"2025.1": ["13.0.0"], "2025.2": ["14.0.0.0rc1", "14.0.0"]}}})
    );

    // A point release and a new status: printed, written.
    releases_repo(&source, &["14.0.0.0rc1", "14.0.0", "14.0.1"]);
    let status = source.join("data/series_status.yaml");
    let text = std::fs::read_to_string(&status).unwrap().replacen(
        "status: maintained",
        "status: unmaintained",
        1,
    );
    write(&status, &text);
    git(&source, &["commit", "-q", "-am", "placement 14.0.1"]);
    let (code, stdout, _) = fx.run(&["releases", "refresh", "--from", "../releases"]);
    assert_eq!(code, 0);
    assert!(
        stdout.ends_with(
            "  series 2025.2 (flamingo): maintained -> unmaintained\n  placement 2025.2: + 14.0.1\n"
        ),
        "{stdout}"
    );
    let (_, stdout, _) = fx.run(&["releases", "refresh", "--from", "../releases"]);
    assert!(stdout.ends_with("  no change\n"), "{stdout}");

    // Not a releases repository: an error, the snapshot untouched.
    let before = std::fs::read(fx.repo().join("data/openstack-releases.json")).unwrap();
    let (code, _, stderr) = fx.run(&["releases", "refresh", "--from", "../alpha"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("has no data/series_status.yaml"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(fx.repo().join("data/openstack-releases.json")).unwrap(),
        before
    );
}

/// The download cache shared with CI (`VERDA_PATCH_CACHE`), else one in
/// the target directory, as `tests/sim.rs` does.
fn shared_cache() -> PathBuf {
    std::env::var_os("VERDA_PATCH_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
            target.join("sim-test-cache")
        })
}

/// The vendored snapshot maps nova and placement (PyPI name
/// `openstack-placement`) from 2025.1 to 2025.2; one command rebases both,
/// with one report, and nova's constraints follow to 2025.2's file.
#[test]
fn nova_and_placement_from_pypi_upgrade_to_2025_2_in_one_command() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    write(
        &repo.join("verda-patch.toml"),
        "[projects.nova]\npypi = \"nova\"\npin = \"31.0.0\"\n\
         [projects.nova.test]\nconstraints = \"constraints/upper-constraints-2025.1.txt\"\n\n\
         [projects.placement]\npypi = \"openstack-placement\"\npin = \"13.0.0\"\n\
         [projects.placement.test]\nconstraints = \"series\"\n",
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "upper-constraints-2025.1.txt",
        "upper-constraints-2025.2.txt",
    ] {
        let bytes = std::fs::read(root.join("constraints").join(file)).unwrap();
        std::fs::create_dir_all(repo.join("constraints")).unwrap();
        std::fs::write(repo.join("constraints").join(file), bytes).unwrap();
    }
    // One patch each: a new file, which applies on any release.
    for project in ["nova", "placement"] {
        let patch = format!(
            "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n\
             From: Cloud Dev <dev@example.com>\nDate: Thu, 1 Jan 2026 00:00:00 +0000\n\
             Subject: [PATCH] Note our fork of {project}\n\n\
             Change-Id: I{:0>40}\n---\n\
             diff --git a/DOWNSTREAM b/DOWNSTREAM\nnew file mode 100644\n--- /dev/null\n+++ b/DOWNSTREAM\n@@ -0,0 +1 @@\n+Downstream fork.\n",
            project.len()
        );
        write(
            &repo.join(format!("patches/{project}/feature/0001-note.patch")),
            &patch,
        );
        write(
            &repo.join(format!("patches/{project}/series")),
            "feature/0001-note.patch\n",
        );
    }
    let run = |args: &[&str]| {
        let output = assert_cmd::Command::cargo_bin("verda-patch")
            .unwrap()
            .current_dir(repo)
            .args(args)
            .env("VERDA_PATCH_CACHE", shared_cache())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run(&["rebase", "--to", "2025.2", "--first"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with(
            "upgrade to 2025.2 (flamingo):\n  nova                 31.0.0 -> 32.0.0\n  placement            13.0.0 -> 14.0.0\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("nova: rebase 31.0.0 -> 32.0.0\n  feature/0001-note.patch"),
        "{stdout}"
    );
    assert!(
        stdout.contains("placement: rebase 13.0.0 -> 14.0.0\n  feature/0001-note.patch"),
        "{stdout}"
    );
    assert!(stdout.contains("  constraints moved: constraints/upper-constraints-2025.1.txt -> constraints/upper-constraints-2025.2.txt\n"), "{stdout}");
    assert!(
        stdout.contains("  constraints follow the series: 2025.1 -> 2025.2\n"),
        "{stdout}"
    );
    let manifest = std::fs::read_to_string(repo.join("verda-patch.toml")).unwrap();
    assert!(manifest.contains("pin = \"32.0.0\""), "{manifest}");
    assert!(manifest.contains("pin = \"14.0.0\""), "{manifest}");
    let report = std::fs::read_to_string(repo.join(".verda/reports/upgrade-2025.2.md")).unwrap();
    assert!(report.contains("| nova | 31.0.0 | 32.0.0 |"), "{report}");
    assert!(
        report.contains("| placement | 13.0.0 | 14.0.0 |"),
        "{report}"
    );
}

/// Killed anywhere in an upgrade (at its start, in a project's rebase,
/// between projects), `rebase --continue` finishes it: both projects end
/// on their release, each patch carried once.
#[test]
fn an_upgrade_killed_anywhere_is_finished_by_continue() {
    for point in [
        "upgrade-started",
        "rebase-state-saved",
        "rebase-pin-moved",
        "upgrade-project-rebased",
        "upgrade-project-done",
    ] {
        let fx = two_projects("none");
        fx.crash(&["rebase", "--to", "2025.2"], point);
        let (code, stdout, stderr) = fx.run(&["rebase", "--continue"]);
        assert_eq!(code, 0, "{point}: {stdout}{stderr}");
        assert_eq!(
            (pin_of(&fx, "alpha"), pin_of(&fx, "beta")),
            ("2.0.1".into(), "2.0.0".into()),
            "{point}"
        );
        assert!(!upgrade_record(&fx).exists(), "{point}");
        // One report of both, however it was interrupted.
        assert!(
            stdout.contains("alpha: rebase 1.0.0 -> 2.0.1\n  feature/0001-change-line-10.patch            carried (clean)\n"),
            "{point}: {stdout}"
        );
        assert!(
            stdout.contains("beta: rebase 1.0.0 -> 2.0.0\n  feature/0001-change-line-10.patch            carried (clean)\n"),
            "{point}: {stdout}"
        );
        for project in ["alpha", "beta"] {
            let patch = std::fs::read_to_string(fx.repo().join(format!(
                "patches/{project}/feature/0001-change-line-10.patch"
            )))
            .unwrap();
            assert!(
                patch.contains(&format!("+{project} line 10 (ours)")),
                "{point}: {patch}"
            );
            let custom = fx.repo().join("custom-source").join(project);
            let log = git(&custom, &["log", "--format=%s", "patch-queue"]);
            assert_eq!(
                log.matches("Change ").count(),
                1,
                "{point}: {project}: {log}"
            );
        }
    }
}
