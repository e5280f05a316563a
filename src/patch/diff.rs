//! The diff part of a patch, read the way `git apply` reads it (apply.c
//! `find_header`, `parse_git_diff_header`, `parse_fragment`).

use super::PatchError;
use super::binary::{BinaryMethod, BinaryPatch, decode_section};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileChange {
    Modify,
    Add,
    Delete,
    Rename,
    Copy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePatch {
    pub change: FileChange,
    /// Path with its first component ("a/") stripped; `None` for /dev/null.
    pub old_path: Option<String>,
    pub new_path: Option<String>,
    pub old_mode: Option<u32>,
    pub new_mode: Option<u32>,
    /// Object ids from the `index` line, as written (possibly abbreviated).
    pub old_id: Option<String>,
    pub new_id: Option<String>,
    /// A binary diff (`GIT binary patch` with its data, or a `Binary files
    /// differ` line without any); its hunks are then empty.
    pub binary: Option<BinaryPatch>,
    pub hunks: Vec<Hunk>,
    /// 1-based line of this file's first header line in the diff text.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    pub old_start: usize,
    pub old_count: usize,
    pub new_start: usize,
    pub new_count: usize,
    pub lines: Vec<Line>,
    /// 1-based line of the `@@` header in the diff text.
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineKind {
    Context,
    Remove,
    Add,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub kind: LineKind,
    /// The line without its prefix character and without '\n'.
    pub text: Vec<u8>,
    /// False when the line is followed by "\ No newline at end of file".
    pub newline: bool,
}

/// One line of some text: its bytes without the '\n', and the byte range it
/// occupies including the '\n'.
pub(crate) struct RawLine<'a> {
    pub text: &'a [u8],
    pub start: usize,
    pub end: usize,
}

pub(crate) fn split_lines(bytes: &[u8]) -> Vec<RawLine<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let (text_end, end) = match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(p) => (start + p, start + p + 1),
            None => (bytes.len(), bytes.len()),
        };
        out.push(RawLine {
            text: &bytes[start..text_end],
            start,
            end,
        });
        start = end;
    }
    out
}

/// Parses every file patch in `diff`. Text that is not part of a file patch
/// (before the first one, between them, after the last) is skipped, as
/// `git apply` does. Line numbers in errors are relative to `diff`.
pub fn parse_diff(diff: &[u8]) -> Result<Vec<FilePatch>, PatchError> {
    parse_diff_prefix(diff).map(|(files, _)| files)
}

/// Like [`parse_diff`], also returning how many bytes the file patches span
/// (up to the end of the last one), so that trailing text such as a mail
/// signature can be cut off.
pub(crate) fn parse_diff_prefix(diff: &[u8]) -> Result<(Vec<FilePatch>, usize), PatchError> {
    let mut parser = Parser {
        lines: split_lines(diff),
        i: 0,
        p_value: None,
    };
    let mut files = Vec::new();
    let mut used = 0;
    while parser.i < parser.lines.len() {
        let text = parser.text(parser.i);
        let file = if text.starts_with(b"diff --git ") {
            Some(parser.git_file()?)
        } else if text.starts_with(b"--- ")
            && parser.text(parser.i + 1).starts_with(b"+++ ")
            && parser.text(parser.i + 2).starts_with(b"@@ -")
        {
            Some(parser.traditional_file()?)
        } else if text.starts_with(b"@@ -") && parse_hunk_header(text).is_ok() {
            return Err(malformed(
                parser.i + 1,
                "hunk without a file header before it (missing \"diff --git\" or \"---\"/\"+++\" lines?)",
            ));
        } else {
            parser.i += 1;
            None
        };
        if let Some(file) = file {
            files.push(file);
            used = parser.lines[parser.i - 1].end;
        }
    }
    Ok((files, used))
}

fn malformed(line: usize, message: impl Into<String>) -> PatchError {
    PatchError::Malformed {
        line,
        message: message.into(),
    }
}

struct Parser<'a> {
    lines: Vec<RawLine<'a>>,
    i: usize,
    /// How many leading directories traditional patches carry, once a
    /// `---`/`+++` pair has told (apply.c `p_value_known`); 1 until then.
    p_value: Option<usize>,
}

/// What the extended header lines of a `diff --git` file said.
#[derive(Default)]
struct GitHeader {
    /// From "---"/"+++": `Some(None)` is /dev/null.
    minus: Option<Option<String>>,
    plus: Option<Option<String>>,
    old_mode: Option<u32>,
    new_mode: Option<u32>,
    new_file: bool,
    deleted: bool,
    copy_from: Option<String>,
    copy_to: Option<String>,
    rename_from: Option<String>,
    rename_to: Option<String>,
    old_id: Option<String>,
    new_id: Option<String>,
}

