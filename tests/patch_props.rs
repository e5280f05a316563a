//! Properties of the patch reader and writer (`verda_patch::patch`), on
//! generated well-formed patches: mails with ASCII and non-ASCII subjects,
//! bodies, trailers and extra headers; diffs with several files, hunks of
//! context, additions and removals, missing newlines at the end, new and
//! deleted files, mode changes, renames and quoted names.
//!
//! * reading what was written gives back the patch, and writing it again
//!   gives the same bytes;
//! * the hunks of a generated diff turn its preimage into its postimage;
//! * no input, however broken, makes the reader panic.
//!
//! Cases per property: 64, or `PROPTEST_CASES`.

use proptest::prelude::*;
use similar::{Algorithm, DiffTag, capture_diff_slices, group_diff_ops};
use verda_patch::patch::{
    FileChange, FilePatch, Hunk, Line, LineKind, Patch, PatchDate, Person, apply_hunks, parse_diff,
};

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
