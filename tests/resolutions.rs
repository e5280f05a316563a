//! Recorded resolutions per conflict hunk (`patches/<p>/.resolutions/`):
//! recorded on `rebase --continue`, replayed hunk by hunk by a later
//! rebase (also onto a release that changed other parts of the file, or
//! only whitespace of the conflict), a partly recorded file stops with only
//! the rest marked, whole-file records of earlier versions are used and
//! converted, unused old records are pruned. Real git, real verda-patch.

mod common;

use std::path::{Path, PathBuf};

use common::{Fixture, edit, fixture, git, lines, write};
use sha2::{Digest, Sha256};

const PATCH: &str = "feature/0001-add-pci-device-quota.patch";

/// A release `tag` upstream after `change`, on top of what is there.
fn release(fx: &Fixture, tag: &str, change: impl FnOnce(&Path)) {
    change(&fx.upstream());
    git(&fx.upstream(), &["add", "-A"]);
    git(
        &fx.upstream(),
        &["commit", "-q", "-m", &format!("Release {tag}")],
    );
    git(&fx.upstream(), &["tag", tag]);
}

/// 2.0 renames quota line 10, the line the feature patch adds after.
fn release_2(fx: &Fixture) {
    release(fx, "2.0", |up| {
        edit(
            &up.join("app/quota.py"),
            "quota line 10\n",
            "quota line ten\n",
        )
    });
}

