//! The journal: the one record of what is in progress in a project, and
//! the one table of which operation may start beside which. It imports no
//! operation; every writing operation asks it before its first write, and
//! `status` reads it.
//!
//! Two slots per project, because a sequence runs steps, and one above them:
//!
//! * the **step** (`apply`, `export`, `import`): `.verda/in-progress/<project>.json`,
//!   written atomically before the step's first write and removed after its
//!   last ([`Step`]). Killed in between, it stays: an apply is finished by
//!   `apply --force`, an export by `export` again, and an import is undone
//!   (it is all or nothing) by the next command that starts.
//! * the **sequence** (`rebase`, `cherry-pick`, `propose`):
//!   `.verda/journal/<project>/record.json` (kind, start, the operation's
//!   payload) and `backup/`, the byte-for-byte copy of the manifest and
//!   `patches/<project>/` that `--abort` restores ([`Record`]). A sequence
//!   runs `apply` and `export` as steps; its `--continue` / `--abort`
//!   finish or undo a step it was killed in. A `propose` runs no step: it
//!   works in a work tree of its own and writes one patch file.
//! * the **upgrade** (`rebase --to <series>`, one per patch repo):
//!   `.verda/journal/.upgrade.json`, above the rebase of the project it is
//!   at (see the table and `upgrade.rs`).
//!
//! Crash points: `journal-backup-written`, `journal-record-saved`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::series::Category;
use crate::error::{Error, IoContext, Recover, Result};
use crate::fsutil;
use crate::manifest::Workspace;

/// The writing operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Apply,
    Export,
    Import,
    Rebase,
    CherryPick,
    Propose,
    /// A series-wide upgrade: the rebases of several projects, one after
    /// the other (`rebase --to <series>`, `upgrade.rs`).
    Upgrade,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Apply => "apply",
            Kind::Export => "export",
            Kind::Import => "import",
            Kind::Rebase => "rebase",
            Kind::CherryPick => "cherry-pick",
            Kind::Propose => "propose",
            Kind::Upgrade => "upgrade",
        }
    }

    /// "an apply", "a rebase": for messages.
    fn article(self) -> &'static str {
        match self {
            Kind::Apply | Kind::Export | Kind::Import | Kind::Upgrade => "an",
            Kind::Rebase | Kind::CherryPick | Kind::Propose => "a",
        }
    }

    /// A sequence that runs `apply` and `export` as its own steps (so its
    /// `--continue` / `--abort` finish or undo a step it was killed in).
    pub(crate) fn covers_steps(self) -> bool {
        matches!(self, Kind::Rebase | Kind::CherryPick)
    }
}

/// What the journal says when `starting` asks to start while `pending` is
/// recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// The two touch different things (or `starting` finishes `pending`'s
    /// job anyway).
    Runs,
    /// `starting` finishes the interrupted `pending` (same operation).
    Finishes,
    /// An interrupted import is undone first: it is all or nothing.
    UndoesFirst,
    Refused,
}

