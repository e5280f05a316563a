//! Building the queue as commits in an object database: each patch is
//! applied to the blobs it touches (exact position, then an offset search
//! like `git apply`, then a 3-way merge from the patch's preimage blob like
//! `git am -3`), the tree is updated only along the changed paths, and a
//! commit is written. Nothing touches a work tree here.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::LoadedPatch;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::patch::apply_hunks;
use crate::patch::{self, Patch};
use crate::patch::{FileChange, FilePatch, parse_diff};
use crate::progress::Progress;
use crate::repo::{Git, Identity, MODE_FILE, Oid, TreeChange, TreeFile};

/// The trailer that ties a custom-source commit to its patch file.
pub const PATCH_TRAILER: &str = "Verda-Patch";
/// The trailer that gives a new custom-source commit its category.
pub const CATEGORY_TRAILER: &str = "Verda-Category";

/// How a patch went onto its parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "how", rename_all = "kebab-case")]
pub enum How {
    /// Every hunk where the patch says.
    Clean,
    /// Some hunks found at other lines (like `git apply`, reported).
    Offset { hunks: Vec<HunkMove> },
    /// Some files needed a 3-way merge from the preimage blob.
    ThreeWay { files: Vec<String> },
    /// Reused from the apply cache: same parent, same patch bytes.
    Cached,
}

