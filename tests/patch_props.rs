//! Properties of the patch reader and writer (`verda_patch::patch`), on
//! generated well-formed patches: mails with ASCII and non-ASCII subjects,
//! bodies, trailers and extra headers; diffs with several files, hunks of
//! context, additions and removals, missing newlines at the end, new and
//! deleted files, mode changes, renames and quoted names.
//!
//! * reading what was written gives back the patch, and writing it again
//!   gives the same bytes;
//! * the hunks of a generated diff turn its preimage into its postimage;
//! * no input, however broken, makes the reader panic;
//! * commits made by git, exported, equal `git format-patch -M`, and a fresh
//!   `apply` gives them back (see the last section).
//!
//! Cases per property: 64, or `PROPTEST_CASES`; the exported repositories
//! have a fixed count (`REPO_CASES`).

mod common;

use std::path::Path;

use proptest::prelude::*;
use similar::{Algorithm, DiffTag, capture_diff_slices, group_diff_ops};
use verda_patch::patch::{
    FileChange, FilePatch, Hunk, Line, LineKind, Patch, PatchDate, Person, apply_hunks, parse_diff,
};
use verda_patch::repo::{Git, Identity, Oid};

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64);
    ProptestConfig::with_cases(cases)
}

// ---- file contents and their diff -------------------------------------

/// A text file as lines; the last one may lack its newline.
#[derive(Debug, Clone, PartialEq)]
struct Text {
    lines: Vec<Vec<u8>>,
    final_newline: bool,
}

impl Text {
    /// Only a last line with text can lack its newline (an empty one
    /// without it is no line at all).
    fn new(lines: Vec<Vec<u8>>, final_newline: bool) -> Text {
        let final_newline = final_newline || lines.last().is_none_or(|l| l.is_empty());
        Text {
            lines,
            final_newline,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = self.lines.join(&b'\n');
        if !self.lines.is_empty() && self.final_newline {
            out.push(b'\n');
        }
        out
    }

    /// Lines with whether each ends with '\n': what a diff compares.
    fn tokens(&self) -> Vec<(Vec<u8>, bool)> {
        let n = self.lines.len();
        self.lines
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), i + 1 < n || self.final_newline))
            .collect()
    }
}

/// Mostly lines from a small set, so that edits leave common lines for
/// context; sometimes any bytes but '\n'.
fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => (0u8..24).prop_map(|n| format!("line {n}").into_bytes()),
        1 => Just(Vec::new()),
        1 => prop::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..16),
    ]
}

fn text(min_lines: usize) -> impl Strategy<Value = Text> {
    (prop::collection::vec(line(), min_lines..24), any::<bool>())
        .prop_map(|(lines, final_newline)| Text::new(lines, final_newline))
}

#[derive(Debug, Clone)]
enum Edit {
    Keep,
    Drop,
    Replace(Vec<u8>),
    InsertBefore(Vec<u8>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        8 => Just(Edit::Keep),
        1 => Just(Edit::Drop),
        1 => line().prop_map(Edit::Replace),
        1 => line().prop_map(Edit::InsertBefore),
    ]
}

/// A preimage and a different postimage made from it by edits.
fn changed_text() -> impl Strategy<Value = (Text, Text)> {
    text(0).prop_flat_map(|pre| {
        let n = pre.lines.len();
        (
            Just(pre),
            prop::collection::vec(edit(), n..=n),
            prop::collection::vec(line(), 0..3),
            any::<bool>(),
        )
            .prop_map(|(pre, edits, appended, final_newline)| {
                let mut lines = Vec::new();
                for (old, edit) in pre.lines.iter().zip(edits) {
                    match edit {
                        Edit::Keep => lines.push(old.clone()),
                        Edit::Drop => {}
                        Edit::Replace(new) => lines.push(new),
                        Edit::InsertBefore(new) => lines.extend([new, old.clone()]),
                    }
                }
                lines.extend(appended);
                let mut post = Text::new(lines, final_newline);
                if post == pre {
                    post = Text::new([post.lines, vec![b"one more line".to_vec()]].concat(), true);
                }
                (pre, post)
            })
    })
}

/// The hunks of a unified diff with 3 lines of context, as git makes them.
fn hunks(pre: &Text, post: &Text) -> Vec<Hunk> {
    let (old, new) = (pre.tokens(), post.tokens());
    let ops = capture_diff_slices(Algorithm::Myers, &old, &new);
    group_diff_ops(ops, 3)
        .into_iter()
        .map(|group| {
            let mut lines = Vec::new();
            for op in &group {
                let (tag, olds, news) = op.as_tag_tuple();
                let to_line = |kind, (text, newline): &(Vec<u8>, bool)| Line {
                    kind,
                    text: text.clone(),
                    newline: *newline,
                };
                match tag {
                    DiffTag::Equal => {
                        lines.extend(old[olds].iter().map(|t| to_line(LineKind::Context, t)))
                    }
                    _ => {
                        lines.extend(old[olds].iter().map(|t| to_line(LineKind::Remove, t)));
                        lines.extend(new[news].iter().map(|t| to_line(LineKind::Add, t)));
                    }
                }
            }
            let first = group.first().unwrap().as_tag_tuple();
            let last = group.last().unwrap().as_tag_tuple();
            let (old_count, new_count) = (last.1.end - first.1.start, last.2.end - first.2.start);
            // git numbers an empty side by the line before it.
            let start = |begin: usize, count: usize| if count == 0 { begin } else { begin + 1 };
            Hunk {
                old_start: start(first.1.start, old_count),
                old_count,
                new_start: start(first.2.start, new_count),
                new_count,
                lines,
                line: 0,
            }
        })
        .collect()
}

// ---- file patches --------------------------------------------------------

/// A file patch with the contents it goes between (empty for an added or
/// deleted side).
#[derive(Debug, Clone)]
struct Case {
    file: FilePatch,
    pre: Text,
    post: Text,
}

/// Path components: plain, with a blank inside, non-ASCII, or with bytes
/// git quotes.
fn component() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z_][a-z0-9_]{0,7}",
        1 => "[a-z]{1,4} [a-z]{1,4}",
        1 => "[a-zé日]{1,3}[éü日本]",
        1 => "[a-z]{1,3}[\"\\\\\t][a-z]{1,3}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(component(), 1..4).prop_map(|parts| format!("{}.py", parts.join("/")))
}

fn blob_id() -> impl Strategy<Value = String> {
    "[0-9a-f]{40}".prop_filter("not the null id", |id| id.bytes().any(|b| b != b'0'))
}