/// The table: may `starting` start while `pending` is recorded? `forced`
/// is `apply --force`.
///
/// | pending ↓ / starting → | apply          | export   | import  | rebase  | cherry-pick | propose |
/// |------------------------|----------------|----------|---------|---------|-------------|---------|
/// | apply (interrupted)    | with `--force` | refused  | runs    | refused | refused     | runs    |
/// | export (interrupted)   | refused        | finishes | refused | refused | refused     | refused |
/// | import (interrupted)   | undoes first   | undoes first | undoes first | undoes first | undoes first | undoes first |
/// | rebase                 | refused        | refused  | refused | refused | refused     | refused |
/// | cherry-pick            | refused        | refused  | refused | refused | refused     | refused |
/// | propose                | runs           | refused  | refused | refused | refused     | refused |
/// | upgrade                | runs           | runs     | runs    | refused¹ | runs       | runs    |
///
/// and an upgrade (column) starts only when none of its projects has
/// anything pending (every row above refuses it), nor another upgrade.
///
/// ¹ except the rebase the upgrade runs itself, of the project it is at.
/// An upgrade (`rebase --to <series>`, `upgrade.rs`) is recorded once for
/// the patch repo (`.verda/journal/.upgrade.json`), above the rebase of
/// the project it is at (which has its own record and backup). Only a
/// rebase of another project is refused beside it (the upgrade rebases
/// each project itself, and `rebase --continue` goes on with it); other
/// operations on a project the upgrade finished or has not reached touch
/// nothing the upgrade keeps: a project not reached yet is rebased from
/// whatever its queue is when the upgrade gets to it, and one pending
/// there (a cherry-pick) stops the upgrade with its own message.
///
/// Why: an import writes only patch files and `series`, which a killed
/// apply never touched (`apply --force` then builds the longer queue); a
/// killed export rewrites `series` from the commits, which would drop what
/// an import adds. A rebase or cherry-pick owns custom-source and the
/// patch repo until `--continue` or `--abort`; `export` during a stopped
/// cherry-pick is refused too, since the pick's `--continue` exports and
/// its `--abort` would silently undo what that export wrote.
///
/// A propose works in a work tree of its own (`.verda/propose/<project>`)
/// and never touches custom-source, so `apply` runs beside it (and a
/// propose beside a killed apply: it builds the queue from the patch files,
/// not from custom-source). It does own the patch repo: its `--continue`
/// writes `Upstream-Status: Submitted` into the patch file and its
/// `--abort` restores `patches/<project>/` byte for byte, which would
/// silently undo an export or import made meanwhile; so those are refused
/// beside it, and a propose is refused beside a killed export (finishing
/// the export would write the patch file again from its commit, without
/// the status). Only one sequence is recorded per project: a rebase or
/// cherry-pick and a propose refuse each other.
fn rule(pending: Kind, starting: Kind, forced: bool) -> Rule {
    use Kind::*;
    match (pending, starting) {
        (Import, _) => Rule::UndoesFirst,
        (Apply, Apply) if forced => Rule::Finishes,
        (Apply, Import | Propose) => Rule::Runs,
        (Export, Export) => Rule::Finishes,
        (Propose, Apply) => Rule::Runs,
        (Upgrade, Rebase | Upgrade) => Rule::Refused,
        (Upgrade, _) => Rule::Runs,
        _ => Rule::Refused,
    }
}

// ---- the step slot ------------------------------------------------------

/// An `apply`, `export` or `import` under way (or killed half-way).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Step {
    pub operation: Kind,
    pub project: String,
    /// When it started (UTC, RFC 3339).
    pub started: String,
    /// export: the category given for new commits, which finishing repeats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// export: the patch files it deletes (dropped and re-categorised
    /// patches). Once the new series is written nothing else names them,
    /// so a second run learns them here. import: the patch files it
    /// writes, removed again if it never listed them in `series`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
}

fn step_path(ws: &Workspace, project: &str) -> PathBuf {
    ws.state_dir()
        .join("in-progress")
        .join(format!("{project}.json"))
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Step {
    pub(crate) fn new(operation: Kind, project: &str) -> Step {
        Step {
            operation,
            project: project.to_string(),
            started: now(),
            category: None,
            remove: Vec::new(),
        }
    }

    /// The step of `project` that did not finish, if any.
    pub(crate) fn load(ws: &Workspace, project: &str) -> Result<Option<Step>> {
        let file = step_path(ws, project);
        fsutil::read_json(&file, &format!("rm {}", ws.rel(&file)))
    }

    /// Write the marker (atomically): from here on the step counts as
    /// under way until [`Step::clear`].
    pub(crate) fn save(&self, ws: &Workspace) -> Result<()> {
        fsutil::write_json(&step_path(ws, &self.project), self)
    }

    /// The step finished: remove its marker (if there is one).
    pub(crate) fn clear(ws: &Workspace, project: &str) -> Result<()> {
        let file = step_path(ws, project);
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).at(&file),
            _ => Ok(()),
        }
    }

    /// What finishes the interrupted step.
    pub fn recover(&self) -> Recover {
        let project = &self.project;
        let (finish, note) = match (self.operation, self.category) {
            (Kind::Apply, _) => (
                format!("verda-patch apply --force {project}"),
                "what is in custom-source is kept under refs/verda/backup/ first",
            ),
            (Kind::Export, Some(category)) => (
                format!("verda-patch export --category {category} {project}"),
                "it writes the patch files again from the commits",
            ),
            (Kind::Export, None) => (
                format!("verda-patch export {project}"),
                "it writes the patch files again from the commits",
            ),
            _ => (
                format!("verda-patch import --project {project} FILE…"),
                "the next command first removes what the interrupted import wrote",
            ),
        };
        Recover {
            finish,
            note: Some(note.to_string()),
            skip: None,
            undo: None,
        }
    }

    /// What may be half-done, for a person.
    pub fn what(&self, ws: &Workspace) -> String {
        let project = &self.project;
        match self.operation {
            Kind::Apply => {
                format!("{} may be half-written", ws.rel(&ws.custom_source(project)))
            }
            Kind::Import => format!(
                "patch files in {} may be written but not listed in its series",
                ws.rel(&ws.patches_dir(project))
            ),
            _ => format!(
                "patch files in {} may be partly written",
                ws.rel(&ws.patches_dir(project))
            ),
        }
    }

    /// An import is all or nothing: remove the files a killed one wrote
    /// and never listed in `series` (if it listed them, it had finished).
    fn undo_import(&self, ws: &Workspace) -> Result<()> {
        let series = std::fs::read_to_string(ws.series_path(&self.project)).unwrap_or_default();
        let listed = |path: &str| series.lines().any(|l| l.trim() == path);
        if !self.remove.iter().any(|p| listed(p)) {
            for path in &self.remove {
                let file = ws.patches_dir(&self.project).join(path);
                match std::fs::remove_file(&file) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(e).at(&file);
                    }
                    _ => {}
                }
            }
        }
        Step::clear(ws, &self.project)
    }
}

