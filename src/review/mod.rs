//! `review`: what a change to the patch repository does, in effect. The
//! model is computed once ([`review`]) and rendered by templates
//! ([`render`]): text, Markdown, HTML, JSON and JUnit XML.
//!
//! Both sides are read from the patch repository — the base from git
//! objects, the head from the work tree or git objects — and each project's
//! queue is built in memory on its upstream mirror, so nothing on disk
//! changes except the upstream cache.

mod interdiff;
mod pair;
mod patchdiff;
mod pin;
pub mod render;
mod resolution;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::manifest::{Manifest, Workspace};
use crate::patch::{self, parse_diff};
use crate::progress::Progress;
use crate::queue::build::{ApplyCache, Built};
use crate::queue::check::{build_checked, build_until_failure};
use crate::queue::lint::{Finding, Severity, lint_queue_in};
use crate::queue::series::Category;
use crate::queue::upstreamed::{Rule, UpstreamIndex};
use crate::queue::{LoadedPatch, Queue, RepoFiles};
use crate::repo::{Git, Oid};
use crate::upstream::Upstream;

pub use pin::{PinBump, UpstreamCommit};

/// Version of the JSON document; bumped only on an incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The review of a change to the patch repository: the whole model, as
/// `verda-patch review --format json` prints it. The schema is stable (new
/// fields may appear; none change meaning or disappear without a new
/// `schema` number):
///
/// ```text
/// {
///   "schema": 1,
///   "base": {"label": "HEAD~1", "commit": "<40 hex>" | null},   // null: empty base
///   "head": {"label": "work tree", "commit": null},             // or a commit
///   "ok": true,                      // false: a queue does not apply or a lint error
///   "summary": {"projects", "added", "removed", "edited", "recategorised",
///               "renamed", "reordered", "errors", "warnings", "hints"},  // counts
///   "manifest": [{"project", "change": "added"|"removed"|"pin"|"source",
///                 "old": string|null, "new": string|null}],
///   "projects": [{
///     "project": "nova", "base_pin": "31.0.0"|null, "pin": "31.0.0"|null,
///     "changed": true,               // queue or pin differ between base and head
///     "unchanged": 64,               // patches paired and identical
///     "changes": [{                  // head order, then removed patches
///       "kinds": ["added"|"removed"|"edited"|"recategorised"|"renamed"|"reordered", …],
///       "path": "feature/0001-x.patch",        // head path (base path if removed)
///       "old_path": string|null,               // base path of a paired patch
///       "category": "feature"|"bugfix"|"upstreamable", "old_category": …|null,
///       "subject": string, "old_subject": string|null,  // old only when it differs
///       "change_id": string|null,
///       "position": 1|null, "old_position": 3|null,     // 1-based series lines
///       "files": ["path", …],                           // files the patch touches
///       "message_diff": [DiffLine],                     // edited message, else []
///       "interdiff": null | {"basis": "same-base"|"patch",
///                            "files": [FileDiff]},  // [] when the change is the same
///         // "same-base": the code below the patch is the same in both queues; the
///         //   files the patch touches are compared between the two results (its
///         //   effective change; a file moved is one FileDiff with old_path).
///         // "patch": the code below moved (a pin bump, or earlier patches changed);
///         //   the patch's diff on the new base against its diff on the old base, like
///         //   `git range-diff`: each line's text is a line of the patch with its own
///         //   sign ("+x", "-x", " x"), its kind how the patch changed ("removed": the
///         //   old patch had it, "added": the new one has it). Only the patch's +/-
///         //   lines are compared, so context and upstream's changes between the pins
///         //   are never a change; context of the new patch is shown around changes.
///         //   ("replayed" and "results", which compared results on a moved base,
///         //   are no longer produced.)
///       "resolution": null | {"files": [FileDiff]},
///         // only for a patch that did not apply automatically on its new base (the
///         // old patch tried there as `rebase` tries it, recorded resolutions left
///         // out): per conflicting file, the automatic merge's text with its diff3
///         // conflict markers (as the user got it) against the new patch's result;
///         // a FileDiff with no lines when the file has no such text (binary)
///       "note": string|null,         // why an edited patch has no interdiff
///       "gerrit": string             // with `gerrit`: "under review on master, patch set 7 (url)",
///                                    // "not proposed", …; absent when Gerrit did not answer
///     }],
///     "pin_bump": null | {           // the pin moved: upstream summarised, not diffed
///       "old": "31.0.0", "new": "32.0.0",
///       "commits": 412|null,         // commits in new and not in old; null without history
///       "files": 1234,               // files that differ between the pins' trees
///       "history": null|"no history (PyPI source)",
///       "log": [{"id": "<40 hex>", "short": "<10 hex>", "subject",
///                "url": string|null}]},  // all commits, newest first; url on
///                                        // opendev.org, github.com, GitLab
///     "apply": null | {"ok": bool, "applied": 3, "total": 4, "pin_commit": "<hex>"},
///     "queue": [{"position", "path", "file", "subject",
///                "applies": "applied"|"failed"|"not-tried"|"unknown"}],
///     "findings": [{"severity": "error"|"warning", "file", "line": int|null, "message"}],
///     "hints": [{"path", "subject", "rule": "ancestry"|"change-id"|"patch-id"|"changelog",
///                "why": "upstream merged its Change-Id", "commit": "<hex>"|null}]
///   }]
/// }
/// FileDiff = {"path", "added", "removed", "lines": [DiffLine],
///             "old_path": string|null,   // renamed from
///             "similarity": 0..100|null}
/// DiffLine = {"kind": "hunk"|"context"|"added"|"removed", "text": "line without newline"}
/// ```
#[derive(Debug, Serialize)]
pub struct Review {
    pub schema: u32,
    pub base: Revision,
    pub head: Revision,
    pub ok: bool,
    pub summary: Summary,
    pub manifest: Vec<ManifestChange>,
    pub projects: Vec<ProjectReview>,
}