fn mode() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0o100644), Just(0o100755)]
}

const NULL_ID: &str = "0000000000000000000000000000000000000000";

fn file_patch(
    change: FileChange,
    (old_path, new_path): (Option<String>, Option<String>),
    (old_mode, new_mode): (Option<u32>, Option<u32>),
    (old_id, new_id): (Option<String>, Option<String>),
    hunks: Vec<Hunk>,
) -> FilePatch {
    FilePatch {
        change,
        old_path,
        new_path,
        old_mode,
        new_mode,
        old_id,
        new_id,
        binary: None,
        hunks,
        line: 0,
    }
}

fn case() -> impl Strategy<Value = Case> {
    let empty = Text::new(Vec::new(), true);
    let modify = (path(), mode(), blob_id(), blob_id(), changed_text()).prop_map(
        |(path, mode, a, b, (pre, post))| Case {
            file: file_patch(
                FileChange::Modify,
                (Some(path.clone()), Some(path)),
                (Some(mode), Some(mode)),
                (Some(a), Some(b)),
                hunks(&pre, &post),
            ),
            pre,
            post,
        },
    );
    // A mode change, with or without a change of content.
    let chmod = (path(), blob_id(), blob_id(), any::<bool>(), changed_text()).prop_map(
        |(path, a, b, content, (pre, post))| {
            let post = if content { post } else { pre.clone() };
            let hunks = if content {
                hunks(&pre, &post)
            } else {
                Vec::new()
            };
            let ids = if content {
                (Some(a), Some(b))
            } else {
                (None, None)
            };
            Case {
                file: file_patch(
                    FileChange::Modify,
                    (Some(path.clone()), Some(path)),
                    (Some(0o100644), Some(0o100755)),
                    ids,
                    hunks,
                ),
                pre,
                post,
            }
        },
    );
    let add = (path(), mode(), blob_id(), text(0)).prop_map({
        let empty = empty.clone();
        move |(path, mode, id, post)| Case {
            file: file_patch(
                FileChange::Add,
                (None, Some(path)),
                (None, Some(mode)),
                (Some(NULL_ID.into()), Some(id)),
                hunks(&empty, &post),
            ),
            pre: empty.clone(),
            post,
        }
    });
    let delete = (path(), mode(), blob_id(), text(0)).prop_map({
        let empty = empty.clone();
        move |(path, mode, id, pre)| Case {
            file: file_patch(
                FileChange::Delete,
                (Some(path), None),
                (Some(mode), None),
                (Some(id), Some(NULL_ID.into())),
                hunks(&pre, &empty),
            ),
            pre,
            post: empty.clone(),
        }
    });
    // A pure rename has no index line; one with changes has it, with the mode.
    let rename = (
        path(),
        path(),
        mode(),
        blob_id(),
        blob_id(),
        any::<bool>(),
        changed_text(),
    )
        .prop_filter("two names", |(from, to, ..)| from != to)
        .prop_map(|(from, to, mode, a, b, content, (pre, post))| {
            let post = if content { post } else { pre.clone() };
            let (modes, ids, hunks) = if content {
                (
                    (Some(mode), Some(mode)),
                    (Some(a), Some(b)),
                    hunks(&pre, &post),
                )
            } else {
                ((None, None), (None, None), Vec::new())
            };
            Case {
                file: file_patch(
                    FileChange::Rename,
                    (Some(from), Some(to)),
                    modes,
                    ids,
                    hunks,
                ),
                pre,
                post,
            }
        });
    prop_oneof![5 => modify, 1 => chmod, 2 => add, 2 => delete, 1 => rename]
}

fn cases() -> impl Strategy<Value = Vec<Case>> {
    prop::collection::vec(case(), 1..4)
}

// ---- the diff writer, like git diff --full-index --no-renames (+ renames) -

/// quote.c `quote_c_style` with core.quotePath: names with '"', '\\',
/// control or non-ASCII bytes are quoted, with C and octal escapes.
fn quoted(name: &str) -> String {
    let needs = name
        .bytes()
        .any(|b| b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b));
    if !needs {
        return name.to_string();
    }
    let mut out = String::from("\"");
    for b in name.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push('"');
    out
}

/// `prefix` + name, quoted as a whole when it needs quoting.
fn side(prefix: &str, name: &str) -> String {
    quoted(&format!("{prefix}{name}"))
}

fn range(start: usize, count: usize) -> String {
    if count == 1 {
        format!("{start}")
    } else {
        format!("{start},{count}")
    }
}

fn write_diff(files: &[FilePatch]) -> Vec<u8> {
    let mut out = Vec::new();
    for file in files {
        let old = file.old_path.as_deref();
        let new = file.new_path.as_deref();
        let (a, b) = (old.or(new).unwrap(), new.or(old).unwrap());
        out.extend(format!("diff --git {} {}\n", side("a/", a), side("b/", b)).bytes());
        let index = |out: &mut Vec<u8>, mode: Option<u32>| {
            if let (Some(x), Some(y)) = (&file.old_id, &file.new_id) {
                let mode = mode.map(|m| format!(" {m:o}")).unwrap_or_default();
                out.extend(format!("index {x}..{y}{mode}\n").bytes());
            }
        };
        match file.change {
            FileChange::Add => {
                out.extend(format!("new file mode {:o}\n", file.new_mode.unwrap()).bytes());
                index(&mut out, None);
            }
            FileChange::Delete => {
                out.extend(format!("deleted file mode {:o}\n", file.old_mode.unwrap()).bytes());
                index(&mut out, None);
            }
            FileChange::Rename | FileChange::Copy => {
                let (verb, similarity) = match (file.change, file.hunks.is_empty()) {
                    (FileChange::Rename, true) => ("rename", 100),
                    (FileChange::Rename, false) => ("rename", 90),
                    (_, true) => ("copy", 100),
                    (_, false) => ("copy", 90),
                };
                out.extend(format!("similarity index {similarity}%\n").bytes());
                out.extend(format!("{verb} from {}\n", quoted(a)).bytes());
                out.extend(format!("{verb} to {}\n", quoted(b)).bytes());
                index(&mut out, file.old_mode);
            }
            FileChange::Modify if file.old_mode != file.new_mode => {
                out.extend(format!("old mode {:o}\n", file.old_mode.unwrap()).bytes());
                out.extend(format!("new mode {:o}\n", file.new_mode.unwrap()).bytes());
                index(&mut out, None);
            }
            FileChange::Modify => index(&mut out, file.old_mode),
        }
        if file.hunks.is_empty() {
            continue;
        }
        let minus = old.map_or("/dev/null".into(), |p| side("a/", p));
        let plus = new.map_or("/dev/null".into(), |p| side("b/", p));
        out.extend(format!("--- {minus}\n+++ {plus}\n").bytes());
        for hunk in &file.hunks {
            out.extend(
                format!(
                    "@@ -{} +{} @@\n",
                    range(hunk.old_start, hunk.old_count),
                    range(hunk.new_start, hunk.new_count)
                )
                .bytes(),
            );
            for line in &hunk.lines {
                out.push(match line.kind {
                    LineKind::Context => b' ',
                    LineKind::Remove => b'-',
                    LineKind::Add => b'+',
                });
                out.extend_from_slice(&line.text);
                out.push(b'\n');
                if !line.newline {
                    out.extend_from_slice(b"\\ No newline at end of file\n");
                }
            }
        }
    }
    out
}

