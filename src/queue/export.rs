//! `export`: custom-source commits back to patch files. Each commit maps to
//! its file through the `Verda-Patch:` trailer; a commit without one is a new
//! patch whose category comes from `--category` or a `Verda-Category:`
//! trailer. Files are written in the normalised form, atomically, and only
//! when their bytes change; `series` follows the commit order. Killed at
//! any point, it leaves its marker (see `journal`) with the files it removes,
//! and running it again finishes the job.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde::Serialize;

use super::build::{CATEGORY_TRAILER, PATCH_TRAILER};
use super::custom_source::{self, APPLIED_REF, BACKUP_PREFIX, BRANCH, PIN_REF};
use super::journal::{self, Kind, Step};
use super::series::{Category, Entry, Series, category_of};
use super::{AppliedState, Queue};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::manifest::Workspace;
use crate::patch::{self, Patch, PatchDate, Person};
use crate::progress::Progress;
use crate::repo::{CommitInfo, Git, Oid, short};

#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    /// Category for commits that carry neither trailer.
    pub category: Option<Category>,
    /// Only report what would change; write nothing (CI: "patches up to date?").
    pub check: bool,
    /// Do not look for uncommitted changes in custom-source (`uncommitted`
    /// stays empty): for callers that have just written its work tree.
    pub skip_uncommitted: bool,
    /// Export even though the patch files changed since custom-source was
    /// built from them (their changes are then overwritten).
    pub force: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct ExportReport {
    pub project: String,
    /// Existing patch files whose bytes changed.
    pub updated: Vec<String>,
    /// New patch files from new commits.
    pub added: Vec<String>,
    /// Patch files whose commit is gone from custom-source.
    pub removed: Vec<String>,
    /// Re-categorised patches (old path, new path).
    pub moved: Vec<(String, String)>,
    pub unchanged: usize,
    pub series_changed: bool,
    /// Uncommitted changes in custom-source that were not exported.
    pub uncommitted: Vec<String>,
    /// It finished an export that had been interrupted.
    pub finished_interrupted: bool,
}

impl ExportReport {
    pub fn changed(&self) -> bool {
        !self.updated.is_empty()
            || !self.added.is_empty()
            || !self.removed.is_empty()
            || !self.moved.is_empty()
            || self.series_changed
    }
}

/// One commit's patch, ready to be written.
struct Planned {
    commit: CommitInfo,
    path: String,
    bytes: Vec<u8>,
    new: bool,
}

pub fn export(
    ws: &Workspace,
    project: &str,
    options: ExportOptions,
    progress: &dyn Progress,
) -> Result<ExportReport> {
    journal::guard_sequence(ws, project, Kind::Export)?;
    if !options.force && journal::Step::load(ws, project)?.is_none() {
        refuse_changed_queue(ws, project)?;
    }
    export_queue(ws, project, options, progress)
}

/// Refuses when the patch files changed since custom-source was last built
/// or exported from them (an `import`, a pull, a hand edit): custom-source
/// does not have those changes, so exporting it would undo them.
fn refuse_changed_queue(ws: &Workspace, project: &str) -> Result<()> {
    let Some(state) = AppliedState::load(ws, project) else {
        return Ok(());
    };
    let queue = Queue::load(ws, project)?;
    if state.fingerprint == queue.fingerprint() {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "patches/{project} changed since custom-source/{project} was built from it (an import, a pull \
         or a hand edit), and custom-source does not have those changes: exporting it now would undo \
         them. Run `verda-patch apply {project}` to build them in, then export; or \
         `verda-patch export --force {project}` to write custom-source's commits over them"
    )))
}

