//! Test fixtures built by code: a local upstream git repository with a
//! tagged release, and a patch repository whose queue holds one patch per
//! category, made with real `git format-patch`. Dates are pinned, so commit
//! ids and output are stable.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const DATE: &str = "2026-01-02T03:04:05+00:00";

/// Run real git with a pinned identity and dates, no user config.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_command(dir, args).output().expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_string()
}

pub fn git_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Upstream")
        .env("GIT_AUTHOR_EMAIL", "ada@example.org")
        .env("GIT_COMMITTER_NAME", "Ada Upstream")
        .env("GIT_COMMITTER_EMAIL", "ada@example.org")
        .env("GIT_AUTHOR_DATE", DATE)
        .env("GIT_COMMITTER_DATE", DATE);
    command
}

pub fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// Numbered lines, so hunks have distinct context.
pub fn lines(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix} line {i}\n")).collect()
}

/// A temp dir holding `upstream/` (tag 1.0) and `repo/` (the patch repo).
pub struct Fixture {
    pub tmp: tempfile::TempDir,
}

impl Fixture {
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }
    pub fn upstream(&self) -> PathBuf {
        self.root().join("upstream")
    }
    pub fn repo(&self) -> PathBuf {
        self.root().join("repo")
    }
    pub fn cache(&self) -> PathBuf {
        self.root().join("cache")
    }
    pub fn custom(&self) -> PathBuf {
        self.repo().join("custom-source/demo")
    }
    pub fn patches(&self) -> PathBuf {
        self.repo().join("patches/demo")
    }

    /// The verda-patch binary, run in the patch repo with the test cache.
    pub fn verda(&self, args: &[&str]) -> assert_cmd::Command {
        let mut command = assert_cmd::Command::cargo_bin("verda-patch").unwrap();
        command
            .current_dir(self.repo())
            .args(args)
            .env("VERDA_PATCH_CACHE", self.cache())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1");
        command
    }

    /// Like `verda`, returning (exit code, stdout, stderr) with temp paths hidden.
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let output = self.verda(args).output().unwrap();
        let clean = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes).replace(&self.root().display().to_string(), "[TMP]")
        };
        (
            output.status.code().unwrap_or(-1),
            clean(&output.stdout),
            clean(&output.stderr),
        )
    }

    /// Run `args` killed (like `kill -9`) at crash point `point`
    /// (`VERDA_PATCH_CRASH_AT`); insist that it got there.
    pub fn crash(&self, args: &[&str], point: &str) {
        use std::os::unix::process::ExitStatusExt;
        let output = self
            .verda(args)
            .env("VERDA_PATCH_CRASH_AT", point)
            .output()
            .unwrap();
        assert_eq!(
            output.status.signal(),
            Some(libc::SIGABRT),
            "{point}: `verda-patch {}` did not reach the crash point: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Upstream release 2.0 rewrites the line the bugfix patch changes, and
    /// the manifest pins it: the bugfix no longer applies.
    pub fn pin_release_that_breaks_the_bugfix(&self) {
        edit(
            &self.upstream().join("app/scheduler.py"),
            "scheduler line 20\n",
            "scheduler line twenty\n",
        );
        git(&self.upstream(), &["commit", "-q", "-am", "Rename line 20"]);
        git(&self.upstream(), &["tag", "2.0"]);
        write(
            &self.repo().join("verda-patch.toml"),
            "[projects.demo]\ngit = \"../upstream\"\npin = \"2.0\"\n",
        );
    }

    /// Make the patch repo a git repository, so `git status` can judge
    /// whether an operation left it as it was.
    pub fn commit_patch_repo(&self) {
        git(&self.repo(), &["init", "-q"]);
        write(
            &self.repo().join(".gitignore"),
            "/custom-source/\n/.verda/\n",
        );
        git(&self.repo(), &["add", "-A"]);
        git(&self.repo(), &["commit", "-q", "-m", "queue"]);
    }

    /// Every file under patches/, with its bytes, for before/after comparisons.
    pub fn patch_files(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        collect(&self.repo().join("patches"), &self.repo(), &mut out);
        out.sort();
        out
    }
}

fn collect(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, base, out);
        } else {
            let rel = path.strip_prefix(base).unwrap().display().to_string();
            out.push((
                rel,
                String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned(),
            ));
        }
    }
}

/// Upstream with tag 1.0, and a patch repo with three patches (one per
/// category) generated by `git format-patch` in normalised form.
pub fn fixture() -> Fixture {
    let fixture = Fixture {
        tmp: tempfile::tempdir().unwrap(),
    };
    let up = fixture.upstream();
    std::fs::create_dir_all(&up).unwrap();
    git(&up, &["init", "-q", "-b", "master"]);
    write(&up.join("app/scheduler.py"), &lines("scheduler", 40));
    write(&up.join("app/quota.py"), &lines("quota", 30));
    write(&up.join("README"), "demo upstream\n");
    git(&up, &["add", "-A"]);
    git(&up, &["commit", "-q", "-m", "Initial release"]);
    git(&up, &["tag", "1.0"]);

    // Make the queue as commits in a scratch clone, then format-patch them.
    let work = fixture.root().join("work");
    git(
        fixture.root(),
        &["clone", "-q", up.to_str().unwrap(), "work"],
    );
    edit(
        &work.join("app/quota.py"),
        "quota line 10\n",
        "quota line 10\nPCI_DEVICES = 'a100'\n",
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
    edit(
        &work.join("app/scheduler.py"),
        "scheduler line 20\n",
        "scheduler line 20 (fixed)\n",
    );
    git(
        &work,
        &[
            "commit",
            "-q",
            "-am",
            "Fix host ordering\n\nCloses-Bug: #2000001\nChange-Id: I2222222222222222222222222222222222222222",
        ],
    );
    write(&work.join("app/weigher_cache.py"), "CACHE = {}\n");
    git(&work, &["add", "-A"]);
    git(
        &work,
        &[
            "commit",
            "-q",
            "-m",
            "Cache weigher results\n\nUpstream-Status: Pending\nChange-Id: I3333333333333333333333333333333333333333",
        ],
    );
    let out = fixture.root().join("formatted");
    format_patch(&work, &out, "1.0..HEAD");

    let repo = fixture.repo();
    write(
        &repo.join("verda-patch.toml"),
        "[projects.demo]\ngit = \"../upstream\"\npin = \"1.0\"\n",
    );
    let names = [
        (
            "0001-Add-PCI-device-quota.patch",
            "feature/0001-add-pci-device-quota.patch",
        ),
        (
            "0002-Fix-host-ordering.patch",
            "bugfix/0002-fix-host-ordering.patch",
        ),
        (
            "0003-Cache-weigher-results.patch",
            "upstreamable/0003-cache-weigher-results.patch",
        ),
    ];
    let mut series = String::from("# demo queue\n");
    for (from, to) in names {
        let target = repo.join("patches/demo").join(to);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(out.join(from), &target).unwrap();
        series.push_str(to);
        series.push('\n');
    }
    write(&repo.join("patches/demo/series"), &series);
    fixture
}

/// Replace the first occurrence of `from` in a file.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// `git format-patch` in the normalised form verda-patch writes, into `out`.
pub fn format_patch(dir: &Path, out: &Path, range: &str) {
    git(
        dir,
        &[
            "format-patch",
            "-q",
            "-N",
            "--zero-commit",
            "--no-signature",
            "--no-stat",
            "--full-index",
            "--no-renames",
            "-o",
            out.to_str().unwrap(),
            range,
        ],
    );
}