/// One side of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    /// How the user named it: `HEAD~1`, `merge-base with origin/main`, `work tree`.
    pub label: String,
    /// The patch-repo commit; `None` for the work tree or an empty base.
    pub commit: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub projects: usize,
    pub added: usize,
    pub removed: usize,
    pub edited: usize,
    pub recategorised: usize,
    pub renamed: usize,
    pub reordered: usize,
    pub errors: usize,
    pub warnings: usize,
    pub hints: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ManifestKind {
    Added,
    Removed,
    Pin,
    Source,
}

#[derive(Debug, Serialize)]
pub struct ManifestChange {
    pub project: String,
    pub change: ManifestKind,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ProjectReview {
    pub project: String,
    pub base_pin: Option<String>,
    pub pin: Option<String>,
    pub changed: bool,
    pub unchanged: usize,
    pub changes: Vec<PatchChange>,
    /// When the pin moved: upstream's commits and files between the pins.
    pub pin_bump: Option<PinBump>,
    pub apply: Option<ApplyCheck>,
    pub queue: Vec<QueueEntry>,
    pub findings: Vec<Finding>,
    pub hints: Vec<Hint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Edited,
    Recategorised,
    Renamed,
    Reordered,
}

#[derive(Debug, Serialize)]
pub struct PatchChange {
    pub kinds: Vec<ChangeKind>,
    pub path: String,
    pub old_path: Option<String>,
    pub category: Category,
    pub old_category: Option<Category>,
    pub subject: String,
    pub old_subject: Option<String>,
    pub change_id: Option<String>,
    pub position: Option<usize>,
    pub old_position: Option<usize>,
    pub files: Vec<String>,
    pub message_diff: Vec<DiffLine>,
    pub interdiff: Option<Interdiff>,
    /// For a patch that needed a hand resolution on its new base.
    pub resolution: Option<Resolution>,
    pub note: Option<String>,
    /// Its changes on upstream Gerrit (`under review on master, patch set
    /// 7 (url)`, `not proposed`), for a project with `gerrit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gerrit: Option<String>,
}

/// What the old and the new version of a patch are compared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The code below the patch is the same in both queues.
    SameBase,
    /// The code below the patch moved (a pin bump, or earlier patches
    /// changed): the patch's diff on the new base against its diff on the
    /// old base, changed lines only (see `patchdiff`).
    Patch,
}

