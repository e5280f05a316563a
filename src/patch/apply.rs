//! Applying one file's hunks exactly as `git apply` does without fuzz or
//! whitespace options (apply.c `apply_one_fragment`, `find_pos`,
//! `match_fragment`, `update_image`).

use super::diff::{Hunk, LineKind};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub content: Vec<u8>,
    /// The hunks that applied at another line than their header says.
    pub offsets: Vec<HunkOffset>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HunkOffset {
    /// 0-based index of the hunk.
    pub hunk: usize,
    /// Line of the hunk's `@@` header in the diff.
    pub line: usize,
    /// Lines between where the header says and where it applied, as git
    /// reports in "Hunk #2 succeeded at 40 (offset 3 lines)".
    pub offset: isize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("hunk #{} (line {line} of the diff) does not apply; it was expected at line {expected_at}", .hunk + 1)]
pub struct HunkMismatch {
    /// 0-based index of the hunk.
    pub hunk: usize,
    /// Line of the hunk's `@@` header in the diff.
    pub line: usize,
    /// The hunk's old start line, which git names in "patch failed: file:N".
    pub expected_at: usize,
}

/// A line of the file being patched, as apply.c's `struct line`: lines that
/// a hunk produced are marked so that later hunks cannot match over them.
#[derive(Clone, Copy)]
struct ImageLine<'a> {
    text: &'a [u8],
    newline: bool,
    hash: u32,
    patched: bool,
}

impl<'a> ImageLine<'a> {
    fn new(text: &'a [u8], newline: bool, patched: bool) -> Self {
        ImageLine {
            text,
            newline,
            hash: hash_line(text),
            patched,
        }
    }

    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.text
            .iter()
            .copied()
            .chain(self.newline.then_some(b'\n'))
    }
}

/// apply.c `hash_line`: a quick filter that ignores whitespace; exact
/// matching is done on the bytes afterwards.
fn hash_line(text: &[u8]) -> u32 {
    text.iter()
        .filter(|&&b| !super::is_git_space(b))
        .fold(0u32, |h, &b| h.wrapping_mul(3).wrapping_add(u32::from(b)))
}

/// Applies `hunks`, in order, to `old`. Each hunk is searched for near
/// where its header puts it, then ever further away, and applies at the
/// first place its context and removed lines match byte for byte.
pub fn apply_hunks(old: &[u8], hunks: &[Hunk]) -> Result<Applied, HunkMismatch> {
    let mut image: Vec<ImageLine<'_>> = Vec::with_capacity(old.len() / 32 + 1);
    let mut rest = old;
    while !rest.is_empty() {
        match rest.iter().position(|&b| b == b'\n') {
            Some(p) => {
                image.push(ImageLine::new(&rest[..p], true, false));
                rest = &rest[p + 1..];
            }
            None => {
                image.push(ImageLine::new(rest, false, false));
                rest = &[];
            }
        }
    }
    let mut offsets = Vec::new();
    for (n, hunk) in hunks.iter().enumerate() {
        let mut pre = Vec::with_capacity(hunk.old_count);
        let mut post = Vec::with_capacity(hunk.new_count);
        let mut trailing = 0usize;
        for line in &hunk.lines {
            let l = ImageLine::new(&line.text, line.newline, true);
            if line.kind != LineKind::Add {
                pre.push(l);
            }
            if line.kind != LineKind::Remove {
                post.push(l);
            }
            trailing = if line.kind == LineKind::Context {
                trailing + 1
            } else {
                0
            };
        }
        // A hunk starting at the top must apply there, and one without
        // trailing context must apply at the end (no --unidiff-zero).
        let match_beginning = hunk.old_start <= 1;
        let match_end = trailing == 0;
        let pos = hunk.new_start.saturating_sub(1);
        let found =
            find_pos(&image, &pre, pos, match_beginning, match_end).ok_or(HunkMismatch {
                hunk: n,
                line: hunk.line,
                expected_at: hunk.old_start,
            })?;
        if found != pos {
            offsets.push(HunkOffset {
                hunk: n,
                line: hunk.line,
                offset: found as isize - pos as isize,
            });
        }
        image.splice(found..found + pre.len(), post);
    }
    let mut content = Vec::with_capacity(old.len() + 64);
    for line in &image {
        content.extend_from_slice(line.text);
        if line.newline {
            content.push(b'\n');
        }
    }
    Ok(Applied { content, offsets })
}

