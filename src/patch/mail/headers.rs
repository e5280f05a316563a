//! Reading a mail's header block: unfolding, RFC 2047 encoded words (decoded by
//! `mailparse`, any charset), names, subjects and RFC 2822 dates, as git's mailinfo.c does.

use super::super::diff::RawLine;
use super::super::{PatchError, is_git_space, trim_end_git};
use super::{MONTHS, PatchDate, Person, strip_cr};
use chrono::NaiveDate;

pub(super) struct RawHeader {
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
pub(super) fn read_headers(
    lines: &[RawLine<'_>],
    i: &mut usize,
) -> Result<Vec<RawHeader>, PatchError> {
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

/// How the body of a mail is encoded (mailinfo.c `handle_content_transfer_encoding`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Transfer {
    Plain,
    QuotedPrintable,
    Base64,
    /// A MIME multipart mail, with its `Content-Type` value (boundary
    /// included): the message and the patch may sit in different parts.
    Multipart(String),
}

/// The header fields a patch is made of; what the mail lacks may still come
/// from in-body headers (see [`InBody`]).
pub(super) struct HeaderFields {
    pub author: Option<Person>,
    pub date: Option<PatchDate>,
    pub subject: Option<String>,
    pub transfer: Transfer,
    /// The declared charset of the body (`Content-Type: text/plain;
    /// charset=…`); `None` for UTF-8, US-ASCII or none declared.
    pub charset: Option<&'static encoding_rs::Encoding>,
    /// `X-Verda-Message-Lines: N`: the commit message is exactly the first N
    /// lines of the body (see `Patch::to_bytes`), with the header's line.
    pub message_lines: Option<(usize, usize)>,
    pub extra: Vec<(String, String)>,
}

/// The header verda-patch writes when a commit message would not survive
/// git's reading of the mail (see `Patch::to_bytes`).
pub(super) const MESSAGE_LINES_HEADER: &str = "X-Verda-Message-Lines";

impl HeaderFields {
    pub(super) fn interpret(headers: Vec<RawHeader>) -> Result<HeaderFields, PatchError> {
        let mut fields = HeaderFields {
            author: None,
            date: None,
            subject: None,
            transfer: Transfer::Plain,
            charset: None,
            message_lines: None,
            extra: Vec::new(),
        };
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
                    once(fields.author.is_some())?;
                    fields.author = Some(parse_person(&unfold(&h.value)).map_err(|m| bad(&m))?);
                }
                "date" => {
                    once(fields.date.is_some())?;
                    fields.date = Some(parse_date_header(&h.value).map_err(|m| bad(&m))?);
                }
                "subject" => {
                    once(fields.subject.is_some())?;
                    fields.subject = Some(parse_subject(&h.value).map_err(|m| bad(&m))?);
                }
                "mime-version" => {}
                "content-type" => {
                    let value = unfold(&h.value);
                    let parsed = mailparse::parse_content_type(&value);
                    if parsed.mimetype.starts_with("multipart/") {
                        fields.transfer = Transfer::Multipart(value.clone());
                        continue;
                    }
                    fields.charset = charset(&value, &parsed.charset).map_err(|m| bad(&m))?;
                }
                "content-transfer-encoding" => {
                    fields.transfer = match h.value.trim().to_ascii_lowercase().as_str() {
                        "7bit" | "8bit" | "binary" => Transfer::Plain,
                        "quoted-printable" => Transfer::QuotedPrintable,
                        "base64" => Transfer::Base64,
                        other => {
                            return Err(bad(&format!(
                                "unknown transfer encoding \"{other}\" (known: 7bit, 8bit, binary, \
                                 quoted-printable, base64)"
                            )));
                        }
                    }
                }
                name if name.eq_ignore_ascii_case(MESSAGE_LINES_HEADER) => {
                    once(fields.message_lines.is_some())?;
                    let n =
                        h.value.trim().parse::<usize>().map_err(|_| {
                            bad("expected the number of lines of the commit message")
                        })?;
                    fields.message_lines = Some((n, h.line));
                }
                _ => fields.extra.push((h.name, h.value)),
            }
        }
        Ok(fields)
    }

    /// An in-body `From:`, `Date:` or `Subject:` line (mailinfo.c
    /// `check_inbody_header`): it replaces the mail header's value.
    pub(super) fn take_inbody(
        &mut self,
        name: &str,
        value: &str,
        line: usize,
    ) -> Result<(), PatchError> {
        let bad = |message: String| PatchError::BadHeader {
            line,
            header: name.to_string(),
            message: format!("in-body header: {message}"),
        };
        match name.to_ascii_lowercase().as_str() {
            "from" => self.author = Some(parse_person(&unfold(value)).map_err(bad)?),
            "date" => self.date = Some(parse_date_header(value).map_err(bad)?),
            _ => self.subject = Some(parse_subject(value).map_err(bad)?),
        }
        Ok(())
    }
}

