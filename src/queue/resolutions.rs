//! Recorded resolutions, one conflict hunk each (git's rerere idea): when a
//! replay stops on a conflict and the user resolves it, `--continue` records
//! each hunk's resolution in the patch repo (`patches/<p>/.resolutions/`),
//! so the next replay of the same conflict — by a colleague, by CI, onto
//! another release in which other parts of the file moved — takes it
//! without a stop.
//!
//! * **Key** of a hunk: its two sides, ours (the new base: upstream and the
//!   patches before) and theirs (the patch), each *normalised*: trailing
//!   whitespace (CR included) removed from each line, and every run of
//!   spaces, tabs, VT or FF after a line's indentation made one space — like
//!   `git diff --ignore-space-change`, except that the indentation itself
//!   counts (in Python it is meaning: a re-indented side is another side);
//!   lines stay lines (a side with an extra blank line is another side).
//!   The two sides are sorted so the key does not depend on which is which
//!   (as rerere's); then SHA-256, the first 20 bytes in hex. The base
//!   section is not part of it.
//! * **Record**: `<key>.txt`, a small text file a reviewer reads: the file,
//!   patch and pins it came from, when it was last used, the two sides and
//!   the resolution (each content line indented by one space; `\ No newline
//!   at end of file` after a last line without one). Only the hunk, never
//!   the whole file.
//! * **Replay** ([`settle`]): every hunk of a conflicted file whose key has a
//!   record is replaced by its resolution (the lines of the record, as
//!   recorded: whitespace the record's sides differ in is not carried over);
//!   a file with every hunk recorded is settled, one with some left stops
//!   with only those marked.
//! * **Prune** ([`after_rebase`]): at the end of a rebase, records it did
//!   not use and last used on a pin older than the new one (an ancestor of
//!   it) are removed.
//! * **Whole-file records** of earlier versions (`<40 hex>`, no extension,
//!   keyed by the path and the three blobs) still settle their very
//!   conflict; a rebase that used one converts it into hunk records.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::manifest::Workspace;
use crate::repo::conflict::{self, ConflictHunk, ConflictedFile};
use crate::repo::{Conflict, Git, Oid};

/// The directory of the records, in `patches/<project>/`.
pub const DIR: &str = ".resolutions";

/// The labels hunks are cut with where no user sees the markers.
const LABELS: [&str; 3] = ["base", "ours", "theirs"];

/// One recorded resolution a replay used or wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Used {
    /// The item it was used for (the patch path, in a rebase).
    pub item: String,
    /// The record's file name in `.resolutions/`.
    pub record: String,
    pub how: How,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum How {
    /// A hunk record settled its hunk.
    Replayed,
    /// `--continue` recorded the user's resolution of a hunk.
    Recorded,
    /// A whole-file record settled this conflict.
    WholeFile(Conflict),
}

/// What recorded resolutions did in a replay so far.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Usage {
    pub used: Vec<Used>,
    /// Of the item it stopped on: the hunks resolved from records (the
    /// work tree has them resolved; the rest is marked).
    pub resolved_hunks: usize,
}

impl Usage {
    /// Forget what the current item `item` used (it was skipped).
    pub fn drop_item(&mut self, item: &str) {
        self.used.retain(|u| u.item != item);
        self.resolved_hunks = 0;
    }
}

/// One record in a report: the patch and the record's file name (in
/// `patches/<project>/.resolutions/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordOf {
    pub patch: String,
    pub record: String,
}

/// What recorded resolutions did in a rebase, for its report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    /// The records that resolved hunks (or, whole-file, files), per patch.
    pub used: Vec<RecordOf>,
    /// The records `--continue` wrote from the user's resolutions.
    pub recorded: Vec<RecordOf>,
    /// The records removed when the rebase finished: not used by it and
    /// last used on an older pin.
    pub pruned: Vec<String>,
    /// Where it stopped: the hunks already resolved from records (the
    /// rest is marked in the work tree).
    pub resolved_hunks: usize,
}

