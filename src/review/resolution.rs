//! What a human did beyond the automatic merge, for a patch that did not
//! apply automatically on its new base (git's `--remerge-diff` idea): the
//! old patch is tried on the new queue at its place as `rebase` tries it
//! (the patch file, exactly, at an offset or 3-way; else a 3-way merge of
//! its commit, recorded resolutions left out), and where that merge
//! conflicts, each conflicting file's text with its conflict markers — the
//! text the user was given, libgit2's diff3 merge with the cherry-pick's
//! labels — is compared with the new patch's result.

use super::interdiff::file_diff;
use super::{FileDiff, Resolution};
use crate::error::{Error, Result};
use crate::queue::LoadedPatch;
use crate::queue::build::apply_to_tree;
use crate::repo::{Conflict, Git, Oid};

/// The labels of the markers, as the user saw them in custom-source when
/// `rebase` stopped (libgit2's cherry-pick: the ancestor's, `HEAD`, and the
/// picked commit's short id and summary: its first paragraph on one line).
fn labels(git: &Git, commit: Oid) -> Result<[String; 3]> {
    let message = git.commit_info(commit)?.message;
    let summary = message.trim_start().split("\n\n").next().unwrap_or("");
    let subject = summary.lines().map(str::trim).collect::<Vec<_>>().join(" ");
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
        match marked_text(git, conflict, labels)? {
            Some(text) => files.extend(file_diff(&conflict.path, &text, &resolved)),
            // A binary file: no text to compare.
            None => files.push(FileDiff {
                path: conflict.path.clone(),
                ..FileDiff::default()
            }),
        }
    }
    Ok(Some(Resolution { files }))
}

/// The text of a conflicting file with its diff3 markers, as the work tree
/// gets it; `None` for a binary file.
fn marked_text(git: &Git, conflict: &Conflict, labels: [&str; 3]) -> Result<Option<Vec<u8>>> {
    let blob = |hex: &Option<String>| -> Result<Oid> {
        match hex.as_deref().and_then(|h| Oid::from_str(h).ok()) {
            Some(id) => Ok(id),
            None => git.write_blob(b""),
        }
    };
    let sides = [
        blob(&conflict.base)?,
        blob(&conflict.ours)?,
        blob(&conflict.theirs)?,
    ];
    // git's test for binary (`buffer_is_binary`): a NUL in the first 8000
    // bytes. libgit2 leaves no merged text for such files.
    for id in sides {
        let bytes = git.read_blob(id)?;
        if bytes[..bytes.len().min(8000)].contains(&0) {
            return Ok(None);
        }
    }
    // libgit2's merge of the file, as the cherry-pick wrote it into the
    // work tree: the text itself, not cut into hunks and put together again
    // (a file whose own lines look like markers would not come back the same).
    let [base, ours, theirs] = sides;
    let merged = git.merge_blobs(&conflict.path, base, ours, theirs, labels)?;
    Ok(Some(merged.content))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RST file whose new heading underline is a marker-like `=======`
    /// inside the conflict: the text is the user's, byte for byte.
    #[test]
    fn the_marked_text_is_the_merge_as_the_work_tree_got_it() {
        let dir = tempfile::tempdir().unwrap();
        let git = Git::open_or_init_bare(dir.path()).unwrap();
        let blob = |text: &str| Some(git.write_blob(text.as_bytes()).unwrap().to_string());
        let conflict = Conflict {
            path: "doc/index.rst".into(),
            base: blob("Title\n-----\n\nold\n"),
            ours: blob("Title\n=======\n\nupstream\n"),
            theirs: blob("Title\n~~~~~~~\n\npatch\n"),
        };
        let labels = ["ancestor", "HEAD", "1234567... Doc"];
        let text = marked_text(&git, &conflict, labels).unwrap().unwrap();
        // git's own diff3 merge of the same three files.
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let output = std::process::Command::new("git")
            .args(["merge-file", "-p", "--diff3"])
            .args(["-L", labels[1], "-L", labels[0], "-L", labels[2]])
            .arg(file("ours", "Title\n=======\n\nupstream\n"))
            .arg(file("base", "Title\n-----\n\nold\n"))
            .arg(file("theirs", "Title\n~~~~~~~\n\npatch\n"))
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "two conflicts");
        assert_eq!(
            String::from_utf8_lossy(&text),
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(
            String::from_utf8_lossy(&text).starts_with("Title\n<<<<<<< HEAD\n=======\n|||||||")
        );
        // A binary file has no text.
        let binary = Conflict {
            path: "logo.png".into(),
            base: blob("\0a"),
            ours: blob("\0b"),
            theirs: blob("\0c"),
        };
        assert_eq!(marked_text(&git, &binary, labels).unwrap(), None);
    }
}
