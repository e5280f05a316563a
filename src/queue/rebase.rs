//! `rebase --to REL`: move a project's queue to a new upstream release.
//!
//! The queue is materialised on the old pin (by `apply`), then each patch
//! is replayed onto the new release: dropped first if upstream already has
//! it (see `upstreamed`), else applied exactly or at an offset, else merged
//! three-way; a conflict that no recorded resolution settles stops with the
//! conflict in custom-source for the user (exit 3). The replay, with
//! `--continue`, `--skip` and `--abort`, is the engine's (`replay`); this
//! file holds what is a rebase's own (the [`Hooks`]): upstream detection,
//! applying the patch file before merging, moving the pin at the end. The
//! state is the journal's record (`.verda/journal/<project>/`), written
//! with the byte-for-byte backup `--abort` restores before custom-source
//! is touched.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::build::{self, How};
use super::custom_source::{self, APPLIED_REF, PIN_REF, UPSTREAM_BRANCH};
use super::export::{ExportOptions, export_queue};
use super::journal::{self, Kind, Record};
use super::replay::{self, AbortTo, Attempt, Hooks, Replay, oid};
use super::resolutions;
use super::upstreamed::UpstreamIndex;
use super::{LoadedPatch, Queue, apply};
use crate::error::Result;
use crate::fsutil;
use crate::manifest::{Source, Workspace};
use crate::progress::Progress;
use crate::repo::attribution::Attribution;
use crate::repo::{Conflict, Git, Oid, short};
use crate::upstream::Upstream;

pub use super::replay::Outcome;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatchResult {
    pub path: String,
    pub subject: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// For a patch that conflicted (a forecast's conflict, or resolved by
    /// hand): the upstream commits that changed the conflicting lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
}

/// What a rebase keeps besides the replay engine's state (whose items are
/// the queue on the old pin: (patch path, commit)).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    from: String,
    pub(crate) to: String,
    old_pin: String,
    new_pin: String,
    keep: Vec<String>,
    results: Vec<PatchResult>,
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
    /// Set when stopped on a conflict: the upstream commits that changed
    /// the conflicting lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_attribution: Option<Attribution>,
    pub dry_run: bool,
    /// The Markdown report written when the rebase finished.
    pub report_file: Option<PathBuf>,
    /// What became of the test constraints when the series changed (moved,
    /// following, or a warning saying what to do).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraints: Option<String>,
    /// Recorded resolutions used, written and pruned.
    pub resolutions: resolutions::Report,
}

#[derive(Debug, Clone, Default)]
pub struct RebaseOptions {
    pub to: String,
    pub dry_run: bool,
    /// Patches to carry even when a rule says upstream has them.
    pub keep: Vec<String>,
}

/// A rebase in progress or being forecast: the queue it replays and how
/// each patch of it is tried.
struct Rebase {
    project: String,
    queue: Queue,
    dry_run: bool,
    index: Option<UpstreamIndex>,
    /// The source has history between releases (git; PyPI has not).
    history: bool,
    /// The attribution of the conflict the last attempt ran into.
    attribution: Option<Attribution>,
}

type RebaseRecord = Record<Replay<State>>;

impl Rebase {
    fn new(ws: &Workspace, project: &str, dry_run: bool) -> Result<Rebase> {
        Ok(Rebase {
            project: project.to_string(),
            queue: Queue::load(ws, project)?,
            dry_run,
            index: None,
            history: has_history(ws, project)?,
            attribution: None,
        })
    }

    fn patch(&self, path: &str) -> Result<&LoadedPatch> {
        let by_path: HashMap<&str, &LoadedPatch> = self
            .queue
            .patches
            .iter()
            .map(|p| (p.path.as_str(), p))
            .collect();
        by_path.get(path).copied().ok_or_else(|| {
            let recover = journal::sequence_recover(Kind::Rebase, &self.project);
            crate::Error::Refused(format!(
                "patches/{}/{path} changed or vanished during the rebase; run `{}`",
                self.project,
                recover.undo.unwrap_or_default()
            ))
        })
    }
}

impl Hooks for Rebase {
    type Payload = State;
    type Report = Report;
    const KIND: Kind = Kind::Rebase;
    const PACKED: bool = true;
    const RECORD_RESOLUTIONS: bool = true;