impl Usage {
    /// The report of this usage, each record once per patch and list.
    pub fn report(&self) -> Report {
        let mut report = Report {
            resolved_hunks: self.resolved_hunks,
            ..Report::default()
        };
        for used in &self.used {
            let entry = RecordOf {
                patch: used.item.clone(),
                record: used.record.clone(),
            };
            let list = match used.how {
                How::Recorded => &mut report.recorded,
                How::Replayed | How::WholeFile(_) => &mut report.used,
            };
            if !list.contains(&entry) {
                list.push(entry);
            }
        }
        report
    }
}

/// Where a record comes from: the item and the releases replayed between.
#[derive(Debug, Clone)]
pub struct Origin {
    pub item: String,
    pub from: String,
    pub to: String,
    /// The commit `to` names.
    pub to_commit: Oid,
}

/// The key of a hunk (see the module docs).
pub fn key(hunk: &ConflictHunk) -> String {
    let mut sides = [normalise(&hunk.ours.lines), normalise(&hunk.theirs.lines)];
    sides.sort();
    let mut hasher = Sha256::new();
    hasher.update(b"verda-patch resolution 1\0");
    for side in &sides {
        hasher.update(side);
        hasher.update([0]);
    }
    crate::hex(&hasher.finalize()[..20])
}

/// Each line with its trailing whitespace removed and every run of
/// whitespace after its indentation made one space, one `\n` after each.
fn normalise(lines: &[Vec<u8>]) -> Vec<u8> {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let mut out = Vec::new();
    for line in lines {
        let end = line.iter().rposition(|b| !blank(b)).map_or(0, |i| i + 1);
        let line = &line[..end];
        let indent = line.iter().position(|b| !blank(b)).unwrap_or(line.len());
        out.extend_from_slice(&line[..indent]);
        let mut in_run = false;
        for &b in &line[indent..] {
            if blank(&b) {
                in_run = true;
                continue;
            }
            if in_run {
                out.push(b' ');
                in_run = false;
            }
            out.push(b);
        }
        out.push(b'\n');
    }
    out
}

// ---- the record file ---------------------------------------------------

/// A hunk record, as its file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HunkRecord {
    /// The file the conflict was in.
    pub file: String,
    /// The item (patch) it was recorded for.
    pub patch: String,
    /// "FROM -> TO": the replay it was recorded in.
    pub recorded: String,
    /// The release it was last used on, and its commit.
    pub last_used: (String, String),
    pub ours: Vec<Vec<u8>>,
    pub theirs: Vec<Vec<u8>>,
    pub resolution: Vec<Vec<u8>>,
}

const HEADER: &str = "# A recorded resolution of one conflict hunk: `verda-patch rebase` replays it\n\
                      # wherever the same two sides conflict again (spacing aside).\n";
const NO_NEWLINE: &[u8] = b"\\ No newline at end of file\n";

fn one_line(value: &str) -> String {
    value.replace(['\n', '\r'], " ")
}

