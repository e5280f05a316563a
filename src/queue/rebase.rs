//! `rebase --to REL`: move a project's queue to a new upstream release.
//!
//! The queue is materialised on the old pin (by `apply`), then each patch
//! is replayed onto the new release: dropped first if upstream already has
//! it (see `upstreamed`), else applied exactly or at an offset, else merged
//! three-way; a conflict that no recorded resolution settles stops with the
//! conflict in custom-source for the user (exit 3). The state lives in
//! `.verda/rebase/<project>/`, written before custom-source is touched, with
//! a byte-for-byte backup of the patch repo files `--abort` restores.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::apply::{APPLIED_REF, BRANCH, PIN_REF, UPSTREAM_BRANCH, open_custom_source};
use super::build::{self, How, identity};
use super::export::{ExportOptions, export_queue};
use super::marker::InProgress;
use super::upstreamed::{Rule, UpstreamIndex};
use super::{LoadedPatch, Queue, apply};
use crate::error::{Error, IoContext, Result};
use crate::fsutil;
use crate::manifest::Workspace;
use crate::progress::Progress;
use crate::repo::{Conflict, Git, Oid, short};
use crate::upstream::Upstream;

/// What happened to one patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Applied as it is (`how`: clean, offset or 3-way).
    Carried { how: String },
    /// Conflicted; resolved by hand (`recorded: false`) or by a recorded resolution.
    Resolved { recorded: bool },
    /// Dropped with `--skip`.
    Skipped,
    /// Upstream has it: which rule fired and the upstream commit.
    Dropped { rule: Rule, commit: Option<String> },
    /// Would stop here (dry runs and `check --against` go on past it).
    Conflict { files: Vec<String> },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatchResult {
    pub path: String,
    pub subject: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// A rebase in progress, persisted atomically.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub project: String,
    pub from: String,
    pub to: String,
    pub old_pin: String,
    pub new_pin: String,
    /// custom-source's head before the rebase (restored by `--abort`).
    pub orig_head: Option<String>,
    /// The queue on the old pin: (patch path, commit).
    pub queue: Vec<(String, String)>,
    pub keep: Vec<String>,
    pub results: Vec<PatchResult>,
    /// The commit the next patch goes onto.
    pub base: String,
    /// The conflict the rebase stopped on.
    pub conflict: Vec<Conflict>,
}

/// Where a rebase ended.
#[derive(Debug, Serialize)]
pub struct Report {
    pub project: String,
    pub from: String,
    pub to: String,
    pub results: Vec<PatchResult>,
    /// Set when stopped on a conflict: the patch and the files.
    pub stopped: Option<(String, Vec<String>)>,
    pub dry_run: bool,
    /// The Markdown report written when the rebase finished.
    pub report_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Default)]
pub struct RebaseOptions {
    pub to: String,
    pub dry_run: bool,
    /// Patches to carry even when a rule says upstream has them.
    pub keep: Vec<String>,
}

fn state_dir(ws: &Workspace, project: &str) -> PathBuf {
    ws.state_dir().join("rebase").join(project)
}

pub fn load_state(ws: &Workspace, project: &str) -> Result<Option<State>> {
    let file = state_dir(ws, project).join("state.json");
    fsutil::read_json(&file, &format!("verda-patch rebase --abort {project}"))
}

fn save_state(ws: &Workspace, state: &State) -> Result<()> {
    fsutil::write_json(&state_dir(ws, &state.project).join("state.json"), state)
}

fn oid(hex: &str) -> Result<Oid> {
    Oid::from_str(hex)
        .map_err(|_| Error::Refused(format!("corrupt rebase state: `{hex}` is not a commit id")))
}

/// Recorded resolutions live in the patch repo, keyed by the conflict's
/// three blobs, so a colleague or CI replaying the same upgrade gets the
/// same resolution without a stop.
fn resolution_file(ws: &Workspace, project: &str, conflict: &Conflict) -> PathBuf {
    let mut hasher = Sha256::new();
    for part in [
        Some(&conflict.path),
        conflict.base.as_ref(),
        conflict.ours.as_ref(),
        conflict.theirs.as_ref(),
    ] {
        hasher.update(part.map(String::as_str).unwrap_or("-").as_bytes());
        hasher.update([0]);
    }
    let key: String = crate::hex(&hasher.finalize()[..20]);
    ws.patches_dir(project).join(".resolutions").join(key)
}

