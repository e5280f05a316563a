//! A patch file is a `git format-patch` mail. Reading accepts what any git
//! version writes (and what mailers do to it); writing reproduces, byte for
//! byte, `git format-patch --zero-commit --no-signature --no-stat
//! --full-index -M` (pretty.c, log-tree.c).

use super::diff::{RawLine, parse_diff_prefix, split_lines};
use super::{PatchError, is_git_space, trim_end_git};
use chrono::{Datelike, NaiveDate, Timelike};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patch {
    pub author: Person,
    pub date: PatchDate,
    /// Decoded and unfolded, without a leading "[PATCH…]" tag; any other
    /// bracketed text (such as "[libvirt]") is kept.
    pub subject: String,
    /// The message after the subject, trailers included, without trailing
    /// blank lines or trailing whitespace on its lines.
    pub body: String,
    /// Other mail headers, in order, as (name, value): the value is verbatim
    /// after "Name: ", folded lines still joined by "\n".
    pub extra_headers: Vec<(String, String)>,
    /// The diff, from its first file header to the end of its last hunk,
    /// ending with '\n'. A mail signature or other trailing text is dropped.
    pub diff: Vec<u8>,
}

const ZERO_FROM_LINE: &str =
    "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n";

impl Patch {
    /// Reads a `git format-patch` mail.
    pub fn parse(bytes: &[u8]) -> Result<Patch, PatchError> {
        if bytes.iter().all(|&b| is_git_space(b)) {
            return Err(PatchError::Empty);
        }
        let lines = split_lines(bytes);
        let mut i = usize::from(lines.first().is_some_and(|l| l.text.starts_with(b"From ")));
        let headers = read_headers(&lines, &mut i)?;
        let fields = HeaderFields::interpret(headers)?;

        let mut body_lines = Vec::new();
        let mut patch_break = None;
        while let Some(line) = lines.get(i) {
            let text = strip_cr(line.text);
            if is_patch_break(text) {
                patch_break = Some(i);
                break;
            }
            let text =
                std::str::from_utf8(text).map_err(|_| PatchError::NotUtf8 { line: i + 1 })?;
            body_lines.push(text);
            i += 1;
        }
        let Some(patch_break) = patch_break else {
            return Err(PatchError::NoDiff { line: lines.len() });
        };
        let diff_start = (patch_break..lines.len())
            .find(|&j| is_diff_start(&lines, j))
            .ok_or(PatchError::NoDiff {
                line: patch_break + 1,
            })?;
        if let Some(j) = (diff_start..lines.len()).find(|&j| is_mbox_separator(lines[j].text)) {
            return Err(PatchError::Malformed {
                line: j + 1,
                message: "a second patch starts here; keep one patch per file".into(),
            });
        }
        let region = &bytes[lines[diff_start].start..];
        let (files, used) =
            parse_diff_prefix(region).map_err(|e| e.with_line_offset(diff_start))?;
        if files.is_empty() {
            return Err(PatchError::NoDiff {
                line: diff_start + 1,
            });
        }
        let mut diff = region[..used].to_vec();
        if diff.last() != Some(&b'\n') {
            diff.push(b'\n');
        }
        Ok(Patch {
            author: fields.author,
            date: fields.date,
            subject: fields.subject,
            body: normalise_body(body_lines),
            extra_headers: fields.extra,
            diff,
        })
    }

    /// Builds a patch from a commit message, splitting it like git: the
    /// first paragraph (its lines joined by spaces) is the subject.
    pub fn from_message(author: Person, date: PatchDate, message: &str, diff: Vec<u8>) -> Patch {
        let mut lines = message
            .split('\n')
            .skip_while(|l| trim_end_git(l).is_empty());
        let subject = lines
            .by_ref()
            .take_while(|l| !trim_end_git(l).is_empty())
            .map(trim_end_git)
            .collect::<Vec<_>>()
            .join(" ");
        let mut diff = diff;
        if diff.last().is_some_and(|&b| b != b'\n') {
            diff.push(b'\n');
        }
        Patch {
            author,
            date,
            subject,
            body: normalise_body(lines),
            extra_headers: Vec::new(),
            diff,
        }
    }

