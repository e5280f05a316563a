//! Upstream mirrors: fetching a git remote into a bare cache repository,
//! resolving pins, and committing unpacked release snapshots.

use git2::{AutotagOption, FetchOptions, RemoteCallbacks};

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

impl Git {
    /// Fetch every branch and tag of `url` into this (bare) mirror.
    pub fn fetch_mirror(&self, url: &str, progress: &dyn Progress) -> Result<()> {
        let mut remote = self
            .repo
            .remote_anonymous(url)
            .git(|| format!("opening upstream {url}"))?;
        let mut callbacks = RemoteCallbacks::new();
        let mut started = false;
        callbacks.transfer_progress(|stats| {
            if !started && stats.total_objects() > 0 {
                progress.begin("fetching objects", Some(stats.total_objects() as u64));
                started = true;
            }
            progress.set(stats.received_objects() as u64);
            true
        });
        let mut options = FetchOptions::new();
        options
            .remote_callbacks(callbacks)
            .download_tags(AutotagOption::All);
        remote
            .fetch(
                &["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"],
                Some(&mut options),
                None,
            )
            .map_err(|e| {
                Error::Upstream(format!(
                    "fetching {url} failed: {}; check the `git` URL in verda-patch.toml and your network",
                    e.message()
                ))
            })?;
        progress.end();
        Ok(())
    }

    /// Resolve a pin (tag, branch or commit id) to a commit.
    pub fn resolve_pin(&self, pin: &str) -> Option<Oid> {
        let candidates = [format!("refs/tags/{pin}"), format!("refs/heads/{pin}")];
        for name in &candidates {
            if let Ok(reference) = self.repo.find_reference(name) {
                if let Ok(commit) = reference.peel_to_commit() {
                    return Some(commit.id());
                }
            }
        }
        if pin.len() >= 7 && pin.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(object) = self.repo.revparse_single(pin) {
                if let Ok(commit) = object.peel_to_commit() {
                    return Some(commit.id());
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