// ---- the sequence slot --------------------------------------------------

/// A rebase, cherry-pick or propose in progress: who, since when, and the
/// operation's own payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Record<P> {
    pub kind: Kind,
    pub project: String,
    pub started: String,
    pub payload: P,
}

/// The record without its payload, for guards and `status`.
#[derive(Debug, Clone, Deserialize)]
struct Head {
    kind: Kind,
    started: String,
}

fn sequence_dir(ws: &Workspace, project: &str) -> PathBuf {
    ws.state_dir().join("journal").join(project)
}

fn record_path(ws: &Workspace, project: &str) -> PathBuf {
    sequence_dir(ws, project).join("record.json")
}

fn backup_dir(ws: &Workspace, project: &str) -> PathBuf {
    sequence_dir(ws, project).join("backup")
}

fn head(ws: &Workspace, project: &str) -> Result<Option<Head>> {
    refuse_legacy_state(ws, project)?;
    let file = record_path(ws, project);
    fsutil::read_json(
        &file,
        &format!("rm -r {}", ws.rel(&sequence_dir(ws, project))),
    )
}

/// Before the journal, a rebase or cherry-pick kept its state in
/// `.verda/rebase/<project>/` or `.verda/cherry-pick/<project>/`, and a
/// propose in `.verda/propose/<project>.json`. One left by an older
/// verda-patch is refused, not ignored: its backup (a propose's: its work
/// tree, with the user's resolution) is the user's only way back.
fn refuse_legacy_state(ws: &Workspace, project: &str) -> Result<()> {
    for (dir, command) in [
        ("rebase", format!("rebase --abort {project}")),
        (
            "cherry-pick",
            format!("cherry-pick --abort --project {project}"),
        ),
    ] {
        let old = ws.state_dir().join(dir).join(project);
        if old.join("state.json").exists() {
            return Err(Error::Refused(format!(
                "{} holds a {dir} started by an older verda-patch; finish it or undo it with that version \
                 (`verda-patch {command}`), or restore its backup from {}/backup by hand and remove the directory",
                ws.rel(&old),
                ws.rel(&old)
            )));
        }
    }
    // A propose kept `.verda/propose/<project>.json` beside its work tree,
    // which holds the user's resolution (nothing else was written).
    let old = ws.state_dir().join("propose");
    let state = old.join(format!("{project}.json"));
    if state.exists() {
        return Err(Error::Refused(format!(
            "{} holds a propose stopped by an older verda-patch; finish it with that version \
             (`verda-patch propose --continue --project {project}`), or drop it by removing {} and {}",
            ws.rel(&state),
            ws.rel(&state),
            ws.rel(&old.join(project))
        )));
    }
    Ok(())
}

