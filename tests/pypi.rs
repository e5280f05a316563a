//! A pypi-sourced project: release sdists served from a local PEP 691 index
//! (a directory and file:// URLs), verified by sha256 and imported as
//! parent/child snapshot commits.

mod common;

use std::path::Path;

use common::{Fixture, edit, git, write};
use sha2::{Digest, Sha256};

fn sdist(name: &str, version: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder
            .append_data(
                &mut header,
                format!("{name}-{version}/{path}"),
                content.as_bytes(),
            )
            .unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

/// Serve `releases` from `index/<name>/index.json`, as PyPI's JSON simple API would.
fn publish(index: &Path, name: &str, releases: &[(&str, Vec<u8>)], corrupt: bool) {
    let dir = index.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (version, bytes) in releases {
        let filename = format!("{name}-{version}.tar.gz");
        std::fs::write(dir.join(&filename), bytes).unwrap();
        let mut digest: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if corrupt {
            digest = digest.replace(|c: char| c.is_ascii_digit(), "0");
        }
        files.push(serde_json::json!({
            "filename": filename,
            "url": format!("file://{}", dir.join(&filename).display()),
            "hashes": {"sha256": digest},
            "upload-time": "2025-04-02T10:00:00Z",
        }));
    }
    let page = serde_json::json!({"meta": {"api-version": "1.1"}, "name": name, "files": files});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&page).unwrap()).unwrap();
}

fn pypi_fixture(corrupt: bool) -> Fixture {
    let fx = Fixture {
        tmp: tempfile::tempdir().unwrap(),
    };
    let index = fx.root().join("index");
    publish(
        &index,
        "tiny",
        &[
            (
                "1.0",
                sdist(
                    "tiny",
                    "1.0",
                    &[
                        ("setup.py", "version = '1.0'\n"),
                        ("tiny/core.py", "def f():\n    return 1\n"),
                    ],
                ),
            ),
            (
                "1.1",
                sdist(
                    "tiny",
                    "1.1",
                    &[
                        ("setup.py", "version = '1.1'\n"),
                        ("tiny/core.py", "def f():\n    return 2\n"),
                        ("tiny/greet.py", "def hello():\n    return 'hello'\n"),
                        (
                            "ChangeLog",
                            "CHANGES\n=======\n\n1.1\n---\n\n* Add greeting\n* Return 2\n",
                        ),
                    ],
                ),
            ),
        ],
        corrupt,
    );
    write(
        &fx.repo().join("verda-patch.toml"),
        &format!(
            "[projects.tiny]\npypi = \"tiny\"\nindex = \"file://{}\"\npin = \"1.0\"\n",
            index.display()
        ),
    );
    fx
}

#[test]
fn two_versions_import_as_parent_and_child_snapshots() {
    let fx = pypi_fixture(false);
    fx.verda(&["fetch"]).assert().success();
    fx.verda(&["fetch", "--version", "1.1"]).assert().success();
    let mirror = fx.cache().join("pypi/tiny.git");
    let parent = git(&mirror, &["rev-parse", "1.1^"]);
    assert_eq!(parent, git(&mirror, &["rev-parse", "1.0^{commit}"]));
    assert_eq!(
        git(&mirror, &["show", "1.1:tiny/core.py"]),
        "def f():\n    return 2"
    );
    assert_eq!(git(&mirror, &["show", "1.0:setup.py"]), "version = '1.0'");
    assert_eq!(
        git(&mirror, &["rev-parse", "upstream"]),
        git(&mirror, &["rev-parse", "1.1^{commit}"])
    );

    // And the queue applies on it like on any other source.
    fx.verda(&["apply"]).assert().success();
    assert_eq!(
        std::fs::read_to_string(fx.repo().join("custom-source/tiny/tiny/core.py")).unwrap(),
        "def f():\n    return 1\n"
    );
}

#[test]
fn a_sha256_mismatch_imports_nothing() {
    let fx = pypi_fixture(true);
    let (code, _, stderr) = fx.run(&["fetch"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("tiny-1.0.tar.gz: sha256 is"), "{stderr}");
    let mirror = fx.cache().join("pypi/tiny.git");
    assert!(
        common::git_command(&mirror, &["rev-parse", "--verify", "-q", "1.0"])
            .output()
            .unwrap()
            .stdout
            .is_empty()
    );
}

#[test]
fn an_unknown_version_names_the_releases_there_are() {
    let fx = pypi_fixture(false);
    let (code, _, stderr) = fx.run(&["fetch", "--version", "3.0"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("tiny 3.0 has no sdist") && stderr.contains("1.1"),
        "{stderr}"
    );
}

#[test]
fn a_queue_rebases_across_two_sdists() {
    let fx = pypi_fixture(false);
    fx.verda(&["apply"]).assert().success();
    let custom = fx.repo().join("custom-source/tiny");
    // One patch upstream released in 1.1 (by its ChangeLog), one it did not.
    write(
        &custom.join("tiny/greet.py"),
        "def hello():\n    return 'hello'\n",
    );
    git(&custom, &["add", "-A"]);
    git(&custom, &["commit", "-q", "-m", "Add greeting"]);
    edit(
        &custom.join("tiny/core.py"),
        "def f():\n",
        "# downstream: keep f fast\ndef f():\n",
    );
    git(&custom, &["commit", "-q", "-am", "Document f"]);
    fx.verda(&["export", "--category", "feature"])
        .assert()
        .success();

    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "1.1"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("0001-add-greeting.patch") && stdout.contains("in the release's ChangeLog"),
        "{stdout}"
    );
    assert!(
        stdout.contains("0002-document-f.patch") && stdout.contains("carried"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(custom.join("tiny/core.py")).unwrap(),
        "# downstream: keep f fast\ndef f():\n    return 2\n"
    );
    let series = std::fs::read_to_string(fx.repo().join("patches/tiny/series")).unwrap();
    assert_eq!(series, "feature/0002-document-f.patch\n");
}

/// PyPI releases are snapshots: a conflict has no upstream commits to be
/// attributed to, and the stop, the forecast and `status` say so in one
/// line instead of failing.
#[test]
fn a_conflict_on_a_pypi_source_says_there_is_no_history_to_attribute_it_to() {
    let fx = pypi_fixture(false);
    fx.verda(&["apply"]).assert().success();
    let custom = fx.repo().join("custom-source/tiny");
    edit(&custom.join("tiny/core.py"), "return 1\n", "return 10\n");
    git(&custom, &["commit", "-q", "-am", "Return ten"]);
    fx.verda(&["export", "--category", "feature"])
        .assert()
        .success();
    let no_history = "no upstream history between 1.0 and 1.1 to say why \
                      (a PyPI source imports each release as one snapshot)";

    let (code, stdout, stderr) = fx.run(&["check", "--against", "1.1", "--json"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json[0]["results"][0]["attribution"],
        serde_json::json!({"history": "none"})
    );
    let (code, stdout, stderr) = fx.run(&["rebase", "--to", "1.1"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(stderr.contains(no_history), "{stderr}");
    let (code, stdout, stderr) = fx.run(&["status"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(no_history), "{stdout}");
}