    fn pins(state: &Replay<State>) -> Option<(String, String, Oid)> {
        let to = Oid::from_str(&state.kind.new_pin).ok()?;
        Some((state.kind.from.clone(), state.kind.to.clone(), to))
    }

    fn prepare(&mut self, git: &Git, state: &Replay<State>) -> Result<()> {
        self.index = Some(UpstreamIndex::build(
            git,
            oid(&state.kind.old_pin)?,
            oid(&state.kind.new_pin)?,
        )?);
        Ok(())
    }

    /// Dropped first if upstream has it (unless kept), else applied exactly
    /// or at an offset, else merged three-way.
    fn attempt(&mut self, ws: &Workspace, git: &Git, state: &Replay<State>) -> Result<Attempt> {
        let Some((path, commit)) = state.current() else {
            return Err(crate::Error::Refused("nothing left to replay".into()));
        };
        let patch = self.patch(path)?;
        if !state.kind.keep.contains(path) {
            let index = self
                .index
                .as_ref()
                .expect("prepared before the first attempt");
            if let Some(found) = index.detect(git, patch)? {
                return Ok(Attempt::Dropped {
                    rule: found.rule,
                    commit: found.commit,
                });
            }
        }
        let base_tree = git.tree_of(oid(&state.base)?)?;
        match build::apply_to_tree(git, base_tree, patch) {
            Ok((tree, How::Offset { .. })) => Ok(Attempt::Tree {
                tree,
                how: "offset",
            }),
            Ok((tree, How::ThreeWay { .. })) => Ok(Attempt::Tree { tree, how: "3-way" }),
            Ok((tree, _)) => Ok(Attempt::Tree { tree, how: "clean" }),
            Err(crate::Error::PatchFailed { .. }) => {
                let old = git.commit_info(oid(commit)?)?;
                let parent = git.tree_of(old.parents[0])?;
                let attempt = replay::merge(ws, &self.project, git, parent, base_tree, old.tree)?;
                if let Attempt::Conflict { conflicts, .. } = &attempt {
                    self.attribution = Some(attribute(git, self.history, state, conflicts)?);
                }
                Ok(attempt)
            }
            Err(e) => Err(e),
        }
    }

    /// The patch's commit again: its author and message, on the new base.
    fn commit(&self, git: &Git, state: &Replay<State>, tree: Oid) -> Result<Oid> {
        let (_, commit) = &state.todo[state.done];
        let old = git.commit_info(oid(commit)?)?;
        git.commit(tree, &[oid(&state.base)?], &old.author, &old.message)
    }

    fn done(
        &mut self,
        _: &Workspace,
        git: &Git,
        state: &mut Replay<State>,
        outcome: Outcome,
    ) -> Result<()> {
        let (path, commit) = state.todo[state.done].clone();
        let attribution = match &outcome {
            Outcome::Conflict { .. } => self.attribution.take(),
            // `--continue`: the conflict is still recorded.
            Outcome::Resolved { recorded: false } if !state.conflict.is_empty() => {
                Some(attribute(git, self.history, state, &state.conflict)?)
            }
            _ => None,
        };
        let subject = match self.patch(&path) {
            Ok(patch) => patch.patch.subject(),
            Err(_) => git
                .commit_info(oid(&commit)?)?
                .message
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        };
        state.kind.results.push(PatchResult {
            path,
            subject,
            outcome,
            attribution,
        });
        Ok(())
    }

    fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// All patches replayed: move custom-source, the pin and the patch files.
    fn finish(
        &mut self,
        ws: &Workspace,
        git: &Git,
        record: &mut RebaseRecord,
        progress: &dyn Progress,
    ) -> Result<Report> {
        let state = &record.payload;
        let head = oid(&state.base)?;
        let new_pin = oid(&state.kind.new_pin)?;
        git.cleanup_state()?;
        custom_source::move_worktree(git, custom_source::BRANCH, head, "verda-patch: rebase")?;
        crate::crash_point("rebase-worktree-moved");
        git.set_ref(PIN_REF, new_pin, "verda-patch: rebase")?;
        git.set_ref(
            &format!("refs/heads/{UPSTREAM_BRANCH}"),
            new_pin,
            "verda-patch: rebase",
        )?;
        git.set_ref(APPLIED_REF, head, "verda-patch: rebase")?;
        let mut ws = ws.clone();
        ws.set_pin(&self.project, &state.kind.to)?;
        let constraints = crate::python::follow_series(&mut ws, &self.project, &state.kind.from)?;
        crate::crash_point("rebase-pin-moved");
        let pruned = resolutions::after_rebase(
            git,
            &resolutions::Store::open(&ws, &self.project),
            &state.recorded.used,
            &state.kind.from,
            &state.kind.to,
            new_pin,
        )?;
        // The work tree was just written by move_worktree: no status scan.
        export_queue(
            &ws,
            &self.project,
            ExportOptions {
                skip_uncommitted: true,
                ..ExportOptions::default()
            },
            progress,
        )?;
        let file = ws.state_dir().join("reports").join(format!(
            "rebase-{}-{}-to-{}.json",
            self.project, state.kind.from, state.kind.to
        ));
        let mut done = report(record, None, false, Some(file.clone()));
        done.constraints = constraints;
        done.resolutions.pruned = pruned;
        fsutil::write_atomic(
            &file,
            &serde_json::to_vec_pretty(&done).expect("plain data serialises"),
        )?;
        journal::end(&ws, &self.project)?;
        Ok(done)
    }

    fn stopped(&self, record: &RebaseRecord, files: Vec<String>) -> Report {
        let state = &record.payload;
        let path = state.todo[state.done].0.clone();
        let mut stopped = report(record, Some((path, files)), false, None);
        stopped.stopped_attribution = self.attribution.clone();
        stopped
    }

    /// The head before the rebase; without one, the queue on the old pin.
    fn abort_to(state: &Replay<State>) -> Result<AbortTo> {
        let old_pin = oid(&state.kind.old_pin)?;
        let target = match &state.orig_head {
            Some(head) => oid(head)?,
            None => match state.todo.last() {
                Some((_, commit)) => oid(commit)?,
                None => old_pin,
            },
        };
        Ok(AbortTo {
            head: Some(target),
            refs: vec![(APPLIED_REF, target), (PIN_REF, old_pin)],
            written: vec![oid(&state.kind.new_pin)?],
        })
    }
}

/// The rebase of `project` in progress, if any: where it goes and how far.
pub(crate) fn load(ws: &Workspace, project: &str) -> Result<Option<RebaseRecord>> {
    Record::load(ws, Kind::Rebase, project)
}

/// Where a rebase in progress (or interrupted) stands.
#[derive(Debug, Serialize)]
pub struct RebaseProgress {
    pub to: String,
    pub done: usize,
    pub total: usize,
    /// The patch it stopped on, with the files in conflict.
    pub stopped_on: Option<(String, Vec<String>)>,
    /// Stopped on a conflict: the upstream commits that changed the
    /// conflicting lines (computed again from the journal's record; absent
    /// when custom-source is gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
}

/// The rebase of `project` in progress, if any, for `status`.
pub(crate) fn progress(ws: &Workspace, project: &str) -> Result<Option<RebaseProgress>> {
    let Some(record) = load(ws, project)? else {
        return Ok(None);
    };
    let state = record.payload;
    let stopped_on = match state.current() {
        Some((path, _)) if !state.conflict.is_empty() => Some((
            path.clone(),
            state.conflict.iter().map(|c| c.path.clone()).collect(),
        )),
        _ => None,
    };
    // custom-source may be gone or replaced: status says so on its own.
    let attribution = match custom_source::open(ws, project).ok().flatten() {
        Some(git) if stopped_on.is_some() => Some(attribute(
            &git,
            has_history(ws, project)?,
            &state,
            &state.conflict,
        )?),
        _ => None,
    };
    Ok(Some(RebaseProgress {
        stopped_on,
        attribution,
        to: state.kind.to,
        done: state.done,
        total: state.todo.len(),
    }))
}

