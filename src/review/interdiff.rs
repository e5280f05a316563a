//! The interdiff of an edited patch. When the code below the patch is the
//! same in both queues, its *effective* change is compared: both versions
//! are applied (in memory) and the resulting files are compared, not the
//! patch texts, like `git range-diff` does for commits; a file that one
//! result has at another path is shown as a rename, with its edit. When
//! the code below moved, results would mix upstream's drift into the
//! patch's change, so the patch texts are compared instead (`patchdiff`),
//! with what a human resolved beyond the automatic merge (`resolution`).

use std::collections::BTreeSet;

use similar::{ChangeTag, TextDiff};

use super::{Basis, DiffLine, DiffLineKind, FileDiff, Interdiff, Resolution};
use super::{patchdiff, resolution};
use crate::error::Result;
use crate::patch::parse_diff;
use crate::queue::LoadedPatch;
use crate::queue::build::Built;
use crate::repo::renames::RenameSide;
use crate::repo::{Git, Oid, TreeFile};

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// Compare what the old patch did (built as `old`) with what the new one
/// does (built as `new`): on the same base, the results; on a moved base,
/// the patch texts, and the resolution when the old patch does not apply
/// automatically on the new base.
pub fn interdiff(
    git: &Git,
    old: (&Built, &LoadedPatch),
    new: (&Built, &LoadedPatch),
) -> Result<(Interdiff, Option<Resolution>)> {
    let old_after = git.commit_info(old.0.commit)?;
    let new_after = git.commit_info(new.0.commit)?;
    let old_below = parent_tree(git, &old_after.parents)?;
    let new_below = parent_tree(git, &new_after.parents)?;
    if old_below == new_below {
        let files = results_diff(git, old_after.tree, new_after.tree, old.1, new.1)?;
        return Ok((
            Interdiff {
                basis: Basis::SameBase,
                files,
            },
            None,
        ));
    }
    let files = patchdiff::patch_diff(&old.1.patch.diff, &new.1.patch.diff);
    let resolution = resolution::resolution(
        git,
        old.1,
        old.0.commit,
        old_below,
        new_below,
        new_after.tree,
    )?;
    Ok((
        Interdiff {
            basis: Basis::Patch,
            files,
        },
        resolution,
    ))
}

/// The files the two versions of a patch touch, compared between their
/// results `from` and `to` (built on the same base).
fn results_diff(
    git: &Git,
    from: Oid,
    to: Oid,
    old: &LoadedPatch,
    new: &LoadedPatch,
) -> Result<Vec<FileDiff>> {
    // A file on one side only may be the other side's file renamed: the
    // pairs are found as git finds renames, and shown as one file.
    let mut sides = Vec::new();
    let (mut gone, mut came) = (Vec::new(), Vec::new());
    for path in touched(old).union(&touched(new)) {
        let before = git.file_at(from, path)?;
        let after = git.file_at(to, path)?;
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
    Ok(files)
}

/// Whether the code below the patch is the same in both queues.
pub fn same_below(git: &Git, old: &Built, new: &Built) -> Result<bool> {
    let below = |built: &Built| -> Result<Oid> {
        parent_tree(git, &git.commit_info(built.commit)?.parents)
    };
    Ok(below(old)? == below(new)?)
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
