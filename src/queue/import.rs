//! `import`: patches made elsewhere into the queue — `git format-patch`
//! mails, mboxes of several mails (`git format-patch --stdout`, a mailing
//! list thread), Gerrit's "download patch" files, and quilt/Debian patches
//! with DEP-3 headers. Every patch is checked on the queue at its place
//! (and the patches after it still apply) before anything is written; then
//! each is written in the normalised form `export` writes, with the next
//! free number of its category, and listed in `series`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::build::{self, Built};
use super::check::build_until_failure;
use super::export::{highest_number, slug};
use super::journal::{self, Kind, Step};
use super::series::{Category, Entry};
use super::{LoadedPatch, Queue};
use crate::error::{Error, IoContext, Result};
use crate::fsutil;
use crate::manifest::Workspace;
use crate::patch::quilt::{self, Fallback};
use crate::patch::{Patch, PatchError, split_mbox};
use crate::progress::Progress;
use crate::repo::{Git, Oid};
use crate::upstream::Upstream;

/// One input: a file (or standard input) as the user named it.
#[derive(Debug, Clone)]
pub struct Input {
    /// How messages name it: the path as given, or `-`.
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub category: Category,
    /// Insert after this series entry (`feature/0001-x.patch`); default:
    /// at the end.
    pub after: Option<String>,
    /// Author and date for patches that do not name them (bare diffs,
    /// DEP-3 patches without `Author:`/`Last-Update:`).
    pub fallback: Fallback,
}

#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    pub project: String,
    pub added: Vec<Imported>,
}

#[derive(Debug, Serialize)]
pub struct Imported {
    /// The new series entry, relative to `patches/<project>/`.
    pub path: String,
    pub subject: String,
    /// Where it came from: `file` or `file:line` for a mail of an mbox.
    pub source: String,
    /// How it applied on the queue (`clean`, offsets, 3-way).
    pub how: String,
}

/// Reads the named files; a directory gives its quilt `series` order when it
/// has one, else its `*.patch`, `*.diff` and `*.mbox` files sorted by name.
pub fn read_inputs(paths: &[PathBuf]) -> Result<Vec<Input>> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.is_dir() {
            for file in dir_patches(path)? {
                inputs.push(Input {
                    name: file.display().to_string(),
                    bytes: fsutil::read(&file)?,
                });
            }
        } else {
            inputs.push(Input {
                name: path.display().to_string(),
                bytes: fsutil::read(path)?,
            });
        }
    }
    Ok(inputs)
}

fn dir_patches(dir: &Path) -> Result<Vec<PathBuf>> {
    let series = dir.join("series");
    if series.is_file() {
        let text = String::from_utf8_lossy(&fsutil::read(&series)?).into_owned();
        return Ok(text
            .lines()
            .map(|l| l.split('#').next().unwrap_or_default().trim())
            .filter(|l| !l.is_empty())
            .map(|l| dir.join(l.split_whitespace().next().unwrap_or(l)))
            .collect());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .at(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|x| x == "patch" || x == "diff" || x == "mbox")
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{} has no quilt `series` file and no *.patch, *.diff or *.mbox files",
            dir.display()
        )));
    }
    Ok(files)
}

/// A patch read from an input, with where it came from.
struct Incoming {
    source: String,
    patch: Patch,
}

