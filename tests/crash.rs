//! Crash safety: `apply`, `export`, `import`, `rebase`, `cherry-pick` and
//! `propose` killed (like `kill -9`) at
//! every point between their writes. After each crash, `status` names the
//! interrupted operation and the command that finishes it; that command
//! ends in exactly the state an uninterrupted run reaches (patch files byte
//! for byte, custom-source's commits, refs, index and files, the state in
//! `.verda/`), no half-written or temp file is ever visible, and no commit
//! of the user's is lost.

mod common;

use std::path::{Path, PathBuf};

use common::{Fixture, edit, fixture, git, write};

/// Where the recovered and the uninterrupted runs must agree.
#[derive(Debug, PartialEq)]
struct Outcome {
    patch_files: Vec<(String, String)>,
    head: String,
    branch: String,
    /// Every ref but the backups (named by time) as "name id".
    refs: String,
    index: String,
    status: String,
    applied_state: String,
    /// Markers, locks and temp files: none after a finished run.
    leftovers: Vec<String>,
}

fn outcome(fx: &Fixture) -> Outcome {
    let custom = fx.custom();
    let refs = git(
        &custom,
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    )
    .lines()
    .filter(|l| !l.starts_with("refs/verda/backup/"))
    .collect::<Vec<_>>()
    .join("\n");
    Outcome {
        patch_files: fx.patch_files(),
        head: git(&custom, &["rev-parse", "HEAD"]),
        branch: git(&custom, &["symbolic-ref", "HEAD"]),
        refs,
        index: git(&custom, &["ls-files", "-s"]),
        status: git(&custom, &["status", "--porcelain", "--untracked-files=all"]),
        applied_state: std::fs::read_to_string(fx.repo().join(".verda/applied/demo.json"))
            .unwrap_or_default(),
        leftovers: leftovers(fx),
    }
}

/// What a killed process may leave and a finished one must not.
fn leftovers(fx: &Fixture) -> Vec<String> {
    let mut found = Vec::new();
    for file in [
        ".verda/in-progress/demo.json",
        ".verda/journal/demo",
        ".verda/propose/demo",
        ".verda/lock",
    ] {
        if fx.repo().join(file).exists() {
            found.push(file.to_string());
        }
    }
    found.extend(temp_files(&fx.repo().join("patches")));
    found.extend(temp_files(&fx.repo().join("custom-source")));
    found
}

/// Temp files of atomic writes and half-made directories under `dir`.
fn temp_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".verda-tmp-") || name.ends_with(".verda-init") {
            found.push(entry.path().display().to_string());
        } else if entry.path().is_dir() && name != ".git" {
            found.extend(temp_files(&entry.path()));
        }
    }
    found
}

