//! Building the queue as commits in an object database: each patch is
//! applied to the blobs it touches (exact position, then an offset search
//! like `git apply`, then in the file's line endings, then a 3-way merge
//! from the patch's preimage blob like `git am -3`), binary files by their
//! full `index` ids like apply.c `apply_binary`, submodules as their
//! "Subproject commit" text; the tree is updated only along the changed
//! paths, and a commit is written. A patch that changes nothing is refused
//! as already applied. Nothing touches a work tree here.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::LoadedPatch;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::patch::{self, Patch};
use crate::patch::{
    BinaryError, BinaryPatch, FileChange, FilePatch, LineEndings, LineKind, apply_binary,
    apply_hunks, line_endings, parse_diff, with_line_endings,
};
use crate::progress::Progress;
use crate::repo::{Git, Identity, MODE_COMMIT, MODE_FILE, Oid, TreeChange, TreeFile};

/// The trailer that ties a custom-source commit to its patch file.
pub const PATCH_TRAILER: &str = "Verda-Patch";
/// The trailer that gives a new custom-source commit its category.
pub const CATEGORY_TRAILER: &str = "Verda-Category";

/// How a patch went onto its parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The change is already in the tree: no commit was made.
    AlreadyApplied,
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
            How::AlreadyApplied => "already applied (changes nothing; no commit)".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Commits already built, keyed by (parent, patch path, patch bytes), and
/// the trees patches made, keyed by (parent tree, diff). Kept in
/// custom-source's git directory so a re-apply after editing patch 60 of 67
/// replays only 60–67, and after editing only its message (a subject, an
/// `Upstream-Status:`) applies nothing again: 60–67 get new commits on the
/// trees they made before.
///
/// The file has a line `<key> <commit>` per commit and `T<key> <tree>
/// <how as JSON>` per tree.
#[derive(Debug, Default)]
pub struct ApplyCache {
    entries: HashMap<String, Oid>,
    trees: HashMap<String, (Oid, How)>,
    dirty: bool,
}