/// Reads every patch of `input`: the mails of an mbox, a Gerrit download,
/// or one quilt/DEP-3 patch.
fn read_patches(input: &Input, fallback: &Fallback) -> Result<Vec<Incoming>> {
    let invalid = |line: Option<usize>, e: PatchError| {
        Error::invalid(&input.name, line.or(e.line()), e.to_string())
    };
    let bytes = quilt::gerrit_download(&input.bytes).unwrap_or_else(|| input.bytes.clone());
    let mails = split_mbox(&bytes);
    if mails.is_empty() {
        return Err(invalid(None, PatchError::Empty));
    }
    let several = mails.len() > 1;
    let mut out = Vec::with_capacity(mails.len());
    for mail in mails {
        let source = if several {
            format!("{}:{}", input.name, mail.line)
        } else {
            input.name.clone()
        };
        let patch = match Patch::parse(mail.bytes) {
            Ok(patch) => patch,
            // Not a mail at all: a quilt/Debian patch or a bare diff.
            Err(PatchError::MissingHeader(_)) if !several => {
                let fallback = Fallback {
                    subject: subject_from_name(&input.name).unwrap_or(fallback.subject.clone()),
                    ..fallback.clone()
                };
                quilt::from_quilt(mail.bytes, &fallback).map_err(|e| invalid(None, e))?
            }
            Err(e) => {
                let line = e.line().map(|l| l + mail.line - 1);
                return Err(invalid(line, e));
            }
        };
        out.push(Incoming { source, patch });
    }
    Ok(out)
}

/// "0003-fix-the-thing.patch" → "fix the thing".
fn subject_from_name(name: &str) -> Option<String> {
    let stem = Path::new(name).file_stem()?.to_str()?;
    let stem = stem.trim_start_matches(|c: char| c.is_ascii_digit());
    let words = stem.trim_start_matches(['-', '_']).replace(['-', '_'], " ");
    (!words.trim().is_empty()).then(|| words.trim().to_string())
}

/// Imports `inputs` into `project`'s queue, all or nothing.
///
/// Errors: [`Error::Invalid`] naming the input (and line) that is not a
/// patch; [`Error::PatchFailed`] naming the input that does not apply at
/// its place, is already applied, or breaks a later patch; nothing is
/// written then.
pub fn import(
    ws: &Workspace,
    project: &str,
    inputs: &[Input],
    options: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportReport> {
    journal::guard(ws, project, Kind::Import, false)?;
    refuse_unexported(ws, project)?;
    let mut incoming = Vec::new();
    for input in inputs {
        incoming.extend(read_patches(input, &options.fallback)?);
    }
    if incoming.is_empty() {
        return Err(Error::Usage("nothing to import".into()));
    }
    let queue = Queue::load(ws, project)?;
    let at = match &options.after {
        Some(after) => {
            queue.series.position(after).ok_or_else(|| {
                Error::Usage(format!(
                    "--after {after}: no such entry in patches/{project}/series"
                ))
            })? + 1
        }
        None => queue.patches.len(),
    };

    let spec = ws.project(project)?;
    let upstream = Upstream::open(ws, project)?;
    let pin = upstream.resolve(ws, &spec.pin, progress)?;
    let git = Git::open_in_memory(upstream.mirror.path())?;
    let (before, stop) = build_until_failure(&git, pin, &queue.patches[..at], None, progress)?;
    if let Some(stop) = stop {
        return Err(Error::PatchFailed {
            patch: queue.patches[stop.index].display(),
            message: format!(
                "the queue does not apply on {} before the import point: {}; fix it first (`verda-patch check {project}`)",
                spec.pin, stop.message
            ),
        });
    }
    let mut parent = before.last().map_or(pin, |b| b.commit);

    let dir = ws.patches_dir(project);
    let mut number = highest_number(ws, project, &queue);
    let mut report = ImportReport {
        project: project.to_string(),
        added: Vec::new(),
    };
    let mut written: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for item in incoming {
        number += 1;
        let path = format!(
            "{}/{number:04}-{}.patch",
            options.category,
            slug(&item.patch.subject())
        );
        let loaded = LoadedPatch {
            path: path.clone(),
            file: dir.join(&path),
            bytes: item.patch.to_bytes(),
            patch: item.patch,
        };
        let fail = |message: String| Error::PatchFailed {
            patch: item.source.clone(),
            message,
        };
        let built = match build::build(&git, parent, std::slice::from_ref(&loaded), None, progress)
        {
            Ok(mut built) => built.remove(0),
            Err(Error::PatchFailed { message, .. }) => {
                return Err(fail(format!(
                    "does not apply on the queue at its place ({}): {message}; nothing was imported",
                    place(&queue, at)
                )));
            }
            Err(e) => return Err(e),
        };
        let Some(bytes) = normalised(&git, parent, &built, &loaded.patch)? else {
            return Err(fail(format!(
                "changes nothing on the queue at its place ({}): it is already applied; nothing was imported",
                place(&queue, at)
            )));
        };
        report.added.push(Imported {
            path: path.clone(),
            subject: loaded.patch.subject(),
            source: item.source.clone(),
            how: built.how.describe(),
        });
        written.push((loaded.file, bytes));
        parent = built.commit;
    }
    // The patches after the import point must still apply.
    let (_, stop) = build_until_failure(&git, parent, &queue.patches[at..], None, progress)?;
    if let Some(stop) = stop {
        return Err(Error::PatchFailed {
            patch: queue.patches[at + stop.index].display(),
            message: format!(
                "would no longer apply after the imported patches: {}; import them elsewhere (`--after`) or fix this patch; nothing was imported",
                stop.message
            ),
        });
    }

    for (file, _) in &written {
        if file.exists() {
            return Err(Error::Refused(format!(
                "{} exists already; nothing was imported",
                ws.rel(file)
            )));
        }
    }
    // Killed from here until the series is written, the marker names the
    // files to remove: the next command undoes the import (see `journal`).
    Step {
        remove: report.added.iter().map(|a| a.path.clone()).collect(),
        ..Step::new(Kind::Import, project)
    }
    .save(ws)?;
    crate::crash_point("import-started");
    for (file, bytes) in &written {
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).at(parent)?;
        }
        fsutil::write_atomic(file, bytes)?;
        crate::crash_point("import-patch-written");
    }
    let mut series = queue.series.clone();
    let entries: Vec<Entry> = report
        .added
        .iter()
        .map(|a| Entry::new(a.path.clone()))
        .collect();
    series.entries.splice(at..at, entries);
    fsutil::write_atomic(&dir.join("series"), series.render().as_bytes())?;
    crate::crash_point("import-series-written");
    Step::clear(ws, project)?;
    Ok(report)
}