    /// The commit message: subject, blank line and body (when there is
    /// one), ending with a newline.
    pub fn message(&self) -> String {
        if self.body.is_empty() {
            format!("{}\n", self.subject)
        } else {
            format!("{}\n\n{}\n", self.subject, self.body)
        }
    }

    /// The normalised patch file, identical to what `git format-patch -1
    /// --zero-commit --no-signature --no-stat --full-index -M
    /// --stdout` prints for the same commit and diff. Extra headers follow
    /// the MIME headers, where git puts `--add-header` ones.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(512 + self.body.len());
        out.push_str(ZERO_FROM_LINE);
        out.push_str("From: ");
        push_author(&mut out, &self.author);
        out.push_str("Date: ");
        out.push_str(&format_date(self.date));
        out.push_str("\nSubject: [PATCH] ");
        if needs_rfc2047(&self.subject) {
            push_rfc2047(&mut out, &self.subject, Rfc2047::Subject);
        } else {
            let indent = last_line_len(&out);
            push_wrapped(&mut out, self.subject.as_bytes(), -indent, 1, 78);
        }
        out.push('\n');
        if !self.subject.is_ascii() || !self.body.is_ascii() {
            out.push_str(
                "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\
                 Content-Transfer-Encoding: 8bit\n",
            );
        }
        for (name, value) in &self.extra_headers {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push('\n');
        }
        out.push('\n');
        let body = normalise_body(self.body.split('\n'));
        if !body.is_empty() {
            out.push_str(&body);
            out.push('\n');
        }
        out.push('\n');
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.diff);
        bytes
    }
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

/// The "From <sha> Mon Sep 17 00:00:00 2001" line that starts each mail of
/// a `git format-patch` mbox.
fn is_mbox_separator(text: &[u8]) -> bool {
    let Some(rest) = strip_cr(text).strip_prefix(b"From ") else {
        return false;
    };
    let hex = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    hex >= 40 && rest[hex..] == *b" Mon Sep 17 00:00:00 2001"
}

struct RawHeader {
    name: String,
    /// After "Name:" and its leading blanks; folded lines joined by "\n".
    value: String,
    line: usize,
}

fn utf8_line(text: &[u8], line: usize) -> Result<&str, PatchError> {
    std::str::from_utf8(text).map_err(|_| PatchError::NotUtf8 { line })
}

