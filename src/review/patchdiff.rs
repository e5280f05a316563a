//! The change of a patch itself, when the code below it moved (a pin bump,
//! or earlier patches changed): its diff on the new base against its diff on
//! the old base, as `git range-diff` compares commits (`range-diff.c`:
//! a diff of the two patch texts).
//!
//! One deliberate difference from range-diff: only the patch's changed
//! lines (`+`/`-`) are compared; line numbers and context are not changes.
//! Context is what upstream's code around the patch looks like, so on a new
//! release it differs whenever upstream touched those lines, and range-diff
//! would show that drift as a change of the patch. The changed lines of a
//! file are compared as one sequence (hunks matched by their changed lines,
//! whatever hunk they sit in: a hunk that upstream's new lines split in two
//! is still the same change); context of the new patch is shown around each
//! change for orientation, never as a change.
//!
//! A second one: a run of added or removed lines that a diff program could
//! have written one or more lines lower (its first line equals the context
//! line after it) is compared at its lowest place (`slide_down`), so that
//! the same change written at two heights on two bases is no change.
//!
//! Each line's `text` holds the patch's own line with its sign (`+x`, `-x`,
//! ` x`), its `kind` says how the patch changed: `removed` the old patch had
//! it, `added` the new one has it — range-diff's `-+x` / `++x`.

use std::collections::BTreeMap;

use similar::{Algorithm, DiffOp, capture_diff_slices};

use super::{DiffLine, DiffLineKind, FileDiff};
use crate::patch::{BinaryPatch, FileChange, FilePatch, Line, LineKind, parse_diff};

/// Lines of unchanged patch text kept around each change.
const CONTEXT: usize = 3;

/// A `+`/`-` line of a patch, as the comparison sees it.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Changed {
    sign: u8,
    text: Vec<u8>,
    /// False when `\ No newline at end of file` follows.
    newline: bool,
}

/// A line of one file's diff, as the comparison sees it.
struct Item {
    kind: DiffLineKind,
    text: String,
    /// For a `+`/`-` line: what it is compared by.
    key: Option<Changed>,
    /// For a hunk header: none; else the index of the header it sits under.
    hunk: usize,
}

/// The diff of one file of a patch, flattened.
struct FileText {
    header: String,
    items: Vec<Item>,
    binary: Option<BinaryPatch>,
}

impl FileText {
    /// The indices of the `+`/`-` lines.
    fn changed(&self) -> impl Iterator<Item = usize> + '_ {
        self.items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| item.key.as_ref().map(|_| i))
    }
}

/// How range-diff names a file patch: `path`, `old => new`, with what
/// happens to it (`new`, `deleted`, a mode change).
fn describe(file: &FilePatch) -> String {
    let path = file.new_path.as_deref().or(file.old_path.as_deref());
    let path = path.unwrap_or("?");
    let mode = |m: Option<u32>| m.map(|m| format!("{m:o}")).unwrap_or_default();
    match file.change {
        FileChange::Add => format!("## {path} (new, mode {}) ##", mode(file.new_mode)),
        FileChange::Delete => format!("## {path} (deleted) ##"),
        FileChange::Rename | FileChange::Copy => {
            let how = if file.change == FileChange::Copy {
                "copied"
            } else {
                "renamed"
            };
            format!(
                "## {} => {path} ({how}) ##",
                file.old_path.as_deref().unwrap_or("?")
            )
        }
        FileChange::Modify if file.old_mode != file.new_mode && file.new_mode.is_some() => {
            format!(
                "## {path} (mode change {} => {}) ##",
                mode(file.old_mode),
                mode(file.new_mode)
            )
        }
        FileChange::Modify => format!("## {path} ##"),
    }
}

/// Flatten `file`'s hunks (headers taken from `lines` of the diff text).
fn flatten(file: &FilePatch, lines: &[&[u8]]) -> FileText {
    let mut items = Vec::new();
    for hunk in &file.hunks {
        let header = items.len();
        let text = lines
            .get(hunk.line.wrapping_sub(1))
            .map(|l| String::from_utf8_lossy(l).trim_end().to_string())
            .unwrap_or_else(|| "@@".into());
        items.push(Item {
            kind: DiffLineKind::Hunk,
            text,
            key: None,
            hunk: header,
        });
        let mut lines = hunk.lines.clone();
        slide_down(&mut lines);
        for line in &lines {
            let sign = match line.kind {
                LineKind::Context => b' ',
                LineKind::Add => b'+',
                LineKind::Remove => b'-',
            };
            let mut text = String::with_capacity(line.text.len() + 1);
            text.push(sign as char);
            text.push_str(&String::from_utf8_lossy(&line.text));
            let text = text.trim_end_matches('\r').to_string();
            items.push(Item {
                kind: DiffLineKind::Context,
                text,
                key: (sign != b' ').then(|| Changed {
                    sign,
                    text: line.text.clone(),
                    newline: line.newline,
                }),
                hunk: header,
            });
        }
    }
    FileText {
        header: describe(file),
        items,
        binary: file.binary.clone(),
    }
}

