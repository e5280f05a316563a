//! Upstream Gerrit: review state per patch in `list --upstream`, lint in
//! `check`, and `propose`. A small HTTP server on 127.0.0.1 answers with
//! Gerrit-shaped JSON written here; a local bare repository is the push
//! target.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Fixture, edit, fixture, git, write};

const FEATURE: &str = "I1111111111111111111111111111111111111111";
const BUGFIX: &str = "I2222222222222222222222222222222222222222";
const UPSTREAMABLE: &str = "I3333333333333333333333333333333333333333";
const UPSTREAMABLE_PATCH: &str = "upstreamable/0003-cache-weigher-results.patch";

/// How the fake Gerrit answers every request.
#[derive(Clone)]
enum Mode {
    /// Changes by Change-Id, answered per `q=change:…` as Gerrit does.
    Changes(HashMap<String, Vec<serde_json::Value>>),
    /// An HTTP 500.
    ServerError,
    /// Accept the connection and say nothing for a while.
    Silent,
}

struct FakeGerrit {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
    mode: Arc<Mutex<Mode>>,
}

impl FakeGerrit {
    fn start(mode: Mode) -> FakeGerrit {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let mode = Arc::new(Mutex::new(mode));
        let (seen, how) = (requests.clone(), mode.clone());
        // Serves until the test process ends; each request is bounded.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                        break;
                    }
                }
                let target = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .to_string();
                seen.lock().unwrap().push(target.clone());
                let mode = how.lock().unwrap().clone();
                let (status, body) = match mode {
                    Mode::Silent => {
                        std::thread::sleep(Duration::from_secs(4));
                        continue;
                    }
                    Mode::ServerError => ("500 Internal Server Error", "boom".to_string()),
                    Mode::Changes(changes) => ("200 OK", answer(&target, &changes)),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        FakeGerrit {
            url,
            requests,
            mode,
        }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
}

fn unescape(text: &str) -> String {
    let text = text.replace('+', " ");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The query parameters `q` of a request target, decoded.
fn queries(target: &str) -> Vec<String> {
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("q="))
        .map(unescape)
        .collect()
}

/// Gerrit's answer: the `)]}'` line, then one list per query (a flat list
/// for a single query).
fn answer(target: &str, changes: &HashMap<String, Vec<serde_json::Value>>) -> String {
    let lists: Vec<serde_json::Value> = queries(target)
        .iter()
        .map(|q| {
            let id = q
                .split_whitespace()
                .find_map(|term| term.strip_prefix("change:"))
                .unwrap_or("");
            serde_json::Value::Array(changes.get(id).cloned().unwrap_or_default())
        })
        .collect();
    let json = if lists.len() == 1 {
        lists[0].clone()
    } else {
        serde_json::Value::Array(lists)
    };
    format!(")]}}'\n{json}")
}

fn change(id: &str, branch: &str, status: &str, number: u64, patch_set: u64) -> serde_json::Value {
    let mut value = serde_json::json!({
        "id": format!("demo%2Fapp~{branch}~{id}"),
        "project": "demo/app",
        "branch": branch,
        "change_id": id,
        "subject": "a change",
        "status": status,
        "created": "2026-05-20 09:00:00.000000000",
        "updated": "2026-05-28 12:00:00.000000000",
        "_number": number,
        "current_revision": "c0ffee",
        "revisions": {"c0ffee": {"_number": patch_set, "ref": format!("refs/changes/{}/{number}/{patch_set}", number % 100)}},
    });
    if status == "MERGED" {
        value["submitted"] = "2026-05-28 12:34:56.000000000".into();
    }
    value
}

/// The feature merged on master and under review on a stable branch, the
/// bugfix abandoned, the upstreamable patch not proposed.
fn queue_changes() -> HashMap<String, Vec<serde_json::Value>> {
    HashMap::from([
        (
            FEATURE.to_string(),
            vec![
                change(FEATURE, "master", "MERGED", 101, 3),
                change(FEATURE, "stable/1.x", "NEW", 102, 2),
            ],
        ),
        (
            BUGFIX.to_string(),
            vec![change(BUGFIX, "master", "ABANDONED", 201, 1)],
        ),
    ])
}

