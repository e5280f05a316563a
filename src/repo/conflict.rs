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
use crate::error::{GitContext, Result};

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

/// The labels of the first conflict's markers in a diff3-marked `text`:
/// [base, ours, theirs], each empty when its marker has none (or there is
/// no conflict). [`ConflictedFile::render`] with these writes markers as
/// the text had them.
pub fn labels(text: &[u8]) -> [String; 3] {
    let mut found = [None, None, None];
    for line in lines(text) {
        for (slot, c) in [(1, b'<'), (0, b'|'), (2, b'>')] {
            if found[slot].is_none() && is_marker(&line, c, MARKER_SIZE) {
                let label = line.get(MARKER_SIZE + 1..).unwrap_or_default();
                let label = String::from_utf8_lossy(label);
                found[slot] = Some(label.trim_end_matches(['\n', '\r']).to_string());
            }
        }
        if found[2].is_some() {
            break;
        }
    }
    found.map(Option::unwrap_or_default)
}

/// Whether any of `lines` is a conflict marker line (`<<<<<<<`, `|||||||`,
/// `=======`, `>>>>>>>` of the default size): a resolution that still
/// has one is not a resolution.
pub fn has_markers(lines: &[Vec<u8>]) -> bool {
    lines.iter().any(|l| {
        [b'<', b'|', b'=', b'>']
            .iter()
            .any(|&c| is_marker(l, c, MARKER_SIZE))
    })
}

/// A line no text holds (lines end at their only `\n`): stands for a
/// conflict hunk in [`ConflictedFile::resolutions`]' line diff.
const HUNK_TOKEN: &[u8] = b"\n<conflict hunk>\n";

impl ConflictedFile {
    /// Each hunk's lines in `resolved`, the file after the user resolved
    /// this conflict; `None` for a hunk whose resolution cannot be told
    /// apart from edits around it.
    ///
    /// How: a line diff (Myers) of the clean regions, with one token per
    /// hunk, against `resolved`. A hunk's resolution is what lies between
    /// the lines its neighbouring clean lines matched (or the file's start
    /// and end): both neighbours must be kept, else the user changed the
    /// hunk's surroundings too and the hunk is `None`; two hunks whose
    /// clean region between them vanished are both `None`. A block of
    /// lines added inside a clean region that can slide onto a hunk (its
    /// lines repeat the clean lines next to it, as blank lines and closing
    /// brackets do) is the hunk's: the diff could have placed it either
    /// way, and a resolution is what a user adds at a conflict. Added
    /// lines that cannot reach a hunk are the user's edits elsewhere,
    /// belonging to no hunk.
    pub fn resolutions(&self, resolved: &[u8]) -> Vec<Option<Vec<Vec<u8>>>> {
        let mut old: Vec<&[u8]> = Vec::new();
        let mut hunk_at = Vec::new();
        for region in &self.regions {
            match region {
                Region::Clean(lines) => old.extend(lines.iter().map(Vec::as_slice)),
                Region::Conflict(_) => {
                    hunk_at.push(old.len());
                    old.push(HUNK_TOKEN);
                }
            }
        }
        let new = lines(resolved);
        let new_refs: Vec<&[u8]> = new.iter().map(Vec::as_slice).collect();
        let tell = |algorithm| {
            let mut alignment = Alignment::new(algorithm, &old, &new_refs);
            alignment.slide_onto_hunks(&old, &new_refs);
            hunk_at
                .iter()
                .map(|&at| {
                    let start = match at.checked_sub(1) {
                        None => 0,
                        Some(before) if old[before] == HUNK_TOKEN => return None,
                        Some(before) => alignment.new_of[before]? + 1,
                    };
                    let end = match old.get(at + 1) {
                        None => new.len(),
                        Some(&after) if after == HUNK_TOKEN => return None,
                        Some(_) => alignment.new_of[at + 1]?,
                    };
                    Some(new[start..end].to_vec())
                })
                .collect::<Vec<_>>()
        };
        let told = tell(Algorithm::Myers);
        if self.puts_back(&told, resolved) {
            return told;
        }
        // Lines outside every hunk differ: the user's edits elsewhere, or
        // lines the diff matched one way where another keeps them by the
        // hunks; patience (unique lines first) may find the other.
        let other = tell(Algorithm::Patience);
        if self.puts_back(&other, resolved) {
            return other;
        }
        told
    }