/// Move each run of added (or removed) lines as far down its hunk as the
/// context after it allows: a run whose first line equals the context line
/// after it is the same change one line lower (`+a +b +x` then ` x` is ` x`
/// then `+a +b +x` when `a` is `x`). Diff programs slide such runs as their
/// heuristics and the surrounding code suggest, so the same change on two
/// bases may be written at two heights; compared in one canonical place it
/// is no change.
fn slide_down(lines: &mut [Line]) {
    let mut start = 0;
    while start < lines.len() {
        let kind = lines[start].kind;
        let mut end = start;
        while end < lines.len() && lines[end].kind == kind {
            end += 1;
        }
        if kind != LineKind::Context {
            while end < lines.len()
                && lines[end].kind == LineKind::Context
                && lines[end].text == lines[start].text
                && lines[end].newline == lines[start].newline
            {
                lines[start].kind = LineKind::Context;
                lines[end].kind = kind;
                start += 1;
                end += 1;
            }
        }
        start = end;
    }
}

/// The file patches of a diff text by path (the new path, else the old).
fn files(diff: &[u8]) -> BTreeMap<String, FileText> {
    let lines: Vec<&[u8]> = diff.split(|&b| b == b'\n').collect();
    let mut files: BTreeMap<String, FileText> = BTreeMap::new();
    for file in parse_diff(diff).unwrap_or_default() {
        let Some(path) = file.new_path.clone().or_else(|| file.old_path.clone()) else {
            continue;
        };
        let text = flatten(&file, &lines);
        match files.get_mut(&path) {
            // A path the patch names twice (a rename chain): one sequence.
            Some(seen) => {
                let offset = seen.items.len();
                seen.header = format!("{} {}", seen.header, text.header);
                seen.items.extend(text.items.into_iter().map(|mut item| {
                    item.hunk += offset;
                    item
                }));
                seen.binary = seen.binary.take().or(text.binary);
            }
            None => {
                files.insert(path, text);
            }
        }
    }
    files
}

/// The change of a patch between two versions of its diff text, per file;
/// empty when every file changes the same lines in the same way.
pub fn patch_diff(old: &[u8], new: &[u8]) -> Vec<FileDiff> {
    let (old, new) = (files(old), files(new));
    let mut paths: Vec<&String> = old.keys().chain(new.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| file_change(path, old.get(path), new.get(path)))
        .collect()
}

fn file_change(path: &str, old: Option<&FileText>, new: Option<&FileText>) -> Option<FileDiff> {
    let empty = FileText {
        header: String::new(),
        items: Vec::new(),
        binary: None,
    };
    let (old, new) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    let old_changed: Vec<usize> = old.changed().collect();
    let new_changed: Vec<usize> = new.changed().collect();
    let old_keys: Vec<&Changed> = old_changed
        .iter()
        .filter_map(|&i| old.items[i].key.as_ref())
        .collect();
    let new_keys: Vec<&Changed> = new_changed
        .iter()
        .filter_map(|&i| new.items[i].key.as_ref())
        .collect();
    if old_keys == new_keys && old.header == new.header && old.binary == new.binary {
        return None;
    }
    let mut out = Merged {
        new,
        next_new: 0,
        lines: Vec::new(),
        added: 0,
        removed: 0,
    };
    if old.header != new.header {
        if !old.header.is_empty() {
            out.change(DiffLineKind::Removed, &old.header, true);
        }
        if !new.header.is_empty() {
            out.change(DiffLineKind::Added, &new.header, true);
        }
    }
    if old.binary != new.binary {
        let describe = |b: &Option<BinaryPatch>, which: &str| match b {
            Some(_) => format!("binary patch ({which} version)"),
            None => "no binary patch".to_string(),
        };
        out.change(DiffLineKind::Removed, &describe(&old.binary, "old"), true);
        out.change(DiffLineKind::Added, &describe(&new.binary, "new"), true);
    }

    // Walk the new file's diff; place the old patch's lost lines where the
    // comparison of changed lines puts them.
    let mut old_header: Option<usize> = None; // the last old header shown
    for op in capture_diff_slices(Algorithm::Myers, &old_keys, &new_keys) {
        let (removed, added, kept) = match op {
            DiffOp::Equal { new_index, len, .. } => (0..0, 0..0, new_index..new_index + len),
            DiffOp::Delete {
                old_index, old_len, ..
            } => (old_index..old_index + old_len, 0..0, 0..0),
            DiffOp::Insert {
                new_index, new_len, ..
            } => (0..0, new_index..new_index + new_len, 0..0),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (
                old_index..old_index + old_len,
                new_index..new_index + new_len,
                0..0,
            ),
        };
        for &at in &new_changed[kept] {
            out.new_line(at, DiffLineKind::Context);
        }
        for &at in &old_changed[removed] {
            let item = &old.items[at];
            // Before any of the new diff is shown (or without one), the
            // old hunk's header says where the lines were.
            if out.next_new == 0 && old_header != Some(item.hunk) {
                old_header = Some(item.hunk);
                out.lines.push(DiffLine {
                    kind: DiffLineKind::Hunk,
                    text: old.items[item.hunk].text.clone(),
                });
            }
            out.change(DiffLineKind::Removed, &item.text, newline(item));
        }
        for &at in &new_changed[added] {
            out.new_line(at, DiffLineKind::Added);
        }
    }
    out.new_up_to(new.items.len());
    Some(FileDiff {
        path: path.to_string(),
        added: out.added,
        removed: out.removed,
        lines: trim(out.lines),
        ..FileDiff::default()
    })
}

