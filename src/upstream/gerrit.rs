//! Upstream Gerrit: the review state of each patch's Change-Id, read over
//! Gerrit's REST API in one batched query per project and cached under
//! `.verda/gerrit/` for a time-to-live; and the Change-Id that Gerrit's
//! `commit-msg` hook would give a commit (for `propose`).
//!
//! An unreachable server is never a failure of the command that asked: the
//! answer carries a warning naming the server, and the cached answers (if
//! any) stand in.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::manifest::{ProjectSpec, Workspace};
use crate::repo::{Git, Oid};

/// Seconds a cached answer stays fresh unless `gerrit_ttl` says otherwise.
pub const DEFAULT_TTL: u64 = 900;
/// Seconds to wait for the server unless `gerrit_timeout` says otherwise.
pub const DEFAULT_TIMEOUT: u64 = 10;
/// Change-Ids per request: keeps the URL well under Gerrit's 16 KiB header
/// limit (each `q=change:I…+project:…` is about 80 bytes).
const IDS_PER_REQUEST: usize = 100;

/// A project's Gerrit, from the manifest and the upstream `.gitreview`.
#[derive(Debug, Clone)]
pub struct Gerrit {
    /// The server's base URL, without a trailing slash.
    pub server: String,
    /// The project's name on the server (`openstack/nova`), when known.
    pub project: Option<String>,
    /// Where `propose` pushes, when known.
    pub push: Option<String>,
    pub ttl: u64,
    pub timeout: u64,
}

/// What a `.gitreview` file says (`[gerrit]` `host=`, `port=`, `project=`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitReview {
    pub host: Option<String>,
    pub port: Option<u16>,
    /// Without a trailing `.git`.
    pub project: Option<String>,
    pub default_branch: Option<String>,
}

/// The `.gitreview` of `commit`'s tree, if it has one.
pub fn gitreview_at(git: &Git, commit: Oid) -> Result<Option<GitReview>> {
    let Some(file) = git.file_at(git.tree_of(commit)?, ".gitreview")? else {
        return Ok(None);
    };
    let bytes = git.read_blob(file.id)?;
    Ok(Some(parse_gitreview(&String::from_utf8_lossy(&bytes))))
}

/// Read a `.gitreview` (an INI file); unknown keys and sections are ignored.
pub fn parse_gitreview(text: &str) -> GitReview {
    let mut out = GitReview::default();
    let mut in_gerrit = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_gerrit = line.trim_matches(['[', ']']).trim() == "gerrit";
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !in_gerrit {
            continue;
        }
        let value = value.trim().to_string();
        match key.trim() {
            "host" => out.host = Some(value),
            "port" => out.port = value.parse().ok(),
            "project" => out.project = Some(value.trim_end_matches(".git").to_string()),
            "defaultbranch" => out.default_branch = Some(value),
            _ => {}
        }
    }
    out
}

impl Gerrit {
    /// The Gerrit of a project, or `None` when the manifest names none.
    /// `gitreview` is the upstream tree's `.gitreview`, when there is one;
    /// the push URL's user is `git config gitreview.username`, else `$USER`.
    pub fn of(spec: &ProjectSpec, gitreview: Option<&GitReview>) -> Option<Gerrit> {
        let server = spec.gerrit.as_ref()?.trim_end_matches('/').to_string();
        let project = spec
            .gerrit_project
            .clone()
            .or_else(|| gitreview.and_then(|g| g.project.clone()));
        let push = spec.gerrit_push.clone().or_else(|| {
            let g = gitreview?;
            let host = g.host.as_ref()?;
            let project = g.project.as_ref()?;
            let port = g.port.unwrap_or(29418);
            Some(match review_user() {
                Some(user) => format!("ssh://{user}@{host}:{port}/{project}"),
                None => format!("ssh://{host}:{port}/{project}"),
            })
        });
        Some(Gerrit {
            server,
            project,
            push,
            ttl: spec.gerrit_ttl.unwrap_or(DEFAULT_TTL),
            timeout: spec.gerrit_timeout.unwrap_or(DEFAULT_TIMEOUT),
        })
    }

    /// The web URL of change `number`.
    pub fn change_url(&self, project: &str, number: u64) -> String {
        format!("{}/c/{project}/+/{number}", self.server)
    }

    fn project_or_err(&self) -> Result<&str> {
        self.project.as_deref().ok_or_else(|| {
            Error::Upstream(format!(
                "the project's name on {} is unknown: the upstream tree has no `.gitreview`; set `gerrit_project = \"<name>\"` in verda-patch.toml",
                self.server
            ))
        })
    }

