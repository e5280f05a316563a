//! Writing a mail's header lines byte for byte as git format-patch does: dates,
//! RFC 2047 encoding and line wrapping (pretty.c, utf8.c).

use super::super::is_git_space;
use super::{MONTHS, PatchDate, Person, WEEKDAYS};
use chrono::{Datelike, Timelike};
use std::fmt::Write as _;

/// The subject after "Subject: [PATCH] ": RFC 2047 encoded when git would
/// encode it, else wrapped at 78 columns (pretty.c `pp_email_subject`).
pub(super) fn push_subject(out: &mut String, subject: &str) {
    if needs_rfc2047(subject) {
        push_rfc2047(out, subject, Rfc2047::Subject);
    } else {
        let indent = last_line_len(out);
        push_wrapped(out, subject.as_bytes(), -indent, 1, 78);
    }
}

/// git's DATE_RFC2822. Like git, a time that cannot be shown is shown as
/// the epoch.
pub(super) fn format_date(date: PatchDate) -> String {
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
pub(super) fn push_author(out: &mut String, author: &Person) {
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
