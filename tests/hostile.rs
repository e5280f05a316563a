//! Hostile input: malformed manifests, series and patches each end in
//! exit 1 with a message naming the file — never a panic, never a write
//! outside the tree.

mod common;

use common::{fixture, write};

const PATCH: &str = "feature/0001-add-pci-device-quota.patch";

fn header(diff: &str) -> String {
    format!(
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: A <a@example.org>\nDate: Fri, 2 Jan 2026 03:04:05 +0000\nSubject: [PATCH] x\n\n{diff}"
    )
}

#[test]
fn malformed_patches_fail_cleanly_naming_the_file() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("binary garbage", garbage),
        ("empty", Vec::new()),
        ("headers only", header("").into_bytes()),
        ("truncated hunk", header("diff --git a/app/quota.py b/app/quota.py\n--- a/app/quota.py\n+++ b/app/quota.py\n@@ -1,5 +1,6 @@\n quota line 1\n").into_bytes()),
        ("absurd line numbers", header("diff --git a/app/quota.py b/app/quota.py\n--- a/app/quota.py\n+++ b/app/quota.py\n@@ -18446744073709551615,1 +18446744073709551615,1 @@\n-x\n+y\n").into_bytes()),
        ("CRLF context", header("diff --git a/app/quota.py b/app/quota.py\r\n--- a/app/quota.py\r\n+++ b/app/quota.py\r\n@@ -1 +1 @@\r\n-quota line 1\r\n+quota line one\r\n").into_bytes()),
        ("non-UTF-8 header", b"From: \xff\xfe <a@b>\nSubject: x\n\ndiff --git a/a b/a\n".to_vec()),
        ("absolute path", header("diff --git a//etc/passwd b//etc/passwd\n--- a//etc/passwd\n+++ b//etc/passwd\n@@ -1 +1 @@\n-root\n+evil\n").into_bytes()),
        ("escaping path", header("diff --git a/../../evil b/../../evil\nnew file mode 100644\n--- /dev/null\n+++ b/../../evil\n@@ -0,0 +1 @@\n+evil\n").into_bytes()),
        (".git path", header("diff --git a/.git/config b/.git/config\nnew file mode 100644\n--- /dev/null\n+++ b/.git/config\n@@ -0,0 +1 @@\n+evil\n").into_bytes()),
        ("binary patch", header("diff --git a/app/quota.py b/app/quota.py\nindex 1..2 100644\nGIT binary patch\nliteral 1\nIcmZQz00031\n\n").into_bytes()),
    ];
    for (name, bytes) in cases {
        let fx = fixture();
        std::fs::write(fx.patches().join(PATCH), &bytes).unwrap();
        for command in [&["apply"][..], &["check"][..]] {
            let (code, _, stderr) = fx.run(command);
            assert_eq!(code, 1, "{name} / {command:?}: {stderr}");
            assert!(
                stderr.contains("0001-add-pci-device-quota.patch"),
                "{name} / {command:?}: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        }
        assert!(
            !fx.root().join("evil").exists() && !fx.repo().join("evil").exists(),
            "{name}"
        );
    }
}

#[test]
fn malformed_manifests_and_series_fail_cleanly_naming_the_file() {
    for (name, manifest) in [
        ("not toml", "[projects.demo\npin = 1"),
        ("no source", "[projects.demo]\npin = \"1.0\"\n"),
        (
            "two sources",
            "[projects.demo]\ngit = \"../upstream\"\npypi = \"demo\"\npin = \"1.0\"\n",
        ),
        (
            "bad name",
            "[projects.\"../x\"]\ngit = \"../upstream\"\npin = \"1.0\"\n",
        ),
        ("binary", "\u{0}\u{1}\u{2}"),
    ] {
        let fx = fixture();
        write(&fx.repo().join("verda-patch.toml"), manifest);
        let (code, _, stderr) = fx.run(&["apply"]);
        assert_eq!(code, 1, "{name}: {stderr}");
        assert!(stderr.contains("verda-patch.toml"), "{name}: {stderr}");
    }
    for (name, series) in [
        ("escaping entry", "../../etc/passwd\n"),
        ("unknown category", "misc/0001-x.patch\n"),
        ("options", "feature/0001-add-pci-device-quota.patch -p0\n"),
        ("absolute", "/etc/passwd.patch\n"),
    ] {
        let fx = fixture();
        write(&fx.patches().join("series"), series);
        let (code, _, stderr) = fx.run(&["apply"]);
        assert_eq!(code, 1, "{name}: {stderr}");
        assert!(stderr.contains("patches/demo/series:1"), "{name}: {stderr}");
    }
}