    /// Every change of each Change-Id in the project, on every branch, in
    /// one request per [`IDS_PER_REQUEST`] ids
    /// (`GET /changes/?q=change:I…+project:…&q=…&o=CURRENT_REVISION`).
    ///
    /// Errors: [`Error::Upstream`] naming the server and what went wrong
    /// (unreachable, timed out after `timeout` seconds, an HTTP error status,
    /// an answer that is not Gerrit's JSON).
    pub fn query(&self, change_ids: &[String]) -> Result<BTreeMap<String, Vec<Change>>> {
        let project = self.project_or_err()?.to_string();
        let agent = ureq::AgentBuilder::new()
            .tls_connector(std::sync::Arc::new(
                native_tls::TlsConnector::new().map_err(|e| {
                    Error::Upstream(format!("cannot set up TLS for {}: {e}", self.server))
                })?,
            ))
            .timeout_connect(Duration::from_secs(self.timeout))
            .timeout_read(Duration::from_secs(self.timeout))
            .build();
        let mut out = BTreeMap::new();
        for chunk in change_ids.chunks(IDS_PER_REQUEST) {
            let url = format!("{}/changes/", self.server);
            let mut request = agent.get(&url).set("Accept", "application/json");
            for id in chunk {
                request = request.query("q", &format!("change:{id} project:{project}"));
            }
            request = request.query("o", "CURRENT_REVISION");
            let failed = |what: String| {
                Error::Upstream(format!(
                    "Gerrit at {} did not answer the query for {} Change-Ids: {what}",
                    self.server,
                    chunk.len()
                ))
            };
            let body = request
                .call()
                .map_err(|e| failed(http_error(e)))?
                .into_string()
                .map_err(|e| failed(e.to_string()))?;
            let lists = parse_answer(&body, chunk.len()).map_err(failed)?;
            for (id, raw) in chunk.iter().zip(lists) {
                let changes = raw
                    .into_iter()
                    .map(|c| c.into_change(self, &project))
                    .collect();
                out.insert(id.clone(), changes);
            }
        }
        Ok(out)
    }
}

/// ureq's error without the (long) query URL: `HTTP 500 Internal Server
/// Error`, `Dns Failed: …`, `Network Error: timed out reading response`.
fn http_error(error: ureq::Error) -> String {
    match error {
        ureq::Error::Status(code, response) => {
            format!("HTTP {code} {}", response.status_text())
        }
        ureq::Error::Transport(transport) => match transport.message() {
            Some(message) => format!("{}: {message}", transport.kind()),
            None => match std::error::Error::source(&transport) {
                Some(source) => format!("{}: {source}", transport.kind()),
                None => transport.kind().to_string(),
            },
        },
    }
}

fn review_user() -> Option<String> {
    let configured = std::process::Command::new("git")
        .args(["config", "--get", "gitreview.username"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|u| !u.is_empty());
    configured.or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
}

/// A change's state on Gerrit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    New,
    Merged,
    Abandoned,
}

/// One change: a Change-Id on one branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub branch: String,
    pub status: Status,
    /// The change number (`/c/<project>/+/<number>`).
    pub number: u64,
    /// The current patch set's number.
    pub patch_set: Option<u64>,
    pub url: String,
    /// When it merged (UTC, `YYYY-MM-DD HH:MM:SS`), for merged changes.
    pub submitted: Option<String>,
}

impl Change {
    /// `merged on master 2026-05-28 (url)`, `under review on master, patch
    /// set 7 (url)`, `abandoned on master (url)`.
    pub fn describe(&self) -> String {
        match self.status {
            Status::Merged => format!(
                "merged on {} {}({})",
                self.branch,
                self.submitted
                    .as_deref()
                    .map(|s| format!("{} ", s.get(..10).unwrap_or(s)))
                    .unwrap_or_default(),
                self.url
            ),
            Status::New => format!(
                "under review on {}{} ({})",
                self.branch,
                self.patch_set
                    .map(|p| format!(", patch set {p}"))
                    .unwrap_or_default(),
                self.url
            ),
            Status::Abandoned => format!("abandoned on {} ({})", self.branch, self.url),
        }
    }
}

