//! Git upstreams fetched through the `git` executable, with the user's git
//! configuration: `ssh://` and scp-like `user@host:path` (through a stand-in
//! for ssh that runs `git upload-pack` locally), `url.<base>.insteadOf`,
//! failures quoted from git, incremental fetches and branch pins that move;
//! and nova's real history from the shared bundle.

mod common;

use std::path::PathBuf;

use common::{Fixture, fixture, git, write};

/// A stand-in for ssh, run by git as `GIT_SSH_COMMAND`: it logs its
/// arguments, runs the `git-upload-pack '<path>'` it is asked for locally
/// (a relative path from `$FAKE_SSH_HOME`, like a login's home) and appends
/// every byte it sends back to `$FAKE_SSH_SENT`. Anything else (git's
/// `ssh -G host` probe) succeeds doing nothing, as OpenSSH would.
const FAKE_SSH: &str = r#"#!/bin/sh
printf '%s\n' "$*" >> "$FAKE_SSH_LOG"
for last; do :; done
case "$last" in
  "git-upload-pack '"*"'") ;;
  *) exit 0 ;;
esac
path=${last#"git-upload-pack '"}
path=${path%"'"}
case "$path" in
  /*) ;;
  *) path="$FAKE_SSH_HOME/$path" ;;
esac
git upload-pack "$path" | tee -a "$FAKE_SSH_SENT"
"#;

struct Ssh {
    script: PathBuf,
    log: PathBuf,
    sent: PathBuf,
}

impl Ssh {
    fn install(fx: &Fixture) -> Ssh {
        use std::os::unix::fs::PermissionsExt;
        let script = fx.root().join("fake-ssh");
        write(&script, FAKE_SSH);
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        Ssh {
            script,
            log: fx.root().join("ssh.log"),
            sent: fx.root().join("ssh.sent"),
        }
    }

    /// `verda-patch args` with git's ssh replaced by the stand-in.
    fn verda(&self, fx: &Fixture, args: &[&str]) -> assert_cmd::Command {
        let mut command = fx.verda(args);
        command
            .env("GIT_SSH_COMMAND", &self.script)
            .env("FAKE_SSH_LOG", &self.log)
            .env("FAKE_SSH_SENT", &self.sent)
            .env("FAKE_SSH_HOME", fx.root());
        command
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Bytes upload-pack has sent so far, over every connection.
    fn bytes_sent(&self) -> u64 {
        std::fs::metadata(&self.sent).map(|m| m.len()).unwrap_or(0)
    }
}

fn set_upstream(fx: &Fixture, url: &str, pin: &str) {
    write(
        &fx.repo().join("verda-patch.toml"),
        &format!("[projects.demo]\ngit = \"{url}\"\npin = \"{pin}\"\n"),
    );
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The commit custom-source's queue sits on (below the fixture's 3 patches).
fn applied_on(fx: &Fixture) -> String {
    git(&fx.custom(), &["rev-parse", "HEAD~3"])
}

#[test]
fn ssh_url_is_fetched_through_the_users_ssh_command() {
    let fx = fixture();
    let ssh = Ssh::install(&fx);
    let url = format!("ssh://git@example.invalid:2222{}", fx.upstream().display());
    set_upstream(&fx, &url, "1.0");

    let output = ssh.verda(&fx, &["fetch"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let tag = git(&fx.upstream(), &["rev-parse", "1.0^{commit}"]);
    assert_eq!(
        stdout(&output),
        format!("demo: {url} fetched; tag 1.0 is {}\n", &tag[..10])
    );
    // Not a terminal: git is quiet, no progress meter on stderr.
    assert_eq!(stderr(&output), "");
    // git went through ssh to the host, port and path of the URL.
    let log = ssh.log();
    assert!(
        log.contains(&format!(
            "-p 2222 git@example.invalid git-upload-pack '{}'",
            fx.upstream().display()
        )),
        "{log}"
    );

    ssh.verda(&fx, &["apply"]).assert().success();
    assert_eq!(applied_on(&fx), tag);
}

#[test]
fn scp_like_address_is_fetched_through_ssh() {
    let fx = fixture();
    let ssh = Ssh::install(&fx);
    set_upstream(&fx, "ada@example.invalid:upstream", "1.0");

    // apply fetches the mirror itself when the cache lacks the pin.
    let output = ssh.verda(&fx, &["apply"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        ssh.log()
            .contains("ada@example.invalid git-upload-pack 'upstream'"),
        "{}",
        ssh.log()
    );
    assert_eq!(
        applied_on(&fx),
        git(&fx.upstream(), &["rev-parse", "1.0^{commit}"])
    );
}

#[test]
fn scp_like_address_without_a_user_is_not_taken_for_a_path() {
    let fx = fixture();
    let ssh = Ssh::install(&fx);
    // An ssh config alias (`Host gerrit`), as many operators write it.
    set_upstream(&fx, "gerrit:upstream", "1.0");
    let output = ssh.verda(&fx, &["fetch"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        ssh.log().contains("gerrit git-upload-pack 'upstream'"),
        "{}",
        ssh.log()
    );
}

#[test]
fn insteadof_in_the_users_git_config_is_honoured() {
    let fx = fixture();
    let config = fx.root().join("gitconfig");
    write(
        &config,
        &format!(
            "[url \"file://{}\"]\n\tinsteadOf = https://opendev.example.invalid/openstack/demo\n",
            fx.upstream().display()
        ),
    );
    set_upstream(&fx, "https://opendev.example.invalid/openstack/demo", "1.0");

    let output = fx
        .verda(&["apply"])
        .env("GIT_CONFIG_GLOBAL", &config)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        applied_on(&fx),
        git(&fx.upstream(), &["rev-parse", "1.0^{commit}"])
    );
}

#[test]
fn a_branch_deleted_upstream_stays_pinnable_even_under_fetch_prune() {
    let fx = fixture();
    git(&fx.upstream(), &["branch", "stable/1.0", "1.0"]);
    set_upstream(&fx, "../upstream", "stable/1.0");
    fx.verda(&["fetch"]).assert().success();
    git(&fx.upstream(), &["branch", "-D", "stable/1.0"]);
    let config = fx.root().join("gitconfig");
    write(&config, "[fetch]\n\tprune = true\n\tpruneTags = true\n");
    let output = fx
        .verda(&["apply"])
        .env("GIT_CONFIG_GLOBAL", &config)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    fx.verda(&["fetch"])
        .env("GIT_CONFIG_GLOBAL", &config)
        .assert()
        .success();
    let status = fx.verda(&["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(
        json[0]["pin_commit"],
        git(&fx.upstream(), &["rev-parse", "1.0^{commit}"]).as_str()
    );
}

#[test]
fn failing_url_exits_1_naming_the_url_and_quoting_git() {
    let fx = fixture();
    let ssh = Ssh::install(&fx);
    let missing = fx.root().join("missing.git");
    let url = format!("ssh://git@example.invalid{}", missing.display());
    set_upstream(&fx, &url, "1.0");

    for command in ["fetch", "apply"] {
        let output = ssh.verda(&fx, &[command]).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{command}");
        let message = stderr(&output);
        assert!(
            message.starts_with(&format!("error: fetching {url} failed")),
            "{command}: {message}"
        );
        // git's own words, as upload-pack said them on the far side.
        assert!(
            message.contains(&format!(
                "    fatal: '{}' does not appear to be a git repository\n",
                missing.display()
            )),
            "{command}: {message}"
        );
        assert!(!message.contains("panicked"), "{message}");
    }
    assert!(!fx.custom().exists());
}

#[test]
fn credentials_in_the_url_stay_out_of_the_error() {
    let fx = fixture();
    // Nothing listens on port 1: git fails at once, and says where.
    set_upstream(&fx, "https://ada:s3cret@127.0.0.1:1/nova.git", "1.0");
    let output = fx.verda(&["fetch"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.starts_with("error: fetching https://127.0.0.1:1/nova.git failed"),
        "{message}"
    );
    assert!(message.contains("    fatal: "), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
    assert!(!message.contains("ada"), "{message}");
}

/// `n` bytes that do not compress, so a pack that carries them is large.
fn noise(n: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn second_fetch_transfers_only_the_new_commit_and_moves_a_branch_pin() {
    let fx = fixture();
    let ssh = Ssh::install(&fx);
    let up = fx.upstream();
    std::fs::write(up.join("blob.bin"), noise(1 << 20)).unwrap();
    git(&up, &["add", "blob.bin"]);
    git(&up, &["commit", "-q", "-m", "Add a large file"]);
    let url = format!("ssh://git@example.invalid{}", up.display());
    set_upstream(&fx, &url, "master");

    let output = ssh.verda(&fx, &["fetch"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let first = git(&up, &["rev-parse", "master"]);
    assert_eq!(
        stdout(&output),
        format!("demo: {url} fetched; branch master is {}\n", &first[..10])
    );
    let after_first = ssh.bytes_sent();
    assert!(
        after_first > 1 << 20,
        "first fetch sent {after_first} bytes"
    );
    ssh.verda(&fx, &["apply"]).assert().success();
    assert_eq!(applied_on(&fx), first);

    write(&up.join("README"), "demo upstream, now with news\n");
    git(&up, &["commit", "-q", "-am", "Say more in the README"]);
    let second = git(&up, &["rev-parse", "master"]);

    // The pin stays at the fetched tip until the next fetch.
    let status = ssh.verda(&fx, &["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json[0]["pin_commit"], first.as_str());

    let output = ssh.verda(&fx, &["fetch"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!(
            "demo: {url} fetched; branch master moved {} -> {}\n",
            &first[..10],
            &second[..10]
        )
    );
    // Only the new commit, tree and blob travelled, not the 1 MiB again.
    let increment = ssh.bytes_sent() - after_first;
    assert!(increment < 16 * 1024, "second fetch sent {increment} bytes");

    let status = ssh.verda(&fx, &["status", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json[0]["pin_commit"], second.as_str());
    assert_eq!(json[0]["pin_kind"], "branch");
    assert_eq!(json[0]["custom_source"]["pin_changed"], true);
    let text = ssh.verda(&fx, &["status"]).output().unwrap();
    assert!(
        stdout(&text).starts_with(&format!(
            "demo: 3 patches (1 feature, 1 bugfix, 1 upstreamable) on master (branch tip {} at the last fetch) from {url}\n",
            &second[..10]
        )),
        "{}",
        stdout(&text)
    );

    let output = ssh.verda(&fx, &["apply", "--json"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json[0]["pin_commit"], second.as_str());
    assert_eq!(json[0]["pin_kind"], "branch");
    assert_eq!(applied_on(&fx), second);

    // Nothing new upstream: the pin stays, and says so.
    let output = ssh.verda(&fx, &["fetch"]).output().unwrap();
    assert_eq!(
        stdout(&output),
        format!("demo: {url} fetched; branch master is {}\n", &second[..10])
    );
}

/// The shared bundle of nova's real history, named by `VERDA_NOVA_BUNDLE`
/// (`.ci/run` sets it); a run without it fails rather than passing.
fn nova_bundle() -> PathBuf {
    let Some(path) = std::env::var_os("VERDA_NOVA_BUNDLE").filter(|v| !v.is_empty()) else {
        panic!(
            "VERDA_NOVA_BUNDLE is not set: point it at nova-history.bundle (../shared/data/ in the CI checkout)"
        );
    };
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "VERDA_NOVA_BUNDLE names {}, which is not a file",
        path.display()
    );
    std::fs::canonicalize(&path).unwrap()
}

/// The `Change-Id:` of a `git format-patch` mail (its message's last one).
fn change_id(mail: &str) -> Option<String> {
    let message = mail.split("\n---\n").next().unwrap_or(mail);
    message
        .lines()
        .filter_map(|line| line.strip_prefix("Change-Id: "))
        .next_back()
        .map(str::to_string)
}

#[test]
#[ignore = "needs VERDA_NOVA_BUNDLE=<nova-history.bundle>; .ci/run sets it and runs ignored tests"]
fn nova_stable_backports_apply_to_31_3_1_and_forecast_drops_by_change_id() {
    let bundle = nova_bundle();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mirror = root.join("nova.git");
    git(
        root,
        &[
            "clone",
            "-q",
            "--mirror",
            bundle.to_str().unwrap(),
            mirror.to_str().unwrap(),
        ],
    );

    // The queue: the 67 stable/2025.1 fixes, as `git format-patch` writes them.
    let formatted = root.join("formatted");
    git(
        &mirror,
        &[
            "format-patch",
            "-q",
            "-o",
            formatted.to_str().unwrap(),
            "31.0.0..31.3.1",
        ],
    );
    let mut mails: Vec<PathBuf> = std::fs::read_dir(&formatted)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    mails.sort();
    assert_eq!(mails.len(), 67);
    let repo = root.join("repo");
    let patches = repo.join("patches/nova");
    let mut series = String::new();
    let mut ids = Vec::new();
    for mail in &mails {
        let name = format!("bugfix/{}", mail.file_name().unwrap().to_str().unwrap());
        let text = std::fs::read_to_string(mail).unwrap();
        ids.push((name.clone(), change_id(&text)));
        write(&patches.join(&name), &text);
        series.push_str(&name);
        series.push('\n');
    }
    write(&patches.join("series"), &series);
    write(
        &repo.join("verda-patch.toml"),
        &format!(
            "[projects.nova]\ngit = \"{}\"\npin = \"31.0.0\"\n",
            mirror.display()
        ),
    );
    let verda = |args: &[&str]| {
        let mut command = assert_cmd::Command::cargo_bin("verda-patch").unwrap();
        command
            .current_dir(&repo)
            .args(args)
            .env("VERDA_PATCH_CACHE", root.join("cache"))
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1");
        command.output().unwrap()
    };

    let output = verda(&["apply", "nova"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let custom = repo.join("custom-source/nova");
    assert_eq!(
        git(&custom, &["rev-parse", "HEAD^{tree}"]),
        "f4001f38a434d4b6ac0ce25e344e17430e2e766b"
    );
    assert_eq!(
        git(&custom, &["rev-parse", "HEAD~67"]),
        git(&mirror, &["rev-parse", "31.0.0^{commit}"])
    );

    // Upstream's Change-Ids between the pins, counted by git.
    let merged = git(
        &mirror,
        &[
            "log",
            "--format=%(trailers:key=Change-Id,valueonly)",
            "31.0.0..32.0.0",
        ],
    );
    let merged: std::collections::HashSet<&str> = merged.lines().map(str::trim).collect();
    let expected_dropped: Vec<&str> = ids
        .iter()
        .filter(|(_, id)| id.as_deref().is_some_and(|id| merged.contains(id)))
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(expected_dropped.len(), 36, "the bundle's README says 36");

    let output = verda(&["check", "--against", "32.0.0", "--json", "nova"]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        stderr(&output)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = json[0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 67);
    // Why the two conflicts: 0059 adds constants where upstream's sound
    // model commit added its own; every named commit is upstream's, of
    // 31.0.0..32.0.0. 0061 builds on 0059, which the forecast leaves out:
    // no upstream commit changed its lines (after 0059 is resolved, a real
    // rebase carries it cleanly).
    let between = git(&mirror, &["rev-list", "--no-merges", "31.0.0..32.0.0"]);
    let between: std::collections::HashSet<&str> = between.lines().collect();
    let conflicts: Vec<(&str, Vec<&serde_json::Value>)> = results
        .iter()
        .filter(|r| r["outcome"] == "conflict")
        .map(|r| {
            assert_eq!(r["attribution"]["history"], "commits", "{r}");
            let commits = r["attribution"]["files"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|f| f["hunks"].as_array().unwrap())
                .flat_map(|h| h["commits"].as_array().unwrap())
                .collect();
            (r["path"].as_str().unwrap(), commits)
        })
        .collect();
    let paths: Vec<&str> = conflicts.iter().map(|(p, _)| *p).collect();
    assert_eq!(
        paths,
        [
            "bugfix/0059-Preserve-vTPM-state-between-power-off-and-power-on.patch",
            "bugfix/0061-Preserve-UEFI-NVRAM-variable-store.patch"
        ]
    );
    let subjects: Vec<&str> = conflicts[0]
        .1
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["Implement sound model extra spec for libvirt."]);
    for commit in &conflicts[0].1 {
        let id = commit["commit"].as_str().unwrap();
        assert!(between.contains(id), "{id} is not in 31.0.0..32.0.0");
    }
    assert!(conflicts[1].1.is_empty(), "{:?}", conflicts[1].1);
    for result in results {
        let path = result["path"].as_str().unwrap();
        let outcome = result["outcome"].as_str().unwrap();
        if expected_dropped.contains(&path) {
            assert_eq!(
                (outcome, result["rule"].as_str()),
                ("dropped", Some("change-id")),
                "{path}"
            );
        } else {
            assert!(
                outcome == "carried" || outcome == "conflict",
                "{path}: {result}"
            );
        }
    }
}