/// The file patches without the line numbers the reader records.
fn without_lines(files: &[FilePatch]) -> Vec<FilePatch> {
    files
        .iter()
        .map(|f| FilePatch {
            line: 0,
            hunks: f
                .hunks
                .iter()
                .map(|h| Hunk {
                    line: 0,
                    ..h.clone()
                })
                .collect(),
            ..f.clone()
        })
        .collect()
}

// ---- mails ---------------------------------------------------------------

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[A-Za-z][a-z0-9]{0,9}",
        1 => "[a-z]{0,3}[äöüéß日本語][a-z]{0,3}",
        1 => "[(\\[]?[a-z]{1,5}[.,:;)\\]?!=_-]{0,2}",
        1 => "[a-z]{20,60}",
    ]
}

/// Words with single blanks, starting with a letter: never a mail header,
/// a patch break or blank.
fn sentence(words: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    ("[A-Z][a-z]{0,8}", prop::collection::vec(word(), words)).prop_map(|(first, rest)| {
        std::iter::once(first)
            .chain(rest)
            .collect::<Vec<_>>()
            .join(" ")
    })
}

fn subject() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => sentence(0..16),
        1 => ("[a-z]{1,6}", sentence(0..4)).prop_map(|(tag, s)| format!("[{tag}] {s}")),
        1 => sentence(0..4).prop_map(|s| format!("{s} =?utf-8?q?x?= end")),
    ]
}

fn trailer() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-f]{40}".prop_map(|h| format!("Change-Id: I{h}")),
        "[0-9]{6,7}".prop_map(|n| format!("Closes-Bug: #{n}")),
        Just("Upstream-Status: Pending".to_string()),
        "[0-9a-f]{40}".prop_map(|h| format!("(cherry picked from commit {h})")),
        (name(), email()).prop_map(|(n, e)| format!("Signed-off-by: {n} <{e}>")),
    ]
}

/// A normalised body: paragraphs of lines (some indented), then trailers.
fn body() -> impl Strategy<Value = String> {
    let paragraph = prop::collection::vec(
        (any::<bool>(), sentence(0..10)).prop_map(
            |(indent, s)| {
                if indent { format!("    {s}") } else { s }
            },
        ),
        1..4,
    )
    .prop_map(|lines| lines.join("\n"));
    (
        prop::collection::vec(paragraph, 0..3),
        prop::collection::vec(trailer(), 0..4),
    )
        .prop_map(|(mut paragraphs, trailers)| {
            if !trailers.is_empty() {
                paragraphs.push(trailers.join("\n"));
            }
            paragraphs.join("\n\n")
        })
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Z][a-z]{1,8}( [A-Z][a-z]{1,10}){0,2}",
        1 => "[A-Z][a-z]{1,5}, [A-Z]\\. [A-Z][a-z]{1,8}",
        1 => "[A-Z][a-z]{0,4} \"[a-z]{1,5}\" [a-z\\\\()<>@]{1,5}",
        1 => "[ÅÉØŁ][a-zäöüøł]{1,8} [A-Z][äöüß]{1,6}",
        1 => "[a-z]{30,50} [a-z]{30,50}",
    ]
}

fn email() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9._+-]{0,11}@[a-z0-9-]{1,10}\\.(org|com|io)"
}

fn extra_header() -> impl Strategy<Value = (String, String)> {
    (
        "X-[A-Z][a-z]{1,8}",
        "[A-Za-z0-9][ -~]{0,30}",
        prop::option::of("[A-Za-z0-9][!-~]{0,20}"),
    )
        .prop_map(|(name, value, fold)| match fold {
            Some(more) => (name, format!("{}\n {more}", value.trim_end())),
            None => (name, value.trim_end().to_string()),
        })
}

fn patch() -> impl Strategy<Value = (Patch, Vec<Case>)> {
    (
        (name(), email()),
        (0i64..4_102_444_800, -720i32..=840),
        subject(),
        body(),
        prop::collection::vec(extra_header(), 0..2),
        cases(),
    )
        .prop_map(
            |((name, email), (seconds, offset_minutes), subject, body, extra_headers, cases)| {
                let files: Vec<FilePatch> = cases.iter().map(|c| c.file.clone()).collect();
                let message = if body.is_empty() {
                    format!("{subject}\n")
                } else {
                    format!("{subject}\n\n{body}\n")
                };
                let date = PatchDate {
                    seconds,
                    offset_minutes,
                };
                let mut patch =
                    Patch::from_message(Person { name, email }, date, &message, write_diff(&files));
                patch.extra_headers = extra_headers;
                (patch, cases)
            },
        )
}

/// Damage: bytes replaced, removed, inserted, or the tail cut off.
fn damaged(bytes: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = bytes.len().max(1);
    let damage = prop::collection::vec((0..len, 0u8..4, any::<u8>()), 1..6);
    (Just(bytes), damage).prop_map(|(mut bytes, damage)| {
        for (at, how, byte) in damage {
            if bytes.is_empty() {
                break;
            }
            let at = at % bytes.len();
            match how {
                0 => bytes[at] = byte,
                1 => {
                    bytes.remove(at);
                }
                2 => bytes.insert(at, b"\n:@-+ \\\"=?0"[usize::from(byte) % 11]),
                _ => bytes.truncate(at),
            }
        }
        bytes
    })
}