/// How to finish, skip in or undo a rebase, cherry-pick or propose of
/// `project`.
pub fn sequence_recover(kind: Kind, project: &str) -> Recover {
    let flag = |what: &str| match kind {
        Kind::CherryPick | Kind::Propose => {
            format!("verda-patch {} {what} --project {project}", kind.as_str())
        }
        // One upgrade at a time: its commands need no project.
        Kind::Upgrade => format!("verda-patch rebase {what}"),
        _ => format!("verda-patch {} {what} {project}", kind.as_str()),
    };
    Recover {
        finish: flag("--continue"),
        note: None,
        // cherry-pick has no --skip: a pick the user does not want is
        // undone with --abort and picked again without it; a propose has
        // one item.
        skip: matches!(kind, Kind::Rebase | Kind::Upgrade).then(|| flag("--skip")),
        undo: Some(flag("--abort")),
    }
}

impl<P: Serialize + DeserializeOwned> Record<P> {
    /// Start a sequence: the backup of the patch repo first (marked
    /// complete last), then the record. Callers ask [`guard`] before.
    pub(crate) fn begin(ws: &Workspace, kind: Kind, project: &str, payload: P) -> Result<Self> {
        backup_patch_repo(ws, project, &backup_dir(ws, project))?;
        crate::crash_point("journal-backup-written");
        let record = Record {
            kind,
            project: project.to_string(),
            started: now(),
            payload,
        };
        record.save(ws)?;
        crate::crash_point("journal-record-saved");
        Ok(record)
    }

    /// The sequence of `kind` in progress in `project`, if that is what
    /// is recorded.
    pub(crate) fn load(ws: &Workspace, kind: Kind, project: &str) -> Result<Option<Self>> {
        if head(ws, project)?.is_none_or(|h| h.kind != kind) {
            return Ok(None);
        }
        let file = record_path(ws, project);
        fsutil::read_json(
            &file,
            &sequence_recover(kind, project).undo.unwrap_or_default(),
        )
    }

    /// Like [`Record::load`], a usage error when there is none.
    pub(crate) fn expect(ws: &Workspace, kind: Kind, project: &str) -> Result<Self> {
        let what = match kind {
            Kind::CherryPick => format!("no cherry-pick into `{project}` is in progress"),
            _ => format!("no {} of `{project}` is in progress", kind.as_str()),
        };
        Self::load(ws, kind, project)?.ok_or(Error::Usage(what))
    }

    pub(crate) fn save(&self, ws: &Workspace) -> Result<()> {
        fsutil::write_json(&record_path(ws, &self.project), self)
    }
}

/// The sequence finished: forget it (and its backup).
pub(crate) fn end(ws: &Workspace, project: &str) -> Result<()> {
    let dir = sequence_dir(ws, project);
    match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).at(&dir),
        _ => Ok(()),
    }
}

/// `--abort`: the manifest and `patches/<project>/` back byte for byte,
/// and a step the sequence was killed in is undone with them (a propose
/// runs no step: an apply killed beside it stays for `apply --force`).
pub(crate) fn restore(ws: &Workspace, project: &str) -> Result<()> {
    let covers_steps = head(ws, project)?.is_some_and(|h| h.kind.covers_steps());
    restore_patch_repo(ws, project, &backup_dir(ws, project))?;
    if covers_steps {
        Step::clear(ws, project)?;
    }
    Ok(())
}

// ---- what is pending, and the guard -------------------------------------

/// One operation in progress (or killed half-way), for `status` and guards.
#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    pub kind: Kind,
    pub started: String,
    /// How to finish (or undo) it.
    pub recover: Recover,
}

/// What is in progress in `project`: the sequence first, then a step
/// outside it (a sequence covers the step it runs).
pub(crate) fn pending(ws: &Workspace, project: &str) -> Result<Option<Pending>> {
    if let Some(head) = head(ws, project)? {
        return Ok(Some(Pending {
            kind: head.kind,
            started: head.started,
            recover: sequence_recover(head.kind, project),
        }));
    }
    Ok(Step::load(ws, project)?.map(|step| Pending {
        kind: step.operation,
        started: step.started.clone(),
        recover: step.recover(),
    }))
}

