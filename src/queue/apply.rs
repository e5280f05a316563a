//! `apply`: build `custom-source/<project>` as the pinned upstream commit
//! plus one commit per patch, then bring the work tree there in one pass.
//!
//! It never loses work: a dirty tree or commits that were never exported
//! make it refuse (unless forced), and the previous head (and, when forced
//! over a dirty tree, a snapshot of that tree) is kept under
//! `refs/verda/backup/`. Killed at any point, it leaves its marker (see
//! `journal`): objects, work tree, index and refs are each written
//! atomically, in that order, and `apply --force` finishes the job.

use serde::Serialize;

use super::build::{self, ApplyCache, Built};
use super::custom_source::{
    self, APPLIED_REF, BACKUP_PREFIX, BRANCH, PIN_REF, UPSTREAM_BRANCH, unexported_commits,
};
use super::journal::{self, Kind, Step};
use super::{AppliedState, Queue};
use crate::error::{Error, Result};
use crate::manifest::Workspace;
use crate::progress::Progress;
use crate::repo::{Git, Oid, PinKind, WorkState, short};
use crate::upstream::Upstream;

#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions {
    pub force: bool,
}

#[derive(Debug, Serialize)]
pub struct ApplyReport {
    pub project: String,
    pub pin: String,
    #[serde(serialize_with = "crate::serde_oid")]
    pub pin_commit: Oid,
    /// What the pin names; a branch pin is its tip at the last fetch.
    pub pin_kind: Option<PinKind>,
    #[serde(serialize_with = "crate::serde_oid")]
    pub head: Oid,
    pub patches: Vec<Built>,
    pub created: bool,
    pub files_written: usize,
    pub backups: Vec<String>,
    pub up_to_date: bool,
    /// It finished an apply that had been interrupted.
    pub finished_interrupted: bool,
}