/// `export` as a step of a rebase or cherry-pick (which export for
/// themselves): without the guard against them.
pub(crate) fn export_queue(
    ws: &Workspace,
    project: &str,
    options: ExportOptions,
    progress: &dyn Progress,
) -> Result<ExportReport> {
    let interrupted = journal::guard_step(ws, project, Kind::Export, false)?;
    if let Some(old) = &interrupted {
        progress.note(&format!("finishing the export started {}", old.started));
    }
    // Finishing an interrupted export repeats the category it was given.
    let default_category = options
        .category
        .or(interrupted.as_ref().and_then(|m| m.category));
    let git = custom_source::open(ws, project)?.ok_or_else(|| {
        Error::Usage(format!(
            "{} does not exist; run `verda-patch apply {project}` first",
            ws.rel(&ws.custom_source(project))
        ))
    })?;
    let pin = git.ref_target(PIN_REF).ok_or_else(|| {
        Error::Refused(format!(
            "{} has no {PIN_REF}; rebuild it with `verda-patch apply --force {project}`",
            ws.rel(&ws.custom_source(project))
        ))
    })?;
    let head = git
        .head_commit()
        .ok_or_else(|| Error::Refused("custom-source has no HEAD commit".into()))?;
    if !git.is_ancestor(pin, head)? {
        return Err(Error::Refused(format!(
            "custom-source HEAD {} is not built on the pin {}; check out the patch-queue branch or run `verda-patch apply --force {project}`",
            short(head),
            short(pin)
        )));
    }
    let commits = git.linear_commits(pin, head)?;
    let claimed: BTreeSet<String> = commits
        .iter()
        .filter_map(|c| patch::trailer(&c.message, PATCH_TRAILER))
        .collect();
    let queue = Queue::load(ws, project)?;
    let dir = ws.patches_dir(project);
    let old_paths: BTreeSet<String> = queue.series.paths().map(str::to_string).collect();
    let mut existing: HashMap<String, &Patch> = queue
        .patches
        .iter()
        .map(|p| (p.path.clone(), &p.patch))
        .collect();
    let mut next_number = highest_number(ws, project, &queue) + 1;
    let mut report = ExportReport {
        project: project.to_string(),
        uncommitted: if options.skip_uncommitted {
            Vec::new()
        } else {
            git.dirty_paths()?
        },
        finished_interrupted: interrupted.is_some(),
        ..ExportReport::default()
    };

    let mut diffs = DiffCache::load(&git.path().join("verda").join("export-diffs"));
    let mut planned: Vec<Planned> = Vec::with_capacity(commits.len());
    for commit in commits {
        let trailer_path = patch::trailer(&commit.message, PATCH_TRAILER);
        let category = match patch::trailer(&commit.message, CATEGORY_TRAILER) {
            Some(value) => Some(value.parse::<Category>().map_err(|e| {
                Error::Refused(format!(
                    "commit {} `{}`: {CATEGORY_TRAILER}: {e}",
                    short(commit.id),
                    subject(&commit)
                ))
            })?),
            None => None,
        };
        let message = patch::without_trailer(
            &patch::without_trailer(&commit.message, PATCH_TRAILER),
            CATEGORY_TRAILER,
        );
        let parent_tree = git.commit_info(commit.parents[0])?.tree;
        let diff = diffs.diff(&git, parent_tree, commit.tree)?;
        if diff.is_empty() {
            return Err(Error::Refused(format!(
                "commit {} `{}` changes nothing; drop it (`git rebase -i` in custom-source) and export again",
                short(commit.id),
                subject(&commit)
            )));
        }
        let mut patch = Patch::from_message(
            Person {
                name: commit.author.name.clone(),
                email: commit.author.email.clone(),
            },
            PatchDate {
                seconds: commit.author.seconds,
                offset_minutes: commit.author.offset_minutes,
            },
            &message,
            diff,
        );
        let (path, new) = match trailer_path {
            Some(path) if category_of(&path).is_some() && path.ends_with(".patch") => {
                if let Some(old) = existing.get(&path) {
                    patch.extra_headers = old.extra_headers.clone();
                }
                match category.filter(|c| Some(*c) != category_of(&path)) {
                    Some(to) => {
                        let moved = format!(
                            "{to}/{}",
                            path.split_once('/').map(|x| x.1).unwrap_or(&path)
                        );
                        report.moved.push((path.clone(), moved.clone()));
                        (moved, false)
                    }
                    None => (path, false),
                }
            }
            Some(path) => {
                return Err(Error::Refused(format!(
                    "commit {} has `{PATCH_TRAILER}: {path}`, which is not `<category>/<name>.patch`; fix the trailer with `git commit --amend`",
                    short(commit.id)
                )));
            }
            None => {
                let category = category.or(default_category).ok_or_else(|| {
                    Error::Usage(format!(
                        "commit {} `{}` is new and has no category; rerun with `--category feature|bugfix|upstreamable` \
                         or add a `{CATEGORY_TRAILER}:` trailer to it",
                        short(commit.id),
                        subject(&commit)
                    ))
                })?;
                let bytes = patch.to_bytes();
                let path =
                    reuse_unclaimed(ws, project, category, &bytes, &claimed).unwrap_or_else(|| {
                        let path = format!(
                            "{category}/{next_number:04}-{}.patch",
                            slug(&patch.subject())
                        );
                        next_number += 1;
                        path
                    });
                (path, true)
            }
        };
        if planned.iter().any(|p| p.path == path) {
            return Err(Error::Refused(format!(
                "two commits claim `{path}` (the second is {}); give one of them another `{PATCH_TRAILER}` or remove the trailer",
                short(commit.id)
            )));
        }
        existing.remove(&path);
        planned.push(Planned {
            bytes: patch.to_bytes(),
            commit,
            path,
            new,
        });
    }

    // The new series: commit order, comments kept with their entries.
    // A series that had no entries keeps its comments at the top.
    let (mut header, tail) = match queue.series.entries.is_empty() {
        true => (queue.series.tail.clone(), Vec::new()),
        false => (Vec::new(), queue.series.tail.clone()),
    };
    let mut series = Series {
        entries: Vec::with_capacity(planned.len()),
        tail,
    };
    let moved_from: HashMap<&str, &str> = report
        .moved
        .iter()
        .map(|(a, b)| (b.as_str(), a.as_str()))
        .collect();
    for plan in &planned {
        let origin = moved_from
            .get(plan.path.as_str())
            .copied()
            .unwrap_or(&plan.path);
        // A moved patch that an interrupted export already listed under
        // its new path keeps that entry's comments.
        let above = [origin, plan.path.as_str()]
            .iter()
            .find_map(|path| queue.series.entries.iter().find(|e| e.path == *path))
            .map(|e| e.above.clone())
            .unwrap_or_default();
        let above = if header.is_empty() {
            above
        } else {
            std::mem::take(&mut header)
        };
        series.entries.push(Entry {
            above,
            ..Entry::new(plan.path.clone())
        });
    }
    let kept: BTreeSet<&str> = planned
        .iter()
        .flat_map(|p| {
            [
                Some(p.path.as_str()),
                moved_from.get(p.path.as_str()).copied(),
            ]
        })
        .flatten()
        .collect();
    report.removed = old_paths
        .iter()
        .filter(|p| !kept.contains(p.as_str()))
        .cloned()
        .collect();
    // Files an interrupted run meant to remove and that nothing names now.
    let planned_paths: BTreeSet<&str> = planned.iter().map(|p| p.path.as_str()).collect();
    if let Some(old) = &interrupted {
        for path in &old.remove {
            let leftover = !planned_paths.contains(path.as_str())
                && !report.removed.contains(path)
                && !report.moved.iter().any(|(from, _)| from == path)
                && dir.join(path).exists();
            if leftover {
                report.removed.push(path.clone());
            }
        }
    }
    let series_text = series.render();
    report.series_changed = series_text != queue.series.render();

    for plan in &planned {
        let file = dir.join(&plan.path);
        let same = std::fs::read(&file)
            .map(|b| b == plan.bytes)
            .unwrap_or(false);
        if plan.new {
            report.added.push(plan.path.clone());
        } else if !same && !report.moved.iter().any(|(_, to)| *to == plan.path) {
            report.updated.push(plan.path.clone());
        } else if same {
            report.unchanged += 1;
        }
    }
    if options.check {
        return Ok(report);
    }
    progress.note(&format!(
        "diffs: {} made, {} reused from the export cache",
        diffs.made, diffs.reused
    ));
    diffs.save()?;

    let removals: Vec<String> = report
        .removed
        .iter()
        .cloned()
        .chain(report.moved.iter().map(|(from, _)| from.clone()))
        .collect();
    let rewrites = planned.iter().any(|p| {
        patch::trailer(&p.commit.message, PATCH_TRAILER).as_deref() != Some(p.path.as_str())
    });
    if report.changed() || rewrites {
        Step {
            category: default_category,
            remove: removals.clone(),
            ..Step::new(Kind::Export, project)
        }
        .save(ws)?;
        crate::crash_point("export-started");
    }
    remove_temp_files(&dir);

    // Patch files first, then the series, then removals, then the commits'
    // trailers and refs: killed anywhere, the marker stays and running
    // export again finishes the job.
    for plan in &planned {
        let written = fsutil::write_if_changed(&dir.join(&plan.path), &plan.bytes)?;
        progress.note(&format!(
            "{}: {}",
            plan.path,
            if written { "written" } else { "unchanged" }
        ));
        if written {
            crate::crash_point("export-patch-written");
        }
    }
    crate::crash_point("export-patches-written");
    if report.series_changed || !ws.series_path(project).exists() {
        fsutil::write_atomic(&ws.series_path(project), series_text.as_bytes())?;
        progress.note("series: written");
        crate::crash_point("export-series-written");
    }
    for path in &removals {
        let file = dir.join(path);
        if file.exists() {
            std::fs::remove_file(&file).map_err(|source| Error::Io { path: file, source })?;
            progress.note(&format!("{path}: removed"));
            crate::crash_point("export-file-removed");
        }
    }

    let head = record_paths(&git, &planned, head, progress)?;
    git.set_ref(APPLIED_REF, head, "verda-patch: export")?;
    progress.note(&format!("ref {APPLIED_REF} -> {}", short(head)));
    let queue = Queue::load(ws, project)?;
    AppliedState {
        pin: ws.project(project)?.pin.clone(),
        pin_commit: pin.to_string(),
        head: head.to_string(),
        fingerprint: queue.fingerprint(),
    }
    .save(ws, project)?;
    crate::crash_point("export-state-saved");
    Step::clear(ws, project)?;
    Ok(report)
}

