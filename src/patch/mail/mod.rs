//! A patch file is a `git format-patch` mail. Reading accepts what `git am`
//! accepts (mailsplit.c, mailinfo.c): CRLF-converted mails, quoted-printable
//! and base64 bodies, any declared charset, in-body `From:`/`Date:`/`Subject:`
//! headers, a missing `Date:`. Writing reproduces, byte for byte, `git
//! format-patch --zero-commit --no-signature --no-stat --full-index` — except
//! for a commit message that git's reading would change (a `---` or `diff -`
//! line, a first line shaped like a header, trailing blanks…): that one is
//! written whole, each line indented by one blank, behind an
//! `X-Verda-Message-Lines:` header, so that reading the file back always
//! gives the identical message (and `git am` still applies the diff).

mod headers;
mod mbox;
mod write;

pub(crate) use headers::parse_person;
pub use mbox::{Mail, split_mbox};

use super::diff::{RawLine, parse_diff_prefix, split_lines};
use super::{PatchError, is_git_space, trim_end_git};
use headers::{HeaderFields, MESSAGE_LINES_HEADER, Transfer, read_headers};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    pub email: String,
}

/// A point in time as git keeps it: seconds since the epoch plus the
/// author's UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchDate {
    pub seconds: i64,
    pub offset_minutes: i32,
}