/// Reads the header block starting at line `*i`, leaving `*i` at the first
/// body line. A file without headers yields none.
fn read_headers(lines: &[RawLine<'_>], i: &mut usize) -> Result<Vec<RawHeader>, PatchError> {
    let mut headers: Vec<RawHeader> = Vec::new();
    while let Some(line) = lines.get(*i) {
        let text = strip_cr(line.text);
        if text.is_empty() {
            *i += 1;
            break;
        }
        if matches!(text[0], b' ' | b'\t') {
            let Some(last) = headers.last_mut() else {
                break;
            };
            last.value.push('\n');
            last.value.push_str(utf8_line(text, *i + 1)?);
        } else {
            let name_len = text
                .iter()
                .position(|&b| b == b':')
                .filter(|&p| p > 0 && text[..p].iter().all(|b| b.is_ascii_graphic()));
            let Some(name_len) = name_len else {
                break;
            };
            let text = utf8_line(text, *i + 1)?;
            headers.push(RawHeader {
                name: text[..name_len].to_string(),
                value: text[name_len + 1..]
                    .trim_start_matches([' ', '\t'])
                    .to_string(),
                line: *i + 1,
            });
        }
        *i += 1;
    }
    Ok(headers)
}

struct HeaderFields {
    author: Person,
    date: PatchDate,
    subject: String,
    extra: Vec<(String, String)>,
}

impl HeaderFields {
    fn interpret(headers: Vec<RawHeader>) -> Result<HeaderFields, PatchError> {
        let (mut author, mut date, mut subject) = (None, None, None);
        let mut extra = Vec::new();
        for h in headers {
            let bad = |message: &str| PatchError::BadHeader {
                line: h.line,
                header: h.name.clone(),
                message: message.to_string(),
            };
            let once = |seen: bool| {
                if seen {
                    Err(bad("appears twice"))
                } else {
                    Ok(())
                }
            };
            match h.name.to_ascii_lowercase().as_str() {
                "from" => {
                    once(author.is_some())?;
                    author = Some(parse_person(&unfold(&h.value)).map_err(|m| bad(&m))?);
                }
                "date" => {
                    once(date.is_some())?;
                    date = Some(parse_date(&unfold(&h.value)).ok_or_else(|| {
                        bad("expected an RFC 2822 date such as \"Thu, 1 Jan 2026 00:00:00 +0000\"")
                    })?);
                }
                "subject" => {
                    once(subject.is_some())?;
                    subject = Some(parse_subject(&h.value).map_err(|m| bad(&m))?);
                }
                "mime-version" => {}
                "content-type" => {
                    let v = h.value.to_ascii_lowercase();
                    if !v.starts_with("text/plain") {
                        return Err(bad(
                            "only text/plain mails are supported (not attachments or multipart)",
                        ));
                    }
                }
                "content-transfer-encoding" => {
                    if !matches!(
                        h.value.trim().to_ascii_lowercase().as_str(),
                        "7bit" | "8bit" | "binary"
                    ) {
                        return Err(bad(
                            "only 7bit/8bit mails are supported; save the patch as git format-patch wrote it",
                        ));
                    }
                }
                _ => extra.push((h.name, h.value)),
            }
        }
        Ok(HeaderFields {
            author: author.ok_or(PatchError::MissingHeader("From"))?,
            date: date.ok_or(PatchError::MissingHeader("Date"))?,
            subject: subject.ok_or(PatchError::MissingHeader("Subject"))?,
            extra,
        })
    }
}

/// RFC 5322 unfolding: a fold is only a line break before the blank.
fn unfold(value: &str) -> String {
    value.replace('\n', "")
}

fn parse_subject(raw: &str) -> Result<String, String> {
    let decoded = decode_rfc2047(&unfold(raw))?;
    let Some(tag_end) = patch_tag_end(&decoded) else {
        return Ok(trim_end_git(&decoded).to_string());
    };
    let mut rest = &decoded[tag_end..];
    rest = rest.strip_prefix(' ').unwrap_or(rest);
    // When the first word does not fit on the "Subject: [PATCH] " line, git
    // breaks right after the tag and indents the word by one blank; the
    // blank that ends that first line is git's own separator.
    let first_line = raw.split('\n').next().unwrap_or_default();
    if raw.contains('\n') && first_line.len() == tag_end + 1 && first_line.ends_with("] ") {
        rest = rest.strip_prefix([' ', '\t']).unwrap_or(rest);
    }
    Ok(trim_end_git(rest).to_string())
}

/// End of a leading "[PATCH…]" tag, if the subject has one.
fn patch_tag_end(subject: &str) -> Option<usize> {
    if !subject.starts_with("[PATCH") {
        return None;
    }
    subject.find(']').map(|p| p + 1)
}

fn parse_person(value: &str) -> Result<Person, String> {
    let value = value.trim();
    let (name, email) = match value.rfind('<') {
        Some(lt) if value.ends_with('>') => {
            (value[..lt].trim(), value[lt + 1..value.len() - 1].trim())
        }
        _ => match value.find(" (") {
            Some(p) if value.ends_with(')') => (&value[p + 2..value.len() - 1], value[..p].trim()),
            _ => ("", value),
        },
    };
    if email.is_empty() || email.contains(|c: char| c == '<' || c == '>' || c.is_whitespace()) {
        return Err(format!("expected \"Name <email>\", got \"{value}\""));
    }
    let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) => unquote_rfc822(quoted),
        None => decode_rfc2047(name)?,
    };
    Ok(Person {
        name,
        email: email.to_string(),
    })
}