/// What a human did beyond the automatic merge, for a patch that did not
/// apply automatically on its new base: per conflicting file, the merge's
/// text with its conflict markers against the new patch's result.
#[derive(Debug, Serialize)]
pub struct Resolution {
    pub files: Vec<FileDiff>,
}

#[derive(Debug, Serialize)]
pub struct Interdiff {
    pub basis: Basis,
    /// Files whose result differs; empty when the code change is the same.
    pub files: Vec<FileDiff>,
}

#[derive(Debug, Default, Serialize)]
pub struct FileDiff {
    pub path: String,
    /// The path before, when the file was renamed.
    pub old_path: Option<String>,
    /// How similar the renamed file is to the one before, in percent (git's
    /// `similarity index`).
    pub similarity: Option<u64>,
    pub added: usize,
    pub removed: usize,
    pub lines: Vec<DiffLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffLineKind {
    Hunk,
    Context,
    Added,
    Removed,
}

#[derive(Debug, Serialize)]
pub struct DiffLine {
    pub kind: DiffLineKind,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct ApplyCheck {
    pub ok: bool,
    pub applied: usize,
    pub total: usize,
    pub pin_commit: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applies {
    Applied,
    Failed,
    NotTried,
    /// The pin could not be resolved.
    Unknown,
}

#[derive(Debug, Serialize)]
pub struct QueueEntry {
    pub position: usize,
    pub path: String,
    /// The file from the patch repo root, as findings name it.
    pub file: String,
    pub subject: String,
    pub applies: Applies,
}

#[derive(Debug, Serialize)]
pub struct Hint {
    pub path: String,
    pub subject: String,
    pub rule: Rule,
    /// The rule in words, as `rebase` reports it.
    pub why: String,
    pub commit: Option<String>,
}

/// Which revisions to compare: `None` takes the defaults (base: merge-base
/// with the branch's upstream, else `HEAD~1`; head: the work tree).
#[derive(Debug, Clone, Default)]
pub struct ReviewOptions {
    pub base: Option<String>,
    pub head: Option<String>,
}

/// One side, resolved: how to read its files, and its manifest.
struct Side<'a> {
    revision: Revision,
    files: RepoFiles<'a>,
    ws: Workspace,
}

pub fn review(ws: &Workspace, options: &ReviewOptions, progress: &dyn Progress) -> Result<Review> {
    let git = Git::discover(&ws.root)?;
    let prefix = prefix_in_repo(&git, ws)?;
    let head = match &options.head {
        Some(rev) => side_at(ws, &git, &prefix, rev, rev.clone(), "--head")?,
        None => Side {
            revision: Revision {
                label: "work tree".into(),
                commit: None,
            },
            files: RepoFiles::WorkTree,
            ws: ws.clone(),
        },
    };
    let base = match &options.base {
        Some(rev) => side_at(ws, &git, &prefix, rev, rev.clone(), "--base")?,
        None => default_base(ws, &git, &prefix)?,
    };

    let mut projects = BTreeSet::new();
    projects.extend(base.ws.manifest.projects.keys().cloned());
    projects.extend(head.ws.manifest.projects.keys().cloned());
    let manifest = manifest_changes(&base.ws.manifest, &head.ws.manifest);
    let mut reviews = Vec::new();
    for project in &projects {
        reviews.push(review_project(project, &base, &head, progress)?);
    }
    let mut summary = Summary {
        projects: reviews.len(),
        ..Summary::default()
    };
    for project in &reviews {
        for change in &project.changes {
            for kind in &change.kinds {
                *match kind {
                    ChangeKind::Added => &mut summary.added,
                    ChangeKind::Removed => &mut summary.removed,
                    ChangeKind::Edited => &mut summary.edited,
                    ChangeKind::Recategorised => &mut summary.recategorised,
                    ChangeKind::Renamed => &mut summary.renamed,
                    ChangeKind::Reordered => &mut summary.reordered,
                } += 1;
            }
        }
        for finding in &project.findings {
            match finding.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
            }
        }
        summary.hints += project.hints.len();
    }
    Ok(Review {
        schema: SCHEMA_VERSION,
        base: base.revision,
        head: head.revision,
        ok: summary.errors == 0,
        summary,
        manifest,
        projects: reviews,
    })
}

/// The workspace root relative to the git work tree: `""` or `"dir/"`.
fn prefix_in_repo(git: &Git, ws: &Workspace) -> Result<String> {
    let workdir = git
        .workdir()
        .and_then(|w| w.canonicalize().ok())
        .ok_or_else(|| {
            Error::Usage(format!(
                "the git repository of {} has no work tree; run review in a clone of the patch repository",
                ws.root.display()
            ))
        })?;
    let rel = ws
        .root
        .strip_prefix(&workdir)
        .unwrap_or(std::path::Path::new(""));
    let rel = rel.to_string_lossy();
    Ok(if rel.is_empty() {
        String::new()
    } else {
        format!("{rel}/")
    })
}

fn side_at<'a>(
    ws: &Workspace,
    git: &'a Git,
    prefix: &str,
    rev: &str,
    label: String,
    flag: &str,
) -> Result<Side<'a>> {
    let commit = git.resolve_commit(rev).ok_or_else(|| {
        Error::Usage(format!(
            "{flag} `{rev}` is not a commit of the patch repository {}; name a branch, tag or commit (e.g. origin/main, HEAD~1)",
            ws.root.display()
        ))
    })?;
    side_of_commit(ws, git, prefix, commit, label)
}