impl HunkRecord {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = HEADER.as_bytes().to_vec();
        let (release, commit) = &self.last_used;
        out.extend(
            format!(
                "file: {}\npatch: {}\nrecorded: {}\nlast-used: {} {}\n",
                one_line(&self.file),
                one_line(&self.patch),
                one_line(&self.recorded),
                one_line(release),
                commit
            )
            .bytes(),
        );
        for (name, lines) in [
            ("ours (upstream)", &self.ours),
            ("theirs (the patch)", &self.theirs),
            ("resolution", &self.resolution),
        ] {
            let plural = if lines.len() == 1 { "" } else { "s" };
            out.extend(format!("{name}: {} line{plural}\n", lines.len()).bytes());
            for line in lines {
                out.push(b' ');
                out.extend_from_slice(line);
                if !line.ends_with(b"\n") {
                    out.push(b'\n');
                    out.extend_from_slice(NO_NEWLINE);
                }
            }
        }
        out
    }

    /// Read a record; the error says what is wrong (1-based line).
    pub fn parse(bytes: &[u8]) -> std::result::Result<HunkRecord, (usize, String)> {
        let lines = conflict::lines(bytes);
        let mut at = 0;
        let mut fields: HashMap<String, String> = HashMap::new();
        while let Some(line) = lines.get(at) {
            let text = String::from_utf8_lossy(line);
            let text = text.trim_end_matches(['\n', '\r']);
            if text.starts_with("ours") {
                break;
            }
            at += 1;
            if text.starts_with('#') || text.is_empty() {
                continue;
            }
            let Some((name, value)) = text.split_once(": ") else {
                return Err((at, format!("`{text}` is not a `name: value` line")));
            };
            fields.insert(name.to_string(), value.to_string());
        }
        let mut section = |name: &str| -> std::result::Result<Vec<Vec<u8>>, (usize, String)> {
            let head = lines
                .get(at)
                .map(|l| String::from_utf8_lossy(l).trim_end().to_string())
                .unwrap_or_default();
            at += 1;
            let count = head
                .strip_prefix(name)
                .and_then(|rest| rest.split(": ").nth(1))
                .and_then(|n| n.split(' ').next())
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or((at, format!("expected `{name}…: N lines`, found `{head}`")))?;
            let mut out: Vec<Vec<u8>> = Vec::with_capacity(count);
            for _ in 0..count {
                let Some(line) = lines.get(at).and_then(|l| l.strip_prefix(b" ")) else {
                    return Err((
                        at + 1,
                        format!("{name}: {count} lines announced, fewer found"),
                    ));
                };
                at += 1;
                let mut line = line.to_vec();
                if lines.get(at).map(Vec::as_slice) == Some(NO_NEWLINE) {
                    at += 1;
                    line.pop();
                }
                out.push(line);
            }
            Ok(out)
        };
        let ours = section("ours")?;
        let theirs = section("theirs")?;
        let resolution = section("resolution")?;
        if at < lines.len() {
            return Err((at + 1, "text after the resolution".into()));
        }
        let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
        let last_used = field("last-used");
        let (release, commit) = last_used.rsplit_once(' ').unwrap_or((&last_used, ""));
        Ok(HunkRecord {
            file: field("file"),
            patch: field("patch"),
            recorded: field("recorded"),
            last_used: (release.to_string(), commit.to_string()),
            ours,
            theirs,
            resolution,
        })
    }
}

// ---- the store ----------------------------------------------------------

/// The records of one project.
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn open(ws: &Workspace, project: &str) -> Store {
        Store {
            dir: ws.patches_dir(project).join(DIR),
        }
    }

    /// Whether there is no record at all (nothing to cut conflicts for).
    pub fn is_empty(&self) -> bool {
        std::fs::read_dir(&self.dir).map_or(true, |mut d| d.next().is_none())
    }

    fn hunk_file(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.txt"))
    }

    /// The record of `key`, if any; a record that does not read is an
    /// error naming it.
    pub fn hunk(&self, key: &str) -> Result<Option<HunkRecord>> {
        let file = self.hunk_file(key);
        let Ok(bytes) = std::fs::read(&file) else {
            return Ok(None);
        };
        HunkRecord::parse(&bytes).map(Some).map_err(|(line, why)| {
            Error::invalid(
                &file,
                Some(line),
                format!(
                    "not a recorded resolution: {why}; fix or delete it, then run the \
                     command again (its `--continue` if it stopped in the middle)"
                ),
            )
        })
    }

    /// The whole-file record of an earlier version for `conflict`: its
    /// file name and the resolved file.
    fn whole_file(&self, conflict: &Conflict) -> Option<(String, Vec<u8>)> {
        let mut hasher = Sha256::new();
        for part in [
            Some(&conflict.path),
            conflict.base.as_ref(),
            conflict.ours.as_ref(),
            conflict.theirs.as_ref(),
        ] {
            hasher.update(part.map(String::as_str).unwrap_or("-").as_bytes());
            hasher.update([0]);
        }
        let name = crate::hex(&hasher.finalize()[..20]);
        let bytes = std::fs::read(self.dir.join(&name)).ok()?;
        Some((name, bytes))
    }

    fn write(&self, key: &str, record: &HunkRecord) -> Result<()> {
        fsutil::write_if_changed(&self.hunk_file(key), &record.to_bytes()).map(drop)
    }
}

