//! `apply` and `check` of the kinds of patch `git am` accepts beyond plain
//! text hunks, end to end through the binary, each compared with real
//! `git am` on the same bytes: binary files, submodules (gitlinks), plain
//! `diff -ruN` patches, patches the pin already contains, refusals that
//! name their true cause, and CRLF files.

mod common;

use std::path::{Path, PathBuf};

use common::{Fixture, format_patch, git, git_command};

/// Bytes from xorshift64, reproducible.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// An upstream repository holding `files` at tag 1.0, and a patch repo
/// pinned to it with an empty queue.
fn upstream(files: &[(&str, &[u8])]) -> Fixture {
    let fx = Fixture {
        tmp: tempfile::tempdir().unwrap(),
    };
    let up = fx.upstream();
    std::fs::create_dir_all(&up).unwrap();
    git(&up, &["init", "-q", "-b", "master"]);
    for (path, bytes) in files {
        put(&up.join(path), bytes);
    }
    git(&up, &["add", "-A"]);
    git(&up, &["commit", "-q", "-m", "Release 1.0"]);
    git(&up, &["tag", "1.0"]);
    std::fs::create_dir_all(fx.patches()).unwrap();
    put(
        &fx.repo().join("verda-patch.toml"),
        b"[projects.demo]\ngit = \"../upstream\"\npin = \"1.0\"\n",
    );
    put(&fx.patches().join("series"), b"");
    fx
}

fn put(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A clone of upstream at `rev` in a fresh directory under the fixture.
fn clone_at(fx: &Fixture, name: &str, rev: &str) -> PathBuf {
    let dir = fx.root().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    git(
        fx.root(),
        &["clone", "-q", fx.upstream().to_str().unwrap(), name],
    );
    git(&dir, &["checkout", "-q", rev]);
    dir
}

/// Commits `edit`'s change on a clone of 1.0 and returns the
/// `git format-patch` file of it.
fn patch_from(fx: &Fixture, name: &str, subject: &str, edit: impl FnOnce(&Path)) -> PathBuf {
    let work = clone_at(fx, &format!("work-{name}"), "1.0");
    edit(&work);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", subject]);
    let out = fx.root().join(format!("out-{name}"));
    format_patch(&work, &out, "HEAD~1..HEAD");
    std::fs::read_dir(&out)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
}

/// Puts patch files into the queue (bugfix/), in order.
fn queue(fx: &Fixture, patches: &[(&str, Vec<u8>)]) {
    let mut series = String::new();
    for (name, bytes) in patches {
        put(&fx.patches().join("bugfix").join(name), bytes);
        series.push_str(&format!("bugfix/{name}\n"));
    }
    put(&fx.patches().join("series"), series.as_bytes());
}

/// `git am OPTS` of the queued patch files on a clone of `rev`: the tree it
/// makes, or `None` when git am refuses.
fn git_am(fx: &Fixture, rev: &str, opts: &[&str], patches: &[(&str, Vec<u8>)]) -> Option<String> {
    let dir = clone_at(fx, &format!("am-{}", opts.join("")), rev);
    for (name, bytes) in patches {
        let path = dir.join(".git").join(name);
        std::fs::write(&path, bytes).unwrap();
        let mut args = vec!["am", "-q"];
        args.extend(opts);
        let path = path.to_str().unwrap().to_string();
        args.push(&path);
        if !git_command(&dir, &args).output().unwrap().status.success() {
            return None;
        }
    }
    Some(git(&dir, &["rev-parse", "HEAD^{tree}"]))
}

fn applied_tree(fx: &Fixture) -> String {
    git(&fx.custom(), &["rev-parse", "HEAD^{tree}"])
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// Moves upstream to a 2.0 that `edit` makes, and pins it.
fn release_two(fx: &Fixture, edit: impl FnOnce(&Path)) {
    let up = fx.upstream();
    edit(&up);
    git(&up, &["add", "-A"]);
    git(&up, &["commit", "-q", "-m", "Release 2.0"]);
    git(&up, &["tag", "2.0"]);
    put(
        &fx.repo().join("verda-patch.toml"),
        b"[projects.demo]\ngit = \"../upstream\"\npin = \"2.0\"\n",
    );
}

/// Exit 1, the patch file named, and nothing written: no custom-source.
fn assert_refused(fx: &Fixture, args: &[&str], patch: &str) -> String {
    let (code, stdout, stderr) = fx.run(args);
    let out = format!("{stdout}{stderr}");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(patch), "does not name {patch}: {out}");
    assert!(!out.contains("panicked"), "{out}");
    assert!(!fx.custom().exists(), "custom-source was written: {out}");
    out
}

#[test]
fn binary_add_modify_delete_equal_git_am_and_round_trip() {
    let big = noise(7, 20_000);
    let fx = upstream(&[("assets/big.bin", &big), ("gone.bin", &noise(8, 900))]);
    let patch = patch_from(&fx, "bin", "Update binary assets", |w| {
        let mut changed = big.clone();
        changed[100] ^= 1;
        changed.splice(5000..5000, noise(9, 40));
        put(&w.join("assets/big.bin"), &changed);
        std::fs::remove_file(w.join("gone.bin")).unwrap();
        put(&w.join("new.bin"), &noise(10, 1500));
    });
    let bytes = read(&patch);
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("\ndelta ") && text.contains("\nliteral "),
        "{text}"
    );
    let patches = [("0001-update-binary-assets.patch", bytes)];
    queue(&fx, &patches);

    fx.verda(&["apply"]).assert().success();
    assert_eq!(Some(applied_tree(&fx)), git_am(&fx, "1.0", &[], &patches));
    assert_eq!(git(&fx.custom(), &["status", "--porcelain"]), "");
    fx.verda(&["check"]).assert().success();

    // Export of a binary commit made in custom-source applies again.
    put(&fx.custom().join("logo.png"), &noise(11, 700));
    git(&fx.custom(), &["add", "logo.png"]);
    git(&fx.custom(), &["commit", "-q", "-m", "Add logo"]);
    let want = applied_tree(&fx);
    fx.verda(&["export", "--category", "feature"])
        .assert()
        .success();
    std::fs::remove_dir_all(fx.repo().join("custom-source")).unwrap();
    fx.verda(&["apply"]).assert().success();
    assert_eq!(applied_tree(&fx), want);
}