pub fn start(
    ws: &Workspace,
    project: &str,
    options: &RebaseOptions,
    progress: &dyn Progress,
) -> Result<Report> {
    if load_state(ws, project)?.is_some() {
        return Err(Error::Refused(format!(
            "a rebase of `{project}` is already in progress; finish it with `verda-patch rebase --continue`, `--skip` or `--abort`"
        )));
    }
    super::pick::refuse_during_pick(ws, project)?;
    let from = ws.project(project)?.pin.clone();
    if from == options.to {
        return Err(Error::Usage(format!(
            "`{project}` is already pinned to {from}"
        )));
    }
    let upstream = Upstream::open(ws, project)?;
    let old_pin = upstream.resolve(ws, &from, progress)?;
    let new_pin = upstream.resolve(ws, &options.to, progress)?;
    let queue = Queue::load(ws, project)?;

    if options.dry_run {
        let memory = Git::open_in_memory(upstream.mirror.path())?;
        let built = build::build(&memory, old_pin, &queue.patches, None, progress)?;
        let mut state = new_state(project, &from, options, old_pin, new_pin, None, &built);
        replay(ws, &memory, &queue, &mut state, true, progress)?;
        return Ok(report(&state, None, true, None));
    }

    let orig_head = open_custom_source(ws, project)?.and_then(|g| g.head_commit());
    let applied = apply::apply(ws, project, apply::ApplyOptions::default(), progress)?;
    let mut state = new_state(
        project,
        &from,
        options,
        old_pin,
        new_pin,
        orig_head,
        &applied.patches,
    );
    backup_patch_repo(ws, project, &state_dir(ws, project).join("backup"))?;
    save_state(ws, &state)?;
    crate::crash_point("rebase-state-saved");
    let git = custom_source(ws, project)?;
    run(ws, &git, &queue, &mut state, progress)
}

fn new_state(
    project: &str,
    from: &str,
    options: &RebaseOptions,
    old_pin: Oid,
    new_pin: Oid,
    orig_head: Option<Oid>,
    built: &[build::Built],
) -> State {
    State {
        project: project.to_string(),
        from: from.to_string(),
        to: options.to.clone(),
        old_pin: old_pin.to_string(),
        new_pin: new_pin.to_string(),
        orig_head: orig_head.map(|h| h.to_string()),
        queue: built
            .iter()
            .map(|b| (b.path.clone(), b.commit.to_string()))
            .collect(),
        keep: options.keep.clone(),
        results: Vec::new(),
        base: new_pin.to_string(),
        conflict: Vec::new(),
    }
}

fn custom_source(ws: &Workspace, project: &str) -> Result<Git> {
    open_custom_source(ws, project)?.ok_or_else(|| {
        Error::Refused(format!(
            "{} is gone; run `verda-patch rebase --abort {project}`",
            ws.rel(&ws.custom_source(project))
        ))
    })
}

/// Replay from where the state is, then stop on a conflict or finish.
fn run(
    ws: &Workspace,
    git: &Git,
    queue: &Queue,
    state: &mut State,
    progress: &dyn Progress,
) -> Result<Report> {
    let stop = Git::with_pack(git.path(), |packed| {
        replay(ws, packed, queue, state, false, progress)
    })?;
    match stop {
        Some(conflicts) => {
            let index = state.results.len();
            let (path, commit) = state.queue[index].clone();
            state.conflict = conflicts;
            save_state(ws, state)?;
            // Put the conflict in the work tree for the user: HEAD at the
            // new base, the patch cherry-picked on it with diff3 markers.
            let base = oid(&state.base)?;
            move_worktree(git, base)?;
            git.cherry_pick_into_worktree(oid(&commit)?)?;
            let files: Vec<String> = state.conflict.iter().map(|c| c.path.clone()).collect();
            Ok(report(state, Some((path, files)), false, None))
        }
        None => finish(ws, git, state, progress),
    }
}

/// Move custom-source's branch, index and files to `commit`, rewriting only
/// what differs from HEAD (and whatever is dirty or in conflict).
pub(crate) fn move_worktree(git: &Git, commit: Oid) -> Result<()> {
    let state = git.work_state()?;
    let mut also = state.dirty;
    also.extend(git.index_conflicts()?);
    let old = match git.head_commit() {
        Some(head) => Some(git.tree_of(head)?),
        None => None,
    };
    git.checkout(old, git.tree_of(commit)?, &also, &crate::progress::Silent)?;
    git.set_branch_head(BRANCH, commit, "verda-patch: rebase")
}

