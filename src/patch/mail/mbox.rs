//! Splitting an mbox (a mailing-list archive, `git format-patch --stdout`)
//! into its mails, as `git mailsplit` does.

use super::super::diff::split_lines;

/// One mail of an mbox: its bytes and the 1-based line of the file it
/// starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail<'a> {
    pub line: usize,
    pub bytes: &'a [u8],
}

/// The mails of `bytes`: split before every mbox `From ` line (mailsplit.c
/// `is_from_line`). A file that does not start with such a line is one mail,
/// as `git mailsplit` takes it. Mails that are only blank are dropped.
pub fn split_mbox(bytes: &[u8]) -> Vec<Mail<'_>> {
    let lines = split_lines(bytes);
    let starts_as_mbox = lines.first().is_some_and(|l| is_from_line(l.text));
    let mut starts: Vec<usize> = if starts_as_mbox {
        (0..lines.len())
            .filter(|&i| is_from_line(lines[i].text))
            .collect()
    } else {
        vec![0]
    };
    if starts.is_empty() {
        starts.push(0);
    }
    let mut mails = Vec::with_capacity(starts.len());
    for (k, &first) in starts.iter().enumerate() {
        let begin = lines.get(first).map_or(0, |l| l.start);
        let end = starts
            .get(k + 1)
            .and_then(|&next| lines.get(next))
            .map_or(bytes.len(), |l| l.start);
        let mail = &bytes[begin..end];
        if !mail.iter().all(u8::is_ascii_whitespace) {
            mails.push(Mail {
                line: first + 1,
                bytes: mail,
            });
        }
    }
    mails
}

/// mailsplit.c `is_from_line`: "From " and, at its end, something shaped
/// like a time and a year after 1990 ("… 00:00:00 2001").
pub(crate) fn is_from_line(text: &[u8]) -> bool {
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    if text.len() < 20 || !text.starts_with(b"From ") {
        return false;
    }
    let Some(colon) = text[5..].iter().rposition(|&b| b == b':').map(|p| p + 5) else {
        return false;
    };
    let digit = |i: Option<usize>| i.and_then(|i| text.get(i)).is_some_and(u8::is_ascii_digit);
    if !(digit(colon.checked_sub(4))
        && digit(colon.checked_sub(2))
        && digit(colon.checked_sub(1))
        && digit(Some(colon + 1))
        && digit(Some(colon + 2)))
    {
        return false;
    }
    let year: String = text[colon + 3..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|&b| char::from(b))
        .collect();
    year.parse::<u32>().is_ok_and(|y| y > 90)
}

/// mailinfo.c `is_format_patch_separator`: "From <40 hex> Mon Sep 17
/// 00:00:00 2001", the first line of every `git format-patch` mail.
pub(crate) fn is_format_patch_separator(text: &[u8]) -> bool {
    let Some(rest) = text.strip_prefix(b"From ") else {
        return false;
    };
    let hex = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    hex == 40 && rest[hex..] == *b" Mon Sep 17 00:00:00 2001"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_mailsplit() {
        let one = b"From 0123456789012345678901234567890123456789 Mon Sep 17 00:00:00 2001\nFrom: a <a@x>\n\nbody\n";
        let two = [&one[..], &one[..]].concat();
        let mails = split_mbox(&two);
        assert_eq!(mails.len(), 2);
        assert_eq!(mails[1].line, 5);
        assert_eq!(mails[0].bytes, &one[..]);
        // A plain mail without the mbox line is one mail.
        assert_eq!(split_mbox(b"From: a <a@x>\n\nFrom me\n").len(), 1);
        assert!(is_from_line(
            b"From someone@example.org Thu Jan  1 10:11:12 2026"
        ));
        assert!(!is_from_line(b"From here on we do things differently"));
        assert!(!is_from_line(b"From x Thu Jan  1 10:11:12 90"));
        assert!(is_from_line(b"From x Thu Jan  1 10:11:12 1970"));
    }
}