impl How {
    /// In words, for `--verbose`.
    pub fn describe(&self) -> String {
        match self {
            How::Clean => "applied exactly".into(),
            How::Offset { hunks } => {
                let moves: Vec<String> = hunks
                    .iter()
                    .map(|h| format!("{} hunk #{} at offset {:+}", h.file, h.hunk, h.offset))
                    .collect();
                format!("applied at an offset ({})", moves.join(", "))
            }
            How::ThreeWay { files } => {
                format!("applied with a 3-way merge ({})", files.join(", "))
            }
            How::Cached => "cache hit (same parent, same patch bytes)".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HunkMove {
    pub file: String,
    pub hunk: usize,
    pub offset: isize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Built {
    pub path: String,
    #[serde(serialize_with = "crate::serde_oid")]
    pub commit: Oid,
    #[serde(flatten)]
    pub how: How,
}

/// Commits already built, keyed by (parent, patch path, patch bytes). Kept in
/// custom-source's git directory so a re-apply after editing patch 60 of 67
/// replays only 60–67.
#[derive(Debug, Default)]
pub struct ApplyCache {
    entries: HashMap<String, Oid>,
    dirty: bool,
}

impl ApplyCache {
    pub fn load(path: &Path) -> ApplyCache {
        let mut cache = ApplyCache::default();
        if let Ok(text) = std::fs::read_to_string(path) {
            for line in text.lines() {
                if let Some((key, id)) = line.split_once(' ') {
                    if let Ok(id) = Oid::from_str(id) {
                        cache.entries.insert(key.to_string(), id);
                    }
                }
            }
        }
        cache
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let mut lines: Vec<String> = self
            .entries
            .iter()
            .map(|(k, v)| format!("{k} {v}\n"))
            .collect();
        lines.sort();
        fsutil::write_atomic(path, lines.concat().as_bytes())
    }

    fn key(parent: Oid, patch: &LoadedPatch) -> String {
        let mut hasher = Sha256::new();
        hasher.update(parent.as_bytes());
        hasher.update(patch.path.as_bytes());
        hasher.update([0]);
        hasher.update(&patch.bytes);
        crate::hex(&hasher.finalize())
    }
}

/// The commit message a patch gets in custom-source.
pub fn commit_message(patch: &LoadedPatch) -> String {
    patch::with_trailer(patch.patch.message(), PATCH_TRAILER, &patch.path)
}

pub fn identity(patch: &Patch) -> Identity {
    Identity {
        name: patch.author.name.clone(),
        email: patch.author.email.clone(),
        seconds: patch.date.seconds,
        offset_minutes: patch.date.offset_minutes,
    }
}

/// Build `patches` on top of commit `base`; one commit per patch, in order.
/// Stops at the first patch that does not apply, naming it.
pub fn build(
    git: &Git,
    base: Oid,
    patches: &[LoadedPatch],
    mut cache: Option<&mut ApplyCache>,
    progress: &dyn Progress,
) -> Result<Vec<Built>> {
    progress.begin("applying patches", Some(patches.len() as u64));
    let mut parent = base;
    let mut built = Vec::with_capacity(patches.len());
    for (done, patch) in patches.iter().enumerate() {
        let key = ApplyCache::key(parent, patch);
        let cached = cache
            .as_deref()
            .and_then(|c| c.entries.get(&key).copied())
            .filter(|id| git.is_commit(*id));
        let (commit, how) = match cached {
            Some(commit) => (commit, How::Cached),
            None => {
                let tree = git.commit_info(parent)?.tree;
                let (tree, how) = apply_to_tree(git, tree, patch)?;
                let commit = git.commit(
                    tree,
                    &[parent],
                    &identity(&patch.patch),
                    &commit_message(patch),
                )?;
                if let Some(cache) = cache.as_deref_mut() {
                    cache.entries.insert(key, commit);
                    cache.dirty = true;
                }
                (commit, how)
            }
        };
        progress.note(&format!(
            "{}: {} -> {}",
            patch.path,
            how.describe(),
            crate::repo::short(commit)
        ));
        built.push(Built {
            path: patch.path.clone(),
            commit,
            how,
        });
        parent = commit;
        progress.set(done as u64 + 1);
    }
    progress.end();
    Ok(built)
}

/// Apply one patch to `tree`, returning the new tree and how it applied.
pub fn apply_to_tree(git: &Git, tree: Oid, patch: &LoadedPatch) -> Result<(Oid, How)> {
    let fail = |message: String| Error::PatchFailed {
        patch: patch.display(),
        message,
    };
    let diff_line = diff_start_line(&patch.bytes, &patch.patch.diff);
    let files = parse_diff(&patch.patch.diff).map_err(|e| fail(format!("{e}")))?;
    if files.is_empty() {
        return Err(fail(
            "contains no diff; a patch must change at least one file".into(),
        ));
    }
    // Paths changed so far by this patch: Some(file) or None (deleted).
    let mut overlay: HashMap<String, Option<TreeFile>> = HashMap::new();
    let mut moves = Vec::new();
    let mut three_way = Vec::new();
    for file in &files {
        let at = |line: usize| diff_line + line;
        for path in [&file.old_path, &file.new_path].into_iter().flatten() {
            check_path(git, tree, path)
                .map_err(|why| fail(format!("line {}: `{path}` {why}", at(file.line))))?;
        }
        // The path a message names: the new one, or the old for a deletion.
        let name = file
            .new_path
            .as_ref()
            .or(file.old_path.as_ref())
            .cloned()
            .unwrap_or_default();
        if file.binary {
            return Err(fail(format!(
                "line {}: `{name}` is a binary change, which verda-patch cannot apply yet; keep binary files out of patches",
                at(file.line)
            )));
        }
        let current =
            |path: &str, overlay: &HashMap<String, Option<TreeFile>>| -> Result<Option<TreeFile>> {
                match overlay.get(path) {
                    Some(state) => Ok(state.clone()),
                    None => git.file_at(tree, path),
                }
            };
        let old = match &file.old_path {
            Some(path) => match current(path, &overlay)? {
                Some(found) => Some((path.clone(), found)),
                None => {
                    return Err(fail(format!(
                        "line {}: `{path}` does not exist in the tree this patch applies to",
                        at(file.line)
                    )));
                }
            },
            None => None,
        };
        if let (FileChange::Add | FileChange::Rename | FileChange::Copy, Some(path)) =
            (&file.change, &file.new_path)
        {
            let taken = match overlay.get(path) {
                Some(state) => state.is_some(),
                None => git.exists_at(tree, path)?,
            };
            if taken {
                return Err(fail(format!(
                    "line {}: `{path}` already exists",
                    at(file.line)
                )));
            }
        }
        let old_bytes = match &old {
            Some((_, found)) => git.read_blob(found.id)?,
            None => Vec::new(),
        };
        let content = match apply_hunks(&old_bytes, &file.hunks) {
            Ok(applied) => {
                moves.extend(applied.offsets.iter().map(|o| HunkMove {
                    file: name.clone(),
                    hunk: o.hunk + 1,
                    offset: o.offset,
                }));
                applied.content
            }
            Err(mismatch) => match three_way_merge(git, file, &old_bytes, &name)? {
                Some(merged) => {
                    three_way.push(name.clone());
                    merged
                }
                None => {
                    return Err(fail(format!(
                        "hunk #{} (line {}) does not apply to `{name}`: its context is not in the file (expected near line {}){}; \
                         update the patch (apply the queue before it, redo the change in custom-source, then export)",
                        mismatch.hunk + 1,
                        at(mismatch.line),
                        mismatch.expected_at,
                        if file.old_id.is_some() {
                            ", and its preimage blob is not known for a 3-way merge"
                        } else {
                            ""
                        },
                    )));
                }
            },
        };
        match file.change {
            FileChange::Delete => {
                if !content.is_empty() {
                    return Err(fail(format!(
                        "line {}: deletes `{name}` but the file has lines the patch does not remove",
                        at(file.line)
                    )));
                }
                overlay.insert(name, None);
            }
            _ => {
                if file.change == FileChange::Rename {
                    if let Some((old_path, _)) = &old {
                        overlay.insert(old_path.to_string(), None);
                    }
                }
                let mode = file
                    .new_mode
                    .or(old.as_ref().map(|(_, f)| f.mode))
                    .unwrap_or(MODE_FILE);
                let id = git.write_blob(&content)?;
                overlay.insert(name, Some(TreeFile { id, mode }));
            }
        }
    }
    let mut changes: Vec<TreeChange> = overlay
        .into_iter()
        .map(|(path, state)| match state {
            Some(file) => TreeChange::Upsert {
                path,
                id: file.id,
                mode: file.mode,
            },
            None => TreeChange::Remove { path },
        })
        .collect();
    changes.sort_by(|a, b| change_path(a).cmp(change_path(b)));
    let new_tree = git.update_tree(tree, &changes)?;
    let how = if !three_way.is_empty() {
        How::ThreeWay { files: three_way }
    } else if !moves.is_empty() {
        How::Offset { hunks: moves }
    } else {
        How::Clean
    };
    Ok((new_tree, how))
}

fn change_path(change: &TreeChange) -> &str {
    match change {
        TreeChange::Upsert { path, .. } | TreeChange::Remove { path } => path,
    }
}

/// `git am -3`: when the hunks do not apply, find the blob the patch was
/// made against, apply the patch there, and merge the result into ours.
fn three_way_merge(
    git: &Git,
    file: &FilePatch,
    ours: &[u8],
    name: &str,
) -> Result<Option<Vec<u8>>> {
    let Some(base_id) = file
        .old_id
        .as_deref()
        .and_then(|hex| git.blob_by_prefix(hex))
    else {
        return Ok(None);
    };
    let base = git.read_blob(base_id)?;
    let Ok(theirs) = apply_hunks(&base, &file.hunks) else {
        return Ok(None);
    };
    let ours_id = git.write_blob(ours)?;
    let theirs_id = git.write_blob(&theirs.content)?;
    let merged = git.merge_blobs(name, base_id, ours_id, theirs_id, ["base", "ours", "patch"])?;
    Ok(merged.clean.then_some(merged.content))
}

/// Refuse paths a patch must never touch.
fn check_path(git: &Git, tree: Oid, path: &str) -> std::result::Result<(), String> {
    if path.is_empty() || path.starts_with('/') {
        return Err("is an absolute path; patches may only change files inside the project".into());
    }
    for component in path.split('/') {
        match component {
            "" | "." => return Err("is not a normalised relative path".into()),
            ".." => return Err("climbs out of the tree with `..`; refused".into()),
            c if c.eq_ignore_ascii_case(".git") => return Err("is inside `.git/`; refused".into()),
            c if c.contains('\0') => return Err("contains a NUL byte; refused".into()),
            _ => {}
        }
    }
    match git.symlink_ancestor(tree, path) {
        Ok(Some(link)) => Err(format!(
            "is under `{link}`, which is a symlink; writing through it is refused"
        )),
        Ok(None) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// 1-based line of the patch file where its diff text starts, minus one, so
/// that a line number within the diff plus this is a line of the file.
fn diff_start_line(bytes: &[u8], diff: &[u8]) -> usize {
    let probe = &diff[..diff.len().min(64)];
    if probe.is_empty() {
        return 0;
    }
    match bytes.windows(probe.len()).position(|w| w == probe) {
        Some(offset) => bytes[..offset].iter().filter(|&&b| b == b'\n').count(),
        None => 0,
    }
}
