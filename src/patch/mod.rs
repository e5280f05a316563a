//! Downstream changes kept as `git format-patch` mails: parsing them, writing
//! them back in one byte-stable form, and applying their hunks the way
//! `git apply` does. Everything here is pure: bytes in, bytes out.

mod apply;
mod binary;
mod diff;
mod mail;
pub mod quilt;

pub use apply::{
    Applied, HunkMismatch, HunkOffset, LineEndings, apply_hunks, line_endings, with_line_endings,
};
pub use binary::{BinaryData, BinaryError, BinaryMethod, BinaryPatch, apply_binary};
pub use diff::{FileChange, FilePatch, Hunk, Line, LineKind, parse_diff};
pub use mail::{Mail, Patch, PatchDate, Person, split_mbox};

/// Why a patch file could not be read. Line numbers are 1-based and count
/// lines of the patch file (or of the diff text, for [`parse_diff`]; see
/// [`PatchError::with_line_offset`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    #[error("the patch file is empty")]
    Empty,
    #[error(
        "missing \"{0}:\" header: a patch must be a `git format-patch` mail \
         (quilt-style patches need From:, Date: and Subject: headers)"
    )]
    MissingHeader(&'static str),
    #[error("line {line}: bad {header}: header: {message}")]
    BadHeader {
        line: usize,
        header: String,
        message: String,
    },
    #[error(
        "line {line}: text is not valid UTF-8 (mail headers and the commit message must be UTF-8)"
    )]
    NotUtf8 { line: usize },
    #[error(
        "line {line}: no diff found after the commit message (truncated patch, or a cover letter?)"
    )]
    NoDiff { line: usize },
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
    #[error(
        "line {line}: hunk header says {expected} {side} lines but the hunk has {found} (truncated patch?)"
    )]
    HunkCount {
        line: usize,
        side: &'static str,
        expected: usize,
        found: usize,
    },
}

impl PatchError {
    /// The 1-based line the error is about, when there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            PatchError::Empty | PatchError::MissingHeader(_) => None,
            PatchError::BadHeader { line, .. }
            | PatchError::NotUtf8 { line }
            | PatchError::NoDiff { line }
            | PatchError::Malformed { line, .. }
            | PatchError::HunkCount { line, .. } => Some(*line),
        }
    }

    /// Turns a line number relative to some embedded text (a diff inside a
    /// mail) into one relative to the enclosing file, `offset` being the
    /// number of lines before the embedded text.
    pub fn with_line_offset(mut self, offset: usize) -> PatchError {
        match &mut self {
            PatchError::Empty | PatchError::MissingHeader(_) => {}
            PatchError::BadHeader { line, .. }
            | PatchError::NotUtf8 { line }
            | PatchError::NoDiff { line }
            | PatchError::Malformed { line, .. }
            | PatchError::HunkCount { line, .. } => *line = line.saturating_add(offset),
        }
        self
    }
}

/// git's `isspace` (sane_ctype): only these four, unlike Rust's Unicode or
/// ASCII whitespace sets, which also include \v, \f or more.
pub(crate) fn is_git_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

pub(crate) fn trim_end_git(s: &str) -> &str {
    s.trim_end_matches(|c: char| c.is_ascii() && is_git_space(c as u8))
}

fn is_blank(line: &str) -> bool {
    trim_end_git(line).is_empty()
}

/// A line of a message, with the byte range it occupies including its '\n'.
struct MsgLine<'a> {
    start: usize,
    end: usize,
    text: &'a str,
}

fn msg_lines(text: &str) -> Vec<MsgLine<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = text[start..]
            .find('\n')
            .map_or(text.len(), |p| start + p + 1);
        out.push(MsgLine {
            start,
            end,
            text: text[start..end].trim_end_matches('\n'),
        });
        start = end;
    }
    out
}

/// Prefixes git itself writes, which make a paragraph a trailer block even
/// when most of its lines are not trailers (trailer.c `git_generated_prefixes`).
const GIT_GENERATED_PREFIXES: [&str; 2] = ["Signed-off-by: ", "(cherry picked from commit "];

/// Position of the ':' of a `Key: value` line, following trailer.c
/// `find_separator`: the key is `[A-Za-z0-9-]+`, optionally followed by blanks.
fn trailer_separator(line: &str) -> Option<usize> {
    let mut whitespace_found = false;
    for (i, b) in line.bytes().enumerate() {
        if b == b':' {
            return (i >= 1).then_some(i);
        }
        if !whitespace_found && (b.is_ascii_alphanumeric() || b == b'-') {
            continue;
        }
        if i != 0 && (b == b' ' || b == b'\t') {
            whitespace_found = true;
            continue;
        }
        break;
    }
    None
}