impl<'a> Parser<'a> {
    fn text(&self, i: usize) -> &'a [u8] {
        self.lines.get(i).map_or(&[][..], |l| l.text)
    }

    fn git_file(&mut self) -> Result<FilePatch, PatchError> {
        let line = self.i + 1;
        let def_name = git_header_name(&self.text(self.i)["diff --git ".len()..])
            .map(|n| path_string(n, line))
            .transpose()?;
        self.i += 1;
        let mut h = GitHeader::default();
        while self.i < self.lines.len() {
            let text = self.text(self.i);
            let n = self.i + 1;
            let rest = |prefix: &[u8]| text.strip_prefix(prefix);
            if text.starts_with(b"@@ -") {
                break;
            } else if let Some(r) = rest(b"--- ") {
                h.minus = Some(dash_name(r, n)?);
            } else if let Some(r) = rest(b"+++ ") {
                h.plus = Some(dash_name(r, n)?);
            } else if let Some(r) = rest(b"old mode ") {
                h.old_mode = Some(parse_mode(r, n)?);
            } else if let Some(r) = rest(b"new mode ") {
                h.new_mode = Some(parse_mode(r, n)?);
            } else if let Some(r) = rest(b"deleted file mode ") {
                h.deleted = true;
                h.old_mode = Some(parse_mode(r, n)?);
            } else if let Some(r) = rest(b"new file mode ") {
                h.new_file = true;
                h.new_mode = Some(parse_mode(r, n)?);
            } else if let Some(r) = rest(b"copy from ") {
                h.copy_from = Some(header_path(r, n)?);
            } else if let Some(r) = rest(b"copy to ") {
                h.copy_to = Some(header_path(r, n)?);
            } else if let Some(r) = rest(b"rename from ").or_else(|| rest(b"rename old ")) {
                h.rename_from = Some(header_path(r, n)?);
            } else if let Some(r) = rest(b"rename to ").or_else(|| rest(b"rename new ")) {
                h.rename_to = Some(header_path(r, n)?);
            } else if text.starts_with(b"similarity index ")
                || text.starts_with(b"dissimilarity index ")
            {
                // Only informative; the rename/copy lines carry the meaning.
            } else if let Some(r) = rest(b"index ") {
                parse_index(r, n, &mut h)?;
            } else {
                break;
            }
            self.i += 1;
        }
        let hunks = self.hunks()?;
        let binary = if hunks.is_empty() {
            self.binary()?
        } else {
            None
        };
        self.finish_git_file(h, def_name, hunks, binary, line)
    }

    fn finish_git_file(
        &self,
        h: GitHeader,
        def_name: Option<String>,
        hunks: Vec<Hunk>,
        binary: Option<BinaryPatch>,
        line: usize,
    ) -> Result<FilePatch, PatchError> {
        let (change, old_path, new_path) = if h.rename_from.is_some() || h.rename_to.is_some() {
            (FileChange::Rename, h.rename_from, h.rename_to)
        } else if h.copy_from.is_some() || h.copy_to.is_some() {
            (FileChange::Copy, h.copy_from, h.copy_to)
        } else {
            let minus_null = matches!(h.minus, Some(None));
            let plus_null = matches!(h.plus, Some(None));
            let old = h.minus.flatten().or_else(|| def_name.clone());
            let new = h.plus.flatten().or(def_name);
            if h.new_file || (minus_null && !h.deleted) {
                (FileChange::Add, None, new)
            } else if h.deleted || plus_null {
                (FileChange::Delete, old, None)
            } else {
                (FileChange::Modify, old, new)
            }
        };
        let needs_old = change != FileChange::Add;
        let needs_new = change != FileChange::Delete;
        if (needs_old && old_path.is_none()) || (needs_new && new_path.is_none()) {
            return Err(malformed(
                line,
                "diff --git header lacks file name information (a rename or copy without \
                 \"rename from\"/\"rename to\" lines?)",
            ));
        }
        let mode_change = matches!((h.old_mode, h.new_mode), (Some(a), Some(b)) if a != b);
        if hunks.is_empty() && binary.is_none() && change == FileChange::Modify && !mode_change {
            return Err(malformed(
                line,
                "this file's diff has no hunks and changes nothing (truncated patch?)",
            ));
        }
        let file = FilePatch {
            change,
            old_path,
            new_path,
            old_mode: h.old_mode,
            new_mode: h.new_mode,
            old_id: h.old_id,
            new_id: h.new_id,
            binary,
            hunks,
            line,
        };
        check_creation_deletion(&file)?;
        Ok(file)
    }

    /// A `---`/`+++` patch as `diff -u`, quilt or GNU patch write it (apply.c
    /// `parse_traditional_patch`): names followed by a tab and a timestamp,
    /// a created (deleted) file named by `/dev/null` or an epoch timestamp on
    /// the old (new) side, and a leading directory guessed as git does.
    fn traditional_file(&mut self) -> Result<FilePatch, PatchError> {
        let line = self.i + 1;
        let first = &self.text(self.i)[4..];
        let second = &self.text(self.i + 1)[4..];
        if self.p_value.is_none() {
            let p = guess_p_value(first);
            let q = guess_p_value(second);
            let p = p.or(q);
            if p.is_some() && p == q {
                self.p_value = p;
            }
        }
        let p = self.p_value.unwrap_or(1);
        let name = |text: &[u8], def: Option<Vec<u8>>, n: usize| {
            traditional_name(text, p, def)
                .map(|name| path_string(name, n))
                .transpose()
        };
        let (change, old_path, new_path) = if is_dev_null(first) && is_dev_null(second) {
            return Err(malformed(line, "both file names are /dev/null"));
        } else if is_dev_null(first) {
            (FileChange::Add, None, name(second, None, line + 1)?)
        } else if is_dev_null(second) {
            (FileChange::Delete, name(first, None, line)?, None)
        } else {
            let first_name = traditional_name(first, p, None);
            let name = name(second, first_name, line + 1)?;
            if has_epoch_timestamp(first) {
                (FileChange::Add, None, name)
            } else if has_epoch_timestamp(second) {
                (FileChange::Delete, name, None)
            } else {
                (FileChange::Modify, name.clone(), name)
            }
        };
        if old_path.is_none() && new_path.is_none() {
            return Err(malformed(line, "no file name on the \"---\"/\"+++\" lines"));
        }
        self.i += 2;
        let hunks = self.hunks()?;
        let file = FilePatch {
            change,
            old_path,
            new_path,
            old_mode: None,
            new_mode: None,
            old_id: None,
            new_id: None,
            binary: None,
            hunks,
            line,
        };
        check_creation_deletion(&file)?;
        Ok(file)
    }

    /// Consumes a binary diff marker and its data, if one is next (apply.c
    /// `parse_binary`): a forward section and an optional reverse one, each
    /// `literal N` or `delta N`, base85 lines, and a blank line.
    fn binary(&mut self) -> Result<Option<BinaryPatch>, PatchError> {
        let text = self.text(self.i);
        if text == b"GIT binary patch" {
            self.i += 1;
            let forward = self.binary_section()?.ok_or_else(|| {
                malformed(
                    self.i + 1,
                    "corrupt binary patch: expected \"literal\" or \"delta\"",
                )
            })?;
            let reverse = self.binary_section()?;
            return Ok(Some(BinaryPatch {
                forward: Some(forward),
                reverse,
            }));
        }
        if (text.starts_with(b"Binary files ") || text.starts_with(b"Files "))
            && text.ends_with(b" differ")
        {
            self.i += 1;
            return Ok(Some(BinaryPatch {
                forward: None,
                reverse: None,
            }));
        }
        Ok(None)
    }

    /// One `literal N` / `delta N` section, if one is next.
    fn binary_section(&mut self) -> Result<Option<super::binary::BinaryData>, PatchError> {
        let text = self.text(self.i);
        let (method, size) = if let Some(n) = text.strip_prefix(b"literal ") {
            (BinaryMethod::Literal, n)
        } else if let Some(n) = text.strip_prefix(b"delta ") {
            (BinaryMethod::Delta, n)
        } else {
            return Ok(None);
        };
        let line = self.i + 1;
        let size = match parse_num(size) {
            Ok((size, b"")) => size,
            _ => return Err(malformed(line, "corrupt binary patch: bad size")),
        };
        self.i += 1;
        let first = self.i;
        while self.i < self.lines.len() && !self.text(self.i).is_empty() {
            self.i += 1;
        }
        let data_lines = (first..self.i).map(|i| self.text(i));
        let data =
            decode_section(method, size, data_lines).map_err(|e| malformed(line, e.to_string()))?;
        // The blank line that ends the section.
        self.i = (self.i + 1).min(self.lines.len());
        Ok(Some(data))
    }

    fn hunks(&mut self) -> Result<Vec<Hunk>, PatchError> {
        let mut hunks = Vec::new();
        while self.text(self.i).starts_with(b"@@ -") {
            hunks.push(self.hunk()?);
        }
        Ok(hunks)
    }

    fn hunk(&mut self) -> Result<Hunk, PatchError> {
        let line = self.i + 1;
        let (old_start, old_count, new_start, new_count) =
            parse_hunk_header(self.text(self.i)).map_err(|m| malformed(line, m))?;
        self.i += 1;
        let (mut old_left, mut new_left) = (old_count, new_count);
        let mut lines: Vec<Line> = Vec::new();
        let truncated = |old_left: usize, new_left: usize| {
            let (side, expected, left) = if old_left > 0 {
                ("old", old_count, old_left)
            } else {
                ("new", new_count, new_left)
            };
            PatchError::HunkCount {
                line,
                side,
                expected,
                found: expected - left,
            }
        };
        let too_many = |side: &str, expected: usize, n: usize| {
            malformed(
                n,
                format!(
                    "hunk at line {line} has more {side} lines than the {expected} its header says"
                ),
            )
        };
        while old_left > 0 || new_left > 0 {
            if self.i >= self.lines.len() {
                return Err(truncated(old_left, new_left));
            }
            let text = self.text(self.i);
            let n = self.i + 1;
            let (kind, body) = match text.first() {
                // GNU diff writes an empty context line as an empty line.
                None => (LineKind::Context, text),
                Some(b' ') => (LineKind::Context, &text[1..]),
                Some(b'-') => (LineKind::Remove, &text[1..]),
                Some(b'+') => (LineKind::Add, &text[1..]),
                Some(b'\\') => {
                    self.no_newline_marker(&mut lines)?;
                    continue;
                }
                Some(_) => return Err(truncated(old_left, new_left)),
            };
            if kind != LineKind::Add {
                old_left = old_left
                    .checked_sub(1)
                    .ok_or_else(|| too_many("old", old_count, n))?;
            }
            if kind != LineKind::Remove {
                new_left = new_left
                    .checked_sub(1)
                    .ok_or_else(|| too_many("new", new_count, n))?;
            }
            lines.push(Line {
                kind,
                text: body.to_vec(),
                newline: true,
            });
            self.i += 1;
        }
        if self.text(self.i).starts_with(b"\\") {
            self.no_newline_marker(&mut lines)?;
        }
        if lines.iter().all(|l| l.kind == LineKind::Context) {
            return Err(malformed(line, "hunk changes nothing"));
        }
        Ok(Hunk {
            old_start,
            old_count,
            new_start,
            new_count,
            lines,
            line,
        })
    }

    /// "\ No newline at end of file" (in whatever language the diff tool
    /// spoke): the line before it has no '\n'.
    fn no_newline_marker(&mut self, lines: &mut [Line]) -> Result<(), PatchError> {
        let text = self.text(self.i);
        // apply.c accepts any "\ " line of at least 12 bytes with its '\n'.
        let last = lines
            .last_mut()
            .filter(|_| text.starts_with(b"\\ ") && text.len() >= 11);
        let Some(last) = last else {
            return Err(malformed(
                self.i + 1,
                "unexpected line in hunk (expected \"\\ No newline at end of file\")",
            ));
        };
        last.newline = false;
        self.i += 1;
        Ok(())
    }
}