/// Everything the reader offers, on `bytes`: must not panic.
fn read_everything(bytes: &[u8]) {
    if let Ok(patch) = Patch::parse(bytes) {
        let again = Patch::parse(&patch.to_bytes()).expect("a written patch reads back");
        assert_eq!(again.to_bytes(), patch.to_bytes());
    }
    if let Ok(files) = parse_diff(bytes) {
        for file in files {
            let _ = apply_hunks(b"line 1\nline 2\n", &file.hunks);
            let _ = apply_hunks(bytes, &file.hunks);
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_written_diff_reads_back_and_writes_the_same_bytes(cases in cases()) {
        let files: Vec<FilePatch> = cases.iter().map(|c| c.file.clone()).collect();
        let written = write_diff(&files);
        let read = parse_diff(&written).map_err(|e| {
            TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&written)))
        })?;
        prop_assert_eq!(without_lines(&read), files);
        prop_assert_eq!(write_diff(&read), written.clone());
        // The recorded lines point at each file's and hunk's header.
        let lines: Vec<&[u8]> = written.split(|&b| b == b'\n').collect();
        for file in &read {
            prop_assert!(lines[file.line - 1].starts_with(b"diff --git "));
            for hunk in &file.hunks {
                prop_assert!(lines[hunk.line - 1].starts_with(b"@@ -"));
            }
        }
    }

    #[test]
    fn hunks_turn_the_preimage_into_the_postimage(cases in cases()) {
        let files: Vec<FilePatch> = cases.iter().map(|c| c.file.clone()).collect();
        let read = parse_diff(&write_diff(&files)).unwrap();
        for (case, file) in cases.iter().zip(&read) {
            let applied = apply_hunks(&case.pre.bytes(), &file.hunks)
                .map_err(|e| TestCaseError::fail(format!("{e}: {case:?}")))?;
            prop_assert_eq!(&applied.content, &case.post.bytes());
            prop_assert!(applied.offsets.is_empty(), "{:?}", applied.offsets);
        }
    }

    #[test]
    fn a_written_mail_reads_back_and_writes_the_same_bytes((patch, _) in patch()) {
        let written = patch.to_bytes();
        let read = Patch::parse(&written).map_err(|e| {
            TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&written)))
        })?;
        prop_assert_eq!(&read, &patch, "{}", String::from_utf8_lossy(&written));
        prop_assert_eq!(read.to_bytes(), written);
    }

    #[test]
    fn a_mail_applies_like_its_diff((patch, cases) in patch()) {
        let read = Patch::parse(&patch.to_bytes()).unwrap();
        for (case, file) in cases.iter().zip(parse_diff(&read.diff).unwrap()) {
            let applied = apply_hunks(&case.pre.bytes(), &file.hunks).unwrap();
            prop_assert_eq!(applied.content, case.post.bytes());
        }
    }

    #[test]
    fn any_bytes_read_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        read_everything(&bytes);
    }

    #[test]
    fn damaged_patches_read_without_panicking(
        bytes in patch().prop_flat_map(|(patch, _)| damaged(patch.to_bytes()))
    ) {
        read_everything(&bytes);
    }
}

// ---- commits: export, then a fresh apply, gives them back -----------------
//
// Real commits made by git (renames with and without edits, mode changes,
// CRLF and non-UTF-8 content, files without a final newline, empty files,
// binary files, submodules added, bumped, moved and removed; messages with
// trailers, non-ASCII and lines that look like `---`, `diff --git` or
// `Index:`) are exported; every patch file must
// equal `git format-patch -M` of its commit, a fresh `apply` must rebuild
// every commit (tree, author, date, message) and a second `export` must
// change no byte.

/// Generators that came with other branches' work (binary patches,
/// gitlinks, message framing), on since it is merged; `false` takes one
/// out of the default strategy.
/// Binary files (written as `GIT binary patch`, applied from it).
const BINARY_FILES: bool = true;
/// Submodules (gitlinks) added, bumped, moved and removed.
const GITLINKS: bool = true;
/// Message lines that look like `---`, `diff --git …` or `Index: …`.
const MESSAGE_FRAMING: bool = true;

/// Generated repositories per run: each costs four runs of the binary.
const REPO_CASES: u32 = 24;

/// A line of a text file: mostly from a small set (so edits leave context),
/// sometimes any bytes but LF and NUL (non-UTF-8, a CR at its end).
fn file_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => (0u8..24).prop_map(|n| format!("line {n}").into_bytes()),
        1 => Just(Vec::new()),
        1 => prop::collection::vec(
            any::<u8>().prop_filter("no LF or NUL", |b| *b != b'\n' && *b != 0),
            0..16
        ),
    ]
}

/// An edit of a file's line, with lines of `file_line` (no NUL: binary
/// content only comes from `content` with `BINARY_FILES`).
fn file_edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        8 => Just(Edit::Keep),
        1 => Just(Edit::Drop),
        1 => file_line().prop_map(Edit::Replace),
        1 => file_line().prop_map(Edit::InsertBefore),
    ]
}

/// File content: LF text with or without a final newline, CRLF text, or
/// empty; binary content only with `BINARY_FILES`.
fn content() -> BoxedStrategy<Vec<u8>> {
    let lines = || prop::collection::vec(file_line(), 1..30);
    let lf = (lines(), any::<bool>()).prop_map(|(lines, newline)| join(&lines, b"\n", newline));
    let crlf = lines().prop_map(|lines| join(&lines, b"\r\n", true));
    let binary = prop::collection::vec(any::<u8>(), 1..200).prop_map(|mut bytes| {
        bytes.insert(bytes.len() / 2, 0);
        bytes
    });
    if BINARY_FILES {
        prop_oneof![6 => lf, 2 => crlf, 1 => Just(Vec::new()), 2 => binary].boxed()
    } else {
        prop_oneof![6 => lf, 2 => crlf, 1 => Just(Vec::new())].boxed()
    }
}

fn join(lines: &[Vec<u8>], eol: &[u8], final_eol: bool) -> Vec<u8> {
    let mut out = lines.join(eol);
    if final_eol || lines.last().is_none_or(|l| l.is_empty()) {
        out.extend_from_slice(eol);
    }
    out
}

/// A file's path: directories and a name with an extension (so no file is
/// ever a directory's name); sometimes a blank or non-ASCII inside.
fn file_path() -> impl Strategy<Value = String> {
    let dir = prop_oneof![6 => "[a-z]{1,5}", 1 => "[a-z]{1,3} [a-z]{1,3}", 1 => "[a-z]{1,3}[éü日]"];
    let name = prop_oneof![
        6 => "[a-z_]{1,8}\\.(py|txt)",
        1 => "[a-z]{1,4} [a-z]{1,4}\\.txt",
        1 => "[a-zé]{1,4}[éü日本]\\.py",
    ];
    (prop::collection::vec(dir, 0..3), name).prop_map(|(mut parts, name)| {
        parts.push(name);
        parts.join("/")
    })
}

