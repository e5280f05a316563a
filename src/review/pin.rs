//! A pin bump summarised, not diffed: the upstream commits and files
//! between the two pins. Upstream's own changes are not the merge
//! request's; a reviewer wants to know how far the queue moved and where to
//! read upstream's history, with links where the forge is known.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use serde::Serialize;

use crate::error::Result;
use crate::manifest::Source;
use crate::repo::{CommitInfo, Git, Oid, short};

/// What moving a project's pin brings from upstream.
#[derive(Debug, Serialize)]
pub struct PinBump {
    pub old: String,
    pub new: String,
    /// The upstream commits reachable from the new pin and not from the old
    /// one; `None` for a source without history (PyPI).
    pub commits: Option<usize>,
    /// Files that differ between the two pins' trees.
    pub files: usize,
    /// Why there is no commit list: `"no history (PyPI source)"`.
    pub history: Option<String>,
    /// Those commits, newest first (all of them; text output caps the list).
    pub log: Vec<UpstreamCommit>,
}

#[derive(Debug, Serialize)]
pub struct UpstreamCommit {
    /// The full commit id.
    pub id: String,
    /// Its first 10 hex digits.
    pub short: String,
    pub subject: String,
    /// The commit on its forge, for a git URL on opendev.org, github.com or
    /// a GitLab; `None` elsewhere (a local path, an unknown host).
    pub url: Option<String>,
}

/// The summary of a pin moving from `old` (`old_commit`) to `new`.
pub fn summarise(
    git: &Git,
    source: &Source,
    url: Option<&str>,
    (old, old_commit): (&str, Oid),
    (new, new_commit): (&str, Oid),
) -> Result<PinBump> {
    let files = git
        .changed_paths(git.tree_of(old_commit)?, git.tree_of(new_commit)?)?
        .len();
    let mut bump = PinBump {
        old: old.to_string(),
        new: new.to_string(),
        commits: None,
        files,
        history: None,
        log: Vec::new(),
    };
    match source {
        Source::Pypi { .. } => bump.history = Some("no history (PyPI source)".into()),
        Source::Git { .. } => {
            let forge = url.and_then(forge_commit_url);
            for info in newest_first(git.commits_between(old_commit, new_commit)?) {
                let id = info.id.to_string();
                bump.log.push(UpstreamCommit {
                    short: short(info.id),
                    subject: info.message.lines().next().unwrap_or("").to_string(),
                    url: forge.as_ref().map(|base| format!("{base}{id}")),
                    id,
                });
            }
            bump.commits = Some(bump.log.len());
        }
    }
    Ok(bump)
}

/// `commits` in `git log` order: every commit before its parents, the
/// latest committed first among those ready (commits of one second, as a
/// scripted history has, still come out child before parent).
fn newest_first(commits: Vec<CommitInfo>) -> Vec<CommitInfo> {
    let index: HashMap<Oid, usize> = commits.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    let mut children = vec![0usize; commits.len()];
    for commit in &commits {
        for parent in &commit.parents {
            if let Some(&p) = index.get(parent) {
                children[p] += 1;
            }
        }
    }
    // Ready commits by (time, earlier in the walk first).
    let mut ready: BinaryHeap<(i64, Reverse<usize>)> = (0..commits.len())
        .filter(|&i| children[i] == 0)
        .map(|i| (commits[i].committed, Reverse(i)))
        .collect();
    let mut order = Vec::with_capacity(commits.len());
    while let Some((_, Reverse(i))) = ready.pop() {
        order.push(i);
        for parent in &commits[i].parents {
            if let Some(&p) = index.get(parent) {
                children[p] -= 1;
                if children[p] == 0 {
                    ready.push((commits[p].committed, Reverse(p)));
                }
            }
        }
    }
    let mut slots: Vec<Option<CommitInfo>> = commits.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// The prefix of a commit's web address on the forge of a git URL (the
/// commit id goes after it), for the forges whose address scheme is known:
/// opendev.org (`/commit/`), github.com (`/commit/`), GitLab (`/-/commit/`).
/// Takes `https://host/path(.git)`, `ssh://[user@]host[:port]/path` and
/// scp-like `user@host:path`; `None` for anything else.
pub fn forge_commit_url(url: &str) -> Option<String> {
    let (host, path) = match url.split_once("://") {
        Some((scheme, rest)) => {
            if !matches!(scheme, "https" | "http" | "ssh" | "git") {
                return None;
            }
            let (authority, path) = rest.split_once('/')?;
            let host = authority.rsplit('@').next()?;
            let host = host.split(':').next()?;
            (host, path)
        }
        None => {
            // scp-like: [user@]host:path, with no slash before the colon.
            let (authority, path) = url.split_once(':')?;
            if authority.contains('/') {
                return None;
            }
            (authority.rsplit('@').next()?, path)
        }
    };
    let host = host.to_ascii_lowercase();
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    // Only plain path characters: the address goes into Markdown links.
    let plain = |c: char| c.is_ascii_alphanumeric() || "-._~/".contains(c);
    if path.is_empty() || !path.chars().all(plain) {
        return None;
    }
    match host.as_str() {
        "opendev.org" | "github.com" | "www.github.com" => {
            let host = host.trim_start_matches("www.");
            Some(format!("https://{host}/{path}/commit/"))
        }
        h if h == "gitlab.com" || h.starts_with("gitlab.") => {
            Some(format!("https://{host}/{path}/-/commit/"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::forge_commit_url;

    #[test]
    fn known_forges_link_their_commits_and_others_do_not() {
        let cases = [
            (
                "https://opendev.org/openstack/nova",
                Some("https://opendev.org/openstack/nova/commit/"),
            ),
            (
                "https://opendev.org/openstack/nova.git/",
                Some("https://opendev.org/openstack/nova/commit/"),
            ),
            (
                "git@github.com:openstack/nova.git",
                Some("https://github.com/openstack/nova/commit/"),
            ),
            (
                "ssh://git@gitlab.example.com:2222/cloud/nova.git",
                Some("https://gitlab.example.com/cloud/nova/-/commit/"),
            ),
            (
                "https://gitlab.com/group/sub/nova",
                Some("https://gitlab.com/group/sub/nova/-/commit/"),
            ),
            (
                "https://user:secret@github.com/o/r",
                Some("https://github.com/o/r/commit/"),
            ),
            ("/srv/mirrors/nova", None),
            ("../upstream", None),
            ("https://git.example.com/nova", None),
            ("file:///srv/nova", None),
            ("https://github.com/o/r)](javascript:x", None),
        ];
        for (url, want) in cases {
            assert_eq!(forge_commit_url(url).as_deref(), want, "{url}");
        }
    }
}
