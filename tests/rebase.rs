//! `rebase --to`: upstream detection, 3-way carries, conflicts with
//! --continue / --skip / --abort, recorded resolutions, the forecast.

mod common;

use common::{Fixture, edit, fixture, git, git_command, write};

/// Release 2.0 upstream after `change` (a closure editing the upstream tree).
fn release(fx: &Fixture, tag: &str, message: &str, change: impl FnOnce(&std::path::Path)) {
    change(&fx.upstream());
    git(&fx.upstream(), &["add", "-A"]);
    git(&fx.upstream(), &["commit", "-q", "-m", message]);
    git(&fx.upstream(), &["tag", tag]);
}

/// Release 2.0 carries the bugfix's Change-Id, with other content.
fn upstream_merges_the_bugfix_differently(fx: &Fixture) {
    release(
        fx,
        "2.0",
        "Fix host ordering differently\n\nChange-Id: I2222222222222222222222222222222222222222",
        |up| {
            edit(
                &up.join("app/scheduler.py"),
                "scheduler line 20\n",
                "scheduler line 20 (fixed upstream)\n",
            )
        },
    );
}

fn series(fx: &Fixture) -> String {
    std::fs::read_to_string(fx.patches().join("series")).unwrap()
}

#[test]
fn a_change_id_merged_upstream_in_another_form_is_dropped_where_git_rebase_stops() {
    let fx = fixture();
    upstream_merges_the_bugfix_differently(&fx);
    // Plain git rebase of the same commits stops on this one.
    let work = fx.root().join("work");
    git(&work, &["fetch", "-q", "origin", "--tags"]);
    let rebase = git_command(&work, &["rebase", "2.0"]).output().unwrap();
    assert!(
        !rebase.status.success(),
        "git rebase was expected to stop on the conflict"
    );

    fx.verda(&["apply"]).assert().success();
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("bugfix/0002-fix-host-ordering.patch")
            && stdout.contains("upstream merged its Change-Id"),
        "{stdout}"
    );
    assert!(!series(&fx).contains("0002"), "{}", series(&fx));
    assert!(
        !fx.patches()
            .join("bugfix/0002-fix-host-ordering.patch")
            .exists()
    );
    let manifest = std::fs::read_to_string(fx.repo().join("verda-patch.toml")).unwrap();
    assert!(manifest.contains("pin = \"2.0\""), "{manifest}");
    assert_eq!(
        git(&fx.custom(), &["rev-parse", "HEAD~2"]),
        git(&fx.upstream(), &["rev-parse", "2.0^{commit}"])
    );
    assert!(
        std::fs::read_to_string(fx.custom().join("app/scheduler.py"))
            .unwrap()
            .contains("(fixed upstream)")
    );
    assert_eq!(git(&fx.custom(), &["status", "--porcelain"]), "");
    // The carried patches are exported again, still applying: check is clean.
    fx.verda(&["check"]).assert().success();
}

#[test]
fn the_same_change_made_upstream_without_a_change_id_is_dropped_by_patch_id() {
    let fx = fixture();
    // An unrelated upstream commit, then the quota patch's change word for
    // word in a commit of its own, without the patch's Change-Id.
    let up = fx.upstream();
    write(&up.join("README"), "demo upstream, release 2\n");
    git(&up, &["commit", "-q", "-am", "Update the README"]);
    release(&fx, "2.0", "Count PCI devices in quotas", |up| {
        edit(
            &up.join("app/quota.py"),
            "quota line 10\n",
            "quota line 10\nPCI_DEVICES = 'a100'\n",
        )
    });
    fx.verda(&["apply"]).assert().success();
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("feature/0001-add-pci-device-quota.patch")
            && stdout.contains("upstream made the same change (patch-id)"),
        "{stdout}"
    );
    assert!(!series(&fx).contains("0001"), "{}", series(&fx));
    assert!(series(&fx).contains("0002"), "{}", series(&fx));
}

