//! `review` of an upgrade made by `rebase --to`, driven through the real
//! binary: the change of each patch itself (never upstream's drift between
//! the pins), the resolution a human made beyond the automatic merge, and
//! the pin bump summarised. `git range-diff` of the same two queues is the
//! reference for the patch's changed lines.

mod common;

use common::{Fixture, edit, fixture, git, git_command, write};

/// The resolved line the release engineer writes for bugfix/0002.
const RESOLVED: &str = "scheduler line 20 (fixed, v2-aware)";

/// Upstream v2 (two commits after v1 = 1.0): changes the line next to
/// bugfix/0002's hunk (a conflict on rebase) and one far from it in the
/// same file, a context line of feature/0001 (a clean 3-way carry), and
/// the README.
fn release_v2(fx: &Fixture) {
    let up = fx.upstream();
    git(&up, &["tag", "v1", "1.0"]);
    edit(
        &up.join("app/scheduler.py"),
        "scheduler line 21\n",
        "scheduler line 21 (v2)\n",
    );
    edit(
        &up.join("app/scheduler.py"),
        "scheduler line 35\n",
        "scheduler line 35 (v2)\n",
    );
    git(
        &up,
        &["commit", "-q", "-am", "Weigh hosts by free RAM first"],
    );
    edit(
        &up.join("app/quota.py"),
        "quota line 12\n",
        "quota line twelve (v2)\n",
    );
    edit(&up.join("README"), "demo upstream\n", "demo upstream v2\n");
    git(&up, &["commit", "-q", "-am", "Reword quota line 12"]);
    git(&up, &["tag", "v2"]);
}

/// The patch repo pinned to v1 and committed; `rebase --to v2` stops on
/// bugfix/0002, the conflict is resolved by hand, the rebase continued and
/// the upgrade committed. Returns the conflicted text the user was given.
fn upgraded() -> (Fixture, String) {
    let fx = fixture();
    release_v2(&fx);
    edit(
        &fx.repo().join("verda-patch.toml"),
        "pin = \"1.0\"",
        "pin = \"v1\"",
    );
    fx.commit_patch_repo();
    fx.verda(&["apply"]).assert().success();
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "v2"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stderr.contains("bugfix/0002-fix-host-ordering.patch"),
        "{stderr}"
    );
    let file = fx.custom().join("app/scheduler.py");
    let conflicted = std::fs::read_to_string(&file).unwrap();
    let mut resolved = String::new();
    let mut in_conflict = false;
    for line in conflicted.lines() {
        if line.starts_with("<<<<<<<") {
            in_conflict = true;
            resolved.push_str(&format!("{RESOLVED}\nscheduler line 21 (v2)\n"));
        } else if line.starts_with(">>>>>>>") {
            in_conflict = false;
        } else if !in_conflict {
            resolved.push_str(line);
            resolved.push('\n');
        }
    }
    std::fs::write(&file, &resolved).unwrap();
    git(&fx.custom(), &["add", "app/scheduler.py"]);
    let (code, stdout, stderr) = fx.run(&["rebase", "--continue"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    git(&fx.repo(), &["add", "-A"]);
    git(&fx.repo(), &["commit", "-q", "-m", "Upgrade demo to v2"]);
    (fx, conflicted)
}

fn json(fx: &Fixture, args: &[&str]) -> serde_json::Value {
    let (code, stdout, stderr) = fx.run(args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn change<'a>(review: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    review["projects"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == path)
        .unwrap_or_else(|| panic!("no change for {path}: {review:#}"))
}

/// `kind text` of the lines of `files` whose kind is in `kinds`.
fn lines_of(files: &serde_json::Value, kinds: &[&str]) -> Vec<String> {
    files
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["lines"].as_array().unwrap())
        .filter(|l| kinds.contains(&l["kind"].as_str().unwrap()))
        .map(|l| {
            format!(
                "{} {}",
                l["kind"].as_str().unwrap(),
                l["text"].as_str().unwrap()
            )
        })
        .collect()
}

/// The queue of a patch-repo revision applied with `git am` on `tag`, in
/// a scratch clone of upstream: the commit range `tag..branch`.
fn am_queue(fx: &Fixture, rev: &str, tag: &str, branch: &str) -> String {
    let clone = fx.root().join("range");
    if !clone.exists() {
        git(
            fx.root(),
            &["clone", "-q", fx.upstream().to_str().unwrap(), "range"],
        );
    }
    git(&clone, &["checkout", "-q", "-b", branch, tag]);
    let series = git(&fx.repo(), &["show", &format!("{rev}:patches/demo/series")]);
    for path in series
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mail = git(&fx.repo(), &["show", &format!("{rev}:patches/demo/{path}")]);
        let file = fx.root().join("mail.patch");
        std::fs::write(&file, format!("{mail}\n")).unwrap();
        git(&clone, &["am", "-q", file.to_str().unwrap()]);
    }
    format!("{tag}..{branch}")
}