fn check_creation_deletion(file: &FilePatch) -> Result<(), PatchError> {
    for hunk in &file.hunks {
        if file.change == FileChange::Add && hunk.old_count > 0 {
            return Err(malformed(hunk.line, "new file depends on old contents"));
        }
        if file.change == FileChange::Delete && hunk.new_count > 0 {
            return Err(malformed(hunk.line, "deleted file still has contents"));
        }
    }
    Ok(())
}

fn parse_num(s: &[u8]) -> Result<(usize, &[u8]), &'static str> {
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return Err("malformed hunk header (expected \"@@ -a,b +c,d @@\")");
    }
    let mut n: usize = 0;
    for &d in &s[..digits] {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(usize::from(d - b'0')))
            .ok_or("hunk header has an absurdly large number")?;
    }
    Ok((n, &s[digits..]))
}

/// apply.c `parse_range`: "start[,count]" where an omitted count means 1.
fn parse_range(s: &[u8]) -> Result<(usize, usize, &[u8]), &'static str> {
    let (start, rest) = parse_num(s)?;
    match rest.strip_prefix(b",") {
        Some(rest) => {
            let (count, rest) = parse_num(rest)?;
            Ok((start, count, rest))
        }
        None => Ok((start, 1, rest)),
    }
}

/// "@@ -a[,b] +c[,d] @@[ anything]".
fn parse_hunk_header(text: &[u8]) -> Result<(usize, usize, usize, usize), &'static str> {
    const BAD: &str = "malformed hunk header (expected \"@@ -a,b +c,d @@\")";
    let rest = text.strip_prefix(b"@@ -").ok_or(BAD)?;
    let (old_start, old_count, rest) = parse_range(rest)?;
    let rest = rest.strip_prefix(b" +").ok_or(BAD)?;
    let (new_start, new_count, rest) = parse_range(rest)?;
    rest.strip_prefix(b" @@").ok_or(BAD)?;
    Ok((old_start, old_count, new_start, new_count))
}