#[test]
fn a_cherry_picked_fix_is_dropped_by_ancestry_and_a_nearby_change_is_merged() {
    let fx = fixture();
    // An upstream fix on master, picked into the queue with -x.
    release(&fx, "1.5", "Add a retry helper", |up| {
        write(&up.join("app/retry.py"), "RETRIES = 3\n")
    });
    let fix = git(&fx.upstream(), &["rev-parse", "HEAD"]);
    let work = fx.root().join("work");
    git(&work, &["fetch", "-q", "origin", "--tags"]);
    git(&work, &["cherry-pick", "-x", &fix]);
    let out = fx.root().join("picked");
    common::format_patch(&work, &out, "-1");
    let picked = std::fs::read_dir(&out)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::copy(
        picked,
        fx.patches().join("bugfix/0004-add-a-retry-helper.patch"),
    )
    .unwrap();
    write(
        &fx.patches().join("series"),
        &format!("{}bugfix/0004-add-a-retry-helper.patch\n", series(&fx)),
    );
    // Upstream also changes a line next to the feature's hunk.
    release(&fx, "2.0", "Touch quota line 8", |up| {
        edit(
            &up.join("app/quota.py"),
            "quota line 8\n",
            "quota line 8 (upstream)\n",
        )
    });

    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("0004-add-a-retry-helper.patch")
            && stdout.contains("its cherry-picked commit is in the release"),
        "{stdout}"
    );
    assert!(
        stdout.contains("feature/0001-add-pci-device-quota.patch")
            && stdout.contains("carried (3-way)"),
        "{stdout}"
    );
    let quota = std::fs::read_to_string(fx.custom().join("app/quota.py")).unwrap();
    assert!(
        quota.contains("quota line 8 (upstream)") && quota.contains("PCI_DEVICES = 'a100'"),
        "{quota}"
    );
}

fn conflicting_release(fx: &Fixture) {
    release(fx, "2.0", "Rename quota line 10", |up| {
        edit(
            &up.join("app/quota.py"),
            "quota line 10\n",
            "quota line ten\n",
        )
    });
}