/// One change in a commit; `file` picks among the files present.
#[derive(Debug, Clone)]
enum Op {
    Modify {
        file: usize,
        edits: Vec<Edit>,
        append: Vec<Vec<u8>>,
    },
    Add {
        path: String,
        content: Vec<u8>,
    },
    Delete {
        file: usize,
    },
    Rename {
        file: usize,
        to: String,
        edits: Vec<Edit>,
    },
    Chmod {
        file: usize,
    },
    Gitlink {
        path: String,
        commit: String,
    },
    /// Move a submodule (`link` picks among them).
    MoveGitlink {
        link: usize,
        to: String,
    },
}

fn op() -> BoxedStrategy<Op> {
    let pick = 0usize..64;
    let edits = || prop::collection::vec(file_edit(), 0..30);
    let modify = (
        pick.clone(),
        edits(),
        prop::collection::vec(file_line(), 0..3),
    )
        .prop_map(|(file, edits, append)| Op::Modify {
            file,
            edits,
            append,
        });
    let add = (file_path(), content()).prop_map(|(path, content)| Op::Add { path, content });
    let delete = pick.clone().prop_map(|file| Op::Delete { file });
    // Few or many edits: renames on both sides of the 50 % threshold.
    let rename =
        (pick.clone(), file_path(), edits(), any::<bool>()).prop_map(|(file, to, edits, keep)| {
            Op::Rename {
                file,
                to,
                edits: if keep { Vec::new() } else { edits },
            }
        });
    let chmod = pick.clone().prop_map(|file| Op::Chmod { file });
    let gitlink = (file_path(), "[0-9a-f]{40}").prop_map(|(path, commit)| Op::Gitlink {
        path: path.replace('.', "_"),
        commit,
    });
    let move_gitlink = (pick.clone(), file_path()).prop_map(|(link, to)| Op::MoveGitlink {
        link,
        to: to.replace('.', "_"),
    });
    if GITLINKS {
        prop_oneof![
            4 => modify,
            2 => add,
            1 => delete,
            3 => rename,
            1 => chmod,
            1 => gitlink,
            1 => move_gitlink,
        ]
        .boxed()
    } else {
        prop_oneof![4 => modify, 2 => add, 1 => delete, 3 => rename, 1 => chmod].boxed()
    }
}

/// A message line that looks like the start of a patch or a signature.
fn framing_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("---".to_string()),
        Just("-- ".to_string()),
        "[a-z]{1,6}\\.py".prop_map(|p| format!("diff --git a/{p} b/{p}")),
        "[a-z]{1,6}\\.c".prop_map(|p| format!("Index: {p}")),
        Just("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001".to_string()),
    ]
}

/// A commit message as `git commit --cleanup=whitespace` keeps it.
fn commit_message() -> BoxedStrategy<String> {
    let plain = (subject(), body()).prop_map(|(subject, body)| {
        if body.is_empty() {
            subject
        } else {
            format!("{subject}\n\n{body}")
        }
    });
    if MESSAGE_FRAMING {
        (
            plain,
            prop::collection::vec(framing_line(), 0..3),
            any::<bool>(),
        )
            .prop_map(|(message, lines, mid)| {
                if lines.is_empty() {
                    return message;
                }
                let (subject, rest) = message.split_once("\n\n").unwrap_or((&message, ""));
                let framing = lines.join("\n");
                match (mid, rest.is_empty()) {
                    (true, false) => format!("{subject}\n\n{framing}\n{rest}"),
                    _ => format!("{subject}\n\n{rest}\n\n{framing}"),
                }
            })
            .boxed()
    } else {
        plain.boxed()
    }
}

/// An author's name; names with quotes, backslashes or `@` (which the mail
/// header must quote) only with `MESSAGE_FRAMING`.
fn author_name() -> BoxedStrategy<String> {
    if MESSAGE_FRAMING {
        name()
            .prop_filter("git drops < and >", |n| !n.contains(['<', '>']))
            .boxed()
    } else {
        prop_oneof![
            4 => "[A-Z][a-z]{1,8}( [A-Z][a-z]{1,10}){0,2}",
            1 => "[A-Z][a-z]{1,5}, [A-Z]\\. [A-Z][a-z]{1,8}",
            1 => "[ÅÉØŁ][a-zäöüøł]{1,8} [A-Z][äöüß]{1,6}",
        ]
        .boxed()
    }
}

#[derive(Debug, Clone)]
struct CommitPlan {
    ops: Vec<Op>,
    message: String,
    author: (String, String),
    /// Seconds since the epoch and the zone's offset in minutes.
    date: (i64, i32),
}

fn commit_plan() -> impl Strategy<Value = CommitPlan> {
    (
        prop::collection::vec(op(), 1..4),
        commit_message(),
        (author_name(), email()),
        (1_000_000_000i64..2_000_000_000, -12i32 * 4..14 * 4),
    )
        .prop_map(|(ops, message, author, (seconds, quarter))| CommitPlan {
            ops,
            message,
            author,
            date: (seconds, quarter * 15),
        })
}

/// Files of the pinned release, then the commits of the queue.
fn history() -> impl Strategy<Value = (Vec<(String, Vec<u8>)>, Vec<CommitPlan>)> {
    (
        prop::collection::vec((file_path(), content()), 1..5),
        prop::collection::vec(commit_plan(), 1..4),
    )
}

/// The tree as files: path -> (content, executable). Gitlinks are kept
/// aside, as git's index holds them.
#[derive(Default)]
struct Files {
    files: std::collections::BTreeMap<String, (Vec<u8>, bool)>,
    links: std::collections::BTreeMap<String, String>,
}

impl Files {
    fn nth(&self, n: usize) -> Option<String> {
        let len = self.files.len();
        (len > 0).then(|| self.files.keys().nth(n % len).unwrap().clone())
    }

