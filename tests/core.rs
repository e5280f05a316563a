//! The core workflow driven through the real binary: apply, export, check,
//! list, status, and every refusal with the user's work intact.

mod common;

use common::{edit, fixture, git, write};

#[test]
fn apply_builds_the_same_tree_as_git_am_on_the_pinned_commit() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();

    // The reference: git am of the same files on a clone at the pin.
    let reference = fx.root().join("reference");
    git(
        fx.root(),
        &["clone", "-q", fx.upstream().to_str().unwrap(), "reference"],
    );
    git(&reference, &["checkout", "-q", "1.0"]);
    for path in [
        "feature/0001-add-pci-device-quota.patch",
        "bugfix/0002-fix-host-ordering.patch",
        "upstreamable/0003-cache-weigher-results.patch",
    ] {
        git(
            &reference,
            &["am", "-q", fx.patches().join(path).to_str().unwrap()],
        );
    }
    let ours = git(&fx.custom(), &["rev-parse", "HEAD^{tree}"]);
    assert_eq!(ours, git(&reference, &["rev-parse", "HEAD^{tree}"]));

    // The commit below the queue is the pinned upstream commit.
    assert_eq!(
        git(&fx.custom(), &["rev-parse", "HEAD~3"]),
        git(&fx.upstream(), &["rev-parse", "1.0^{commit}"])
    );
    // One commit per patch, tied to its file, with the patch's author and message.
    let log = git(
        &fx.custom(),
        &[
            "log",
            "--format=%an|%s|%(trailers:key=Verda-Patch,valueonly)",
            "-3",
        ],
    );
    assert_eq!(
        log,
        "Ada Upstream|Cache weigher results|upstreamable/0003-cache-weigher-results.patch\n\n\
         Ada Upstream|Fix host ordering|bugfix/0002-fix-host-ordering.patch\n\n\
         Ada Upstream|Add PCI device quota|feature/0001-add-pci-device-quota.patch\n"
            .trim_end()
    );
    // The work tree and index match HEAD.
    assert_eq!(git(&fx.custom(), &["status", "--porcelain"]), "");
    assert_eq!(
        git(&fx.custom(), &["rev-parse", "--abbrev-ref", "HEAD"]),
        "patch-queue"
    );
}

#[test]
fn export_right_after_apply_changes_no_byte() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    let before = fx.patch_files();
    fx.verda(&["export"]).assert().success();
    assert_eq!(fx.patch_files(), before);
    fx.verda(&["export", "--check"]).assert().success();
}

#[test]
fn a_new_commit_becomes_a_bugfix_patch_that_git_apply_accepts() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    edit(
        &fx.custom().join("README"),
        "demo upstream\n",
        "demo upstream, patched\n",
    );
    git(
        &fx.custom(),
        &["commit", "-q", "-am", "Document the downstream build"],
    );

    let (code, _, stderr) = fx.run(&["export"]);
    assert_eq!(
        code, 2,
        "a new commit without category is a usage error: {stderr}"
    );
    assert!(stderr.contains("--category"), "{stderr}");

    fx.verda(&["export", "--category", "bugfix"])
        .assert()
        .success();
    let new = fx
        .patches()
        .join("bugfix/0004-document-the-downstream-build.patch");
    assert!(new.exists());
    let series = std::fs::read_to_string(fx.patches().join("series")).unwrap();
    assert!(
        series.ends_with("bugfix/0004-document-the-downstream-build.patch\n"),
        "{series}"
    );
    assert!(
        series.starts_with("# demo queue\n"),
        "comments kept: {series}"
    );

    // git apply takes the new file on top of the rest of the queue.
    let reference = fx.root().join("reference");
    git(
        fx.root(),
        &["clone", "-q", fx.custom().to_str().unwrap(), "reference"],
    );
    git(&reference, &["checkout", "-q", "HEAD~1"]);
    git(&reference, &["apply", "--check", new.to_str().unwrap()]);
    git(&reference, &["apply", new.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(reference.join("README")).unwrap(),
        "demo upstream, patched\n"
    );

    // The commit now carries its path: a second export changes nothing and
    // apply has nothing unexported to refuse over.
    let before = fx.patch_files();
    fx.verda(&["export"]).assert().success();
    assert_eq!(fx.patch_files(), before);
    fx.verda(&["apply"]).assert().success();
}