#[test]
fn binary_patches_without_data_or_on_other_bytes_are_refused_with_the_cause() {
    let big = noise(7, 5000);
    let fx = upstream(&[("big.bin", &big)]);
    let edit = |w: &Path| {
        let mut changed = big.clone();
        changed[10] ^= 1;
        put(&w.join("big.bin"), &changed);
    };
    let patch = patch_from(&fx, "bin", "Change big.bin", edit);
    // "Binary files differ": no data, and the postimage is nowhere.
    let work = fx.root().join("work-bin");
    let no_data = git_command(&work, &["format-patch", "--no-binary", "--stdout", "-1"])
        .output()
        .unwrap()
        .stdout;
    assert!(String::from_utf8_lossy(&no_data).contains("Binary files"));
    let patches = [("0001-no-data.patch", no_data)];
    queue(&fx, &patches);
    assert_eq!(git_am(&fx, "1.0", &[], &patches), None);
    let out = assert_refused(&fx, &["apply"], "0001-no-data.patch");
    assert!(
        out.contains("`big.bin` is a binary change without data"),
        "{out}"
    );

    // The full patch on a release that changed the file otherwise: the
    // preimage is known, the 3-way merge of binaries conflicts.
    let patches = [("0001-change.patch", read(&patch))];
    queue(&fx, &patches);
    release_two(&fx, |up| {
        let mut other = big.clone();
        other[4000] ^= 2;
        put(&up.join("big.bin"), &other);
    });
    assert_eq!(git_am(&fx, "2.0", &["-3"], &patches), None);
    let out = assert_refused(&fx, &["apply"], "0001-change.patch");
    assert!(
        out.contains("which does not match the current contents")
            && out.contains("the 3-way merge with that blob conflicts"),
        "{out}"
    );
    let out = assert_refused(&fx, &["check"], "0001-change.patch");
    assert!(out.contains("does not match the current contents"), "{out}");
}

