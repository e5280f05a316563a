//! `import`: mails, mboxes, Gerrit downloads and quilt/DEP-3 patches into
//! the queue, checked at their place, written normalised, all or nothing.

mod common;

use common::{edit, fixture, git, lines, write};
use std::path::Path;

/// Two upstream-style commits on 1.0, as `git format-patch --stdout` (one
/// mbox) made in a scratch clone of the fixture's upstream.
fn mbox_of_two(f: &common::Fixture) -> Vec<u8> {
    let work = f.root().join("elsewhere");
    git(
        f.root(),
        &["clone", "-q", f.upstream().to_str().unwrap(), "elsewhere"],
    );
    edit(
        &work.join("README"),
        "demo upstream\n",
        "demo upstream\nsee docs/\n",
    );
    git(
        &work,
        &[
            "commit",
            "-q",
            "-am",
            "Point at the docs\n\n---\nText after a rule line.\n\nChange-Id: I4444444444444444444444444444444444444444",
        ],
    );
    write(&work.join("docs/index.txt"), &lines("doc", 3));
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "Add the docs"]);
    let out = common::git_command(&work, &["format-patch", "--stdout", "1.0..HEAD"])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

fn series(f: &common::Fixture) -> String {
    std::fs::read_to_string(f.patches().join("series")).unwrap()
}