/// A change as Gerrit's JSON has it (the fields we read).
#[derive(Debug, Deserialize)]
struct RawChange {
    branch: String,
    status: String,
    #[serde(rename = "_number")]
    number: u64,
    project: Option<String>,
    submitted: Option<String>,
    current_revision: Option<String>,
    #[serde(default)]
    revisions: BTreeMap<String, RawRevision>,
}

#[derive(Debug, Deserialize)]
struct RawRevision {
    #[serde(rename = "_number")]
    number: Option<u64>,
}

impl RawChange {
    fn into_change(self, gerrit: &Gerrit, project: &str) -> Change {
        let patch_set = self
            .current_revision
            .as_ref()
            .and_then(|r| self.revisions.get(r))
            .and_then(|r| r.number);
        Change {
            url: gerrit.change_url(self.project.as_deref().unwrap_or(project), self.number),
            branch: self.branch,
            status: match self.status.as_str() {
                "MERGED" => Status::Merged,
                "ABANDONED" => Status::Abandoned,
                _ => Status::New,
            },
            number: self.number,
            patch_set,
            submitted: self
                .submitted
                .map(|s| s.split('.').next().unwrap_or(&s).to_string()),
        }
    }
}

/// Gerrit's answer to `queries` queries: the `)]}'` line stripped, then one
/// list of changes per query (a single query answers with a flat list).
fn parse_answer(body: &str, queries: usize) -> std::result::Result<Vec<Vec<RawChange>>, String> {
    let json = body
        .strip_prefix(")]}'")
        .ok_or_else(|| "the answer does not start with Gerrit's `)]}'` line".to_string())?;
    let bad = |e: serde_json::Error| format!("the answer is not Gerrit's change list: {e}");
    let lists: Vec<Vec<RawChange>> = if queries == 1 {
        vec![serde_json::from_str(json).map_err(bad)?]
    } else {
        serde_json::from_str(json).map_err(bad)?
    };
    if lists.len() != queries {
        return Err(format!("{} answers to {queries} queries", lists.len()));
    }
    Ok(lists)
}

/// What `.verda/gerrit/<project>.json` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Cache {
    pub server: String,
    pub project: Option<String>,
    /// When the answers were fetched (seconds since the epoch, UTC).
    pub fetched: i64,
    /// Changes by Change-Id; an empty list: Gerrit knows no such change.
    pub changes: BTreeMap<String, Vec<Change>>,
}

/// Where the answers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Asked now.
    Server,
    /// The cache, within its time-to-live.
    Cache,
    /// The cache, past its time-to-live (offline, or the server failed).
    StaleCache,
    /// Nothing: no cache and no server answer.
    Nothing,
}

/// The review state of a queue's Change-Ids.
#[derive(Debug, Clone)]
pub struct Answers {
    pub server: String,
    pub origin: Origin,
    /// When the answers were fetched (seconds since the epoch).
    pub fetched: Option<i64>,
    pub changes: BTreeMap<String, Vec<Change>>,
    /// Why the server's answer is missing, naming the server.
    pub warning: Option<String>,
}

impl Answers {
    /// The changes of `change_id`, or `None` when Gerrit was not asked about
    /// it (no answer at all, or an offline cache from before it existed).
    pub fn of(&self, change_id: &str) -> Option<&[Change]> {
        self.changes.get(change_id).map(Vec::as_slice)
    }
}