/// A gitlink without a real submodule repository: git stores the commit id
/// only, and an empty directory stands for the submodule not checked out.
fn set_gitlink(dir: &Path, path: &str, commit: &str) {
    std::fs::create_dir_all(dir.join(path)).unwrap();
    git(
        dir,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{commit},{path}"),
        ],
    );
}

const SUB1: &str = "1111111111111111111111111111111111111111";
const SUB2: &str = "2222222222222222222222222222222222222222";

#[test]
fn gitlink_bumps_adds_and_deletes_equal_git_am_and_stay_in_the_index() {
    let fx = upstream(&[("config.txt", b"one\ntwo\n")]);
    let up = fx.upstream();
    set_gitlink(&up, "vendor/sub", SUB1);
    git(&up, &["commit", "-q", "-m", "Add submodule"]);
    git(&up, &["tag", "-f", "1.0"]);

    let mut patches = Vec::new();
    let work = clone_at(&fx, "work", "1.0");
    set_gitlink(&work, "vendor/sub", SUB2);
    git(&work, &["commit", "-q", "-m", "Bump vendor/sub"]);
    git(&work, &["rm", "-q", "--cached", "vendor/sub"]);
    set_gitlink(&work, "vendor/other", SUB1);
    git(
        &work,
        &["commit", "-q", "-m", "Replace vendor/sub by vendor/other"],
    );
    let out = fx.root().join("out");
    format_patch(&work, &out, "1.0..HEAD");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in &files {
        let name = file.file_name().unwrap().to_str().unwrap().to_string();
        patches.push((name, read(file)));
    }
    let patches: Vec<(&str, Vec<u8>)> = patches
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone()))
        .collect();
    assert!(String::from_utf8_lossy(&patches[0].1).contains("+Subproject commit 2222"));
    queue(&fx, &patches);

    fx.verda(&["apply"]).assert().success();
    assert_eq!(Some(applied_tree(&fx)), git_am(&fx, "1.0", &[], &patches));
    assert_eq!(
        git(&fx.custom(), &["ls-files", "-s", "vendor"]),
        format!("160000 {SUB1} 0\tvendor/other")
    );
    assert_eq!(git(&fx.custom(), &["status", "--porcelain"]), "");

    // An unrelated commit keeps the submodule, and its export says so.
    put(&fx.custom().join("config.txt"), b"one\n2\n");
    git(&fx.custom(), &["commit", "-q", "-am", "Fix config"]);
    assert_eq!(
        git(&fx.custom(), &["show", "--format=", "--name-only", "HEAD"]),
        "config.txt"
    );
    fx.verda(&["export", "--category", "feature"])
        .assert()
        .success();
    let exported = std::fs::read_dir(fx.patches().join("feature"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(!String::from_utf8_lossy(&read(&exported)).contains("vendor/"));
    fx.verda(&["check"]).assert().success();
}

/// A submodule moved in custom-source is exported as git writes it (an
/// exact rename), and applies back to the same tree.
#[test]
fn gitlink_moved_is_exported_as_a_rename_and_applies_back() {
    let fx = upstream(&[("config.txt", b"one\n")]);
    set_gitlink(&fx.upstream(), "vendor/sub", SUB1);
    git(&fx.upstream(), &["commit", "-q", "-m", "Add submodule"]);
    git(&fx.upstream(), &["tag", "-f", "1.0"]);
    queue(&fx, &[]);
    fx.verda(&["apply"]).assert().success();
    git(&fx.custom(), &["rm", "-q", "--cached", "vendor/sub"]);
    set_gitlink(&fx.custom(), "lib/sub", SUB1);
    git(&fx.custom(), &["commit", "-q", "-m", "Move the submodule"]);
    let tree = applied_tree(&fx);
    fx.verda(&["export", "--category", "feature"])
        .assert()
        .success();
    let file = fx.patches().join("feature/0001-move-the-submodule.patch");
    let text = String::from_utf8(read(&file)).unwrap();
    assert!(
        text.ends_with("diff --git a/vendor/sub b/lib/sub\nsimilarity index 100%\nrename from vendor/sub\nrename to lib/sub\n"),
        "{text}"
    );
    std::fs::remove_dir_all(fx.custom()).unwrap();
    fx.verda(&["apply"]).assert().success();
    assert_eq!(applied_tree(&fx), tree);
}

#[test]
fn gitlink_moved_upstream_is_refused_naming_both_commits() {
    let fx = upstream(&[("config.txt", b"one\n")]);
    set_gitlink(&fx.upstream(), "vendor/sub", SUB1);
    git(&fx.upstream(), &["commit", "-q", "-m", "Add submodule"]);
    git(&fx.upstream(), &["tag", "-f", "1.0"]);
    let patch = patch_from(&fx, "bump", "Bump vendor/sub", |w| {
        set_gitlink(w, "vendor/sub", SUB2);
    });
    let patches = [("0001-bump.patch", read(&patch))];
    queue(&fx, &patches);
    release_two(&fx, |up| set_gitlink(up, "vendor/sub", &"3".repeat(40)));
    assert_eq!(git_am(&fx, "2.0", &["-3"], &patches), None);
    let out = assert_refused(&fx, &["apply"], "0001-bump.patch");
    assert!(
        out.contains(&format!("moves submodule `vendor/sub` from commit {SUB1}"))
            && out.contains(&"3".repeat(40))
            && !out.contains("does not exist"),
        "{out}"
    );
}

#[test]
fn gitlink_bump_upstream_already_made_is_reported_as_already_applied() {
    let fx = upstream(&[("config.txt", b"one\n")]);
    set_gitlink(&fx.upstream(), "vendor/sub", SUB1);
    git(&fx.upstream(), &["commit", "-q", "-m", "Add submodule"]);
    git(&fx.upstream(), &["tag", "-f", "1.0"]);
    let patch = patch_from(&fx, "bump", "Bump vendor/sub", |w| {
        set_gitlink(w, "vendor/sub", SUB2);
    });
    queue(&fx, &[("0001-bump.patch", read(&patch))]);
    // Upstream made the same bump: git am -3 finds nothing to do.
    release_two(&fx, |up| set_gitlink(up, "vendor/sub", SUB2));
    let am = git_command(&clone_at(&fx, "am3", "2.0"), &["am", "-3"])
        .arg(fx.patches().join("bugfix/0001-bump.patch"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&am.stdout).contains("No changes -- Patch already applied."));
    let out = assert_refused(&fx, &["apply"], "0001-bump.patch");
    assert!(out.contains("0001-bump.patch: is already applied"), "{out}");
}

/// A mail whose diff is `body` (any diff text after the `---`).
fn mail(subject: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "From: Ada Example <ada@example.org>\nDate: Tue, 2 Jan 2024 03:04:05 +0000\n\
         Subject: [PATCH] {subject}\n\n{subject}, from a tarball diff.\n---\n"
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

#[test]
fn diff_recursive_new_file_mail_creates_deletes_and_strips_the_directory_like_git_am() {
    let files: &[(&str, &[u8])] = &[
        ("README", b"demo\n"),
        ("src/old.c", b"int old;\n"),
        ("src/main.c", b"int main() {\n  return 0;\n}\n"),
        ("notes.txt", b"empty me\n"),
    ];
    let fx = upstream(files);
    // The tarball layout quilt and Debian patches are made from.
    let tar = fx.root().join("tar");
    for (root, edits) in [("demo-1.0.orig", false), ("demo-1.0", true)] {
        for (path, bytes) in files {
            let target = tar.join(root).join(path);
            match (edits, *path) {
                (true, "src/old.c") => continue,
                (true, "src/main.c") => put(&target, b"int main() {\n  return 1;\n}\n"),
                (true, "notes.txt") => put(&target, b""),
                _ => put(&target, bytes),
            }
        }
    }
    put(&tar.join("demo-1.0/src/new/born.c"), b"int born;\n");
    for tz in ["UTC", "EST5EDT"] {
        let diff = std::process::Command::new("diff")
            .current_dir(&tar)
            .args(["-ruN", "demo-1.0.orig", "demo-1.0"])
            .env("TZ", tz)
            .output()
            .unwrap()
            .stdout;
        let patches = [("0001-tarball-fix.patch", mail("Tarball fix", &diff))];
        queue(&fx, &patches);
        let _ = std::fs::remove_dir_all(fx.repo().join("custom-source"));
        fx.verda(&["apply"]).assert().success();
        let want = git_am(&fx, "1.0", &[], &patches).expect("git am applies it");
        assert_eq!(applied_tree(&fx), want, "TZ={tz}");
        assert!(fx.custom().join("src/new/born.c").exists());
        assert!(!fx.custom().join("src/old.c").exists());
        assert_eq!(read(&fx.custom().join("notes.txt")), b"");
    }
}

#[test]
fn patches_the_pin_already_has_are_all_named_by_apply_and_check() {
    let lines = |p: &str| (1..=12).map(|i| format!("{p}{i}\n")).collect::<String>();
    let fx = upstream(&[
        ("a.txt", lines("a").as_bytes()),
        ("b.txt", lines("b").as_bytes()),
        ("c.txt", lines("c").as_bytes()),
    ]);
    let fix = |file: &'static str, from: &'static str| {
        move |w: &Path| {
            let text = std::fs::read_to_string(w.join(file)).unwrap();
            put(
                &w.join(file),
                text.replacen(from, &format!("{from} fixed"), 1).as_bytes(),
            );
        }
    };
    let pa = patch_from(&fx, "a", "Fix a3", fix("a.txt", "a3\n"));
    let pb = patch_from(&fx, "b", "Fix b5", fix("b.txt", "b5\n"));
    let pc = patch_from(&fx, "c", "Fix c7", fix("c.txt", "c7\n"));
    let patches = [
        ("0001-fix-a3.patch", read(&pa)),
        ("0002-fix-b5.patch", read(&pb)),
        ("0003-fix-c7.patch", read(&pc)),
    ];
    queue(&fx, &patches);
    release_two(&fx, |up| {
        fix("a.txt", "a3\n")(up);
        fix("b.txt", "b5\n")(up);
        put(&up.join("d.txt"), b"new upstream file\n");
    });
    for command in ["apply", "check"] {
        let out = assert_refused(&fx, &[command], "0001-fix-a3.patch");
        for name in ["0001-fix-a3.patch", "0002-fix-b5.patch"] {
            assert!(
                out.lines()
                    .any(|l| l.contains(name) && l.contains("is already applied")),
                "{command}: {name} not named as already applied: {out}"
            );
        }
        assert!(!out.contains("0003-fix-c7.patch: is already"), "{out}");
        assert!(out.contains("verda-patch rebase --to"), "{out}");
    }
    // Patches upstream has change nothing: check does not count them as
    // applying (the third patch applies; the first two are upstream's).
    let (_, stdout, _) = fx.run(&["check"]);
    assert!(
        stdout.contains("1/3 patches apply on 2.0 (2 already applied upstream)"),
        "{stdout}"
    );
}

#[test]
fn hunk_refusals_name_their_true_cause() {
    let ten = (1..=10).map(|i| format!("line {i}\n")).collect::<String>();
    let fx = upstream(&[("f.txt", ten.as_bytes()), ("victim", b"a\nx\ny\n")]);
    let conflict = patch_from(&fx, "conflict", "Patch line 5", |w| {
        put(
            &w.join("f.txt"),
            ten.replace("line 5\n", "line 5 (patch)\n").as_bytes(),
        );
    });
    let work = clone_at(&fx, "work-u0", "1.0");
    put(&work.join("victim"), b"a\nb\nx\ny\n");
    git(&work, &["commit", "-q", "-am", "Insert b (U0)"]);
    let unidiff_zero = git_command(&work, &["format-patch", "-U0", "--stdout", "-1"])
        .output()
        .unwrap()
        .stdout;
    release_two(&fx, |up| {
        put(
            &up.join("f.txt"),
            ten.replace("line 5\n", "line 5 (upstream)\n").as_bytes(),
        );
    });

    // Known blob, the merge conflicts.
    let patches = [("0001-patch-line-5.patch", read(&conflict))];
    queue(&fx, &patches);
    assert_eq!(git_am(&fx, "2.0", &["-3"], &patches), None);
    let out = assert_refused(&fx, &["apply"], "0001-patch-line-5.patch");
    assert!(
        out.contains("the 3-way merge from its preimage blob")
            && out.contains("conflicts in `f.txt`")
            && !out.contains("not in the upstream repository"),
        "{out}"
    );

    // The index line names a blob nobody has.
    let text = String::from_utf8(read(&conflict)).unwrap();
    let index = text.lines().find(|l| l.starts_with("index ")).unwrap();
    let fake = format!("index {}..{}", "ab".repeat(20), &index[48..]);
    let patches = [(
        "0001-unknown-blob.patch",
        text.replace(index, &fake).into_bytes(),
    )];
    queue(&fx, &patches);
    let out = assert_refused(&fx, &["apply"], "0001-unknown-blob.patch");
    assert!(
        out.contains(&format!(
            "its preimage blob {} (from the `index` line) is not in the upstream repository",
            "ab".repeat(20)
        )),
        "{out}"
    );

    // Known blob, but the hunk applies to it neither (-U0 insertion).
    let patches = [("0001-insert-b.patch", unidiff_zero)];
    queue(&fx, &patches);
    assert_eq!(git_am(&fx, "2.0", &["-3"], &patches), None);
    let out = assert_refused(&fx, &["check"], "0001-insert-b.patch");
    assert!(
        out.contains("does not apply to its preimage blob") && out.contains("either"),
        "{out}"
    );

    // No index line at all: nothing to merge from.
    let body =
        b"--- a/f.txt\n+++ b/f.txt\n@@ -4,3 +4,3 @@\n line 4\n-line 5\n+line 5 (mail)\n line 6\n";
    let patches = [("0001-plain.patch", mail("Plain diff", body))];
    queue(&fx, &patches);
    let out = assert_refused(&fx, &["apply"], "0001-plain.patch");
    assert!(out.contains("the patch has no `index` line"), "{out}");
}

#[test]
fn crlf_files_take_hunks_without_crs_and_lf_files_take_crlf_hunks() {
    let fx = upstream(&[
        ("win.txt", b"one\r\ntwo\r\nthree\r\nfour\r\n"),
        ("unix.txt", b"plain\nunix\nfile\n"),
    ]);
    let win = patch_from(&fx, "win", "Change two", |w| {
        put(&w.join("win.txt"), b"one\r\n2\r\nthree\r\nfour\r\n");
    });
    let unix = patch_from(&fx, "unix", "Upper-case unix", |w| {
        put(&w.join("unix.txt"), b"plain\nUNIX\nfile\n");
    });
    // The CRLF file's patch as git am without --keep-cr would read a CRLF
    // mail: no CR left anywhere. git am --keep-cr of the original is the
    // result to match.
    let stripped: Vec<u8> = read(&win).into_iter().filter(|&b| b != b'\r').collect();
    let want = git_am(&fx, "1.0", &["--keep-cr"], &[("w.patch", read(&win))]);
    queue(&fx, &[("0001-change-two.patch", stripped)]);
    fx.verda(&["apply"]).assert().success();
    assert_eq!(Some(applied_tree(&fx)), want);
    assert_eq!(
        read(&fx.custom().join("win.txt")),
        b"one\r\n2\r\nthree\r\nfour\r\n"
    );

    // The LF file's patch converted to CRLF throughout: git am strips the CRs.
    let crlf: Vec<u8> = read(&unix)
        .split_inclusive(|&b| b == b'\n')
        .flat_map(|l| {
            let mut l = l.to_vec();
            l.insert(l.len() - 1, b'\r');
            l
        })
        .collect();
    let patches = [("0001-upper-case-unix.patch", crlf)];
    queue(&fx, &patches);
    std::fs::remove_dir_all(fx.repo().join("custom-source")).unwrap();
    fx.verda(&["apply"]).assert().success();
    assert_eq!(Some(applied_tree(&fx)), git_am(&fx, "1.0", &[], &patches));
}