// ---- replay -------------------------------------------------------------

/// What the records do for one conflicted file.
pub enum Settled {
    /// Every hunk has a record (or a whole-file record matched): the file.
    Whole { bytes: Vec<u8>, used: Vec<Used> },
    /// Some hunks (how many, the records): the replay stops, and
    /// [`into_worktree`] puts them in the work tree.
    Partly { hunks: usize, used: Vec<Used> },
    /// No record applies.
    Not,
}

/// Substitute the recorded hunks of `file`, noting the records in `used`:
/// the text and how many hunks are left marked.
fn substitute(
    store: &Store,
    file: &ConflictedFile,
    labels: [&str; 3],
    used: &mut Vec<Used>,
) -> Result<(Vec<u8>, usize)> {
    let mut resolutions = Vec::new();
    for hunk in file.hunks() {
        let key = key(hunk);
        let record = store.hunk(&key)?;
        if record.is_some() {
            used.push(Used {
                item: String::new(),
                record: format!("{key}.txt"),
                how: How::Replayed,
            });
        }
        resolutions.push(record.map(|r| r.resolution));
    }
    let mut next = resolutions.into_iter();
    let (bytes, left) = file.render(labels, |_| next.next().flatten());
    Ok((bytes, left))
}

/// The records for `conflict` (a file of a tree merge). The records'
/// [`Used::item`] is left for the caller to fill in.
pub fn settle(git: &Git, store: &Store, conflict: &Conflict) -> Result<Settled> {
    let mut used = Vec::new();
    // A conflict without hunks (binary files, modes) is no text conflict.
    let file = git.conflicted_file(conflict, LABELS)?;
    if let Some(file) = file.filter(|f| f.hunks().next().is_some()) {
        let (bytes, left) = substitute(store, &file, LABELS, &mut used)?;
        let hunks = file.hunks().count() - left;
        if left == 0 {
            return Ok(Settled::Whole { bytes, used });
        }
        if hunks > 0 {
            return Ok(Settled::Partly { hunks, used });
        }
    }
    Ok(match store.whole_file(conflict) {
        Some((name, bytes)) => Settled::Whole {
            bytes,
            used: vec![Used {
                item: String::new(),
                record: name,
                how: How::WholeFile(conflict.clone()),
            }],
        },
        None => Settled::Not,
    })
}

/// After a stop, the work tree holds the item with diff3 markers: put the
/// recorded hunks in, and stage each file the records settle. Returns how
/// many hunks it resolved.
pub fn into_worktree(git: &Git, store: &Store) -> Result<usize> {
    let mut resolved = 0;
    if store.is_empty() {
        return Ok(0);
    }
    let Some(dir) = git.workdir().map(PathBuf::from) else {
        return Ok(0);
    };
    for conflict in git.index_conflict_sides()? {
        let Ok(text) = std::fs::read(dir.join(&conflict.path)) else {
            continue;
        };
        let mut used = Vec::new();
        if let Some(file) = ConflictedFile::parse(&text, conflict::MARKER_SIZE) {
            let labels = conflict::labels(&text);
            let labels = [labels[0].as_str(), labels[1].as_str(), labels[2].as_str()];
            let (bytes, left) = substitute(store, &file, labels, &mut used)?;
            let hunks = file.hunks().count() - left;
            if hunks > 0 {
                git.write_worktree_file(&conflict.path, &bytes, left == 0)?;
                resolved += hunks;
                continue;
            }
        }
        if let Some((_, bytes)) = store.whole_file(&conflict) {
            git.write_worktree_file(&conflict.path, &bytes, true)?;
        }
    }
    Ok(resolved)
}

// ---- recording ----------------------------------------------------------

