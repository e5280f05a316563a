//! Upstream mirrors: fetching a remote into a bare cache repository,
//! resolving pins, and committing unpacked release snapshots.
//!
//! Fetching runs the `git` executable (like cargo's `net.git-fetch-with-cli`),
//! so every URL form git knows (`ssh://`, `user@host:path`, https behind
//! credential helpers and proxies, `file://`, local paths) and the user's
//! whole git configuration (`url.<base>.insteadOf`, `http.proxy`,
//! `http.extraHeader`, `core.sshCommand`, ...) work as they do in a shell.
//! libgit2 reads the mirror afterwards.

use std::io::{Read, Write};
use std::process::{ChildStderr, Command, Stdio};

use serde::Serialize;

use super::{Git, Identity, Oid, TreeChange};
use crate::error::{Error, GitContext, Result};
use crate::progress::Progress;

/// A file of a release snapshot (e.g. an unpacked sdist).
#[derive(Debug, Clone)]
pub struct SnapshotFile {
    pub path: String,
    pub mode: u32,
    pub content: Vec<u8>,
}

/// What a pin names in the mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PinKind {
    /// A tag.
    Tag,
    /// A branch: its tip at the last fetch (`fetch` moves it).
    Branch,
    /// A commit id.
    Commit,
}

impl PinKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PinKind::Tag => "tag",
            PinKind::Branch => "branch",
            PinKind::Commit => "commit",
        }
    }
}

/// The refs a mirror keeps: branches and tags, forced to follow upstream
/// (a forge's `refs/pull/*` and other namespaces are not wanted).
const MIRROR_REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

/// Variables that would send the child git to another repository than the
/// mirror (they are set when verda-patch runs inside a git hook).
const REPOSITORY_ENV: [&str; 6] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
];

/// Bytes of git's stderr kept for an error message (its tail).
const STDERR_KEPT: usize = 64 * 1024;

/// Lines of git's own message an error quotes (its last meaningful ones).
const QUOTED_LINES: usize = 4;

impl Git {
    /// Fetch every branch and tag of `url` into this bare mirror with
    /// `git fetch`: only objects the mirror lacks are transferred; a branch
    /// or tag that moved upstream moves here too; refs deleted upstream are
    /// kept (even under `fetch.prune`). git draws its own progress where
    /// `progress` offers a terminal (`Progress::child_progress`) and is
    /// quiet otherwise.
    ///
    /// Errors: [`Error::Upstream`] naming `url` (credentials removed) and
    /// quoting git's message, when `git` does not start or the fetch fails.
    pub fn fetch_mirror(&self, url: &str, progress: &dyn Progress) -> Result<()> {
        let shown = redact_credentials(url);
        let meter = progress.child_progress();
        let git_draws = meter.is_some();
        let mut command = Command::new("git");
        command
            .arg("--git-dir")
            .arg(self.repo.path())
            // Finish any automatic gc before libgit2 reads the packs.
            .args([
                "-c",
                "gc.autoDetach=false",
                "-c",
                "maintenance.autoDetach=false",
            ])
            // A ref deleted upstream stays (a pin on an end-of-life branch
            // keeps working), whatever `fetch.prune` says.
            .args(["fetch", "--quiet", "--no-prune", "--no-recurse-submodules"]);
        if git_draws {
            command.arg("--progress");
        }
        command.arg("--").arg(url).args(MIRROR_REFSPECS);
        for name in REPOSITORY_ENV {
            command.env_remove(name);
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|e| {
            Error::Upstream(format!(
                "fetching {shown} needs the `git` executable, which did not start: {e}; install git"
            ))
        })?;
        // A bar of ours would fight git's meter.
        if !git_draws {
            progress.begin(&format!("git fetch {shown}"), None);
        }
        let stderr = read_stderr(child.stderr.take(), meter);
        let status = child.wait().map_err(|e| {
            Error::Upstream(format!(
                "fetching {shown}: waiting for `git fetch` failed: {e}"
            ))
        })?;
        if !git_draws {
            progress.end();
        }
        if !status.success() {
            let said = git_message(&stderr);
            let quoted = if said.is_empty() {
                " and git said nothing; ".to_string()
            } else {
                let lines: String = said.iter().map(|line| format!("    {line}\n")).collect();
                format!("; git said:\n{lines}")
            };
            return Err(Error::Upstream(format!(
                "fetching {shown} failed ({status}){quoted}check the `git` URL in verda-patch.toml, the network and your git configuration (`git ls-remote {shown}` shows the same)"
            )));
        }
        // New packs appeared behind libgit2's back.
        self.repo
            .odb()
            .and_then(|odb| odb.refresh())
            .git(|| format!("reading the mirror of {shown}"))?;
        Ok(())
    }

    /// Resolve a pin (tag, branch or commit id) to a commit.
    pub fn resolve_pin(&self, pin: &str) -> Option<Oid> {
        self.resolve_pin_kind(pin).map(|(id, _)| id)
    }