fn side_of_commit<'a>(
    ws: &Workspace,
    git: &'a Git,
    prefix: &str,
    commit: Oid,
    label: String,
) -> Result<Side<'a>> {
    let files = RepoFiles::Commit {
        git,
        tree: git.commit_info(commit)?.tree,
        prefix: prefix.to_string(),
        label: label.clone(),
    };
    let manifest = files.manifest(ws)?;
    Ok(Side {
        revision: Revision {
            label,
            commit: Some(commit.to_string()),
        },
        files,
        ws: Workspace {
            root: ws.root.clone(),
            manifest,
        },
    })
}

/// The merge-base with the checked-out branch's upstream, else `HEAD~1`,
/// else (a repository with one commit or none) an empty repository.
fn default_base<'a>(ws: &Workspace, git: &'a Git, prefix: &str) -> Result<Side<'a>> {
    let empty = |label: &str| Side {
        revision: Revision {
            label: label.into(),
            commit: None,
        },
        files: RepoFiles::Empty,
        ws: Workspace {
            root: ws.root.clone(),
            manifest: Manifest::default(),
        },
    };
    let Some(head) = git.head_commit() else {
        return Ok(empty("empty (no commit yet)"));
    };
    if let Some((name, upstream)) = git.head_upstream() {
        if let Some(base) = git.merge_base(head, upstream) {
            return side_of_commit(ws, git, prefix, base, format!("merge-base with {name}"));
        }
    }
    match git.commit_info(head)?.parents.first() {
        Some(parent) => side_of_commit(ws, git, prefix, *parent, "HEAD~1".into()),
        None => Ok(empty("empty (HEAD is the first commit)")),
    }
}

fn manifest_changes(base: &Manifest, head: &Manifest) -> Vec<ManifestChange> {
    let mut changes = Vec::new();
    let names: BTreeSet<&String> = base.projects.keys().chain(head.projects.keys()).collect();
    for name in names {
        let change = |change, old: Option<&str>, new: Option<&str>| ManifestChange {
            project: name.clone(),
            change,
            old: old.map(str::to_string),
            new: new.map(str::to_string),
        };
        match (base.projects.get(name), head.projects.get(name)) {
            (None, Some(new)) => changes.push(change(ManifestKind::Added, None, Some(&new.pin))),
            (Some(old), None) => changes.push(change(ManifestKind::Removed, Some(&old.pin), None)),
            (Some(old), Some(new)) => {
                if old.pin != new.pin {
                    changes.push(change(ManifestKind::Pin, Some(&old.pin), Some(&new.pin)));
                }
                let describe = |s: &crate::manifest::ProjectSpec| {
                    s.git
                        .clone()
                        .or_else(|| s.pypi.as_ref().map(|p| format!("pypi:{p}")))
                        .unwrap_or_default()
                };
                if describe(old) != describe(new) || old.index != new.index {
                    changes.push(change(
                        ManifestKind::Source,
                        Some(&describe(old)),
                        Some(&describe(new)),
                    ));
                }
            }
            (None, None) => {}
        }
    }
    changes
}