impl ApplyCache {
    pub fn load(path: &Path) -> ApplyCache {
        let mut cache = ApplyCache::default();
        if let Ok(text) = std::fs::read_to_string(path) {
            for line in text.lines() {
                if let Some(key) = line.strip_prefix('T') {
                    let mut fields = key.splitn(3, ' ');
                    let (Some(key), Some(tree), Some(how)) =
                        (fields.next(), fields.next(), fields.next())
                    else {
                        continue;
                    };
                    if let (Ok(tree), Ok(how)) = (Oid::from_str(tree), serde_json::from_str(how)) {
                        cache.trees.insert(key.to_string(), (tree, how));
                    }
                } else if let Some((key, id)) = line.split_once(' ') {
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
        for (key, (tree, how)) in &self.trees {
            let how = serde_json::to_string(how).map_err(|e| Error::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(e),
            })?;
            lines.push(format!("T{key} {tree} {how}\n"));
        }
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

    /// What the tree a patch makes depends on: the tree it applies to and
    /// its diff (not its message, author or file name).
    fn tree_key(parent_tree: Oid, patch: &LoadedPatch) -> String {
        let mut hasher = Sha256::new();
        hasher.update(parent_tree.as_bytes());
        hasher.update(&patch.patch.diff);
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

/// Why a patch that changes nothing is refused (apply and check).
pub const ALREADY_APPLIED: &str = "is already applied: its change is already contained in the \
     tree it applies to (the pin and the patches before it), so it would make an empty commit \
     (git am: \"No changes -- Patch already applied.\")";

/// What to do about a patch that is already applied.
pub const ALREADY_APPLIED_HINT: &str = "to move the queue to a release that contains it, put \
     the previous pin back and run `verda-patch rebase --to <release>` (it drops patches \
     upstream already has); otherwise remove the patch from the series";

/// Build `patches` on top of commit `base`; one commit per patch, in order.
/// Stops at the first patch that does not apply, naming it. A patch that
/// changes nothing (its change is already in the tree, like `git am -3`'s
/// "No changes -- Patch already applied.") is refused too, after the rest
/// of the queue was tried, naming every such patch.
pub fn build(
    git: &Git,
    base: Oid,
    patches: &[LoadedPatch],
    cache: Option<&mut ApplyCache>,
    progress: &dyn Progress,
) -> Result<Vec<Built>> {
    let built = build_keeping_applied(git, base, patches, cache, progress)?;
    let already = already_applied(&built, patches);
    match already.split_first() {
        None => Ok(built),
        Some((first, rest)) => Err(Error::PatchFailed {
            patch: first.display(),
            message: format!("{ALREADY_APPLIED}{}", also_applied(rest)),
        }),
    }
}

/// The patches (of those `built` was made from) that changed nothing.
fn already_applied<'a>(built: &[Built], patches: &'a [LoadedPatch]) -> Vec<&'a LoadedPatch> {
    built
        .iter()
        .zip(patches)
        .filter(|(b, _)| b.how == How::AlreadyApplied)
        .map(|(_, p)| p)
        .collect()
}

/// Lines naming `others` as already applied, and the hint.
fn also_applied(others: &[&LoadedPatch]) -> String {
    let mut text: String = others
        .iter()
        .map(|p| format!("\n{}: {ALREADY_APPLIED}", p.display()))
        .collect();
    text.push_str(&format!("\n{ALREADY_APPLIED_HINT}"));
    text
}

/// Like [`build`], but a patch that changes nothing is not an error: its
/// [`Built`] has [`How::AlreadyApplied`] and, as `commit`, its parent.
pub fn build_keeping_applied(
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
                let parent_tree = git.commit_info(parent)?.tree;
                let tree_key = ApplyCache::tree_key(parent_tree, patch);
                let made = cache
                    .as_deref()
                    .and_then(|c| c.trees.get(&tree_key).cloned())
                    .filter(|(tree, _)| git.has_object(*tree));
                let (tree, how) = match made {
                    Some(made) => {
                        progress.note(&format!(
                            "{}: its diff is unchanged on the same tree: tree {} reused",
                            patch.path,
                            crate::repo::short(made.0)
                        ));
                        made
                    }
                    // A failure also names the patches before it that were
                    // already applied, so that one run tells about all of them.
                    None => apply_to_tree(git, parent_tree, patch).map_err(|e| {
                        match (e, already_applied(&built, patches)) {
                            (Error::PatchFailed { patch, message }, already)
                                if !already.is_empty() =>
                            {
                                Error::PatchFailed {
                                    patch,
                                    message: format!("{message}{}", also_applied(&already)),
                                }
                            }
                            (e, _) => e,
                        }
                    })?,
                };
                if let Some(cache) = cache.as_deref_mut() {
                    if let std::collections::hash_map::Entry::Vacant(entry) =
                        cache.trees.entry(tree_key)
                    {
                        entry.insert((tree, how.clone()));
                        cache.dirty = true;
                    }
                }
                if tree == parent_tree {
                    (parent, How::AlreadyApplied)
                } else {
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

/// What one file of a patch becomes.
enum NewState {
    /// These bytes, as a blob.
    Bytes(Vec<u8>),
    /// A blob that is already in the repository (a binary postimage).
    Blob(Oid),
    /// A submodule at this commit.
    Gitlink(Oid),
    /// Nothing: the file is deleted.
    Gone,
}

/// Why a file's hunks do not apply, as far as the 3-way fallback could tell.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ThreeWayFailure {
    /// The patch has no `index` line naming its preimage blob.
    NoIndexLine,
    /// The `index` line names a blob this repository does not have.
    BlobUnknown(String),
    /// The blob is known but the hunks do not apply to it either.
    NotOnPreimage(String),
    /// The hunks apply to the blob, but merging the result into the file
    /// conflicts.
    Conflict(String),
}

/// A text file patch that did not apply, with the true cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "hunk #{} (line {line}) does not apply to `{name}`: its context is not in the file \
     (expected near line {expected_at}){}{}; update the patch (apply the queue before it, \
     redo the change in custom-source, then export)",
    .hunk + 1,
    .three_way.describe(.name),
    .endings.map(|e| format!("; line endings differ: {e}")).unwrap_or_default()
)]
struct HunkFailure {
    name: String,
    hunk: usize,
    line: usize,
    expected_at: usize,
    three_way: ThreeWayFailure,
    endings: Option<LineEndings>,
}

impl ThreeWayFailure {
    fn describe(&self, name: &str) -> String {
        match self {
            ThreeWayFailure::NoIndexLine => {
                ", and the patch has no `index` line naming its preimage for a 3-way merge".into()
            }
            ThreeWayFailure::BlobUnknown(id) => format!(
                ", and its preimage blob {id} (from the `index` line) is not in the upstream \
                 repository, so no 3-way merge is possible"
            ),
            ThreeWayFailure::NotOnPreimage(id) => format!(
                ", and it does not apply to its preimage blob {id} either (a damaged or \
                 hand-edited patch, or one made with fewer context lines)"
            ),
            ThreeWayFailure::Conflict(id) => {
                format!("; the 3-way merge from its preimage blob {id} conflicts in `{name}`")
            }
        }
    }
}

/// Why a binary file patch did not apply (apply.c `apply_binary`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum BinaryFailure {
    #[error(
        "`{0}` is a binary change without data (\"Binary files ... differ\") and without full \
         object ids on its `index` line; regenerate the patch with `git format-patch --binary` \
         (or export it from custom-source)"
    )]
    NoData(String),
    #[error(
        "cannot apply the binary patch to `{0}` without full object ids on its `index` line \
         (`git diff --binary --full-index` writes them)"
    )]
    NoFullIndex(String),
    #[error(
        "`{0}` is a binary change without data (\"Binary files ... differ\") and its postimage \
         {1} is not in the repository; regenerate the patch with `git format-patch --binary`"
    )]
    MissingData(String, String),
    #[error(
        "the binary patch applies to `{name}` ({expected}), which does not match the current \
         contents ({found}){}",
        if *.known { "; the 3-way merge with that blob conflicts" } else { ", and that blob is not in the repository for a 3-way merge" }
    )]
    Preimage {
        name: String,
        expected: String,
        found: String,
        known: bool,
    },
    #[error("the binary patch does not apply to `{0}`: {1}")]
    Corrupt(String, BinaryError),
    #[error(
        "the binary patch to `{name}` creates an incorrect result (expecting {expected}, got {got})"
    )]
    WrongResult {
        name: String,
        expected: String,
        got: String,
    },
}

