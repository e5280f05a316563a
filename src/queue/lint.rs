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
        if patch::Patch::git_am_reads_differently(&loaded.bytes).is_some() {
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

/// Says how `git am` would read a message that verda-patch reads whole
/// (behind `X-Verda-Message-Lines:`).
fn git_am_difference(patch: &patch::Patch) -> String {
    let what = match patch.first_patch_break() {
        Some((line, text)) => {
            format!("it would end the message at its line {line} (`{text}`) and lose what follows")
        }
        None => "it would change the message (a header-like first line, the subject \
                 paragraph or blank space)"
            .to_string(),
    };
    format!(
        "`git am` (and other mail readers) would read its commit message differently: {what}; \
         verda-patch reads the whole message (the `X-Verda-Message-Lines:` header). \
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