fn unquote_rfc822(quoted: &str) -> String {
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// Decodes RFC 2047 encoded words; the blanks between two adjacent encoded
/// words are dropped, anything that is not a well-formed encoded word stays
/// as it is.
fn decode_rfc2047(text: &str) -> Result<String, String> {
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut rest = text;
    let mut after_word = false;
    while let Some(p) = rest.find("=?") {
        let (before, candidate) = rest.split_at(p);
        match encoded_word(candidate)? {
            Some((decoded, len)) => {
                if !(after_word && before.bytes().all(is_git_space)) {
                    out.extend_from_slice(before.as_bytes());
                }
                out.extend_from_slice(&decoded);
                rest = &candidate[len..];
                after_word = true;
            }
            None => {
                out.extend_from_slice(&rest.as_bytes()[..p + 2]);
                rest = &rest[p + 2..];
                after_word = false;
            }
        }
    }
    out.extend_from_slice(rest.as_bytes());
    String::from_utf8(out).map_err(|_| "encoded text is not valid UTF-8".to_string())
}

/// One "=?charset?q|b?text?=" word at the start of `s`: its decoded bytes
/// (as UTF-8) and its length, or `None` when `s` does not start with one.
fn encoded_word(s: &str) -> Result<Option<(Vec<u8>, usize)>, String> {
    let mut parts = s[2..].splitn(3, '?');
    let (Some(charset), Some(encoding), Some(rest)) = (parts.next(), parts.next(), parts.next())
    else {
        return Ok(None);
    };
    let Some(text_len) = rest.find("?=") else {
        return Ok(None);
    };
    let text = &rest[..text_len];
    if [charset, encoding, text]
        .iter()
        .any(|p| p.bytes().any(|b| b == b'?' || is_git_space(b)))
    {
        return Ok(None);
    }
    let len = 2 + charset.len() + 1 + encoding.len() + 1 + text_len + 2;
    let raw = match encoding {
        "q" | "Q" => decode_q(text),
        "b" | "B" => decode_base64(text).ok_or("malformed base64 encoded word")?,
        _ => return Ok(None),
    };
    // RFC 2231 allows a language after the charset: "utf-8*en".
    let charset = charset
        .split('*')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bytes = match charset.as_str() {
        "utf-8" | "utf8" | "us-ascii" => raw,
        "iso-8859-1" | "latin1" => raw
            .iter()
            .map(|&b| char::from(b))
            .collect::<String>()
            .into_bytes(),
        _ => {
            return Err(format!(
                "unsupported character set \"{charset}\"; re-encode the mail as UTF-8"
            ));
        }
    };
    Ok(Some((bytes, len)))
}

fn decode_q(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'_' => out.push(b' '),
            b'=' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'='),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes().filter(|&b| b != b'=') {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// git's DATE_RFC2822. Like git, a time that cannot be shown is shown as
/// the epoch.
fn format_date(date: PatchDate) -> String {
    let local = i64::from(date.offset_minutes)
        .checked_mul(60)
        .and_then(|o| date.seconds.checked_add(o))
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0));
    let Some(t) = local else {
        return "Thu, 1 Jan 1970 00:00:00 +0000".to_string();
    };
    let abs = i64::from(date.offset_minutes.unsigned_abs());
    let tz = (abs / 60 * 100 + abs % 60) * i64::from(date.offset_minutes.signum());
    format!(
        "{}, {} {} {} {:02}:{:02}:{:02} {:+05}",
        WEEKDAYS[t.weekday().num_days_from_monday() as usize],
        t.day(),
        MONTHS[t.month0() as usize],
        t.year(),
        t.hour(),
        t.minute(),
        t.second(),
        tz
    )
}

/// "[Thu, ]1 Jan 2026 00:00[:00] +0000"; the weekday is not checked.
fn parse_date(value: &str) -> Option<PatchDate> {
    let value = value.split_once(',').map_or(value, |(_, rest)| rest);
    let mut tokens = value.split_whitespace();
    let day: u32 = tokens.next()?.parse().ok()?;
    let month = tokens.next()?;
    let month = month.get(..3)?;
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))?;
    let year: i32 = tokens.next()?.parse().ok()?;
    let mut hms = tokens.next()?.split(':');
    let mut field = || -> Option<u32> { hms.next().map_or(Some(0), |f| f.parse().ok()) };
    let (h, m, s) = (field()?, field()?, field()?);
    let zone = tokens.next()?;
    let offset_minutes = match zone.as_bytes() {
        [sign @ (b'+' | b'-'), digits @ ..]
            if digits.len() == 4 && digits.iter().all(u8::is_ascii_digit) =>
        {
            let n: i32 = zone[1..].parse().ok()?;
            let minutes = n / 100 * 60 + n % 100;
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ if ["GMT", "UT", "UTC", "Z"].contains(&zone) => 0,
        _ => return None,
    };
    let local = NaiveDate::from_ymd_opt(year, month as u32 + 1, day)?
        .and_hms_opt(h, m, s)?
        .and_utc()
        .timestamp();
    Some(PatchDate {
        seconds: local.checked_sub(i64::from(offset_minutes) * 60)?,
        offset_minutes,
    })
}

