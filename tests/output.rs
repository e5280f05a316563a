//! Snapshots of what a user reads: a change in wording is a reviewed diff.

mod common;

use common::{edit, fixture, git, write};

fn both(out: &(i32, String, String)) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.0, out.1, out.2
    )
}

#[test]
fn apply_list_status_check() {
    let fx = fixture();
    insta::assert_snapshot!("apply", both(&fx.run(&["apply"])));
    insta::assert_snapshot!("list", both(&fx.run(&["list"])));
    insta::assert_snapshot!("status", both(&fx.run(&["status"])));
    insta::assert_snapshot!("check", both(&fx.run(&["check"])));
}

#[test]
fn refusals_and_failures() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    write(&fx.custom().join("README"), "unsaved\n");
    insta::assert_snapshot!("dirty", both(&fx.run(&["apply"])));
    git(&fx.custom(), &["commit", "-q", "-am", "Unsaved work"]);
    insta::assert_snapshot!("unexported", both(&fx.run(&["apply"])));
    insta::assert_snapshot!("no-category", both(&fx.run(&["export"])));

    let fx = fixture();
    fx.pin_release_that_breaks_the_bugfix();
    insta::assert_snapshot!("does-not-apply", both(&fx.run(&["apply"])));
}

#[test]
fn an_interrupted_apply_and_export() {
    let fx = fixture();
    fx.crash(&["apply"], "worktree-file-written:2");
    insta::with_settings!({filters => vec![(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]")]}, {
        insta::assert_snapshot!("apply-interrupted", both(&fx.run(&["status"])));
        insta::assert_snapshot!("apply-interrupted-refused", both(&fx.run(&["apply"])));
    });
    fx.verda(&["apply", "--force"]).assert().success();
    write(&fx.custom().join("app/new.py"), "NEW = 1\n");
    git(&fx.custom(), &["add", "-A"]);
    git(&fx.custom(), &["commit", "-q", "-m", "Add a module"]);
    fx.crash(
        &["export", "--category", "feature"],
        "export-series-written",
    );
    insta::with_settings!({filters => vec![(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]")]}, {
        insta::assert_snapshot!("export-interrupted", both(&fx.run(&["status"])));
    });
    insta::assert_snapshot!("export-finished", both(&fx.run(&["export"])));
}

#[test]
fn verbose_shows_each_step_with_timings() {
    let fx = fixture();
    let timings = vec![
        (r"\[ *\d+\.\d{3}s\]", "[t]"),
        (r"done in \d+\.\d ms", "done in [ms]"),
        (r"backup/\d{8}T\d{6}-", "backup/[TIME]-"),
    ];
    insta::with_settings!({filters => timings}, {
        insta::assert_snapshot!("apply-verbose", both(&fx.run(&["apply", "-v"])));
        // Edit a patch: what is reused from the cache and what is rebuilt.
        let file = fx.patches().join("upstreamable/0003-cache-weigher-results.patch");
        let text = std::fs::read_to_string(&file).unwrap();
        write(&file, &text.replace("+CACHE = {}", "+CACHE = dict()"));
        insta::assert_snapshot!("reapply-verbose", both(&fx.run(&["apply", "--verbose"])));
        write(&fx.custom().join("app/new.py"), "NEW = 1\n");
        git(&fx.custom(), &["add", "-A"]);
        git(&fx.custom(), &["commit", "-q", "-m", "Add a module"]);
        insta::assert_snapshot!(
            "export-verbose",
            both(&fx.run(&["export", "-v", "--category", "feature"]))
        );
    });
    let (code, _, stderr) = fx.run(&["status", "-v", "-q"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

/// Stopped on a conflict: what rebase says, what `status` says meanwhile,
/// the refusals, and `--continue` before the conflict is resolved.
#[test]
fn a_rebase_stopped_on_a_conflict() {
    let fx = fixture();
    let up = fx.upstream();
    edit(
        &up.join("app/quota.py"),
        "quota line 10\n",
        "quota line ten\n",
    );
    git(&up, &["commit", "-q", "-am", "Rename quota line 10"]);
    git(&up, &["tag", "2.0"]);
    insta::assert_snapshot!("rebase-conflict", both(&fx.run(&["rebase", "--to", "2.0"])));
    insta::assert_snapshot!("rebase-status", both(&fx.run(&["status"])));
    insta::assert_snapshot!("rebase-refuses-apply", both(&fx.run(&["apply"])));
    insta::assert_snapshot!(
        "rebase-refuses-cherry-pick",
        both(&fx.run(&["cherry-pick", "2.0"]))
    );
    insta::assert_snapshot!(
        "rebase-continue-unresolved",
        both(&fx.run(&["rebase", "--continue"]))
    );
    insta::assert_snapshot!("rebase-abort", both(&fx.run(&["rebase", "--abort"])));
    insta::assert_snapshot!(
        "rebase-abort-nothing",
        both(&fx.run(&["rebase", "--abort"]))
    );
}

/// The same for a cherry-pick, and `export` refused while it is stopped.
#[test]
fn a_cherry_pick_stopped_on_a_conflict() {
    let fx = fixture();
    let up = fx.upstream();
    edit(
        &up.join("app/scheduler.py"),
        "scheduler line 20\n",
        "scheduler line 20 (upstream's way)\n",
    );
    git(&up, &["commit", "-q", "-am", "Fix line 20 upstream's way"]);
    let commit = git(&up, &["rev-parse", "HEAD"]);
    insta::assert_snapshot!("pick-conflict", both(&fx.run(&["cherry-pick", &commit])));
    insta::assert_snapshot!("pick-status", both(&fx.run(&["status"])));
    insta::assert_snapshot!("pick-refuses-export", both(&fx.run(&["export"])));
    insta::assert_snapshot!(
        "pick-refuses-rebase",
        both(&fx.run(&["rebase", "--to", "1.0"]))
    );
    insta::assert_snapshot!(
        "pick-refuses-propose",
        both(&fx.run(&["propose", "upstreamable/0003-cache-weigher-results.patch"]))
    );
    insta::assert_snapshot!(
        "pick-continue-unresolved",
        both(&fx.run(&["cherry-pick", "--continue"]))
    );
    insta::assert_snapshot!("pick-abort", both(&fx.run(&["cherry-pick", "--abort"])));
}

/// A propose stopped on a conflict: its message, `status` meanwhile, the
/// refusals, `--continue` before the conflict is resolved, and `--abort`.
#[test]
fn a_propose_stopped_on_a_conflict() {
    let fx = fixture();
    write(
        &fx.repo().join("verda-patch.toml"),
        "[projects.demo]\ngit = \"../upstream\"\npin = \"1.0\"\n\
         gerrit = \"http://127.0.0.1:1\"\ngerrit_project = \"demo/app\"\n\
         gerrit_push = \"../gerrit.git\"\n",
    );
    let up = fx.upstream();
    write(&up.join("app/weigher_cache.py"), "CACHE = None\n");
    git(&up, &["add", "-A"]);
    git(&up, &["commit", "-q", "-m", "Upstream's own cache"]);
    let patch = "upstreamable/0003-cache-weigher-results.patch";
    insta::assert_snapshot!("propose-conflict", both(&fx.run(&["propose", patch])));
    insta::assert_snapshot!("propose-status", both(&fx.run(&["status"])));
    insta::assert_snapshot!("propose-refuses-export", both(&fx.run(&["export"])));
    insta::assert_snapshot!(
        "propose-refuses-cherry-pick",
        both(&fx.run(&["cherry-pick", "1.0"]))
    );
    insta::assert_snapshot!(
        "propose-continue-unresolved",
        both(&fx.run(&["propose", "--continue"]))
    );
    insta::assert_snapshot!("propose-abort", both(&fx.run(&["propose", "--abort"])));
}