fn parse_mode(text: &[u8], line: usize) -> Result<u32, PatchError> {
    let text = trim_end(text);
    let bad = || {
        malformed(
            line,
            "invalid file mode (expected octal digits such as 100644)",
        )
    };
    if text.is_empty() || text.len() > 7 {
        return Err(bad());
    }
    text.iter().try_fold(0u32, |acc, &b| match b {
        b'0'..=b'7' => Ok(acc * 8 + u32::from(b - b'0')),
        _ => Err(bad()),
    })
}

/// "index <old>..<new>[ <mode>]"; like apply.c, an index line that does not
/// have this shape is ignored.
fn parse_index(text: &[u8], line: usize, h: &mut GitHeader) -> Result<(), PatchError> {
    let text = trim_end(text);
    let Some(dots) = text.windows(2).position(|w| w == b"..") else {
        return Ok(());
    };
    let (old, rest) = (&text[..dots], &text[dots + 2..]);
    let (new, mode) = match rest.iter().position(|&b| b == b' ') {
        Some(sp) => (&rest[..sp], Some(&rest[sp + 1..])),
        None => (rest, None),
    };
    let is_id = |s: &[u8]| !s.is_empty() && s.len() <= 64 && s.iter().all(u8::is_ascii_hexdigit);
    if !is_id(old) || !is_id(new) {
        return Ok(());
    }
    h.old_id = Some(String::from_utf8_lossy(old).into_owned());
    h.new_id = Some(String::from_utf8_lossy(new).into_owned());
    if let Some(mode) = mode {
        let mode = parse_mode(mode, line)?;
        h.old_mode.get_or_insert(mode);
        h.new_mode.get_or_insert(mode);
    }
    Ok(())
}

fn trim_end(mut text: &[u8]) -> &[u8] {
    while let [rest @ .., last] = text {
        if !super::is_git_space(*last) {
            break;
        }
        text = rest;
    }
    text
}

fn path_string(bytes: Vec<u8>, line: usize) -> Result<String, PatchError> {
    String::from_utf8(bytes).map_err(|_| malformed(line, "file name is not valid UTF-8"))
}

/// Decodes a C-style quoted name (quote.c `unquote_c_style`) at the start of
/// `text`, returning it and the rest of `text` after the closing quote.
fn unquote_c(text: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let mut out = Vec::new();
    let mut i = 1;
    loop {
        let b = *text.get(i)?;
        i += 1;
        match b {
            b'"' => return Some((out, &text[i..])),
            b'\\' => {
                let e = *text.get(i)?;
                i += 1;
                out.push(match e {
                    b'a' => 7,
                    b'b' => 8,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'v' => 11,
                    b'f' => 12,
                    b'r' => b'\r',
                    b'"' | b'\\' => e,
                    b'0'..=b'3' => {
                        let d2 = *text.get(i)?;
                        let d3 = *text.get(i + 1)?;
                        if !(b'0'..=b'7').contains(&d2) || !(b'0'..=b'7').contains(&d3) {
                            return None;
                        }
                        i += 2;
                        ((e - b'0') << 6) | ((d2 - b'0') << 3) | (d3 - b'0')
                    }
                    _ => return None,
                });
            }
            _ => out.push(b),
        }
    }
}

/// apply.c `skip_tree_prefix` for -p1: everything up to the first '/'.
fn skip_tree_prefix(name: &[u8]) -> Option<&[u8]> {
    match name.iter().position(|&b| b == b'/') {
        Some(0) | None => None,
        Some(p) => Some(&name[p + 1..]),
    }
}

/// The name in "diff --git a/NAME b/NAME", known only when both sides name
/// the same file (apply.c `git_header_name`); renames and copies carry their
/// names in later header lines.
fn git_header_name(text: &[u8]) -> Option<Vec<u8>> {
    let text = trim_end(text);
    if text.first() == Some(&b'"') {
        let (first, rest) = unquote_c(text)?;
        let first = skip_tree_prefix(&first)?.to_vec();
        let rest = rest.trim_ascii_start();
        let second = if rest.first() == Some(&b'"') {
            unquote_c(rest)?.0
        } else {
            rest.to_vec()
        };
        return (skip_tree_prefix(&second)? == first.as_slice()).then_some(first);
    }
    let name = skip_tree_prefix(text)?;
    if let Some(q) = name.iter().position(|&b| b == b'"') {
        let (second, _) = unquote_c(&name[q..])?;
        let second = skip_tree_prefix(&second)?;
        let len = second.len();
        let matches = len < q && name.starts_with(second) && super::is_git_space(name[len]);
        return matches.then(|| second.to_vec());
    }
    // Unquoted on both sides: try each blank as the separator.
    name.iter()
        .enumerate()
        .filter(|&(_, &b)| b == b' ' || b == b'\t')
        .find_map(|(len, _)| {
            let second = skip_tree_prefix(&name[len + 1..])?;
            (second == &name[..len]).then(|| second.to_vec())
        })
}