/// The diffs of the last export, keyed by (parent tree, tree): a diff of
/// two trees is fixed by their ids, and a queue is exported again and again
/// with one commit changed, so only that commit's diff is made again (the
/// diffs were nine tenths of exporting 67 nova patches). Kept in
/// custom-source's git directory, for this version of verda-patch only, as
/// `<parent tree> <tree> <length>\n<diff>\n` records after a header line.
struct DiffCache {
    path: std::path::PathBuf,
    old: HashMap<(Oid, Oid), Vec<u8>>,
    /// The diffs this export used, in order: what the file holds next.
    used: Vec<((Oid, Oid), Vec<u8>)>,
    made: usize,
    reused: usize,
}

impl DiffCache {
    const HEADER: &str = concat!("verda-patch export diffs ", env!("CARGO_PKG_VERSION"), "\n");

    fn load(path: &Path) -> DiffCache {
        let old = std::fs::read(path)
            .ok()
            .and_then(|bytes| Self::parse(&bytes))
            .unwrap_or_default();
        DiffCache {
            path: path.to_path_buf(),
            old,
            used: Vec::new(),
            made: 0,
            reused: 0,
        }
    }

    /// The records of a cache file; None when it is not one of this version.
    fn parse(bytes: &[u8]) -> Option<HashMap<(Oid, Oid), Vec<u8>>> {
        let mut rest = bytes.strip_prefix(Self::HEADER.as_bytes())?;
        let mut records = HashMap::new();
        while !rest.is_empty() {
            let end = rest.iter().position(|&b| b == b'\n')?;
            let line = std::str::from_utf8(&rest[..end]).ok()?;
            let mut fields = line.split(' ');
            let parent = Oid::from_str(fields.next()?).ok()?;
            let tree = Oid::from_str(fields.next()?).ok()?;
            let len: usize = fields.next()?.parse().ok()?;
            let body = rest.get(end + 1..end + 1 + len)?;
            if rest.get(end + 1 + len) != Some(&b'\n') {
                return None;
            }
            records.insert((parent, tree), body.to_vec());
            rest = &rest[end + 2 + len..];
        }
        Some(records)
    }