    /// Whether the file with `told` in its hunks is `resolved`.
    fn puts_back(&self, told: &[Option<Vec<Vec<u8>>>], resolved: &[u8]) -> bool {
        let mut told = told.iter();
        let (again, left) = self.render(["", "", ""], |_| told.next().cloned().flatten());
        left == 0 && again == resolved
    }
}

/// Which line of the new text each old line matched, and back.
struct Alignment {
    new_of: Vec<Option<usize>>,
    old_of: Vec<Option<usize>>,
}

impl Alignment {
    fn new(algorithm: Algorithm, old: &[&[u8]], new: &[&[u8]]) -> Alignment {
        let mut alignment = Alignment {
            new_of: vec![None; old.len()],
            old_of: vec![None; new.len()],
        };
        for op in capture_diff_slices(algorithm, old, new) {
            if let DiffOp::Equal {
                old_index,
                new_index,
                len,
            } = op
            {
                for i in 0..len {
                    alignment.new_of[old_index + i] = Some(new_index + i);
                    alignment.old_of[new_index + i] = Some(old_index + i);
                }
            }
        }
        alignment
    }

    /// Whether the unmatched new lines `start..end` (matched lines on both
    /// sides) lie where a hunk token went: an old index strictly between
    /// the old lines around them is a token.
    fn holds_hunk(&self, old: &[&[u8]], start: usize, end: usize) -> bool {
        let from = match start.checked_sub(1) {
            Some(i) => self.old_of[i].map_or(0, |o| o + 1),
            None => 0,
        };
        let to = self.old_of.get(end).copied().flatten().unwrap_or(old.len());
        old[from.min(to)..to].contains(&HUNK_TOKEN)
    }

    /// Slide each added block that holds no hunk up (then down) over equal
    /// matched lines until it meets a hunk's block; where it meets none it
    /// stays where the diff put it.
    fn slide_onto_hunks(&mut self, old: &[&[u8]], new: &[&[u8]]) {
        let mut i = 0;
        while i < new.len() {
            if self.old_of[i].is_some() {
                i += 1;
                continue;
            }
            let start = i;
            let mut end = i;
            while end < new.len() && self.old_of[end].is_none() {
                end += 1;
            }
            if !self.holds_hunk(old, start, end) && !self.slide(old, new, start, end, true) {
                self.slide(old, new, start, end, false);
            }
            i = end.max(start + 1);
        }
    }

