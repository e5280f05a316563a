//! The conflict hunks of a three-way merged file, as `git merge-file
//! --diff3` (libgit2's xdiff, the same code) writes them into the work tree:
//!
//! ```text
//! <<<<<<< ours-label
//! ours' lines
//! ||||||| base-label
//! base's lines
//! =======
//! theirs' lines
//! >>>>>>> theirs-label
//! ```
//!
//! [`ConflictedFile::parse`] splits such a text into clean and conflicting
//! [`Region`]s; [`ConflictedFile::locate`] finds where each side of each
//! hunk sits in that side's file (0-based line numbers), which is what
//! attribution (which upstream commits moved these lines) and recorded
//! resolutions (keyed by a hunk's two sides) build on. Lines keep their
//! line ending; a file's last line may lack one.

use similar::{Algorithm, DiffOp, capture_diff_slices};

use super::{Conflict, Git, Oid};
use crate::error::Result;

/// git's default `conflict-marker-size`.
pub const MARKER_SIZE: usize = 7;

/// One side of a conflict hunk: its lines, and where they sit in that
/// side's file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Side {
    /// The lines, each with its line ending (the file's last may lack one).
    pub lines: Vec<Vec<u8>>,
    /// 0-based index of the first line in the side's file; for an empty
    /// side, the index of the line the hunk sits before (the file's line
    /// count at its end). `None` until [`ConflictedFile::locate`].
    pub start: Option<usize>,
}

impl Side {
    /// The 0-based, end-exclusive line range in the side's file, once
    /// located.
    pub fn range(&self) -> Option<std::ops::Range<usize>> {
        self.start.map(|s| s..s + self.lines.len())
    }
}

/// One conflicting region of a merged file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictHunk {
    pub ours: Side,
    /// Empty (with no `|||||||` section) when the merge had no common
    /// ancestor for the region, e.g. an add/add conflict.
    pub base: Side,
    pub theirs: Side,
}

#[derive(Clone, Copy)]
enum Which {
    Base,
    Ours,
    Theirs,
}

impl Which {
    fn of(self, h: &ConflictHunk) -> &Side {
        match self {
            Which::Base => &h.base,
            Which::Ours => &h.ours,
            Which::Theirs => &h.theirs,
        }
    }

    fn of_mut(self, h: &mut ConflictHunk) -> &mut Side {
        match self {
            Which::Base => &mut h.base,
            Which::Ours => &mut h.ours,
            Which::Theirs => &mut h.theirs,
        }
    }
}

/// A region of a merged file: lines both sides agree on, or a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Region {
    Clean(Vec<Vec<u8>>),
    Conflict(ConflictHunk),
}

/// A merged file cut into regions (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictedFile {
    pub regions: Vec<Region>,
}