/// Why a submodule (gitlink) change did not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum GitlinkFailure {
    #[error(
        "the patch moves submodule `{name}` from commit {expected}, but the tree has it at \
         {found}; update the patch (apply the queue before it, redo the change in \
         custom-source, then export)"
    )]
    Moved {
        name: String,
        expected: String,
        found: String,
    },
    #[error("corrupt patch for submodule `{0}` (expected \"Subproject commit <id>\" lines)")]
    Corrupt(String),
}

/// Apply one patch to `tree`, returning the new tree and how it applied.
/// The tree comes back unchanged when the patch's change is already in it.
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
    // Paths this patch writes: a rename source that another file patch of
    // the same patch recreates (a rename chain) keeps its new content.
    let mut created: HashSet<String> = HashSet::new();
    // Paths the patch deletes or renames away (apply.c `to_be_deleted`): a
    // file patch may create them, in any order.
    let going: HashSet<&str> = files
        .iter()
        .filter(|f| matches!(f.change, FileChange::Delete | FileChange::Rename))
        .filter_map(|f| f.old_path.as_deref())
        .collect();
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
        let current =
            |path: &str, overlay: &HashMap<String, Option<TreeFile>>| -> Result<Option<TreeFile>> {
                match overlay.get(path) {
                    Some(state) => Ok(*state),
                    None => git.entry_at(tree, path),
                }
            };
        // A copy or rename reads its source as the preimage had it, whatever
        // other file patches of this patch do to it (apply.c
        // `previous_patch`: "git" patches do not depend on the order).
        let source = |path: &str, overlay: &HashMap<String, Option<TreeFile>>| {
            if matches!(file.change, FileChange::Copy | FileChange::Rename) {
                git.entry_at(tree, path)
            } else {
                current(path, overlay)
            }
        };
        let old = match &file.old_path {
            Some(path) => match source(path, &overlay)? {
                Some(found) => Some((path.clone(), found)),
                None => {
                    let what = if git.exists_at(tree, path)? && !overlay.contains_key(path) {
                        "is a directory in the tree this patch applies to, not a file"
                    } else {
                        "does not exist in the tree this patch applies to"
                    };
                    return Err(fail(format!("line {}: `{path}` {what}", at(file.line))));
                }
            },
            None => None,
        };
        if let (FileChange::Add | FileChange::Rename | FileChange::Copy, Some(path)) =
            (&file.change, &file.new_path)
        {
            let taken = match overlay.get(path) {
                Some(state) => state.is_some(),
                None => {
                    git.exists_at(tree, path)?
                        && !going.contains(path.as_str())
                        && !emptied_directory(git, tree, path, &going)?
                }
            };
            if taken {
                return Err(fail(format!(
                    "line {}: `{path}` already exists",
                    at(file.line)
                )));
            }
        }
        let old_file = old.as_ref().map(|(_, f)| *f);
        let is_gitlink =
            [file.old_mode, file.new_mode, old_file.map(|f| f.mode)].contains(&Some(MODE_COMMIT));
        let new_state = if let Some(binary) = &file.binary {
            apply_binary_file(git, file, binary, old_file, &name)?
                .map_err(|e| fail(format!("line {}: {e}", at(file.line))))?
        } else if is_gitlink {
            apply_gitlink(file, old_file, &name)
                .map_err(|e| fail(format!("line {}: {e}", at(file.line))))?
        } else {
            let old_bytes = match old_file {
                Some(found) => git.read_blob(found.id)?,
                None => Vec::new(),
            };
            match apply_text(git, file, &old_bytes, &name)? {
                Ok((content, TextHow::Exact(offsets))) => {
                    moves.extend(offsets.iter().map(|o| HunkMove {
                        file: name.clone(),
                        hunk: o.hunk + 1,
                        offset: o.offset,
                    }));
                    NewState::Bytes(content)
                }
                Ok((content, TextHow::ThreeWay)) => {
                    three_way.push(name.clone());
                    NewState::Bytes(content)
                }
                Err(failure) => {
                    let failure = HunkFailure {
                        line: at(failure.line),
                        ..failure
                    };
                    return Err(fail(failure.to_string()));
                }
            }
        };
        let new_state = match (file.change, new_state) {
            (FileChange::Delete, NewState::Bytes(content)) if !content.is_empty() => {
                return Err(fail(format!(
                    "line {}: deletes `{name}` but the file has lines the patch does not remove",
                    at(file.line)
                )));
            }
            (FileChange::Delete, _) => NewState::Gone,
            (_, state) => state,
        };
        if file.change == FileChange::Rename {
            if let Some((old_path, _)) = &old {
                if !created.contains(old_path) {
                    overlay.insert(old_path.to_string(), None);
                }
            }
        }
        let mode = file
            .new_mode
            .or(old_file.map(|f| f.mode))
            .unwrap_or(MODE_FILE);
        let entry = match new_state {
            NewState::Gone => None,
            NewState::Bytes(content) => Some(TreeFile {
                id: git.write_blob(&content)?,
                mode,
            }),
            NewState::Blob(id) => Some(TreeFile { id, mode }),
            NewState::Gitlink(id) => Some(TreeFile {
                id,
                mode: MODE_COMMIT,
            }),
        };
        if entry.is_some() {
            created.insert(name.clone());
        }
        overlay.insert(name, entry);
    }
    // A directory replaced by a file or gitlink: its files' removals are
    // implied by the new entry.
    let replaced: Vec<String> = overlay
        .iter()
        .filter(|(_, state)| state.is_some())
        .map(|(path, _)| format!("{path}/"))
        .collect();
    overlay
        .retain(|path, state| state.is_some() || !replaced.iter().any(|dir| path.starts_with(dir)));
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