/// Record the hunks of `conflicts` as resolved in `tree` (the user's
/// resolution); returns the records written (a hunk resolved as its
/// record has it is left alone). A hunk whose resolution the
/// alignment cannot tell (see [`ConflictedFile::resolutions`]) or that
/// still holds markers is not recorded; neither is a file that does not
/// cut into hunks (binary) or that the resolution deleted. Two hunks of
/// one key resolved differently are both left out.
pub fn record(
    git: &Git,
    store: &Store,
    conflicts: &[Conflict],
    tree: Oid,
    origin: &Origin,
) -> Result<Vec<Used>> {
    let mut found: Vec<(String, HunkRecord)> = Vec::new();
    for conflict in conflicts {
        let Some(resolved) = git.file_at(tree, &conflict.path)? else {
            continue;
        };
        let resolved = git.read_blob(resolved.id)?;
        found.extend(hunk_records(git, conflict, &resolved, origin)?);
    }
    let mut ambiguous = HashSet::new();
    for (i, (key, record)) in found.iter().enumerate() {
        if found[..i]
            .iter()
            .any(|(k, r)| k == key && r.resolution != record.resolution)
        {
            ambiguous.insert(key.clone());
        }
    }
    let mut written = Vec::new();
    for (key, record) in found {
        let name = format!("{key}.txt");
        if ambiguous.contains(&key) || written.iter().any(|u: &Used| u.record == name) {
            continue;
        }
        // A record the user kept as it was replayed stays as it is.
        let kept = store.hunk(&key).ok().flatten();
        if kept.is_some_and(|k| k.resolution == record.resolution) {
            continue;
        }
        store.write(&key, &record)?;
        written.push(Used {
            item: origin.item.clone(),
            record: name,
            how: How::Recorded,
        });
    }
    Ok(written)
}

/// The hunk records of one conflict resolved as `resolved`.
fn hunk_records(
    git: &Git,
    conflict: &Conflict,
    resolved: &[u8],
    origin: &Origin,
) -> Result<Vec<(String, HunkRecord)>> {
    let Some(file) = git.conflicted_file(conflict, LABELS)? else {
        return Ok(Vec::new());
    };
    Ok(file
        .hunks()
        .zip(file.resolutions(resolved))
        .filter_map(|(hunk, resolution)| {
            let resolution = resolution.filter(|r| !conflict::has_markers(r))?;
            Some((
                key(hunk),
                HunkRecord {
                    file: conflict.path.clone(),
                    patch: origin.item.clone(),
                    recorded: format!("{} -> {}", origin.from, origin.to),
                    last_used: (origin.to.clone(), origin.to_commit.to_string()),
                    ours: hunk.ours.lines.clone(),
                    theirs: hunk.theirs.lines.clone(),
                    resolution,
                },
            ))
        })
        .collect())
}

// ---- the end of a rebase ------------------------------------------------

/// A rebase to `origin.to` finished having used `used`: the hunk records it
/// used are marked as last used on it, the whole-file records it used are
/// converted into hunk records (and removed), and the records it did not
/// use that were last used on an older pin (an ancestor of the new one;
/// whole-file records have no date and always count as older) are removed.
/// Returns the removed records' file names, sorted.
pub fn after_rebase(
    git: &Git,
    store: &Store,
    used: &[Used],
    from: &str,
    to: &str,
    to_commit: Oid,
) -> Result<Vec<String>> {
    let mut keep: HashSet<String> = HashSet::new();
    for use_ in used {
        let origin = Origin {
            item: use_.item.clone(),
            from: from.to_string(),
            to: to.to_string(),
            to_commit,
        };
        match &use_.how {
            How::Recorded => {
                keep.insert(use_.record.clone());
            }
            How::Replayed => {
                keep.insert(use_.record.clone());
                let key = use_.record.trim_end_matches(".txt");
                if let Some(mut record) = store.hunk(key)? {
                    record.last_used = (to.to_string(), to_commit.to_string());
                    store.write(key, &record)?;
                }
            }
            How::WholeFile(conflict) => {
                let file = store.dir.join(&use_.record);
                let Ok(resolved) = std::fs::read(&file) else {
                    continue;
                };
                let records = hunk_records(git, conflict, &resolved, &origin)?;
                let hunks = match git.conflicted_file(conflict, LABELS)? {
                    Some(f) => f.hunks().count(),
                    None => 0,
                };
                if hunks == 0 || records.len() < hunks {
                    // Not every hunk could be told: keep the whole file.
                    keep.insert(use_.record.clone());
                    continue;
                }
                for (key, record) in records {
                    store.write(&key, &record)?;
                    keep.insert(format!("{key}.txt"));
                }
            }
        }
    }
    let mut pruned = Vec::new();
    let Ok(entries) = std::fs::read_dir(&store.dir) else {
        return Ok(pruned);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if keep.contains(&name) {
            continue;
        }
        let older = if is_key(&name) {
            true
        } else if let Some(key) = name.strip_suffix(".txt").filter(|k| is_key(k)) {
            match store.hunk(key).ok().flatten() {
                Some(record) => Oid::from_str(&record.last_used.1)
                    .ok()
                    .filter(|c| *c != to_commit && git.is_commit(*c))
                    .map(|c| git.is_ancestor(c, to_commit))
                    .transpose()?
                    .unwrap_or(false),
                None => false,
            }
        } else {
            false
        };
        if older {
            std::fs::remove_file(entry.path()).map_err(|source| Error::Io {
                path: entry.path(),
                source,
            })?;
            pruned.push(name);
        }
    }
    pruned.sort();
    Ok(pruned)
}