/// Split `text` into lines, each keeping its `\n`.
pub fn lines(text: &[u8]) -> Vec<Vec<u8>> {
    text.split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// Whether `line` is a conflict marker made of `size` times `c`: exactly
/// that many, then a blank or the end of the line.
fn is_marker(line: &[u8], c: u8, size: usize) -> bool {
    line.len() >= size
        && line[..size].iter().all(|&b| b == c)
        && matches!(line.get(size), None | Some(b' ' | b'\n' | b'\r'))
}

impl ConflictedFile {
    /// Parse a merged text with diff3-style markers of `marker_size`.
    /// `None` when the markers are not well formed (a `<<<<<<<` without its
    /// `=======` and `>>>>>>>`, say): such a file cannot be cut into hunks.
    pub fn parse(text: &[u8], marker_size: usize) -> Option<ConflictedFile> {
        #[derive(PartialEq)]
        enum State {
            Clean,
            Ours,
            Base,
            Theirs,
        }
        let mut regions = Vec::new();
        let mut clean: Vec<Vec<u8>> = Vec::new();
        let mut hunk = ConflictHunk {
            ours: Side::default(),
            base: Side::default(),
            theirs: Side::default(),
        };
        let mut state = State::Clean;
        for line in lines(text) {
            state = match state {
                State::Clean if is_marker(&line, b'<', marker_size) => {
                    if !clean.is_empty() {
                        regions.push(Region::Clean(std::mem::take(&mut clean)));
                    }
                    State::Ours
                }
                State::Clean => {
                    clean.push(line);
                    State::Clean
                }
                State::Ours if is_marker(&line, b'|', marker_size) => State::Base,
                State::Ours | State::Base if is_marker(&line, b'=', marker_size) => State::Theirs,
                State::Ours => {
                    hunk.ours.lines.push(line);
                    State::Ours
                }
                State::Base => {
                    hunk.base.lines.push(line);
                    State::Base
                }
                State::Theirs if is_marker(&line, b'>', marker_size) => {
                    regions.push(Region::Conflict(std::mem::replace(
                        &mut hunk,
                        ConflictHunk {
                            ours: Side::default(),
                            base: Side::default(),
                            theirs: Side::default(),
                        },
                    )));
                    State::Clean
                }
                State::Theirs => {
                    hunk.theirs.lines.push(line);
                    State::Theirs
                }
            };
        }
        if state != State::Clean {
            return None;
        }
        if !clean.is_empty() {
            regions.push(Region::Clean(clean));
        }
        Some(ConflictedFile { regions })
    }

    /// The conflict hunks, in file order.
    pub fn hunks(&self) -> impl Iterator<Item = &ConflictHunk> {
        self.regions.iter().filter_map(|r| match r {
            Region::Conflict(h) => Some(h),
            Region::Clean(_) => None,
        })
    }

    /// Find each hunk's sides in the three files (`Side::start`). The file
    /// with one side's sections in place of every conflict is that side's
    /// file except where the *other* side changed clean regions; a line
    /// diff of the two maps the sections onto the file.
    pub fn locate(&mut self, base: &[u8], ours: &[u8], theirs: &[u8]) {
        for (which, file) in [
            (Which::Base, base),
            (Which::Ours, ours),
            (Which::Theirs, theirs),
        ] {
            // The merged text with this side chosen, and where each
            // hunk's section starts in it.
            let mut chosen: Vec<&[u8]> = Vec::new();
            let mut starts = Vec::new();
            for region in &self.regions {
                match region {
                    Region::Clean(lines) => chosen.extend(lines.iter().map(Vec::as_slice)),
                    Region::Conflict(h) => {
                        starts.push(chosen.len());
                        chosen.extend(which.of(h).lines.iter().map(Vec::as_slice));
                    }
                }
            }
            let target = lines(file);
            let target: Vec<&[u8]> = target.iter().map(Vec::as_slice).collect();
            let map = line_map(&chosen, &target);
            let hunks = self.regions.iter_mut().filter_map(|r| match r {
                Region::Conflict(h) => Some(h),
                Region::Clean(_) => None,
            });
            for (h, start) in hunks.zip(starts) {
                which.of_mut(h).start = Some(map[start]);
            }
        }
    }

    /// The file with every hunk replaced by `resolve(hunk)`'s lines, or
    /// with its diff3 markers (labels `labels`) kept where `resolve` says
    /// `None`; and how many hunks were left so.
    pub fn render(
        &self,
        labels: [&str; 3],
        mut resolve: impl FnMut(&ConflictHunk) -> Option<Vec<Vec<u8>>>,
    ) -> (Vec<u8>, usize) {
        let mut out = Vec::new();
        let mut left = 0;
        let marker = |out: &mut Vec<u8>, c: u8, label: &str| {
            out.extend(std::iter::repeat_n(c, MARKER_SIZE));
            if !label.is_empty() {
                out.push(b' ');
                out.extend_from_slice(label.as_bytes());
            }
            out.push(b'\n');
        };
        for region in &self.regions {
            match region {
                Region::Clean(lines) => lines.iter().for_each(|l| out.extend_from_slice(l)),
                Region::Conflict(h) => match resolve(h) {
                    Some(lines) => lines.iter().for_each(|l| out.extend_from_slice(l)),
                    None => {
                        left += 1;
                        let side = |out: &mut Vec<u8>, lines: &[Vec<u8>]| {
                            for l in lines {
                                out.extend_from_slice(l);
                                if !l.ends_with(b"\n") {
                                    out.push(b'\n');
                                }
                            }
                        };
                        marker(&mut out, b'<', labels[1]);
                        side(&mut out, &h.ours.lines);
                        marker(&mut out, b'|', labels[0]);
                        side(&mut out, &h.base.lines);
                        marker(&mut out, b'=', "");
                        side(&mut out, &h.theirs.lines);
                        marker(&mut out, b'>', labels[2]);
                    }
                },
            }
        }
        (out, left)
    }
}

/// For each index of `from` (and one past its end), the index in `to` it
/// maps to: equal lines map one to one; a line inside a changed block maps
/// to where that block starts in `to`.
fn line_map(from: &[&[u8]], to: &[&[u8]]) -> Vec<usize> {
    let mut map = vec![to.len(); from.len() + 1];
    for op in capture_diff_slices(Algorithm::Myers, from, to) {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for i in 0..len {
                    map[old_index + i] = new_index + i;
                }
            }
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => {
                for i in 0..old_len {
                    map[old_index + i] = new_index;
                }
            }
            DiffOp::Insert { .. } => {}
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                ..
            } => {
                for i in 0..old_len {
                    map[old_index + i] = new_index;
                }
            }
        }
    }
    map
}