fn set_manifest(fx: &Fixture, extra: &str) {
    write(
        &fx.repo().join("verda-patch.toml"),
        &format!("[projects.demo]\ngit = \"../upstream\"\npin = \"1.0\"\n{extra}"),
    );
}

fn with_gerrit(fx: &Fixture, server: &FakeGerrit, extra: &str) {
    set_manifest(
        fx,
        &format!(
            "gerrit = \"{}\"\ngerrit_project = \"demo/app\"\ngerrit_timeout = 1\n{extra}",
            server.url
        ),
    );
}

#[test]
fn list_upstream_shows_each_change_per_branch_asked_once_and_cached() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Changes(queue_changes()));
    with_gerrit(&fx, &server, "");
    let (code, out, err) = fx.run(&["list", "--upstream"]);
    assert_eq!(code, 0, "{out}{err}");
    let url = &server.url;
    assert!(
        out.contains(&format!(
            "gerrit: merged on master 2026-05-28 ({url}/c/demo/app/+/101), in no release yet; under review on stable/1.x, patch set 2 ({url}/c/demo/app/+/102)"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "gerrit: abandoned on master ({url}/c/demo/app/+/201)"
        )),
        "{out}"
    );
    assert!(out.contains("gerrit: not proposed"), "{out}");
    // One batched request: a query per Change-Id, in queue order, with the
    // current revision asked for.
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(
        queries(&requests[0]),
        [FEATURE, BUGFIX, UPSTREAMABLE].map(|id| format!("change:{id} project:demo/app"))
    );
    assert!(requests[0].starts_with("/changes/?"), "{}", requests[0]);
    assert!(
        requests[0].contains("o=CURRENT_REVISION"),
        "{}",
        requests[0]
    );

    // Within the time-to-live the cache answers; JSON carries every change.
    let (code, json, err) = fx.run(&["list", "--upstream", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.requests().len(), 1);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let patches = &value[0]["patches"];
    assert_eq!(
        patches[0]["gerrit"],
        serde_json::json!([
            {"branch": "master", "status": "MERGED", "number": 101, "patch_set": 3,
             "url": format!("{url}/c/demo/app/+/101"), "submitted": "2026-05-28 12:34:56"},
            {"branch": "stable/1.x", "status": "NEW", "number": 102, "patch_set": 2,
             "url": format!("{url}/c/demo/app/+/102"), "submitted": null},
        ])
    );
    assert_eq!(patches[1]["gerrit"][0]["status"], "ABANDONED");
    assert_eq!(patches[2]["gerrit"], serde_json::json!([]));
    assert_eq!(value[0]["gerrit"]["origin"], "cache");
}

#[test]
fn list_upstream_text_reads_like_this() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Changes(queue_changes()));
    with_gerrit(&fx, &server, "");
    let (code, out, err) = fx.run(&["list", "--upstream"]);
    assert_eq!(code, 0, "{err}");
    let out = out.replace(&server.url, "http://[GERRIT]");
    insta::assert_snapshot!("list-upstream-gerrit", out);
    let (_, cached, _) = fx.run(&["list", "--upstream"]);
    let cached = cached.replace(&server.url, "http://[GERRIT]");
    let fetched = cached
        .lines()
        .find(|l| l.contains("(cached "))
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        cached.replace(&fetched, "      gerrit: http://[GERRIT] (asked now)"),
        out
    );
}

