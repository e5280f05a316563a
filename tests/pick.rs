//! `cherry-pick` from upstream with provenance, `list --upstream`, and the
//! next `rebase --to` dropping the picks.

mod common;

use common::{Fixture, edit, fixture, git, write};

const CHANGE_A: &str = "Iaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const CHANGE_B: &str = "Ibbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// Two fixes on upstream master after the pin; returns their ids.
fn upstream_fixes(fx: &Fixture) -> (String, String) {
    let up = fx.upstream();
    edit(
        &up.join("app/scheduler.py"),
        "scheduler line 30\n",
        "scheduler line 30 (upstream fix)\n",
    );
    git(
        &up,
        &[
            "commit",
            "-q",
            "-am",
            &format!("Fix the scheduler at line 30\n\nCloses-Bug: #3000001\nChange-Id: {CHANGE_A}"),
        ],
    );
    let a = git(&up, &["rev-parse", "HEAD"]);
    write(&up.join("app/util.py"), "def helper():\n    return True\n");
    git(&up, &["add", "-A"]);
    git(
        &up,
        &[
            "commit",
            "-q",
            "-m",
            &format!("Add a helper\n\nRelated-Bug: #3000002\nChange-Id: {CHANGE_B}"),
        ],
    );
    (a, git(&up, &["rev-parse", "HEAD"]))
}