/// Before `starting` writes anything in `project`: refuse if the table
/// says so, undo an interrupted import, or hand back the interrupted step
/// that `starting` finishes. `forced` is `apply --force`.
pub(crate) fn guard(
    ws: &Workspace,
    project: &str,
    starting: Kind,
    forced: bool,
) -> Result<Option<Step>> {
    guard_sequence(ws, project, starting)?;
    guard_step(ws, project, starting, forced)
}

/// The sequence part of [`guard`]: nothing starts beside a rebase or
/// cherry-pick in progress, only `apply` beside a propose.
pub(crate) fn guard_sequence(ws: &Workspace, project: &str, starting: Kind) -> Result<()> {
    if let Some(head) =
        head(ws, project)?.filter(|h| rule(h.kind, starting, false) == Rule::Refused)
    {
        let message = match head.kind {
            Kind::CherryPick => format!("a cherry-pick into `{project}` is in progress"),
            kind => format!(
                "{} {} of `{project}` is in progress",
                kind.article(),
                kind.as_str()
            ),
        };
        return Err(Error::Blocked {
            message,
            recover: sequence_recover(head.kind, project),
        });
    }
    if let Some(upgrade) = upgrade_head(ws)? {
        let its_own = starting == Kind::Rebase && upgrade.project == project;
        if !its_own && rule(Kind::Upgrade, starting, false) == Rule::Refused {
            return Err(Error::Blocked {
                message: format!(
                    "an upgrade is in progress (at `{}`, since {})",
                    upgrade.project, upgrade.started
                ),
                recover: sequence_recover(Kind::Upgrade, &upgrade.project),
            });
        }
    }
    Ok(())
}

// ---- the upgrade slot ---------------------------------------------------

/// The upgrade's record: one per patch repo. Project names never start
/// with a dot, so it cannot collide with a project's directory.
fn upgrade_path(ws: &Workspace) -> PathBuf {
    ws.state_dir().join("journal").join(".upgrade.json")
}

/// The upgrade record without its payload, for guards.
#[derive(Debug, Clone, Deserialize)]
struct UpgradeHead {
    /// The project it is at.
    project: String,
    started: String,
}

fn upgrade_head(ws: &Workspace) -> Result<Option<UpgradeHead>> {
    let file = upgrade_path(ws);
    fsutil::read_json(&file, &format!("rm {}", ws.rel(&file)))
}

/// The upgrade in progress, if any (its `project` is the one it is at).
pub(crate) fn load_upgrade<P: DeserializeOwned>(ws: &Workspace) -> Result<Option<Record<P>>> {
    let file = upgrade_path(ws);
    fsutil::read_json(&file, &format!("rm {}", ws.rel(&file)))
}

/// Record the upgrade (atomically): started, or moved on to a project.
pub(crate) fn save_upgrade<P: Serialize>(ws: &Workspace, record: &Record<P>) -> Result<()> {
    fsutil::write_json(&upgrade_path(ws), record)
}

/// A new upgrade record, not saved yet.
pub(crate) fn new_upgrade<P>(project: &str, payload: P) -> Record<P> {
    Record {
        kind: Kind::Upgrade,
        project: project.to_string(),
        started: now(),
        payload,
    }
}

/// The upgrade finished or was given up: forget it.
pub(crate) fn end_upgrade(ws: &Workspace) -> Result<()> {
    let file = upgrade_path(ws);
    match std::fs::remove_file(&file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).at(&file),
        _ => Ok(()),
    }
}

/// The step part of [`guard`], for a sequence that runs its own steps.
pub(crate) fn guard_step(
    ws: &Workspace,
    project: &str,
    starting: Kind,
    forced: bool,
) -> Result<Option<Step>> {
    let Some(step) = Step::load(ws, project)? else {
        return Ok(None);
    };
    match rule(step.operation, starting, forced) {
        Rule::Runs => Ok(None),
        Rule::Finishes => Ok(Some(step)),
        Rule::UndoesFirst => {
            step.undo_import(ws)?;
            Ok(None)
        }
        Rule::Refused => Err(Error::Blocked {
            message: format!(
                "{}: {} {} of `{project}` started {} was interrupted, and {}",
                ws.rel(&step_path(ws, project)),
                step.operation.article(),
                step.operation.as_str(),
                step.started,
                step.what(ws)
            ),
            recover: step.recover(),
        }),
    }
}