fn records(fx: &Fixture) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(fx.patches().join(".resolutions"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.sort();
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Replace the first diff3 marker block of `text` with `with`.
fn resolve_first(text: &str, with: &[&str]) -> String {
    let mut out = String::new();
    let mut state = 0; // 0 before, 1 inside, 2 after
    for line in text.lines() {
        match state {
            0 if line.starts_with("<<<<<<<") => {
                state = 1;
                for l in with {
                    out.push_str(l);
                    out.push('\n');
                }
            }
            1 if line.starts_with(">>>>>>>") => state = 2,
            1 => {}
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    assert_eq!(state, 2, "no marker block in {text}");
    out
}

/// Rebase to 2.0, stop, resolve quota.py's hunk by hand (upstream's line
/// and the patch's), continue. Returns the resolved file.
fn resolve_by_hand_to_2(fx: &Fixture) -> String {
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    let quota = fx.custom().join("app/quota.py");
    let resolved = resolve_first(&read(&quota), &["quota line ten", "PCI_DEVICES = 'a100'"]);
    write(&quota, &resolved);
    git(&fx.custom(), &["add", "app/quota.py"]);
    let (code, stdout, stderr) = fx.run(&["rebase", "--continue"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("resolved by hand"), "{stdout}");
    resolved
}

/// The patch repo as it was before the first rebase (on 1.0), the
/// recorded resolutions (not committed) kept, custom-source applied again.
fn back_to_1(fx: &Fixture) {
    git(&fx.repo(), &["checkout", "-q", "--", "."]);
    write(
        &fx.repo().join("verda-patch.toml"),
        "[projects.demo]\ngit = \"../upstream\"\npin = \"1.0\"\n",
    );
    fx.verda(&["apply", "--force"]).assert().success();
}

#[test]
fn a_hand_resolution_is_recorded_as_its_hunk_only() {
    let fx = fixture();
    release_2(&fx);
    fx.commit_patch_repo();
    resolve_by_hand_to_2(&fx);
    let found = records(&fx);
    assert_eq!(found.len(), 1, "{found:?}");
    let name = found[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.len() == 44 && name.ends_with(".txt"),
        "a 40-hex key and .txt: {name}"
    );
    let record = read(&found[0]);
    // The two sides and the resolution: 1 + 2 + 2 lines of the 31-line
    // file, with where it came from.
    let body: Vec<&str> = record
        .lines()
        .skip_while(|l| !l.starts_with("ours"))
        .collect();
    assert_eq!(
        body,
        [
            "ours (upstream): 1 line",
            " quota line ten",
            "theirs (the patch): 2 lines",
            " quota line 10",
            " PCI_DEVICES = 'a100'",
            "resolution: 2 lines",
            " quota line ten",
            " PCI_DEVICES = 'a100'",
        ],
        "{record}"
    );
    let two = git(&fx.upstream(), &["rev-parse", "2.0^{commit}"]);
    for field in [
        "file: app/quota.py\n".to_string(),
        format!("patch: {PATCH}\n"),
        "recorded: 1.0 -> 2.0\n".to_string(),
        format!("last-used: 2.0 {two}\n"),
    ] {
        assert!(record.contains(&field), "{field:?} in {record}");
    }
    // Nothing of the file beyond the hunk.
    for n in (1..=30).filter(|n| *n != 10) {
        assert!(!record.contains(&format!("quota line {n}\n")), "{record}");
    }
}

/// The "Done when": the hunk recorded on the way to 2.0 settles
/// the same conflict on the way to 3.0, where upstream also changed another
/// part of the same file (so the file's three blobs are new).
#[test]
fn a_recorded_hunk_is_replayed_after_another_part_of_the_file_changed() {
    let fx = fixture();
    release_2(&fx);
    fx.commit_patch_repo();
    resolve_by_hand_to_2(&fx);
    let record = records(&fx).remove(0);
    release(&fx, "3.0", |up| {
        edit(
            &up.join("app/quota.py"),
            "quota line 25\n",
            "quota line 25 (3.0)\n",
        )
    });
    back_to_1(&fx);
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "3.0", "--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let name = record.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        report["resolutions"]["used"],
        serde_json::json!([{ "patch": PATCH, "record": name }]),
        "{stdout}"
    );
    assert_eq!(report["resolutions"]["pruned"], serde_json::json!([]));
    let result = &report["results"][0];
    assert_eq!(result["outcome"], "resolved", "{stdout}");
    assert_eq!(result["recorded"], true, "{stdout}");
    // Both upstream changes and the patch, no markers.
    let expected = lines("quota", 30)
        .replace("quota line 10\n", "quota line ten\nPCI_DEVICES = 'a100'\n")
        .replace("quota line 25\n", "quota line 25 (3.0)\n");
    assert_eq!(read(&fx.custom().join("app/quota.py")), expected);
    // The record now says it was last used on 3.0.
    let three = git(&fx.upstream(), &["rev-parse", "3.0^{commit}"]);
    assert!(
        read(&record).contains(&format!("last-used: 3.0 {three}\n")),
        "{}",
        read(&record)
    );
    // The same in text: the patch and the record it used.
    back_to_1(&fx);
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "3.0"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "used resolution patches/demo/.resolutions/{name} ({PATCH})"
        )) && stdout.contains("carried (recorded resolution)"),
        "{stdout}"
    );
}

#[test]
fn a_side_spaced_differently_still_matches_an_indented_one_does_not() {
    let fx = fixture();
    release_2(&fx);
    fx.commit_patch_repo();
    resolve_by_hand_to_2(&fx);
    // 3.0 spaces upstream's side of the conflict differently.
    release(&fx, "3.0", |up| {
        edit(
            &up.join("app/quota.py"),
            "quota line ten\n",
            "quota \t line  ten   \r\n",
        )
    });
    back_to_1(&fx);
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "3.0"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("carried (recorded resolution)"), "{stdout}");
    // The resolution is replayed as recorded (its whitespace).
    let quota = read(&fx.custom().join("app/quota.py"));
    assert!(
        quota.contains("quota line 9\nquota line ten\nPCI_DEVICES = 'a100'\nquota line 11\n"),
        "{quota}"
    );
    // A side that differs in more than spacing does not match: 3.1
    // changes a word of it, 3.2 indents it.
    release(&fx, "3.1", |up| {
        edit(
            &up.join("app/quota.py"),
            "quota \t line  ten   \r\n",
            "quota line TEN\n",
        )
    });
    back_to_1(&fx);
    assert_eq!(fx.run(&["rebase", "--to", "3.1"]).0, 3);
    fx.run(&["rebase", "--abort"]);
    release(&fx, "3.2", |up| {
        edit(
            &up.join("app/quota.py"),
            "quota line TEN\n",
            "    quota line ten\n",
        )
    });
    back_to_1(&fx);
    assert_eq!(fx.run(&["rebase", "--to", "3.2"]).0, 3);
}