impl Git {
    /// The conflicted text of one file of a tree merge, as the work tree
    /// gets it (diff3 markers, `labels` = [base, ours, theirs]), cut into
    /// regions with every side located. A side the conflict lacks (an
    /// add/add, a modify/delete) reads as an empty file. `None` when the
    /// merge is clean or the markers cannot be parsed (binary files, or a
    /// file that itself contains marker lines).
    pub fn conflicted_file(
        &self,
        conflict: &Conflict,
        labels: [&str; 3],
    ) -> Result<Option<ConflictedFile>> {
        let id = |hex: &Option<String>| -> Result<Oid> {
            match hex.as_deref().and_then(|h| Oid::from_str(h).ok()) {
                Some(id) => Ok(id),
                None => self.write_blob(b""),
            }
        };
        let (base, ours, theirs) = (
            id(&conflict.base)?,
            id(&conflict.ours)?,
            id(&conflict.theirs)?,
        );
        let merged = self.merge_blobs(&conflict.path, base, ours, theirs, labels)?;
        if merged.clean || merged.binary {
            return Ok(None);
        }
        let Some(mut file) = ConflictedFile::parse(&merged.content, MARKER_SIZE) else {
            return Ok(None);
        };
        file.locate(
            &self.read_blob(base)?,
            &self.read_blob(ours)?,
            &self.read_blob(theirs)?,
        );
        Ok(Some(file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[&str]) -> Vec<u8> {
        lines
            .iter()
            .flat_map(|l| format!("{l}\n").into_bytes())
            .collect()
    }

    fn strs(side: &Side) -> Vec<String> {
        side.lines
            .iter()
            .map(|l| String::from_utf8_lossy(l).trim_end().to_string())
            .collect()
    }

    /// Merge with real libgit2 (as the work tree gets it) and check the
    /// hunks and their places in each file.
    #[test]
    fn hunks_of_a_real_merge_are_found_in_each_side() {
        let dir = tempfile::tempdir().unwrap();
        let git = Git::open_or_init_bare(dir.path()).unwrap();
        let base = text(&["a", "b", "c", "d", "e", "f", "g", "h"]);
        // ours changes c (conflict) and h (clean); theirs changes c and adds after a.
        let ours = text(&["a", "b", "C-ours", "d", "e", "f", "g", "H"]);
        let theirs = text(&["a", "a2", "b", "C-theirs", "d", "e", "f", "g", "h"]);
        let conflict = Conflict {
            path: "f.txt".into(),
            base: Some(git.write_blob(&base).unwrap().to_string()),
            ours: Some(git.write_blob(&ours).unwrap().to_string()),
            theirs: Some(git.write_blob(&theirs).unwrap().to_string()),
        };
        let file = git
            .conflicted_file(&conflict, ["base", "ours", "theirs"])
            .unwrap()
            .expect("conflicts");
        let hunks: Vec<_> = file.hunks().collect();
        assert_eq!(hunks.len(), 1);
        let h = hunks[0];
        assert_eq!(strs(&h.ours), ["C-ours"]);
        assert_eq!(strs(&h.base), ["c"]);
        assert_eq!(strs(&h.theirs), ["C-theirs"]);
        assert_eq!(h.base.range(), Some(2..3));
        assert_eq!(h.ours.range(), Some(2..3));
        assert_eq!(h.theirs.range(), Some(3..4));
        // Rendering with the markers gives libgit2's text back; resolving
        // gives the clean file.
        let merged = git
            .merge_blobs(
                "f.txt",
                Oid::from_str(conflict.base.as_ref().unwrap()).unwrap(),
                Oid::from_str(conflict.ours.as_ref().unwrap()).unwrap(),
                Oid::from_str(conflict.theirs.as_ref().unwrap()).unwrap(),
                ["base", "ours", "theirs"],
            )
            .unwrap();
        let (again, left) = file.render(["base", "ours", "theirs"], |_| None);
        assert_eq!(left, 1);
        assert_eq!(
            String::from_utf8_lossy(&again),
            String::from_utf8_lossy(&merged.content)
        );
        let (resolved, left) = file.render(["", "", ""], |_| Some(vec![b"C\n".to_vec()]));
        assert_eq!(left, 0);
        assert_eq!(
            resolved,
            text(&["a", "a2", "b", "C", "d", "e", "f", "g", "H"])
        );
    }

    #[test]
    fn both_added_at_the_end_has_an_empty_base_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let git = Git::open_or_init_bare(dir.path()).unwrap();
        let base = text(&["x", "y"]);
        let ours = text(&["x", "y", "up1", "up2"]);
        let theirs = text(&["x", "y", "mine"]);
        let conflict = Conflict {
            path: "t.py".into(),
            base: Some(git.write_blob(&base).unwrap().to_string()),
            ours: Some(git.write_blob(&ours).unwrap().to_string()),
            theirs: Some(git.write_blob(&theirs).unwrap().to_string()),
        };
        let file = git
            .conflicted_file(&conflict, ["b", "o", "t"])
            .unwrap()
            .unwrap();
        let h = file.hunks().next().unwrap();
        assert_eq!(h.base.range(), Some(2..2));
        assert_eq!(h.ours.range(), Some(2..4));
        assert_eq!(h.theirs.range(), Some(2..3));
    }

    /// libgit2 hands back a null buffer for a binary merge; it must be a
    /// conflict without hunks, not a panic.
    #[test]
    fn a_binary_conflict_has_no_hunks() {
        let dir = tempfile::tempdir().unwrap();
        let git = Git::open_or_init_bare(dir.path()).unwrap();
        let blob = |b: &[u8]| Some(git.write_blob(b).unwrap().to_string());
        let conflict = Conflict {
            path: "logo.png".into(),
            base: blob(b"\x89PNG\0base"),
            ours: blob(b"\x89PNG\0ours"),
            theirs: blob(b"\x89PNG\0theirs"),
        };
        assert_eq!(
            git.conflicted_file(&conflict, ["b", "o", "t"]).unwrap(),
            None
        );
        let merged = git
            .merge_blobs(
                "logo.png",
                Oid::from_str(conflict.base.as_ref().unwrap()).unwrap(),
                Oid::from_str(conflict.ours.as_ref().unwrap()).unwrap(),
                Oid::from_str(conflict.theirs.as_ref().unwrap()).unwrap(),
                ["b", "o", "t"],
            )
            .unwrap();
        assert!(merged.binary && !merged.clean && merged.content.is_empty());
    }

    #[test]
    fn unbalanced_markers_do_not_parse() {
        let bad = text(&["a", "<<<<<<< ours", "x", "=======", "y"]);
        assert_eq!(ConflictedFile::parse(&bad, MARKER_SIZE), None);
        // Eight '<' are not a marker of size 7: a clean line.
        let clean = text(&["<<<<<<<< not a marker"]);
        let file = ConflictedFile::parse(&clean, MARKER_SIZE).unwrap();
        assert_eq!(file.hunks().count(), 0);
    }
}