pub fn apply(
    ws: &Workspace,
    project: &str,
    options: ApplyOptions,
    progress: &dyn Progress,
) -> Result<ApplyReport> {
    let interrupted = journal::guard(ws, project, Kind::Apply, options.force)?;
    if let Some(old) = &interrupted {
        progress.note(&format!("finishing the apply started {}", old.started));
    }
    let spec = ws.project(project)?;
    let queue = Queue::load(ws, project)?;
    let upstream = Upstream::open(ws, project)?;
    let pin_commit = upstream.resolve(ws, &spec.pin, progress)?;
    progress.note(&format!("pin {} is commit {}", spec.pin, short(pin_commit)));
    let rel = ws.rel(&ws.custom_source(project));

    let existing = custom_source::open(ws, project)?;
    let created = existing.is_none();
    let (old_head, state) = match &existing {
        Some(git) => (git.head_commit(), git.work_state()?),
        None => (None, WorkState::default()),
    };
    if let Some(git) = existing.as_ref().filter(|_| !options.force) {
        refuse_to_overwrite(git, &state, &rel, project)?;
    }

    // From here on an interruption leaves the marker behind for `status`.
    Step::new(Kind::Apply, project).save(ws)?;
    crate::crash_point("apply-started");
    // Until something visible is written, a failure undoes the start.
    let undo = |e: Error| -> Result<ApplyReport> {
        if created {
            // Nothing of the user's is in a work tree made a moment ago.
            let _ = std::fs::remove_dir_all(ws.custom_source(project));
        }
        Step::clear(ws, project)?;
        Err(e)
    };
    let git = match existing {
        Some(git) => git,
        None => match Git::init_worktree(
            &ws.custom_source(project),
            project,
            &upstream.mirror.objects_dir(),
        ) {
            Ok(git) => git,
            Err(e) => return undo(e),
        },
    };

    let cache_path = git.path().join("verda").join("apply-cache");
    let mut cache = ApplyCache::load(&cache_path);
    let built = match Git::collecting(git.path()).and_then(|packed| {
        let built = build::build(
            &packed,
            pin_commit,
            &queue.patches,
            Some(&mut cache),
            progress,
        )?;
        packed.write_collected(progress)?;
        Ok(built)
    }) {
        Ok(built) => built,
        Err(e) => {
            drop(git);
            return undo(e);
        }
    };
    crate::crash_point("apply-objects-written");
    cache.save(&cache_path)?;
    let head = built.last().map(|b| b.commit).unwrap_or(pin_commit);

    // Untracked files are the user's; refuse to overwrite one with a tracked file.
    let new_tree = git.commit_info(head)?.tree;
    if !options.force {
        let mut clashes = Vec::new();
        for path in &state.untracked {
            if git.exists_at(new_tree, path)? {
                clashes.push(path.clone());
            }
        }
        if !clashes.is_empty() {
            return undo(Error::Refused(format!(
                "untracked {} in {rel} would be overwritten by the queue ({}); move {} away or rerun with --force",
                if clashes.len() == 1 { "file" } else { "files" },
                preview(&clashes),
                if clashes.len() == 1 { "it" } else { "them" },
            )));
        }
    }

    let move_ref = |name: &str, id: Oid, log: &str| -> Result<()> {
        git.set_ref(name, id, log)?;
        progress.note(&format!("ref {name} -> {}", short(id)));
        Ok(())
    };
    let mut backups = Vec::new();
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S").to_string();
    let dirty = !state.dirty.is_empty() || (options.force && !state.untracked.is_empty());
    if options.force && dirty {
        let snapshot =
            git.snapshot_worktree("verda-patch: work tree set aside by `apply --force`")?;
        let name = format!("{BACKUP_PREFIX}{stamp}-worktree-{}", short(snapshot));
        move_ref(&name, snapshot, "verda-patch: backup before apply --force")?;
        backups.push(name);
    }
    if let Some(old) = old_head.filter(|old| *old != head) {
        let name = format!("{BACKUP_PREFIX}{stamp}-{}", short(old));
        move_ref(&name, old, "verda-patch: backup before apply")?;
        backups.push(name);
    }
    crate::crash_point("apply-backup-refs");

    let up_to_date =
        old_head == Some(head) && !dirty && git.head_branch().as_deref() == Some(BRANCH);
    let mut files_written = 0;
    if up_to_date {
        progress.note(&format!("{rel} is already at {}", short(head)));
    } else {
        let old_tree = match old_head {
            Some(old) => Some(git.commit_info(old)?.tree),
            None => None,
        };
        let mut also = state.dirty.clone();
        if options.force {
            also.extend(state.untracked.iter().cloned());
        }
        files_written = git.checkout(old_tree, new_tree, &also, progress)?;
    }
    move_ref(PIN_REF, pin_commit, "verda-patch: pin")?;
    move_ref(
        &format!("refs/heads/{UPSTREAM_BRANCH}"),
        pin_commit,
        "verda-patch: pin",
    )?;
    crate::crash_point("apply-pin-moved");
    git.set_branch_head(BRANCH, head, "verda-patch: apply")?;
    progress.note(&format!("HEAD -> refs/heads/{BRANCH} -> {}", short(head)));
    crate::crash_point("apply-head-moved");
    move_ref(APPLIED_REF, head, "verda-patch: apply")?;
    AppliedState {
        pin: spec.pin.clone(),
        pin_commit: pin_commit.to_string(),
        head: head.to_string(),
        fingerprint: queue.fingerprint(),
    }
    .save(ws, project)?;
    crate::crash_point("apply-state-saved");
    Step::clear(ws, project)?;

    Ok(ApplyReport {
        project: project.to_string(),
        pin: spec.pin.clone(),
        pin_commit,
        pin_kind: upstream
            .mirror
            .resolve_pin_kind(&spec.pin)
            .map(|(_, kind)| kind),
        head,
        patches: built,
        created,
        files_written,
        backups,
        up_to_date,
        finished_interrupted: interrupted.is_some(),
    })
}

/// Without `--force`, apply does not go over uncommitted changes or commits
/// that were never exported.
fn refuse_to_overwrite(git: &Git, state: &WorkState, rel: &str, project: &str) -> Result<()> {
    if !state.dirty.is_empty() {
        return Err(Error::Refused(format!(
            "{rel} has uncommitted changes in {} ({}); commit them and run `verda-patch export {project}`, \
             or rerun with --force (the tree is saved under {BACKUP_PREFIX}…)",
            plural(state.dirty.len(), "file"),
            preview(&state.dirty)
        )));
    }
    let unexported = unexported_commits(git)?;
    if unexported.is_empty() {
        return Ok(());
    }
    let subjects: Vec<String> = unexported
        .iter()
        .map(|id| {
            let subject = git
                .commit_info(*id)
                .map(|c| c.message.lines().next().unwrap_or("").to_string())
                .unwrap_or_default();
            format!("{} {subject}", short(*id))
        })
        .collect();
    Err(Error::Refused(format!(
        "{rel} has {} that {} never exported ({}); run `verda-patch export {project}` first, \
         or `verda-patch apply --force {project}` to set {} aside under {BACKUP_PREFIX}…",
        plural(unexported.len(), "commit"),
        if unexported.len() == 1 { "was" } else { "were" },
        preview(&subjects),
        if unexported.len() == 1 { "it" } else { "them" },
    )))
}

pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The first few items of a list, for a message.
pub(crate) fn preview(items: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut text = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(", and {} more", items.len() - SHOWN));
    }
    text
}