/// A queue, or the finding that says why it could not be read.
fn load(side: &Side<'_>, project: &str) -> Result<std::result::Result<Queue, Finding>> {
    match Queue::load_from(&side.ws, project, &side.files) {
        Ok(queue) => Ok(Ok(queue)),
        Err(Error::Invalid {
            file,
            line,
            message,
        }) => Ok(Err(Finding::error(side.ws.rel(&file), line, message))),
        Err(e) => Err(e),
    }
}

fn review_project(
    project: &str,
    base: &Side<'_>,
    head: &Side<'_>,
    progress: &dyn Progress,
) -> Result<ProjectReview> {
    let base_pin = base
        .ws
        .manifest
        .projects
        .get(project)
        .map(|s| s.pin.clone());
    let pin = head
        .ws
        .manifest
        .projects
        .get(project)
        .map(|s| s.pin.clone());
    let mut result = ProjectReview {
        project: project.to_string(),
        base_pin: base_pin.clone(),
        pin: pin.clone(),
        changed: false,
        unchanged: 0,
        changes: Vec::new(),
        pin_bump: None,
        apply: None,
        queue: Vec::new(),
        findings: Vec::new(),
        hints: Vec::new(),
    };
    let base_queue = match base_pin {
        Some(_) => match load(base, project)? {
            Ok(queue) => Some(queue),
            Err(mut finding) => {
                finding.severity = Severity::Warning;
                finding.message = format!(
                    "{} (in the base {}; compared as if the base had no patches)",
                    finding.message, base.revision.label
                );
                result.findings.push(finding);
                None
            }
        },
        None => None,
    };
    let empty = Queue {
        project: project.to_string(),
        series: Default::default(),
        patches: Vec::new(),
    };
    let head_queue = match pin {
        Some(_) => match load(head, project)? {
            Ok(queue) => queue,
            Err(finding) => {
                result.findings.push(finding);
                result.changed = true;
                return Ok(result);
            }
        },
        None => empty.clone(),
    };
    let base_queue = base_queue.unwrap_or(empty);
    result.changed =
        result.base_pin != result.pin || base_queue.fingerprint() != head_queue.fingerprint();
    let paired = pair::pair(&base_queue.patches, &head_queue.patches);
    let moved = pair::reordered(&paired);
    result.queue = head_queue
        .patches
        .iter()
        .enumerate()
        .map(|(i, p)| QueueEntry {
            position: i + 1,
            path: p.path.clone(),
            file: p.display(),
            subject: p.patch.subject(),
            applies: Applies::Unknown,
        })
        .collect();
    let Some(pin) = &result.pin else {
        result.changes = removed_changes(&base_queue, &paired);
        return Ok(result);
    };
    result
        .findings
        .extend(lint_queue_in(&head.ws, &head_queue, &head.files)?);

    // Build both queues in memory on the mirror; the base reuses the head's
    // commits wherever the queues start alike.
    let upstream = Upstream::open(&head.ws, project)?;
    let pin_commit = match upstream.resolve(&head.ws, pin, progress) {
        Ok(commit) => Some(commit),
        Err(e @ Error::Upstream(_)) => {
            result.findings.push(Finding::error(
                "verda-patch.toml".into(),
                None,
                e.to_string(),
            ));
            None
        }
        Err(e) => return Err(e),
    };
    let memory = Git::open_in_memory(upstream.mirror.path())?;
    let mut cache = ApplyCache::default();
    let mut head_built = Vec::new();
    if let Some(pin_commit) = pin_commit {
        let (built, findings) = build_checked(
            &memory,
            pin_commit,
            pin,
            &head_queue,
            Some(&mut cache),
            progress,
        )?;
        result.findings.extend(findings);
        for (i, entry) in result.queue.iter_mut().enumerate() {
            entry.applies = match i.cmp(&built.len()) {
                std::cmp::Ordering::Less => Applies::Applied,
                std::cmp::Ordering::Equal => Applies::Failed,
                std::cmp::Ordering::Greater => Applies::NotTried,
            };
        }
        result.apply = Some(ApplyCheck {
            ok: built.len() == head_queue.patches.len(),
            applied: built.len(),
            total: head_queue.patches.len(),
            pin_commit: pin_commit.to_string(),
        });
        head_built = built;
    }
    // Gerrit's review state: lint, and the state of each changed patch below.
    let on_mirror = pin_commit.map(|c| (&upstream.mirror, c));
    let gerrit = crate::queue::upstreamed::gerrit_answers(&head.ws, &head_queue, on_mirror, false)?;
    if let Some(answers) = &gerrit {
        let findings = crate::queue::lint::lint_gerrit(&head_queue, answers, on_mirror)?;
        result.findings.extend(findings);
    }
    if !result.changed {
        result.unchanged = head_queue.patches.len();
        return Ok(result);
    }

    let base_pin_commit = match (&result.base_pin, pin_commit) {
        (Some(base_pin), Some(_)) => {
            match upstream.resolve(&base.ws, base_pin, progress) {
                Ok(commit) => Some(commit),
                Err(e @ Error::Upstream(_)) => {
                    result.findings.push(Finding::warning(
                    "verda-patch.toml".into(),
                    None,
                    format!("the base pin cannot be resolved, so edited patches have no interdiff: {e}"),
                ));
                    None
                }
                Err(e) => return Err(e),
            }
        }
        _ => None,
    };
    if let (Some(old), Some(new), Some(old_commit), Some(new_commit)) =
        (&result.base_pin, &result.pin, base_pin_commit, pin_commit)
    {
        if old != new {
            let url = head
                .ws
                .manifest
                .projects
                .get(project)
                .and_then(|s| s.git.as_deref());
            result.pin_bump = Some(pin::summarise(
                &memory,
                &upstream.source,
                url,
                (old, old_commit),
                (new, new_commit),
            )?);
        }
    }
    let base_built = match base_pin_commit {
        Some(commit) => {
            let patches = &base_queue.patches;
            build_until_failure(&memory, commit, patches, Some(&mut cache), progress)?.0
        }
        None => Vec::new(),
    };

    for (h, new) in head_queue.patches.iter().enumerate() {
        let old = paired[h].map(|b| (b, &base_queue.patches[b]));
        let built = BuiltPair {
            old: old.and_then(|(b, _)| base_built.get(b)),
            new: head_built.get(h),
        };
        let change = patch_change(&memory, new, h, old, moved[h], built)?;
        match change {
            Some(change) => result.changes.push(change),
            None => result.unchanged += 1,
        }
    }
    result.changes.extend(removed_changes(&base_queue, &paired));

    if let Some(answers) = &gerrit {
        for change in &mut result.changes {
            change.gerrit = gerrit_state(answers, change.change_id.as_deref());
        }
    }
    if let Some(pin_commit) = pin_commit {
        result.hints = hints(&memory, &head_queue, base_pin_commit, pin_commit)?;
    }
    Ok(result)
}