    /// Resolve a pin to a commit and say what it named: a tag first, then
    /// a branch (its tip at the last fetch), then a commit id of 7 or more
    /// hex digits, the order `git rev-parse` tries them.
    pub fn resolve_pin_kind(&self, pin: &str) -> Option<(Oid, PinKind)> {
        let candidates = [
            (format!("refs/tags/{pin}"), PinKind::Tag),
            (format!("refs/heads/{pin}"), PinKind::Branch),
        ];
        for (name, kind) in &candidates {
            if let Ok(reference) = self.repo.find_reference(name) {
                if let Ok(commit) = reference.peel_to_commit() {
                    return Some((commit.id(), *kind));
                }
            }
        }
        if pin.len() >= 7 && pin.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(object) = self.repo.revparse_single(pin) {
                if let Ok(commit) = object.peel_to_commit() {
                    return Some((commit.id(), PinKind::Commit));
                }
            }
        }
        None
    }

    /// Tag names of this mirror, for suggestions in error messages.
    pub fn tag_names(&self) -> Vec<String> {
        self.repo
            .tag_names(None)
            .map(|tags| tags.iter().flatten().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// Commit `files` as a snapshot on `branch` (a child of its current
    /// tip) and tag it `tag`. Returns the commit.
    pub fn write_snapshot(
        &self,
        files: &[SnapshotFile],
        branch: &str,
        tag: &str,
        who: &Identity,
        message: &str,
    ) -> Result<Oid> {
        let mut changes = Vec::with_capacity(files.len());
        for file in files {
            let id = self.write_blob(&file.content)?;
            changes.push(TreeChange::Upsert {
                path: file.path.clone(),
                id,
                mode: file.mode,
            });
        }
        let tree = self.update_tree(self.empty_tree()?, &changes)?;
        let branch_ref = format!("refs/heads/{branch}");
        let parents: Vec<Oid> = self.ref_target(&branch_ref).into_iter().collect();
        let commit = self.commit(tree, &parents, who, message)?;
        self.set_ref(
            &format!("refs/tags/{tag}"),
            commit,
            "verda-patch: import snapshot",
        )?;
        self.set_ref(&branch_ref, commit, "verda-patch: import snapshot")?;
        Ok(commit)
    }
}

/// Read the child's stderr to its end, passing it to `meter` as it comes
/// (git's progress redraws lines with `\r`), and return its tail.
fn read_stderr(stderr: Option<ChildStderr>, mut meter: Option<Box<dyn Write>>) -> Vec<u8> {
    let mut kept = Vec::new();
    let Some(mut stderr) = stderr else {
        return kept;
    };
    let mut buf = [0u8; 8192];
    loop {
        let n = match stderr.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        if let Some(out) = meter.as_mut() {
            // A terminal that went away must not stop the fetch.
            if out.write_all(&buf[..n]).and_then(|()| out.flush()).is_err() {
                meter = None;
            }
        }
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > 2 * STDERR_KEPT {
            kept.drain(..kept.len() - STDERR_KEPT);
        }
    }
    kept
}

/// git's own message in its stderr: the last few lines that are not
/// progress meters, credentials removed.
fn git_message(stderr: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(stderr).replace("\x1b[K", "");
    let lines: Vec<&str> = text
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|line| !line.is_empty() && !is_progress(line))
        .collect();
    lines[lines.len().saturating_sub(QUOTED_LINES)..]
        .iter()
        .map(|line| redact_credentials(line))
        .collect()
}

/// A progress meter line of git or its remote (`Receiving objects:  45%
/// (9/20)`, `remote: Enumerating objects: 5, done.`, `Total 3 (delta 0)`).
fn is_progress(line: &str) -> bool {
    let line = line.strip_prefix("remote:").map_or(line, str::trim_start);
    let meter = line.split_once("% (").is_some_and(|(before, after)| {
        before.ends_with(|c: char| c.is_ascii_digit())
            && after.starts_with(|c: char| c.is_ascii_digit())
    });
    meter || line.starts_with("Enumerating objects: ") || line.starts_with("Total ")
}

/// `text` with the credentials of every URL in it removed: `user:pass@`
/// always, and any user name of an http(s) or ftp(s) URL (a token is often
/// written there). An ssh user name (`ssh://git@host`) is kept.
pub fn redact_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let scheme = before[..at]
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let end = after
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(sign)
                if authority[..sign].contains(':')
                    || scheme.starts_with("http")
                    || scheme.starts_with("ftp") =>
            {
                out.push_str(&authority[sign + 1..])
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_removed_from_urls_in_text() {
        assert_eq!(
            redact_credentials(
                "fatal: unable to access 'https://ada:s3cret@git.example.org/nova/': 403"
            ),
            "fatal: unable to access 'https://git.example.org/nova/': 403"
        );
        assert_eq!(
            redact_credentials("https://ghp_token@github.com/openstack/nova"),
            "https://github.com/openstack/nova"
        );
        assert_eq!(
            redact_credentials("ssh://ada:pw@review.example.org:29418/nova"),
            "ssh://review.example.org:29418/nova"
        );
        assert_eq!(
            redact_credentials("ssh://git@review.example.org/nova and git@host:nova"),
            "ssh://git@review.example.org/nova and git@host:nova"
        );
        assert_eq!(redact_credentials("/srv/git/nova"), "/srv/git/nova");
    }

    #[test]
    fn git_message_skips_progress_and_keeps_the_last_lines() {
        let stderr = b"remote: Enumerating objects: 5, done.\x1b[K\r\nremote: Counting objects:  40% (2/5)\x1b[K\rremote: Counting objects: 100% (5/5), done.\x1b[K\nReceiving objects:  20% (1/5)\rerror: RPC failed; curl 92 HTTP/2 stream 5 was not closed cleanly\nfatal: early EOF\nfatal: fetch-pack: invalid index-pack output\n";
        assert_eq!(
            git_message(stderr),
            [
                "error: RPC failed; curl 92 HTTP/2 stream 5 was not closed cleanly",
                "fatal: early EOF",
                "fatal: fetch-pack: invalid index-pack output"
            ]
        );
    }
}