#[test]
fn export_writes_the_bytes_git_format_patch_writes_for_nested_and_type_changing_paths() {
    // export diffs only the paths where the trees differ; a file that
    // becomes a directory, a new nested directory and a deleted one must
    // come out as git's own diff of the whole trees.
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    let custom = fx.custom();
    std::fs::remove_file(custom.join("README")).unwrap();
    write(
        &custom.join("README/index.txt"),
        "demo upstream, as a directory\n",
    );
    std::fs::remove_dir_all(custom.join("app")).unwrap();
    write(&custom.join("app"), "app is a file now\n");
    write(&custom.join("lib/new/deep/module.py"), "DEEP = True\n");
    git(&custom, &["add", "-A"]);
    git(
        &custom,
        &["commit", "-q", "-m", "Turn files into directories and back"],
    );
    edit(&custom.join("README/index.txt"), "as a directory", "nested");
    std::fs::remove_dir_all(custom.join("lib/new")).unwrap();
    write(&custom.join("lib/a/b/c.py"), "C = 1\n");
    git(&custom, &["add", "-A"]);
    git(&custom, &["commit", "-q", "-m", "Nest deeper"]);

    // git's files first: export then gives the commits their trailers.
    let formatted = fx.root().join("formatted-by-git");
    common::format_patch(&custom, &formatted, "HEAD~2..HEAD");
    fx.verda(&["export", "--category", "bugfix"])
        .assert()
        .success();
    for (ours, theirs) in [
        (
            "bugfix/0004-turn-files-into-directories-and-back.patch",
            "0001-Turn-files-into-directories-and-back.patch",
        ),
        ("bugfix/0005-nest-deeper.patch", "0002-Nest-deeper.patch"),
    ] {
        assert_eq!(
            std::fs::read_to_string(fx.patches().join(ours)).unwrap(),
            std::fs::read_to_string(formatted.join(theirs)).unwrap(),
            "{ours}"
        );
    }
}