/// A patch's changes on Gerrit in words; `None` when Gerrit did not answer.
fn gerrit_state(
    answers: &crate::upstream::gerrit::Answers,
    change_id: Option<&str>,
) -> Option<String> {
    let changes = match change_id {
        Some(id) => answers.of(id)?,
        None if answers.warning.is_some() => return None,
        None => &[],
    };
    if changes.is_empty() {
        return Some("not proposed".into());
    }
    Some(
        changes
            .iter()
            .map(|c| c.describe())
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// Head patches that look merged upstream: by ancestry or Change-Id in the
/// whole history up to the pin, and after a pin bump also by patch-id or
/// ChangeLog between the two pins (the rules `rebase` drops patches by).
fn hints(git: &Git, queue: &Queue, base_pin: Option<Oid>, pin: Oid) -> Result<Vec<Hint>> {
    let mut indexes = vec![UpstreamIndex::up_to(git, pin)?];
    if let Some(base_pin) = base_pin {
        if base_pin != pin && git.is_ancestor(base_pin, pin)? {
            indexes.push(UpstreamIndex::build(git, base_pin, pin)?);
        }
    }
    let mut hints = Vec::new();
    for loaded in &queue.patches {
        for index in &indexes {
            if let Some(found) = index.detect(git, loaded)? {
                hints.push(Hint {
                    path: loaded.path.clone(),
                    subject: loaded.patch.subject(),
                    rule: found.rule,
                    why: found.rule.describe().to_string(),
                    commit: found.commit,
                });
                break;
            }
        }
    }
    Ok(hints)
}

/// The built commits of a patch in the base and the head queue, where built.
struct BuiltPair<'a> {
    old: Option<&'a Built>,
    new: Option<&'a Built>,
}

fn files_of(patch: &LoadedPatch) -> Vec<String> {
    let mut files: Vec<String> = parse_diff(&patch.patch.diff)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| f.new_path.or(f.old_path))
        .collect();
    files.dedup();
    files
}