impl PatchDate {
    /// The current time in the local time zone: the author date `git am`
    /// gives a mail without a `Date:` header.
    pub fn now() -> PatchDate {
        let now = chrono::Local::now();
        PatchDate {
            seconds: now.timestamp(),
            offset_minutes: now.offset().local_minus_utc() / 60,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patch {
    pub author: Person,
    pub date: PatchDate,
    /// The whole commit message, byte for byte, ending with '\n'.
    message: String,
    /// Other mail headers, in order, as (name, value): the value is verbatim
    /// after "Name: ", folded lines still joined by "\n".
    pub extra_headers: Vec<(String, String)>,
    /// The diff, from its first file header to the end of its last hunk,
    /// ending with '\n'. A mail signature or other trailing text is dropped.
    pub diff: Vec<u8>,
}

const ZERO_FROM_LINE: &str =
    "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n";

/// A tiny diff, for asking whether a message survives a round trip on its own.
const PROBE_DIFF: &[u8] = b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";

/// Whose reading of a mail: ours honours `X-Verda-Message-Lines`; git am's
/// does not know it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reader {
    Verda,
    GitAm,
}

impl Patch {
    /// Reads a patch mail the way `git am` does, except that a message
    /// framed by `X-Verda-Message-Lines:` is taken whole.
    ///
    /// Errors: [`PatchError`] with the 1-based line of the file (of the
    /// decoded body, for a quoted-printable or base64 mail).
    pub fn parse(bytes: &[u8]) -> Result<Patch, PatchError> {
        read(bytes, Reader::Verda)
    }

    /// Whether `git am` would take another commit message from this file
    /// than [`Patch::parse`] does (a framed message); false when both agree
    /// or the file does not parse.
    pub fn git_am_reads_differently(bytes: &[u8]) -> bool {
        let Ok(ours) = read(bytes, Reader::Verda) else {
            return false;
        };
        read(bytes, Reader::GitAm).map_or(true, |theirs| theirs.message != ours.message)
    }

    /// The first line of the message (1-based, with its text) where a mail
    /// reader such as `git am` ends a commit message: a `---`, `diff -` or
    /// `Index: ` line.
    pub fn first_patch_break(&self) -> Option<(usize, &str)> {
        self.message
            .lines()
            .enumerate()
            .find(|(_, l)| is_patch_break(l.as_bytes()))
            .map(|(i, l)| (i + 1, l))
    }

    /// Builds a patch from a commit message (kept byte for byte; a missing
    /// final newline is added, as git does for every commit it writes).
    pub fn from_message(author: Person, date: PatchDate, message: &str, diff: Vec<u8>) -> Patch {
        let mut diff = diff;
        if diff.last().is_some_and(|&b| b != b'\n') {
            diff.push(b'\n');
        }
        let mut message = message.to_string();
        if !message.is_empty() && !message.ends_with('\n') {
            message.push('\n');
        }
        Patch {
            author,
            date,
            message,
            extra_headers: Vec::new(),
            diff,
        }
    }

    /// The commit message, byte for byte.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The subject as git shows it: the first paragraph of the message, its
    /// lines joined by spaces.
    pub fn subject(&self) -> String {
        let mut lines = self
            .message
            .split('\n')
            .skip_while(|l| trim_end_git(l).is_empty());
        lines
            .by_ref()
            .take_while(|l| !trim_end_git(l).is_empty())
            .map(trim_end_git)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The message after the subject paragraph, without trailing blanks on
    /// its lines or blank lines around it (what trailers are read from).
    pub fn body(&self) -> String {
        let mut lines = self
            .message
            .split('\n')
            .skip_while(|l| trim_end_git(l).is_empty());
        lines.by_ref().find(|l| trim_end_git(l).is_empty());
        normalise_body(lines)
    }

    /// The normalised patch file: what `git format-patch -1 --zero-commit
    /// --no-signature --no-stat --full-index --stdout` prints for the same
    /// commit and diff, or — when git's reading of that mail would change the
    /// message — the same with the whole message after an
    /// `X-Verda-Message-Lines: N` header. Extra headers follow the MIME
    /// headers, where git puts `--add-header` ones.
    pub fn to_bytes(&self) -> Vec<u8> {
        let framed = !self.survives_plain();
        self.render(framed, &self.diff)
    }

    /// Whether the message comes back unchanged from the plain mail layout.
    fn survives_plain(&self) -> bool {
        let probe = self.render(false, PROBE_DIFF);
        read(&probe, Reader::Verda).is_ok_and(|p| p.message == self.message)
    }

    fn render(&self, framed: bool, diff: &[u8]) -> Vec<u8> {
        let subject = self.subject();
        let mut out = String::with_capacity(512 + self.message.len());
        out.push_str(ZERO_FROM_LINE);
        out.push_str("From: ");
        write::push_author(&mut out, &self.author);
        out.push_str("Date: ");
        out.push_str(&write::format_date(self.date));
        out.push_str("\nSubject: [PATCH] ");
        write::push_subject(&mut out, &subject);
        out.push('\n');
        if !self.message.is_ascii() {
            out.push_str(
                "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\
                 Content-Transfer-Encoding: 8bit\n",
            );
        }
        if framed {
            let lines = self.message.split_inclusive('\n').count();
            out.push_str(&format!("{MESSAGE_LINES_HEADER}: {lines}\n"));
        }
        for (name, value) in &self.extra_headers {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push('\n');
        }
        out.push('\n');
        if framed {
            // Each line one blank in: no mail reader takes an indented line
            // for the end of the message or the start of a diff, so `git
            // am` still applies the file (its message then differs).
            for line in self.message.split_inclusive('\n') {
                if line != "\n" {
                    out.push(' ');
                }
                out.push_str(line);
            }
        } else {
            let body = self.body();
            if !body.is_empty() {
                out.push_str(&body);
                out.push('\n');
            }
        }
        out.push('\n');
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(diff);
        bytes
    }
}

fn read(bytes: &[u8], reader: Reader) -> Result<Patch, PatchError> {
    if bytes.iter().all(|&b| is_git_space(b)) {
        return Err(PatchError::Empty);
    }
    let bytes = strip_mail_crs(bytes);
    let lines = split_lines(&bytes);
    let mut i = usize::from(lines.first().is_some_and(|l| l.text.starts_with(b"From ")));
    let headers = read_headers(&lines, &mut i)?;
    let mut fields = HeaderFields::interpret(headers)?;
    let body_start = lines.get(i).map_or(bytes.len(), |l| l.start);
    let decoded = decode_body(&bytes[body_start..], &mut fields, i)?;
    let body = split_lines(&decoded);
    let (message, diff_from) = match (reader, fields.message_lines) {
        (Reader::Verda, Some((count, header_line))) => {
            framed_message(&body, count, header_line, i, fields.charset)?
        }
        _ => am_message(&body, &mut fields, i)?,
    };
    let diff_start = (diff_from..body.len())
        .find(|&j| is_diff_start(&body, j))
        .ok_or(PatchError::NoDiff {
            line: i + diff_from.min(body.len()) + 1,
        })?;
    if let Some(j) = (diff_start..body.len()).find(|&j| mbox::is_from_line(body[j].text)) {
        return Err(PatchError::Malformed {
            line: i + j + 1,
            message: "a second mail starts here: this file is an mbox of several patches; \
                      bring them into the queue with `verda-patch import FILE`, which splits it"
                .into(),
        });
    }
    let region = &decoded[body[diff_start].start..];
    let (files, used) =
        parse_diff_prefix(region).map_err(|e| e.with_line_offset(i + diff_start))?;
    if files.is_empty() {
        return Err(PatchError::NoDiff {
            line: i + diff_start + 1,
        });
    }
    let mut diff = region[..used].to_vec();
    if diff.last() != Some(&b'\n') {
        diff.push(b'\n');
    }
    Ok(Patch {
        author: fields.author.ok_or(PatchError::MissingHeader("From"))?,
        date: fields.date.unwrap_or_else(PatchDate::now),
        message,
        extra_headers: fields.extra,
        diff,
    })
}

/// mailsplit.c without `--keep-cr`, for a mail whose lines were all
/// converted to CRLF (its header lines end in CRLF, which git never
/// writes): one CR goes from the end of every line. A mail with LF headers
/// keeps its bytes, so CRs in a patched file's lines survive (what `git am
/// --keep-cr` does).
fn strip_mail_crs(bytes: &[u8]) -> Cow<'_, [u8]> {
    let first_line_end = bytes.iter().position(|&b| b == b'\n');
    if !first_line_end.is_some_and(|p| p > 0 && bytes[p - 1] == b'\r') {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        match line.strip_suffix(b"\r\n") {
            Some(text) => {
                out.extend_from_slice(text);
                out.push(b'\n');
            }
            None => out.extend_from_slice(line),
        }
    }
    Cow::Owned(out)
}

/// Undoes the body's transfer encoding (mailinfo.c
/// `decode_transfer_encoding`): quoted-printable and base64 bodies are
/// decoded whole; the patch inside is then read as plain text.
fn decode_body<'a>(
    body: &'a [u8],
    fields: &mut HeaderFields,
    header_lines: usize,
) -> Result<Cow<'a, [u8]>, PatchError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| PatchError::Malformed {
        line: header_lines + 1,
        message: format!("the body is not valid {what}: {e}"),
    };
    match &fields.transfer {
        Transfer::Plain => Ok(Cow::Borrowed(body)),
        Transfer::QuotedPrintable => {
            quoted_printable::decode(body, quoted_printable::ParseMode::Robust)
                .map(Cow::Owned)
                .map_err(|e| bad("quoted-printable", &e))
        }
        Transfer::Base64 => {
            use base64::Engine as _;
            let text: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            base64::engine::general_purpose::STANDARD
                .decode(&text)
                .map(Cow::Owned)
                .map_err(|e| bad("base64", &e))
        }
        Transfer::Multipart(content_type) => {
            // mailinfo.c `handle_boundary`: every part's decoded body in
            // turn, the message first, the patch wherever it starts.
            let mut mail = format!("Content-Type: {content_type}\n\n").into_bytes();
            mail.extend_from_slice(body);
            let parsed = mailparse::parse_mail(&mail).map_err(|e| bad("MIME", &e))?;
            let mut out = Vec::new();
            let mut charset = None;
            for part in leaf_parts(&parsed) {
                let text = part.get_body_raw().map_err(|e| bad("MIME", &e))?;
                if charset.is_none() && part.ctype.mimetype.starts_with("text/") {
                    charset = encoding_rs::Encoding::for_label(part.ctype.charset.as_bytes())
                        .filter(|e| {
                            *e != encoding_rs::UTF_8
                                && !part.ctype.charset.eq_ignore_ascii_case("us-ascii")
                        });
                }
                out.extend_from_slice(&text);
                if !out.ends_with(b"\n") {
                    out.push(b'\n');
                }
            }
            if fields.charset.is_none() {
                fields.charset = charset;
            }
            Ok(Cow::Owned(out))
        }
    }
}