#[test]
fn an_expired_cache_is_asked_again() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Changes(queue_changes()));
    with_gerrit(&fx, &server, "gerrit_ttl = 0\n");
    assert_eq!(fx.run(&["list", "--upstream"]).0, 0);
    assert_eq!(fx.run(&["list", "--upstream"]).0, 0);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_failing_server_is_a_warning_naming_it_and_the_cache_stands_in() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Changes(queue_changes()));
    with_gerrit(&fx, &server, "gerrit_ttl = 0\n");
    assert_eq!(fx.run(&["list", "--upstream"]).0, 0);

    server.set(Mode::ServerError);
    let (code, out, err) = fx.run(&["list", "--upstream"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains(&format!("warning: demo: Gerrit at {}", server.url)),
        "{err}"
    );
    assert!(err.contains("500"), "{err}");
    assert!(err.contains("showing its answers cached at"), "{err}");
    assert!(out.contains("gerrit: abandoned on master"), "{out}");

    // Without a cache, states are unknown, and still no failure.
    std::fs::remove_dir_all(fx.repo().join(".verda/gerrit")).unwrap();
    let (code, out, err) = fx.run(&["list", "--upstream"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(no answer; states unknown)"), "{out}");
    assert!(!out.contains("not proposed"), "{out}");
}

#[test]
fn a_silent_server_times_out_as_a_warning() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Silent);
    with_gerrit(&fx, &server, "");
    let started = Instant::now();
    let (code, out, err) = fx.run(&["list", "--upstream"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(
        err.contains(&format!("Gerrit at {} did not answer", server.url)),
        "{err}"
    );
}

#[test]
fn offline_reads_only_the_cache_and_says_when_it_is_empty() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Changes(queue_changes()));
    with_gerrit(&fx, &server, "");
    let (code, out, err) = fx.run(&["list", "--upstream", "--offline"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("no answers from Gerrit at"), "{err}");
    assert!(err.contains("run without --offline"), "{err}");
    // The mirror was never fetched either: git history says so, no failure.
    assert!(out.contains("has no 1.0 yet"), "{out}");
    assert!(server.requests().is_empty());

    assert_eq!(fx.run(&["list", "--upstream"]).0, 0);
    let (code, out, _) = fx.run(&["list", "--upstream", "--offline"]);
    assert_eq!(code, 0);
    assert!(out.contains("gerrit: abandoned on master"), "{out}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn check_warns_about_unproposed_abandoned_and_merged_changes() {
    let fx = fixture();
    let mut changes = queue_changes();
    let server = FakeGerrit::start(Mode::Changes(changes.clone()));
    with_gerrit(&fx, &server, "gerrit_ttl = 0\n");
    let (code, out, err) = fx.run(&["check"]);
    assert_eq!(code, 0, "warnings only: {out}{err}");
    let url = &server.url;
    assert!(
        err.contains(&format!(
            "patches/demo/{UPSTREAMABLE_PATCH}: is upstreamable but not proposed: no change on {url} carries its Change-Id"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "patches/demo/feature/0001-add-pci-device-quota.patch: its change merged on master 2026-05-28 ({url}/c/demo/app/+/101); no release in the mirror contains it yet"
        )),
        "{err}"
    );

    // Submitted, then abandoned upstream.
    let file = fx.patches().join(UPSTREAMABLE_PATCH);
    edit(
        &file,
        "Upstream-Status: Pending",
        &format!("Upstream-Status: Submitted {url}/c/demo/app/+/303"),
    );
    changes.insert(
        UPSTREAMABLE.into(),
        vec![change(UPSTREAMABLE, "master", "ABANDONED", 303, 4)],
    );
    server.set(Mode::Changes(changes));
    let (code, out, err) = fx.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains(&format!(
            "`Upstream-Status: Submitted {url}/c/demo/app/+/303` but that change was abandoned"
        )),
        "{err}"
    );
    assert!(!err.contains("not proposed"), "{err}");
}

#[test]
fn check_names_the_release_that_drops_a_merged_patch() {
    let fx = fixture();
    let up = fx.upstream();
    edit(
        &up.join("app/quota.py"),
        "quota line 10\n",
        "quota line 10\nPCI_DEVICES = 'a100'\n",
    );
    git(
        &up,
        &[
            "commit",
            "-q",
            "-am",
            &format!("Add PCI device quota\n\nChange-Id: {FEATURE}"),
        ],
    );
    git(&up, &["tag", "1.1"]);
    let server = FakeGerrit::start(Mode::Changes(queue_changes()));
    with_gerrit(&fx, &server, "");
    let (code, out, err) = fx.run(&["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("`verda-patch rebase --to 1.1 demo` drops it"),
        "{err}"
    );
}

/// A bare repository standing in for Gerrit's git side.
fn push_target(fx: &Fixture) -> PathBuf {
    let target = fx.root().join("gerrit.git");
    git(
        fx.root(),
        &[
            "clone",
            "-q",
            "--bare",
            fx.upstream().to_str().unwrap(),
            "gerrit.git",
        ],
    );
    target
}

/// Upstream master moves on (a file the patch does not touch).
fn move_master(fx: &Fixture) -> String {
    let up = fx.upstream();
    edit(
        &up.join("README"),
        "demo upstream\n",
        "demo upstream, now on 1.1\n",
    );
    git(&up, &["commit", "-q", "-am", "Reword the README"]);
    git(&up, &["rev-parse", "HEAD"])
}

fn propose(fx: &Fixture, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["propose"];
    all.extend_from_slice(args);
    let output = fx
        .verda(&all)
        .env("GIT_COMMITTER_NAME", "Dee Veloper")
        .env("GIT_COMMITTER_EMAIL", "dee@example.org")
        .env("GIT_COMMITTER_DATE", "@1780000000 +0200")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn setup_propose(fx: &Fixture, server: &FakeGerrit) -> PathBuf {
    let target = push_target(fx);
    // A relative path, like a `git` source: relative to the patch repo.
    with_gerrit(fx, server, "gerrit_push = \"../gerrit.git\"\n");
    target
}

/// The tree real `git am` makes of the patch on `onto` in a scratch clone.
fn git_am_tree(fx: &Fixture, onto: &str, patch: &Path) -> String {
    let scratch = fx.root().join("am");
    git(
        fx.root(),
        &["clone", "-q", fx.upstream().to_str().unwrap(), "am"],
    );
    git(&scratch, &["checkout", "-q", onto]);
    git(&scratch, &["am", "-q", "--3way", patch.to_str().unwrap()]);
    git(&scratch, &["rev-parse", "HEAD^{tree}"])
}

#[test]
fn propose_forward_ports_pushes_and_records_the_change() {
    let fx = fixture();
    let mut changes = queue_changes();
    changes.insert(
        UPSTREAMABLE.into(),
        vec![change(UPSTREAMABLE, "master", "NEW", 303, 1)],
    );
    let server = FakeGerrit::start(Mode::Changes(changes));
    let target = setup_propose(&fx, &server);
    let tip = move_master(&fx);
    let file = fx.patches().join(UPSTREAMABLE_PATCH);
    let original = std::fs::read_to_string(&file).unwrap();

    let (code, out, err) = propose(
        &fx,
        &[UPSTREAMABLE_PATCH, "--topic", "weigher-cache", "--json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let result: serde_json::Value = serde_json::from_str(&out).unwrap();
    let url = format!("{}/c/demo/app/+/303", server.url);
    assert_eq!(result["url"], url.as_str());
    assert_eq!(result["change_id"], UPSTREAMABLE);
    assert_eq!(result["forward_port"], "3-way");

    // The push landed on refs/for/master with the topic, on the moved tip,
    // with the tree `git am` gives and the patch's Change-Id.
    let pushed = git(
        &target,
        &["rev-parse", "refs/for/master%topic=weigher-cache"],
    );
    assert_eq!(result["commit"], pushed.as_str());
    assert_eq!(git(&target, &["rev-parse", &format!("{pushed}^")]), tip);
    let tree = git(&target, &["rev-parse", &format!("{pushed}^{{tree}}")]);
    assert_eq!(
        tree,
        git_am_tree(
            &fx,
            &tip,
            &fx.root().join("formatted/0003-Cache-weigher-results.patch")
        )
    );
    let message = git(&target, &["log", "-1", "--format=%B", &pushed]);
    assert!(
        message.ends_with(&format!("Change-Id: {UPSTREAMABLE}")),
        "{message}"
    );
    assert!(
        !message.contains("Upstream-Status"),
        "downstream trailers stay home: {message}"
    );
    assert_eq!(
        git(
            &target,
            &["log", "-1", "--format=%an <%ae>|%cn <%ce>", &pushed]
        ),
        "Ada Upstream <ada@example.org>|Dee Veloper <dee@example.org>"
    );

    // The patch file records it, and nothing else changed in it.
    let now = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        now,
        original.replace(
            "Upstream-Status: Pending",
            &format!("Upstream-Status: Submitted {url}")
        )
    );
}

#[test]
fn propose_dry_run_pushes_and_writes_nothing() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Changes(queue_changes()));
    let target = setup_propose(&fx, &server);
    move_master(&fx);
    let before = fx.patch_files();
    let (code, out, err) = propose(&fx, &[UPSTREAMABLE_PATCH, "--dry-run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("would push patches/demo/upstreamable/0003-cache-weigher-results.patch"),
        "{out}"
    );
    assert!(out.contains(":refs/for/master"), "{out}");
    assert_eq!(fx.patch_files(), before);
    assert_eq!(git(&target, &["for-each-ref", "refs/for/"]), "");
}

#[test]
fn propose_adds_the_change_id_gerrits_hook_would() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Changes(HashMap::new()));
    let target = setup_propose(&fx, &server);
    let tip = move_master(&fx);
    let file = fx.patches().join(UPSTREAMABLE_PATCH);
    edit(&file, &format!("Change-Id: {UPSTREAMABLE}\n"), "");
    let (code, out, err) = propose(&fx, &[&format!("patches/demo/{UPSTREAMABLE_PATCH}")]);
    assert_eq!(code, 0, "{out}{err}");
    let pushed = git(&target, &["rev-parse", "refs/for/master"]);
    let message = git(&target, &["log", "-1", "--format=%B", &pushed]);
    let (before, change_id) = message.rsplit_once("Change-Id: ").unwrap();
    // The hook: `{ git var GIT_COMMITTER_IDENT; echo $parent; cat msg; } |
    // git hash-object --stdin`, on the message before the trailer.
    let committer = git(&target, &["log", "-1", "--format=%cn <%ce> %ct", &pushed]) + " +0200";
    let input = format!("{committer}\n{tip}\n{}\n", before.trim_end());
    let hashed = fx.root().join("hook-input");
    std::fs::write(&hashed, &input).unwrap();
    let expected = git(fx.root(), &["hash-object", hashed.to_str().unwrap()]);
    assert_eq!(change_id, format!("I{expected}"));
    // Written back to the patch file with the Submitted status (no server
    // answer: Gerrit's search URL for the Change-Id).
    let now = std::fs::read_to_string(&file).unwrap();
    assert!(now.contains(&format!("Change-Id: {change_id}\n")), "{now}");
    assert!(
        now.contains(&format!(
            "Upstream-Status: Submitted {}/q/{change_id}\n",
            server.url
        )),
        "{now}"
    );
}

#[test]
fn propose_stops_on_a_conflict_with_exit_3_in_a_work_tree_of_its_own() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Changes(HashMap::new()));
    let target = setup_propose(&fx, &server);
    let up = fx.upstream();
    write(&up.join("app/weigher_cache.py"), "CACHE = None\n");
    git(&up, &["add", "-A"]);
    git(&up, &["commit", "-q", "-m", "Upstream's own cache"]);
    let before = fx.patch_files();
    let (code, out, err) = propose(&fx, &[UPSTREAMABLE_PATCH]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("conflicts with upstream master"), "{err}");
    assert!(err.contains("app/weigher_cache.py"), "{err}");
    assert!(err.contains(".verda/propose/demo"), "{err}");
    let conflicted =
        std::fs::read_to_string(fx.repo().join(".verda/propose/demo/app/weigher_cache.py"))
            .unwrap();
    assert!(
        conflicted.contains("<<<<<<<") && conflicted.contains("CACHE = {}"),
        "{conflicted}"
    );
    assert_eq!(fx.patch_files(), before);
    assert_eq!(git(&target, &["for-each-ref", "refs/for/"]), "");

    let (_, status, _) = fx.run(&["status"]);
    assert!(
        status.contains(&format!(
            "propose of {UPSTREAMABLE_PATCH} stopped on a conflict in .verda/propose/demo"
        )),
        "{status}"
    );
    // Another propose waits for this one.
    let (code, _, err) = propose(&fx, &[UPSTREAMABLE_PATCH]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("propose --continue --project demo"), "{err}");
    // Unresolved, --continue stops again.
    let (code, _, err) = propose(&fx, &["--continue"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("app/weigher_cache.py still in conflict"),
        "{err}"
    );

    // Resolved by hand: pushed on the tip with the resolution, recorded.
    let work = fx.repo().join(".verda/propose/demo");
    write(&work.join("app/weigher_cache.py"), "CACHE = {}  # merged\n");
    git(&work, &["add", "app/weigher_cache.py"]);
    let (code, out, err) = propose(&fx, &["--continue"]);
    assert_eq!(code, 0, "{out}{err}");
    let pushed = git(&target, &["rev-parse", "refs/for/master"]);
    assert_eq!(
        git(
            &target,
            &["show", &format!("{pushed}:app/weigher_cache.py")]
        ),
        "CACHE = {}  # merged"
    );
    assert_eq!(
        git(&target, &["rev-parse", &format!("{pushed}^")]),
        git(&up, &["rev-parse", "HEAD"])
    );
    assert!(!work.exists());
    let patch = std::fs::read_to_string(fx.patches().join(UPSTREAMABLE_PATCH)).unwrap();
    assert!(
        patch.contains(&format!(
            "Upstream-Status: Submitted {}/q/{UPSTREAMABLE}\n",
            server.url
        )),
        "{patch}"
    );
}