/// Indices of the lines of the trailer block, following trailer.c
/// `find_trailer_block_start`: the last paragraph counts if all its lines are
/// trailers, or if it has a git-generated one and at least 25% trailers.
/// With `has_title`, the first paragraph is a subject and never counts.
fn trailer_block(lines: &[MsgLine<'_>], has_title: bool) -> Option<std::ops::Range<usize>> {
    let first = if has_title {
        lines.iter().position(|l| is_blank(l.text))?
    } else {
        0
    };
    let mut only_spaces = true;
    let mut recognized_prefix = false;
    let (mut trailer_lines, mut non_trailer_lines, mut continuation_lines) = (0usize, 0usize, 0);
    let mut last_content = lines.len();
    let accept = |trailer: usize, non_trailer: usize, recognized: bool| {
        (recognized && trailer * 3 >= non_trailer) || (trailer > 0 && non_trailer == 0)
    };
    for idx in (first..lines.len()).rev() {
        let text = lines[idx].text;
        if is_blank(text) {
            if only_spaces {
                last_content = idx;
                continue;
            }
            non_trailer_lines += continuation_lines;
            return accept(trailer_lines, non_trailer_lines, recognized_prefix)
                .then_some(idx + 1..last_content);
        }
        only_spaces = false;
        if GIT_GENERATED_PREFIXES.iter().any(|p| text.starts_with(p)) {
            trailer_lines += 1;
            continuation_lines = 0;
            recognized_prefix = true;
        } else if trailer_separator(text).is_some() && !text.starts_with([' ', '\t']) {
            trailer_lines += 1;
            continuation_lines = 0;
        } else if text.starts_with([' ', '\t']) {
            continuation_lines += 1;
        } else {
            non_trailer_lines += 1 + continuation_lines;
            continuation_lines = 0;
        }
    }
    // A body (no title) may consist of nothing but its trailer block.
    if has_title || only_spaces {
        return None;
    }
    non_trailer_lines += continuation_lines;
    accept(trailer_lines, non_trailer_lines, recognized_prefix).then_some(first..last_content)
}

/// Splits a trailer block into its key/value trailers, keeping for each one
/// the range of block lines it spans (its continuation lines included).
fn parse_block(lines: &[MsgLine<'_>]) -> Vec<(String, String, std::ops::Range<usize>)> {
    let mut out: Vec<(String, String, std::ops::Range<usize>)> = Vec::new();
    let mut open = false;
    for (i, line) in lines.iter().enumerate() {
        let text = line.text;
        if open && text.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push('\n');
                last.1.push_str(text);
                last.2.end = i + 1;
            }
            continue;
        }
        open = false;
        if text.starts_with(GIT_GENERATED_PREFIXES[1]) {
            continue;
        }
        if let Some(sep) = trailer_separator(text) {
            out.push((
                text[..sep].trim().to_string(),
                text[sep + 1..].to_string(),
                i..i + 1,
            ));
            open = true;
        }
    }
    for entry in &mut out {
        entry.1 = unfold_trailer_value(&entry.1);
    }
    out
}

/// trailer.c `unfold_value`: continuation lines collapse to single spaces.
fn unfold_trailer_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            while chars
                .next_if(|c| c.is_ascii() && is_git_space(*c as u8))
                .is_some()
            {}
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.trim_matches(|c: char| c.is_ascii() && is_git_space(c as u8))
        .to_string()
}

/// The `Key: value` trailers of a commit body (or of a whole message whose
/// subject is not itself shaped like a trailer), in order, continuation lines
/// folded. `(cherry picked from commit …)` lines belong to the block but are
/// not key/value pairs; see [`cherry_picked_from`].
pub fn trailers(message_or_body: &str) -> Vec<(String, String)> {
    let lines = msg_lines(message_or_body);
    let has_title = false;
    trailer_block(&lines, has_title)
        .map(|range| {
            parse_block(&lines[range])
                .into_iter()
                .map(|(k, v, _)| (k, v))
                .collect()
        })
        .unwrap_or_default()
}

/// The last value of trailer `key` (compared case-insensitively).
pub fn trailer(body: &str, key: &str) -> Option<String> {
    trailers(body)
        .into_iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// The commit ids named by `(cherry picked from commit <sha>)` lines anywhere
/// in the text, in order.
pub fn cherry_picked_from(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix(GIT_GENERATED_PREFIXES[1])?;
            let sha = rest.split(')').next()?;
            (rest.len() > sha.len()
                && !sha.is_empty()
                && sha.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| sha.to_string())
        })
        .collect()
}