/// The changed lines of the patch that `git range-diff` shows for the pair
/// whose subject is `subject`: its `-+x`, `--x`, `++x`, `+-x` lines, as
/// `removed +x` … (the lines where only context differs left out).
fn range_diff_changes(fx: &Fixture, subject: &str) -> Vec<String> {
    let old = am_queue(fx, "HEAD~1", "v1", "old");
    let new = am_queue(fx, "HEAD", "v2", "new");
    let out = git_command(
        &fx.root().join("range"),
        &[
            "range-diff",
            "--no-color",
            "--creation-factor=100",
            &old,
            &new,
        ],
    )
    .output()
    .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut mine = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if !line.starts_with("    ") {
            mine = line.ends_with(subject);
            continue;
        }
        let body = &line[4..];
        if !mine || body.starts_with("@@") {
            continue;
        }
        let (outer, inner) = (body.as_bytes().first(), body.as_bytes().get(1));
        if let (Some(b'-' | b'+'), Some(b'-' | b'+')) = (outer, inner) {
            let kind = if outer == Some(&b'+') {
                "added"
            } else {
                "removed"
            };
            lines.push(format!("{kind} {}", &body[1..]));
        }
    }
    lines
}

#[test]
fn an_upgrade_shows_each_patch_s_own_change_and_the_hand_resolution() {
    let (fx, conflicted) = upgraded();
    let review = json(&fx, &["review", "HEAD~1", "HEAD", "--format", "json"]);

    // (a) The hand-resolved patch: its own change only, as range-diff has it.
    let bugfix = change(&review, "bugfix/0002-fix-host-ordering.patch");
    assert_eq!(bugfix["kinds"], serde_json::json!(["edited"]));
    assert_eq!(bugfix["interdiff"]["basis"], "patch");
    let files = &bugfix["interdiff"]["files"];
    let changed = lines_of(files, &["added", "removed"]);
    assert_eq!(
        changed,
        [
            "removed +scheduler line 20 (fixed)".to_string(),
            format!("added +{RESOLVED}"),
        ]
    );
    assert_eq!(
        changed,
        range_diff_changes(&fx, "Fix host ordering"),
        "git range-diff's changed lines of the patch"
    );
    // Upstream's drift is never a change of the patch; the far edit of the
    // same file is not shown at all.
    let all = lines_of(files, &["added", "removed", "context", "hunk"]);
    assert!(!all.iter().any(|l| l.contains("line 35")), "{all:#?}");
    assert!(
        !changed.iter().any(|l| l.contains("line 21")),
        "{changed:#?}"
    );

    // (b) The resolution: the marked text the user got against the result.
    let resolution = &bugfix["resolution"]["files"];
    assert_eq!(resolution[0]["path"], "app/scheduler.py");
    assert_eq!(
        lines_of(resolution, &["added"]),
        [format!("added {RESOLVED}")]
    );
    let removed = lines_of(resolution, &["removed"]);
    let markers: Vec<String> = conflicted
        .lines()
        .filter(|l| {
            ["<<<<<<<", "|||||||", "=======", ">>>>>>>"]
                .iter()
                .any(|m| l.starts_with(m))
        })
        .map(|l| format!("removed {l}"))
        .collect();
    assert_eq!(markers.len(), 4, "{conflicted}");
    for marker in &markers {
        assert!(removed.contains(marker), "{marker} not in {removed:#?}");
    }

    // (c) The patch carried cleanly, upstream having changed its context.
    let feature = change(&review, "feature/0001-add-pci-device-quota.patch");
    assert_eq!(feature["kinds"], serde_json::json!(["edited"]));
    assert_eq!(feature["interdiff"]["basis"], "patch");
    assert_eq!(feature["interdiff"]["files"], serde_json::json!([]));
    assert_eq!(feature["resolution"], serde_json::Value::Null);

    // (d) The pin bump, summarised with upstream's history.
    let bump = &review["projects"][0]["pin_bump"];
    let count: usize = git(&fx.upstream(), &["rev-list", "--count", "v1..v2"])
        .parse()
        .unwrap();
    assert_eq!(count, 2);
    assert_eq!(bump["commits"], count);
    assert_eq!(bump["files"], 3);
    let subjects: Vec<&str> = bump["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects.join("\n"),
        git(&fx.upstream(), &["log", "--format=%s", "v1..v2"])
    );
    assert_eq!(bump["log"][0]["url"], serde_json::Value::Null);
}