fn last_line_len(out: &str) -> i32 {
    let len = out.len() - out.rfind('\n').map_or(0, |p| p + 1);
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// pretty.c `needs_rfc2047_encoding`.
fn needs_rfc2047(text: &str) -> bool {
    !text.is_ascii() || text.contains('\n') || text.contains("=?")
}

#[derive(Clone, Copy, PartialEq)]
enum Rfc2047 {
    Subject,
    Address,
}

/// pretty.c `is_rfc2047_special` for one ASCII byte.
fn is_rfc2047_special(b: u8, kind: Rfc2047) -> bool {
    if !(0x20..=0x7e).contains(&b) || is_git_space(b) || matches!(b, b'=' | b'?' | b'_') {
        return true;
    }
    kind == Rfc2047::Address
        && !(b.is_ascii_alphanumeric() || matches!(b, b'!' | b'*' | b'+' | b'-' | b'/'))
}

/// pretty.c `add_rfc2047`: Q-encoding, whole characters per encoded word,
/// lines kept within 76 columns.
fn push_rfc2047(out: &mut String, text: &str, kind: Rfc2047) {
    const MAX: i32 = 76;
    const OPEN: &str = "=?UTF-8?q?";
    let mut line_len = last_line_len(out) + OPEN.len() as i32;
    out.push_str(OPEN);
    let mut buf = [0u8; 4];
    for c in text.chars() {
        let bytes = c.encode_utf8(&mut buf).as_bytes();
        let special = bytes.len() > 1 || is_rfc2047_special(bytes[0], kind);
        let encoded_len = if special { 3 * bytes.len() as i32 } else { 1 };
        if line_len + encoded_len + 2 > MAX {
            out.push_str("?=\n ");
            out.push_str(OPEN);
            line_len = OPEN.len() as i32 + 1;
        }
        if special {
            for b in bytes {
                let _ = write!(out, "={b:02X}");
            }
        } else {
            out.push(c);
        }
        line_len += encoded_len;
    }
    out.push_str("?=");
}

/// utf8.c `display_mode_esc_sequence_len`: ANSI colour sequences take no
/// room when wrapping.
fn esc_sequence_len(s: &[u8]) -> usize {
    let [0x1b, b'[', rest @ ..] = s else {
        return 0;
    };
    let params = rest
        .iter()
        .take_while(|&&b| b.is_ascii_digit() || b == b';')
        .count();
    if rest.get(params) == Some(&b'm') {
        params + 3
    } else {
        0
    }
}

/// utf8.c `strbuf_add_wrapped_text` for the ASCII text git wraps in mail
/// headers (anything else is RFC 2047 encoded instead, so never wrapped).
/// A negative `indent1` means that many columns of the first line are
/// already used.
fn push_wrapped(out: &mut String, text: &[u8], indent1: i32, indent2: i32, width: i32) {
    let mut bytes = Vec::with_capacity(text.len() + 8);
    let (mut i, mut bol) = (0usize, 0usize);
    let (mut w, mut indent) = (indent1, indent1);
    let mut space = None;
    if indent1 < 0 {
        w = -indent1;
        space = Some(0);
    }
    loop {
        loop {
            let skip = esc_sequence_len(&text[i..]);
            if skip == 0 {
                break;
            }
            i += skip;
        }
        let c = text.get(i).copied();
        if c.is_none_or(is_git_space) {
            match space {
                Some(sp) if w > width => {
                    bytes.push(b'\n');
                    i = sp + usize::from(text.get(sp).is_some_and(|&b| is_git_space(b)));
                    bol = i;
                    space = None;
                    w = indent2;
                    indent = indent2;
                }
                _ => {
                    let mut start = bol;
                    if c.is_none() && i == start {
                        break;
                    }
                    match space {
                        Some(sp) => start = sp,
                        None => bytes.extend(std::iter::repeat_n(b' ', indent.max(0) as usize)),
                    }
                    bytes.extend_from_slice(&text[start..i]);
                    if c.is_none() {
                        break;
                    }
                    space = Some(i);
                    if c == Some(b'\t') {
                        w |= 0x07;
                    }
                    w += 1;
                    i += 1;
                }
            }
            continue;
        }
        // git_wcwidth: control characters count as -1 columns.
        w += if c.is_some_and(|b| b < 0x20 || b == 0x7f) {
            -1
        } else {
            1
        };
        i += 1;
    }
    out.push_str(&String::from_utf8_lossy(&bytes));
}

/// pretty.c `pp_user_info` for the "From: " line.
fn push_author(out: &mut String, author: &Person) {
    let mut max_length = 78;
    let name = &author.name;
    if needs_rfc2047(name) {
        push_rfc2047(out, name, Rfc2047::Address);
        max_length = 76;
    } else if name.contains([
        '(', ')', '<', '>', '[', ']', ':', ';', '@', ',', '.', '"', '\\',
    ]) {
        let mut quoted = String::with_capacity(name.len() + 2);
        quoted.push('"');
        for c in name.chars() {
            if c == '"' || c == '\\' {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        push_wrapped(out, quoted.as_bytes(), -6, 1, 78);
    } else {
        push_wrapped(out, name.as_bytes(), -6, 1, 78);
    }
    let needed = last_line_len(out)
        .saturating_add(3 + i32::try_from(author.email.len()).unwrap_or(i32::MAX));
    if max_length < needed {
        out.push('\n');
    }
    out.push_str(" <");
    out.push_str(&author.email);
    out.push_str(">\n");
}

#[cfg(test)]
mod tests {
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
            assert_eq!(parsed.subject, patch.subject, "case {n}");
            assert_eq!(parsed.body, patch.body, "case {n}");
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
        for (subject, expected) in [
            ("[PATCH] x", "x"),
            ("[PATCH v2 3/7] x y", "x y"),
            ("[libvirt] [PATCH] x", "[libvirt] [PATCH] x"),
            ("[PATCH] [libvirt] x", "[libvirt] x"),
            ("[RFC] x", "[RFC] x"),
            ("plain", "plain"),
            ("[PATCH]   indented", "  indented"),
            (
                "[PATCH] =?UTF-8?q?caf=C3=A9?=\n =?UTF-8?q?=20au=20lait?=",
                "café au lait",
            ),
            ("=?utf-8?b?W1BBVENIXSBjYWbDqQ==?=", "café"),
            ("[PATCH] a\n folded", "a folded"),
        ] {
            assert_eq!(parse_subject(subject).unwrap(), expected, "{subject:?}");
        }
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
        assert_eq!(parsed.subject, "Subject\tline");
        assert_eq!(
            parsed.extra_headers,
            vec![("X-Mailer".to_string(), "thing\n  folded".to_string())]
        );
        let mut without_extra = parsed.clone();
        without_extra.extra_headers.clear();
        without_extra.subject = "Subject line".into();
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
            (
                sample.replace("Date: ", "X-Date: ").into_bytes(),
                PatchError::MissingHeader("Date"),
            ),
        ];
        for (input, expected) in &cases {
            assert_eq!(&Patch::parse(input).unwrap_err(), expected);
        }
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
                .replacen("Subject:", "Content-Type: multipart/mixed\nSubject:", 1)
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
        let lf = sample().to_bytes();
        let crlf = String::from_utf8(lf).unwrap().replace('\n', "\r\n");
        let parsed = Patch::parse(crlf.as_bytes()).unwrap();
        let expected = sample();
        assert_eq!(parsed.subject, expected.subject);
        assert_eq!(parsed.body, expected.body);
        assert_eq!(parsed.author, expected.author);
        // The diff is kept byte for byte; it applies to CRLF files.
        assert_eq!(
            parsed.diff,
            String::from_utf8(expected.diff)
                .unwrap()
                .replace('\n', "\r\n")
                .into_bytes()
        );
        let files = crate::patch::parse_diff(&parsed.diff).unwrap();
        assert_eq!(files[0].new_path.as_deref(), Some("f"));
        let applied = crate::patch::apply_hunks(b"a\r\n", &files[0].hunks).unwrap();
        assert_eq!(applied.content, b"b\r\n");
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
        long.subject = "Ünïcödé ".repeat(20);
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