/// apply.c `find_pos`: tries `line`, then alternately one further forward
/// and one further backward, over the whole image.
fn find_pos(
    image: &[ImageLine<'_>],
    pre: &[ImageLine<'_>],
    line: usize,
    match_beginning: bool,
    match_end: bool,
) -> Option<usize> {
    let nr = image.len();
    let line = if match_beginning {
        0
    } else if match_end {
        nr.saturating_sub(pre.len())
    } else {
        line.min(nr)
    };
    let (mut backwards, mut forwards, mut current) = (line, line, line);
    let mut i = 0usize;
    loop {
        if match_fragment(image, pre, current, match_beginning, match_end) {
            return Some(current);
        }
        loop {
            if backwards == 0 && forwards == nr {
                return None;
            }
            if i & 1 == 1 {
                if backwards == 0 {
                    i += 1;
                    continue;
                }
                backwards -= 1;
                current = backwards;
            } else {
                if forwards == nr {
                    i += 1;
                    continue;
                }
                forwards += 1;
                current = forwards;
            }
            break;
        }
        i += 1;
    }
}

/// apply.c `match_fragment` without whitespace fixing. Note git compares
/// the preimage bytes as a prefix of the image bytes, so a preimage whose
/// last line lacks its newline also matches a line that has one (and any
/// trailing whitespace, which the hash ignores) unless it must match at the
/// end.
fn match_fragment(
    image: &[ImageLine<'_>],
    pre: &[ImageLine<'_>],
    current: usize,
    match_beginning: bool,
    match_end: bool,
) -> bool {
    if pre.len() + current > image.len()
        || (match_end && pre.len() + current != image.len())
        || (match_beginning && current != 0)
    {
        return false;
    }
    let window = &image[current..current + pre.len()];
    if window
        .iter()
        .zip(pre)
        .any(|(i, p)| i.patched || i.hash != p.hash)
    {
        return false;
    }
    let mut image_bytes = image[current..].iter().flat_map(ImageLine::bytes);
    let equal = pre
        .iter()
        .flat_map(ImageLine::bytes)
        .all(|b| image_bytes.next() == Some(b));
    equal && (!match_end || image_bytes.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::parse_diff;

    fn hunks(diff: &str) -> Vec<Hunk> {
        parse_diff(diff.as_bytes()).unwrap().remove(0).hunks
    }

    #[test]
    fn offsets_and_newline_changes() {
        let h = hunks("--- a/f\n+++ b/f\n@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n");
        let r = apply_hunks(b"x\ny\nz\na\nb\nc\nd\ne\n", &h).unwrap();
        assert_eq!(r.content, b"x\ny\nz\na\nb\nC\nd\ne\n");
        assert_eq!(
            r.offsets,
            vec![HunkOffset {
                hunk: 0,
                line: 3,
                offset: 3
            }]
        );
        let h =
            hunks("--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
        assert_eq!(apply_hunks(b"a\nb", &h).unwrap().content, b"a\nb\n");
        assert!(apply_hunks(b"a\nb\n", &h).is_err());
        let h = hunks(
            "--- /dev/null\n+++ b/f\n@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file\n",
        );
        assert_eq!(apply_hunks(b"", &h).unwrap().content, b"a\nb");
        let err = apply_hunks(b"zzz\n", &h).unwrap_err();
        assert_eq!(
            err,
            HunkMismatch {
                hunk: 0,
                line: 3,
                expected_at: 0
            }
        );
    }
}
