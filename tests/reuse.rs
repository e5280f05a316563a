//! What apply and export reuse from their caches (the trees patches made,
//! the diffs of exported commits) and what a fresh apply writes (its pack,
//! its work tree): each must equal what is made without the cache, or what
//! git itself would have.

mod common;

use common::{edit, fixture, git};

/// Editing only a patch's message (here its subject) applies nothing again:
/// the patch and those after it get new commits on the trees they made
/// before, and the result is the very commits a fresh apply makes.
#[test]
fn reapply_after_editing_only_a_message_reuses_the_trees_and_equals_a_fresh_apply() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    let series = std::fs::read_to_string(fx.patches().join("series")).unwrap();
    let first = series
        .lines()
        .find(|l| !l.starts_with('#') && !l.is_empty())
        .unwrap()
        .to_string();
    edit(
        &fx.patches().join(&first),
        "Subject: [PATCH] ",
        "Subject: [PATCH] (reworded) ",
    );
    let (code, stdout, stderr) = fx.run(&["apply", "-v"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr
            .matches(": its diff is unchanged on the same tree")
            .count(),
        3,
        "{stderr}"
    );
    assert!(stdout.contains("[0 files written]"), "{stdout}");
    let reused = git(&fx.custom(), &["rev-parse", "HEAD"]);
    let subjects = git(&fx.custom(), &["log", "--format=%s", "-3"]);
    assert!(
        subjects.lines().last().unwrap().starts_with("(reworded) "),
        "{subjects}"
    );
    assert_eq!(git(&fx.custom(), &["status", "--porcelain"]), "");

    std::fs::remove_dir_all(fx.custom()).unwrap();
    fx.verda(&["apply"]).assert().success();
    assert_eq!(git(&fx.custom(), &["rev-parse", "HEAD"]), reused);
}

/// A fresh apply writes its objects as one pack with an index of its own
/// making: git verifies it (`fsck --full`, `verify-pack`), finds every
/// object of the queue in it, and `git status` sees the work tree as
/// checked out.
#[test]
fn a_fresh_apply_leaves_a_pack_git_verifies_and_a_clean_work_tree() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    let custom = fx.custom();
    let packs: Vec<_> = std::fs::read_dir(custom.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    assert_eq!(packs.len(), 1, "{packs:?}");
    let listed = git(&custom, &["verify-pack", "-v", packs[0].to_str().unwrap()]);
    let commits = listed.lines().filter(|l| l.contains(" commit ")).count();
    assert_eq!(commits, 3, "{listed}");
    git(&custom, &["fsck", "--full", "--no-dangling"]);
    assert_eq!(git(&custom, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&custom, &["ls-files", "--stage"]),
        git(&custom, &["ls-tree", "-r", "HEAD"])
            .lines()
            .map(|l| {
                let (meta, path) = l.split_once('\t').unwrap();
                let mut f = meta.split(' ');
                let (mode, _, id) = (f.next().unwrap(), f.next(), f.next().unwrap());
                format!("{mode} {id} 0\t{path}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A second export makes no diff (each is reused from the export cache)
/// and writes the same bytes; a damaged cache file is ignored, not trusted.
#[test]
fn export_reuses_its_diffs_and_ignores_a_damaged_cache() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    let (code, _, stderr) = fx.run(&["export", "-v"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("diffs: 3 made, 0 reused"), "{stderr}");
    // The patch files (the series loses its comment with the directory).
    let patch_files = || {
        let mut files = fx.patch_files();
        files.retain(|(path, _)| path.ends_with(".patch"));
        files
    };
    let exported = patch_files();

    std::fs::remove_dir_all(fx.patches()).unwrap();
    let (code, _, stderr) = fx.run(&["export", "-v", "--force"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("diffs: 0 made, 3 reused"), "{stderr}");
    assert_eq!(patch_files(), exported);

    let cache = fx.custom().join(".git/verda/export-diffs");
    let text = std::fs::read(&cache).unwrap();
    // Cut off in the middle of a diff; a record whose length is wrong.
    let header = text.iter().position(|&b| b == b'\n').unwrap() + 1;
    let line_end = header + text[header..].iter().position(|&b| b == b'\n').unwrap();
    let line = String::from_utf8(text[header..line_end].to_vec()).unwrap();
    let (ids, len) = line.rsplit_once(' ').unwrap();
    let longer = format!("{ids} {}", len.parse::<usize>().unwrap() + 5);
    let wrong_length = [&text[..header], longer.as_bytes(), &text[line_end..]].concat();
    for damaged in [text[..text.len() - 40].to_vec(), wrong_length] {
        std::fs::write(&cache, damaged).unwrap();
        std::fs::remove_dir_all(fx.patches()).unwrap();
        let (code, _, stderr) = fx.run(&["export", "-v", "--force"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains("diffs: 3 made, 0 reused"), "{stderr}");
        assert_eq!(patch_files(), exported);
    }
}