fn cache_path(ws: &Workspace, project: &str) -> PathBuf {
    ws.state_dir()
        .join("gerrit")
        .join(format!("{project}.json"))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The review state of `change_ids` in `project`'s Gerrit: from the cache
/// when it is fresh (or `offline`), else from the server, whose answer then
/// replaces the cache. Never fails: a server that cannot be asked gives a
/// warning and whatever the cache holds.
pub fn lookup(
    ws: &Workspace,
    project: &str,
    gerrit: &Gerrit,
    change_ids: &[String],
    offline: bool,
) -> Answers {
    // `VERDA_PATCH_OFFLINE=1`: every command reads the cache only, as with
    // `--offline` (CI without network, air-gapped machines).
    let offline = offline
        || std::env::var_os("VERDA_PATCH_OFFLINE").is_some_and(|v| !v.is_empty() && v != "0");
    let path = cache_path(ws, project);
    let cache: Option<Cache> = fsutil::read_json(&path, "it is only a cache")
        .ok()
        .flatten()
        .filter(|c: &Cache| c.server == gerrit.server);
    let answers = |origin, cache: &Cache, warning| Answers {
        server: gerrit.server.clone(),
        origin,
        fetched: Some(cache.fetched),
        changes: cache.changes.clone(),
        warning,
    };
    if let Some(cache) = &cache {
        let covers = change_ids.iter().all(|id| cache.changes.contains_key(id));
        let fresh = now().saturating_sub(cache.fetched) < gerrit.ttl as i64;
        let same_project = gerrit.project.is_none() || gerrit.project == cache.project;
        if offline || (covers && fresh && same_project) {
            let origin = if fresh {
                Origin::Cache
            } else {
                Origin::StaleCache
            };
            return answers(origin, cache, None);
        }
    }
    if offline {
        return Answers {
            server: gerrit.server.clone(),
            origin: Origin::Nothing,
            fetched: None,
            changes: BTreeMap::new(),
            warning: Some(format!(
                "no answers from Gerrit at {} are cached for {project} (.verda/gerrit/{project}.json); run without --offline to ask it",
                gerrit.server
            )),
        };
    }
    match gerrit.query(change_ids) {
        Ok(changes) => {
            let fresh = Cache {
                server: gerrit.server.clone(),
                project: gerrit.project.clone(),
                fetched: now(),
                changes,
            };
            let warning = fsutil::write_json(&path, &fresh)
                .err()
                .map(|e| format!("the Gerrit answers could not be cached: {e}"));
            answers(Origin::Server, &fresh, warning)
        }
        Err(e) => match &cache {
            Some(cache) => answers(
                Origin::StaleCache,
                cache,
                Some(format!(
                    "{e}; showing its answers cached at {}",
                    format_time(cache.fetched)
                )),
            ),
            None => Answers {
                server: gerrit.server.clone(),
                origin: Origin::Nothing,
                fetched: None,
                changes: BTreeMap::new(),
                warning: Some(e.to_string()),
            },
        },
    }
}

/// `2026-05-28 12:00 UTC`.
pub fn format_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| seconds.to_string())
}

/// The Change-Id Gerrit's `commit-msg` hook gives a commit: `I` and git's
/// blob id of the committer ident (`Name <email> 1700000000 +0000`), the
/// parent commit's id (the empty tree's id without a parent) and the
/// message, each of the first two ended by a newline — what the hook feeds
/// `git hash-object --stdin`.
pub fn change_id(committer_ident: &str, parent: Option<&str>, message: &str) -> String {
    const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    let input = format!(
        "{committer_ident}\n{}\n{message}",
        parent.unwrap_or(EMPTY_TREE)
    );
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", input.len()).as_bytes());
    hasher.update(input.as_bytes());
    format!("I{}", crate::hex(&hasher.finalize()))
}

/// The change number at the end of a change URL
/// (`https://host/c/project/+/123`, `https://host/123`, `…/123/`).
pub fn number_in_url(url: &str) -> Option<u64> {
    url.trim_end_matches('/')
        .rsplit('/')
        .next()
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitreview_gives_project_host_and_port() {
        let g = parse_gitreview(
            "[gerrit]\nhost=review.opendev.org\nport=29418\nproject=openstack/nova.git\ndefaultbranch=master\n",
        );
        assert_eq!(g.host.as_deref(), Some("review.opendev.org"));
        assert_eq!(g.port, Some(29418));
        assert_eq!(g.project.as_deref(), Some("openstack/nova"));
        assert_eq!(g.default_branch.as_deref(), Some("master"));
    }

    #[test]
    fn single_query_answers_flat_and_many_nested() {
        let one = ")]}'\n[{\"branch\":\"master\",\"status\":\"NEW\",\"_number\":5}]";
        assert_eq!(parse_answer(one, 1).unwrap()[0][0].number, 5);
        let two = ")]}'\n[[],[{\"branch\":\"master\",\"status\":\"MERGED\",\"_number\":6}]]";
        let lists = parse_answer(two, 2).unwrap();
        assert!(lists[0].is_empty());
        assert_eq!(lists[1][0].status, "MERGED");
        assert!(parse_answer("[]", 1).unwrap_err().contains(")]}'"));
        assert!(
            parse_answer(")]}'\n[[]]", 2)
                .unwrap_err()
                .contains("1 answers to 2")
        );
    }

    #[test]
    fn change_number_from_url() {
        assert_eq!(
            number_in_url("https://r.example/c/openstack/nova/+/912345"),
            Some(912345)
        );
        assert_eq!(number_in_url("https://r.example/912345/"), Some(912345));
        assert_eq!(number_in_url("https://r.example/q/Iabc"), None);
    }
}