pub fn start(
    ws: &Workspace,
    project: &str,
    options: &RebaseOptions,
    progress: &dyn Progress,
) -> Result<Report> {
    match options.dry_run {
        // A forecast writes nothing: only a replay in progress is in its way.
        true => journal::guard_sequence(ws, project, Kind::Rebase)?,
        false => drop(journal::guard(ws, project, Kind::Rebase, false)?),
    }
    let from = ws.project(project)?.pin.clone();
    if from == options.to {
        return Err(crate::Error::Usage(format!(
            "`{project}` is already pinned to {from}"
        )));
    }
    let upstream = Upstream::open(ws, project)?;
    let old_pin = upstream.resolve(ws, &from, progress)?;
    let new_pin = upstream.resolve(ws, &options.to, progress)?;
    let mut hooks = Rebase::new(ws, project, options.dry_run)?;

    if options.dry_run {
        let memory = Git::open_in_memory(upstream.mirror.path())?;
        let built = build::build(&memory, old_pin, &hooks.queue.patches, None, progress)?;
        let mut record = Record {
            kind: Kind::Rebase,
            project: project.to_string(),
            started: String::new(),
            payload: new_state(&from, options, old_pin, new_pin, None, &built),
        };
        replay::dry_run(ws, &memory, &mut hooks, &mut record, progress)?;
        return Ok(report(&record, None, true, None));
    }

    let orig_head = custom_source::open(ws, project)?.and_then(|g| g.head_commit());
    let applied = apply::apply(ws, project, apply::ApplyOptions::default(), progress)?;
    let state = new_state(
        &from,
        options,
        old_pin,
        new_pin,
        orig_head,
        &applied.patches,
    );
    let mut record = Record::begin(ws, Kind::Rebase, project, state)?;
    crate::crash_point("rebase-state-saved");
    replay::run(ws, &mut hooks, &mut record, progress)
}

fn new_state(
    from: &str,
    options: &RebaseOptions,
    old_pin: Oid,
    new_pin: Oid,
    orig_head: Option<Oid>,
    built: &[build::Built],
) -> Replay<State> {
    Replay {
        orig_head: orig_head.map(|h| h.to_string()),
        todo: built
            .iter()
            .map(|b| (b.path.clone(), b.commit.to_string()))
            .collect(),
        done: 0,
        base: new_pin.to_string(),
        conflict: Vec::new(),
        recorded: Default::default(),
        kind: State {
            from: from.to_string(),
            to: options.to.clone(),
            old_pin: old_pin.to_string(),
            new_pin: new_pin.to_string(),
            keep: options.keep.clone(),
            results: Vec::new(),
        },
    }
}

fn report(
    record: &RebaseRecord,
    stopped: Option<(String, Vec<String>)>,
    dry_run: bool,
    report_file: Option<PathBuf>,
) -> Report {
    let state = &record.payload.kind;
    Report {
        project: record.project.clone(),
        from: state.from.clone(),
        to: state.to.clone(),
        results: state.results.clone(),
        stopped,
        stopped_attribution: None,
        dry_run,
        report_file,
        constraints: None,
        resolutions: record.payload.recorded.report(),
    }
}

/// Whether `project`'s upstream has history between releases to attribute
/// conflicts to: a git source has; PyPI releases are snapshots.
fn has_history(ws: &Workspace, project: &str) -> Result<bool> {
    Ok(matches!(
        ws.project(project)?.source(&ws.root),
        Source::Git { .. }
    ))
}

/// Why `conflicts` (of the patch being replayed) conflict: the upstream
/// commits between the pins that changed their lines. A history that
/// cannot be read leaves the reason out, not the rebase.
fn attribute(
    git: &Git,
    history: bool,
    state: &Replay<State>,
    conflicts: &[Conflict],
) -> Result<Attribution> {
    if !history {
        return Ok(Attribution::None);
    }
    let (old, new) = (oid(&state.kind.old_pin)?, oid(&state.kind.new_pin)?);
    Ok(git
        .attribute(conflicts, old, new)
        .unwrap_or_else(|e| Attribution::Unavailable {
            reason: e.to_string(),
        }))
}

/// `--continue`: take the user's resolution as the new version of the patch.
pub fn resume(ws: &Workspace, project: &str, progress: &dyn Progress) -> Result<Report> {
    replay::resume(ws, project, &mut Rebase::new(ws, project, false)?, progress)
}

/// `--skip`: drop the patch the rebase stopped on and go on.
pub fn skip(ws: &Workspace, project: &str, progress: &dyn Progress) -> Result<Report> {
    replay::skip(ws, project, &mut Rebase::new(ws, project, false)?, progress)
}

/// `--abort`: the patch repo back byte for byte, custom-source at its old head.
pub fn abort(ws: &Workspace, project: &str) -> Result<()> {
    replay::abort::<Rebase>(ws, project)
}

/// For messages: the short id of a commit string.
pub fn short_hex(hex: &str) -> String {
    Oid::from_str(hex)
        .map(short)
        .unwrap_or_else(|_| hex.to_string())
}