    /// Slide the block `start..end` one way as far as it goes; keep the
    /// move only if the block then meets a hunk's.
    fn slide(&mut self, old: &[&[u8]], new: &[&[u8]], start: usize, end: usize, up: bool) -> bool {
        let saved = (self.new_of.clone(), self.old_of.clone());
        let (mut start, mut end) = (start, end);
        loop {
            // The matched line that trades places with the block's far end.
            let (from, to) = match up {
                true if start > 0 => (start - 1, end - 1),
                false if end < new.len() => (end, start),
                _ => break,
            };
            let Some(o) = self.old_of[from] else { break };
            if new[from] != new[to] {
                break;
            }
            self.old_of[to] = Some(o);
            self.old_of[from] = None;
            self.new_of[o] = Some(to);
            (start, end) = if up {
                (start - 1, end - 1)
            } else {
                (start + 1, end + 1)
            };
            // Grown into a neighbouring unmatched block?
            while start > 0 && self.old_of[start - 1].is_none() {
                start -= 1;
            }
            while end < new.len() && self.old_of[end].is_none() {
                end += 1;
            }
            if self.holds_hunk(old, start, end) {
                return true;
            }
        }
        (self.new_of, self.old_of) = saved;
        false
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

impl Git {
    /// Every conflicted path of the work tree's index with its blob on each
    /// stage (the shape [`Git::merge_trees`] reports).
    pub fn index_conflict_sides(&self) -> Result<Vec<Conflict>> {
        let index = self.repo.index().git(|| "reading index".into())?;
        Ok(super::conflicts_of(&index)?
            .into_iter()
            .map(|(_, c)| c)
            .collect())
    }

    /// Write `bytes` to `path` in the work tree; with `resolved`, also
    /// stage it (`git add`: its conflict leaves the index).
    pub fn write_worktree_file(&self, path: &str, bytes: &[u8], resolved: bool) -> Result<()> {
        let Some(dir) = self.workdir() else {
            return Ok(());
        };
        let file = dir.join(path);
        crate::fsutil::write_atomic(&file, bytes)?;
        if resolved {
            let mut index = self.repo.index().git(|| "reading index".into())?;
            index
                .add_path(std::path::Path::new(path))
                .git(|| format!("staging {path}"))?;
            index.write().git(|| "writing index".into())?;
        }
        Ok(())
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

    /// A conflict of `path` whose three sides are `sides` (base, ours,
    /// theirs), written as blobs of `git`.
    fn conflict_of(git: &Git, path: &str, sides: [&[u8]; 3]) -> Conflict {
        let [base, ours, theirs] = sides.map(|b| Some(git.write_blob(b).unwrap().to_string()));
        Conflict {
            path: path.into(),
            base,
            ours,
            theirs,
        }
    }

    /// `merge_blobs` of the conflict's three blobs.
    fn merge(git: &Git, conflict: &Conflict, labels: [&str; 3]) -> crate::repo::MergedFile {
        let id = |hex: &Option<String>| Oid::from_str(hex.as_ref().unwrap()).unwrap();
        git.merge_blobs(
            &conflict.path,
            id(&conflict.base),
            id(&conflict.ours),
            id(&conflict.theirs),
            labels,
        )
        .unwrap()
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
        let conflict = conflict_of(&git, "f.txt", [&base, &ours, &theirs]);
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
        let merged = merge(&git, &conflict, ["base", "ours", "theirs"]);
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
        let conflict = conflict_of(&git, "t.py", [&base, &ours, &theirs]);
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
        let conflict = conflict_of(
            &git,
            "logo.png",
            [b"\x89PNG\0base", b"\x89PNG\0ours", b"\x89PNG\0theirs"],
        );
        assert_eq!(
            git.conflicted_file(&conflict, ["b", "o", "t"]).unwrap(),
            None
        );
        let merged = merge(&git, &conflict, ["b", "o", "t"]);
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

    /// A conflicted file from `parts`: a plain line is clean, `[ours |
    /// theirs]` a hunk.
    fn marked(parts: &[&str]) -> ConflictedFile {
        let mut out = Vec::new();
        for part in parts {
            match part.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
                Some(hunk) => {
                    let (ours, theirs) = hunk.split_once(" | ").unwrap();
                    out.extend(text(&[
                        "<<<<<<< ours",
                        ours,
                        "||||||| base",
                        "=======",
                        theirs,
                    ]));
                    out.extend(text(&[">>>>>>> theirs"]));
                }
                None => out.extend(text(&[part])),
            }
        }
        ConflictedFile::parse(&out, MARKER_SIZE).unwrap()
    }

    fn resolved(file: &ConflictedFile, lines: &[&str]) -> Vec<Option<Vec<String>>> {
        file.resolutions(&text(lines))
            .into_iter()
            .map(|r| {
                r.map(|lines| {
                    lines
                        .iter()
                        .map(|l| String::from_utf8_lossy(l).trim_end().to_string())
                        .collect()
                })
            })
            .collect()
    }

    fn some(lines: &[&str]) -> Option<Vec<String>> {
        Some(lines.iter().map(|l| l.to_string()).collect())
    }

    #[test]
    fn each_hunk_gets_the_lines_between_its_clean_neighbours() {
        let file = marked(&["a", "b", "[B1 | B2]", "c", "d", "[D1 | D2]", "e"]);
        // The first kept both sides, the second was dropped, and the user
        // also changed the line after it: that hunk cannot be told.
        let got = resolved(&file, &["a", "b", "B1", "B2", "c", "d", "E"]);
        assert_eq!(got, [some(&["B1", "B2"]), None]);
        let got = resolved(&file, &["a", "b", "B1", "B2", "c", "d", "e"]);
        assert_eq!(got, [some(&["B1", "B2"]), some(&[])]);
        // A line added far from any hunk belongs to none.
        let got = resolved(&file, &["a", "new", "b", "B2", "c", "d", "D1", "e"]);
        assert_eq!(got, [some(&["B2"]), some(&["D1"])]);
    }

    #[test]
    fn a_hunk_whose_neighbour_line_was_edited_is_not_told() {
        let file = marked(&["a", "b", "[B1 | B2]", "c", "d", "[D1 | D2]", "e"]);
        let got = resolved(&file, &["a", "b (edited)", "B1", "c", "d", "D2", "e"]);
        assert_eq!(got, [None, some(&["D2"])]);
        // The clean region between two hunks gone: neither is told.
        let file = marked(&["a", "[B1 | B2]", "c", "[D1 | D2]", "e"]);
        assert_eq!(resolved(&file, &["a", "X", "e"]), [None, None]);
    }

    /// A resolution made of a line the clean text next to it also has:
    /// the line diff may match the clean line to the resolution's and
    /// leave the clean line's twin outside the hunk; sliding gives it back.
    #[test]
    fn a_resolution_repeating_its_neighbour_line_stays_in_the_hunk() {
        let file = marked(&["import os", "[import sys | import re]", "", "def main():"]);
        let got = resolved(&file, &["import os", "", "", "def main():"]);
        assert_eq!(got, [some(&[""])]);
        let file = marked(&["c1", "[o | t]", "}"]);
        assert_eq!(resolved(&file, &["c1", "}", "}", "}"]), [some(&["}", "}"])]);
    }

    #[test]
    fn hunks_at_the_start_and_the_end_of_the_file() {
        let file = marked(&["[A1 | A2]", "m", "[Z1 | Z2]"]);
        let got = resolved(&file, &["A2", "A1", "m", "Z1", "Z2", "Z3"]);
        assert_eq!(got, [some(&["A2", "A1"]), some(&["Z1", "Z2", "Z3"])]);
    }

    #[test]
    fn rendering_the_told_resolutions_gives_the_resolved_file_back() {
        let file = marked(&["k", "", "[}1 | }2]", "}", "", "[q | r]", "}"]);
        let lines = ["k", "", "}1", "}", "}2", "}", "", "r", "", "q", "}"];
        let told = file.resolutions(&text(&lines));
        assert!(told.iter().all(Option::is_some), "{told:?}");
        let mut told = told.into_iter();
        let (again, left) = file.render(["", "", ""], |_| told.next().flatten());
        assert_eq!(left, 0);
        assert_eq!(
            String::from_utf8_lossy(&again),
            String::from_utf8_lossy(&text(&lines))
        );
    }

    #[test]
    fn labels_are_read_from_the_markers() {
        let text = text(&[
            "a",
            "<<<<<<< HEAD",
            "x",
            "||||||| parent of 1234abc (Add a thing)",
            "=======",
            "y",
            ">>>>>>> 1234abc (Add a thing)",
        ]);
        assert_eq!(
            labels(&text),
            [
                "parent of 1234abc (Add a thing)",
                "HEAD",
                "1234abc (Add a thing)"
            ]
        );
        let file = ConflictedFile::parse(&text, MARKER_SIZE).unwrap();
        let [b, o, t] = labels(&text);
        assert_eq!(file.render([&b, &o, &t], |_| None).0, text);
    }
}