#[test]
fn apply_refuses_a_dirty_tree_and_keeps_it() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    write(&fx.custom().join("README"), "my unsaved work\n");
    let (code, _, stderr) = fx.run(&["apply"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("uncommitted changes") && stderr.contains("README"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(fx.custom().join("README")).unwrap(),
        "my unsaved work\n"
    );

    // --force rebuilds, keeping the dirty tree as a backup commit.
    fx.verda(&["apply", "--force"]).assert().success();
    assert_eq!(
        std::fs::read_to_string(fx.custom().join("README")).unwrap(),
        "demo upstream\n"
    );
    let backups = git(
        &fx.custom(),
        &["for-each-ref", "--format=%(refname)", "refs/verda/backup/"],
    );
    let worktree = backups
        .lines()
        .find(|r| r.contains("worktree"))
        .expect("work tree backup");
    assert_eq!(
        git(&fx.custom(), &["show", &format!("{worktree}:README")]),
        "my unsaved work"
    );
}

#[test]
fn apply_refuses_unexported_commits_and_force_keeps_them_in_a_backup() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    write(&fx.custom().join("NEW"), "new\n");
    git(&fx.custom(), &["add", "NEW"]);
    git(&fx.custom(), &["commit", "-q", "-m", "Work in progress"]);
    let mine = git(&fx.custom(), &["rev-parse", "HEAD"]);

    let (code, _, stderr) = fx.run(&["apply"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("never exported") && stderr.contains("Work in progress"),
        "{stderr}"
    );
    assert_eq!(git(&fx.custom(), &["rev-parse", "HEAD"]), mine);

    fx.verda(&["apply", "--force"]).assert().success();
    assert!(!fx.custom().join("NEW").exists());
    let backups = git(
        &fx.custom(),
        &[
            "for-each-ref",
            "--format=%(objectname)",
            "refs/verda/backup/",
        ],
    );
    assert!(backups.lines().any(|id| id == mine), "{backups}");
}

#[test]
fn a_directory_that_is_not_ours_is_never_touched() {
    let fx = fixture();
    write(&fx.custom().join("precious.txt"), "keep me\n");
    let (code, _, stderr) = fx.run(&["apply"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("custom-source/demo") && stderr.contains("not made by verda-patch"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(fx.custom().join("precious.txt")).unwrap(),
        "keep me\n"
    );
}

#[test]
fn reapply_after_editing_a_patch_rewrites_only_what_changed() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    let bugfix = fx.patches().join("bugfix/0002-fix-host-ordering.patch");
    edit(
        &bugfix,
        "+scheduler line 20 (fixed)",
        "+scheduler line 20 (fixed better)",
    );
    let (code, stdout, stderr) = fx.run(&["apply"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("1 reused from cache"), "{stdout}");
    assert!(stdout.contains("1 files written"), "{stdout}");
    assert!(
        std::fs::read_to_string(fx.custom().join("app/scheduler.py"))
            .unwrap()
            .contains("(fixed better)")
    );
    assert_eq!(git(&fx.custom(), &["status", "--porcelain"]), "");
}

#[test]
fn check_passes_and_writes_nothing() {
    let fx = fixture();
    let (code, stdout, stderr) = fx.run(&["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("demo: 3/3 patches apply on 1.0"),
        "{stdout}"
    );
    assert!(!fx.repo().join("custom-source").exists());
}

#[test]
fn a_patch_that_no_longer_applies_is_named_with_its_hunk() {
    let fx = fixture();
    // Upstream moves on; pin the queue to a release where line 20 changed.
    fx.pin_release_that_breaks_the_bugfix();

    let (code, _, stderr) = fx.run(&["apply"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("patches/demo/bugfix/0002-fix-host-ordering.patch"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hunk #1") && stderr.contains("app/scheduler.py"),
        "{stderr}"
    );
    assert!(!fx.custom().join("app").exists(), "nothing half-applied");

    let (code, _, stderr) = fx.run(&["check"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("0002-fix-host-ordering.patch") && stderr.contains("does not apply on 2.0"),
        "{stderr}"
    );
}

#[test]
fn offsets_are_found_and_reported_like_git_apply() {
    let fx = fixture();
    // Three new lines at the top move every hunk down by 3.
    let path = fx.upstream().join("app/scheduler.py");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("# a\n# b\n# c\n{text}")).unwrap();
    git(&fx.upstream(), &["commit", "-q", "-am", "Add a header"]);
    git(&fx.upstream(), &["tag", "1.1"]);
    write(
        &fx.repo().join("verda-patch.toml"),
        "[projects.demo]\ngit = \"../upstream\"\npin = \"1.1\"\n",
    );
    fx.verda(&["fetch"]).assert().success();
    let (code, stdout, stderr) = fx.run(&["apply"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("app/scheduler.py hunk #1 at offset +3"),
        "{stdout}"
    );
}

#[test]
fn malformed_inputs_exit_1_naming_the_culprit() {
    let fx = fixture();
    write(
        &fx.patches().join("feature/0001-add-pci-device-quota.patch"),
        "this is not a patch\n",
    );
    let (code, _, stderr) = fx.run(&["apply"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("patches/demo/feature/0001-add-pci-device-quota.patch"),
        "{stderr}"
    );

    let fx = fixture();
    let series = fx.patches().join("series");
    let text = std::fs::read_to_string(&series).unwrap();
    std::fs::write(&series, format!("{text}bugfix/0009-missing.patch\n")).unwrap();
    let (code, _, stderr) = fx.run(&["apply"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("patches/demo/series:5") && stderr.contains("0009-missing.patch"),
        "{stderr}"
    );

    let fx = fixture();
    write(
        &fx.repo().join("verda-patch.toml"),
        "[projects.demo]\ngit = \"../upstream\"\npin = \"9.9\"\n",
    );
    let (code, _, stderr) = fx.run(&["apply"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("pin `9.9`") && stderr.contains("1.0"),
        "{stderr}"
    );
}

#[test]
fn a_patch_escaping_the_tree_is_refused() {
    for (target, why) in [
        ("../evil.py", "climbs out"),
        (".git/hooks/post-checkout", ".git/"),
    ] {
        let fx = fixture();
        let file = fx.patches().join("bugfix/0002-fix-host-ordering.patch");
        let text = std::fs::read_to_string(&file)
            .unwrap()
            .replace("app/scheduler.py", target);
        std::fs::write(&file, text).unwrap();
        let (code, _, stderr) = fx.run(&["apply"]);
        assert_eq!(code, 1, "{target}");
        assert!(
            stderr.contains("0002-fix-host-ordering.patch") && stderr.contains(why),
            "{target}: {stderr}"
        );
        assert!(!fx.root().join("repo/custom-source/evil.py").exists());
    }
}

#[test]
fn a_patch_writing_through_a_symlink_is_refused() {
    let fx = fixture();
    std::os::unix::fs::symlink("/tmp", fx.upstream().join("linkdir")).unwrap();
    git(&fx.upstream(), &["add", "linkdir"]);
    git(&fx.upstream(), &["commit", "-q", "-m", "Add a link"]);
    git(&fx.upstream(), &["tag", "1.2"]);
    write(
        &fx.repo().join("verda-patch.toml"),
        "[projects.demo]\ngit = \"../upstream\"\npin = \"1.2\"\n",
    );
    fx.verda(&["fetch"]).assert().success();
    let file = fx
        .patches()
        .join("upstreamable/0003-cache-weigher-results.patch");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("app/weigher_cache.py", "linkdir/evil.py");
    std::fs::write(&file, text).unwrap();
    let (code, _, stderr) = fx.run(&["apply"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("symlink"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let fx = fixture();
    assert_eq!(fx.run(&["apply", "--no-such-flag"]).0, 2);
    assert_eq!(fx.run(&["apply", "nosuchproject"]).0, 2);
    let (code, _, stderr) = fx.run(&["export", "--category", "misc"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn works_from_a_subdirectory_and_lists_the_queue() {
    let fx = fixture();
    let output = fx
        .verda(&["list", "--json"])
        .current_dir(fx.patches())
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let patches = &json[0]["patches"];
    assert_eq!(patches.as_array().unwrap().len(), 3);
    assert_eq!(patches[1]["category"], "bugfix");
    assert_eq!(
        patches[1]["change_id"],
        "I2222222222222222222222222222222222222222"
    );
    assert_eq!(patches[2]["upstream_status"], "Pending");
}

#[test]
fn status_explains_what_to_do_next() {
    let fx = fixture();
    let (_, stdout, _) = fx.run(&["status"]);
    assert!(
        stdout.contains("not built") && stdout.contains("verda-patch apply demo"),
        "{stdout}"
    );
    fx.verda(&["apply"]).assert().success();
    let (_, stdout, _) = fx.run(&["status"]);
    assert!(stdout.contains("(in sync)"), "{stdout}");
    edit(&fx.custom().join("README"), "demo", "DEMO");
    git(&fx.custom(), &["commit", "-q", "-am", "Shout"]);
    let output = fx.verda(&["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json[0]["custom_source"]["unexported_commits"], 1);
    assert!(json[0]["advice"].as_str().unwrap().contains("export"));
}

#[test]
fn init_scaffolds_a_repository_that_check_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let mut command = assert_cmd::Command::cargo_bin("verda-patch").unwrap();
    command
        .current_dir(tmp.path())
        .args(["init", "cloud"])
        .assert()
        .success();
    let root = tmp.path().join("cloud");
    for file in ["verda-patch.toml", "Makefile", ".gitignore"] {
        assert!(root.join(file).exists(), "{file}");
    }
    assert!(root.join(".git").exists());
    let makefile = std::fs::read_to_string(root.join("Makefile")).unwrap();
    for target in ["apply:", "export:", "check:", "review:"] {
        assert!(makefile.contains(target), "{target}");
    }
    let mut again = assert_cmd::Command::cargo_bin("verda-patch").unwrap();
    again
        .current_dir(tmp.path())
        .args(["init", "cloud"])
        .assert()
        .code(1);
}

#[test]
fn one_writer_at_a_time_and_stale_locks_are_taken_over() {
    let fx = fixture();
    let lock = fx.repo().join(".verda/lock");
    // A live holder: another process.
    let mut holder = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    write(&lock, &format!("{} apply\n", holder.id()));
    let (code, _, stderr) = fx.run(&["apply"]);
    holder.kill().unwrap();
    let _ = holder.wait();
    assert_eq!(code, 1);
    assert!(
        stderr.contains(".verda/lock") && stderr.contains(&format!("process {}", holder.id())),
        "{stderr}"
    );
    assert!(!fx.repo().join("custom-source").exists());
    // Its process is gone now: the lock is stale and taken over.
    fx.verda(&["apply"]).assert().success();
    assert!(!lock.exists(), "released after use");
}