/// How head patch `new` (at index `h`) changed from its base pair, if at all.
fn patch_change(
    git: &Git,
    new: &LoadedPatch,
    h: usize,
    old: Option<(usize, &LoadedPatch)>,
    moved: bool,
    built: BuiltPair<'_>,
) -> Result<Option<PatchChange>> {
    let mut change = PatchChange {
        kinds: Vec::new(),
        path: new.path.clone(),
        old_path: None,
        category: new.category(),
        old_category: None,
        subject: new.patch.subject(),
        old_subject: None,
        change_id: patch::trailer(new.patch.message(), "Change-Id"),
        position: Some(h + 1),
        old_position: None,
        files: files_of(new),
        message_diff: Vec::new(),
        interdiff: None,
        resolution: None,
        note: None,
        gerrit: None,
    };
    let Some((b, old)) = old else {
        change.kinds.push(ChangeKind::Added);
        return Ok(Some(change));
    };
    change.old_path = Some(old.path.clone());
    change.old_category = Some(old.category());
    change.old_position = Some(b + 1);
    if old.patch.subject() != new.patch.subject() {
        change.old_subject = Some(old.patch.subject());
    }
    if old.bytes != new.bytes {
        change.kinds.push(ChangeKind::Edited);
        let (old_message, new_message) = (old.patch.message(), new.patch.message());
        if let Some(diff) =
            interdiff::file_diff("message", old_message.as_bytes(), new_message.as_bytes())
        {
            change.message_diff = diff.lines;
        }
        if old.patch.diff != new.patch.diff {
            match (built.old, built.new) {
                (Some(old_built), Some(new_built)) => {
                    let (interdiff, resolution) =
                        interdiff::interdiff(git, (old_built, old), (new_built, new))?;
                    change.interdiff = Some(interdiff);
                    change.resolution = resolution;
                }
                (_, None) => {
                    change.note =
                        Some("no interdiff: the new queue does not apply up to this patch".into());
                }
                (None, _) => {
                    change.note =
                        Some("no interdiff: the old queue did not apply up to this patch".into());
                }
            }
        } else {
            // The same diff text: the same change, whatever is below it.
            let basis = match (built.old, built.new) {
                (Some(old), Some(new)) if interdiff::same_below(git, old, new)? => Basis::SameBase,
                _ => Basis::Patch,
            };
            change.interdiff = Some(Interdiff {
                basis,
                files: Vec::new(),
            });
        }
    }
    if old.category() != new.category() {
        change.kinds.push(ChangeKind::Recategorised);
    }
    if pair::name(&old.path) != pair::name(&new.path) {
        change.kinds.push(ChangeKind::Renamed);
    }
    if moved {
        change.kinds.push(ChangeKind::Reordered);
    }
    Ok((!change.kinds.is_empty()).then_some(change))
}

/// The base patches no head patch pairs with.
fn removed_changes(base: &Queue, paired: &[Option<usize>]) -> Vec<PatchChange> {
    let kept: BTreeSet<usize> = paired.iter().flatten().copied().collect();
    base.patches
        .iter()
        .enumerate()
        .filter(|(b, _)| !kept.contains(b))
        .map(|(b, old)| PatchChange {
            kinds: vec![ChangeKind::Removed],
            path: old.path.clone(),
            old_path: Some(old.path.clone()),
            category: old.category(),
            old_category: Some(old.category()),
            subject: old.patch.subject(),
            old_subject: None,
            change_id: patch::trailer(old.patch.message(), "Change-Id"),
            position: None,
            old_position: Some(b + 1),
            files: files_of(old),
            message_diff: Vec::new(),
            interdiff: None,
            resolution: None,
            note: None,
            gerrit: None,
        })
        .collect()
}
