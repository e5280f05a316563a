//! `check`: the CI gate. Every series applies on its pin, manifest, series
//! and patches lint clean. Objects are built in memory; nothing is written
//! to the patch repo or custom-source (only the upstream cache may be filled).

use serde::Serialize;

use super::Queue;
use super::build::{self, Built};
use super::lint::{Finding, Severity, lint_queue};
use crate::error::{Error, Result};
use crate::manifest::Workspace;
use crate::patch::{Patch, PatchDate, Person};
use crate::progress::Progress;
use crate::repo::Git;
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
    let mut parent = pin;
    for (index, loaded) in queue.patches.iter().enumerate() {
        match build::build(
            &memory,
            parent,
            std::slice::from_ref(loaded),
            None,
            progress,
        ) {
            Ok(mut built) => {
                let built = built.remove(0);
                if !normalised(&memory, &built, loaded)? {
                    result.findings.push(Finding::warning(
                        loaded.display(),
                        None,
                        format!(
                            "its diff is not what `export` would write (context, index lines or a 3-way merge); \
                             run `verda-patch apply {project}` and `verda-patch export {project}`"
                        ),
                    ));
                }
                parent = built.commit;
                result.applied.push(built);
            }
            Err(Error::PatchFailed { message, .. }) => {
                result.findings.push(Finding::error(
                    loaded.display(),
                    None,
                    format!("does not apply on {}: {message}", spec.pin),
                ));
                let rest = queue.patches.len() - index - 1;
                if rest > 0 {
                    result.findings.push(Finding::warning(
                        format!("patches/{project}/series"),
                        None,
                        format!("{rest} later patch(es) not tried"),
                    ));
                }
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(result)
}

/// Whether exporting the built commit would give the file's exact bytes.
fn normalised(git: &Git, built: &Built, loaded: &super::LoadedPatch) -> Result<bool> {
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
        &p.message(),
        diff,
    );
    regenerated.extra_headers = p.extra_headers.clone();
    Ok(regenerated.to_bytes() == loaded.bytes)
}