/// The encoding a `Content-Type` header declares; `None` for UTF-8 and
/// ASCII, which need no conversion.
fn charset(header: &str, parsed: &str) -> Result<Option<&'static encoding_rs::Encoding>, String> {
    // mailparse answers us-ascii when no charset is declared.
    if !header.to_ascii_lowercase().contains("charset") {
        return Ok(None);
    }
    let encoding = encoding_rs::Encoding::for_label(parsed.trim().as_bytes())
        .ok_or_else(|| format!("unknown charset \"{parsed}\""))?;
    Ok(
        (encoding != encoding_rs::UTF_8 && !parsed.eq_ignore_ascii_case("us-ascii"))
            .then_some(encoding),
    )
}

fn parse_date_header(value: &str) -> Result<PatchDate, String> {
    parse_date(&unfold(value)).ok_or_else(|| {
        "expected an RFC 2822 date such as \"Thu, 1 Jan 2026 00:00:00 +0000\"".to_string()
    })
}

/// RFC 5322 unfolding: a fold is only a line break before the blank.
pub(super) fn unfold(value: &str) -> String {
    value.replace('\n', "")
}

/// The subject as `git am --keep-non-patch` (`-b`) takes it (mailinfo.c
/// `read_one_header_line`, `cleanup_subject`, `cleanup_space`): folded
/// lines joined by one blank, RFC 2047 words decoded, leading `Re:`,
/// blanks, colons and bracketed groups that contain "PATCH" removed (other
/// bracketed text such as `[libvirt]` kept), every run of white space one
/// blank.
pub(super) fn parse_subject(raw: &str) -> Result<String, String> {
    let joined = raw
        .split('\n')
        .enumerate()
        .map(|(i, l)| {
            let l = trim_end_git(l);
            if i == 0 {
                l.to_string()
            } else {
                format!(" {}", l.get(1..).unwrap_or_default())
            }
        })
        .collect::<String>();
    let decoded = decode_rfc2047(&joined)?;
    Ok(cleanup_space(&cleanup_subject(&decoded)))
}

fn is_space_char(c: char) -> bool {
    c.is_ascii() && is_git_space(c as u8)
}

/// mailinfo.c `cleanup_subject` with `keep_non_patch_brackets_in_subject`.
fn cleanup_subject(subject: &str) -> String {
    let mut s = subject.to_string();
    let mut at = 0;
    while at < s.len() {
        let bytes = &s.as_bytes()[at..];
        match bytes[0] {
            b'r' | b'R'
                if bytes.len() > 3 && bytes[1].eq_ignore_ascii_case(&b'e') && bytes[2] == b':' =>
            {
                s.replace_range(at..at + 3, "");
            }
            b' ' | b'\t' | b':' => {
                s.replace_range(at..at + 1, "");
            }
            b'[' => {
                let Some(close) = s[at..].find(']') else {
                    break;
                };
                let group = &s[at..=at + close];
                if group.len() >= 7 && group.contains("PATCH") {
                    s.replace_range(at..=at + close, "");
                } else {
                    at += close + 1;
                    if s[at..].starts_with(is_space_char) {
                        at += 1;
                    }
                }
            }
            _ => break,
        }
    }
    s.trim_matches(is_space_char).to_string()
}

/// mailinfo.c `cleanup_space`: every run of white space becomes one blank.
fn cleanup_space(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if is_space_char(c) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

pub(crate) fn parse_person(value: &str) -> Result<Person, String> {
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
    // A bare address: git am names the author by the address
    // (mailinfo.c `get_sane_name`).
    let name = if name.trim().is_empty() {
        email.to_string()
    } else {
        name
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

/// Decodes RFC 2047 encoded words (any charset), as mailinfo.c
/// `decode_header` does: blanks between two adjacent encoded words go,
/// anything that is not a well-formed encoded word stays as it is.
pub(super) fn decode_rfc2047(text: &str) -> Result<String, String> {
    if !text.contains("=?") {
        return Ok(text.to_string());
    }
    let line = format!("X: {text}");
    let (header, _) = mailparse::parse_header(line.as_bytes())
        .map_err(|e| format!("cannot decode \"{text}\": {e}"))?;
    Ok(header.get_value())
}

/// "[Thu, ]1 Jan 2026 00:00[:00] +0000"; the weekday is not checked.
pub(super) fn parse_date(value: &str) -> Option<PatchDate> {
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
