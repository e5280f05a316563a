//! Markers of an `apply` or `export` under way:
//! `.verda/in-progress/<project>.json`, written atomically before the
//! operation's first write and removed after its last. A marker that
//! outlives its process means the operation was killed (or failed) half-way:
//! `status` says so and names the command that finishes it, and neither
//! command starts over the other's unfinished work.
//!
//! Finishing is always a forward run of the same command: `apply --force`
//! (everything in custom-source is kept under `refs/verda/backup/` first,
//! then the work tree is rewritten) or `export` again (patch files are
//! rewritten from the commits, which an interrupted export never loses).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::series::Category;
use crate::error::{Error, IoContext, Result};
use crate::fsutil;
use crate::manifest::Workspace;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    Apply,
    Export,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "apply",
            Operation::Export => "export",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InProgress {
    pub operation: Operation,
    pub project: String,
    /// When it started (UTC, RFC 3339).
    pub started: String,
    /// export: the category given for new commits, which finishing repeats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// export: the patch files it deletes (dropped and re-categorised
    /// patches). Once the new series is written nothing else names them,
    /// so a second run learns them here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
}

fn path(ws: &Workspace, project: &str) -> PathBuf {
    ws.state_dir()
        .join("in-progress")
        .join(format!("{project}.json"))
}

impl InProgress {
    pub fn new(operation: Operation, project: &str) -> InProgress {
        InProgress {
            operation,
            project: project.to_string(),
            started: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            category: None,
            remove: Vec::new(),
        }
    }

    /// The marker of `project`, if an apply or export did not finish.
    pub fn load(ws: &Workspace, project: &str) -> Result<Option<InProgress>> {
        let file = path(ws, project);
        fsutil::read_json(&file, &format!("rm {}", ws.rel(&file)))
    }

    /// Write the marker (atomically): from here on the operation counts as
    /// under way until [`InProgress::clear`].
    pub fn save(&self, ws: &Workspace) -> Result<()> {
        fsutil::write_json(&path(ws, &self.project), self)
    }

    /// The operation finished: remove its marker (if there is one).
    pub fn clear(ws: &Workspace, project: &str) -> Result<()> {
        let file = path(ws, project);
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).at(&file),
            _ => Ok(()),
        }
    }

    /// The command that finishes the interrupted operation.
    pub fn recover_command(&self) -> String {
        let project = &self.project;
        match (self.operation, self.category) {
            (Operation::Apply, _) => format!("verda-patch apply --force {project}"),
            (Operation::Export, Some(category)) => {
                format!("verda-patch export --category {category} {project}")
            }
            (Operation::Export, None) => format!("verda-patch export {project}"),
        }
    }

    /// What may be half-done, for a person.
    pub fn what(&self, ws: &Workspace) -> String {
        let project = &self.project;
        match self.operation {
            Operation::Apply => {
                format!("{} may be half-written", ws.rel(&ws.custom_source(project)))
            }
            Operation::Export => format!(
                "patch files in {} may be partly written",
                ws.rel(&ws.patches_dir(project))
            ),
        }
    }

    /// The advice `status` and the refusals give.
    pub fn advice(&self) -> String {
        match self.operation {
            Operation::Apply => format!(
                "run `{}` to finish it (what is in custom-source is kept under refs/verda/backup/ first)",
                self.recover_command()
            ),
            Operation::Export => format!(
                "run `{}` to finish it (it writes the patch files again from the commits)",
                self.recover_command()
            ),
        }
    }
}

/// Before `starting` writes anything: the marker of an interrupted run it
/// may finish (an export finishes an export; `apply --force` an apply), or
/// a refusal naming the command that finishes the other one.
pub fn check(
    ws: &Workspace,
    project: &str,
    starting: Operation,
    force: bool,
) -> Result<Option<InProgress>> {
    let Some(marker) = InProgress::load(ws, project)? else {
        return Ok(None);
    };
    let finishes = marker.operation == starting && (starting == Operation::Export || force);
    if finishes {
        return Ok(Some(marker));
    }
    Err(Error::Refused(format!(
        "{}: an {} of `{project}` started {} was interrupted, and {}; {}",
        ws.rel(&path(ws, project)),
        marker.operation.as_str(),
        marker.started,
        marker.what(ws),
        marker.advice()
    )))
}
