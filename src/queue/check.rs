//! `check`: the CI gate. Every series applies on its pin, manifest, series
//! and patches lint clean. Objects are built in memory; nothing is written
//! to the patch repo or custom-source (only the upstream cache may be filled).

use serde::Serialize;

use super::build::{self, ALREADY_APPLIED, ALREADY_APPLIED_HINT, ApplyCache, Built, How};
use super::lint::{Finding, Severity, lint_queue};
use super::{LoadedPatch, Queue};
use crate::error::{Error, Result};
use crate::manifest::Workspace;
use crate::patch::{Patch, PatchDate, Person};
use crate::progress::Progress;
use crate::repo::{Git, Oid};
use crate::upstream::Upstream;

#[derive(Debug, Serialize)]
pub struct ProjectCheck {
    pub project: String,
    pub pin: String,
    pub patches: usize,
    pub applied: Vec<Built>,
    pub findings: Vec<Finding>,
}

impl ProjectCheck {
    pub fn ok(&self) -> bool {
        self.findings.iter().all(|f| f.severity < Severity::Error)
    }
}

pub fn check(ws: &Workspace, project: &str, progress: &dyn Progress) -> Result<ProjectCheck> {
    let spec = ws.project(project)?;
    let mut result = ProjectCheck {
        project: project.to_string(),
        pin: spec.pin.clone(),
        patches: 0,
        applied: Vec::new(),
        findings: Vec::new(),
    };
    let queue = match Queue::load(ws, project) {
        Ok(queue) => queue,
        Err(Error::Invalid {
            file,
            line,
            message,
        }) => {
            result
                .findings
                .push(Finding::error(ws.rel(&file), line, message));
            return Ok(result);
        }
        Err(e) => return Err(e),
    };
    result.patches = queue.patches.len();
    result.findings.extend(lint_queue(ws, &queue));

    let upstream = Upstream::open(ws, project)?;
    let pin = match upstream.resolve(ws, &spec.pin, progress) {
        Ok(pin) => pin,
        Err(e @ Error::Upstream(_)) => {
            result.findings.push(Finding::error(
                "verda-patch.toml".into(),
                None,
                e.to_string(),
            ));
            return Ok(result);
        }
        Err(e) => return Err(e),
    };
    let memory = Git::open_in_memory(upstream.mirror.path())?;
    let (applied, findings) = build_checked(&memory, pin, &spec.pin, &queue, None, progress)?;
    result.applied = applied;
    result.findings.extend(findings);
    Ok(result)
}

/// Where a queue stopped applying: the patch's index and why.
#[derive(Debug, Clone)]
pub struct Stop {
    pub index: usize,
    pub message: String,
}

/// Build `patches` on `pin` one at a time, as far as they apply.
pub fn build_until_failure(
    git: &Git,
    pin: Oid,
    patches: &[LoadedPatch],
    mut cache: Option<&mut ApplyCache>,
    progress: &dyn Progress,
) -> Result<(Vec<Built>, Option<Stop>)> {
    let mut parent = pin;
    let mut applied = Vec::with_capacity(patches.len());
    for (index, loaded) in patches.iter().enumerate() {
        match build::build_keeping_applied(
            git,
            parent,
            std::slice::from_ref(loaded),
            cache.as_deref_mut(),
            progress,
        ) {
            Ok(mut built) => {
                let built = built.remove(0);
                parent = built.commit;
                applied.push(built);
            }
            Err(Error::PatchFailed { message, .. }) => {
                return Ok((applied, Some(Stop { index, message })));
            }
            Err(e) => return Err(e),
        }
    }
    Ok((applied, None))
}

/// Build the queue on `pin` (named `pin_name` in messages) as far as it
/// applies, with a finding for the patch that does not apply and for each
/// patch whose file is not what `export` would write.
pub fn build_checked(
    git: &Git,
    pin: Oid,
    pin_name: &str,
    queue: &Queue,
    cache: Option<&mut ApplyCache>,
    progress: &dyn Progress,
) -> Result<(Vec<Built>, Vec<Finding>)> {
    let project = &queue.project;
    let mut findings = Vec::new();
    let (applied, stop) = build_until_failure(git, pin, &queue.patches, cache, progress)?;
    for (built, loaded) in applied.iter().zip(&queue.patches) {
        if built.how == How::AlreadyApplied {
            findings.push(Finding::error(
                loaded.display(),
                None,
                format!("{ALREADY_APPLIED}; {ALREADY_APPLIED_HINT}"),
            ));
        } else if !normalised(git, built, loaded)? {
            findings.push(Finding::warning(
                loaded.display(),
                None,
                format!(
                    "its diff is not what `export` would write (context, index lines or a 3-way merge); \
                     run `verda-patch apply {project}` and `verda-patch export {project}`"
                ),
            ));
        }
    }
    if let Some(stop) = stop {
        findings.push(Finding::error(
            queue.patches[stop.index].display(),
            None,
            format!("does not apply on {pin_name}: {}", stop.message),
        ));
        let rest = queue.patches.len() - stop.index - 1;
        if rest > 0 {
            findings.push(Finding::warning(
                format!("patches/{project}/series"),
                None,
                format!("{rest} later patch(es) not tried"),
            ));
        }
    }
    Ok((applied, findings))
}

/// Whether exporting the built commit would give the file's exact bytes.
fn normalised(git: &Git, built: &Built, loaded: &LoadedPatch) -> Result<bool> {
    let info = git.commit_info(built.commit)?;
    let parent_tree = git.commit_info(info.parents[0])?.tree;
    let diff = git.diff_trees(parent_tree, info.tree)?;
    let p = &loaded.patch;
    let mut regenerated = Patch::from_message(
        Person {
            name: p.author.name.clone(),
            email: p.author.email.clone(),
        },
        PatchDate {
            seconds: p.date.seconds,
            offset_minutes: p.date.offset_minutes,
        },
        p.message(),
        diff,
    );
    regenerated.extra_headers = p.extra_headers.clone();
    Ok(regenerated.to_bytes() == loaded.bytes)
}
