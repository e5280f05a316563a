//! Patches that are not mails: quilt and Debian patches with DEP-3 headers
//! (<https://dep-team.pages.debian.net/deps/dep3/>), bare `diff -u` output,
//! and Gerrit's "download patch" (a base64-encoded `git format-patch` mail).
//! `import` turns each into a [`Patch`] whose message keeps every DEP-3
//! field as a trailer and adds the trailers this project reads.

use super::diff::split_lines;
use super::mail::{Patch, PatchDate, Person, parse_person};
use super::{PatchError, parse_diff, trim_end_git};

/// Who and when, for a patch that does not say: the importer's identity and
/// the time of the import (what `git commit` would record).
#[derive(Debug, Clone)]
pub struct Fallback {
    pub author: Person,
    pub date: PatchDate,
    /// Subject for a bare diff: usually from the file name.
    pub subject: String,
}

/// The mail inside a Gerrit "download patch" file (the base64 of a
/// `git format-patch` mail), or `None` when `bytes` is not one.
pub fn gerrit_download(bytes: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let text: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if text.len() < 16
        || !text
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b))
    {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&text)
        .ok()?;
    (decoded.starts_with(b"From ") || decoded.starts_with(b"From:")).then_some(decoded)
}

/// Reads a quilt/Debian patch: DEP-3 header fields (any may be missing),
/// free text, then a diff. The subject is the first line of `Description:`
/// (or `Subject:`), the rest of it and the free text the body; `Author:`
/// (or `From:`) the author and `Last-Update:` the date, else `fallback`.
/// Every other field is kept as a trailer, and DEP-3's `Forwarded:`,
/// `Origin:` and Launchpad `Bug:` fields add this project's
/// `Upstream-Status:` and `Closes-Bug:` trailers (see [`mapped_trailers`]).
///
/// Errors: [`PatchError::NoDiff`] when there is no diff, diff errors with
/// their line, a bad `Author:` as [`PatchError::BadHeader`].
pub fn from_quilt(bytes: &[u8], fallback: &Fallback) -> Result<Patch, PatchError> {
    let lines = split_lines(bytes);
    let texts: Vec<String> = lines
        .iter()
        .map(|l| {
            String::from_utf8_lossy(l.text)
                .trim_end_matches('\r')
                .to_string()
        })
        .collect();
    let diff_start =
        (0..texts.len())
            .find(|&i| is_diff_start(&texts, i))
            .ok_or(PatchError::NoDiff {
                line: lines.len().max(1),
            })?;
    let diff = &bytes[lines[diff_start].start..];
    if parse_diff(diff)
        .map_err(|e| e.with_line_offset(diff_start))?
        .is_empty()
    {
        return Err(PatchError::NoDiff {
            line: diff_start + 1,
        });
    }

    // Header fields, then free text up to the diff (or its `Index:`/`===` lead-in).
    let mut fields: Vec<(String, String, usize)> = Vec::new();
    let mut i = 0;
    while i < diff_start {
        let text = &texts[i];
        if text.trim().is_empty() {
            break;
        }
        if text.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.1.push('\n');
                last.1.push_str(text);
            }
        } else if let Some((key, value)) = field(text) {
            fields.push((key.to_string(), value.trim().to_string(), i + 1));
        } else {
            break;
        }
        i += 1;
    }
    let free: Vec<&str> = texts[i..diff_start]
        .iter()
        .map(String::as_str)
        .take_while(|t| !is_diff_lead_in(t))
        .collect();

    let take = |names: &[&str]| {
        fields
            .iter()
            .find(|(k, _, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
            .cloned()
    };
    let description = take(&["Description", "Subject"]);
    let (subject, mut body) = match &description {
        Some((_, value, _)) => {
            let mut desc = value.split('\n');
            let subject = desc.next().unwrap_or_default().trim().to_string();
            let long: Vec<String> = desc
                .map(|l| {
                    let l = l.strip_prefix([' ', '\t']).unwrap_or(l);
                    if l.trim() == "." {
                        String::new()
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            (subject, long)
        }
        None => (String::new(), Vec::new()),
    };
    body.extend(free.iter().map(|t| t.to_string()));
    let subject = if subject.is_empty() {
        match body.iter().position(|l| !l.trim().is_empty()) {
            Some(first) if description.is_none() && !free.is_empty() => {
                body.remove(first).trim().to_string()
            }
            _ => fallback.subject.clone(),
        }
    } else {
        subject
    };

    let author = match take(&["Author", "From"]) {
        Some((key, value, line)) => {
            parse_person(&value).map_err(|message| PatchError::BadHeader {
                line,
                header: key,
                message,
            })?
        }
        None => fallback.author.clone(),
    };
    let date = take(&["Last-Update"])
        .and_then(|(_, v, _)| last_update(&v))
        .unwrap_or(fallback.date);

    let used = ["Description", "Subject", "Author", "From", "Last-Update"];
    let mut trailers: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _, _)| !used.iter().any(|u| k.eq_ignore_ascii_case(u)))
        .map(|(k, v, _)| {
            (
                k.clone(),
                v.split('\n').map(str::trim).collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    trailers.extend(mapped_trailers(&trailers));

    let mut message = subject;
    message.push('\n');
    let body_text = body
        .iter()
        .map(|l| trim_end_git(l))
        .collect::<Vec<_>>()
        .join("\n");
    let body_text = body_text.trim_matches('\n');
    if !body_text.is_empty() {
        message.push('\n');
        message.push_str(body_text);
        message.push('\n');
    }
    if !trailers.is_empty() {
        message.push('\n');
        for (k, v) in &trailers {
            message.push_str(&format!("{k}: {v}\n"));
        }
    }
    Ok(Patch::from_message(author, date, &message, diff.to_vec()))
}

/// This project's trailers for what DEP-3 fields say, unless the patch
/// already has them: `Forwarded: no` → `Upstream-Status: Pending`,
/// `not-needed` → `Inappropriate`, a URL → `Submitted <url>`; `Origin:
/// upstream, <commit or url>` → `Backport <…>`; `Applied-Upstream:` →
/// `Accepted <…>`; a Launchpad bug URL in `Bug:`/`Bug-*:` → `Closes-Bug: N`.
pub fn mapped_trailers(fields: &[(String, String)]) -> Vec<(String, String)> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    let mut out = Vec::new();
    if get("Upstream-Status").is_none() {
        let status = if let Some(applied) = get("Applied-Upstream") {
            Some(format!("Accepted {applied}"))
        } else if let Some(origin) = get("Origin").and_then(|o| {
            let (kind, rest) = o.split_once(',').unwrap_or((o, ""));
            kind.trim()
                .eq_ignore_ascii_case("upstream")
                .then(|| rest.trim())
        }) {
            Some(if origin.is_empty() {
                "Backport".into()
            } else {
                format!("Backport {origin}")
            })
        } else {
            match get("Forwarded") {
                Some(v) if v.eq_ignore_ascii_case("no") => Some("Pending".into()),
                Some(v) if v.eq_ignore_ascii_case("not-needed") => {
                    Some("Inappropriate (DEP-3 Forwarded: not-needed)".into())
                }
                Some(v) if v.eq_ignore_ascii_case("yes") => Some("Submitted".into()),
                Some(v) => Some(format!("Submitted {v}")),
                None => None,
            }
        };
        if let Some(status) = status {
            out.push(("Upstream-Status".to_string(), status));
        }
    }
    let has_bug_trailer = fields.iter().any(|(k, _)| {
        k.eq_ignore_ascii_case("Closes-Bug") || k.eq_ignore_ascii_case("Related-Bug")
    });
    if !has_bug_trailer {
        for (key, value) in fields {
            let is_bug =
                key.eq_ignore_ascii_case("Bug") || key.to_ascii_lowercase().starts_with("bug-");
            if let Some(n) = is_bug.then(|| launchpad_bug(value)).flatten() {
                out.push(("Closes-Bug".to_string(), n));
            }
        }
    }
    out
}

/// The bug number of a `https://launchpad.net/bugs/N` (or
/// `bugs.launchpad.net/…/+bug/N`) URL.
fn launchpad_bug(url: &str) -> Option<String> {
    if !url.contains("launchpad.net") {
        return None;
    }
    let tail = url.trim_end_matches('/').rsplit('/').next()?;
    (!tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit())).then(|| tail.to_string())
}

/// `Key: value` with a DEP-3/RFC 822 field name.
fn field(text: &str) -> Option<(&str, &str)> {
    let (key, value) = text.split_once(':')?;
    (!key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then_some((key, value))
}

/// DEP-3 `Last-Update: YYYY-MM-DD`, as midnight UTC.
fn last_update(value: &str) -> Option<PatchDate> {
    let day = chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").ok()?;
    Some(PatchDate {
        seconds: day.and_hms_opt(0, 0, 0)?.and_utc().timestamp(),
        offset_minutes: 0,
    })
}

/// Where free text ends: a `---` separator line (as git and quilt write
/// before a diffstat), or an `Index:`/`====`/`diff` line that leads a diff.
fn is_diff_lead_in(text: &str) -> bool {
    text.starts_with("Index: ")
        || text.starts_with("====")
        || text.starts_with("diff ")
        || text
            .strip_prefix("---")
            .is_some_and(|rest| rest.trim().is_empty())
}

fn is_diff_start(texts: &[String], i: usize) -> bool {
    let text = &texts[i];
    text.starts_with("diff --git ")
        || (text.starts_with("--- ")
            && texts.get(i + 1).is_some_and(|t| t.starts_with("+++ "))
            && texts.get(i + 2).is_some_and(|t| t.starts_with("@@ ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fallback() -> Fallback {
        Fallback {
            author: Person {
                name: "Importer".into(),
                email: "imp@example.org".into(),
            },
            date: PatchDate {
                seconds: 1_700_000_000,
                offset_minutes: 0,
            },
            subject: "from the file name".into(),
        }
    }

    const DIFF: &str = "--- a/f.txt\t2024-01-01 00:00:00.000000000 +0000\n+++ b/f.txt\t2024-01-02 00:00:00.000000000 +0000\n@@ -1 +1 @@\n-a\n+b\n";

    #[test]
    fn dep3_fields_become_the_message() {
        let input = format!(
            "Description: Fix the frobnicator\n Longer text\n .\n second paragraph\nAuthor: Jane Doe <jane@example.org>\n\
             Origin: upstream, https://opendev.org/openstack/nova/commit/abc123\n\
             Bug-Ubuntu: https://bugs.launchpad.net/nova/+bug/2012345\nForwarded: not-needed\n\
             Last-Update: 2025-02-03\n\nFree text after.\n\n{DIFF}"
        );
        let patch = from_quilt(input.as_bytes(), &fallback()).unwrap();
        assert_eq!(patch.author.name, "Jane Doe");
        assert_eq!(patch.date.seconds, 1_738_540_800);
        assert_eq!(
            patch.message(),
            "Fix the frobnicator\n\nLonger text\n\nsecond paragraph\n\nFree text after.\n\n\
             Origin: upstream, https://opendev.org/openstack/nova/commit/abc123\n\
             Bug-Ubuntu: https://bugs.launchpad.net/nova/+bug/2012345\nForwarded: not-needed\n\
             Upstream-Status: Backport https://opendev.org/openstack/nova/commit/abc123\n\
             Closes-Bug: 2012345\n"
        );
        assert_eq!(patch.diff, DIFF.as_bytes());
    }

    #[test]
    fn bare_diff_takes_the_fallback() {
        let patch = from_quilt(DIFF.as_bytes(), &fallback()).unwrap();
        assert_eq!(patch.message(), "from the file name\n");
        assert_eq!(patch.author.email, "imp@example.org");
        assert!(matches!(
            from_quilt(b"Description: x\n", &fallback()),
            Err(PatchError::NoDiff { .. })
        ));
    }

    #[test]
    fn forwarded_maps_to_upstream_status() {
        let map = |v: &str| mapped_trailers(&[("Forwarded".into(), v.into())]);
        assert_eq!(map("no")[0].1, "Pending");
        assert_eq!(
            map("https://review.opendev.org/c/1")[0].1,
            "Submitted https://review.opendev.org/c/1"
        );
        assert!(mapped_trailers(&[("Upstream-Status".into(), "Pending".into())]).is_empty());
    }

    #[test]
    fn gerrit_download_is_base64_of_a_mail() {
        use base64::Engine as _;
        let mail = b"From 0123 Mon Sep 17 00:00:00 2001\nFrom: a <a@x>\n";
        let encoded = base64::engine::general_purpose::STANDARD.encode(mail);
        assert_eq!(
            gerrit_download(encoded.as_bytes()).as_deref(),
            Some(&mail[..])
        );
        assert_eq!(gerrit_download(DIFF.as_bytes()), None);
    }
}