/// Whether `path` is a directory of `tree` all of whose files the patch
/// deletes or renames away (so a file or gitlink may take its place).
fn emptied_directory(git: &Git, tree: Oid, path: &str, going: &HashSet<&str>) -> Result<bool> {
    let files = git.files_under(tree, path)?;
    Ok(!files.is_empty() && files.iter().all(|f| going.contains(f.as_str())))
}

fn change_path(change: &TreeChange) -> &str {
    match change {
        TreeChange::Upsert { path, .. } | TreeChange::Remove { path } => path,
    }
}

/// How a text file's hunks went on.
enum TextHow {
    /// Where the hunks say or at offsets (in the file's line endings).
    Exact(Vec<crate::patch::HunkOffset>),
    /// Through the 3-way fallback.
    ThreeWay,
}

/// Applies a text file's hunks to `old`: as they are; then, when the
/// patch's line endings differ from the file's throughout, in the file's
/// (`git am` strips a CRLF mail's CRs; `git am --keep-cr` keeps a CRLF
/// file's); then by a 3-way merge from the preimage blob (`git am -3`).
fn apply_text(
    git: &Git,
    file: &FilePatch,
    old: &[u8],
    name: &str,
) -> Result<std::result::Result<(Vec<u8>, TextHow), HunkFailure>> {
    let mismatch = match apply_hunks(old, &file.hunks) {
        Ok(applied) => return Ok(Ok((applied.content, TextHow::Exact(applied.offsets)))),
        Err(mismatch) => mismatch,
    };
    let endings = line_endings(old, &file.hunks);
    let hunks = match endings {
        Some(endings) => {
            let converted = with_line_endings(&file.hunks, endings);
            if let Ok(applied) = apply_hunks(old, &converted) {
                return Ok(Ok((applied.content, TextHow::Exact(applied.offsets))));
            }
            converted
        }
        None => file.hunks.clone(),
    };
    let three_way = match three_way_merge(git, file, &hunks, old, name)? {
        Ok(merged) => return Ok(Ok((merged, TextHow::ThreeWay))),
        Err(failure) => failure,
    };
    Ok(Err(HunkFailure {
        name: name.to_string(),
        hunk: mismatch.hunk,
        line: mismatch.line,
        expected_at: mismatch.expected_at,
        three_way,
        endings,
    }))
}

