//! What a human did beyond the automatic merge, for a patch that did not
//! apply automatically on its new base (git's `--remerge-diff` idea): the
//! old patch is tried on the new queue at its place as `rebase` tries it
//! (the patch file, exactly, at an offset or 3-way; else a 3-way merge of
//! its commit, recorded resolutions left out), and where that merge
//! conflicts, each conflicting file's text with its conflict markers — the
//! text the user was given — is compared with the new patch's result.

use super::interdiff::file_diff;
use super::{FileDiff, Resolution};
use crate::error::{Error, Result};
use crate::queue::LoadedPatch;
use crate::queue::build::apply_to_tree;
use crate::repo::{Git, Oid};

/// The labels of the markers, as the user saw them in custom-source when
/// `rebase` stopped (libgit2's cherry-pick: the ancestor's, `HEAD`, and the
/// picked commit's short id and subject).
fn labels(git: &Git, commit: Oid) -> Result<[String; 3]> {
    let subject = git
        .commit_info(commit)?
        .message
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    let hex = commit.to_string();
    Ok([
        "ancestor".into(),
        "HEAD".into(),
        format!("{}... {subject}", &hex[..7]),
    ])
}

/// The old patch (`old`, built as `old_commit` on `old_below`) tried on
/// `new_below`: `None` when it applies or merges without a conflict, else
/// the diff of each conflicting file from its marked text to its content
/// in `new_tree` (the new patch's result).
pub fn resolution(
    git: &Git,
    old: &LoadedPatch,
    old_commit: Oid,
    old_below: Oid,
    new_below: Oid,
    new_tree: Oid,
) -> Result<Option<Resolution>> {
    match apply_to_tree(git, new_below, old) {
        Ok(_) => return Ok(None),
        Err(Error::PatchFailed { .. }) => {}
        Err(e) => return Err(e),
    }
    let old_tree = git.commit_info(old_commit)?.tree;
    let conflicts = match git.merge_trees(old_below, new_below, old_tree, |_| None)? {
        Ok(_) => return Ok(None),
        Err(conflicts) => conflicts,
    };
    let labels = labels(git, old_commit)?;
    let labels = [labels[0].as_str(), labels[1].as_str(), labels[2].as_str()];
    let mut files = Vec::new();
    for conflict in &conflicts {
        let resolved = match git.file_at(new_tree, &conflict.path)? {
            Some(file) => git.read_blob(file.id)?,
            None => Vec::new(),
        };
        match git.conflicted_file(conflict, labels)? {
            Some(marked) => {
                let (text, _) = marked.render(labels, |_| None);
                files.extend(file_diff(&conflict.path, &text, &resolved));
            }
            // A binary file, or one whose own lines look like markers:
            // there is no marked text to compare with.
            None => files.push(FileDiff {
                path: conflict.path.clone(),
                ..FileDiff::default()
            }),
        }
    }
    Ok(Some(Resolution { files }))
}
