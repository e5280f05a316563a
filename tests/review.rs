//! `review` driven through the real binary: a patch-repo commit that edits,
//! adds, removes and re-categorises patches, in every output format.

mod common;

use std::path::Path;

use common::{Fixture, edit, fixture, git, write};

/// `git format-patch` of the last commit of `work` as verda-patch exports it.
fn format_last(work: &Path, to: &Path) {
    let out = git(
        work,
        &[
            "format-patch",
            "-1",
            "--stdout",
            "--zero-commit",
            "--no-signature",
            "--no-stat",
            "--full-index",
            "--no-renames",
        ],
    );
    write(to, &format!("{out}\n"));
}

/// The fixture's patch repo committed, then a second commit that edits the
/// code of feature/0001, adds bugfix/0004 (with HTML in its subject),
/// removes bugfix/0002 and moves upstreamable/0003 to feature/.
fn reworked() -> Fixture {
    let fx = fixture();
    let repo = fx.repo();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "Queue for demo 1.0"]);

    // New versions of the patches, made by git on the pin.
    let work = fx.root().join("work");
    git(&work, &["checkout", "-q", "-b", "v2", "1.0"]);
    edit(
        &work.join("app/quota.py"),
        "quota line 10\n",
        "quota line 10\nPCI_DEVICES = 'h100'\nPCI_LIMIT = 8\n",
    );
    git(
        &work,
        &[
            "commit",
            "-q",
            "-am",
            "Add PCI device quota\n\nCount GPUs per project.\n\nChange-Id: I1111111111111111111111111111111111111111",
        ],
    );
    format_last(
        &work,
        &fx.patches().join("feature/0001-add-pci-device-quota.patch"),
    );
    edit(
        &work.join("app/scheduler.py"),
        "scheduler line 30\n",
        "scheduler line 30 (hardened)\n",
    );
    git(
        &work,
        &[
            "commit",
            "-q",
            "-am",
            "<script>alert(1)</script> Harden the scheduler\n\nChange-Id: I4444444444444444444444444444444444444444",
        ],
    );
    format_last(
        &work,
        &fx.patches().join("bugfix/0004-harden-the-scheduler.patch"),
    );
    git(
        &repo,
        &[
            "rm",
            "-q",
            "patches/demo/bugfix/0002-fix-host-ordering.patch",
        ],
    );
    git(
        &repo,
        &[
            "mv",
            "patches/demo/upstreamable/0003-cache-weigher-results.patch",
            "patches/demo/feature/0003-cache-weigher-results.patch",
        ],
    );
    write(
        &fx.patches().join("series"),
        "# demo queue\nfeature/0001-add-pci-device-quota.patch\nfeature/0003-cache-weigher-results.patch\nbugfix/0004-harden-the-scheduler.patch\n",
    );
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "Rework the demo queue"]);
    fx
}

fn json(fx: &Fixture, args: &[&str]) -> (i32, serde_json::Value) {
    let (code, stdout, stderr) = fx.run(args);
    let value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    (code, value)
}

fn kinds_of(review: &serde_json::Value) -> Vec<(String, String)> {
    review["projects"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let kinds: Vec<&str> = c["kinds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap())
                .collect();
            (c["path"].as_str().unwrap().to_string(), kinds.join(","))
        })
        .collect()
}

