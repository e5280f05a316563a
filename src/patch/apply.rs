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

/// How the line endings of a patch's hunks and of the file they apply to
/// differ, when they do throughout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineEndings {
    /// The hunks' lines end in CRLF, the file's in LF.
    PatchCrlfFileLf,
    /// The hunks' lines end in LF, the file's in CRLF.
    PatchLfFileCrlf,
}

impl std::fmt::Display for LineEndings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LineEndings::PatchCrlfFileLf => "the patch's lines end in CRLF, the file's in LF",
            LineEndings::PatchLfFileCrlf => "the patch's lines end in LF, the file's in CRLF",
        })
    }
}

/// Whether most of `lines` end in a CR (at least one, and more than half).
fn mostly_cr<'a>(lines: impl Iterator<Item = &'a [u8]>) -> bool {
    let (mut cr, mut all) = (0usize, 0usize);
    for line in lines {
        all += 1;
        cr += usize::from(line.last() == Some(&b'\r'));
    }
    cr > 0 && cr * 2 > all
}

/// Compares the line endings of `hunks` with those of `old`: `None` when
/// they agree (or either side has too few lines to tell).
pub fn line_endings(old: &[u8], hunks: &[Hunk]) -> Option<LineEndings> {
    let file_lines = old.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let hunk_lines = || {
        hunks
            .iter()
            .flat_map(|h| &h.lines)
            .filter(|l| l.newline)
            .map(|l| l.text.as_slice())
    };
    let file_cr = mostly_cr(file_lines);
    if hunk_lines().next().is_none() || !old.contains(&b'\n') {
        return None;
    }
    match (mostly_cr(hunk_lines()), file_cr) {
        (true, false) => Some(LineEndings::PatchCrlfFileLf),
        (false, true) => Some(LineEndings::PatchLfFileCrlf),
        _ => None,
    }
}