    /// A path that neither is nor contains nor lies under a present path.
    fn free(&self, path: &str) -> bool {
        let clash = |other: &String| {
            other == path
                || other.starts_with(&format!("{path}/"))
                || path.starts_with(&format!("{other}/"))
        };
        !self.files.keys().any(clash) && !self.links.keys().any(clash)
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Modify {
                file,
                edits,
                append,
            } => {
                if let Some(path) = self.nth(*file) {
                    let entry = self.files.get_mut(&path).unwrap();
                    entry.0 = edited(&entry.0, edits, append);
                }
            }
            Op::Add { path, content } => {
                if self.free(path) {
                    self.files.insert(path.clone(), (content.clone(), false));
                }
            }
            Op::Delete { file } => {
                if let Some(path) = self.nth(*file) {
                    self.files.remove(&path);
                }
            }
            Op::Rename { file, to, edits } => {
                if let Some(path) = self.nth(*file) {
                    if self.free(to) {
                        let (content, exec) = self.files.remove(&path).unwrap();
                        self.files
                            .insert(to.clone(), (edited(&content, edits, &[]), exec));
                    }
                }
            }
            Op::Chmod { file } => {
                if let Some(path) = self.nth(*file) {
                    let entry = self.files.get_mut(&path).unwrap();
                    entry.1 = !entry.1;
                }
            }
            Op::Gitlink { path, commit } => {
                if self.free(path) {
                    self.links.insert(path.clone(), commit.clone());
                }
            }
            Op::MoveGitlink { link, to } => {
                let len = self.links.len();
                if len > 0 && self.free(to) {
                    let path = self.links.keys().nth(link % len).unwrap().clone();
                    let commit = self.links.remove(&path).unwrap();
                    self.links.insert(to.clone(), commit);
                }
            }
        }
    }

    /// Make the work tree and index of `dir` hold exactly these files.
    fn write(&self, dir: &Path) {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            if entry.file_name() != ".git" {
                let path = entry.path();
                if path.is_dir() {
                    std::fs::remove_dir_all(path).unwrap();
                } else {
                    std::fs::remove_file(path).unwrap();
                }
            }
        }
        for (path, (content, exec)) in &self.files {
            let file = dir.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, content).unwrap();
            let mode = if *exec { 0o755 } else { 0o644 };
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        common::git(dir, &["add", "-A"]);
        for (path, commit) in &self.links {
            common::git(
                dir,
                &[
                    "update-index",
                    "--add",
                    "--cacheinfo",
                    &format!("160000,{commit},{path}"),
                ],
            );
        }
    }
}

/// `content` with `edits` applied to its lines (CRLF lines stay CRLF) and
/// `append` added at the end.
fn edited(content: &[u8], edits: &[Edit], append: &[Vec<u8>]) -> Vec<u8> {
    let crlf = content.ends_with(b"\r\n");
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let final_eol = content.is_empty() || content.ends_with(b"\n");
    let body = content.strip_suffix(eol).unwrap_or(content);
    let mut lines: Vec<Vec<u8>> = if content.is_empty() {
        Vec::new()
    } else {
        body.split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").filter(|_| crlf).unwrap_or(l).to_vec())
            .collect()
    };
    let mut out = Vec::new();
    for (i, old) in lines.drain(..).enumerate() {
        match edits.get(i).unwrap_or(&Edit::Keep) {
            Edit::Keep => out.push(old),
            Edit::Drop => {}
            Edit::Replace(new) => out.push(new.clone()),
            Edit::InsertBefore(new) => out.extend([new.clone(), old]),
        }
    }
    out.extend(append.iter().cloned());
    if out.is_empty() {
        return Vec::new();
    }
    join(&out, eol, final_eol)
}

/// A git repository with the release (tag `v1`) and the queue's commits
/// on branch `work`; the commits' ids, oldest first.
fn make_upstream(dir: &Path, base: &[(String, Vec<u8>)], plans: &[CommitPlan]) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    common::git(dir, &["init", "-q", "-b", "main"]);
    let mut files = Files::default();
    for (path, content) in base {
        files.apply(&Op::Add {
            path: path.clone(),
            content: content.clone(),
        });
    }
    files.write(dir);
    common::git(dir, &["commit", "-q", "--allow-empty", "-m", "Release"]);
    common::git(dir, &["tag", "v1"]);
    common::git(dir, &["checkout", "-q", "-b", "work"]);
    let mut ids = Vec::new();
    for (n, plan) in plans.iter().enumerate() {
        for op in &plan.ops {
            files.apply(op);
        }
        files.write(dir);
        let unchanged = common::git_command(dir, &["diff", "--cached", "--quiet"])
            .status()
            .unwrap()
            .success();
        if unchanged {
            // A commit must change something: add a file of its own.
            files.apply(&Op::Add {
                path: format!("commit{n}.txt"),
                content: b"new\n".to_vec(),
            });
            files.write(dir);
        }
        let message = dir.join("../message");
        std::fs::write(&message, &plan.message).unwrap();
        let (seconds, offset) = plan.date;
        let zone = format!(
            "{}{:02}{:02}",
            if offset < 0 { '-' } else { '+' },
            offset.abs() / 60,
            offset.abs() % 60
        );
        common::git(
            dir,
            &[
                "commit",
                "-q",
                "--cleanup=whitespace",
                "-F",
                message.to_str().unwrap(),
                &format!("--author={} <{}>", plan.author.0, plan.author.1),
                &format!("--date={seconds} {zone}"),
            ],
        );
        ids.push(common::git(dir, &["rev-parse", "HEAD"]));
    }
    ids
}