/// `git am -3`: when the hunks do not apply, find the blob the patch was
/// made against, apply the patch there, and merge the result into ours.
fn three_way_merge(
    git: &Git,
    file: &FilePatch,
    hunks: &[crate::patch::Hunk],
    ours: &[u8],
    name: &str,
) -> Result<std::result::Result<Vec<u8>, ThreeWayFailure>> {
    let Some(hex) = file.old_id.as_deref() else {
        return Ok(Err(ThreeWayFailure::NoIndexLine));
    };
    let Some(base_id) = git.blob_by_prefix(hex) else {
        return Ok(Err(ThreeWayFailure::BlobUnknown(hex.to_string())));
    };
    let base = git.read_blob(base_id)?;
    let theirs = match apply_hunks(&base, hunks) {
        Ok(theirs) => theirs,
        // The hunks may be in the base's line endings rather than ours.
        Err(_) => match apply_hunks(&base, &file.hunks) {
            Ok(theirs) => theirs,
            Err(_) => return Ok(Err(ThreeWayFailure::NotOnPreimage(hex.to_string()))),
        },
    };
    let ours_id = git.write_blob(ours)?;
    let theirs_id = git.write_blob(&theirs.content)?;
    let merged = git.merge_blobs(name, base_id, ours_id, theirs_id, ["base", "ours", "patch"])?;
    if merged.clean {
        Ok(Ok(merged.content))
    } else {
        Ok(Err(ThreeWayFailure::Conflict(hex.to_string())))
    }
}

/// Whether `hex` is a full, non-abbreviated object id.
fn full_id(hex: Option<&str>) -> Option<Oid> {
    hex.filter(|h| h.len() == 40)
        .and_then(|h| Oid::from_str(h).ok())
}