/// End of the last non-blank line before line `idx` (0 when there is none).
fn content_end_before(lines: &[MsgLine<'_>], idx: usize) -> usize {
    lines[..idx]
        .iter()
        .rev()
        .find(|l| !is_blank(l.text))
        .map_or(0, |l| l.end)
}

/// Appends `key: value` to the message's trailer block, starting a new block
/// (after a blank line) when the last paragraph is not one. The subject is
/// never taken for a trailer block. Everything else stays byte-identical.
pub fn with_trailer(message: &str, key: &str, value: &str) -> String {
    let lines = msg_lines(message);
    let trailer = format!("{key}: {value}");
    let (at, prefix) = match trailer_block(&lines, true) {
        Some(range) => (lines[range.end - 1].end, ""),
        None => (content_end_before(&lines, lines.len()), "\n"),
    };
    let mut out = String::with_capacity(message.len() + trailer.len() + 2);
    out.push_str(&message[..at]);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() {
        out.push_str(prefix);
    }
    out.push_str(&trailer);
    out.push('\n');
    out.push_str(&message[at..]);
    out
}

/// Removes every `key:` trailer (case-insensitive key, continuation lines
/// included) from the trailer block; an emptied block goes away together with
/// the blank lines before it. Undoes [`with_trailer`] on a normalised message.
pub fn without_trailer(message: &str, key: &str) -> String {
    let lines = msg_lines(message);
    let Some(range) = trailer_block(&lines, true) else {
        return message.to_string();
    };
    let block = &lines[range.clone()];
    let mut drop = vec![false; block.len()];
    for (k, _, span) in parse_block(block) {
        if k.eq_ignore_ascii_case(key) {
            drop[span].iter_mut().for_each(|d| *d = true);
        }
    }
    if !drop.contains(&true) {
        return message.to_string();
    }
    let block_start = lines[range.start].start;
    let block_end = lines[range.end - 1].end;
    if drop.iter().all(|d| *d) {
        let keep_until = content_end_before(&lines, range.start);
        return format!("{}{}", &message[..keep_until], &message[block_end..]);
    }
    let mut out = String::with_capacity(message.len());
    out.push_str(&message[..block_start]);
    for (line, dropped) in block.iter().zip(&drop) {
        if !dropped {
            out.push_str(&message[line.start..line.end]);
        }
    }
    out.push_str(&message[block_end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailer_block_rules() {
        let m = "Fix it\n\nSome body.\n\nSigned-off-by: A <a@x>\nReviewed-by: B\n  continued\n";
        assert_eq!(
            trailers(m),
            vec![
                ("Signed-off-by".into(), "A <a@x>".into()),
                ("Reviewed-by".into(), "B continued".into())
            ]
        );
        assert_eq!(trailer(m, "reviewed-BY").as_deref(), Some("B continued"));
        // Not all trailers, no git-generated prefix: not a trailer block.
        assert!(trailers("s\n\nKey: v\nplain text\n").is_empty());
        // A git-generated prefix with >= 25% trailers is enough.
        let m = "s\n\nSigned-off-by: x\nfree\ntext\nhere\n";
        assert_eq!(trailers(m).len(), 1);
        let m = "s\n\nSigned-off-by: x\nfree\ntext\nhere\nmore\n";
        assert!(trailers(m).is_empty());
        // A body that is only trailers.
        assert_eq!(
            trailer("Upstream: abc\n", "upstream").as_deref(),
            Some("abc")
        );
        // Only the last paragraph counts.
        assert!(trailers("Key: v\n\njust text\n").is_empty());
    }

    #[test]
    fn cherry_pick_lines() {
        let m = "s\n\nbody\n\n(cherry picked from commit 0123abcd)\nSigned-off-by: x\n";
        assert_eq!(cherry_picked_from(m), vec!["0123abcd".to_string()]);
        assert_eq!(trailers(m), vec![("Signed-off-by".into(), "x".into())]);
        assert!(cherry_picked_from("(cherry picked from commit xyz)\n").is_empty());
    }

    #[test]
    fn add_and_remove_trailers() {
        for m in [
            "Subject\n",
            "Subject\n\nBody text.\n",
            "Subject: looks like a trailer\n",
            "Subject\n\nBody.\n\nSigned-off-by: A <a@x>\n",
            "Subject\n\nBody.\n\nUpstream: old\nSigned-off-by: A <a@x>\n",
            "Subject\n\nSigned-off-by: A\nfree text\n",
        ] {
            let with = with_trailer(m, "Upstream", "abc123");
            assert_eq!(
                trailer(&with, "upstream").as_deref(),
                Some("abc123"),
                "{with:?}"
            );
            let expected = m.replace("Upstream: old\n", "");
            assert_eq!(without_trailer(&with, "UPSTREAM"), expected, "{with:?}");
        }
        assert_eq!(
            with_trailer("Subject\n\nBody.\n", "K", "v"),
            "Subject\n\nBody.\n\nK: v\n"
        );
        assert_eq!(
            with_trailer("Subject\n\nSigned-off-by: A\n", "K", "v"),
            "Subject\n\nSigned-off-by: A\nK: v\n"
        );
        assert_eq!(
            without_trailer("S\n\nK: v\n  more\nL: w\n", "k"),
            "S\n\nL: w\n"
        );
        assert_eq!(without_trailer("S\n\nbody\n", "k"), "S\n\nbody\n");
    }
}

/// Runs real `git` for the tests that compare against it, isolated from the
/// user's and the system's git configuration.
#[cfg(test)]
pub(crate) mod test_git {
    use std::path::Path;
    use std::process::{Command, Output};

    pub fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new("git");
        cmd.current_dir(dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", dir)
            .env("LC_ALL", "C")
            .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap_or(dir));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("git runs")
    }

    /// Like [`run`], insisting on success and returning stdout.
    pub fn ok(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Vec<u8> {
        let out = run(dir, args, env);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    pub fn init(dir: &Path) {
        ok(dir, &["init", "-q"], &[]);
        ok(dir, &["config", "user.name", "Committer"], &[]);
        ok(dir, &["config", "user.email", "c@example.org"], &[]);
    }
}