#[test]
fn picks_by_sha_and_change_id_with_provenance_and_rebase_drops_them() {
    let fx = fixture();
    let (a, b) = upstream_fixes(&fx);
    let (code, stdout, stderr) = fx.run(&["cherry-pick", &a]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, stderr) = fx.run(&["cherry-pick", CHANGE_B]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    let first = fx
        .patches()
        .join("bugfix/0004-fix-the-scheduler-at-line-30.patch");
    let text = std::fs::read_to_string(&first).unwrap();
    for needle in [
        "From: Ada Upstream <ada@example.org>".to_string(),
        "Date: Fri, 2 Jan 2026 03:04:05 +0000".to_string(),
        "Closes-Bug: #3000001".to_string(),
        format!("Change-Id: {CHANGE_A}"),
        format!("(cherry picked from commit {a})"),
        format!("Upstream-Status: Backport {a}"),
    ] {
        assert!(text.contains(&needle), "{needle} missing from\n{text}");
    }
    let second =
        std::fs::read_to_string(fx.patches().join("bugfix/0005-add-a-helper.patch")).unwrap();
    assert!(
        second.contains(&format!("(cherry picked from commit {b})"))
            && second.contains("Related-Bug: #3000002"),
        "{second}"
    );
    let series = std::fs::read_to_string(fx.patches().join("series")).unwrap();
    assert!(
        series.ends_with(
            "bugfix/0004-fix-the-scheduler-at-line-30.patch\nbugfix/0005-add-a-helper.patch\n"
        ),
        "{series}"
    );
    fx.verda(&["check"]).assert().success();

    // Where each patch stands upstream.
    let output = fx
        .verda(&["list", "--upstream", "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let patches = json[0]["patches"].as_array().unwrap();
    assert_eq!(patches[0]["upstream"]["state"], "not-upstream");
    assert_eq!(patches[3]["upstream"]["state"], "on-branch");
    assert_eq!(patches[3]["upstream"]["branches"][0], "master");
    assert_eq!(patches[4]["upstream"]["rule"], "ancestry");

    // A release containing them: the next rebase drops both, carries the rest.
    git(&fx.upstream(), &["tag", "2.0"]);
    fx.verda(&["fetch"]).assert().success();
    let (_, stdout, _) = fx.run(&["list", "--upstream"]);
    assert!(stdout.contains("merged in 2.0"), "{stdout}");
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("0004-fix-the-scheduler-at-line-30.patch")
            && stdout.contains("0005-add-a-helper.patch"),
        "{stdout}"
    );
    assert_eq!(
        stdout
            .matches("dropped: its cherry-picked commit is in the release")
            .count(),
        2,
        "{stdout}"
    );
    assert_eq!(stdout.matches("carried (clean)").count(), 3, "{stdout}");
    let series = std::fs::read_to_string(fx.patches().join("series")).unwrap();
    assert!(
        !series.contains("0004") && !series.contains("0005"),
        "{series}"
    );
}

#[test]
fn an_unknown_revision_exits_1_naming_it() {
    let fx = fixture();
    let (code, _, stderr) = fx.run(&["cherry-pick", "deadbeefdeadbeef"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("deadbeefdeadbeef"), "{stderr}");
    let (code, _, stderr) = fx.run(&["cherry-pick", "I0000000000000000000000000000000000000000"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("I0000000000000000000000000000000000000000"),
        "{stderr}"
    );
    assert!(
        !fx.repo().join("custom-source").exists(),
        "nothing was built for a pick that cannot happen"
    );
}

#[test]
fn a_conflicting_pick_stops_and_abort_restores_everything() {
    let fx = fixture();
    let up = fx.upstream();
    edit(
        &up.join("app/scheduler.py"),
        "scheduler line 20\n",
        "scheduler line 20 (upstream's way)\n",
    );
    git(&up, &["commit", "-q", "-am", "Fix line 20 upstream's way"]);
    let c = git(&up, &["rev-parse", "HEAD"]);
    fx.commit_patch_repo();
    fx.verda(&["apply"]).assert().success();
    let head = git(&fx.custom(), &["rev-parse", "HEAD"]);

    let (code, _, stderr) = fx.run(&["cherry-pick", &c]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("app/scheduler.py") && stderr.contains("--continue"),
        "{stderr}"
    );
    assert!(
        std::fs::read_to_string(fx.custom().join("app/scheduler.py"))
            .unwrap()
            .contains("<<<<<<<")
    );
    // status says where the pick stopped and what to run next.
    let (code, stdout, stderr) = fx.run(&["status"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("cherry-pick in progress: 0/1 picked")
            && stdout.contains(&format!("stopped on {c}: conflict in app/scheduler.py"))
            && stdout.contains("cherry-pick --continue"),
        "{stdout}"
    );
    let (code, stdout, _) = fx.run(&["status", "--json"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json[0]["cherry_pick"]["total"], 1, "{json}");
    // Neither apply (even forced) nor rebase throws the stopped pick away.
    for args in [&["apply", "--force"][..], &["rebase", "--to", "2.0"][..]] {
        let (code, _, stderr) = fx.run(args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains("cherry-pick into `demo` is in progress"),
            "{stderr}"
        );
    }
    assert!(
        std::fs::read_to_string(fx.custom().join("app/scheduler.py"))
            .unwrap()
            .contains("<<<<<<<")
    );
    let (code, _, stderr) = fx.run(&["cherry-pick", "--abort"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(git(&fx.repo(), &["status", "--porcelain"]), "");
    assert_eq!(git(&fx.custom(), &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&fx.custom(), &["status", "--porcelain"]), "");
}

/// Upstream fixes line 20 its own way, which conflicts with the queue's
/// bugfix of that line. Returns the commit.
fn conflicting_upstream_fix(fx: &Fixture) -> String {
    let up = fx.upstream();
    edit(
        &up.join("app/scheduler.py"),
        "scheduler line 20\n",
        "scheduler line 20 (upstream's way)\n",
    );
    git(
        &up,
        &[
            "commit",
            "-q",
            "-am",
            &format!("Fix line 20 upstream's way\n\nChange-Id: {CHANGE_A}"),
        ],
    );
    git(&up, &["rev-parse", "HEAD"])
}

#[test]
fn continue_after_a_hand_resolution_exports_it_with_provenance() {
    let fx = fixture();
    let c = conflicting_upstream_fix(&fx);
    fx.commit_patch_repo();
    fx.verda(&["apply"]).assert().success();
    let (code, _, stderr) = fx.run(&["cherry-pick", &c]);
    assert_eq!(code, 3, "{stderr}");

    // While it is stopped, export is refused (the journal's table): the
    // pick's --continue exports, and its --abort would undo an export.
    let (code, _, stderr) = fx.run(&["export"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stderr,
        "error: a cherry-pick into `demo` is in progress; run `verda-patch cherry-pick --continue --project demo` \
         to finish it, or `verda-patch cherry-pick --abort --project demo` to undo it\n"
    );
    // Continuing before the conflict is resolved is refused (exit 3).
    let (code, _, stderr) = fx.run(&["cherry-pick", "--continue"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("still in conflict: app/scheduler.py"),
        "{stderr}"
    );

    // Resolve by hand: keep both changes on one line.
    let file = fx.custom().join("app/scheduler.py");
    let conflicted = std::fs::read_to_string(&file).unwrap();
    let mut resolved = String::new();
    let mut inside = false;
    for line in conflicted.lines() {
        if line.starts_with("<<<<<<<") {
            inside = true;
            resolved.push_str("scheduler line 20 (both ways)\n");
        } else if line.starts_with(">>>>>>>") {
            inside = false;
        } else if !inside {
            resolved.push_str(line);
            resolved.push('\n');
        }
    }
    write(&file, &resolved);
    git(&fx.custom(), &["add", "app/scheduler.py"]);
    let (code, stdout, stderr) = fx.run(&["cherry-pick", "--continue"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        stdout,
        format!(
            "demo: picked {} Fix line 20 upstream's way -> patches/demo/bugfix/0004-fix-line-20-upstream-s-way.patch\n",
            &c[..10]
        )
    );
    let patch = std::fs::read_to_string(
        fx.patches()
            .join("bugfix/0004-fix-line-20-upstream-s-way.patch"),
    )
    .unwrap();
    assert!(
        patch.contains("+scheduler line 20 (both ways)\n")
            && patch.contains(&format!("(cherry picked from commit {c})"))
            && patch.contains(&format!("Upstream-Status: Backport {c}")),
        "{patch}"
    );
    let series = std::fs::read_to_string(fx.patches().join("series")).unwrap();
    assert!(
        series.ends_with("bugfix/0004-fix-line-20-upstream-s-way.patch\n"),
        "{series}"
    );
    // The queue applies as exported, to the same tree the user resolved.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), resolved);
    assert_eq!(git(&fx.custom(), &["status", "--porcelain"]), "");
    fx.verda(&["check"]).assert().success();
    let (_, status, _) = fx.run(&["status"]);
    assert!(!status.contains("cherry-pick"), "{status}");
    assert!(!fx.repo().join(".verda/journal/demo").exists());
    // The resolution is the exported patch: nothing else in the patch repo.
    assert_eq!(
        git(&fx.repo(), &["status", "--porcelain"]),
        " M patches/demo/series\n?? patches/demo/bugfix/0004-fix-line-20-upstream-s-way.patch"
    );
}

/// `--abort` removes what a killed checkout wrote, never a file of the
/// user's: an untracked file in custom-source survives a pick and its abort.
#[test]
fn abort_keeps_the_users_untracked_files() {
    let fx = fixture();
    let c = conflicting_upstream_fix(&fx);
    fx.verda(&["apply"]).assert().success();
    write(&fx.custom().join("notes.txt"), "mine\n");
    let (code, _, stderr) = fx.run(&["cherry-pick", &c]);
    assert_eq!(code, 3, "{stderr}");
    fx.verda(&["cherry-pick", "--abort"]).assert().success();
    assert_eq!(
        std::fs::read_to_string(fx.custom().join("notes.txt")).unwrap(),
        "mine\n"
    );
    assert_eq!(
        git(&fx.custom(), &["status", "--porcelain"]),
        "?? notes.txt"
    );
}