#[test]
fn json_names_every_change_with_its_kind_and_the_interdiff() {
    let fx = reworked();
    let (code, review) = json(&fx, &["review", "--format", "json"]);
    assert_eq!(code, 0, "{review:#}");
    assert_eq!(review["schema"], 1);
    assert_eq!(review["base"]["label"], "HEAD~1");
    assert_eq!(review["head"]["label"], "work tree");
    assert_eq!(
        kinds_of(&review),
        [
            (
                "feature/0001-add-pci-device-quota.patch".into(),
                "edited".into()
            ),
            (
                "feature/0003-cache-weigher-results.patch".into(),
                "recategorised".into()
            ),
            (
                "bugfix/0004-harden-the-scheduler.patch".into(),
                "added".into()
            ),
            (
                "bugfix/0002-fix-host-ordering.patch".into(),
                "removed".into()
            ),
        ]
    );
    let edited = &review["projects"][0]["changes"][0];
    assert_eq!(edited["interdiff"]["basis"], "same-base");
    let lines: Vec<String> = edited["interdiff"]["files"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l["kind"].as_str().unwrap(),
                l["text"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        lines.contains(&"removed PCI_DEVICES = 'a100'".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"added PCI_DEVICES = 'h100'".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"added PCI_LIMIT = 8".to_string()),
        "{lines:?}"
    );
    assert_eq!(edited["interdiff"]["files"][0]["path"], "app/quota.py");
    let moved = &review["projects"][0]["changes"][1];
    assert_eq!(moved["old_category"], "upstreamable");
    assert_eq!(moved["category"], "feature");
    assert_eq!(review["projects"][0]["apply"]["ok"], true);
    assert_eq!(review["summary"]["edited"], 1);
    assert_eq!(review["ok"], true);
}

#[test]
fn text_and_markdown_read_like_the_change() {
    let fx = reworked();
    let (code, text, stderr) = fx.run(&["review"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("review-text", text);
    let (code, markdown, stderr) = fx.run(&["review", "--format", "markdown"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(markdown.contains("+PCI_DEVICES = 'h100'"), "{markdown}");
    assert!(!markdown.contains("<script>"), "{markdown}");
    insta::assert_snapshot!("review-markdown", markdown);
}

#[test]
fn html_escapes_every_patch_derived_string() {
    let fx = reworked();
    fx.verda(&["review", "--format", "html", "-o", "review.html"])
        .assert()
        .success();
    let html = std::fs::read_to_string(fx.repo().join("review.html")).unwrap();
    assert!(!html.contains("<script"), "raw <script> in the page");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; Harden the scheduler"),
        "subject missing or not escaped"
    );
    // Auto-escaping writes '/' as &#x2f; too.
    let escaped = |s: &str| s.replace('/', "&#x2f;").replace('\'', "&#x27;");
    for needle in [
        "feature/0001-add-pci-device-quota.patch",
        "bugfix/0002-fix-host-ordering.patch",
        "upstreamable/0003-cache-weigher-results.patch",
        "bugfix/0004-harden-the-scheduler.patch",
        ">edited<",
        ">added<",
        ">removed<",
        ">re-categorised<",
        "PCI_DEVICES = 'h100'",
    ] {
        assert!(html.contains(&escaped(needle)), "{needle} missing");
    }
}

#[test]
fn junit_is_xml_with_one_test_case_per_patch() {
    let fx = reworked();
    let (code, xml, stderr) = fx.run(&["review", "--format", "junit"]);
    assert_eq!(code, 0, "{stderr}");
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
    let cases: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(
        cases,
        [
            "manifest and series",
            "feature/0001-add-pci-device-quota.patch",
            "feature/0003-cache-weigher-results.patch",
            "bugfix/0004-harden-the-scheduler.patch",
        ]
    );
    assert!(
        !doc.descendants().any(|n| n.has_tag_name("failure")),
        "{xml}"
    );
}

#[test]
fn a_change_that_breaks_the_queue_exits_1_naming_the_patch() {
    let fx = reworked();
    edit(
        &fx.patches().join("bugfix/0004-harden-the-scheduler.patch"),
        " scheduler line 29\n",
        " scheduler line 29 (not upstream)\n",
    );
    let (code, stdout, stderr) = fx.run(&["review"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "error: patches/demo/bugfix/0004-harden-the-scheduler.patch: does not apply on 1.0"
        ),
        "{stdout}"
    );
    let (code, xml, _) = fx.run(&["review", "--format", "junit"]);
    assert_eq!(code, 1);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failed: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .filter_map(|n| n.parent()?.attribute("name"))
        .collect();
    assert_eq!(failed, ["bugfix/0004-harden-the-scheduler.patch"]);
}

#[test]
fn base_and_head_can_be_any_revisions() {
    let fx = reworked();
    // Reversed: the old queue is the head now.
    let (code, review) = json(
        &fx,
        &[
            "review", "--base", "HEAD", "--head", "HEAD~1", "--format", "json",
        ],
    );
    assert_eq!(code, 0, "{review:#}");
    assert_eq!(
        kinds_of(&review),
        [
            (
                "feature/0001-add-pci-device-quota.patch".into(),
                "edited".into()
            ),
            ("bugfix/0002-fix-host-ordering.patch".into(), "added".into()),
            (
                "upstreamable/0003-cache-weigher-results.patch".into(),
                "recategorised".into()
            ),
            (
                "bugfix/0004-harden-the-scheduler.patch".into(),
                "removed".into()
            ),
        ]
    );
    let (code, _, stderr) = fx.run(&["review", "--base", "no-such-rev"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--base `no-such-rev` is not a commit"),
        "{stderr}"
    );
}

#[test]
fn make_review_works_in_a_repository_made_by_init() {
    let fx = fixture();
    let cloud = fx.root().join("cloud");
    fx.verda(&["init", cloud.to_str().unwrap()])
        .assert()
        .success();
    write(
        &cloud.join("verda-patch.toml"),
        &format!(
            "[projects.demo]\ngit = \"{}\"\npin = \"1.0\"\n",
            fx.upstream().display()
        ),
    );
    let patch = "feature/0001-add-pci-device-quota.patch";
    std::fs::create_dir_all(cloud.join("patches/demo/feature")).unwrap();
    std::fs::copy(
        fx.patches().join(patch),
        cloud.join("patches/demo").join(patch),
    )
    .unwrap();
    write(&cloud.join("patches/demo/series"), &format!("{patch}\n"));
    git(&cloud, &["add", "-A"]);
    git(&cloud, &["commit", "-q", "-m", "Add demo"]);
    edit(
        &cloud.join("patches/demo").join(patch),
        "+PCI_DEVICES = 'a100'\n",
        "+PCI_DEVICES = 'h100'\n",
    );
    git(&cloud, &["commit", "-q", "-am", "Use H100s"]);

    let verda = assert_cmd::cargo::cargo_bin("verda-patch");
    let output = std::process::Command::new("make")
        .args(["-s", "review", &format!("VERDA={}", verda.display())])
        .current_dir(&cloud)
        .env("VERDA_PATCH_CACHE", fx.cache())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("edited"), "{stdout}");
    assert!(stdout.contains("+PCI_DEVICES = 'h100'"), "{stdout}");
    // The hand edit left index lines that export would not write.
    assert!(stdout.contains("warning:"), "{stdout}");
}

#[test]
fn a_pin_bump_is_a_manifest_change_and_hints_at_what_upstream_merged() {
    let fx = fixture();
    let repo = fx.repo();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "Queue for demo 1.0"]);
    // Upstream merges the host-ordering fix in another form, same Change-Id.
    edit(
        &fx.upstream().join("README"),
        "demo upstream\n",
        "demo upstream\nhosts are ordered\n",
    );
    git(
        &fx.upstream(),
        &[
            "commit",
            "-q",
            "-am",
            "Order hosts by weight\n\nChange-Id: I2222222222222222222222222222222222222222",
        ],
    );
    git(&fx.upstream(), &["tag", "2.0"]);
    edit(
        &repo.join("verda-patch.toml"),
        "pin = \"1.0\"",
        "pin = \"2.0\"",
    );
    git(&repo, &["commit", "-q", "-am", "Move to demo 2.0"]);

    let (code, review) = json(&fx, &["review", "--format", "json"]);
    assert_eq!(code, 0, "{review:#}");
    assert_eq!(review["manifest"][0]["change"], "pin");
    assert_eq!(review["manifest"][0]["old"], "1.0");
    assert_eq!(review["manifest"][0]["new"], "2.0");
    let hints = review["projects"][0]["hints"].as_array().unwrap();
    assert_eq!(hints.len(), 1, "{hints:?}");
    assert_eq!(hints[0]["path"], "bugfix/0002-fix-host-ordering.patch");
    assert_eq!(hints[0]["rule"], "change-id");
    assert_eq!(
        hints[0]["commit"].as_str().unwrap(),
        git(&fx.upstream(), &["rev-parse", "2.0^{commit}"])
    );
    let (_, text, _) = fx.run(&["review"]);
    assert!(text.contains("manifest: demo pin 1.0 -> 2.0"), "{text}");
    assert!(
        text.contains("hint: bugfix/0002-fix-host-ordering.patch looks upstream already"),
        "{text}"
    );
}

#[test]
fn a_bugfix_to_a_file_only_the_queue_creates_is_out_of_its_category() {
    let fx = fixture();
    let work = fx.root().join("work");
    write(
        &work.join("app/weigher_cache.py"),
        "CACHE = {}  # per request\n",
    );
    git(
        &work,
        &[
            "commit",
            "-q",
            "-am",
            "Scope the weigher cache\n\nChange-Id: I5555555555555555555555555555555555555555",
        ],
    );
    format_last(
        &work,
        &fx.patches()
            .join("bugfix/0004-scope-the-weigher-cache.patch"),
    );
    let series = std::fs::read_to_string(fx.patches().join("series")).unwrap();
    write(
        &fx.patches().join("series"),
        &format!("{series}bugfix/0004-scope-the-weigher-cache.patch\n"),
    );
    let (code, stdout, stderr) = fx.run(&["check"]);
    assert_eq!(code, 0, "a warning, not an error: {stderr}");
    assert!(
        stderr.contains(
            "warning: patches/demo/bugfix/0004-scope-the-weigher-cache.patch: is bugfix but changes `app/weigher_cache.py`, \
             which upstream does not have (upstreamable/0003-cache-weigher-results.patch creates it)"
        ),
        "{stdout}{stderr}"
    );
}

/// The new version of feature/0001 moves app/quota.py to app/quotas.py
/// (written as a delete and an add, as `--no-renames` does) and edits it
/// further: the interdiff shows one renamed file with its edit, with git's
/// similarity, not a file removed and another added.
#[test]
fn a_file_the_new_version_renames_shows_as_a_rename_with_its_edit() {
    let fx = fixture();
    let repo = fx.repo();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "Queue for demo 1.0"]);
    let work = fx.root().join("work");
    let old_version = git(&work, &["rev-parse", "HEAD~2"]);
    git(&work, &["checkout", "-q", "-b", "v2", "1.0"]);
    git(&work, &["mv", "app/quota.py", "app/quotas.py"]);
    edit(
        &work.join("app/quotas.py"),
        "quota line 10\n",
        "quota line 10\nPCI_DEVICES = 'a100'\n",
    );
    edit(
        &work.join("app/quotas.py"),
        "quota line 25\n",
        "quota line 25 (per project)\n",
    );
    git(
        &work,
        &[
            "commit",
            "-q",
            "-am",
            "Add PCI device quota\n\nCount GPUs per project.\n\nChange-Id: I1111111111111111111111111111111111111111",
        ],
    );
    format_last(
        &work,
        &fx.patches().join("feature/0001-add-pci-device-quota.patch"),
    );
    git(&repo, &["commit", "-q", "-am", "Move the quota file"]);
    // git's view of the same two results.
    let git_diff = git(&work, &["diff", "-M", &old_version, "HEAD", "--", "app"]);
    let similarity = git_diff
        .lines()
        .find_map(|l| l.strip_prefix("similarity index "))
        .expect("git sees a rename");

    let (code, review) = json(&fx, &["review", "--format", "json"]);
    assert_eq!(code, 0, "{review:#}");
    let files = review["projects"][0]["changes"][0]["interdiff"]["files"]
        .as_array()
        .unwrap();
    assert_eq!(files.len(), 1, "{files:#?}");
    assert_eq!(files[0]["path"], "app/quotas.py");
    assert_eq!(files[0]["old_path"], "app/quota.py");
    assert_eq!(format!("{}%", files[0]["similarity"]), similarity);
    let lines: Vec<String> = files[0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] != "context" && l["kind"] != "hunk")
        .map(|l| {
            format!(
                "{} {}",
                l["kind"].as_str().unwrap(),
                l["text"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        lines,
        ["removed quota line 25", "added quota line 25 (per project)"]
    );
    let (code, text, stderr) = fx.run(&["review"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        text.contains(&format!(
            "app/quota.py -> app/quotas.py (renamed, {similarity} similar; +1 -1;"
        )),
        "{text}"
    );
    let (code, markdown, stderr) = fx.run(&["review", "--format", "markdown"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        markdown.contains(&format!(
            "`app/quota.py` → `app/quotas.py` (renamed, {similarity} similar; +1 −1)"
        )),
        "{markdown}"
    );
    let (code, html, stderr) = fx.run(&["review", "--format", "html"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        html.contains(&format!(
            "app&#x2f;quota.py → app&#x2f;quotas.py (renamed, {similarity} similar)"
        )),
        "{html}"
    );
}