/// Commits in custom-source that were never exported would be stranded: the
/// queue grows under them, `export` refuses a changed queue and `apply`
/// refuses their loss. They go first.
fn refuse_unexported(ws: &Workspace, project: &str) -> Result<()> {
    let Some(git) = super::custom_source::open(ws, project)? else {
        return Ok(());
    };
    let unexported = super::custom_source::unexported_commits(&git)?;
    if unexported.is_empty() {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "custom-source/{project} has {} never exported; run `verda-patch export {project}` first, \
         then import (nothing was imported)",
        super::apply::plural(unexported.len(), "commit")
    )))
}

/// Where the import goes, for messages.
fn place(queue: &Queue, at: usize) -> String {
    match at.checked_sub(1).and_then(|i| queue.patches.get(i)) {
        Some(prev) => format!("after {}", prev.path),
        None => "on the pin".into(),
    }
}

/// The patch file `export` would write for `built` (its diff regenerated
/// from the trees, the message and author kept); `None` when the commit
/// changes nothing.
fn normalised(git: &Git, parent: Oid, built: &Built, patch: &Patch) -> Result<Option<Vec<u8>>> {
    let old = git.tree_of(parent)?;
    let new = git.tree_of(built.commit)?;
    if old == new {
        return Ok(None);
    }
    let diff = git.diff_trees(old, new)?;
    let mut regenerated =
        Patch::from_message(patch.author.clone(), patch.date, patch.message(), diff);
    regenerated.extra_headers = patch.extra_headers.clone();
    Ok(Some(regenerated.to_bytes()))
}
