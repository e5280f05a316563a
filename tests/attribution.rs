//! Conflict attribution: a rebase that stops names the upstream commits
//! between the pins that changed the conflicting lines (subject,
//! Change-Id, Closes-Bug), and only those; `status`, the report and the
//! `check --against` forecast say the same; the line tracking agrees with
//! `git log -L`.

mod common;

use common::{Fixture, edit, fixture, git, write};
use verda_patch::repo::Git;
use verda_patch::repo::attribution::Span;

const CULPRIT_CHANGE_ID: &str = "I4444444444444444444444444444444444444444";

/// Commit everything in the upstream work tree with `message`; its id.
fn commit(fx: &Fixture, message: &str) -> String {
    git(&fx.upstream(), &["add", "-A"]);
    git(&fx.upstream(), &["commit", "-q", "-m", message]);
    git(&fx.upstream(), &["rev-parse", "HEAD"])
}

/// Release 2.0 after three upstream commits: one rewrites the line the
/// feature patch inserts after (a conflict), one another part of the same
/// file, one another file. Their ids, in that order.
fn release_with_three_commits(fx: &Fixture) -> [String; 3] {
    let up = fx.upstream();
    edit(
        &up.join("app/quota.py"),
        "quota line 10\n",
        "quota line ten\n",
    );
    let culprit = commit(
        fx,
        &format!(
            "Spell out quota line ten\n\nThe API reads it by name.\n\n\
             Closes-Bug: #2100001\nChange-Id: {CULPRIT_CHANGE_ID}"
        ),
    );
    edit(
        &up.join("app/quota.py"),
        "quota line 25\n",
        "quota line twenty-five\n",
    );
    let same_file = commit(
        fx,
        "Spell out quota line twenty-five\n\nChange-Id: I5555555555555555555555555555555555555555",
    );
    edit(
        &up.join("app/scheduler.py"),
        "scheduler line 35\n",
        "scheduler line thirty-five\n",
    );
    let other_file = commit(
        fx,
        "Spell out scheduler line 35\n\nCloses-Bug: #2100003\nChange-Id: I6666666666666666666666666666666666666666",
    );
    git(&up, &["tag", "2.0"]);
    [culprit, same_file, other_file]
}

fn short(id: &str) -> &str {
    &id[..10]
}

/// Names the culprit (id, subject, Change-Id, bug) and neither other commit.
fn names_only_the_culprit(text: &str, [culprit, same_file, other_file]: &[String; 3]) {
    assert!(
        text.contains(&format!(
            "{} Spell out quota line ten (Change-Id: {CULPRIT_CHANGE_ID}, Closes-Bug: #2100001)",
            short(culprit)
        )),
        "{text}"
    );
    for other in [same_file, other_file] {
        assert!(!text.contains(short(other)), "{text}");
    }
    assert!(
        !text.contains("twenty-five") && !text.contains("scheduler line 35"),
        "{text}"
    );
}