/// A name after "rename from " and the like: the whole rest of the line, no
/// prefix to strip.
fn header_path(text: &[u8], line: usize) -> Result<String, PatchError> {
    let text = trim_end(text);
    if text.first() == Some(&b'"') {
        let (name, _) =
            unquote_c(text).ok_or_else(|| malformed(line, "malformed quoted file name"))?;
        return path_string(name, line);
    }
    path_string(text.to_vec(), line)
}

/// apply.c `is_dev_null`: "/dev/null" followed by whitespace (or the end).
fn is_dev_null(text: &[u8]) -> bool {
    text.strip_prefix(b"/dev/null")
        .is_some_and(|rest| rest.first().is_none_or(|&b| super::is_git_space(b)))
}

/// apply.c `guess_p_value`: 1 when the name has a directory, else 0.
fn guess_p_value(text: &[u8]) -> Option<usize> {
    if is_dev_null(text) {
        return None;
    }
    let name = traditional_name(text, 0, None)?;
    Some(usize::from(name.contains(&b'/')))
}

/// apply.c `find_name_traditional`: the name on a `---`/`+++` line with
/// its first `p` directories stripped, without the timestamp after it;
/// `def` (the other side's name) when there is no name left, or when this
/// name is `def` with something tacked on ("file.orig", "file~").
fn traditional_name(text: &[u8], p: usize, def: Option<Vec<u8>>) -> Option<Vec<u8>> {
    let full = if text.first() == Some(&b'"') {
        unquote_c(text)?.0
    } else {
        let text = match text.iter().position(|&b| b == b'\t') {
            Some(tab) => &text[..tab],
            None => strip_timestamp(trim_end(text)),
        };
        let end = text.iter().position(|&b| b == b'\r').unwrap_or(text.len());
        text[..end].to_vec()
    };
    let mut start = Some(0);
    if p > 0 {
        start = full
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'/')
            .nth(p - 1)
            .map(|(i, _)| i + 1);
    }
    let name = match start {
        Some(start) if start < full.len() => full[start..].to_vec(),
        // git keeps a name without as many directories as -p strips.
        None if def.is_none() && !full.is_empty() && !full.contains(&b'/') => full,
        _ => return def,
    };
    match def {
        Some(def) if def.len() < name.len() && name.starts_with(&def) => Some(def),
        _ => Some(name),
    }
}

/// apply.c `diff_timestamp_len` for names not ended by a tab: drops a
/// trailing " YYYY-MM-DD hh:mm:ss[.frac][ +zone]".
fn strip_timestamp(text: &[u8]) -> &[u8] {
    // `shape` spells a word: '9' for a digit, anything else for itself.
    let like = |w: &[u8], shape: &[u8]| {
        w.len() == shape.len()
            && w.iter().zip(shape).all(|(&b, &s)| {
                if s == b'9' {
                    b.is_ascii_digit()
                } else {
                    b == s
                }
            })
    };
    let mut words: Vec<&[u8]> = text.split(|&b| b == b' ').collect();
    let zone = |w: &[u8]| {
        like(w, b"+9999") || like(w, b"-9999") || like(w, b"+99:99") || like(w, b"-99:99")
    };
    if words.last().is_some_and(|w| zone(w)) {
        words.pop();
    }
    let n = words.len();
    let time = |w: &[u8]| {
        let clock = w.split(|&b| b == b'.').next().unwrap_or_default();
        like(clock, b"99:99:99")
    };
    if n >= 3 && time(words[n - 1]) && like(words[n - 2], b"9999-99-99") {
        let kept: usize = words[..n - 2].iter().map(|w| w.len() + 1).sum();
        let mut end = kept.saturating_sub(1).min(text.len());
        while end > 0 && text[end - 1] == b' ' {
            end -= 1;
        }
        return &text[..end];
    }
    text
}

/// apply.c `has_epoch_timestamp`: the timestamp after the tab is the Unix
/// epoch in its own zone ("1970-01-01 00:00:00 +0000",
/// "1969-12-31 19:00:00.000000000 -0500"), which `diff -N` writes for a
/// file that does not exist on that side.
fn has_epoch_timestamp(text: &[u8]) -> bool {
    let Some(tab) = text.iter().rposition(|&b| b == b'\t') else {
        return false;
    };
    let Ok(stamp) = std::str::from_utf8(&text[tab + 1..]) else {
        return false;
    };
    let (epoch_hour, rest) = if let Some(rest) = stamp.strip_prefix("1969-12-31 ") {
        (24, rest)
    } else if let Some(rest) = stamp.strip_prefix("1970-01-01 ") {
        (0, rest)
    } else {
        return false;
    };
    let Some((time, zone)) = rest.split_once(' ') else {
        return false;
    };
    let (clock, frac) = time.split_once('.').unwrap_or((time, "0"));
    let parts: Vec<&str> = clock.split(':').collect();
    let num = |s: &str| {
        (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i32>().ok())
            .flatten()
    };
    let [Some(hour), Some(minute), Some(0)] =
        [parts.first(), parts.get(1), parts.get(2)].map(|p| p.and_then(|p| num(p)))
    else {
        return false;
    };
    if parts.len() != 3 || frac.is_empty() || !frac.bytes().all(|b| b == b'0') {
        return false;
    }
    let sign = match zone.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return false,
    };
    let digits = zone[1..].replace(':', "");
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let zone_minutes = sign
        * (digits[..2].parse::<i32>().unwrap_or(0) * 60 + digits[2..].parse::<i32>().unwrap_or(0));
    (hour - epoch_hour) * 60 + minute == zone_minutes
}