#[test]
fn an_mbox_becomes_numbered_patches_at_the_end_and_applies() {
    let f = fixture();
    let mbox = f.root().join("two.mbox");
    std::fs::write(&mbox, mbox_of_two(&f)).unwrap();
    let (code, out, err) = f.run(&["import", "--json", mbox.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let added: Vec<&str> = report["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        added,
        [
            "bugfix/0004-point-at-the-docs.patch",
            "bugfix/0005-add-the-docs.patch"
        ]
    );
    let second = verda_patch::patch::split_mbox(&std::fs::read(&mbox).unwrap())[1].line;
    assert!(
        report["added"][1]["source"]
            .as_str()
            .unwrap()
            .ends_with(&format!("two.mbox:{second}")),
        "{out}"
    );
    assert!(series(&f).ends_with(
        "upstreamable/0003-cache-weigher-results.patch\nbugfix/0004-point-at-the-docs.patch\nbugfix/0005-add-the-docs.patch\n"
    ));
    // Read as git am reads a mail: its message ends at the `---` line.
    let (code, _, err) = f.run(&["apply"]);
    assert_eq!(code, 0, "{err}");
    let message = git(&f.custom(), &["log", "-1", "--format=%B", "HEAD~"]);
    assert_eq!(
        message,
        "Point at the docs\n\nVerda-Patch: bugfix/0004-point-at-the-docs.patch"
    );
    assert_eq!(
        git(&f.custom(), &["log", "-1", "--format=%an <%ae>", "HEAD"]),
        "Ada Upstream <ada@example.org>"
    );
    // Written as export writes it: a fresh export changes nothing.
    let before = f.patch_files();
    let (code, _, err) = f.run(&["export"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(f.patch_files(), before);
}

#[test]
fn after_places_the_patch_and_stdin_is_read() {
    let f = fixture();
    let mbox = mbox_of_two(&f);
    let out = f
        .verda(&[
            "import",
            "--category",
            "feature",
            "--after",
            "feature/0001-add-pci-device-quota.patch",
            "-",
        ])
        .write_stdin(mbox)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        series(&f),
        "# demo queue\nfeature/0001-add-pci-device-quota.patch\nfeature/0004-point-at-the-docs.patch\n\
         feature/0005-add-the-docs.patch\nbugfix/0002-fix-host-ordering.patch\n\
         upstreamable/0003-cache-weigher-results.patch\n"
    );
    assert_eq!(f.run(&["check"]).0, 0);
}

#[test]
fn dep3_quilt_patch_keeps_its_fields_as_trailers() {
    let f = fixture();
    let quilt = f.root().join("debian/patches");
    write(
        &quilt.join("fix-readme.patch"),
        "Description: Mention the mirror\n Operators read the README first.\n\
         Author: Deb Maintainer <deb@example.org>\nOrigin: vendor\n\
         Bug-Ubuntu: https://bugs.launchpad.net/nova/+bug/2012345\nForwarded: no\nLast-Update: 2025-02-03\n\
         ---\n--- a/README\t2025-02-03 10:00:00.000000000 +0000\n+++ b/README\t2025-02-03 10:01:00.000000000 +0000\n\
         @@ -1 +1,2 @@\n demo upstream\n+mirror: example.org\n",
    );
    write(&quilt.join("series"), "fix-readme.patch\n");
    let (code, out, err) = f.run(&["import", quilt.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("bugfix/0004-mention-the-mirror.patch"),
        "{out}"
    );
    let file =
        std::fs::read_to_string(f.patches().join("bugfix/0004-mention-the-mirror.patch")).unwrap();
    assert!(
        file.starts_with(
            "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n\
         From: Deb Maintainer <deb@example.org>\nDate: Mon, 3 Feb 2025 00:00:00 +0000\n\
         Subject: [PATCH] Mention the mirror\n\nOperators read the README first.\n\n\
         Origin: vendor\nBug-Ubuntu: https://bugs.launchpad.net/nova/+bug/2012345\nForwarded: no\n\
         Upstream-Status: Pending\nCloses-Bug: 2012345\n\ndiff --git a/README b/README\n"
        ),
        "{file}"
    );
    assert_eq!(f.run(&["check"]).0, 0);
}

#[test]
fn gerrit_download_is_decoded() {
    use base64::Engine as _;
    let f = fixture();
    let mbox = mbox_of_two(&f);
    let first = verda_patch::patch::split_mbox(&mbox)[0].bytes.to_vec();
    let download = f.root().join("gerrit.base64");
    std::fs::write(
        &download,
        base64::engine::general_purpose::STANDARD.encode(first),
    )
    .unwrap();
    let (code, out, err) = f.run(&["import", download.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("bugfix/0004-point-at-the-docs.patch"), "{out}");
}

/// Refusals name the input and write nothing.
#[test]
fn a_patch_that_does_not_apply_or_is_already_applied_imports_nothing() {
    let f = fixture();
    f.commit_patch_repo();
    let mbox = mbox_of_two(&f);
    let mails = verda_patch::patch::split_mbox(&mbox);
    // The second mail alone needs nothing before it; make one that cannot apply.
    let broken = String::from_utf8(mails[0].bytes.to_vec())
        .unwrap()
        .replace(" demo upstream\n", " something else\n");
    let bad = f.root().join("bad.patch");
    std::fs::write(&bad, [mails[1].bytes, broken.as_bytes()].concat()).unwrap();
    let (code, _, err) = f.run(&["import", bad.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("bad.patch:"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_clean(&f.repo());

    // A patch the queue already has.
    let again = f.root().join("again.patch");
    std::fs::copy(
        f.patches().join("bugfix/0002-fix-host-ordering.patch"),
        &again,
    )
    .unwrap();
    let (code, _, err) = f.run(&["import", again.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("again.patch"), "{err}");
    assert_clean(&f.repo());

    // Not a patch at all.
    let prose = f.root().join("notes.txt");
    std::fs::write(&prose, "Just some notes.\n").unwrap();
    let (code, _, err) = f.run(&["import", prose.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("notes.txt"), "{err}");
    assert_clean(&f.repo());
}

fn assert_clean(repo: &Path) {
    let status = git(repo, &["status", "--porcelain", "--untracked-files=all"]);
    let ours: Vec<&str> = status.lines().filter(|l| l.contains("patches/")).collect();
    assert!(ours.is_empty(), "patch repo changed: {ours:?}");
}

#[test]
fn an_mbox_in_the_series_points_at_import() {
    let f = fixture();
    let mbox = mbox_of_two(&f);
    std::fs::write(f.patches().join("bugfix/0004-two.patch"), mbox).unwrap();
    let mut s = series(&f);
    s.push_str("bugfix/0004-two.patch\n");
    write(&f.patches().join("series"), &s);
    for command in ["apply", "check"] {
        let (code, out, err) = f.run(&[command]);
        assert_eq!(code, 1, "{command}: {out}{err}");
        assert!(
            format!("{out}{err}").contains("patches/demo/bugfix/0004-two.patch")
                && format!("{out}{err}").contains("verda-patch import"),
            "{command}: {out}{err}"
        );
    }
}

/// A message git am would cut is written framed, and `check` says so.
#[test]
fn check_warns_when_git_am_would_read_a_message_differently() {
    let f = fixture();
    assert_eq!(f.run(&["apply"]).0, 0);
    edit(
        &f.custom().join("README"),
        "demo upstream\n",
        "demo upstream!\n",
    );
    git(
        &f.custom(),
        &[
            "commit",
            "-q",
            "-am",
            "Shout\n\nWhy:\n---\nbecause.\n\nSigned-off-by: A <a@example.org>",
        ],
    );
    assert_eq!(f.run(&["export", "--category", "bugfix"]).0, 0);
    let file = std::fs::read_to_string(f.patches().join("bugfix/0004-shout.patch")).unwrap();
    assert!(file.contains("X-Verda-Message-Lines: 7\n\n Shout\n\n Why:\n ---\n because.\n\n Signed-off-by: A <a@example.org>\n\ndiff --git"), "{file}");
    let (code, out, err) = f.run(&["check"]);
    assert_eq!(code, 0, "{out}");
    let out = format!("{out}{err}");
    assert!(
        out.contains("bugfix/0004-shout.patch")
            && out.contains("`git am`")
            && out.contains("its line 4 (`---`) would end a plain mail's message"),
        "{out}"
    );
}

/// After an import, custom-source lacks the new patches: export must not
/// write its commits over them; apply builds them in, then export keeps them.
#[test]
fn export_after_import_refuses_until_apply_builds_the_new_patches() {
    let f = fixture();
    assert_eq!(f.run(&["apply"]).0, 0);
    let mbox = f.root().join("two.mbox");
    std::fs::write(&mbox, mbox_of_two(&f)).unwrap();
    let (code, out, err) = f.run(&["import", mbox.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("run `verda-patch apply demo`"), "{out}");
    let before = f.patch_files();
    let (code, _, err) = f.run(&["export"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("patches/demo changed since custom-source/demo was built"),
        "{err}"
    );
    assert_eq!(f.patch_files(), before);
    assert_eq!(f.run(&["apply"]).0, 0);
    let (code, _, err) = f.run(&["export"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(f.patch_files(), before);
}

#[test]
fn import_refuses_while_custom_source_has_unexported_commits() {
    let f = fixture();
    f.commit_patch_repo();
    assert_eq!(f.run(&["apply"]).0, 0);
    edit(
        &f.custom().join("README"),
        "demo upstream\n",
        "demo upstream!\n",
    );
    git(&f.custom(), &["commit", "-q", "-am", "Local work"]);
    let mbox = f.root().join("two.mbox");
    std::fs::write(&mbox, mbox_of_two(&f)).unwrap();
    let (code, _, err) = f.run(&["import", mbox.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("1 commit never exported") && err.contains("verda-patch export demo"),
        "{err}"
    );
    assert_clean(&f.repo());
}