#[test]
fn a_stopped_rebase_names_the_upstream_commit_that_changed_the_lines() {
    let fx = fixture();
    let commits = release_with_three_commits(&fx);
    fx.commit_patch_repo();
    fx.verda(&["apply"]).assert().success();

    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    names_only_the_culprit(&stderr, &commits);
    assert!(
        stderr.contains("app/quota.py line 10 (2.0), changed upstream by:"),
        "{stderr}"
    );

    // status: the operation, its progress, the attribution, the next
    // command; not the operation's own commits and conflict as if they
    // were the user's.
    let (code, status, _) = fx.run(&["status"]);
    assert_eq!(code, 0);
    names_only_the_culprit(&status, &commits);
    assert!(
        status.contains(
            "rebase to 2.0 in progress: patch 1 of 3, feature/0001-add-pci-device-quota.patch"
        ) && status.contains("conflict in app/quota.py")
            && status.contains("rebase --continue demo"),
        "{status}"
    );
    assert!(
        !status.contains("not exported") && !status.contains("uncommitted"),
        "{status}"
    );
    // --json keeps the data, marked as the operation's.
    let (_, json, _) = fx.run(&["status", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let source = &json[0]["custom_source"];
    assert_eq!(source["owned_by"], "rebase", "{source}");
    assert_eq!(source["dirty_files"][0], "app/quota.py", "{source}");
    let hunks = &json[0]["rebase"]["attribution"]["files"][0]["hunks"];
    assert_eq!(hunks.as_array().unwrap().len(), 1, "{hunks}");
    assert_eq!(
        hunks[0]["new"],
        serde_json::json!({"start": 10, "count": 1})
    );
    assert_eq!(
        hunks[0]["old"],
        serde_json::json!({"start": 10, "count": 1})
    );
    assert_eq!(
        hunks[0]["commits"],
        serde_json::json!([{
            "commit": commits[0],
            "subject": "Spell out quota line ten",
            "change_id": CULPRIT_CHANGE_ID,
            "closes_bug": ["#2100001"],
        }])
    );

    // Resolved by hand: the report keeps why.
    let file = fx.custom().join("app/quota.py");
    let text = std::fs::read_to_string(&file).unwrap();
    let start = text.find("<<<<<<<").unwrap();
    let end = text.find(">>>>>>>").unwrap();
    let end = end + text[end..].find('\n').unwrap() + 1;
    let resolved = format!(
        "{}quota line ten\nPCI_DEVICES = 'a100'\n{}",
        &text[..start],
        &text[end..]
    );
    write(&file, &resolved);
    git(&fx.custom(), &["add", "app/quota.py"]);
    let (code, stdout, stderr) = fx.run(&["rebase", "--continue"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    names_only_the_culprit(&stdout, &commits);
    let report = fx.repo().join(".verda/reports/rebase-demo-1.0-to-2.0.md");
    let markdown = std::fs::read_to_string(report).unwrap();
    assert!(markdown.contains("## Why patches conflicted"), "{markdown}");
    names_only_the_culprit(&markdown, &commits);
    let (_, status, _) = fx.run(&["status"]);
    assert!(!status.contains("Spell out"), "{status}");
}

#[test]
fn the_forecast_names_the_commit_in_text_and_json() {
    let fx = fixture();
    let commits = release_with_three_commits(&fx);
    let (code, stdout, stderr) = fx.run(&["check", "--against", "2.0"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    names_only_the_culprit(&stdout, &commits);
    let (code, stdout, stderr) = fx.run(&["check", "--against", "2.0", "--json"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let result = &json[0]["results"][0];
    assert_eq!(result["outcome"], "conflict", "{result}");
    let attribution = &result["attribution"];
    assert_eq!(attribution["history"], "commits", "{attribution}");
    let files = attribution["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["path"], "app/quota.py");
    let named: Vec<&str> = files[0]["hunks"][0]["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["commit"].as_str().unwrap())
        .collect();
    assert_eq!(named, [commits[0].as_str()]);
    // The carried patches have none.
    assert!(json[0]["results"][1].get("attribution").is_none());
}

#[test]
fn lines_upstream_deleted_are_attributed_to_the_commit_that_deleted_them() {
    let fx = fixture();
    let up = fx.upstream();
    edit(
        &up.join("app/quota.py"),
        "quota line 9\nquota line 10\nquota line 11\n",
        "quota line 9\n",
    );
    let deleted = commit(&fx, "Drop quota lines 10 and 11\n\nCloses-Bug: #2100002");
    edit(&up.join("README"), "demo upstream\n", "demo upstream 2\n");
    let readme = commit(&fx, "Touch the README");
    git(&up, &["tag", "2.0"]);
    let (code, stdout, stderr) = fx.run(&["check", "--against", "2.0", "--json"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let hunk = &json[0]["results"][0]["attribution"]["files"][0]["hunks"][0];
    assert_eq!(hunk["commits"][0]["commit"], deleted.as_str(), "{hunk}");
    assert_eq!(hunk["commits"].as_array().unwrap().len(), 1, "{hunk}");
    assert_eq!(hunk["new"]["count"], 0, "{hunk}");
    let (_, text, _) = fx.run(&["check", "--against", "2.0"]);
    assert!(
        text.contains(&format!("{} Drop quota lines 10 and 11", short(&deleted)))
            && !text.contains(short(&readme)),
        "{text}"
    );
    // The stop says the same, in JSON too.
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "2.0", "--json"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let hunk = &json["stopped_attribution"]["files"][0]["hunks"][0];
    assert_eq!(hunk["commits"][0]["commit"], deleted.as_str(), "{json}");
    assert_eq!(hunk["commits"][0]["closes_bug"][0], "#2100002", "{json}");
}

/// The stop message shows the first three commits of a hunk and how many
/// more; `status` and the report show them all, oldest first.
#[test]
fn the_stop_shows_three_commits_and_status_all_of_them() {
    let fx = fixture();
    let up = fx.upstream();
    let mut ids = Vec::new();
    let mut line = "quota line 10".to_string();
    for round in 1..=5 {
        let next = format!("quota line 10 (round {round})");
        edit(
            &up.join("app/quota.py"),
            &format!("{line}\n"),
            &format!("{next}\n"),
        );
        ids.push(commit(&fx, &format!("Round {round} on quota line 10")));
        line = next;
    }
    git(&up, &["tag", "2.0"]);
    let listed = |text: &str| -> Vec<usize> {
        ids.iter()
            .enumerate()
            .filter(|(_, id)| text.contains(&format!("{} Round", short(id))))
            .map(|(i, _)| i + 1)
            .collect()
    };
    let (code, _, stderr) = fx.run(&["rebase", "--to", "2.0"]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(listed(&stderr), [1, 2, 3], "{stderr}");
    assert!(stderr.contains("\n    … and 2 more\n"), "{stderr}");
    let (_, status, _) = fx.run(&["status"]);
    assert_eq!(listed(&status), [1, 2, 3, 4, 5], "{status}");
    let first = status.find(short(&ids[0])).unwrap();
    let last = status.find(short(&ids[4])).unwrap();
    assert!(first < last, "oldest first: {status}");
    assert!(!status.contains("more"), "{status}");
}

/// A patch that edits an earlier patch's lines conflicts in a forecast
/// that left the earlier one out: no upstream commit is blamed for it.
#[test]
fn a_conflict_with_an_earlier_patch_names_no_upstream_commit() {
    let fx = fixture();
    fx.verda(&["apply"]).assert().success();
    let quota = fx.custom().join("app/quota.py");
    edit(&quota, "quota line 3\n", "quota line 3 (ours)\n");
    edit(&quota, "quota line 20\n", "quota line 20\nX = 1\n");
    git(&fx.custom(), &["commit", "-q", "-am", "Set X"]);
    edit(&quota, "X = 1\n", "X = 2\n");
    git(&fx.custom(), &["commit", "-q", "-am", "Raise X"]);
    fx.verda(&["export", "--category", "feature"])
        .assert()
        .success();
    let up = fx.upstream();
    edit(
        &up.join("app/quota.py"),
        "quota line 3\n",
        "quota line three\n",
    );
    let culprit = commit(&fx, "Spell out quota line three");
    git(&up, &["tag", "2.0"]);

    let (code, stdout, stderr) = fx.run(&["check", "--against", "2.0"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let set_x = stdout.find("0004-set-x.patch").expect(&stdout);
    let raise_x = stdout.find("0005-raise-x.patch").expect(&stdout);
    assert!(
        stdout[set_x..raise_x].contains(&format!("{} Spell out quota line three", short(&culprit))),
        "{stdout}"
    );
    assert!(
        stdout[raise_x..].contains(
            "app/quota.py before line 21 (2.0): no upstream commit between 1.0 and 2.0 \
             changed these lines; the queue's earlier patches did"
        ) && !stdout[raise_x..].contains(short(&culprit)),
        "{stdout}"
    );
}

/// A line removed right next to the lines upstream rewrote is part of the
/// conflict (git's merge joins the two changes into one hunk), though not
/// of the rewritten lines `git log -L` would follow: it is named too.
#[test]
fn a_removal_at_the_edge_of_the_conflicting_lines_is_named_too() {
    let fx = fixture();
    let up = fx.upstream();
    edit(&up.join("app/quota.py"), "quota line 9\n", "");
    let removal = commit(&fx, "Drop quota line 9");
    edit(
        &up.join("app/quota.py"),
        "quota line 10\n",
        "quota line ten\n",
    );
    let rewrite = commit(&fx, "Spell out quota line ten");
    edit(&up.join("app/quota.py"), "quota line 2\n", "");
    let elsewhere = commit(&fx, "Drop quota line 2");
    git(&up, &["tag", "2.0"]);
    let (code, stdout, stderr) = fx.run(&["check", "--against", "2.0", "--json"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let hunk = &json[0]["results"][0]["attribution"]["files"][0]["hunks"][0];
    let named: Vec<&str> = hunk["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["commit"].as_str().unwrap())
        .collect();
    assert_eq!(named, [removal.as_str(), rewrite.as_str()], "{hunk}");
    assert!(!named.contains(&elsewhere.as_str()));
    assert_eq!(hunk["old"], serde_json::json!({"start": 9, "count": 2}));
    assert_eq!(hunk["new"], serde_json::json!({"start": 8, "count": 1}));
}

// ---- the line tracking against `git log -L` ---------------------------

/// `git log -L<start>,<end>:<path> <range> --no-merges`: the commits,
/// oldest first.
fn git_log_l(dir: &std::path::Path, span: Span, path: &str, range: &str) -> Vec<String> {
    let l = format!("-L{},{}:{path}", span.start + 1, span.start + span.len);
    let out = git(
        dir,
        &["log", "--no-merges", "--no-patch", "--format=%H", &l, range],
    );
    out.lines().rev().map(str::to_string).collect()
}

fn numbered(n: usize) -> String {
    (1..=n).map(|i| format!("line {i}\n")).collect()
}

/// An upstream history with edits, insertions, deletions, a side branch
/// merged back and a rename; every 3-line window of the file at the tip
/// is followed by verda-patch and by `git log -L`.
#[test]
fn line_history_agrees_with_git_log_l() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "master"]);
    write(&dir.join("f.py"), &numbered(30));
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "v1"]);
    git(dir, &["tag", "v1"]);
    let step = |message: &str, change: &dyn Fn(&mut Vec<String>)| {
        let path = ["f.py", "g.py"]
            .into_iter()
            .map(|p| dir.join(p))
            .find(|p| p.exists())
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        change(&mut lines);
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, text).unwrap();
        git(dir, &["commit", "-q", "-am", message]);
    };
    step("edit 5", &|l| l[4] = "line five".into());
    step("insert after 10", &|l| {
        l.insert(10, "new a".into());
        l.insert(11, "new b".into());
    });
    step("delete 20-21", &|l| {
        l.drain(21..23);
    });
    git(dir, &["checkout", "-q", "-b", "side", "HEAD~2"]);
    step("side: edit 25", &|l| l[24] = "line twenty-five".into());
    step("side: edit 3", &|l| l[2] = "line three".into());
    git(dir, &["checkout", "-q", "master"]);
    step("edit 15", &|l| l[16] = "line fifteen".into());
    git(dir, &["merge", "-q", "--no-ff", "-m", "Merge side", "side"]);
    git(dir, &["mv", "f.py", "g.py"]);
    git(dir, &["commit", "-q", "-m", "rename f to g"]);
    step("edit 6 and delete 8", &|l| {
        l[5] = "line six".into();
        l.remove(7);
    });
    step("insert at the top", &|l| l.insert(0, "# header".into()));

    let repo = Git::open(dir).unwrap();
    let old = repo.resolve_commit("v1").unwrap();
    let new = repo.resolve_commit("HEAD").unwrap();
    let total = std::fs::read_to_string(dir.join("g.py"))
        .unwrap()
        .lines()
        .count();
    let spans: Vec<Span> = (0..total - 2).map(|start| Span { start, len: 3 }).collect();
    let ours = repo.line_history(old, new, "g.py", &spans).unwrap();
    let mut named = 0;
    for (span, commits) in spans.iter().zip(ours) {
        let ours: Vec<String> = commits.iter().map(|c| c.to_string()).collect();
        let theirs = git_log_l(dir, *span, "g.py", "v1..HEAD");
        assert_eq!(ours, theirs, "lines {}..{}", span.start + 1, span.end());
        named += ours.len();
    }
    assert!(named > 20, "the windows cross many commits: {named}");
}

/// A history cut short (a shallow clone, a bundle of recent history): the
/// release's commit has no parents, so it "added" every line. It is named,
/// and said to be a root commit, so nobody takes it for the change itself.
#[test]
fn a_root_commit_in_the_range_is_named_as_one() {
    let fx = fixture();
    let up = fx.upstream();
    git(&up, &["checkout", "-q", "--orphan", "cut"]);
    edit(
        &up.join("app/quota.py"),
        "quota line 10\n",
        "quota line ten\n",
    );
    let root = commit(&fx, "Merge \"Spell out quota line ten\"");
    git(&up, &["tag", "2.0"]);
    let (code, stdout, stderr) = fx.run(&["check", "--against", "2.0"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "{} Merge \"Spell out quota line ten\" (a root commit: the history before it is not in the mirror)",
            short(&root)
        )),
        "{stdout}"
    );
    let (_, stdout, _) = fx.run(&["check", "--against", "2.0", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let named = &json[0]["results"][0]["attribution"]["files"][0]["hunks"][0]["commits"][0];
    assert_eq!(named["commit"], root.as_str(), "{json}");
    assert_eq!(named["root"], true, "{json}");
}