/// The name on a "--- " or "+++ " line: `None` for /dev/null, otherwise with
/// its first component stripped. Anything after a tab (a timestamp) is not
/// part of the name.
fn dash_name(text: &[u8], line: usize) -> Result<Option<String>, PatchError> {
    let name = if text.first() == Some(&b'"') {
        unquote_c(text)
            .ok_or_else(|| malformed(line, "malformed quoted file name"))?
            .0
    } else {
        let end = text.iter().position(|&b| b == b'\t').unwrap_or(text.len());
        trim_end(&text[..end]).to_vec()
    };
    if name == b"/dev/null" {
        return Ok(None);
    }
    let stripped = skip_tree_prefix(&name).map_or(name.clone(), <[u8]>::to_vec);
    path_string(stripped, line).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(diff: &str) -> FilePatch {
        let mut files = parse_diff(diff.as_bytes()).unwrap();
        assert_eq!(files.len(), 1, "{files:?}");
        files.remove(0)
    }

    #[test]
    fn git_modify_with_context_and_function_name() {
        let f = one(concat!(
            "diff --git a/src/x.c b/src/x.c\n",
            "index 1234abc..5678def 100644\n",
            "--- a/src/x.c\n",
            "+++ b/src/x.c\n",
            "@@ -1,3 +1,3 @@ int main(void)\n",
            " a\n",
            "-b\n",
            "+B\n",
            "\n",
            "@@ -10 +10 @@\n",
            "-x\n",
            "+y\n",
            "\\ No newline at end of file\n",
        ));
        assert_eq!(f.change, FileChange::Modify);
        assert_eq!(f.old_path.as_deref(), Some("src/x.c"));
        assert_eq!(f.new_path.as_deref(), Some("src/x.c"));
        assert_eq!((f.old_mode, f.new_mode), (Some(0o100644), Some(0o100644)));
        assert_eq!(f.old_id.as_deref(), Some("1234abc"));
        assert_eq!(f.new_id.as_deref(), Some("5678def"));
        assert_eq!(f.hunks.len(), 2);
        assert_eq!(f.hunks[0].lines[3].kind, LineKind::Context);
        assert_eq!(f.hunks[0].lines[3].text, b"");
        let h = &f.hunks[1];
        assert_eq!(
            (h.old_start, h.old_count, h.new_start, h.new_count),
            (10, 1, 10, 1)
        );
        assert_eq!(h.line, 10);
        assert!(h.lines[0].newline);
        assert!(!h.lines[1].newline);
    }

    #[test]
    fn quoted_and_spaced_names() {
        let f = one(concat!(
            "diff --git \"a/t\\303\\251st file\" \"b/t\\303\\251st file\"\n",
            "new file mode 100755\n",
            "index 0000000..e69de29\n",
        ));
        assert_eq!(f.change, FileChange::Add);
        assert_eq!(f.old_path, None);
        assert_eq!(f.new_path.as_deref(), Some("tést file"));
        assert_eq!(f.new_mode, Some(0o100755));
        let f = one("diff --git a/a b c b/a b c\nold mode 100644\nnew mode 100755\n");
        assert_eq!(f.old_path.as_deref(), Some("a b c"));
        assert_eq!((f.old_mode, f.new_mode), (Some(0o100644), Some(0o100755)));
        assert!(f.hunks.is_empty());
    }

    #[test]
    fn renames_copies_deletes_binaries() {
        let f = one(concat!(
            "diff --git a/old name b/new name\n",
            "similarity index 100%\n",
            "rename from old name\n",
            "rename to new name\n",
        ));
        assert_eq!(f.change, FileChange::Rename);
        assert_eq!(f.old_path.as_deref(), Some("old name"));
        assert_eq!(f.new_path.as_deref(), Some("new name"));
        let f = one(concat!(
            "diff --git a/x b/y\n",
            "similarity index 90%\n",
            "copy from x\n",
            "copy to y\n",
            "index 111..222 100644\n",
            "--- a/x\n",
            "+++ b/y\n",
            "@@ -1 +1 @@\n",
            "-a\n",
            "+b\n",
        ));
        assert_eq!(f.change, FileChange::Copy);
        assert_eq!(f.hunks.len(), 1);
        let f = one(concat!(
            "diff --git a/gone b/gone\n",
            "deleted file mode 100644\n",
            "index e69de29..0000000\n",
            "--- a/gone\n",
            "+++ /dev/null\n",
            "@@ -1,2 +0,0 @@\n",
            "-a\n",
            "-b\n",
        ));
        assert_eq!(f.change, FileChange::Delete);
        assert_eq!(
            (f.old_path.as_deref(), f.new_path.as_deref()),
            (Some("gone"), None)
        );
        let files = parse_diff(
            concat!(
                "diff --git a/b.png b/b.png\n",
                "index 1111111..2222222 100644\n",
                "GIT binary patch\n",
                "literal 4\n",
                "LcmYdHVn_x60}%ly\n",
                "\n",
                "literal 3\n",
                "KcmYdHVgLXE>Hx$5\n",
                "\n",
                "diff --git a/c.bin b/c.bin\n",
                "index 1111111..2222222 100644\n",
                "Binary files a/c.bin and b/c.bin differ\n",
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(files.len(), 2);
        let binary = files[0].binary.as_ref().unwrap();
        let literal = |data: &[u8]| {
            Some(crate::patch::BinaryData {
                method: BinaryMethod::Literal,
                data: data.to_vec(),
            })
        };
        assert_eq!(binary.forward, literal(b"ab\0c"));
        assert_eq!(binary.reverse, literal(b"ab\0"));
        assert_eq!(files[1].binary.as_ref().unwrap().forward, None);
        assert_eq!(files[1].line, 10);
        // A section whose data does not inflate to its size is refused.
        let err = parse_diff(
            b"diff --git a/b b/b\nindex 1..2 100644\nGIT binary patch\nliteral 5\nLcmYdHVn_x60}%ly\n\n",
        )
        .unwrap_err();
        assert_eq!(err.line(), Some(4));
    }

    #[test]
    fn traditional_diff_and_garbage() {
        let input = concat!(
            "Some description\n",
            "Only in x: y\n",
            "--- a/x.txt\t2024-01-01 00:00:00\n",
            "+++ b/x.txt\t2024-01-02 00:00:00\n",
            "@@ -1,2 +1,2 @@\n",
            " a\n",
            "-b\n",
            "+c\n",
            "--- /dev/null\n",
            "+++ b/new\n",
            "@@ -0,0 +1 @@\n",
            "+n\n",
            "-- \n",
            "2.47.0\n",
        );
        let (files, used) = parse_diff_prefix(input.as_bytes()).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].old_path.as_deref(), Some("x.txt"));
        assert_eq!(files[0].line, 3);
        assert_eq!(files[1].change, FileChange::Add);
        assert_eq!(files[1].new_path.as_deref(), Some("new"));
        assert_eq!(used, input.len() - "-- \n2.47.0\n".len());
    }

    /// Names and creations/deletions as `git apply --numstat --summary`
    /// reads them: (name, "create" | "delete" | "modify") per file.
    fn git_reads(dir: &std::path::Path, diff: &[u8]) -> Vec<(String, String)> {
        std::fs::write(dir.join("p.diff"), diff).unwrap();
        let out =
            crate::patch::test_git::ok(dir, &["apply", "--numstat", "--summary", "p.diff"], &[]);
        let text = String::from_utf8(out).unwrap();
        let mut files: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix(' ') {
                let (kind, name) = rest.split_once(' ').unwrap();
                let name = match name.strip_prefix("mode ") {
                    Some(moded) => moded.split_once(' ').unwrap().1,
                    None => name,
                };
                let entry = files.iter_mut().find(|(n, _)| n == name).unwrap();
                entry.1 = kind.to_string();
            } else {
                let name = line.splitn(3, '\t').nth(2).unwrap();
                files.push((name.to_string(), "modify".to_string()));
            }
        }
        files
    }

    fn we_read(diff: &[u8]) -> Vec<(String, String)> {
        parse_diff(diff)
            .unwrap()
            .into_iter()
            .map(|f| {
                let kind = match f.change {
                    FileChange::Add => "create",
                    FileChange::Delete => "delete",
                    _ => "modify",
                };
                let name = f.new_path.or(f.old_path).unwrap();
                (name, kind.to_string())
            })
            .collect()
    }

    #[test]
    fn traditional_headers_read_like_git_apply() {
        let dir = tempfile::tempdir().unwrap();
        crate::patch::test_git::init(dir.path());
        let add = "@@ -0,0 +1,2 @@\n+a\n+b\n";
        let del = "@@ -1 +0,0 @@\n-x\n";
        let modify = "@@ -1 +1 @@\n-x\n+y\n";
        let cases: Vec<String> = vec![
            // diff -ruN: a leading directory, fractional seconds, epoch sides.
            format!(
                "--- foo-1.0.orig/new.c\t1970-01-01 00:00:00.000000000 +0000\n\
                 +++ foo-1.0/new.c\t2024-01-02 03:04:05.123456789 +0100\n{add}\
                 --- foo-1.0.orig/dir/old.c\t2024-01-02 03:04:05.000000000 +0000\n\
                 +++ foo-1.0/dir/old.c\t1969-12-31 19:00:00.000000000 -0500\n{del}\
                 --- foo-1.0.orig/dir/m.c\t2024-01-02 03:04:05.000000000 +0000\n\
                 +++ foo-1.0/dir/m.c\t2024-01-02 03:04:06.000000000 +0000\n{modify}"
            ),
            // -p0 names with space-separated timestamps.
            format!(
                "--- x.c 2024-01-01 10:00:00 +0000\n+++ x.c 2024-01-02 10:00:00 +0000\n{modify}"
            ),
            // Spaces in names, a tab before a loose timestamp, /dev/null with one.
            format!(
                "--- a/with space.c\t2024\n+++ b/with space.c\n{modify}\
                 --- /dev/null\t1970-01-01 00:00:00 +0000\n+++ b/n.txt\n{add}"
            ),
            // Backup names: the shorter one wins.
            format!("--- x.c.orig\t2024-01-01\n+++ x.c\t2024-01-02\n{modify}"),
            format!("--- d/x.c\n+++ d/x.c~\n{modify}"),
            // Near-epoch stamps are not epoch; epoch in another zone is.
            format!(
                "--- a/e1.c\t1970-01-01 00:00:01 +0000\n+++ b/e1.c\t2024-01-01 00:00:00 +0000\n{modify}\
                 --- a/e2.c\t1970-01-01 01:00:00 +0100\n+++ b/e2.c\t2024-01-01 00:00:00 +0000\n{add}\
                 --- a/e3.c\t1970-01-01 00:00:00.5 +0000\n+++ b/e3.c\t2024-01-01 00:00:00 +0000\n{modify}\
                 --- a/e4.c\t2024-01-01 00:00:00 +0000\n+++ b/e4.c\t1970-01-01 05:30:00 +05:30\n{del}"
            ),
            // A name without the directory -p1 strips, after one with it.
            format!("--- a/b/x.c\n+++ a/b/x.c\n{modify}--- y.c\n+++ y.c\n{modify}"),
            format!("--- y.c\n+++ y.c\n{modify}--- a/b/x.c\n+++ a/b/x.c\n{modify}"),
        ];
        for case in cases {
            assert_eq!(
                we_read(case.as_bytes()),
                git_reads(dir.path(), case.as_bytes()),
                "{case}"
            );
        }
    }

    /// Real `diff -ruN` output (creations, deletions, subdirectories, dates
    /// in a zone west of GMT) applied by `git apply` and by us.
    #[test]
    fn diff_recursive_new_file_applies_like_git_apply() {
        use std::collections::BTreeMap;
        let tmp = tempfile::tempdir().unwrap();
        let (old, new) = (tmp.path().join("pkg-1.0.orig"), tmp.path().join("pkg-1.0"));
        let old_files: &[(&str, &str)] = &[
            ("keep.c", "a\nb\nc\nd\n"),
            ("src/gone.c", "bye\nnow\n"),
            ("src/edit.c", "1\n2\n3\n4\n5\n6\n7\n"),
            ("empty-later.txt", "only line\n"),
        ];
        let new_files: &[(&str, &str)] = &[
            ("keep.c", "a\nb\nc\nd\n"),
            ("src/edit.c", "1\n2\nthree\n4\n5\n6\n7\neight\n"),
            ("src/new/born.c", "hello\nworld\n"),
            ("empty-later.txt", ""),
        ];
        for (root, files) in [(&old, old_files), (&new, new_files)] {
            for (path, text) in files {
                let path = root.join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
        }
        for tz in ["UTC", "EST5EDT"] {
            let out = std::process::Command::new("diff")
                .current_dir(tmp.path())
                .args(["-ruN", "pkg-1.0.orig", "pkg-1.0"])
                .env("TZ", tz)
                .output()
                .unwrap();
            let diff = out.stdout;
            assert!(
                String::from_utf8_lossy(&diff).contains("\t19"),
                "dates in diff"
            );
            // git apply in a repository holding the old files.
            let repo = tmp.path().join(format!("repo-{tz}"));
            let mut ours: BTreeMap<String, Vec<u8>> = BTreeMap::new();
            for (path, text) in old_files {
                let file = repo.join(path);
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(file, text).unwrap();
                ours.insert(path.to_string(), text.as_bytes().to_vec());
            }
            crate::patch::test_git::init(&repo);
            std::fs::write(tmp.path().join("p.diff"), &diff).unwrap();
            crate::patch::test_git::ok(&repo, &["apply", "../p.diff"], &[]);
            for file in parse_diff(&diff).unwrap() {
                let old = file
                    .old_path
                    .as_ref()
                    .map(|p| ours.remove(p).unwrap())
                    .unwrap_or_default();
                let applied = crate::patch::apply_hunks(&old, &file.hunks).unwrap();
                match file.change {
                    FileChange::Delete => assert!(applied.content.is_empty()),
                    _ => {
                        ours.insert(file.new_path.clone().unwrap(), applied.content);
                    }
                }
            }
            let mut theirs = BTreeMap::new();
            for (path, _) in old_files.iter().chain(new_files) {
                if let Ok(bytes) = std::fs::read(repo.join(path)) {
                    theirs.insert(path.to_string(), bytes);
                }
            }
            assert_eq!(ours, theirs, "TZ={tz}\n{}", String::from_utf8_lossy(&diff));
            assert!(!theirs.contains_key("src/gone.c"));
            assert_eq!(theirs["empty-later.txt"], b"", "emptied, not deleted");
        }
    }

    #[test]
    fn errors_name_lines() {
        let err =
            parse_diff(b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n a\n-b\n+c\n");
        assert_eq!(
            err.unwrap_err().to_string(),
            "line 4: hunk header says 5 old lines but the hunk has 2 (truncated patch?)"
        );
        let err = parse_diff(b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n-b\n+c\n").unwrap_err();
        assert_eq!(err.line(), Some(5));
        let err = parse_diff(b"diff --git a/x b/x\n@@ -1,99999999999999999999999 +1 @@\n");
        assert_eq!(err.unwrap_err().line(), Some(2));
        let err = parse_diff(b"diff --git a/x b/x\n@@ -1,999999999 +1 @@\n-a\n").unwrap_err();
        assert!(matches!(
            err,
            PatchError::HunkCount {
                expected: 999999999,
                found: 1,
                ..
            }
        ));
        let err = parse_diff(b"diff --git a/x b/x\nindex 1..2 100644\n").unwrap_err();
        assert_eq!(err.line(), Some(1));
        let err = parse_diff(b"text\n@@ -1 +1 @@\n-a\n+b\n").unwrap_err();
        assert_eq!(err.line(), Some(2));
        let err = parse_diff(b"diff --git a/x b/y\n--- a/x\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n");
        assert!(err.is_ok());
        let err = parse_diff(b"diff --git a/x y b/x z\nold mode 100644\nnew mode 100755\n");
        assert_eq!(err.unwrap_err().line(), Some(1));
        let err = parse_diff(b"--- /dev/null\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n").unwrap_err();
        assert_eq!(err.line(), Some(3));
        let err = parse_diff(b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n a\n").unwrap_err();
        assert_eq!(err.to_string(), "line 3: hunk changes nothing");
        let err = parse_diff(b"--- a/x\n+++ b/x\n@@ -1 +1,2 @@\n a\n\\x\n").unwrap_err();
        assert_eq!(err.line(), Some(5));
        for garbage in [
            &b"\xff\xfe\x00diff --git"[..],
            b"",
            b"@@ -",
            b"diff --git \"a/\\",
        ] {
            if let Ok(files) = parse_diff(garbage) {
                assert!(files.is_empty());
            }
        }
    }
}