/// `status` after the crash: it must name the operation and the command
/// that finishes it.
fn status_names(fx: &Fixture, point: &str, operation: &str, recover: &str) {
    let (code, stdout, stderr) = fx.run(&["status"]);
    assert_eq!(code, 0, "{point}: {stderr}");
    assert!(
        stdout.contains(&format!("{operation} interrupted")) && stdout.contains(recover),
        "{point}: status does not say how to recover with `{recover}`:\n{stdout}"
    );
    let (_, json, _) = fx.run(&["status", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json[0]["interrupted"]["operation"], operation, "{point}");
    assert_eq!(json[0]["interrupted"]["recover"], recover, "{point}");
}

/// Whether some ref of custom-source still reaches `commit`.
fn reachable(fx: &Fixture, commit: &str) -> bool {
    !git(
        &fx.custom(),
        &["for-each-ref", "--contains", commit, "--format=%(refname)"],
    )
    .is_empty()
}

const APPLY_POINTS: [&str; 11] = [
    "apply-started",
    "apply-objects-written",
    "apply-backup-refs",
    "worktree-files-removed",
    "worktree-file-written:1",
    "worktree-file-written:2",
    "worktree-files-written",
    "worktree-index-written",
    "apply-pin-moved",
    "apply-head-moved",
    "apply-state-saved",
];

#[test]
fn a_first_apply_killed_anywhere_is_finished_by_apply_force() {
    let expected = {
        let fx = fixture();
        fx.verda(&["apply"]).assert().success();
        outcome(&fx)
    };
    for point in APPLY_POINTS {
        let fx = fixture();
        let queue = fx.patch_files();
        fx.crash(&["apply"], point);
        assert_eq!(fx.patch_files(), queue, "{point}: apply wrote to patches/");
        status_names(&fx, point, "apply", "verda-patch apply --force demo");

        // A plain apply does not go over the half-written tree.
        let (code, _, stderr) = fx.run(&["apply"]);
        assert_eq!(code, 1, "{point}: {stderr}");
        assert!(
            stderr.contains("interrupted") && stderr.contains("verda-patch apply --force demo"),
            "{point}: {stderr}"
        );
        let (code, stdout, stderr) = fx.run(&["apply", "--force"]);
        assert_eq!(code, 0, "{point}: {stdout}{stderr}");
        assert!(stdout.contains("interrupted"), "{point}: {stdout}");
        assert_eq!(outcome(&fx), expected, "{point}");
        let (_, status, _) = fx.run(&["status"]);
        assert!(status.contains("(in sync)"), "{point}: {status}");
        assert!(!status.contains("interrupted"), "{point}: {status}");
    }
}

/// custom-source with a commit that was never exported (it edits a file and
/// adds one) and an uncommitted edit; returns the commit.
fn unexported_work(fx: &Fixture) -> String {
    let custom = fx.custom();
    edit(
        &custom.join("app/quota.py"),
        "quota line 3\n",
        "quota line 3 (mine)\n",
    );
    write(&custom.join("app/notes.py"), "NOTES = 'mine'\n");
    git(&custom, &["add", "-A"]);
    git(&custom, &["commit", "-q", "-m", "My unexported work"]);
    edit(
        &custom.join("app/scheduler.py"),
        "scheduler line 5\n",
        "scheduler line 5 (uncommitted)\n",
    );
    git(&custom, &["rev-parse", "HEAD"])
}

/// Whether a backup ref keeps the uncommitted edit of [`unexported_work`].
fn uncommitted_edit_kept(fx: &Fixture) -> bool {
    let backups = git(
        &fx.custom(),
        &["for-each-ref", "--format=%(refname)", "refs/verda/backup/"],
    );
    backups.lines().any(|name| {
        git(&fx.custom(), &["show", &format!("{name}:app/scheduler.py")])
            .contains("scheduler line 5 (uncommitted)")
    })
}

#[test]
fn apply_force_killed_anywhere_loses_no_commit_and_is_finished_by_apply_force() {
    let expected = {
        let fx = fixture();
        fx.verda(&["apply"]).assert().success();
        unexported_work(&fx);
        fx.verda(&["apply", "--force"]).assert().success();
        outcome(&fx)
    };
    for point in APPLY_POINTS {
        let fx = fixture();
        fx.verda(&["apply"]).assert().success();
        let mine = unexported_work(&fx);
        fx.crash(&["apply", "--force"], point);
        assert!(reachable(&fx, &mine), "{point}: the user's commit is lost");
        status_names(&fx, point, "apply", "verda-patch apply --force demo");

        let (code, stdout, stderr) = fx.run(&["apply", "--force"]);
        assert_eq!(code, 0, "{point}: {stdout}{stderr}");
        assert_eq!(outcome(&fx), expected, "{point}");
        assert!(
            !git(
                &fx.custom(),
                &["for-each-ref", "--contains", &mine, "refs/verda/backup/"]
            )
            .is_empty(),
            "{point}: the user's commit is not kept under refs/verda/backup/"
        );
        assert!(
            uncommitted_edit_kept(&fx),
            "{point}: the uncommitted edit is lost"
        );
    }
}

/// In custom-source: the feature edited, the bugfix dropped, the
/// upstreamable patch moved to feature/ (`Verda-Category:`), and a new
/// commit for `--category bugfix`. Returns the head before the export.
fn rework_the_queue(fx: &Fixture) -> String {
    let custom = fx.custom();
    let upstreamable = git(&custom, &["rev-parse", "HEAD"]);
    git(&custom, &["reset", "-q", "--hard", "HEAD~2"]);
    edit(
        &custom.join("app/quota.py"),
        "PCI_DEVICES = 'a100'\n",
        "PCI_DEVICES = ('a100', 't4')\n",
    );
    git(&custom, &["commit", "-q", "-a", "--amend", "--no-edit"]);
    git(&custom, &["cherry-pick", &upstreamable]);
    let message = git(&custom, &["log", "-1", "--format=%B"]);
    git(
        &custom,
        &[
            "commit",
            "-q",
            "--amend",
            "-m",
            &format!("{message}\nVerda-Category: feature"),
        ],
    );
    write(&custom.join("app/placement.py"), "HINTS = []\n");
    git(&custom, &["add", "-A"]);
    git(
        &custom,
        &[
            "commit",
            "-q",
            "-m",
            "Add placement hints\n\nChange-Id: I4444444444444444444444444444444444444444",
        ],
    );
    git(&custom, &["rev-parse", "HEAD"])
}

const EXPORT: [&str; 3] = ["export", "--category", "bugfix"];

#[test]
fn an_export_killed_anywhere_is_finished_by_running_it_again() {
    let (expected, written) = {
        let fx = fixture();
        fx.verda(&["apply"]).assert().success();
        rework_the_queue(&fx);
        let (code, stdout, stderr) = fx.run(&EXPORT);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(
            stdout.contains("1 added, 1 updated, 1 moved, 1 removed"),
            "{stdout}"
        );
        (outcome(&fx), fx.patch_files())
    };
    assert!(
        written
            .iter()
            .any(|(path, _)| path == "patches/demo/bugfix/0004-add-placement-hints.patch"),
        "{written:?}"
    );
    for point in [
        "export-started",
        "export-patch-written:1",
        "export-patch-written:2",
        "export-patch-written:3",
        "export-patches-written",
        "export-series-written",
        "export-file-removed:1",
        "export-file-removed:2",
        "export-backup-ref",
        "export-head-moved",
        "export-state-saved",
    ] {
        let fx = fixture();
        fx.verda(&["apply"]).assert().success();
        let original = fx.patch_files();
        let head = rework_the_queue(&fx);
        fx.crash(&EXPORT, point);

        // Every file is whole: its bytes from before or from after.
        for (path, bytes) in fx.patch_files() {
            let old = original.iter().any(|f| *f == (path.clone(), bytes.clone()));
            let new = written.iter().any(|f| *f == (path.clone(), bytes.clone()));
            assert!(
                old || new,
                "{point}: {path} is neither old nor new:\n{bytes}"
            );
        }
        assert!(
            reachable(&fx, &head),
            "{point}: the user's commits are lost"
        );
        status_names(
            &fx,
            point,
            "export",
            "verda-patch export --category bugfix demo",
        );
        // apply would build a queue that is half old, half new.
        let (code, _, stderr) = fx.run(&["apply", "--force"]);
        assert_eq!(code, 1, "{point}: {stderr}");
        assert!(
            stderr.contains("export of `demo`")
                && stderr.contains("verda-patch export --category bugfix demo"),
            "{point}: {stderr}"
        );

        let (code, stdout, stderr) = fx.run(&["export", "--category", "bugfix", "demo"]);
        assert_eq!(code, 0, "{point}: {stdout}{stderr}");
        assert_eq!(outcome(&fx), expected, "{point}");
        assert!(
            reachable(&fx, &head),
            "{point}: the user's commits are lost"
        );
        let (code, stdout, stderr) = fx.run(&["check"]);
        assert_eq!(code, 0, "{point}: {stdout}{stderr}");
        assert!(!stdout.contains("not listed"), "{point}: {stdout}");
        let (_, status, _) = fx.run(&["status"]);
        assert!(!status.contains("interrupted"), "{point}: {status}");
    }
}

#[test]
fn an_interrupted_export_repeats_its_category_when_run_plainly() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    rework_the_queue(&fx);
    fx.crash(&EXPORT, "export-patch-written:3");
    let (code, stdout, stderr) = fx.run(&["export"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("interrupted"), "{stdout}");
    let series = std::fs::read_to_string(fx.patches().join("series")).unwrap();
    assert_eq!(
        series,
        "# demo queue\nfeature/0001-add-pci-device-quota.patch\n\
         feature/0003-cache-weigher-results.patch\nbugfix/0004-add-placement-hints.patch\n"
    );
}

/// Release 2.0 moves the feature's hunk down a line and changes the
/// README: the rebase carries the feature at an offset, rewrites two files
/// of custom-source and exports the feature again.
fn release_that_moves_the_feature(fx: &Fixture) {
    let up = fx.upstream();
    edit(
        &up.join("app/quota.py"),
        "quota line 1\n",
        "# quotas\nquota line 1\n",
    );
    write(&up.join("README"), "demo upstream 2.0\n");
    git(&up, &["commit", "-q", "-am", "Release 2.0"]);
    git(&up, &["tag", "2.0"]);
}

#[test]
fn a_rebase_killed_in_its_checkout_or_export_is_finished_by_continue_or_undone_by_abort() {
    let expected = {
        let fx = fixture();
        release_that_moves_the_feature(&fx);
        fx.verda(&["apply"]).assert().success();
        let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        outcome(&fx)
    };
    for point in [
        "rebase-state-saved",
        "worktree-file-written:1",
        "worktree-index-written",
        "rebase-worktree-moved",
        "rebase-pin-moved",
        "export-started",
        "export-patch-written",
        "export-state-saved",
    ] {
        for recover in ["--continue", "--abort"] {
            let fx = fixture();
            release_that_moves_the_feature(&fx);
            fx.commit_patch_repo();
            fx.verda(&["apply"]).assert().success();
            let head = git(&fx.custom(), &["rev-parse", "HEAD"]);
            fx.crash(&["rebase", "--to", "2.0"], point);

            let (_, status, _) = fx.run(&["status"]);
            assert!(
                status.contains("rebase to 2.0") && status.contains("--abort"),
                "{point}: {status}"
            );
            let (code, stdout, stderr) = fx.run(&["rebase", recover]);
            assert_eq!(code, 0, "{point} {recover}: {stdout}{stderr}");
            if recover == "--continue" {
                assert_eq!(outcome(&fx), expected, "{point} {recover}");
            } else {
                assert_eq!(git(&fx.repo(), &["status", "--porcelain"]), "", "{point}");
                assert_eq!(git(&fx.custom(), &["rev-parse", "HEAD"]), head, "{point}");
                assert_eq!(git(&fx.custom(), &["status", "--porcelain"]), "", "{point}");
                assert_eq!(leftovers(&fx), Vec::<String>::new(), "{point}");
            }
            let (_, status, _) = fx.run(&["status"]);
            assert!(
                !status.contains("interrupted") && !status.contains("rebase to"),
                "{point} {recover}: {status}"
            );
        }
    }
}

/// Two upstream fixes after the pin that pick cleanly: the first edits a
/// file of the queue, the second adds one. Returns their ids.
fn two_upstream_fixes(fx: &Fixture) -> (String, String) {
    let up = fx.upstream();
    edit(
        &up.join("app/scheduler.py"),
        "scheduler line 30\n",
        "scheduler line 30 (upstream fix)\n",
    );
    git(
        &up,
        &["commit", "-q", "-am", "Fix the scheduler at line 30"],
    );
    let a = git(&up, &["rev-parse", "HEAD"]);
    write(&up.join("app/util.py"), "def helper():\n    return True\n");
    git(&up, &["add", "-A"]);
    git(&up, &["commit", "-q", "-m", "Add a helper"]);
    (a, git(&up, &["rev-parse", "HEAD"]))
}

#[test]
fn a_cherry_pick_killed_anywhere_is_finished_by_continue_or_undone_by_abort() {
    let expected = {
        let fx = fixture();
        let (a, b) = two_upstream_fixes(&fx);
        fx.verda(&["apply"]).assert().success();
        let (code, stdout, stderr) = fx.run(&["cherry-pick", &a, &b]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        outcome(&fx)
    };
    for point in [
        "journal-record-saved",
        "worktree-file-written:1",
        "worktree-index-written",
        "export-started",
        "export-patch-written",
        "export-series-written",
        "export-head-moved",
        "export-state-saved",
        "replay-item-done",
        "worktree-file-written:2",
        "export-started:2",
        "export-state-saved:2",
        "replay-item-done:2",
    ] {
        for recover in ["--continue", "--abort"] {
            let fx = fixture();
            let (a, b) = two_upstream_fixes(&fx);
            fx.commit_patch_repo();
            fx.verda(&["apply"]).assert().success();
            let before = outcome(&fx);
            fx.crash(&["cherry-pick", &a, &b], point);

            let (_, status, _) = fx.run(&["status"]);
            assert!(
                status.contains("cherry-pick in progress")
                    && status.contains(&format!(
                        "`verda-patch cherry-pick {recover} --project demo`"
                    )),
                "{point}: {status}"
            );
            // Nothing else starts over it.
            let (code, _, stderr) = fx.run(&["export"]);
            assert_eq!(code, 1, "{point}: {stderr}");
            let (code, stdout, stderr) = fx.run(&["cherry-pick", recover]);
            assert_eq!(code, 0, "{point} {recover}: {stdout}{stderr}");
            if recover == "--continue" {
                assert_eq!(outcome(&fx), expected, "{point} {recover}");
            } else {
                assert_eq!(git(&fx.repo(), &["status", "--porcelain"]), "", "{point}");
                let after = outcome(&fx);
                assert_eq!(after.patch_files, before.patch_files, "{point}");
                assert_eq!(after.head, before.head, "{point}");
                assert_eq!(after.branch, before.branch, "{point}");
                assert_eq!(after.index, before.index, "{point}");
                assert_eq!(after.status, "", "{point}");
                assert_eq!(after.leftovers, Vec::<String>::new(), "{point}");
            }
            let (_, status, _) = fx.run(&["status"]);
            assert!(
                !status.contains("interrupted") && !status.contains("cherry-pick"),
                "{point} {recover}: {status}"
            );
        }
    }
}

#[test]
fn an_import_killed_anywhere_is_undone_by_the_next_command() {
    let fx = fixture();
    fx.commit_patch_repo();
    fx.verda(&["apply"]).assert().success();
    let mail = fx.root().join("0001-Add-a-module.patch");
    write(&fx.custom().join("app/new.py"), "NEW = 1\n");
    git(&fx.custom(), &["add", "-A"]);
    git(&fx.custom(), &["commit", "-q", "-m", "Add a module"]);
    common::format_patch(&fx.custom(), fx.root(), "HEAD~1..HEAD");
    git(&fx.custom(), &["reset", "-q", "--hard", "HEAD~1"]);
    assert!(mail.exists());
    let before = fx.patch_files();
    for point in [
        "import-started",
        "import-patch-written",
        "import-series-written",
    ] {
        fx.crash(&["import", &mail.display().to_string()], point);
        let (_, status, _) = fx.run(&["status"]);
        assert!(status.contains("import interrupted"), "{point}: {status}");
        // All or nothing: the next command removes what it wrote, unless
        // it got as far as listing it in the series.
        let (code, stdout, stderr) = fx.run(&["apply"]);
        assert_eq!(code, 0, "{point}: {stdout}{stderr}");
        if point == "import-series-written" {
            assert_eq!(fx.patch_files().len(), before.len() + 1, "{point}");
            git(&fx.repo(), &["checkout", "-q", "--", "."]);
            git(&fx.repo(), &["clean", "-qfd", "patches"]);
            fx.verda(&["apply"]).assert().success();
        }
        assert_eq!(fx.patch_files(), before, "{point}");
        assert_eq!(leftovers(&fx), Vec::<String>::new(), "{point}");
    }
}

/// The journal's table for import: it runs beside an interrupted apply
/// (which `apply --force` then finishes with the longer queue) and is
/// refused beside an interrupted export (finishing it would rewrite the
/// series from the commits and drop the imported patch).
#[test]
fn import_runs_beside_an_interrupted_apply_and_not_beside_an_interrupted_export() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    write(&fx.custom().join("app/new.py"), "NEW = 1\n");
    git(&fx.custom(), &["add", "-A"]);
    git(&fx.custom(), &["commit", "-q", "-m", "Add a module"]);
    common::format_patch(&fx.custom(), fx.root(), "HEAD~1..HEAD");
    let mail = fx.root().join("0001-Add-a-module.patch");
    let mail = mail.display().to_string();

    fx.crash(
        &["export", "--category", "feature"],
        "export-series-written",
    );
    let before = fx.patch_files();
    let (code, _, stderr) = fx.run(&["import", &mail]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("an export of `demo`")
            && stderr.contains("run `verda-patch export --category feature demo` to finish it"),
        "{stderr}"
    );
    assert_eq!(fx.patch_files(), before);
    fx.verda(&["export"]).assert().success();

    // Drop the exported patch again, then import it beside a killed apply.
    git(&fx.custom(), &["reset", "-q", "--hard", "HEAD~1"]);
    fx.verda(&["export"]).assert().success();
    fx.crash(&["apply", "--force"], "apply-objects-written");
    let (code, stdout, stderr) = fx.run(&["import", "--category", "feature", &mail]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, stderr) = fx.run(&["apply", "--force"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        std::fs::read_to_string(fx.custom().join("app/new.py")).unwrap(),
        "NEW = 1\n"
    );
    assert_eq!(leftovers(&fx), Vec::<String>::new());
}

/// Release 2.0 renames the line the feature's context holds: the rebase
/// stops on a conflict; the resolution keeps the feature's line.
fn stop_on_a_conflict_and_resolve(fx: &Fixture) {
    let up = fx.upstream();
    edit(
        &up.join("app/quota.py"),
        "quota line 10\n",
        "quota line ten\n",
    );
    git(&up, &["commit", "-q", "-am", "Rename quota line 10"]);
    git(&up, &["tag", "2.0"]);
    fx.commit_patch_repo();
    fx.verda(&["apply"]).assert().success();
    assert_eq!(fx.run(&["rebase", "--to", "2.0"]).0, 3);
    let file = fx.custom().join("app/quota.py");
    let resolved: String = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .filter(|l| {
            !["<<<<<<<", "|||||||", "=======", ">>>>>>>"]
                .iter()
                .any(|m| l.starts_with(m))
                && *l != "quota line 10"
        })
        .map(|l| format!("{l}\n"))
        .collect();
    write(&file, &resolved);
    git(&fx.custom(), &["add", "app/quota.py"]);
}

#[test]
fn a_continue_or_abort_killed_half_way_is_finished_by_running_it_again() {
    let expected = {
        let fx = fixture();
        stop_on_a_conflict_and_resolve(&fx);
        let (code, stdout, stderr) = fx.run(&["rebase", "--continue"]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        outcome(&fx)
    };
    for point in [
        "replay-resolution-taken",
        "rebase-worktree-moved",
        "export-started",
    ] {
        let fx = fixture();
        stop_on_a_conflict_and_resolve(&fx);
        fx.crash(&["rebase", "--continue"], point);
        let (code, stdout, stderr) = fx.run(&["rebase", "--continue"]);
        assert_eq!(code, 0, "{point}: {stdout}{stderr}");
        assert_eq!(outcome(&fx), expected, "{point}");
    }

    let fx = fixture();
    let before = {
        let fx = fixture();
        fx.verda(&["apply"]).assert().success();
        outcome(&fx)
    };
    stop_on_a_conflict_and_resolve(&fx);
    fx.crash(&["rebase", "--abort"], "replay-aborted");
    let (code, stdout, stderr) = fx.run(&["rebase", "--abort"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(git(&fx.repo(), &["status", "--porcelain"]), "");
    let after = outcome(&fx);
    assert_eq!(after.head, before.head);
    assert_eq!(after.refs, before.refs);
    assert_eq!(after.index, before.index);
    assert_eq!(after.status, "");
    assert_eq!(after.leftovers, Vec::<String>::new());
}

const UPSTREAMABLE_PATCH: &str = "upstreamable/0003-cache-weigher-results.patch";

/// Ready to propose the upstreamable patch: Gerrit's push side is a bare
/// clone of upstream, its web side unreachable (the change URL is then
/// Gerrit's search URL for the Change-Id), and upstream master moved on.
/// Returns the push target.
fn ready_to_propose(fx: &Fixture) -> PathBuf {
    let up = fx.upstream();
    git(
        fx.root(),
        &["clone", "-q", "--bare", up.to_str().unwrap(), "gerrit.git"],
    );
    write(
        &fx.repo().join("verda-patch.toml"),
        "[projects.demo]\ngit = \"../upstream\"\npin = \"1.0\"\n\
         gerrit = \"http://127.0.0.1:1\"\ngerrit_project = \"demo/app\"\ngerrit_timeout = 1\n\
         gerrit_push = \"../gerrit.git\"\n",
    );
    edit(
        &up.join("README"),
        "demo upstream\n",
        "demo upstream, moved\n",
    );
    git(&up, &["commit", "-q", "-am", "Reword the README"]);
    fx.commit_patch_repo();
    fx.root().join("gerrit.git")
}

/// `verda-patch propose …` as a developer who knows who they are, killed
/// at `crash` when given.
fn propose(fx: &Fixture, args: &[&str], crash: Option<&str>) -> (i32, String, String) {
    use std::os::unix::process::ExitStatusExt;
    let mut all = vec!["propose"];
    all.extend_from_slice(args);
    let mut command = fx.verda(&all);
    command
        .env("GIT_COMMITTER_NAME", "Dee Veloper")
        .env("GIT_COMMITTER_EMAIL", "dee@example.org")
        .env("GIT_COMMITTER_DATE", "@1780000000 +0200");
    if let Some(point) = crash {
        command.env("VERDA_PATCH_CRASH_AT", point);
    }
    let output = command.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    if let Some(point) = crash {
        assert_eq!(
            output.status.signal(),
            Some(libc::SIGABRT),
            "{point}: propose did not reach the crash point: {stdout}{stderr}"
        );
    }
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

/// Where a recovered propose and an uninterrupted one must agree.
#[derive(Debug, PartialEq)]
struct Proposed {
    patch_files: Vec<(String, String)>,
    /// What Gerrit received: `refs/for/…` and the commit.
    pushed: String,
    leftovers: Vec<String>,
    /// `git status` of the patch repo.
    repo_status: String,
}

fn proposed(fx: &Fixture, target: &Path) -> Proposed {
    Proposed {
        patch_files: fx.patch_files(),
        pushed: git(
            target,
            &[
                "for-each-ref",
                "--format=%(refname) %(objectname)",
                "refs/for/",
            ],
        ),
        leftovers: leftovers(fx),
        repo_status: git(&fx.repo(), &["status", "--porcelain"]),
    }
}

#[test]
fn a_propose_killed_anywhere_is_finished_by_continue_or_undone_by_abort() {
    let expected = {
        let fx = fixture();
        let target = ready_to_propose(&fx);
        let (code, stdout, stderr) = propose(&fx, &[UPSTREAMABLE_PATCH], None);
        assert_eq!(code, 0, "{stdout}{stderr}");
        proposed(&fx, &target)
    };
    assert!(
        expected.pushed.starts_with("refs/for/master "),
        "{expected:?}"
    );
    assert!(
        expected.repo_status.contains(UPSTREAMABLE_PATCH),
        "the patch file records the change: {expected:?}"
    );
    for point in [
        "journal-record-saved",
        "replay-item-done",
        "propose-pushed",
        "propose-recorded",
        "propose-patch-written",
    ] {
        for recover in ["--continue", "--abort"] {
            let fx = fixture();
            let target = ready_to_propose(&fx);
            let before = proposed(&fx, &target);
            propose(&fx, &[UPSTREAMABLE_PATCH], Some(point));

            let (_, status, _) = fx.run(&["status"]);
            assert!(
                status.contains(&format!(
                    "propose of {UPSTREAMABLE_PATCH} to master in progress"
                )) && status.contains(&format!("`verda-patch propose {recover} --project demo`")),
                "{point}: {status}"
            );
            let (_, json, _) = fx.run(&["status", "--json"]);
            let json: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(json[0]["pending"]["kind"], "propose", "{point}");
            assert_eq!(json[0]["propose"]["patch"], UPSTREAMABLE_PATCH, "{point}");
            // The journal's table: export and import would be undone by
            // --abort, apply runs (a propose never touches custom-source).
            let (code, _, stderr) = fx.run(&["export"]);
            assert_eq!(code, 1, "{point}: {stderr}");
            assert!(
                stderr.contains("a propose of `demo` is in progress"),
                "{point}: {stderr}"
            );
            let (code, stdout, stderr) = fx.run(&["apply"]);
            assert_eq!(code, 0, "{point}: {stdout}{stderr}");

            let (code, stdout, stderr) = propose(&fx, &[recover], None);
            assert_eq!(code, 0, "{point} {recover}: {stdout}{stderr}");
            let after = proposed(&fx, &target);
            if recover == "--continue" {
                assert_eq!(after, expected, "{point} {recover}");
            } else {
                assert_eq!(after.patch_files, before.patch_files, "{point}");
                assert_eq!(after.repo_status, "", "{point}");
                assert_eq!(after.leftovers, Vec::<String>::new(), "{point}");
                // A push cannot be taken back; before it, nothing went out.
                if matches!(point, "journal-record-saved" | "replay-item-done") {
                    assert_eq!(after.pushed, "", "{point}");
                }
            }
            let (_, status, _) = fx.run(&["status"]);
            assert!(!status.contains("propose"), "{point} {recover}: {status}");
        }
    }
}

/// Upstream master writes the file the upstreamable patch creates: the
/// forward-port stops; the resolution keeps both lines.
fn stop_a_propose_and_resolve(fx: &Fixture) -> PathBuf {
    let target = ready_to_propose(fx);
    let up = fx.upstream();
    write(&up.join("app/weigher_cache.py"), "CACHE = None\n");
    git(&up, &["add", "-A"]);
    git(&up, &["commit", "-q", "-m", "Upstream's own cache"]);
    assert_eq!(propose(fx, &[UPSTREAMABLE_PATCH], None).0, 3);
    let work = fx.repo().join(".verda/propose/demo");
    write(&work.join("app/weigher_cache.py"), "CACHE = {}  # merged\n");
    git(&work, &["add", "app/weigher_cache.py"]);
    target
}

#[test]
fn a_propose_continue_killed_half_way_is_finished_by_running_it_again() {
    let expected = {
        let fx = fixture();
        let target = stop_a_propose_and_resolve(&fx);
        let (code, stdout, stderr) = propose(&fx, &["--continue"], None);
        assert_eq!(code, 0, "{stdout}{stderr}");
        proposed(&fx, &target)
    };
    for point in [
        "replay-resolution-taken",
        "propose-pushed",
        "propose-patch-written",
    ] {
        let fx = fixture();
        let target = stop_a_propose_and_resolve(&fx);
        propose(&fx, &["--continue"], Some(point));
        let (code, stdout, stderr) = propose(&fx, &["--continue"], None);
        assert_eq!(code, 0, "{point}: {stdout}{stderr}");
        assert_eq!(proposed(&fx, &target), expected, "{point}");
    }
    // Aborted after the resolution was taken: the patch repo as it was.
    let fx = fixture();
    stop_a_propose_and_resolve(&fx);
    let before = fx.patch_files();
    propose(&fx, &["--continue"], Some("replay-resolution-taken"));
    let (code, stdout, stderr) = propose(&fx, &["--abort"], None);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(fx.patch_files(), before);
    assert_eq!(git(&fx.repo(), &["status", "--porcelain"]), "");
    assert_eq!(leftovers(&fx), Vec::<String>::new());
}

/// Gerrit's git side, as far as a push of a change goes: `refs/for/<branch>`
/// is no ref that stays (the change is kept under `refs/changes/`), and a
/// commit it has already is refused with "no new changes".
fn act_like_gerrit(target: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let hooks = target.join("hooks");
    for (name, script) in [
        (
            "update",
            "#!/bin/sh\n\
             if git rev-parse -q --verify \"refs/changes/$3\" >/dev/null; then\n\
             \techo \"no new changes\" >&2\n\
             \texit 1\n\
             fi\n",
        ),
        (
            "post-receive",
            "#!/bin/sh\n\
             while read old new ref; do\n\
             \tgit update-ref \"refs/changes/$new\" \"$new\"\n\
             \tgit update-ref -d \"$ref\"\n\
             done\n",
        ),
    ] {
        let file = hooks.join(name);
        write(&file, script);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// Killed after its push and before it recorded the change, a propose's
/// `--continue` pushes the same commit again; Gerrit answers "no new
/// changes", which means it has it.
#[test]
fn a_propose_killed_after_its_push_is_finished_although_gerrit_has_the_commit() {
    let expected = {
        let fx = fixture();
        let target = ready_to_propose(&fx);
        act_like_gerrit(&target);
        let (code, stdout, stderr) = propose(&fx, &[UPSTREAMABLE_PATCH], None);
        assert_eq!(code, 0, "{stdout}{stderr}");
        let changes = git(&target, &["for-each-ref", "refs/changes/"]);
        assert_eq!(changes.lines().count(), 1, "{changes}");
        (fx.patch_files(), changes)
    };
    let fx = fixture();
    let target = ready_to_propose(&fx);
    act_like_gerrit(&target);
    propose(&fx, &[UPSTREAMABLE_PATCH], Some("propose-pushed"));
    // What a plain push of the same commit again gets from this Gerrit.
    let pushed = git(
        &target,
        &["for-each-ref", "--format=%(objectname)", "refs/changes/"],
    );
    let again = std::process::Command::new("git")
        .current_dir(fx.root())
        .args(["--git-dir", "gerrit.git", "push", "gerrit.git"])
        .arg(format!("{pushed}:refs/for/master"))
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no new changes"));

    let (code, stdout, stderr) = propose(&fx, &["--continue"], None);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        (
            fx.patch_files(),
            git(&target, &["for-each-ref", "refs/changes/"])
        ),
        expected
    );
    assert_eq!(leftovers(&fx), Vec::<String>::new());
}
