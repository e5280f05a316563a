//! Has upstream already merged a patch? The rules `rebase`, `review` and
//! `list --upstream` share, tried in this order and reported by name:
//!
//! 1. ancestry: the patch's `(cherry picked from commit <sha>)` is an
//!    ancestor of the new release;
//! 2. Change-Id: an upstream commit between the pins carries the patch's
//!    `Change-Id:`, even if upstream's version differs in content;
//! 3. patch-id: an upstream commit between the pins makes the same change
//!    (whitespace and line numbers ignored, like `git patch-id --stable`);
//! 4. empty: replaying the patch onto the new release changes nothing
//!    (decided by the replay itself);
//! 5. changelog: for sources without history (PyPI sdists), the patch's
//!    subject is new in the release's `ChangeLog`.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::LoadedPatch;
use crate::error::Result;
use crate::patch::{self, LineKind, parse_diff};
use crate::repo::{Git, Oid};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    Ancestry,
    ChangeId,
    PatchId,
    Empty,
    Changelog,
}

impl Rule {
    pub fn describe(self) -> &'static str {
        match self {
            Rule::Ancestry => "its cherry-picked commit is in the release",
            Rule::ChangeId => "upstream merged its Change-Id",
            Rule::PatchId => "upstream made the same change (patch-id)",
            Rule::Empty => "it changes nothing on the release",
            Rule::Changelog => "its subject is in the release's ChangeLog",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Upstreamed {
    pub rule: Rule,
    /// The upstream commit that carries it, when known.
    pub commit: Option<String>,
}

/// Upstream commits (with their parent) by the sorted paths they change.
type ByPaths = HashMap<Vec<String>, Vec<(Oid, Oid)>>;

/// What upstream did between two pins, indexed for the rules.
pub struct UpstreamIndex {
    tips: Vec<Oid>,
    change_ids: HashMap<String, Oid>,
    /// Upstream commits in the range, for patch-ids computed on first use.
    commits: Vec<(Oid, Option<Oid>)>,
    /// The commits (with their parent) by the paths they change, in range
    /// order: two diffs can only have the same patch-id if they change the
    /// same paths, so a commit's full diff and patch-id are computed only
    /// when a patch changes the same paths (git's patch-ids do the same with
    /// a header-only hash). Listing the paths reads trees, not blobs.
    by_paths: std::cell::OnceCell<ByPaths>,
    /// Patch-ids computed so far, by commit.
    patch_ids: std::cell::RefCell<HashMap<Oid, Option<String>>>,
    changelog: HashSet<String>,
}

impl UpstreamIndex {
    /// Index the commits reachable from `new_pin` but not from `old_pin`.
    pub fn build(git: &Git, old_pin: Oid, new_pin: Oid) -> Result<UpstreamIndex> {
        UpstreamIndex::build_many(git, old_pin, &[new_pin])
    }

    /// Index the commits reachable from any of `tips` but not from `old_pin`
    /// (e.g. every upstream branch, for `list --upstream`).
    pub fn build_many(git: &Git, old_pin: Oid, tips: &[Oid]) -> Result<UpstreamIndex> {
        let mut change_ids = HashMap::new();
        let mut commits = Vec::new();
        let mut seen = HashSet::new();
        let mut changelog = HashSet::new();
        for tip in tips {
            for commit in git.commits_between(old_pin, *tip)? {
                if !seen.insert(commit.id) {
                    continue;
                }
                if let Some(id) = patch::trailer(&commit.message, "Change-Id") {
                    change_ids.entry(id).or_insert(commit.id);
                }
                if commit.parents.len() <= 1 {
                    commits.push((commit.id, commit.parents.first().copied()));
                }
            }
            changelog.extend(new_changelog_subjects(git, old_pin, *tip)?);
        }
        Ok(UpstreamIndex {
            tips: tips.to_vec(),
            change_ids,
            commits,
            by_paths: Default::default(),
            patch_ids: Default::default(),
            changelog,
        })
    }

    /// Index the whole history up to `pin` for the rules that need no range
    /// (ancestry, Change-Id): does a patch carry what the pin already has?
    /// One walk over commit messages; patch-ids and the ChangeLog need a
    /// range between two pins ([`UpstreamIndex::build`]).
    pub fn up_to(git: &Git, pin: Oid) -> Result<UpstreamIndex> {
        let mut change_ids = HashMap::new();
        git.for_each_message(pin, None, |id, message| {
            if message.contains("Change-Id:") {
                if let Some(change_id) = patch::trailer(message, "Change-Id") {
                    change_ids.entry(change_id).or_insert(id);
                }
            }
            true
        })?;
        Ok(UpstreamIndex {
            tips: vec![pin],
            change_ids,
            commits: Vec::new(),
            by_paths: Default::default(),
            patch_ids: Default::default(),
            changelog: HashSet::new(),
        })
    }

    /// The first rule (1–3, 5) that says `patch` is upstream, if any.
    pub fn detect(&self, git: &Git, patch: &LoadedPatch) -> Result<Option<Upstreamed>> {
        let message = patch.patch.message();
        for sha in patch::cherry_picked_from(message) {
            if let Ok(id) = Oid::from_str(&sha) {
                if git.is_commit(id) && self.reaches(git, id)? {
                    return Ok(Some(Upstreamed {
                        rule: Rule::Ancestry,
                        commit: Some(id.to_string()),
                    }));
                }
            }
        }
        if let Some(change_id) = patch::trailer(message, "Change-Id") {
            if let Some(id) = self.change_ids.get(&change_id) {
                return Ok(Some(Upstreamed {
                    rule: Rule::ChangeId,
                    commit: Some(id.to_string()),
                }));
            }
        }
        if let Some(ours) = patch_id(&patch.patch.diff) {
            if let Some(id) = self.same_change(git, &patch.patch.diff, &ours)? {
                return Ok(Some(Upstreamed {
                    rule: Rule::PatchId,
                    commit: Some(id.to_string()),
                }));
            }
        }
        if self.changelog.contains(patch.patch.subject().trim()) {
            return Ok(Some(Upstreamed {
                rule: Rule::Changelog,
                commit: None,
            }));
        }
        Ok(None)
    }

    fn reaches(&self, git: &Git, id: Oid) -> Result<bool> {
        for tip in &self.tips {
            if git.is_ancestor(id, *tip)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The first upstream commit in the range whose patch-id is `ours`.
    fn same_change(&self, git: &Git, diff: &[u8], ours: &str) -> Result<Option<Oid>> {
        let Some(candidates) = self.by_paths(git)?.get(&diff_paths(diff)) else {
            return Ok(None);
        };
        for (commit, parent) in candidates {
            let known = self.patch_ids.borrow().get(commit).cloned();
            let id = match known {
                Some(id) => id,
                None => {
                    let diff = git.diff_trees(git.tree_of(*parent)?, git.tree_of(*commit)?)?;
                    let id = patch_id(&diff);
                    self.patch_ids.borrow_mut().insert(*commit, id.clone());
                    id
                }
            };
            if id.as_deref() == Some(ours) {
                return Ok(Some(*commit));
            }
        }
        Ok(None)
    }

    fn by_paths(&self, git: &Git) -> Result<&ByPaths> {
        if let Some(map) = self.by_paths.get() {
            return Ok(map);
        }
        let mut map = ByPaths::new();
        for (commit, parent) in &self.commits {
            let Some(parent) = parent else { continue };
            let mut paths = git.changed_paths(git.tree_of(*parent)?, git.tree_of(*commit)?)?;
            paths.sort();
            paths.dedup();
            map.entry(paths).or_default().push((*commit, *parent));
        }
        Ok(self.by_paths.get_or_init(|| map))
    }
}

/// Where a patch stands upstream.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Standing {
    /// In a release: the first release tag that contains it.
    Merged {
        release: String,
        rule: Rule,
        commit: Option<String>,
    },
    /// On branches, in no release yet; `since` is the commit's date.
    OnBranch {
        branches: Vec<String>,
        since: String,
        rule: Rule,
        commit: String,
    },
    NotUpstream,
}

impl Standing {
    pub fn describe(&self) -> String {
        match self {
            Standing::Merged { release, .. } => format!("merged in {release}"),
            Standing::OnBranch {
                branches, since, ..
            } => format!("on {} since {since}", branches.join(", ")),
            Standing::NotUpstream => "not upstream".into(),
        }
    }
}

/// Where each patch stands in the upstream mirror's history after `pin`:
/// the rules above against every branch, then the first release tag (in
/// version order) that contains the upstream commit.
pub fn standing(git: &Git, pin: Oid, patches: &[LoadedPatch]) -> Result<Vec<Standing>> {
    let branches = git.refs_under("refs/heads/")?;
    let tips: Vec<Oid> = branches.iter().map(|(_, id)| *id).collect();
    let index = UpstreamIndex::build_many(git, pin, &tips)?;
    let mut tags: Vec<(String, Oid)> = git
        .tag_names()
        .into_iter()
        .filter_map(|t| git.resolve_pin(&t).map(|id| (t, id)))
        .collect();
    tags.sort_by_key(|(t, _)| crate::upstream::version_key(t));
    let mut out = Vec::with_capacity(patches.len());
    for patch in patches {
        let Some(found) = index.detect(git, patch)? else {
            out.push(Standing::NotUpstream);
            continue;
        };
        let Some(commit) = found.commit.as_deref().and_then(|c| Oid::from_str(c).ok()) else {
            out.push(Standing::Merged {
                release: "a later release".into(),
                rule: found.rule,
                commit: None,
            });
            continue;
        };
        let mut release = None;
        for (tag, id) in &tags {
            if git.is_ancestor(commit, *id)? {
                release = Some(tag.clone());
                break;
            }
        }
        out.push(match release {
            Some(release) => Standing::Merged {
                release,
                rule: found.rule,
                commit: found.commit,
            },
            None => {
                let mut on = Vec::new();
                for (name, id) in &branches {
                    if git.is_ancestor(commit, *id)? {
                        on.push(name.trim_start_matches("refs/heads/").to_string());
                    }
                }
                let when = git.commit_info(commit)?.committed;
                Standing::OnBranch {
                    branches: on,
                    since: chrono::DateTime::from_timestamp(when, 0)
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                    rule: found.rule,
                    commit: commit.to_string(),
                }
            }
        });
    }
    Ok(out)
}

/// A stable patch-id: per file, the paths and the changed and context lines
/// with all whitespace removed (no line numbers, no index lines), hashed;
/// the file hashes combined independently of file order.
pub fn patch_id(diff: &[u8]) -> Option<String> {
    let files = parse_diff(diff).ok()?;
    if files.is_empty() {
        return None;
    }
    let mut total = [0u8; 32];
    for file in &files {
        let mut hasher = Sha256::new();
        hasher.update(file.old_path.as_deref().unwrap_or("/dev/null").as_bytes());
        hasher.update([0]);
        hasher.update(file.new_path.as_deref().unwrap_or("/dev/null").as_bytes());
        for hunk in &file.hunks {
            for line in &hunk.lines {
                let mark = match line.kind {
                    LineKind::Add => b'+',
                    LineKind::Remove => b'-',
                    LineKind::Context => b' ',
                };
                hasher.update([mark]);
                hasher.update(
                    line.text
                        .iter()
                        .copied()
                        .filter(|b| !b.is_ascii_whitespace())
                        .collect::<Vec<u8>>(),
                );
                hasher.update([b'\n']);
            }
        }
        // Order-independent sum, like `git patch-id --stable`.
        let digest = hasher.finalize();
        let mut carry = 0u16;
        for i in (0..32).rev() {
            let sum = total[i] as u16 + digest[i] as u16 + carry;
            total[i] = sum as u8;
            carry = sum >> 8;
        }
    }
    Some(crate::hex(&total))
}

/// The paths a diff changes (old and new, sorted, once each), as
/// `Git::changed_paths` lists them for two trees.
fn diff_paths(diff: &[u8]) -> Vec<String> {
    let mut paths: Vec<String> = parse_diff(diff)
        .unwrap_or_default()
        .into_iter()
        .flat_map(|file| [file.old_path, file.new_path])
        .flatten()
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Subjects listed in the new release's `ChangeLog` (pbr's format: `* subject`)
/// that the old release's does not list. Empty when there is no ChangeLog.
fn new_changelog_subjects(git: &Git, old_pin: Oid, new_pin: Oid) -> Result<HashSet<String>> {
    let read = |pin: Oid| -> Result<HashSet<String>> {
        let Some(file) = git.file_at(git.tree_of(pin)?, "ChangeLog")? else {
            return Ok(HashSet::new());
        };
        let text = String::from_utf8_lossy(&git.read_blob(file.id)?).into_owned();
        Ok(text
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("* "))
            .map(|s| s.trim().to_string())
            .collect())
    };
    let old = read(old_pin)?;
    Ok(read(new_pin)?
        .into_iter()
        .filter(|s| !old.contains(s))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::patch_id;

    const A: &[u8] = b"diff --git a/f b/f\nindex 1..2 100644\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n ctx\n-old\n+new  value\n";

    #[test]
    fn patch_id_ignores_line_numbers_index_and_whitespace() {
        let moved = b"diff --git a/f b/f\nindex 3..4 100644\n--- a/f\n+++ b/f\n@@ -40,2 +41,2 @@ def x():\n ctx\n-old\n+new value\n";
        assert_eq!(patch_id(A), patch_id(moved));
        let other = b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n ctx\n-old\n+newer\n";
        assert_ne!(patch_id(A), patch_id(other));
    }
}