/// Replay patches `results.len()..` onto `state.base`. Returns the
/// conflicts of the patch it stopped on (never in a dry run).
fn replay(
    ws: &Workspace,
    git: &Git,
    queue: &Queue,
    state: &mut State,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<Option<Vec<Conflict>>> {
    let index = UpstreamIndex::build(git, oid(&state.old_pin)?, oid(&state.new_pin)?)?;
    let by_path: HashMap<&str, &LoadedPatch> =
        queue.patches.iter().map(|p| (p.path.as_str(), p)).collect();
    progress.begin("replaying patches", Some(state.queue.len() as u64));
    while state.results.len() < state.queue.len() {
        let (path, commit) = state.queue[state.results.len()].clone();
        progress.set(state.results.len() as u64);
        let patch = by_path.get(path.as_str()).copied().ok_or_else(|| {
            Error::Refused(format!(
                "patches/{}/{path} changed or vanished during the rebase; run `verda-patch rebase --abort {}`",
                state.project, state.project
            ))
        })?;
        let result = |outcome| PatchResult {
            path: path.clone(),
            subject: patch.patch.subject(),
            outcome,
        };
        if !state.keep.contains(&path) {
            if let Some(found) = index.detect(git, patch)? {
                state.results.push(result(Outcome::Dropped {
                    rule: found.rule,
                    commit: found.commit,
                }));
                continue;
            }
        }
        let base = oid(&state.base)?;
        let base_tree = git.tree_of(base)?;
        let old = git.commit_info(oid(&commit)?)?;
        let (tree, outcome) = match build::apply_to_tree(git, base_tree, patch) {
            Ok((tree, How::Offset { .. })) => (tree, "offset"),
            Ok((tree, How::ThreeWay { .. })) => (tree, "3-way"),
            Ok((tree, _)) => (tree, "clean"),
            Err(Error::PatchFailed { .. }) => {
                let parent_tree = git.tree_of(old.parents[0])?;
                let recorded = |c: &Conflict| {
                    let bytes = std::fs::read(resolution_file(ws, &state.project, c)).ok()?;
                    git.write_blob(&bytes).ok()
                };
                match git.merge_trees(parent_tree, base_tree, old.tree, |_| None)? {
                    Ok(tree) => (tree, "3-way"),
                    Err(_) => match git.merge_trees(parent_tree, base_tree, old.tree, recorded)? {
                        Ok(tree) => (tree, "recorded"),
                        Err(conflicts) if dry_run => {
                            let files = conflicts.into_iter().map(|c| c.path).collect();
                            state.results.push(result(Outcome::Conflict { files }));
                            continue;
                        }
                        Err(conflicts) => {
                            progress.end();
                            return Ok(Some(conflicts));
                        }
                    },
                }
            }
            Err(e) => return Err(e),
        };
        if tree == base_tree {
            state.results.push(result(Outcome::Dropped {
                rule: Rule::Empty,
                commit: None,
            }));
            continue;
        }
        let new = git.commit(tree, &[base], &identity(&patch.patch), &old.message)?;
        state.base = new.to_string();
        state.results.push(result(if outcome == "recorded" {
            Outcome::Resolved { recorded: true }
        } else {
            Outcome::Carried {
                how: outcome.into(),
            }
        }));
    }
    progress.end();
    Ok(None)
}

/// All patches replayed: move custom-source, the pin and the patch files.
fn finish(ws: &Workspace, git: &Git, state: &mut State, progress: &dyn Progress) -> Result<Report> {
    let head = oid(&state.base)?;
    let new_pin = oid(&state.new_pin)?;
    git.cleanup_state()?;
    move_worktree(git, head)?;
    crate::crash_point("rebase-worktree-moved");
    git.set_ref(PIN_REF, new_pin, "verda-patch: rebase")?;
    git.set_ref(
        &format!("refs/heads/{UPSTREAM_BRANCH}"),
        new_pin,
        "verda-patch: rebase",
    )?;
    git.set_ref(APPLIED_REF, head, "verda-patch: rebase")?;
    let mut ws = ws.clone();
    ws.set_pin(&state.project, &state.to)?;
    crate::crash_point("rebase-pin-moved");
    // The work tree was just written by move_worktree: no status scan.
    export_queue(
        &ws,
        &state.project,
        ExportOptions {
            skip_uncommitted: true,
            ..ExportOptions::default()
        },
        progress,
    )?;
    let file = ws.state_dir().join("reports").join(format!(
        "rebase-{}-{}-to-{}.json",
        state.project, state.from, state.to
    ));
    let done = report(state, None, false, Some(file.clone()));
    fsutil::write_atomic(
        &file,
        &serde_json::to_vec_pretty(&done).expect("plain data serialises"),
    )?;
    let dir = state_dir(&ws, &state.project);
    std::fs::remove_dir_all(&dir).at(&dir)?;
    Ok(done)
}

fn report(
    state: &State,
    stopped: Option<(String, Vec<String>)>,
    dry_run: bool,
    report_file: Option<PathBuf>,
) -> Report {
    Report {
        project: state.project.clone(),
        from: state.from.clone(),
        to: state.to.clone(),
        results: state.results.clone(),
        stopped,
        dry_run,
        report_file,
    }
}

/// `--continue`: take the user's resolution as the new version of the patch.
pub fn resume(ws: &Workspace, project: &str, progress: &dyn Progress) -> Result<Report> {
    let mut state = in_progress(ws, project)?;
    let git = custom_source(ws, project)?;
    let queue = Queue::load(ws, project)?;
    if state.results.len() < state.queue.len() && !state.conflict.is_empty() {
        let unresolved = git.index_conflicts()?;
        if !unresolved.is_empty() {
            return Err(Error::Conflict(format!(
                "still in conflict: {}; resolve, `git add` them in {}, then run `verda-patch rebase --continue {project}`",
                unresolved.join(", "),
                ws.rel(&ws.custom_source(project))
            )));
        }
        let base = oid(&state.base)?;
        let head = git.head_commit();
        // The user may have committed the resolution themselves.
        let tree = match head {
            Some(h) if h != base && git.commit_info(h)?.parents == [base] => git.tree_of(h)?,
            _ => git.index_tree()?,
        };
        let (path, commit) = state.queue[state.results.len()].clone();
        let old = git.commit_info(oid(&commit)?)?;
        let subject = old.message.lines().next().unwrap_or("").to_string();
        for conflict in &state.conflict {
            let file = resolution_file(ws, project, conflict);
            match git.file_at(tree, &conflict.path)? {
                Some(resolved) => fsutil::write_atomic(&file, &git.read_blob(resolved.id)?)?,
                None => continue,
            }
        }
        let outcome = if tree == git.tree_of(base)? {
            Outcome::Dropped {
                rule: Rule::Empty,
                commit: None,
            }
        } else {
            let new = git.commit(tree, &[base], &old.author, &old.message)?;
            state.base = new.to_string();
            Outcome::Resolved { recorded: false }
        };
        git.cleanup_state()?;
        state.results.push(PatchResult {
            path,
            subject,
            outcome,
        });
        state.conflict.clear();
        save_state(ws, &state)?;
    }
    run(ws, &git, &queue, &mut state, progress)
}

/// `--skip`: drop the patch the rebase stopped on and go on.
pub fn skip(ws: &Workspace, project: &str, progress: &dyn Progress) -> Result<Report> {
    let mut state = in_progress(ws, project)?;
    let git = custom_source(ws, project)?;
    let queue = Queue::load(ws, project)?;
    if state.results.len() < state.queue.len() {
        let (path, commit) = state.queue[state.results.len()].clone();
        let subject = git
            .commit_info(oid(&commit)?)?
            .message
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        git.cleanup_state()?;
        move_worktree(&git, oid(&state.base)?)?;
        state.results.push(PatchResult {
            path,
            subject,
            outcome: Outcome::Skipped,
        });
        state.conflict.clear();
        save_state(ws, &state)?;
    }
    run(ws, &git, &queue, &mut state, progress)
}

/// `--abort`: the patch repo back byte for byte, custom-source at its old head.
pub fn abort(ws: &Workspace, project: &str) -> Result<()> {
    let state = in_progress(ws, project)?;
    restore_patch_repo(ws, project, &state_dir(ws, project).join("backup"))?;
    if let Some(git) = open_custom_source(ws, project)? {
        git.cleanup_state()?;
        let target = match &state.orig_head {
            Some(head) => Some(oid(head)?),
            None => state
                .queue
                .last()
                .map(|(_, c)| oid(c))
                .transpose()?
                .or(Some(oid(&state.old_pin)?)),
        };
        if let Some(target) = target.filter(|t| git.is_commit(*t)) {
            move_worktree(&git, target)?;
            git.set_ref(APPLIED_REF, target, "verda-patch: rebase --abort")?;
            git.set_ref(PIN_REF, oid(&state.old_pin)?, "verda-patch: rebase --abort")?;
        }
    }
    // An export the rebase was finishing when it was killed is undone too.
    InProgress::clear(ws, project)?;
    let dir = state_dir(ws, project);
    std::fs::remove_dir_all(&dir).at(&dir)?;
    Ok(())
}

fn in_progress(ws: &Workspace, project: &str) -> Result<State> {
    load_state(ws, project)?
        .ok_or_else(|| Error::Usage(format!("no rebase of `{project}` is in progress")))
}

// ---- the byte-for-byte backup of the patch repo -------------------------

/// Copy the manifest and `patches/<project>/` into `backup`, marking it
/// complete last: `restore_patch_repo` trusts only a complete backup.
pub(crate) fn backup_patch_repo(ws: &Workspace, project: &str, backup: &Path) -> Result<()> {
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
pub(crate) fn restore_patch_repo(ws: &Workspace, project: &str, backup: &Path) -> Result<()> {
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

/// For messages: the short id of a commit string.
pub fn short_hex(hex: &str) -> String {
    Oid::from_str(hex)
        .map(short)
        .unwrap_or_else(|_| hex.to_string())
}
