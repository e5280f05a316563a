//! The patch queue of a project: its series and patch files, and the
//! operations on them.
//!
//! Imports run one way: {`journal`, `custom_source`} ← {`apply`, `export`,
//! `import`} ← `replay` ← {`rebase`, `pick`, `propose`} ← {`upgrade`,
//! `status`} (`propose` imports neither `rebase` nor `pick`; it uses
//! `build` and the engine; `upgrade` runs `rebase` per project). The map:
//!
//! | command | file | state in `.verda/` | crash points |
//! |---|---|---|---|
//! | `apply` | `apply.rs` (+ `build.rs`) | `in-progress/<p>.json` (step) | `apply-started`, `apply-objects-written`, `apply-backup-refs`, `worktree-*`, `apply-pin-moved`, `apply-head-moved`, `apply-state-saved` |
//! | `export` | `export.rs` | `in-progress/<p>.json` (step) | `export-started`, `export-patch-written`, `export-patches-written`, `export-series-written`, `export-file-removed`, `export-backup-ref`, `export-head-moved`, `export-state-saved` |
//! | `import` | `import.rs` | `in-progress/<p>.json` (step) | `import-started`, `import-patch-written`, `import-series-written` |
//! | `rebase` | `rebase.rs` + `replay.rs` | `journal/<p>/` (record + backup) | `journal-*`, `rebase-state-saved`, `replay-*`, `rebase-worktree-moved`, `rebase-pin-moved`, and apply's and export's |
//! | `cherry-pick` | `pick.rs` + `replay.rs` | `journal/<p>/` (record + backup) | `journal-*`, `replay-item-done`, `replay-resolution-taken`, `replay-aborted`, and apply's and export's |
//! | `propose` | `propose.rs` + `replay.rs` | `journal/<p>/` (record + backup); its work tree `propose/<p>/` | `journal-*`, `replay-item-done`, `replay-resolution-taken`, `replay-aborted`, `propose-pushed`, `propose-recorded`, `propose-patch-written` |
//! | `rebase --to <series>` | `upgrade.rs` (+ `rebase.rs` per project) | `journal/.upgrade.json` (one per patch repo: mapping, progress, finished projects), beside the project's rebase record | `upgrade-started`, `upgrade-project-rebased`, `upgrade-project-done`, and rebase's |
//! | `status` | `status.rs` | reads `journal::pending` | — |
//!
//! Which operation may start while another is pending is the table in
//! `journal.rs`.

pub mod apply;
pub mod build;
pub mod check;
pub mod custom_source;
pub mod export;
pub mod files;
pub mod import;
pub mod journal;
pub mod lint;
pub mod pick;
pub mod propose;
pub mod rebase;
pub(crate) mod replay;
pub mod resolutions;
pub mod series;
pub mod status;
pub mod upgrade;
pub mod upstreamed;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::manifest::Workspace;
use crate::patch::Patch;
pub use files::RepoFiles;
use series::{Category, Series};

/// A patch file of the queue, read and parsed.
#[derive(Debug, Clone)]
pub struct LoadedPatch {
    /// Path relative to `patches/<project>/`, as the series names it.
    pub path: String,
    pub file: PathBuf,
    pub bytes: Vec<u8>,
    pub patch: Patch,
}

impl LoadedPatch {
    pub fn category(&self) -> Category {
        series::category_of(&self.path).expect("series paths are validated")
    }

    /// Path as a user sees it from the patch repo root.
    pub fn display(&self) -> String {
        format!("patches/{}", self.file_rel())
    }

    fn file_rel(&self) -> String {
        let text = self.file.to_string_lossy();
        match text.rfind("/patches/") {
            Some(i) => text[i + "/patches/".len()..].to_string(),
            None => self.path.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Queue {
    pub project: String,
    pub series: Series,
    pub patches: Vec<LoadedPatch>,
}

impl Queue {
    /// Read the series and every patch it names. A missing series is an
    /// empty queue; a series entry without its file, or a malformed patch,
    /// is an error naming it.
    pub fn load(ws: &Workspace, project: &str) -> Result<Queue> {
        Queue::load_from(ws, project, &RepoFiles::WorkTree)
    }

    /// Like [`Queue::load`], from the work tree or a commit of the patch repo.
    pub fn load_from(ws: &Workspace, project: &str, files: &RepoFiles<'_>) -> Result<Queue> {
        let series_path = ws.series_path(project);
        let series = match files.read(ws, &series_path)? {
            Some(bytes) => {
                let shown = files.show(ws, &series_path);
                let text = String::from_utf8(bytes)
                    .map_err(|_| Error::invalid(&shown, None, "is not UTF-8 text"))?;
                Series::parse(&text, Path::new(&shown))?
            }
            None => Series::default(),
        };
        let dir = ws.patches_dir(project);
        let mut patches = Vec::with_capacity(series.entries.len());
        for entry in &series.entries {
            let file = dir.join(&entry.path);
            let Some(bytes) = files.read(ws, &file)? else {
                return Err(Error::invalid(
                    files.show(ws, &series_path),
                    Some(entry.line),
                    format!(
                        "`{}` is listed but {} does not exist; restore the file or remove the line",
                        entry.path,
                        ws.rel(&file)
                    ),
                ));
            };
            let patch = Patch::parse(&bytes)
                .map_err(|e| Error::invalid(files.show(ws, &file), e.line(), e.to_string()))?;
            patches.push(LoadedPatch {
                path: entry.path.clone(),
                file,
                bytes,
                patch,
            });
        }
        Ok(Queue {
            project: project.to_string(),
            series,
            patches,
        })
    }

    /// A digest of the series and every patch's bytes: tells whether the
    /// queue changed since it was last applied or exported.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.series.render().as_bytes());
        for patch in &self.patches {
            hasher.update(patch.path.as_bytes());
            hasher.update([0]);
            hasher.update(&patch.bytes);
        }
        crate::hex(&hasher.finalize()[..16])
    }
}

/// What `apply`/`export` remember about custom-source in `.verda/`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct AppliedState {
    pub pin: String,
    pub pin_commit: String,
    pub head: String,
    pub fingerprint: String,
}

impl AppliedState {
    fn path(ws: &Workspace, project: &str) -> PathBuf {
        ws.state_dir()
            .join("applied")
            .join(format!("{project}.json"))
    }

    pub fn load(ws: &Workspace, project: &str) -> Option<AppliedState> {
        let bytes = std::fs::read(Self::path(ws, project)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn save(&self, ws: &Workspace, project: &str) -> Result<()> {
        fsutil::write_json(&Self::path(ws, project), self)
    }
}