/// apply.c `apply_binary`: the preimage must be the blob of the `index`
/// line (full ids only), the postimage is taken from the repository when it
/// has it, else made from the patch data and checked against its id. When
/// the file is not the preimage, `git am -3` merges: the patch's result is
/// kept when the file already is that result.
fn apply_binary_file(
    git: &Git,
    file: &FilePatch,
    binary: &BinaryPatch,
    old: Option<TreeFile>,
    name: &str,
) -> Result<std::result::Result<NewState, BinaryFailure>> {
    let name = name.to_string();
    let (Some(old_id), Some(new_id)) = (
        full_id(file.old_id.as_deref()),
        full_id(file.new_id.as_deref()),
    ) else {
        return Ok(Err(if binary.forward.is_none() {
            BinaryFailure::NoData(name)
        } else {
            BinaryFailure::NoFullIndex(name)
        }));
    };
    let preimage = match old {
        Some(found) if found.id == old_id => git.read_blob(found.id)?,
        Some(found) => {
            let known = git.has_object(old_id);
            if known && found.id == new_id {
                // Three-way: ours already is the patch's result.
                return Ok(Ok(NewState::Blob(found.id)));
            }
            return Ok(Err(BinaryFailure::Preimage {
                name,
                expected: old_id.to_string(),
                found: found.id.to_string(),
                known,
            }));
        }
        None => Vec::new(),
    };
    if new_id.is_zero() {
        return Ok(Ok(NewState::Gone));
    }
    if git.has_object(new_id) {
        return Ok(Ok(NewState::Blob(new_id)));
    }
    let Some(forward) = &binary.forward else {
        return Ok(Err(BinaryFailure::MissingData(name, new_id.to_string())));
    };
    let content = match apply_binary(&preimage, forward) {
        Ok(content) => content,
        Err(e) => return Ok(Err(BinaryFailure::Corrupt(name, e))),
    };
    let got = git.write_blob(&content)?;
    if got != new_id {
        return Ok(Err(BinaryFailure::WrongResult {
            name,
            expected: new_id.to_string(),
            got: got.to_string(),
        }));
    }
    Ok(Ok(NewState::Blob(got)))
}

/// A submodule change (apply.c reads a gitlink as the text
/// "Subproject commit <id>\n"): the hunks are applied to that text and the
/// result names the new commit; nothing left deletes the submodule.
fn apply_gitlink(
    file: &FilePatch,
    old: Option<TreeFile>,
    name: &str,
) -> std::result::Result<NewState, GitlinkFailure> {
    let old_text = match old {
        Some(found) if found.mode == MODE_COMMIT => format!("Subproject commit {}\n", found.id),
        Some(_) => String::new(),
        None => String::new(),
    };
    let corrupt = || GitlinkFailure::Corrupt(name.to_string());
    // The commit a side of the hunks names.
    let side = |kind: LineKind| {
        file.hunks
            .iter()
            .flat_map(|h| &h.lines)
            .find(|l| l.kind == kind)
            .map(|l| String::from_utf8_lossy(&l.text).replace("Subproject commit ", ""))
    };
    let applied = match apply_hunks(old_text.as_bytes(), &file.hunks) {
        Ok(applied) => applied.content,
        // Already at the commit the patch moves it to (`git am -3` merges
        // that cleanly): nothing to change.
        Err(_) if old.is_some_and(|f| side(LineKind::Add) == Some(f.id.to_string())) => {
            old_text.into_bytes()
        }
        Err(_) => {
            return Err(GitlinkFailure::Moved {
                name: name.to_string(),
                expected: side(LineKind::Remove).unwrap_or_else(|| "(none)".into()),
                found: old.map_or_else(|| "(none)".into(), |f| f.id.to_string()),
            });
        }
    };
    if applied.is_empty() {
        return Ok(NewState::Gone);
    }
    let text = std::str::from_utf8(&applied).map_err(|_| corrupt())?;
    let id = text
        .trim_end()
        .strip_prefix("Subproject commit ")
        .and_then(|hex| Oid::from_str(hex).ok())
        .filter(|_| text.len() >= 42)
        .ok_or_else(corrupt)?;
    Ok(NewState::Gitlink(id))
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