// ---- the byte-for-byte backup of the patch repo -------------------------

/// Copy the manifest and `patches/<project>/` into `backup`, marking it
/// complete last: `restore_patch_repo` trusts only a complete backup.
fn backup_patch_repo(ws: &Workspace, project: &str, backup: &Path) -> Result<()> {
    if backup.exists() {
        std::fs::remove_dir_all(backup).at(backup)?;
    }
    fsutil::write_atomic(
        &backup.join("verda-patch.toml"),
        &fsutil::read(&ws.manifest_path())?,
    )?;
    copy_tree(&ws.patches_dir(project), &backup.join("patches"), false)?;
    fsutil::write_atomic(&backup.join(".complete"), b"")
}

/// Put the manifest and `patches/<project>/` back byte for byte.
fn restore_patch_repo(ws: &Workspace, project: &str, backup: &Path) -> Result<()> {
    if !backup.join(".complete").exists() {
        // Interrupted before the backup finished: nothing was changed yet.
        return Ok(());
    }
    fsutil::write_if_changed(
        &ws.manifest_path(),
        &fsutil::read(&backup.join("verda-patch.toml"))?,
    )?;
    let patches = ws.patches_dir(project);
    if patches.exists() {
        std::fs::remove_dir_all(&patches).at(&patches)?;
    }
    copy_tree(&backup.join("patches"), &patches, true)
}

/// Copy a directory tree. `durable` writes each file atomically with an
/// fsync (restoring the user's files); the backup copies without, since a
/// process that dies mid-copy never wrote the synced `.complete` marker, and
/// an abort trusts only a marked backup (one fsync instead of one a file).
fn copy_tree(from: &Path, to: &Path, durable: bool) -> Result<()> {
    std::fs::create_dir_all(to).at(to)?;
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.at(from)?;
        let target = to.join(entry.file_name());
        if entry.file_type().at(&entry.path())?.is_dir() {
            copy_tree(&entry.path(), &target, durable)?;
        } else if durable {
            fsutil::write_atomic(&target, &fsutil::read(&entry.path())?)?;
        } else {
            std::fs::copy(entry.path(), &target).at(&target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_refuses_what_would_lose_work() {
        use Kind::*;
        assert_eq!(rule(Apply, Apply, false), Rule::Refused);
        assert_eq!(rule(Apply, Apply, true), Rule::Finishes);
        assert_eq!(rule(Apply, Import, false), Rule::Runs);
        assert_eq!(rule(Export, Export, false), Rule::Finishes);
        assert_eq!(rule(Export, Import, false), Rule::Refused);
        assert_eq!(rule(Export, Apply, true), Rule::Refused);
        assert_eq!(rule(Import, Export, false), Rule::UndoesFirst);
        assert_eq!(rule(Propose, Apply, false), Rule::Runs);
        assert_eq!(rule(Propose, Export, false), Rule::Refused);
        assert_eq!(rule(Propose, Import, false), Rule::Refused);
        assert_eq!(rule(Propose, Rebase, false), Rule::Refused);
        assert_eq!(rule(Rebase, Propose, false), Rule::Refused);
        assert_eq!(rule(CherryPick, Propose, false), Rule::Refused);
        assert_eq!(rule(Apply, Propose, false), Rule::Runs);
        assert_eq!(rule(Export, Propose, false), Rule::Refused);
        assert_eq!(rule(Upgrade, Rebase, false), Rule::Refused);
        assert_eq!(rule(Upgrade, Upgrade, false), Rule::Refused);
        assert_eq!(rule(Upgrade, CherryPick, false), Rule::Runs);
        assert_eq!(rule(Rebase, Upgrade, false), Rule::Refused);
        assert_eq!(rule(Apply, Upgrade, false), Rule::Refused);
    }

    #[test]
    fn recover_renders_finish_note_and_undo() {
        let recover = sequence_recover(Kind::CherryPick, "nova");
        assert_eq!(
            recover.to_string(),
            "run `verda-patch cherry-pick --continue --project nova` to finish it, \
             or `verda-patch cherry-pick --abort --project nova` to undo it"
        );
    }
}
