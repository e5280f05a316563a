//! Lint of a project's queue: what `check` and `review` flag without
//! applying anything.

use std::collections::HashMap;

use serde::Serialize;

use super::series::{Category, category_of};
use super::{Queue, RepoFiles};
use crate::error::Result;
use crate::manifest::Workspace;
use crate::patch::{self, FileChange, parse_diff};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// File relative to the patch repo root.
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl Finding {
    pub fn error(file: String, line: Option<usize>, message: String) -> Finding {
        Finding {
            severity: Severity::Error,
            file,
            line,
            message,
        }
    }

    pub fn warning(file: String, line: Option<usize>, message: String) -> Finding {
        Finding {
            severity: Severity::Warning,
            file,
            line,
            message,
        }
    }
}

/// Values `Upstream-Status:` may start with (after DEP-3 and Yocto).
pub const UPSTREAM_STATUSES: [&str; 6] = [
    "Pending",
    "Submitted",
    "Backport",
    "Accepted",
    "Denied",
    "Inappropriate",
];

pub fn lint_queue(ws: &Workspace, queue: &Queue) -> Vec<Finding> {
    // The work tree cannot fail to list: an unreadable directory lists nothing.
    lint_queue_in(ws, queue, &RepoFiles::WorkTree).unwrap_or_default()
}

/// [`lint_queue`] of the queue as the work tree or a commit of the patch repo has it.
pub fn lint_queue_in(ws: &Workspace, queue: &Queue, files: &RepoFiles<'_>) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let project = &queue.project;
    let series_file = format!("patches/{project}/series");

    // Files in category directories that the series does not list.
    for category in Category::ALL {
        let dir = ws.patches_dir(project).join(category.as_str());
        let Some(names) = files.list(ws, &dir)? else {
            continue;
        };
        for name in names {
            let path = format!("{category}/{name}");
            if name.starts_with('.') {
                continue;
            }
            if queue.series.position(&path).is_none() {
                findings.push(Finding::warning(
                    format!("patches/{project}/{path}"),
                    None,
                    format!("is not listed in {series_file}; add it there or delete it"),
                ));
            }
        }
    }

    let mut change_ids: HashMap<String, String> = HashMap::new();
    for loaded in &queue.patches {
        let file = loaded.display();
        let message = loaded.patch.message();
        match patch::trailer(message, "Change-Id") {
            Some(id) => {
                if let Some(first) = change_ids.insert(id.clone(), loaded.path.clone()) {
                    findings.push(Finding::error(
                        file.clone(),
                        None,
                        format!(
                            "Change-Id {id} is also used by {first}; every patch needs its own"
                        ),
                    ));
                }
            }
            None => findings.push(Finding::warning(
                file.clone(),
                None,
                "has no `Change-Id:` trailer; upstream detection falls back to content".into(),
            )),
        }
        let status = patch::trailer(message, "Upstream-Status");
        match (&status, category_of(&loaded.path)) {
            (None, Some(Category::Upstreamable)) => findings.push(Finding::warning(
                file.clone(),
                None,
                "is upstreamable but has no `Upstream-Status:` (Pending, Submitted <url>, …)"
                    .into(),
            )),
            (Some(value), _) if !UPSTREAM_STATUSES.iter().any(|s| value.starts_with(s)) => findings
                .push(Finding::warning(
                    file.clone(),
                    None,
                    format!(
                        "`Upstream-Status: {value}` is not one of {}",
                        UPSTREAM_STATUSES.join(", ")
                    ),
                )),
            _ => {}
        }
        if patch::Patch::git_am_reads_differently(&loaded.bytes) {
            findings.push(Finding::warning(
                file.clone(),
                None,
                git_am_difference(&loaded.patch),
            ));
        }
        if loaded.patch.to_bytes() != loaded.bytes {
            findings.push(Finding::warning(
                file,
                None,
                format!("is not in the normalised form; `verda-patch apply {project}` then `verda-patch export {project}` rewrites it"),
            ));
        }
    }
    findings.extend(lint_category_scope(queue));
    Ok(findings)
}