/// The feature patch replaced by `change` of quota.py on 1.0.
fn quota_patch(fx: &Fixture, change: impl FnOnce(&Path)) {
    let work = fx.root().join("work2");
    git(
        fx.root(),
        &["clone", "-q", fx.upstream().to_str().unwrap(), "work2"],
    );
    git(&work, &["checkout", "-q", "1.0"]);
    change(&work.join("app/quota.py"));
    git(
        &work,
        &[
            "commit",
            "-q",
            "-am",
            "Add PCI device quota\n\nChange-Id: I1111111111111111111111111111111111111111",
        ],
    );
    let out = fx.root().join("two");
    common::format_patch(&work, &out, "-1");
    std::fs::copy(
        out.join("0001-Add-PCI-device-quota.patch"),
        fx.patches().join(PATCH),
    )
    .unwrap();
}

/// The feature patch made to touch lines 10 and 20 of quota.py.
fn two_hunk_patch(fx: &Fixture) {
    quota_patch(fx, |quota| {
        edit(
            quota,
            "quota line 10\n",
            "quota line 10\nPCI_DEVICES = 'a100'\n",
        );
        edit(quota, "quota line 20\n", "quota line 20\nPCI_LIMIT = 4\n");
    });
}

/// The case: upstream and the patch both add tests at the end of
/// a file (a hunk with an empty base); the next release also changes the
/// top of the file.
#[test]
fn both_sides_adding_at_the_end_is_replayed_after_the_top_changed() {
    let fx = fixture();
    let ours = "\ndef test_pci_quota():\n    assert QUOTA['pci'] == 4\n";
    quota_patch(&fx, |quota| {
        std::fs::write(quota, read(quota) + ours).unwrap();
    });
    let upstream = "\ndef test_sound_model():\n    assert SOUND\n";
    release(&fx, "2.0", |up| {
        let quota = up.join("app/quota.py");
        std::fs::write(&quota, read(&quota) + upstream).unwrap();
    });
    fx.commit_patch_repo();
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    let quota = fx.custom().join("app/quota.py");
    let both: Vec<&str> = upstream.lines().chain(ours.lines()).collect();
    let resolved = resolve_first(&read(&quota), &both);
    write(&quota, &resolved);
    git(&fx.custom(), &["add", "app/quota.py"]);
    assert_eq!(fx.run(&["rebase", "--continue"]).0, 0);
    let record = read(&records(&fx)[0]);
    assert!(
        record.contains("resolution: 6 lines\n \n def test_sound_model():\n"),
        "{record}"
    );
    release(&fx, "3.0", |up| {
        edit(
            &up.join("app/quota.py"),
            "quota line 2\n",
            "quota line two\n",
        )
    });
    back_to_1(&fx);
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "3.0"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("carried (recorded resolution)"), "{stdout}");
    assert_eq!(
        read(&quota),
        resolved.replace("quota line 2\n", "quota line two\n")
    );
}