fn newline(item: &Item) -> bool {
    item.key.as_ref().is_none_or(|k| k.newline)
}

/// The lines of a file's comparison, as they are made.
struct Merged<'a> {
    new: &'a FileText,
    /// The next item of `new` not shown yet.
    next_new: usize,
    lines: Vec<DiffLine>,
    added: usize,
    removed: usize,
}

impl Merged<'_> {
    /// A line that one version of the patch has and the other lacks.
    fn change(&mut self, kind: DiffLineKind, text: &str, newline: bool) {
        match kind {
            DiffLineKind::Added => self.added += 1,
            _ => self.removed += 1,
        }
        self.push(kind, text, newline);
    }

    fn push(&mut self, kind: DiffLineKind, text: &str, newline: bool) {
        self.lines.push(DiffLine {
            kind,
            text: text.to_string(),
        });
        if !newline {
            self.lines.push(DiffLine {
                kind,
                text: "\\ No newline at end of file".into(),
            });
        }
    }

    /// The new diff's headers and context up to (not including) `end`.
    fn new_up_to(&mut self, end: usize) {
        let new = self.new;
        for item in &new.items[self.next_new..end] {
            self.push(item.kind, &item.text, true);
        }
        self.next_new = self.next_new.max(end);
    }

    /// The new diff up to its changed line `at`, which is shown as `kind`.
    fn new_line(&mut self, at: usize, kind: DiffLineKind) {
        self.new_up_to(at);
        let item = &self.new.items[at];
        match kind {
            DiffLineKind::Added => self.change(kind, &item.text, newline(item)),
            _ => self.push(kind, &item.text, newline(item)),
        }
        self.next_new = at + 1;
    }
}