/// The parts of a MIME mail that hold content, in order.
fn leaf_parts<'p>(mail: &'p mailparse::ParsedMail<'p>) -> Vec<&'p mailparse::ParsedMail<'p>> {
    if mail.subparts.is_empty() {
        return vec![mail];
    }
    mail.subparts.iter().flat_map(leaf_parts).collect()
}

/// One line of the message as UTF-8: re-encoded from the mail's declared
/// charset (as `git am` does by default), or required to be UTF-8.
fn message_line(
    text: &[u8],
    charset: Option<&'static encoding_rs::Encoding>,
    line: usize,
) -> Result<String, PatchError> {
    match charset {
        Some(encoding) => Ok(encoding.decode_without_bom_handling(text).0.into_owned()),
        None => std::str::from_utf8(text)
            .map(str::to_string)
            .map_err(|_| PatchError::NotUtf8 { line }),
    }
}

/// The message of a mail with `X-Verda-Message-Lines: count`: exactly the
/// first `count` body lines; a blank line must follow. Returns the message
/// and the body line the diff is looked for from.
fn framed_message(
    body: &[RawLine<'_>],
    count: usize,
    header_line: usize,
    offset: usize,
    charset: Option<&'static encoding_rs::Encoding>,
) -> Result<(String, usize), PatchError> {
    let ends_well = body.get(count).is_some_and(|l| l.text.is_empty());
    if !ends_well {
        let found = body
            .iter()
            .position(|l| is_patch_break(l.text))
            .unwrap_or(body.len());
        return Err(PatchError::BadHeader {
            line: header_line,
            header: MESSAGE_LINES_HEADER.into(),
            message: format!(
                "says the commit message has {count} lines, but line {} is not the blank line \
                 that ends it (the message was edited by hand?); set it to the message's line \
                 count (the first line that looks like a diff is line {})",
                offset + count + 1,
                offset + found + 1
            ),
        });
    }
    let mut message = String::new();
    for (j, line) in body[..count].iter().enumerate() {
        let text = line.text.strip_prefix(b" ").unwrap_or(line.text);
        message.push_str(&message_line(text, charset, offset + j + 1)?);
        message.push('\n');
    }
    Ok((message, count + 1))
}

/// The message as mailinfo.c reads it: in-body headers first (they replace
/// the mail's own), then the lines up to the first patch break; the subject
/// from the headers. Returns the message and the index of the patch break.
fn am_message(
    body: &[RawLine<'_>],
    fields: &mut HeaderFields,
    offset: usize,
) -> Result<(String, usize), PatchError> {
    let mut j = inbody_headers(body, fields, offset)?;
    if fields.author.is_none() {
        return Err(PatchError::MissingHeader("From"));
    }
    let mut lines = Vec::new();
    while let Some(line) = body.get(j) {
        if is_patch_break(line.text) {
            break;
        }
        lines.push(message_line(line.text, fields.charset, offset + j + 1)?);
        j += 1;
    }
    let subject = fields
        .subject
        .clone()
        .ok_or(PatchError::MissingHeader("Subject"))?;
    let body_text = normalise_body(lines.iter().map(String::as_str));
    let message = if body_text.is_empty() {
        format!("{subject}\n")
    } else {
        format!("{subject}\n\n{body_text}\n")
    };
    Ok((message, j))
}

/// mailinfo.c `check_inbody_header` over the first body lines: blank lines
/// before them are skipped; `From:`, `Date:` and `Subject:` (each once, with
/// folded continuations), a `[PATCH] subject` line and a quoted format-patch
/// `>From <sha> …` line are taken; the first other line ends them. Returns
/// the index of the first message line.
fn inbody_headers(
    body: &[RawLine<'_>],
    fields: &mut HeaderFields,
    offset: usize,
) -> Result<usize, PatchError> {
    let mut seen = [false; 3];
    let mut pending: Option<(usize, String, String)> = None;
    let mut j = 0;
    let flush = |pending: &mut Option<(usize, String, String)>,
                 fields: &mut HeaderFields|
     -> Result<(), PatchError> {
        match pending.take() {
            Some((line, name, value)) => fields.take_inbody(&name, &value, offset + line + 1),
            None => Ok(()),
        }
    };
    while let Some(line) = body.get(j) {
        let text = line.text;
        if text.is_empty() {
            j += 1;
            if pending.is_some() {
                flush(&mut pending, fields)?;
                break;
            }
            continue;
        }
        if pending.is_some() && matches!(text[0], b' ' | b'\t') {
            if let (Some((_, _, value)), Ok(more)) = (pending.as_mut(), std::str::from_utf8(text)) {
                value.push_str(more);
                j += 1;
                continue;
            }
        }
        flush(&mut pending, fields)?;
        if text
            .strip_prefix(b">")
            .is_some_and(mbox::is_format_patch_separator)
        {
            j += 1;
            continue;
        }
        if text.starts_with(b"[PATCH]") && text.get(7).is_some_and(|&b| is_git_space(b)) {
            if let Ok(subject) = std::str::from_utf8(text) {
                fields.take_inbody("Subject", subject, offset + j + 1)?;
                j += 1;
                continue;
            }
        }
        let header = ["From", "Subject", "Date"]
            .iter()
            .position(|name| is_inbody_header(text, name))
            .filter(|&k| !seen[k]);
        match (header, std::str::from_utf8(text)) {
            (Some(k), Ok(text)) => {
                seen[k] = true;
                let name_len = ["From", "Subject", "Date"][k].len();
                pending = Some((
                    j,
                    text[..name_len].to_string(),
                    text[name_len + 2..].to_string(),
                ));
                j += 1;
            }
            _ => break,
        }
    }
    flush(&mut pending, fields)?;
    Ok(j)
}

/// mailinfo.c `cmp_header`: "Name:" (any case) followed by a blank.
fn is_inbody_header(text: &[u8], name: &str) -> bool {
    text.len() > name.len() + 1
        && text[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        && text[name.len()] == b':'
        && is_git_space(text[name.len() + 1])
}

/// What git's pretty-printer does to a body: trailing whitespace goes from
/// every line, and leading and trailing blank lines go altogether.
fn normalise_body<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let lines: Vec<&str> = lines
        .into_iter()
        .map(trim_end_git)
        .skip_while(|l| l.is_empty())
        .collect();
    let keep = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |p| p + 1);
    lines[..keep].join("\n")
}

fn strip_cr(text: &[u8]) -> &[u8] {
    text.strip_suffix(b"\r").unwrap_or(text)
}

/// mailinfo.c `patchbreak`: where the commit message ends.
fn is_patch_break(text: &[u8]) -> bool {
    if text.starts_with(b"diff -") || text.starts_with(b"Index: ") {
        return true;
    }
    match text.strip_prefix(b"---") {
        Some([b' ', c, ..]) if !is_git_space(*c) => true,
        Some(rest) => rest.iter().all(|&b| is_git_space(b)),
        None => false,
    }
}

fn is_diff_start(lines: &[RawLine<'_>], j: usize) -> bool {
    let text = lines[j].text;
    text.starts_with(b"diff --git ")
        || (text.starts_with(b"--- ")
            && lines
                .get(j + 1)
                .is_some_and(|l| l.text.starts_with(b"+++ ")))
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

#[cfg(test)]
mod tests {
    use super::headers::{parse_date, parse_subject};
    use super::write::format_date;
    use super::*;
    use crate::patch::test_git;
    use std::path::Path;

    struct Case {
        name: &'static str,
        email: &'static str,
        /// GIT_AUTHOR_DATE: "seconds +hhmm".
        date: &'static str,
        message: &'static str,
    }

    const LONG_ASCII: &str = "Rework the frobnicator so that it no longer frobs \
        things twice when the configuration file says it should only frob once";

    fn cases() -> Vec<Case> {
        let case = |name, email, date, message| Case {
            name,
            email,
            date,
            message,
        };
        vec![
            case(
                "A U Thor",
                "author@example.org",
                "1767225600 +0000",
                "Add a feature\n\nSome body text.\n",
            ),
            case(
                "A U Thor",
                "author@example.org",
                "1767225600 -0130",
                "Fix the frobnicator\n\nFirst paragraph\nwith two lines.\n\nSecond paragraph.\n\n\
                 Signed-off-by: A U Thor <author@example.org>\nReviewed-by: R <r@example.org>\n",
            ),
            case(
                "A U Thor",
                "author@example.org",
                "1000000000 +0545",
                LONG_ASCII,
            ),
            case(
                "Jörg Müller-Lüdenscheidt",
                "joerg@example.org",
                "1767225600 +0100",
                "Überarbeite die Ausgabe für ältere Systeme und sorge dafür, dass nichts verloren geht\n\n\
                 Mit Umlauten im Text: äöü.\n",
            ),
            case(
                "A U Thor",
                "author@example.org",
                "1767225600 +0000",
                "Just a subject\n",
            ),
            case(
                "A U Thor",
                "author@example.org",
                "1767225600 +0000",
                "[libvirt] qemu: fix [the] thing\n\nBody.\n",
            ),
            case(
                "J. R. \"Bob\" Hacker",
                "jrh@example.org",
                "1767225600 +1400",
                "Quote the name\n",
            ),
            case(
                "An Extraordinarily Long Author Name That Goes On And On Past Seventy Columns",
                "long.address@subdomain.example.org",
                "1767225600 +0000",
                "Long author\n",
            ),
            case(
                "A U Thor",
                "author@example.org",
                "1767225600 +0000",
                "Averyveryverylongfirstwordthatdoesnotfitonthesubjectlinewhatsoeverbecauseitistoolong and more\n",
            ),
            case(
                "A U Thor",
                "author@example.org",
                "1767225600 +0000",
                "Mention =?utf-8?q?x?= literally\n",
            ),
            case(
                "A U Thor",
                "author@example.org",
                "1767225600 +0000",
                "ASCII subject\n\nBut a non-ASCII body: naïve café.\n",
            ),
        ]
    }

    fn commit(dir: &Path, n: usize, case: &Case) {
        std::fs::write(
            dir.join("file.txt"),
            format!("base\n{n}\n{}\n", case.message),
        )
        .unwrap();
        std::fs::write(dir.join("msg"), case.message).unwrap();
        test_git::ok(dir, &["add", "file.txt"], &[]);
        test_git::ok(
            dir,
            &["commit", "-q", "-F", "msg"],
            &[
                ("GIT_AUTHOR_NAME", case.name),
                ("GIT_AUTHOR_EMAIL", case.email),
                ("GIT_AUTHOR_DATE", case.date),
                ("GIT_COMMITTER_DATE", case.date),
            ],
        );
    }

    fn patch_date(git_date: &str) -> PatchDate {
        let (secs, tz) = git_date.split_once(' ').unwrap();
        let tz: i32 = tz.parse().unwrap();
        PatchDate {
            seconds: secs.parse().unwrap(),
            offset_minutes: tz / 100 * 60 + tz % 100,
        }
    }

    #[test]
    fn to_bytes_matches_git_format_patch() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        test_git::init(dir);
        std::fs::write(dir.join("file.txt"), "start\n").unwrap();
        test_git::ok(dir, &["add", "file.txt"], &[]);
        test_git::ok(dir, &["commit", "-q", "-m", "start"], &[]);
        for (n, case) in cases().iter().enumerate() {
            commit(dir, n, case);
            let expected = test_git::ok(
                dir,
                &[
                    "format-patch",
                    "-1",
                    "--zero-commit",
                    "--no-signature",
                    "--no-stat",
                    "--full-index",
                    "--no-renames",
                    "--stdout",
                ],
                &[],
            );
            let raw = test_git::ok(dir, &["cat-file", "commit", "HEAD"], &[]);
            let raw = String::from_utf8(raw).unwrap();
            let message = raw.split_once("\n\n").unwrap().1;
            let diff = test_git::ok(
                dir,
                &["diff", "--full-index", "--no-renames", "HEAD~", "HEAD"],
                &[],
            );
            let author = Person {
                name: case.name.to_string(),
                email: case.email.to_string(),
            };
            let patch = Patch::from_message(author, patch_date(case.date), message, diff);
            assert_eq!(patch.message(), message, "case {n}");
            let bytes = patch.to_bytes();
            assert_eq!(
                String::from_utf8_lossy(&bytes),
                String::from_utf8_lossy(&expected),
                "case {n}"
            );
            let parsed = Patch::parse(&expected).unwrap();
            assert_eq!(parsed, patch, "case {n}");
            assert_eq!(
                Patch::parse(&parsed.to_bytes()).unwrap().to_bytes(),
                bytes,
                "case {n}"
            );

            // git's default output: diffstat, abbreviated index, signature.
            let default = test_git::ok(dir, &["format-patch", "-1", "--stdout"], &[]);
            let parsed = Patch::parse(&default).unwrap();
            assert_eq!(parsed.author, patch.author, "case {n}");
            assert_eq!(parsed.date, patch.date, "case {n}");
            assert_eq!(parsed.subject(), patch.subject(), "case {n}");
            assert_eq!(parsed.body(), patch.body(), "case {n}");
            assert_eq!(parsed.message(), message, "case {n}");
            let short_diff = test_git::ok(dir, &["diff", "HEAD~", "HEAD"], &[]);
            assert_eq!(parsed.diff, short_diff, "case {n}");
        }
    }

    fn sample() -> Patch {
        Patch::from_message(
            Person {
                name: "A U Thor".into(),
                email: "a@example.org".into(),
            },
            PatchDate {
                seconds: 1_767_225_600,
                offset_minutes: 60,
            },
            "Subject line\n\nBody.\n",
            b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n".to_vec(),
        )
    }

    #[test]
    fn subject_tags() {
        // What `git mailinfo -b` (git am --keep-non-patch) makes of each.
        let subjects = [
            "[PATCH] x",
            "[PATCH v2 3/7] x y",
            "[libvirt] [PATCH] x",
            "[PATCH] [libvirt] x",
            "[RFC PATCH] x",
            "[RFC] x",
            "Re: [PATCH] x",
            "plain",
            "[PATCH]   indented",
            "[PATCH] =?UTF-8?q?caf=C3=A9?=\n =?UTF-8?q?=20au=20lait?=",
            "=?utf-8?b?W1BBVENIXSBjYWbDqQ==?=",
            "[PATCH] a\n folded",
            "[PATCH] a\n\tfolded  twice",
            "[PATCH]\n Averyveryverylongfirstword and more",
        ];
        let tmp = tempfile::tempdir().unwrap();
        for subject in subjects {
            let mail = format!("From: A <a@example.org>\nSubject: {subject}\n\nbody\n");
            let git = mailinfo(tmp.path(), mail.as_bytes());
            assert_eq!(parse_subject(subject).unwrap(), git.subject, "{subject:?}");
        }
        assert_eq!(parse_subject("[libvirt] [PATCH] x").unwrap(), "[libvirt] x");
    }

    /// What `git mailinfo -b -u` reads from a mail (git am's defaults, with
    /// --keep-non-patch): author, date, subject and the message git am
    /// commits.
    struct MailInfo {
        name: String,
        email: String,
        date: Option<String>,
        subject: String,
        message: String,
    }

    fn mailinfo(dir: &Path, mail: &[u8]) -> MailInfo {
        use std::io::Write as _;
        let mut child = std::process::Command::new("git")
            .current_dir(dir)
            .args(["mailinfo", "-b", "-u", "msg", "patch"])
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("git runs");
        child.stdin.take().unwrap().write_all(mail).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "git mailinfo failed on {:?}",
            String::from_utf8_lossy(mail)
        );
        let info = String::from_utf8(out.stdout).unwrap();
        let field = |name: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_string))
        };
        let subject = field("Subject").unwrap_or_default();
        let body = std::fs::read_to_string(dir.join("msg")).unwrap();
        // git am: subject, blank line, the body, through stripspace.
        let body = normalise_body(body.split('\n'));
        let message = if body.is_empty() {
            format!("{subject}\n")
        } else {
            format!("{subject}\n\n{body}\n")
        };
        MailInfo {
            name: field("Author").unwrap_or_default(),
            email: field("Email").unwrap_or_default(),
            date: field("Date"),
            subject,
            message,
        }
    }

    /// Mails as they reach people, each read by `git mailinfo` and by us:
    /// same author, date and message.
    #[test]
    fn mails_read_as_git_mailinfo_reads_them() {
        let diff = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a =3D b\n+b\n";
        let head = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n\
                    From: A U Thor <a@example.org>\nDate: Thu, 1 Jan 2026 01:00:00 +0100\n";
        let latin1 = |text: &str| encoding_rs::WINDOWS_1252.encode(text).0.into_owned();
        let sjis = |text: &str| encoding_rs::SHIFT_JIS.encode(text).0.into_owned();
        let b64 = |text: &[u8]| {
            use base64::Engine as _;
            let encoded = base64::engine::general_purpose::STANDARD.encode(text);
            encoded
                .as_bytes()
                .chunks(76)
                .map(|c| format!("{}\n", String::from_utf8_lossy(c)))
                .collect::<String>()
        };
        let body = "Caf\u{e9} au lait for everyone.\n\nSigned-off-by: A U Thor <a@example.org>\n";
        let mut mails: Vec<(&str, Vec<u8>)> = vec![
            (
                "quoted-printable, soft breaks",
                format!(
                    "{head}Subject: [PATCH] QP\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\
                     Content-Transfer-Encoding: quoted-printable\n\nCaf=C3=A9 au lait for a very long line that the=\n \
                     mailer broke.\n\n---\n{}",
                    diff.replace("=3D", "=3D3D")
                )
                .into_bytes(),
            ),
            (
                "base64 body",
                [
                    format!("{head}Subject: [PATCH] B64\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n").into_bytes(),
                    b64(format!("{body}---\n{diff}").as_bytes()).into_bytes(),
                ]
                .concat(),
            ),
            (
                "ISO-8859-1 body and subject",
                [
                    format!("{head}Subject: [PATCH] =?ISO-8859-1?Q?caf=E9?=\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit\n\n").into_bytes(),
                    latin1(body),
                    format!("---\n{diff}").into_bytes(),
                ]
                .concat(),
            ),
            (
                "windows-1252 quotes",
                [
                    format!("{head}Subject: [PATCH] quotes\nContent-Type: text/plain; charset=windows-1252\n\n").into_bytes(),
                    latin1("It\u{2019}s \u{201c}quoted\u{201d} \u{2013} really.\n"),
                    format!("---\n{diff}").into_bytes(),
                ]
                .concat(),
            ),
            (
                "Shift_JIS",
                [
                    format!("{head}Subject: [PATCH] =?Shift_JIS?B?k/qWe4zq?=\nContent-Type: text/plain; charset=Shift_JIS\n\n").into_bytes(),
                    sjis("\u{65e5}\u{672c}\u{8a9e}\u{306e}\u{8aac}\u{660e}\n"),
                    format!("---\n{diff}").into_bytes(),
                ]
                .concat(),
            ),
            (
                "in-body From, Date and Subject (format-patch --from)",
                format!(
                    "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n\
                     From: Sam Sender <sam@example.org>\nDate: Fri, 2 Jan 2026 00:00:00 +0000\nSubject: [PATCH] outer\n\n\
                     From: Ada Author <ada@example.org>\nDate: Thu, 1 Jan 2026 01:00:00 +0100\nSubject: [PATCH] inner\n  subject\n\n\
                     {body}---\n{diff}"
                )
                .into_bytes(),
            ),
            (
                "[PATCH] line as the first body line",
                format!("{head}Subject: outer\n\n[PATCH] from the body\n\n{body}---\n{diff}").into_bytes(),
            ),
            (
                "RFC 2047 name, folded subject",
                format!(
                    "From: =?UTF-8?q?J=C3=B6rg_M=C3=BCller?= <j@example.org>\nDate: Thu, 1 Jan 2026 01:00:00 +0100\n\
                     Subject: [PATCH v3 2/9] a subject\n that folds\n\n{body}---\n{diff}"
                )
                .into_bytes(),
            ),
        ];
        let crlf = String::from_utf8(mails[5].1.clone())
            .unwrap()
            .replace('\n', "\r\n");
        mails.push(("the --from mail, converted to CRLF", crlf.into_bytes()));
        let tmp = tempfile::tempdir().unwrap();
        for (what, mail) in &mails {
            // git mailinfo reads the mail after mailsplit stripped the CRs.
            let split = String::from_utf8_lossy(mail).replace("\r\n", "\n");
            let git = mailinfo(
                tmp.path(),
                if mail.contains(&b'\r') {
                    split.as_bytes()
                } else {
                    mail
                },
            );
            let ours = Patch::parse(mail).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(ours.author.name, git.name, "{what}");
            assert_eq!(ours.author.email, git.email, "{what}");
            assert_eq!(ours.message(), git.message, "{what}");
            let git_date = git.date.as_deref().and_then(parse_date);
            assert_eq!(Some(ours.date), git_date, "{what}");
            assert!(
                crate::patch::parse_diff(&ours.diff).unwrap().len() == 1,
                "{what}"
            );
        }
    }

    /// Messages git's reading of a plain mail would change come back whole.
    #[test]
    fn framed_messages_read_back_whole() {
        for message in [
            "Subject\n\nText\n---\nafter the rule\n\nSigned-off-by: A <a@x>\n",
            "Subject\n\ndiff --git a/x b/x in prose\n",
            "Subject\n\nIndex: f.txt\n====\n",
            "Subject\n\nFrom: not a header\n",
            "Subject\n\nSubject: also not\n",
            "Two-line\nsubject paragraph\n\nbody\n",
            "Subject  with  double  blanks\n",
            "Re: a subject that starts like a reply\n",
            "[PATCH] a subject with a tag\n",
            "Subject\n\ntrailing blanks   \n",
            "Subject\n\n\n\ntwo blank lines above\n",
            "Subject\n\n--- \n",
        ] {
            let mut patch = sample();
            patch.message = message.to_string();
            let bytes = patch.to_bytes();
            let text = String::from_utf8(bytes.clone()).unwrap();
            assert!(text.contains("X-Verda-Message-Lines: "), "{message:?}");
            let back = Patch::parse(&bytes).unwrap();
            assert_eq!(back.message(), message);
            assert_eq!(back.to_bytes(), bytes);
            assert!(Patch::git_am_reads_differently(&bytes), "{message:?}");
        }
        // A message git reads back as it is gets no header.
        let plain = sample().to_bytes();
        assert!(
            !String::from_utf8(plain.clone())
                .unwrap()
                .contains("X-Verda")
        );
        assert!(!Patch::git_am_reads_differently(&plain));
        // A framed message edited by hand is an error naming the header.
        let mut patch = sample();
        patch.message = "S\n\na\n---\nb\n".into();
        let edited = String::from_utf8(patch.to_bytes())
            .unwrap()
            .replace(" ---\n b\n", " ---\n b\n more\n");
        let err = Patch::parse(edited.as_bytes()).unwrap_err();
        assert!(
            matches!(err, PatchError::BadHeader { ref header, .. } if header == "X-Verda-Message-Lines"),
            "{err}"
        );
    }

    #[test]
    fn mail_variants() {
        let canonical = sample().to_bytes();
        let text = String::from_utf8(canonical.clone()).unwrap();
        // No mbox "From " line, CRLF headers, extra headers, a diffstat,
        // a signature and an encoded From:.
        let variant = text
            .replacen("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n", "", 1)
            .replacen("From: A U Thor <a@example.org>\n", "From: =?utf-8?q?A_U_Thor?= <a@example.org>\r\n", 1)
            .replacen("Body.\n\n", "Body.\n---\n f | 2 +-\n 1 file changed\n\n", 1)
            .replacen("Subject: [PATCH] Subject line\n", "Subject: [PATCH 1/2] Subject\n\tline\nX-Mailer: thing\n  folded\nContent-Transfer-Encoding: 8bit\n", 1)
            + "-- \n2.30.0\n\n";
        let parsed = Patch::parse(variant.as_bytes()).unwrap();
        // mailinfo joins folded lines and makes every run of blanks one.
        assert_eq!(parsed.subject(), "Subject line");
        assert_eq!(
            parsed.extra_headers,
            vec![("X-Mailer".to_string(), "thing\n  folded".to_string())]
        );
        let mut without_extra = parsed.clone();
        without_extra.extra_headers.clear();
        without_extra.message = without_extra
            .message
            .replace("Subject\tline", "Subject line");
        assert_eq!(without_extra, sample());
        let again = parsed.to_bytes();
        assert_eq!(Patch::parse(&again).unwrap(), parsed);
        assert!(
            String::from_utf8(again)
                .unwrap()
                .contains("\nX-Mailer: thing\n  folded\n\nBody.")
        );
    }

    #[test]
    fn errors() {
        let sample = String::from_utf8(sample().to_bytes()).unwrap();
        let quilt = "Fix a thing\n\nLonger text.\n\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
        let cases: Vec<(Vec<u8>, PatchError)> = vec![
            (b"".to_vec(), PatchError::Empty),
            (b" \n\n".to_vec(), PatchError::Empty),
            (quilt.as_bytes().to_vec(), PatchError::MissingHeader("From")),
            (
                b"\x00\x01\x02binary\xff\xfe".to_vec(),
                PatchError::MissingHeader("From"),
            ),
        ];
        for (input, expected) in &cases {
            assert_eq!(&Patch::parse(input).unwrap_err(), expected);
        }
        // No Date: header: git am takes the current time.
        let before = PatchDate::now().seconds;
        let undated = Patch::parse(sample.replace("Date: ", "X-Date: ").as_bytes()).unwrap();
        assert!(undated.date.seconds >= before && undated.date.seconds <= before + 60);
        let mut bad = sample.clone().into_bytes();
        let at = sample.find("Body.").unwrap();
        bad[at + 1] = 0xff;
        assert_eq!(
            Patch::parse(&bad).unwrap_err(),
            PatchError::NotUtf8 { line: 6 }
        );
        let err =
            Patch::parse(sample.replace("Date: Thu", "Date: Thx, 99").as_bytes()).unwrap_err();
        assert!(
            matches!(err, PatchError::BadHeader { line: 3, .. }),
            "{err}"
        );
        let err = Patch::parse(sample.split("diff --git").next().unwrap().as_bytes()).unwrap_err();
        assert!(matches!(err, PatchError::NoDiff { .. }), "{err}");
        let truncated = sample.replace("-a\n+b\n", "-a\n");
        let err = Patch::parse(truncated.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 11: hunk header says 1 new lines but the hunk has 0 (truncated patch?)"
        );
        let two = format!("{sample}{sample}");
        assert!(matches!(
            Patch::parse(two.as_bytes()).unwrap_err(),
            PatchError::Malformed { line: 14, .. }
        ));
        let err = Patch::parse(
            sample
                .replace("Content", "")
                .replacen(
                    "Subject:",
                    "Content-Transfer-Encoding: x-uuencode\nSubject:",
                    1,
                )
                .as_bytes(),
        );
        assert!(matches!(
            err.unwrap_err(),
            PatchError::BadHeader { line: 4, .. }
        ));
        // Every prefix of a valid patch either parses or fails cleanly.
        for cut in 0..sample.len() {
            let _ = Patch::parse(&sample.as_bytes()[..cut]);
        }
    }

    #[test]
    fn dates() {
        for (secs, off) in [
            (0, 0),
            (-1, -60),
            (1_767_225_600, 330),
            (4_102_444_800, -720),
            (951_782_400, 0),
        ] {
            let date = PatchDate {
                seconds: secs,
                offset_minutes: off,
            };
            assert_eq!(
                parse_date(&format_date(date)),
                Some(date),
                "{}",
                format_date(date)
            );
        }
        assert_eq!(
            format_date(PatchDate {
                seconds: 1_767_225_600,
                offset_minutes: -90
            }),
            "Wed, 31 Dec 2025 22:30:00 -0130"
        );
        assert_eq!(
            format_date(PatchDate {
                seconds: i64::MAX,
                offset_minutes: 0
            }),
            "Thu, 1 Jan 1970 00:00:00 +0000"
        );
    }

    #[test]
    fn crlf_mail() {
        // A mail converted to CRLF as a whole: git am (mailsplit without
        // --keep-cr) strips one CR from every line, the diff's included.
        let lf = sample().to_bytes();
        let crlf = String::from_utf8(lf).unwrap().replace('\n', "\r\n");
        let parsed = Patch::parse(crlf.as_bytes()).unwrap();
        assert_eq!(parsed, sample());
        let files = crate::patch::parse_diff(&parsed.diff).unwrap();
        let applied = crate::patch::apply_hunks(b"a\n", &files[0].hunks).unwrap();
        assert_eq!(applied.content, b"b\n");
        // A mail with LF headers keeps the CRs of its diff lines (a CRLF
        // file's patch), as `git am --keep-cr` does.
        let mut keep = sample();
        keep.diff = b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\r\n+b\r\n".to_vec();
        let parsed = Patch::parse(&keep.to_bytes()).unwrap();
        assert_eq!(parsed.diff, keep.diff);
    }

    /// Damaged patches of every kind must give errors, never panics.
    #[test]
    fn mutations_never_panic() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut sources = vec![sample().to_bytes()];
        let mut long = sample();
        long.message = format!("{}\n", "Ünïcödé ".repeat(20));
        long.author.name = "=?x?= \"q\" ".repeat(10);
        long.diff = b"diff --git \"a/\\303\\251 x\" \"b/\\303\\251 x\"\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ \"b/\\303\\251 x\"\n@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file\n".to_vec();
        sources.push(long.to_bytes());
        for source in &sources {
            assert!(Patch::parse(source).is_ok());
            for _ in 0..3000 {
                let mut bytes = source.clone();
                for _ in 0..1 + next() % 4 {
                    let at = (next() % bytes.len() as u64) as usize;
                    match next() % 4 {
                        0 => bytes[at] = next() as u8,
                        1 => {
                            bytes.remove(at);
                        }
                        2 => {
                            let alphabet = b"\n:@-+ \\\"=?0";
                            bytes.insert(at, alphabet[(next() % alphabet.len() as u64) as usize]);
                        }
                        _ => bytes.truncate(at),
                    }
                    if bytes.is_empty() {
                        break;
                    }
                }
                if let Ok(patch) = Patch::parse(&bytes) {
                    let again = Patch::parse(&patch.to_bytes()).unwrap();
                    assert_eq!(again.to_bytes(), patch.to_bytes());
                    for file in crate::patch::parse_diff(&patch.diff).unwrap() {
                        let _ = crate::patch::apply_hunks(b"a\nb\n", &file.hunks);
                    }
                }
            }
        }
    }
}