#[test]
fn a_file_with_one_hunk_recorded_stops_with_only_the_other_marked() {
    let fx = fixture();
    two_hunk_patch(&fx);
    release_2(&fx);
    fx.commit_patch_repo();
    resolve_by_hand_to_2(&fx);
    assert_eq!(records(&fx).len(), 1);
    // 3.0 also renames line 20: a second hunk, never resolved before.
    release(&fx, "3.0", |up| {
        edit(
            &up.join("app/quota.py"),
            "quota line 20\n",
            "quota line twenty\n",
        )
    });
    back_to_1(&fx);
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "3.0"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "1 conflict hunk resolved from recorded resolutions; only the rest is marked."
        ),
        "{stderr}"
    );
    let quota = read(&fx.custom().join("app/quota.py"));
    assert_eq!(quota.matches("<<<<<<<").count(), 1, "{quota}");
    assert!(
        quota.contains("quota line 9\nquota line ten\nPCI_DEVICES = 'a100'\nquota line 11\n"),
        "{quota}"
    );
    let marked = quota.split("<<<<<<<").nth(1).unwrap();
    assert!(
        marked.contains("quota line twenty") && marked.contains("PCI_LIMIT = 4"),
        "{quota}"
    );
    // The markers keep git's labels (as the cherry-pick wrote them).
    assert!(quota.contains("<<<<<<< HEAD\n"), "{quota}");
    // Still a conflict for git until the user resolves the rest.
    assert_eq!(
        git(&fx.custom(), &["diff", "--name-only", "--diff-filter=U"]),
        "app/quota.py"
    );
    let resolved = resolve_first(&quota, &["quota line twenty", "PCI_LIMIT = 4"]);
    write(&fx.custom().join("app/quota.py"), &resolved);
    git(&fx.custom(), &["add", "app/quota.py"]);
    let (code, stdout, stderr) = fx.run(&["rebase", "--continue", "--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    // Two records now; the one used is listed as used, the new one as
    // recorded.
    let found = records(&fx);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        report["resolutions"]["used"].as_array().unwrap().len(),
        1,
        "{stdout}"
    );
    assert_eq!(
        report["resolutions"]["recorded"].as_array().unwrap().len(),
        1,
        "{stdout}"
    );
    assert_eq!(read(&fx.custom().join("app/quota.py")), resolved);
    // And the next replay of 1.0 -> 3.0 needs no stop.
    back_to_1(&fx);
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "3.0"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(read(&fx.custom().join("app/quota.py")), resolved);
}

/// The name a whole-file record of earlier versions has: the first 20
/// bytes of SHA-256 over the path and the three blobs, each NUL-ended.
fn whole_file_key(path: &str, blobs: [&str; 3]) -> String {
    let mut hasher = Sha256::new();
    for part in [path].into_iter().chain(blobs) {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize()[..20]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_whole_file_record_from_before_is_used_and_converted() {
    let fx = fixture();
    release_2(&fx);
    // The conflict's blobs: base (1.0), ours (2.0), theirs (1.0 + patch).
    let up = fx.upstream();
    let base = git(&up, &["rev-parse", "1.0:app/quota.py"]);
    let ours = git(&up, &["rev-parse", "2.0:app/quota.py"]);
    let work = fx.root().join("work");
    let theirs = git(&work, &["rev-parse", "HEAD~2:app/quota.py"]);
    let resolved =
        lines("quota", 30).replace("quota line 10\n", "quota line ten\nPCI_DEVICES = 'a100'\n");
    let legacy = whole_file_key("app/quota.py", [&base, &ours, &theirs]);
    write(&fx.patches().join(".resolutions").join(&legacy), &resolved);
    fx.commit_patch_repo();

    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0", "--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["resolutions"]["used"],
        serde_json::json!([{ "patch": PATCH, "record": legacy }]),
        "{stdout}"
    );
    assert_eq!(read(&fx.custom().join("app/quota.py")), resolved);
    // Converted: the whole file is gone, its one hunk is a record.
    let found = records(&fx);
    assert_eq!(found.len(), 1, "{found:?}");
    let record = read(&found[0]);
    assert!(found[0].to_string_lossy().ends_with(".txt"), "{found:?}");
    assert!(
        record.contains("resolution: 2 lines\n quota line ten\n PCI_DEVICES = 'a100'\n"),
        "{record}"
    );
    // The converted record settles the same conflict in another file
    // version, as any hunk record.
    release(&fx, "3.0", |up| {
        edit(
            &up.join("app/quota.py"),
            "quota line 2\n",
            "quota line two\n",
        )
    });
    back_to_1(&fx);
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "3.0"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("carried (recorded resolution)"), "{stdout}");
}