/// Run the binary in `repo`; its exit code and output.
fn verda(root: &Path, args: &[&str]) -> (bool, String) {
    let output = assert_cmd::Command::cargo_bin("verda-patch")
        .unwrap()
        .current_dir(root.join("repo"))
        .args(args)
        .env("VERDA_PATCH_CACHE", root.join("cache"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Every file under `dir` with its bytes.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

/// What must survive the round trip: tree, author, date and message.
fn commit_facts(git: &Git, id: Oid) -> (Oid, Identity, String) {
    let info = git.commit_info(id).unwrap();
    let message = verda_patch::patch::without_trailer(&info.message, "Verda-Patch");
    (info.tree, info.author, message)
}

/// The whole round trip for one generated history: the exported patch
/// files, or what broke.
fn round_trip(base: &[(String, Vec<u8>)], plans: &[CommitPlan]) -> Result<Vec<Vec<u8>>, String> {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let up = root.join("up");
    let ids = make_upstream(&up, base, plans);
    let repo = root.join("repo");
    std::fs::create_dir_all(repo.join("patches/demo")).unwrap();
    std::fs::write(
        repo.join("verda-patch.toml"),
        format!(
            "[projects.demo]\ngit = \"{}\"\npin = \"v1\"\n",
            up.display()
        ),
    )
    .unwrap();
    std::fs::write(repo.join("patches/demo/series"), "").unwrap();
    let (ok, out) = verda(root, &["apply"]);
    if !ok {
        return Err(format!("apply of the empty queue: {out}"));
    }
    let custom = repo.join("custom-source/demo");
    common::git(&custom, &["fetch", "-q", up.to_str().unwrap(), "work"]);
    common::git(&custom, &["reset", "-q", "--hard", "FETCH_HEAD"]);
    let (ok, out) = verda(root, &["export", "--category", "feature"]);
    if !ok {
        return Err(format!("export: {out}"));
    }

    // Each patch file is what git writes for its commit.
    let series = std::fs::read_to_string(repo.join("patches/demo/series")).unwrap();
    let paths: Vec<&str> = series.lines().collect();
    if paths.len() != ids.len() {
        return Err(format!("{} commits exported as {series:?}", ids.len()));
    }
    for (id, path) in ids.iter().zip(&paths) {
        let exported = std::fs::read(repo.join("patches/demo").join(path)).unwrap();
        let diff = common::git_command(
            &up,
            &[
                "diff-tree",
                "-p",
                "-M",
                "--binary",
                "--full-index",
                "--no-color",
                &format!("{id}^"),
                id,
            ],
        )
        .output()
        .unwrap()
        .stdout;
        if !exported.ends_with(&diff) {
            return Err(format!(
                "{path}: the diff is not git's\n--- git diff-tree -M:\n{}\n--- exported:\n{}",
                String::from_utf8_lossy(&diff),
                String::from_utf8_lossy(&exported)
            ));
        }
        let framing = plans.iter().any(|p| {
            p.message.lines().any(|l| {
                l.starts_with("---")
                    || l.starts_with("diff --git")
                    || l.starts_with("Index:")
                    || l.starts_with("From ")
                    || l == "-- "
            })
        });
        if !framing {
            let git_patch = common::git_command(
                &up,
                &[
                    "format-patch",
                    "-1",
                    "--stdout",
                    "--zero-commit",
                    "--no-signature",
                    "--no-stat",
                    "--full-index",
                    "-M",
                    id,
                ],
            )
            .output()
            .unwrap()
            .stdout;
            if exported != git_patch {
                return Err(format!(
                    "{path} differs from git format-patch -M\n--- git:\n{}\n--- exported:\n{}",
                    String::from_utf8_lossy(&git_patch),
                    String::from_utf8_lossy(&exported)
                ));
            }
        }
    }

    // A fresh apply rebuilds every commit; a second export changes no byte.
    let written = files_under(&repo.join("patches"));
    let exported = paths
        .iter()
        .map(|path| std::fs::read(repo.join("patches/demo").join(path)).unwrap())
        .collect();
    std::fs::remove_dir_all(repo.join("custom-source")).unwrap();
    std::fs::remove_dir_all(repo.join(".verda")).unwrap();
    let (ok, out) = verda(root, &["apply"]);
    if !ok {
        return Err(format!("fresh apply: {out}"));
    }
    let upstream = Git::open(&up).unwrap();
    let applied = Git::open(&custom).unwrap();
    let pin = Oid::from_str(&common::git(&up, &["rev-parse", "v1^{commit}"])).unwrap();
    let head = applied.head_commit().unwrap();
    let rebuilt = applied
        .linear_commits(pin, head)
        .map_err(|e| e.to_string())?;
    if rebuilt.len() != ids.len() {
        return Err(format!(
            "{} commits re-applied, {} made",
            rebuilt.len(),
            ids.len()
        ));
    }
    for ((id, commit), path) in ids.iter().zip(&rebuilt).zip(&paths) {
        let want = commit_facts(&upstream, Oid::from_str(id).unwrap());
        let got = commit_facts(&applied, commit.id);
        if want != got {
            return Err(format!(
                "{path}: re-applied commit differs\nwant {want:?}\ngot  {got:?}"
            ));
        }
    }
    let (ok, out) = verda(root, &["export"]);
    if !ok {
        return Err(format!("second export: {out}"));
    }
    if files_under(&repo.join("patches")) != written {
        return Err("the second export changed patch files".into());
    }
    Ok(exported)
}

/// Many files alike (lines from one small set), then one commit of many
/// renames, deletions and additions: git's pairing order (exact, base
/// names, best scores first, ties to the same base name) decides.
fn crowded_history() -> impl Strategy<Value = (Vec<(String, Vec<u8>)>, Vec<CommitPlan>)> {
    let alike = || {
        prop::collection::vec(
            (0u8..12).prop_map(|n| format!("line {n}").into_bytes()),
            4..16,
        )
        .prop_map(|lines| join(&lines, b"\n", true))
    };
    let churn = prop_oneof![
        3 => (0usize..64, file_path(), prop::collection::vec(file_edit(), 0..12))
            .prop_map(|(file, to, edits)| Op::Rename { file, to, edits }),
        1 => (0usize..64).prop_map(|file| Op::Delete { file }),
        1 => (file_path(), alike()).prop_map(|(path, content)| Op::Add { path, content }),
    ];
    (
        prop::collection::vec((file_path(), alike()), 8..16),
        prop::collection::vec(churn, 6..14),
        commit_message(),
    )
        .prop_map(|(base, ops, message)| {
            let plan = CommitPlan {
                ops,
                message,
                author: ("Ada Example".into(), "ada@example.org".into()),
                date: (1_700_000_000, 0),
            };
            (base, vec![plan])
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 8,
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    })]

    #[test]
    fn many_alike_files_pair_as_git_pairs_them((base, plans) in crowded_history()) {
        round_trip(&base, &plans).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: REPO_CASES,
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    })]

    #[test]
    fn export_then_apply_gives_back_every_commit((base, plans) in history()) {
        round_trip(&base, &plans).map_err(TestCaseError::fail)?;
    }
}