/// A push that fails writes nothing and leaves nothing in progress, unless
/// it was a resolution made by hand: that stays for `--continue`.
#[test]
fn a_failed_push_leaves_nothing_in_progress_but_a_resolution() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Changes(HashMap::new()));
    let target = setup_propose(&fx, &server);
    std::fs::rename(&target, fx.root().join("away.git")).unwrap();
    move_master(&fx);
    let before = fx.patch_files();
    let (code, _, err) = propose(&fx, &[UPSTREAMABLE_PATCH]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("pushing") && err.contains("failed"), "{err}");
    assert_eq!(fx.patch_files(), before);
    assert!(!fx.repo().join(".verda/journal/demo").exists());
    assert!(!fx.repo().join(".verda/propose/demo").exists());
    let (_, status, _) = fx.run(&["status"]);
    assert!(!status.contains("propose"), "{status}");

    let up = fx.upstream();
    write(&up.join("app/weigher_cache.py"), "CACHE = None\n");
    git(&up, &["add", "-A"]);
    git(&up, &["commit", "-q", "-m", "Upstream's own cache"]);
    assert_eq!(propose(&fx, &[UPSTREAMABLE_PATCH]).0, 3);
    let work = fx.repo().join(".verda/propose/demo");
    write(&work.join("app/weigher_cache.py"), "CACHE = {}  # merged\n");
    git(&work, &["add", "app/weigher_cache.py"]);
    let (code, _, err) = propose(&fx, &["--continue"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("your resolution stays in .verda/propose/demo; run `verda-patch propose --continue --project demo`"),
        "{err}"
    );
    assert_eq!(fx.patch_files(), before);
    std::fs::rename(fx.root().join("away.git"), &target).unwrap();
    let (code, out, err) = propose(&fx, &["--continue"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        git(&target, &["show", "refs/for/master:app/weigher_cache.py"]),
        "CACHE = {}  # merged"
    );
}

#[test]
fn propose_abort_drops_the_stopped_forward_port() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Changes(HashMap::new()));
    setup_propose(&fx, &server);
    let up = fx.upstream();
    write(&up.join("app/weigher_cache.py"), "CACHE = None\n");
    git(&up, &["add", "-A"]);
    git(&up, &["commit", "-q", "-m", "Upstream's own cache"]);
    assert_eq!(propose(&fx, &[UPSTREAMABLE_PATCH]).0, 3);
    let (code, out, err) = propose(&fx, &["--abort"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!fx.repo().join(".verda/propose/demo").exists());
    let (code, _, err) = propose(&fx, &["--continue"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no propose stopped on a conflict"), "{err}");
}

/// A propose stopped by a verda-patch from before the journal kept its
/// state in `.verda/propose/<project>.json`: refused, never ignored (its
/// work tree holds the user's resolution).
#[test]
fn propose_state_of_an_older_version_is_refused_not_ignored() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Changes(HashMap::new()));
    setup_propose(&fx, &server);
    write(&fx.repo().join(".verda/propose/demo.json"), "{}");
    let resolution = fx.repo().join(".verda/propose/demo/app/weigher_cache.py");
    write(&resolution, "CACHE = {}  # merged\n");
    for args in [&[UPSTREAMABLE_PATCH][..], &["--abort"]] {
        let (code, _, err) = propose(&fx, args);
        assert_eq!(code, 1, "{err}");
        assert_eq!(
            err,
            "error: .verda/propose/demo.json holds a propose stopped by an older verda-patch; finish it \
             with that version (`verda-patch propose --continue --project demo`), or drop it by removing \
             .verda/propose/demo.json and .verda/propose/demo\n"
        );
    }
    assert!(resolution.exists());
}