/// What Gerrit says about the queue, as warnings: an `upstreamable/` patch
/// that no change carries and no `Upstream-Status: Submitted` names; a
/// `Submitted <url>` whose change was abandoned; a patch whose change merged
/// (naming the release that `rebase --to` drops it with, when the mirror has
/// one). A server that did not answer is a warning naming it. `answers`
/// come from [`super::upstreamed::gerrit_answers`]; `pin` (the mirror and
/// the pin commit) gives the releases.
pub fn lint_gerrit(
    queue: &Queue,
    answers: &crate::upstream::gerrit::Answers,
    pin: Option<(&crate::repo::Git, crate::repo::Oid)>,
) -> Result<Vec<Finding>> {
    use crate::upstream::gerrit::{Status, number_in_url};
    let mut findings = Vec::new();
    if let Some(warning) = &answers.warning {
        findings.push(Finding::warning(
            crate::manifest::MANIFEST.into(),
            None,
            format!("[projects.{}] {warning}", queue.project),
        ));
    }
    let mut merged = Vec::new();
    for (index, loaded) in queue.patches.iter().enumerate() {
        let message = loaded.patch.message();
        let status = patch::trailer(message, "Upstream-Status").unwrap_or_default();
        let submitted = status.strip_prefix("Submitted").map(str::trim);
        let changes = match patch::trailer(message, "Change-Id") {
            Some(id) => answers.of(&id),
            None if answers.warning.is_none() => Some(&[][..]),
            None => None,
        };
        let Some(changes) = changes else { continue };
        if changes.is_empty() && submitted.is_none() && loaded.category() == Category::Upstreamable
        {
            findings.push(Finding::warning(
                loaded.display(),
                None,
                format!(
                    "is upstreamable but not proposed: no change on {} carries its Change-Id; `verda-patch propose {}` sends it",
                    answers.server,
                    loaded.display()
                ),
            ));
        }
        if let Some(url) = submitted.filter(|u| !u.is_empty()) {
            let named = number_in_url(url).and_then(|n| changes.iter().find(|c| c.number == n));
            let abandoned = match named {
                Some(change) => change.status == Status::Abandoned,
                None => {
                    !changes.is_empty() && changes.iter().all(|c| c.status == Status::Abandoned)
                }
            };
            if abandoned {
                findings.push(Finding::warning(
                    loaded.display(),
                    None,
                    format!(
                        "`Upstream-Status: Submitted {url}` but that change was abandoned; restore it on Gerrit, `verda-patch propose` it again, or set `Upstream-Status: Pending` or `Denied <why>`"
                    ),
                ));
            }
        }
        if let Some(change) = changes.iter().find(|c| c.status == Status::Merged) {
            merged.push((index, change.clone()));
        }
    }
    if merged.is_empty() {
        return Ok(findings);
    }
    let releases = match pin {
        Some((git, commit)) => {
            let patches: Vec<_> = merged
                .iter()
                .map(|(i, _)| queue.patches[*i].clone())
                .collect();
            Some(super::upstreamed::standing(git, commit, &patches)?)
        }
        None => None,
    };
    for (n, (index, change)) in merged.iter().enumerate() {
        let loaded = &queue.patches[*index];
        let next = match releases.as_ref().map(|r| &r[n]) {
            Some(super::upstreamed::Standing::Merged { release, .. }) => format!(
                "`verda-patch rebase --to {release} {}` drops it",
                queue.project
            ),
            _ => "no release in the mirror contains it yet (`verda-patch fetch` updates it); `rebase --to` the first that does drops it".into(),
        };
        findings.push(Finding::warning(
            loaded.display(),
            None,
            format!("its change {}; {next}", change.describe()),
        ));
    }
    Ok(findings)
}

/// Says how `git am` would read a message that verda-patch writes framed
/// (behind `X-Verda-Message-Lines:`, each line indented by one blank).
fn git_am_difference(patch: &patch::Patch) -> String {
    let why = match patch.first_patch_break() {
        Some((line, text)) => {
            format!("its line {line} (`{text}`) would end a plain mail's message")
        }
        None => "a plain mail would not carry it unchanged (a header-like first line, a \
                 multi-line subject paragraph or white space)"
            .to_string(),
    };
    format!(
        "its commit message is framed (`X-Verda-Message-Lines:`) because {why}; verda-patch reads it \
         whole, but `git am` and other mail readers take the indented copy in the body as the message. \
         Apply this file with verda-patch, or reword the message"
    )
}

/// Patches outside their category's scope: a `bugfix/` or `upstreamable/`
/// patch that changes a file which only an earlier patch of the queue
/// creates. Upstream does not have that file, so it cannot take the change,
/// and a fix to a downstream feature belongs in that feature's patch.
fn lint_category_scope(queue: &Queue) -> Vec<Finding> {
    let mut findings = Vec::new();
    // Files created by the queue so far: path -> the patch that creates it.
    let mut created: HashMap<String, &str> = HashMap::new();
    for loaded in &queue.patches {
        let Ok(files) = parse_diff(&loaded.patch.diff) else {
            continue; // reported when the queue is applied
        };
        for file in &files {
            match (&file.change, &file.old_path, &file.new_path) {
                (FileChange::Add, _, Some(path)) => {
                    created.insert(path.clone(), &loaded.path);
                }
                (_, Some(path), _) if loaded.category() != Category::Feature => {
                    if let Some(creator) = created.get(path.as_str()) {
                        findings.push(Finding::warning(
                            loaded.display(),
                            None,
                            format!(
                                "is {} but changes `{path}`, which upstream does not have ({creator} creates it); \
                                 fold the change into {creator} or move this patch to feature/",
                                loaded.category()
                            ),
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    findings
}