/// Pairings where git's order of steps decides: two identical sources (the
/// one with the same base name wins over the first), a unique base name at
/// 79 %, a moved file at just over 50 % and another just under (a delete and
/// an add), a rename with a mode change, an empty file renamed, names with
/// blanks. Each patch must equal `git format-patch -M` and round-trip.
#[test]
fn renames_pair_as_git_pairs_them() {
    let numbered = |prefix: &str, n: usize| -> Vec<u8> {
        (1..=n)
            .map(|i| format!("{prefix} {i}\n"))
            .collect::<String>()
            .into_bytes()
    };
    let half = |keep: usize, of: usize| -> Vec<Edit> {
        (0..of)
            .map(|i| {
                if i < keep {
                    Edit::Keep
                } else {
                    Edit::Replace(format!("new {i}").into_bytes())
                }
            })
            .collect()
    };
    let base = vec![
        ("a/copy.txt".to_string(), numbered("same", 5)),
        ("b/other.txt".to_string(), numbered("same", 5)),
        ("conf/settings.py".to_string(), numbered("setting", 10)),
        ("old/near.py".to_string(), numbered("near", 20)),
        ("old/under.py".to_string(), numbered("under", 20)),
        ("tool.py".to_string(), numbered("tool", 6)),
        ("empty.txt".to_string(), Vec::new()),
        ("docs/read me.txt".to_string(), numbered("doc", 4)),
    ];
    let rename = |file: usize, to: &str, edits: Vec<Edit>| Op::Rename {
        file,
        to: to.to_string(),
        edits,
    };
    // Files are picked by their index in path order at the time of the op.
    let plans = vec![
        CommitPlan {
            ops: vec![rename(1, "c/other.txt", Vec::new()), Op::Delete { file: 0 }],
            message: "Move identical files".into(),
            author: ("Ada Example".into(), "ada@example.org".into()),
            date: (1_700_000_000, 60),
        },
        CommitPlan {
            ops: vec![
                rename(1, "etc/settings.py", half(8, 10)),
                rename(4, "new/near2.py", half(11, 20)),
                rename(5, "new/under2.py", half(9, 20)),
            ],
            message: "Move and edit\n\nChange-Id: I0123456789abcdef0123456789abcdef01234567".into(),
            author: ("Zoë Ünal".into(), "zoe@example.org".into()),
            date: (1_700_000_100, -300),
        },
    ];
    let plans = [
        plans,
        vec![CommitPlan {
            ops: vec![
                rename(1, "docs/lisez moi.txt", half(3, 4)),
                rename(2, "vide.txt", Vec::new()),
                rename(5, "bin/tool.py", Vec::new()),
                Op::Chmod { file: 0 },
            ],
            message: "Rename with blanks, an empty file and a mode".into(),
            author: ("Ada Example".into(), "ada@example.org".into()),
            date: (1_700_000_200, 0),
        }],
    ]
    .concat();
    let patches = round_trip(&base, &plans).unwrap();
    let renames: Vec<String> = patches
        .iter()
        .flat_map(|p| {
            String::from_utf8_lossy(p)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|l| {
            [
                "similarity",
                "rename ",
                "old mode",
                "new mode",
                "deleted file",
                "new file",
            ]
            .iter()
            .any(|k| l.starts_with(k))
        })
        .collect();
    let want = [
        "deleted file mode 100644",
        "similarity index 100%",
        "rename from b/other.txt",
        "rename to c/other.txt",
        "similarity index 79%",
        "rename from conf/settings.py",
        "rename to etc/settings.py",
        "similarity index 52%",
        "rename from old/near.py",
        "rename to new/near2.py",
        "new file mode 100644",
        "deleted file mode 100644",
        "old mode 100644",
        "new mode 100755",
        "similarity index 100%",
        "rename from tool.py",
        "rename to bin/tool.py",
        "similarity index 75%",
        "rename from docs/read me.txt",
        "rename to docs/lisez moi.txt",
        "similarity index 100%",
        "rename from empty.txt",
        "rename to vide.txt",
    ];
    assert_eq!(renames, want);
}

/// An edit whose hunk could sit at two places: git's indent heuristic
/// (on by default) decides, and the exported patch must put it where git
/// does (libgit2 without the heuristic put it one line lower).
#[test]
fn an_ambiguous_hunk_sits_where_git_puts_it() {
    let old = [
        "line 12", "line 13", "", "line 8", "line 10", "line 19", "line 10", "line 21", "line 8",
        "", "line 21", "line 19", "line 12", "line 18",
    ];
    let content: String = old.iter().map(|l| format!("{l}\n")).collect();
    let base = vec![("module.py".to_string(), content.into_bytes())];
    let dropped = [3, 7, 8, 9];
    let plans = vec![CommitPlan {
        ops: vec![Op::Modify {
            file: 0,
            edits: (0..old.len())
                .map(|i| {
                    if dropped.contains(&i) {
                        Edit::Drop
                    } else {
                        Edit::Keep
                    }
                })
                .collect(),
            append: Vec::new(),
        }],
        message: "Trim the module".into(),
        author: ("Ada Example".into(), "ada@example.org".into()),
        date: (1_700_000_000, 0),
    }];
    let patches = round_trip(&base, &plans).unwrap();
    let patch = String::from_utf8_lossy(&patches[0]).into_owned();
    assert!(patch.contains("@@ -1,13 +1,9 @@\n"), "{patch}");
}

/// A binary file whose mode alone changes: git writes the mode lines and
/// nothing else (libgit2 added `Binary files … differ`).
#[test]
fn a_binary_file_whose_mode_changes_has_only_mode_lines() {
    let base = vec![(
        "tool.bin".to_string(),
        b"\x7fELF\0\x01\x02binary\n".to_vec(),
    )];
    let plans = vec![CommitPlan {
        ops: vec![Op::Chmod { file: 0 }],
        message: "Make the tool executable".into(),
        author: ("Ada Example".into(), "ada@example.org".into()),
        date: (1_700_000_000, 0),
    }];
    let patches = round_trip(&base, &plans).unwrap();
    let patch = String::from_utf8_lossy(&patches[0]).into_owned();
    assert!(
        patch.ends_with("diff --git a/tool.bin b/tool.bin\nold mode 100644\nnew mode 100755\n"),
        "{patch}"
    );
}

/// A submodule moved is a rename, as git finds it (an identical gitlink;
/// their content is never compared), and applies back.
#[test]
fn a_moved_submodule_is_a_rename_as_in_git() {
    let base = vec![("README.txt".to_string(), b"readme\n".to_vec())];
    let commit = |ops: Vec<Op>, message: &str| CommitPlan {
        ops,
        message: message.into(),
        author: ("Ada Example".into(), "ada@example.org".into()),
        date: (1_700_000_000, 0),
    };
    let plans = vec![
        commit(
            vec![Op::Gitlink {
                path: "vendor/lib".into(),
                commit: "1111111111111111111111111111111111111111".into(),
            }],
            "Add the library",
        ),
        commit(
            vec![Op::MoveGitlink {
                link: 0,
                to: "third_party/lib".into(),
            }],
            "Move the library",
        ),
    ];
    let patches = round_trip(&base, &plans).unwrap();
    let patch = String::from_utf8_lossy(&patches[1]).into_owned();
    assert!(
        patch.ends_with(
            "diff --git a/vendor/lib b/third_party/lib\nsimilarity index 100%\n\
             rename from vendor/lib\nrename to third_party/lib\n"
        ),
        "{patch}"
    );
}
