//! `apply` of renames whose hunks no longer apply where the patch says: the
//! 3-way merge starts from the preimage blob of the old path, like
//! `git am -3`, and a real conflict stops naming the patch.

mod common;

use std::path::PathBuf;

use common::{edit, fixture, git, git_command};

/// The queue gains a patch (made by `git format-patch -M`) that renames
/// app/scheduler.py and edits its line 35, and is applied on 1.0 (so the
/// patch's preimage blob is known); then release 2.0 edits the file at
/// `line` and becomes the pin. The same is done with git in a clone of
/// upstream (`git am` on 1.0, then `git am -3` on 2.0), which is returned
/// with whether `git am -3` went through.
fn rename_on_a_release_that_edited(line: &str, to: &str) -> (common::Fixture, PathBuf, bool) {
    let fx = fixture();
    let work = fx.root().join("work");
    git(&work, &["mv", "app/scheduler.py", "app/host_scheduler.py"]);
    edit(
        &work.join("app/host_scheduler.py"),
        "scheduler line 35\n",
        "scheduler line 35 (moved)\n",
    );
    git(&work, &["commit", "-q", "-am", "Move the scheduler"]);
    let patch = git(
        &work,
        &[
            "format-patch",
            "-1",
            "--stdout",
            "--zero-commit",
            "--no-signature",
            "--no-stat",
            "--full-index",
            "-M",
        ],
    );
    assert!(
        patch.contains("\nrename from app/scheduler.py\n"),
        "{patch}"
    );
    let name = "feature/0004-move-the-scheduler.patch";
    std::fs::write(fx.patches().join(name), format!("{patch}\n")).unwrap();
    let series = std::fs::read_to_string(fx.patches().join("series")).unwrap();
    std::fs::write(fx.patches().join("series"), format!("{series}{name}\n")).unwrap();
    fx.verda(&["apply"]).assert().success();

    let up = fx.upstream();
    edit(&up.join("app/scheduler.py"), line, to);
    git(&up, &["commit", "-q", "-am", "Release 2.0"]);
    git(&up, &["tag", "2.0"]);
    common::write(
        &fx.repo().join("verda-patch.toml"),
        "[projects.demo]\ngit = \"../upstream\"\npin = \"2.0\"\n",
    );

    let series = std::fs::read_to_string(fx.patches().join("series")).unwrap();
    let files: Vec<String> = series
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| fx.patches().join(l).display().to_string())
        .collect();
    git(fx.root(), &["clone", "-q", up.to_str().unwrap(), "ref"]);
    let reference = fx.root().join("ref");
    git(&reference, &["checkout", "-q", "--detach", "1.0"]);
    git_command(&reference, &["am", "-q"])
        .args(&files)
        .output()
        .unwrap();
    git(&reference, &["checkout", "-q", "--detach", "2.0"]);
    let am = git_command(&reference, &["am", "-q", "-3"])
        .args(&files)
        .output()
        .unwrap();
    (fx, reference, am.status.success())
}

#[test]
fn a_rename_with_an_edit_merges_three_way_like_git_am() {
    // Line 33 is in the hunk's context: the hunk fails, the merge does not.
    let (fx, reference, am) =
        rename_on_a_release_that_edited("scheduler line 33\n", "scheduler line 33 (2.0)\n");
    assert!(am, "git am -3 was expected to go through");
    let (code, stdout, stderr) = fx.run(&["apply", "--verbose"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("3-way merge (app/host_scheduler.py)"),
        "{stdout}{stderr}"
    );
    assert_eq!(
        git(&fx.custom(), &["rev-parse", "HEAD^{tree}"]),
        git(&reference, &["rev-parse", "HEAD^{tree}"])
    );
}

#[test]
fn a_rename_whose_edit_conflicts_stops_naming_the_patch_where_git_am_does() {
    let (fx, _, am) =
        rename_on_a_release_that_edited("scheduler line 35\n", "scheduler line 35 (2.0)\n");
    assert!(!am, "git am -3 was expected to stop");
    let (code, stdout, stderr) = fx.run(&["apply"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("feature/0004-move-the-scheduler.patch")
            && stderr.contains("app/host_scheduler.py"),
        "{stderr}"
    );
}