#[test]
fn the_text_report_of_an_upgrade_labels_patch_diff_resolution_and_pin_bump() {
    let (fx, _) = upgraded();
    // The patch repo's own commits hold every byte it writes (reports,
    // recorded resolutions): their ids are not what this test is about.
    let head = git(&fx.repo(), &["rev-parse", "--short=10", "HEAD"]);
    let base = git(&fx.repo(), &["rev-parse", "--short=10", "HEAD~1"]);
    let ids = |s: String| s.replace(&head, "<head>").replace(&base, "<base>");
    let (code, text, stderr) = fx.run(&["review", "HEAD~1", "HEAD"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("review-upgrade-text", ids(text));
    let (code, markdown, stderr) = fx.run(&["review", "HEAD~1", "HEAD", "--format", "markdown"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("review-upgrade-markdown", ids(markdown));
}

/// A gzipped tar of `files` under `name-version/`, as an sdist.
fn sdist(name: &str, version: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        let path = format!("{name}-{version}/{path}");
        tar.append_data(&mut header, path, content.as_bytes())
            .unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

/// A PyPI project has no history to list: the pin bump says so and counts
/// the files that differ between the two releases.
#[test]
fn a_pypi_pin_bump_counts_files_and_says_there_is_no_history() {
    use sha2::{Digest, Sha256};
    let fx = Fixture {
        tmp: tempfile::tempdir().unwrap(),
    };
    let dir = fx.root().join("index/tiny");
    std::fs::create_dir_all(&dir).unwrap();
    let releases = [
        (
            "1.0",
            vec![("setup.py", "v = '1.0'\n"), ("tiny/core.py", "X = 1\n")],
        ),
        (
            "1.1",
            vec![
                ("setup.py", "v = '1.1'\n"),
                ("tiny/core.py", "X = 1\n"),
                ("tiny/greet.py", "HI = 1\n"),
            ],
        ),
    ];
    let mut files = Vec::new();
    for (version, content) in &releases {
        let bytes = sdist("tiny", version, content);
        let filename = format!("tiny-{version}.tar.gz");
        std::fs::write(dir.join(&filename), &bytes).unwrap();
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        files.push(serde_json::json!({
            "filename": filename,
            "url": format!("file://{}", dir.join(&filename).display()),
            "hashes": {"sha256": digest},
        }));
    }
    let page = serde_json::json!({"meta": {"api-version": "1.1"}, "name": "tiny", "files": files});
    std::fs::write(dir.join("index.json"), page.to_string()).unwrap();
    let manifest = |pin: &str| {
        format!(
            "[projects.tiny]\npypi = \"tiny\"\nindex = \"file://{}\"\npin = \"{pin}\"\n",
            fx.root().join("index").display()
        )
    };
    write(&fx.repo().join("verda-patch.toml"), &manifest("1.0"));
    write(&fx.repo().join("patches/tiny/series"), "");
    fx.commit_patch_repo();
    write(&fx.repo().join("verda-patch.toml"), &manifest("1.1"));
    git(&fx.repo(), &["commit", "-q", "-am", "tiny 1.1"]);

    let review = json(&fx, &["review", "HEAD~1", "HEAD", "--format", "json"]);
    let bump = &review["projects"][0]["pin_bump"];
    assert_eq!(bump["old"], "1.0");
    assert_eq!(bump["new"], "1.1");
    assert_eq!(bump["commits"], serde_json::Value::Null);
    assert_eq!(bump["files"], 2, "setup.py and tiny/greet.py: {bump:#}");
    assert_eq!(bump["history"], "no history (PyPI source)");
    assert_eq!(bump["log"], serde_json::json!([]));
    let (code, text, stderr) = fx.run(&["review", "HEAD~1", "HEAD"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        text.contains(
            "  upstream 1.0 -> 1.1: 2 file(s) changed; no history (PyPI source) (summarised, not diffed)\n"
        ),
        "{text}"
    );
}

/// A pin bump on a known forge (opendev.org, reached through the user's
/// `insteadOf`) over 25 upstream commits: JSON lists all with links to the
/// forge, text the newest 20 and how many more.
#[test]
fn a_pin_bump_lists_upstream_commits_with_forge_links_capped_in_text() {
    let fx = fixture();
    let url = "https://opendev.org/openstack/demo";
    let config = fx.root().join("gitconfig");
    write(
        &config,
        &format!(
            "[url \"file://{}\"]\n\tinsteadOf = {url}\n",
            fx.upstream().display()
        ),
    );
    let manifest = |pin: &str| format!("[projects.demo]\ngit = \"{url}\"\npin = \"{pin}\"\n");
    write(&fx.repo().join("verda-patch.toml"), &manifest("1.0"));
    fx.commit_patch_repo();
    for i in 1..=25 {
        write(
            &fx.upstream().join("README"),
            &format!("demo upstream {i}\n"),
        );
        git(
            &fx.upstream(),
            &["commit", "-q", "-am", &format!("Step {i}")],
        );
    }
    git(&fx.upstream(), &["tag", "2.0"]);
    write(&fx.repo().join("verda-patch.toml"), &manifest("2.0"));
    git(&fx.repo(), &["commit", "-q", "-am", "demo 2.0"]);

    let run = |args: &[&str]| {
        let output = fx
            .verda(args)
            .env("GIT_CONFIG_GLOBAL", &config)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let review: serde_json::Value =
        serde_json::from_str(&run(&["review", "HEAD~1", "HEAD", "--format", "json"])).unwrap();
    let bump = &review["projects"][0]["pin_bump"];
    assert_eq!(bump["commits"], 25);
    assert_eq!(bump["files"], 1);
    let log = bump["log"].as_array().unwrap();
    assert_eq!(log.len(), 25);
    let newest = git(&fx.upstream(), &["rev-parse", "2.0^{commit}"]);
    assert_eq!(log[0]["id"], newest.as_str());
    assert_eq!(log[0]["subject"], "Step 25");
    assert_eq!(log[0]["url"], format!("{url}/commit/{newest}").as_str());

    let text = run(&["review", "HEAD~1", "HEAD"]);
    assert!(
        text.contains(
            "  upstream 1.0 -> 2.0: 25 commit(s), 1 file(s) changed (summarised, not diffed)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "    {} Step 25 <{url}/commit/{newest}>\n",
            &newest[..10]
        )),
        "{text}"
    );
    assert!(text.contains(" Step 6 <"), "{text}");
    assert!(!text.contains(" Step 5 <"), "{text}");
    assert!(
        text.contains("    ... and 5 more (--format json lists them all)\n"),
        "{text}"
    );
    let markdown = run(&["review", "HEAD~1", "HEAD", "--format", "markdown"]);
    assert!(
        markdown.contains(&format!(
            "- [`{}`]({url}/commit/{newest}) Step 25\n",
            &newest[..10]
        )),
        "{markdown}"
    );
}