/// Keep the changes with `CONTEXT` lines around them; a run that does not
/// start at a hunk header gets the header of the hunk it is in.
fn trim(merged: Vec<DiffLine>) -> Vec<DiffLine> {
    let changed = |l: &DiffLine| matches!(l.kind, DiffLineKind::Added | DiffLineKind::Removed);
    let mut keep = vec![false; merged.len()];
    for (i, line) in merged.iter().enumerate() {
        if changed(line) {
            let from = i.saturating_sub(CONTEXT);
            let to = (i + CONTEXT + 1).min(merged.len());
            keep[from..to].iter_mut().for_each(|k| *k = true);
        }
    }
    let mut out = Vec::new();
    let mut header: Option<usize> = None;
    for (i, line) in merged.iter().enumerate() {
        if line.kind == DiffLineKind::Hunk {
            header = Some(i);
        }
        if !keep[i] {
            continue;
        }
        let starts_run = i == 0 || !keep[i - 1];
        if starts_run && line.kind != DiffLineKind::Hunk {
            if let Some(h) = header {
                out.push(DiffLine {
                    kind: DiffLineKind::Hunk,
                    text: merged[h].text.clone(),
                });
            }
        }
        out.push(DiffLine {
            kind: line.kind,
            text: line.text.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(body: &str) -> Vec<u8> {
        format!("diff --git a/f b/f\nindex 1111111..2222222 100644\n--- a/f\n+++ b/f\n{body}")
            .into_bytes()
    }

    fn changes(files: &[FileDiff]) -> Vec<String> {
        files
            .iter()
            .flat_map(|f| &f.lines)
            .filter(|l| matches!(l.kind, DiffLineKind::Added | DiffLineKind::Removed))
            .map(|l| {
                let sign = if l.kind == DiffLineKind::Added {
                    '+'
                } else {
                    '-'
                };
                format!("{sign}{}", l.text)
            })
            .collect()
    }

    #[test]
    fn moved_lines_and_changed_context_are_no_change() {
        let old = diff(
            "@@ -8,6 +8,8 @@\n line 8\n line 9\n line 10\n+A\n+B\n line 11\n line 12\n line 13\n",
        );
        let new = diff(
            "@@ -18,6 +18,8 @@ def f():\n line eight\n line 9\n line 10\n+A\n+B\n line 11\n line twelve\n line 13\n",
        );
        assert!(patch_diff(&old, &new).is_empty());
    }

    #[test]
    fn a_reworked_line_shows_as_range_diff_shows_it() {
        let old = diff(
            "@@ -8,6 +8,8 @@\n line 8\n line 9\n line 10\n+A\n+B\n line 11\n line 12\n line 13\n",
        );
        let new = diff(
            "@@ -8,6 +8,8 @@\n line eight\n line 9\n line 10\n+A\n+B2\n line 11\n line 12\n line 13\n",
        );
        let files = patch_diff(&old, &new);
        assert_eq!(changes(&files), ["-+B", "++B2"]);
        assert_eq!((files[0].added, files[0].removed), (1, 1));
        // The new patch's context around it, the header first.
        let texts: Vec<&str> = files[0].lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "@@ -8,6 +8,8 @@",
                " line 9",
                " line 10",
                "+A",
                "+B",
                "+B2",
                " line 11",
                " line 12",
                " line 13"
            ]
        );
    }

    #[test]
    fn a_hunk_split_in_two_by_upstream_is_the_same_change() {
        let old = diff("@@ -1,4 +1,6 @@\n a\n+X\n b\n c\n+Y\n d\n");
        let new = diff("@@ -1,3 +1,4 @@\n a\n+X\n b\n up\n@@ -20,3 +21,4 @@\n up2\n c\n+Y\n d\n");
        assert!(patch_diff(&old, &new).is_empty());
    }

    #[test]
    fn a_file_the_new_version_no_longer_touches_is_all_removed_under_its_headers() {
        let old = format!(
            "{}diff --git a/g b/g\nindex 1111111..2222222 100644\n--- a/g\n+++ b/g\n@@ -1,2 +1,3 @@ top\n a\n+G\n b\n",
            String::from_utf8(diff("@@ -1,2 +1,3 @@\n a\n+X\n b\n")).unwrap()
        );
        let new = diff("@@ -1,2 +1,3 @@\n a\n+X\n b\n");
        let files = patch_diff(old.as_bytes(), &new);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "g");
        assert_eq!(changes(&files), ["-## g ##", "-+G"]);
        assert_eq!(files[0].lines[1].text, "@@ -1,2 +1,3 @@ top");
    }

    #[test]
    fn a_line_that_gains_its_newline_is_a_change() {
        let old = diff("@@ -1,1 +1,2 @@\n a\n+x\n\\ No newline at end of file\n");
        let new = diff("@@ -1,1 +1,2 @@\n a\n+x\n");
        let files = patch_diff(&old, &new);
        assert_eq!(
            changes(&files),
            ["-+x", "-\\ No newline at end of file", "++x"]
        );
        assert_eq!((files[0].added, files[0].removed), (1, 1));
    }

    /// nova's `nova/conf/quota.py` on 31.0.0 and 32.0.0: the same option
    /// added before a `"""),` line, which git's diff put at the block's end
    /// on one base and at its start on the other.
    #[test]
    fn a_block_written_one_line_higher_is_the_same_change() {
        let old = diff(
            "@@ -1,3 +1,5 @@\n * -1 to disable\n+    cfg.IntOpt('pci'),\n+\"\"\"),\n \"\"\"),\n end\n",
        );
        let new = diff(
            "@@ -1,3 +1,5 @@\n * -1 to disable\n+\"\"\"),\n+    cfg.IntOpt('pci'),\n \"\"\"),\n end\n",
        );
        assert!(patch_diff(&old, &new).is_empty());
        // Lines in another order are a change.
        let ab = diff("@@ -1,2 +1,4 @@\n x\n+a\n+b\n y\n");
        let ba = diff("@@ -1,2 +1,4 @@\n x\n+b\n+a\n y\n");
        assert_eq!(changes(&patch_diff(&ab, &ba)), ["++b", "-+b"]);
    }
}