#[test]
fn a_conflict_stops_and_continue_exports_the_resolution() {
    let fx = fixture();
    conflicting_release(&fx);
    fx.commit_patch_repo();
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stderr.contains("feature/0001-add-pci-device-quota.patch")
            && stderr.contains("app/quota.py"),
        "{stderr}"
    );
    assert!(
        stderr.contains("verda-patch rebase --continue demo"),
        "{stderr}"
    );
    let conflicted = std::fs::read_to_string(fx.custom().join("app/quota.py")).unwrap();
    assert!(
        conflicted.contains("<<<<<<<") && conflicted.contains("|||||||"),
        "diff3 markers: {conflicted}"
    );
    let (_, status, _) = fx.run(&["status"]);
    assert!(
        status.contains("rebase to 2.0 in progress") && status.contains("--continue"),
        "{status}"
    );
    // A second rebase and an apply are refused meanwhile.
    assert_eq!(fx.run(&["rebase", "--to", "2.0"]).0, 1);
    let (code, _, stderr) = fx.run(&["apply"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("a rebase of `demo` is in progress"),
        "{stderr}"
    );
    // Continuing with the conflict unresolved is refused.
    assert_eq!(fx.run(&["rebase", "--continue"]).0, 3);

    let resolved = conflicted
        .lines()
        .filter(|l| {
            !l.starts_with("<<<<<<<")
                && !l.starts_with("|||||||")
                && !l.starts_with("=======")
                && !l.starts_with(">>>>>>>")
        })
        .filter(|l| *l != "quota line 10")
        .map(|l| format!("{l}\n"))
        .collect::<String>();
    std::fs::write(fx.custom().join("app/quota.py"), &resolved).unwrap();
    git(&fx.custom(), &["add", "app/quota.py"]);
    let (code, stdout, stderr) = fx.run(&["rebase", "--continue"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("resolved by hand"), "{stdout}");
    let patch =
        std::fs::read_to_string(fx.patches().join("feature/0001-add-pci-device-quota.patch"))
            .unwrap();
    assert!(
        patch.contains(" quota line ten\n+PCI_DEVICES = 'a100'"),
        "{patch}"
    );
    assert_eq!(
        std::fs::read_to_string(fx.custom().join("app/quota.py")).unwrap(),
        resolved
    );

    // Replaying the same upgrade from the original state needs no stop.
    git(&fx.repo(), &["checkout", "-q", "--", "."]);
    git(
        &fx.repo(),
        &["clean", "-q", "-f", "--", "patches/demo/feature"],
    );
    write(
        &fx.repo().join("verda-patch.toml"),
        "[projects.demo]\ngit = \"../upstream\"\npin = \"1.0\"\n",
    );
    fx.verda(&["apply", "--force"]).assert().success();
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("carried (recorded resolution)"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(fx.custom().join("app/quota.py")).unwrap(),
        resolved
    );
}

#[test]
fn skip_drops_the_conflicting_patch() {
    let fx = fixture();
    conflicting_release(&fx);
    assert_eq!(fx.run(&["rebase", "--to", "2.0"]).0, 3);
    let (code, stdout, stderr) = fx.run(&["rebase", "--skip"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("skipped"), "{stdout}");
    assert!(!series(&fx).contains("0001"));
    assert!(
        !fx.patches()
            .join("feature/0001-add-pci-device-quota.patch")
            .exists()
    );
    assert!(
        !std::fs::read_to_string(fx.custom().join("app/quota.py"))
            .unwrap()
            .contains("<<<<<<<")
    );
    assert_eq!(git(&fx.custom(), &["status", "--porcelain"]), "");
}

#[test]
fn abort_restores_the_patch_repo_and_custom_source() {
    let fx = fixture();
    conflicting_release(&fx);
    fx.commit_patch_repo();
    fx.verda(&["apply"]).assert().success();
    let head = git(&fx.custom(), &["rev-parse", "HEAD"]);
    assert_eq!(fx.run(&["rebase", "--to", "2.0"]).0, 3);
    let (code, _, stderr) = fx.run(&["rebase", "--abort"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(git(&fx.repo(), &["status", "--porcelain"]), "");
    assert_eq!(git(&fx.custom(), &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&fx.custom(), &["status", "--porcelain"]), "");
    assert!(!fx.repo().join(".verda/journal/demo").exists());
    fx.verda(&["apply"]).assert().success();
}

#[test]
fn check_against_forecasts_the_conflict_and_writes_nothing() {
    let fx = fixture();
    conflicting_release(&fx);
    let before = fx.patch_files();
    let (code, stdout, stderr) = fx.run(&["check", "--against", "2.0"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("would rebase 1.0 -> 2.0") && stdout.contains("CONFLICT in app/quota.py"),
        "{stdout}"
    );
    assert!(
        stdout.contains("0002-fix-host-ordering.patch") && stdout.contains("carried (clean)"),
        "{stdout}"
    );
    assert_eq!(fx.patch_files(), before);
    assert!(!fx.repo().join("custom-source").exists());
    let (code, stdout, _) = fx.run(&["rebase", "--to", "2.0", "--dry-run"]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(fx.patch_files(), before);
}

#[test]
fn a_rebase_killed_anywhere_is_explained_by_status_and_undone_by_abort() {
    for point in [
        "rebase-state-saved",
        "rebase-worktree-moved",
        "rebase-pin-moved",
    ] {
        let fx = fixture();
        release(&fx, "2.0", "Touch the README", |up| {
            write(&up.join("README"), "demo upstream 2.0\n")
        });
        fx.commit_patch_repo();
        fx.verda(&["apply"]).assert().success();
        let head = git(&fx.custom(), &["rev-parse", "HEAD"]);

        let killed = fx
            .verda(&["rebase", "--to", "2.0"])
            .env("VERDA_PATCH_CRASH_AT", point)
            .output()
            .unwrap();
        assert!(
            !killed.status.success(),
            "{point}: the crash point was not reached"
        );
        let (_, status, _) = fx.run(&["status"]);
        assert!(
            status.contains("rebase to 2.0") && status.contains("--abort"),
            "{point}: {status}"
        );
        let (code, _, stderr) = fx.run(&["rebase", "--abort"]);
        assert_eq!(code, 0, "{point}: {stderr}");
        assert_eq!(git(&fx.repo(), &["status", "--porcelain"]), "", "{point}");
        assert_eq!(git(&fx.custom(), &["rev-parse", "HEAD"]), head, "{point}");
        assert_eq!(git(&fx.custom(), &["status", "--porcelain"]), "", "{point}");
        // And the upgrade then goes through.
        let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
        assert_eq!(code, 0, "{point}: {stdout}{stderr}");
    }
}

#[test]
fn keep_overrides_an_upstream_rule() {
    let fx = fixture();
    upstream_merges_the_bugfix_differently(&fx);
    let (_, dropped, _) = fx.run(&["rebase", "--to", "2.0", "--dry-run"]);
    assert!(
        dropped.contains("upstream merged its Change-Id"),
        "{dropped}"
    );
    let (_, kept, _) = fx.run(&[
        "rebase",
        "--to",
        "2.0",
        "--dry-run",
        "--keep",
        "bugfix/0002-fix-host-ordering.patch",
    ]);
    assert!(
        !kept.contains("upstream merged its Change-Id")
            && kept.contains("CONFLICT in app/scheduler.py"),
        "{kept}"
    );
}

/// Release 2.0 edits app/scheduler.py at line 5 and at line 33, next to
/// where the queue's last patch, a rename of that file with an edit at line
/// 35, changes it: the patch's hunk no longer applies, its rename carries
/// the upstream edits (3-way from its preimage blob), as `git rebase` does.
#[test]
fn an_exported_rename_carries_upstream_edits_of_the_old_path() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    let work = fx.root().join("work");
    for dir in [fx.custom(), work.clone()] {
        git(&dir, &["mv", "app/scheduler.py", "app/host_scheduler.py"]);
        edit(
            &dir.join("app/host_scheduler.py"),
            "scheduler line 35\n",
            "scheduler line 35 (moved)\n",
        );
        git(&dir, &["commit", "-q", "-am", "Move the scheduler"]);
    }
    fx.verda(&["export", "--category", "feature"])
        .assert()
        .success();
    let exported =
        std::fs::read_to_string(fx.patches().join("feature/0004-move-the-scheduler.patch"))
            .unwrap();
    let diff = git(
        &work,
        &["diff-tree", "-p", "-M", "--full-index", "HEAD~1", "HEAD"],
    );
    assert!(exported.ends_with(&format!("{diff}\n")), "{exported}");
    assert!(
        exported.contains("\nrename from app/scheduler.py\n"),
        "{exported}"
    );

    release(&fx, "2.0", "Touch the scheduler", |up| {
        edit(
            &up.join("app/scheduler.py"),
            "scheduler line 5\n",
            "scheduler line 5 (2.0)\n",
        );
        edit(
            &up.join("app/scheduler.py"),
            "scheduler line 33\n",
            "scheduler line 33 (2.0)\n",
        );
    });
    git(&work, &["fetch", "-q", "origin", "--tags"]);
    git(&work, &["rebase", "-q", "2.0"]);

    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.contains("feature/0004-move-the-scheduler.patch"))
        .unwrap_or_default();
    assert!(line.contains("3-way"), "{stdout}");
    assert_eq!(
        git(&fx.custom(), &["rev-parse", "HEAD^{tree}"]),
        git(&work, &["rev-parse", "HEAD^{tree}"])
    );
    let moved = std::fs::read_to_string(fx.custom().join("app/host_scheduler.py")).unwrap();
    assert!(moved.contains("scheduler line 33 (2.0)\n"), "{moved}");
}

/// Release 2.0 renames app/quota.py, which feature/0001 edits: the replay
/// follows the rename (a 3-way merge with rename detection, like
/// merge-ort), giving `git rebase`'s tree, where a merge blind to renames
/// stops on a delete/modify conflict.
#[test]
fn an_edit_follows_a_file_upstream_renamed() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    release(&fx, "2.0", "Rename the quota module", |up| {
        git(up, &["mv", "app/quota.py", "app/quotas.py"]);
        edit(
            &up.join("app/quotas.py"),
            "quota line 28\n",
            "quota line 28 (2.0)\n",
        );
    });
    let work = fx.root().join("work");
    git(&work, &["fetch", "-q", "origin", "--tags"]);
    git(&work, &["rebase", "-q", "2.0"]);

    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        git(&fx.custom(), &["rev-parse", "HEAD^{tree}"]),
        git(&work, &["rev-parse", "HEAD^{tree}"])
    );
    let patch =
        std::fs::read_to_string(fx.patches().join("feature/0001-add-pci-device-quota.patch"))
            .unwrap();
    assert!(patch.contains("+++ b/app/quotas.py\n"), "{patch}");
}

/// A rebase left in progress by a verda-patch from before the journal is
/// refused, never ignored: its backup is the way back.
#[test]
fn state_of_an_older_version_is_refused_not_ignored() {
    let fx = fixture();
    write(&fx.repo().join(".verda/rebase/demo/state.json"), "{}");
    let (code, _, stderr) = fx.run(&["apply"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stderr,
        "error: .verda/rebase/demo holds a rebase started by an older verda-patch; finish it or undo it \
         with that version (`verda-patch rebase --abort demo`), or restore its backup from \
         .verda/rebase/demo/backup by hand and remove the directory\n"
    );
    assert!(!fx.custom().exists());
}