/// `hunks` with their lines' endings turned into the file's: a CR added to
/// every line that ends in a newline (`PatchLfFileCrlf`, what `git am
/// --keep-cr` gives for a CRLF mail), or every line's trailing CR dropped
/// (`PatchCrlfFileLf`, what `git am` does when it reads a CRLF mail).
pub fn with_line_endings(hunks: &[Hunk], endings: LineEndings) -> Vec<Hunk> {
    let mut out = hunks.to_vec();
    for line in out.iter_mut().flat_map(|h| &mut h.lines) {
        match endings {
            LineEndings::PatchCrlfFileLf => {
                if line.text.last() == Some(&b'\r') {
                    line.text.pop();
                }
            }
            LineEndings::PatchLfFileCrlf => {
                if line.newline && line.text.last() != Some(&b'\r') {
                    line.text.push(b'\r');
                }
            }
        }
    }
    out
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
    use crate::patch::{parse_diff, test_git};

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

    /// xorshift64*, enough to make reproducible edit sequences.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn random_line(rng: &mut Rng, serial: &mut usize) -> String {
        *serial += 1;
        // Some lines repeat, so that context can match in several places.
        if rng.below(4) == 0 {
            format!("common {}", rng.below(4))
        } else {
            format!("line {serial} {}", rng.below(1000))
        }
    }

    /// A few random edits: replacements, deletions and insertions anywhere,
    /// including the very start and end, and sometimes a change to whether
    /// the file ends with a newline.
    fn edit(rng: &mut Rng, text: &str, serial: &mut usize) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for _ in 0..1 + rng.below(5) {
            let at = match rng.below(8) {
                0 => 0,
                1 => lines.len(),
                _ => rng.below(lines.len() + 1),
            };
            let remove = rng.below(4).min(lines.len() - at);
            let insert: Vec<String> = (0..rng.below(4))
                .map(|_| random_line(rng, serial))
                .collect();
            lines.splice(at..at + remove, insert);
        }
        let mut out = lines.join("\n");
        let had_newline = text.ends_with('\n');
        if !out.is_empty() && (had_newline != (rng.below(6) == 0)) {
            out.push('\n');
        }
        out
    }

    /// "Hunk #N succeeded at L (offset K lines)." lines of `git apply -v`.
    fn git_offsets(stderr: &str) -> Vec<(usize, isize)> {
        stderr
            .lines()
            .filter_map(|l| {
                let rest = l.strip_prefix("Hunk #")?;
                let (n, rest) = rest.split_once(" succeeded at ")?;
                let offset = rest.split_once("(offset ")?.1.split(' ').next()?;
                Some((n.parse().ok()?, offset.parse().ok()?))
            })
            .collect()
    }

    /// Applies `diff` to `target` with `git apply -v` and with
    /// [`apply_hunks`], and insists both agree on success, result and offsets.
    fn compare_with_git(dir: &std::path::Path, diff: &[u8], target: &[u8]) -> bool {
        std::fs::write(dir.join("f"), target).unwrap();
        std::fs::write(dir.join("p.diff"), diff).unwrap();
        let out = test_git::run(dir, &["apply", "-v", "p.diff"], &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let files = parse_diff(diff).unwrap();
        assert_eq!(files.len(), 1);
        let ours = apply_hunks(target, &files[0].hunks);
        let context = || {
            format!(
                "git: {stderr}\nours: {ours:?}\ndiff:\n{}",
                String::from_utf8_lossy(diff)
            )
        };
        assert_eq!(out.status.success(), ours.is_ok(), "{}", context());
        if let Ok(applied) = &ours {
            let result = std::fs::read(dir.join("f")).unwrap();
            assert_eq!(applied.content, result, "{}", context());
            let offsets: Vec<(usize, isize)> = applied
                .offsets
                .iter()
                .map(|o| (o.hunk + 1, o.offset))
                .collect();
            assert_eq!(offsets, git_offsets(&stderr), "{}", context());
        }
        ours.is_ok()
    }

    #[test]
    fn random_edits_match_git_apply() {
        let repo = tempfile::tempdir().unwrap();
        let scratch = tempfile::tempdir().unwrap();
        test_git::init(scratch.path());
        let (mut cases, mut applied, mut offset_cases) = (0, 0, 0);
        for seed in 1..=8u64 {
            let dir = repo.path().join(seed.to_string());
            std::fs::create_dir(&dir).unwrap();
            test_git::init(&dir);
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut serial = 0;
            let mut versions = vec![];
            let mut text: String = (0..300)
                .map(|_| random_line(&mut rng, &mut serial) + "\n")
                .collect();
            for k in 0..7 {
                if k > 0 {
                    text = edit(&mut rng, &text, &mut serial);
                }
                std::fs::write(dir.join("f"), &text).unwrap();
                test_git::ok(&dir, &["add", "f"], &[]);
                test_git::ok(&dir, &["commit", "-q", "--allow-empty", "-m", "v"], &[]);
                versions.push(text.clone());
            }
            for k in 1..versions.len() {
                let range = format!(
                    "HEAD~{}..HEAD~{}",
                    versions.len() - k,
                    versions.len() - 1 - k
                );
                let diff = test_git::ok(&dir, &["diff", &range], &[]);
                if diff.is_empty() {
                    continue;
                }
                for (m, target) in versions.iter().enumerate() {
                    if m + 1 == k {
                        continue;
                    }
                    cases += 1;
                    if compare_with_git(scratch.path(), &diff, target.as_bytes()) {
                        applied += 1;
                        let files = parse_diff(&diff).unwrap();
                        if apply_hunks(target.as_bytes(), &files[0].hunks)
                            .is_ok_and(|a| !a.offsets.is_empty())
                        {
                            offset_cases += 1;
                        }
                    }
                }
            }
        }
        // The comparison is only meaningful if all outcomes occur often.
        assert!(cases >= 250, "{cases} cases");
        assert!(
            applied >= 30 && cases - applied >= 30,
            "{applied} of {cases} applied"
        );
        assert!(offset_cases >= 10, "{offset_cases} applied with offsets");
    }

    /// A diff whose line endings differ from the file's throughout applies
    /// in the file's: as `git apply` applies the same diff with every line
    /// converted (what `git am --keep-cr` and plain `git am` read from a
    /// CRLF mail).
    #[test]
    fn line_endings_are_converted_like_git_reads_crlf_mails() {
        let scratch = tempfile::tempdir().unwrap();
        test_git::init(scratch.path());
        let lf_diff = "--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n+new\n c\n";
        let crlf_diff = lf_diff.replace('\n', "\r\n");
        let crlf_file = b"a\r\nb\r\nc\r\n";
        let lf_file = b"a\nb\nc\n";
        for (diff, file, endings) in [
            (lf_diff, &crlf_file[..], LineEndings::PatchLfFileCrlf),
            (
                crlf_diff.as_str(),
                &lf_file[..],
                LineEndings::PatchCrlfFileLf,
            ),
        ] {
            let h = hunks(diff);
            assert!(apply_hunks(file, &h).is_err());
            assert_eq!(line_endings(file, &h), Some(endings));
            let ours = apply_hunks(file, &with_line_endings(&h, endings)).unwrap();
            // git apply of the diff in the file's line endings.
            let converted = match endings {
                LineEndings::PatchLfFileCrlf => diff.replace('\n', "\r\n"),
                LineEndings::PatchCrlfFileLf => diff.replace("\r\n", "\n"),
            };
            assert!(compare_with_git(scratch.path(), converted.as_bytes(), file));
            assert_eq!(
                ours.content,
                std::fs::read(scratch.path().join("f")).unwrap()
            );
        }
        // Same endings, or too little to tell: nothing to convert.
        assert_eq!(line_endings(lf_file, &hunks(lf_diff)), None);
        assert_eq!(line_endings(b"", &hunks(lf_diff)), None);
    }

    #[test]
    fn chosen_cases_match_git_apply() {
        let scratch = tempfile::tempdir().unwrap();
        test_git::init(scratch.path());
        let base: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let diff = |old: &str, new: &str| {
            let dir = tempfile::tempdir().unwrap();
            test_git::init(dir.path());
            std::fs::write(dir.path().join("f"), old).unwrap();
            test_git::ok(dir.path(), &["add", "f"], &[]);
            std::fs::write(dir.path().join("f"), new).unwrap();
            test_git::ok(dir.path(), &["diff"], &[])
        };
        let shifted = format!("a\nb\nc\n{base}");
        let cases = [
            // Context moved by 3 lines.
            (base.replace("10\n", "ten\n"), shifted.clone(), true),
            // Insertions at the start and at the end.
            (format!("top\n{base}"), shifted.clone(), false),
            (format!("{base}bottom\n"), shifted.clone(), true),
            // Removing and adding the final newline.
            (base.trim_end().to_string(), shifted.clone(), true),
            (format!("{base}x"), base.clone(), true),
            (base.replace("20\n", "twenty"), format!("{base}21\n"), false),
        ];
        for (new, target, should_apply) in cases {
            let d = diff(&base, &new);
            assert_eq!(
                compare_with_git(scratch.path(), &d, target.as_bytes()),
                should_apply
            );
        }
        let d = diff(&format!("{base}x"), &format!("{base}y"));
        assert!(compare_with_git(
            scratch.path(),
            &d,
            format!("{base}x").as_bytes()
        ));
        assert!(!compare_with_git(
            scratch.path(),
            &d,
            format!("{base}x\n").as_bytes()
        ));
    }

    #[test]
    fn large_file_is_fast() {
        let old: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        let mut diff = String::from("--- a/f\n+++ b/f\n");
        for h in 0..10 {
            let at = h * 480 + 10;
            diff += &format!("@@ -{},7 +{},7 @@\n", at + 1, at + 1);
            for i in at..at + 7 {
                if i == at + 3 {
                    diff += &format!("-line {i}\n+changed {i}\n");
                } else {
                    diff += &format!(" line {i}\n");
                }
            }
        }
        let hunks = parse_diff(diff.as_bytes()).unwrap().remove(0).hunks;
        // Moved by 100 lines, so every hunk is searched for.
        let moved: String = (0..100).map(|i| format!("pad {i}\n")).collect::<String>() + &old;
        let start = std::time::Instant::now();
        let rounds = 20;
        for _ in 0..rounds {
            let applied = apply_hunks(moved.as_bytes(), &hunks).unwrap();
            assert_eq!(applied.offsets.len(), 10);
        }
        let each = start.elapsed() / rounds;
        // Generous, for unoptimised test builds on a busy machine.
        assert!(
            each < std::time::Duration::from_millis(50),
            "{each:?} per apply"
        );
    }
}