#[test]
fn propose_refuses_a_patch_that_is_not_upstreamable() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Changes(HashMap::new()));
    setup_propose(&fx, &server);
    let (code, _, err) = propose(&fx, &["feature/0001-add-pci-device-quota.patch"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is feature, not upstreamable"), "{err}");
}

#[test]
fn review_shows_the_gerrit_state_of_each_changed_patch() {
    let fx = fixture();
    let server = FakeGerrit::start(Mode::Changes(queue_changes()));
    with_gerrit(&fx, &server, "");
    fx.commit_patch_repo();
    // The base is HEAD~1: the queue as committed.
    git(
        &fx.repo(),
        &["commit", "-q", "--allow-empty", "-m", "nothing"],
    );
    edit(
        &fx.patches().join("bugfix/0002-fix-host-ordering.patch"),
        "Fix host ordering\n",
        "Fix host ordering for good\n",
    );
    edit(
        &fx.patches().join(UPSTREAMABLE_PATCH),
        "Cache weigher results\n",
        "Cache the weigher results\n",
    );
    let (code, out, err) = fx.run(&["review", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let review: serde_json::Value = serde_json::from_str(&out).unwrap();
    let states: Vec<(String, String)> = review["projects"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap().to_string(),
                c["gerrit"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            (
                "bugfix/0002-fix-host-ordering.patch".to_string(),
                format!("abandoned on master ({}/c/demo/app/+/201)", server.url)
            ),
            (UPSTREAMABLE_PATCH.to_string(), "not proposed".to_string()),
        ]
    );
    let findings = review["projects"][0]["findings"].to_string();
    assert!(
        findings.contains("is upstreamable but not proposed"),
        "{findings}"
    );
    let (_, text, _) = fx.run(&["review"]);
    assert!(text.contains("      gerrit: not proposed\n"), "{text}");
    let (_, markdown, _) = fx.run(&["review", "--format", "markdown"]);
    assert!(markdown.contains("**On Gerrit**"), "{markdown}");
    let (_, html, _) = fx.run(&["review", "--format", "html"]);
    assert!(html.contains("Gerrit: not proposed"), "{html}");
}

/// Copy `from` into `to`, recursively.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn the_bundled_nova_queue_lists_offline_on_a_fresh_clone() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("clone");
    copy_tree(&root.join("patches"), &clone.join("patches"));
    std::fs::copy(
        root.join("verda-patch.toml"),
        clone.join("verda-patch.toml"),
    )
    .unwrap();
    let output = assert_cmd::Command::cargo_bin("verda-patch")
        .unwrap()
        .current_dir(&clone)
        .args(["list", "--upstream", "--offline"])
        .env("VERDA_PATCH_CACHE", tmp.path().join("cache"))
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(0), "{out}{err}");
    assert!(
        err.contains("no answers from Gerrit at https://review.opendev.org are cached for nova"),
        "{err}"
    );
    assert!(out.contains("has no 31.0.0 yet"), "{out}");
    assert!(out.contains("upstreamable/0005-"), "{out}");
}