#[test]
fn a_finished_rebase_prunes_unused_records_of_older_pins_and_lists_them() {
    let fx = fixture();
    release_2(&fx);
    fx.commit_patch_repo();
    resolve_by_hand_to_2(&fx);
    let recorded = records(&fx).remove(0);
    let dir = fx.patches().join(".resolutions");
    // A whole-file record of before nothing uses, and a hunk record last
    // used on a commit that is no ancestor of 3.0 (a release on another
    // branch): the first goes, the second stays.
    write(&dir.join("ab".repeat(20)), "an old whole file\n");
    let side = read(&recorded).replace(
        &git(&fx.upstream(), &["rev-parse", "2.0^{commit}"]),
        &"12".repeat(20),
    );
    let elsewhere = dir.join(format!("{}.txt", "cd".repeat(20)));
    write(&elsewhere, &side);
    // 3.0 changes nothing the queue touches: the 2.0 record is unused.
    release(&fx, "3.0", |up| write(&up.join("README"), "demo 3.0\n"));
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "3.0", "--json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let name = recorded.file_name().unwrap().to_string_lossy().into_owned();
    let mut pruned = vec!["ab".repeat(20), name.clone()];
    pruned.sort();
    assert_eq!(
        report["resolutions"]["pruned"],
        serde_json::json!(pruned),
        "{stdout}"
    );
    assert_eq!(records(&fx), [elsewhere]);
    // The Markdown report lists them too.
    let markdown = read(&fx.repo().join(".verda/reports/rebase-demo-2.0-to-3.0.md"));
    assert!(
        markdown.contains(&format!(
            "* pruned resolution patches/demo/.resolutions/{name} (unused, last used before 3.0)"
        )),
        "{markdown}"
    );
}

#[test]
fn a_damaged_record_is_named_and_the_rebase_can_be_undone() {
    let fx = fixture();
    release_2(&fx);
    fx.commit_patch_repo();
    resolve_by_hand_to_2(&fx);
    let record = records(&fx).remove(0);
    let text = read(&record).replace("resolution: 2 lines", "resolution: 7 lines");
    write(&record, &text);
    back_to_1(&fx);
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let name = record.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        stderr.contains(&format!("patches/demo/.resolutions/{name}"))
            && stderr.contains("resolution: 7 lines announced, fewer found"),
        "{stderr}"
    );
    let (code, _, stderr) = fx.run(&["rebase", "--abort"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(read(&record), text);
}

#[test]
fn a_cherry_pick_leaves_every_record_as_it_is() {
    let fx = fixture();
    release_2(&fx);
    fx.commit_patch_repo();
    resolve_by_hand_to_2(&fx);
    let dir = fx.patches().join(".resolutions");
    write(&dir.join("ab".repeat(20)), "an old whole file\n");
    let before: Vec<(PathBuf, String)> = records(&fx)
        .into_iter()
        .map(|p| (p.clone(), read(&p)))
        .collect();
    write(&fx.upstream().join("README"), "demo upstream, fixed\n");
    git(&fx.upstream(), &["commit", "-q", "-am", "Fix the README"]);
    let fix = git(&fx.upstream(), &["rev-parse", "HEAD"]);
    let (code, stdout, stderr) = fx.run(&["cherry-pick", &fix]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let after: Vec<(PathBuf, String)> = records(&fx)
        .into_iter()
        .map(|p| (p.clone(), read(&p)))
        .collect();
    assert_eq!(after, before);
}