    /// The diff from `parent` to `tree`, made or reused.
    fn diff(&mut self, git: &Git, parent: Oid, tree: Oid) -> Result<Vec<u8>> {
        let diff = match self.old.remove(&(parent, tree)) {
            Some(diff) => {
                self.reused += 1;
                diff
            }
            None => {
                self.made += 1;
                git.diff_trees(parent, tree)?
            }
        };
        self.used.push(((parent, tree), diff.clone()));
        Ok(diff)
    }

    /// Keep the diffs this export used (and only those), when it made any
    /// or dropped any.
    fn save(&self) -> Result<()> {
        if self.made == 0 && self.old.is_empty() {
            return Ok(());
        }
        let mut bytes = Self::HEADER.as_bytes().to_vec();
        for ((parent, tree), diff) in &self.used {
            bytes.extend_from_slice(format!("{parent} {tree} {}\n", diff.len()).as_bytes());
            bytes.extend_from_slice(diff);
            bytes.push(b'\n');
        }
        fsutil::write_atomic(&self.path, &bytes)
    }
}

/// Remove the temp files of atomic writes that a killed process left in
/// the project's patch directories (the lock says no writer is running).
fn remove_temp_files(dir: &Path) {
    let dirs = std::iter::once(dir.to_path_buf())
        .chain(Category::ALL.iter().map(|c| dir.join(c.as_str())));
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with(fsutil::TEMP_PREFIX)
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Give every exported commit its `Verda-Patch:` trailer (new commits and
/// moved ones), rewriting the branch from the first that changes. The trees
/// stay the same, so the work tree and index need no update.
fn record_paths(git: &Git, planned: &[Planned], head: Oid, progress: &dyn Progress) -> Result<Oid> {
    let Some(first) = planned.iter().position(|p| {
        patch::trailer(&p.commit.message, PATCH_TRAILER).as_deref() != Some(p.path.as_str())
    }) else {
        return Ok(head);
    };
    let mut parent = planned[first].commit.parents[0];
    for plan in &planned[first..] {
        let bare = patch::without_trailer(
            &patch::without_trailer(&plan.commit.message, PATCH_TRAILER),
            CATEGORY_TRAILER,
        );
        let message = patch::with_trailer(&bare, PATCH_TRAILER, &plan.path);
        parent = git.commit(plan.commit.tree, &[parent], &plan.commit.author, &message)?;
    }
    let backup = format!(
        "{BACKUP_PREFIX}{}-export-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S"),
        short(head)
    );
    git.set_ref(
        &backup,
        head,
        "verda-patch: backup before export rewrote trailers",
    )?;
    progress.note(&format!("ref {backup} -> {}", short(head)));
    crate::crash_point("export-backup-ref");
    git.set_branch_head(BRANCH, parent, "verda-patch: export recorded patch paths")?;
    progress.note(&format!("HEAD -> refs/heads/{BRANCH} -> {}", short(parent)));
    crate::crash_point("export-head-moved");
    Ok(parent)
}

fn subject(commit: &CommitInfo) -> String {
    commit.message.lines().next().unwrap_or("").to_string()
}

/// The highest `NNNN` prefix among the project's patch files (in the series
/// or on disk), so a new patch never takes a number twice.
pub(crate) fn highest_number(ws: &Workspace, project: &str, queue: &Queue) -> u32 {
    let mut names: Vec<String> = queue.series.paths().map(str::to_string).collect();
    for category in Category::ALL {
        if let Ok(dir) = std::fs::read_dir(ws.patches_dir(project).join(category.as_str())) {
            names.extend(
                dir.flatten()
                    .map(|e| format!("{category}/{}", e.file_name().to_string_lossy())),
            );
        }
    }
    names
        .iter()
        .filter_map(|p| p.split_once('/').map(|x| x.1))
        .filter_map(|name| name.split('-').next()?.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
}

/// A patch file with exactly these bytes that no commit claims through its
/// `Verda-Patch:` trailer is this new commit's: an interrupted export wrote
/// it (and maybe listed it in the series) but did not get to record the
/// trailer. Reusing it keeps its number instead of writing a duplicate.
fn reuse_unclaimed(
    ws: &Workspace,
    project: &str,
    category: Category,
    bytes: &[u8],
    claimed: &BTreeSet<String>,
) -> Option<String> {
    let dir = ws.patches_dir(project).join(category.as_str());
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".patch") && !name.starts_with('.'))
        .collect();
    names.sort();
    names.into_iter().find_map(|name| {
        let path = format!("{category}/{name}");
        let file = ws.patches_dir(project).join(&path);
        (!claimed.contains(&path) && std::fs::read(file).ok()? == bytes).then_some(path)
    })
}

/// A file-name slug of a subject, like `git format-patch` makes.
pub(crate) fn slug(subject: &str) -> String {
    let mut out = String::new();
    for c in subject.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 52 {
            break;
        }
    }
    let out = out.trim_matches(|c| c == '-' || c == '.').to_string();
    if out.is_empty() { "patch".into() } else { out }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slug_is_like_format_patch() {
        assert_eq!(
            super::slug("Fix: PCI quota (a100) for resize!"),
            "fix-pci-quota-a100-for-resize"
        );
        assert_eq!(super::slug("..."), "patch");
    }
}
