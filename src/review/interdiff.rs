//! The interdiff of an edited patch's *effective* change, like `git
//! range-diff` does for commits: both versions are applied (in memory) and
//! the resulting files are compared, not the patch texts. A file that one
//! result has at another path is shown as a rename, with its edit.

use std::collections::BTreeSet;

use similar::{ChangeTag, TextDiff};

use super::{Basis, DiffLine, DiffLineKind, FileDiff, Interdiff};
use crate::error::{Error, Result};
use crate::patch::parse_diff;
use crate::queue::LoadedPatch;
use crate::queue::build::{Built, apply_to_tree};
use crate::repo::renames::RenameSide;
use crate::repo::{Git, Oid, TreeFile};

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// Compare what the old patch did (built as `old`) with what the new one
/// does (built as `new`). When the code below the patch is the same in both
/// queues the results compare directly; otherwise the old patch is replayed
/// on the new queue first, so that only the patch's own rework shows.
pub fn interdiff(
    git: &Git,
    old: (&Built, &LoadedPatch),
    new: (&Built, &LoadedPatch),
) -> Result<Interdiff> {
    let old_after = git.commit_info(old.0.commit)?;
    let new_after = git.commit_info(new.0.commit)?;
    let old_below = parent_tree(git, &old_after.parents)?;
    let new_below = parent_tree(git, &new_after.parents)?;
    let (basis, from) = if old_below == new_below {
        (Basis::SameBase, old_after.tree)
    } else {
        match apply_to_tree(git, new_below, old.1) {
            Ok((tree, _)) => (Basis::Replayed, tree),
            Err(Error::PatchFailed { .. }) => (Basis::Results, old_after.tree),
            Err(e) => return Err(e),
        }
    };
    // A file on one side only may be the other side's file renamed: the
    // pairs are found as git finds renames, and shown as one file.
    let mut sides = Vec::new();
    let (mut gone, mut came) = (Vec::new(), Vec::new());
    for path in touched(old.1).union(&touched(new.1)) {
        let before = git.file_at(from, path)?;
        let after = git.file_at(new_after.tree, path)?;
        let side = |file: &TreeFile| RenameSide {
            path: path.clone(),
            id: file.id,
            mode: file.mode,
        };
        match (&before, &after) {
            (Some(file), None) => gone.push(side(file)),
            (None, Some(file)) => came.push(side(file)),
            _ => {}
        }
        sides.push((path.clone(), before, after));
    }
    let renames = git.find_renames(&gone, &came)?;
    let mut files = Vec::new();
    for (path, before, after) in &sides {
        if renames.iter().any(|r| gone[r.src].path == *path) {
            continue;
        }
        let renamed = renames.iter().find(|r| came[r.dst].path == *path);
        let before = match renamed {
            Some(rename) => Some(git.read_blob(gone[rename.src].id)?),
            None => before.as_ref().map(|f| git.read_blob(f.id)).transpose()?,
        };
        let after = after.as_ref().map(|f| git.read_blob(f.id)).transpose()?;
        let (before, after) = (before.unwrap_or_default(), after.unwrap_or_default());
        match renamed {
            Some(rename) => {
                let mut diff = file_diff(path, &before, &after).unwrap_or(FileDiff {
                    path: path.clone(),
                    ..FileDiff::default()
                });
                diff.old_path = Some(gone[rename.src].path.clone());
                diff.similarity = Some(rename.percent());
                files.push(diff);
            }
            None => files.extend(file_diff(path, &before, &after)),
        }
    }
    Ok(Interdiff { basis, files })
}

fn parent_tree(git: &Git, parents: &[Oid]) -> Result<Oid> {
    match parents.first() {
        Some(parent) => Ok(git.commit_info(*parent)?.tree),
        None => git.empty_tree(),
    }
}

/// The paths a patch touches (both sides of a rename).
fn touched(patch: &LoadedPatch) -> BTreeSet<String> {
    parse_diff(&patch.patch.diff)
        .unwrap_or_default()
        .into_iter()
        .flat_map(|f| [f.old_path, f.new_path])
        .flatten()
        .collect()
}

/// A unified diff of two versions of a text, `None` when they are equal.
pub fn file_diff(path: &str, old: &[u8], new: &[u8]) -> Option<FileDiff> {
    if old == new {
        return None;
    }
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    let diff = TextDiff::from_lines(old.as_ref(), new.as_ref());
    let mut out = FileDiff {
        path: path.to_string(),
        ..FileDiff::default()
    };
    for hunk in diff.unified_diff().context_radius(CONTEXT).iter_hunks() {
        out.lines.push(DiffLine {
            kind: DiffLineKind::Hunk,
            text: hunk.header().to_string(),
        });
        for change in hunk.iter_changes() {
            let kind = match change.tag() {
                ChangeTag::Equal => DiffLineKind::Context,
                ChangeTag::Delete => {
                    out.removed += 1;
                    DiffLineKind::Removed
                }
                ChangeTag::Insert => {
                    out.added += 1;
                    DiffLineKind::Added
                }
            };
            out.lines.push(DiffLine {
                kind,
                text: change.value().trim_end_matches(['\n', '\r']).to_string(),
            });
        }
    }
    Some(out)
}