/// Whether `name` is a key: 40 lowercase hex digits.
fn is_key(name: &str) -> bool {
    name.len() == 40 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::conflict::Side;

    fn side(lines: &[&str]) -> Side {
        Side {
            lines: lines
                .iter()
                .map(|l| format!("{l}\n").into_bytes())
                .collect(),
            start: None,
        }
    }

    fn hunk(ours: &[&str], theirs: &[&str]) -> ConflictHunk {
        ConflictHunk {
            ours: side(ours),
            base: side(&["base"]),
            theirs: side(theirs),
        }
    }

    #[test]
    fn the_key_ignores_spacing_and_the_order_of_the_sides_but_not_indentation() {
        let k = key(&hunk(&["  a = 1", "b"], &["c"]));
        assert_eq!(k, key(&hunk(&["  a  =\t1 ", "b\r"], &["c   "])));
        assert_eq!(k, key(&hunk(&["c"], &["  a = 1", "b"])));
        let mut other_base = hunk(&["  a = 1", "b"], &["c"]);
        other_base.base = side(&["something else"]);
        assert_eq!(k, key(&other_base));
        // Re-indented, joined words, an extra blank line, another line.
        assert_ne!(k, key(&hunk(&["    a = 1", "b"], &["c"])));
        assert_ne!(k, key(&hunk(&["  a =1", "b"], &["c"])));
        assert_ne!(k, key(&hunk(&["  a = 1", "", "b"], &["c"])));
        assert_ne!(k, key(&hunk(&["  a = 1", "b"], &["c", "d"])));
        assert_eq!(k.len(), 40);
    }

    #[test]
    fn a_record_reads_back_byte_for_byte() {
        let record = HunkRecord {
            file: "app/quota.py".into(),
            patch: "feature/0001-x.patch".into(),
            recorded: "1.0 -> 2.0".into(),
            last_used: ("2.0".into(), "ab".repeat(20)),
            ours: vec![
                b"x = 1\r\n".to_vec(),
                b">>>>>>> looks like a marker\n".to_vec(),
            ],
            theirs: vec![],
            resolution: vec![b"ours: 2 lines\n".to_vec(), b"last \xff".to_vec()],
        };
        let bytes = record.to_bytes();
        assert_eq!(HunkRecord::parse(&bytes), Ok(record));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("theirs (the patch): 0 lines\nresolution: 2 lines\n"));
        assert!(text.ends_with(" last \u{fffd}\n\\ No newline at end of file\n"));
        // A cut record says where.
        let cut = &bytes[..bytes.len() - 40];
        assert!(HunkRecord::parse(cut).is_err());
        assert!(HunkRecord::parse(b"file app.py\n").is_err());
    }
}
