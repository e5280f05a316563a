//! The replay engine of `rebase` and `cherry-pick` (like git's sequencer):
//! "replay these (label, commit) onto this base", one at a time, stopping
//! on a conflict for the user with `--continue`, `--skip` and `--abort`
//! written once, here. What differs per kind is a [`Hooks`]
//! implementation: how one item is tried (upstream detection and
//! patch application for rebase, a plain three-way merge for cherry-pick),
//! the commit it makes (the patch's message; upstream's with provenance
//! trailers), what follows each item and the end.
//!
//! The state is a [`Record`] of the journal whose payload is a [`Replay`].
//! Crash points: `replay-item-done` (after each item when the kind saves
//! as it goes), `replay-resolution-taken`, `replay-aborted`; the journal's
//! and those of the steps (apply, export, the work-tree checkout) it runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::custom_source;
use super::journal::{self, Kind, Record};
use super::resolutions::{self, Settled, Usage, Used};
use super::upstreamed::Rule;
use crate::error::{Error, IoContext, Result};
use crate::manifest::Workspace;
use crate::progress::Progress;
use crate::repo::{Conflict, Git, Oid};

/// The engine's part of the state of a replay in progress; `P` is the
/// kind's own.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Replay<P> {
    /// custom-source's head before it began (where `--abort` goes back).
    pub orig_head: Option<String>,
    /// What to replay, in order: (label, commit).
    pub todo: Vec<(String, String)>,
    /// How many items of `todo` are done.
    pub done: usize,
    /// The commit the next item goes onto.
    pub base: String,
    /// The conflict it stopped on (empty: not stopped on one).
    pub conflict: Vec<Conflict>,
    /// The recorded resolutions used and written so far.
    #[serde(default)]
    pub recorded: Usage,
    pub kind: P,
}

impl<P> Replay<P> {
    /// The item to replay next: (label, commit).
    pub fn current(&self) -> Option<&(String, String)> {
        self.todo.get(self.done)
    }
}

/// What became of one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Applied as it is (`how`: clean, offset or 3-way).
    Carried { how: String },
    /// Conflicted; resolved by hand (`recorded: false`) or by a recorded resolution.
    Resolved { recorded: bool },
    /// Dropped with `--skip`.
    Skipped,
    /// Upstream has it (or it changes nothing): which rule fired and the
    /// upstream commit.
    Dropped { rule: Rule, commit: Option<String> },
    /// Would stop here (dry runs go on past it).
    Conflict { files: Vec<String> },
}

/// How one item went, as a kind's [`Hooks::attempt`] reports it.
pub(crate) enum Attempt {
    /// This tree, on the base, is the item (`how`: clean, offset, 3-way).
    Tree { tree: Oid, how: &'static str },
    /// A conflict recorded resolutions settled (`used`): this tree.
    Recorded { tree: Oid, used: Vec<Used> },
    /// Not replayed: upstream has it.
    Dropped { rule: Rule, commit: Option<String> },
    /// A conflict recorded resolutions do not settle: the files left,
    /// the records that resolve some of their hunks (how many).
    Conflict {
        conflicts: Vec<Conflict>,
        used: Vec<Used>,
        resolved_hunks: usize,
    },
}

/// What differs between the kinds of replay.
pub(crate) trait Hooks {
    /// The kind's own part of the state.
    type Payload: Serialize + DeserializeOwned + Clone;
    /// What the command reports.
    type Report;
    const KIND: Kind;
    /// Replay into an in-memory pack written at the end (rebase: many
    /// items, the work tree moved once at the end) instead of committing
    /// and saving the state item by item (cherry-pick).
    const PACKED: bool;
    /// `--continue` records the user's resolution, hunk by hunk, in the
    /// patch repo (`patches/<project>/.resolutions/`, see `resolutions`)
    /// for the next replay of the same conflict: a rebase is replayed again
    /// by colleagues and CI; a pick's resolution is its exported patch.
    /// Every kind replays the records; only a finished rebase prunes them.
    const RECORD_RESOLUTIONS: bool;

    /// The releases a replay goes from and to, and the commit of the
    /// second: what a recorded resolution notes of its origin. `None`
    /// for a kind that records none.
    fn pins(_state: &Replay<Self::Payload>) -> Option<(String, String, Oid)> {
        None
    }

    /// Before the first item of a run: load what the attempts need.
    fn prepare(&mut self, git: &Git, state: &Replay<Self::Payload>) -> Result<()>;
    /// Try the current item onto `state.base`.
    fn attempt(
        &mut self,
        ws: &Workspace,
        git: &Git,
        state: &Replay<Self::Payload>,
    ) -> Result<Attempt>;
    /// The commit of the current item with `tree`, on `state.base`.
    fn commit(&self, git: &Git, state: &Replay<Self::Payload>, tree: Oid) -> Result<Oid>;
    /// The current item is done (`state.base` is its commit, if it made
    /// one): record what became of it.
    fn done(
        &mut self,
        ws: &Workspace,
        git: &Git,
        state: &mut Replay<Self::Payload>,
        outcome: Outcome,
    ) -> Result<()>;
    /// A dry run goes on past a conflict.
    fn dry_run(&self) -> bool {
        false
    }
    /// Every item is replayed: make it the user's.
    fn finish(
        &mut self,
        ws: &Workspace,
        git: &Git,
        record: &mut Record<Replay<Self::Payload>>,
        progress: &dyn Progress,
    ) -> Result<Self::Report>;
    /// The branch the replay moves in its work tree (custom-source's
    /// queue branch; propose: the upstream branch).
    fn branch(_state: &Replay<Self::Payload>) -> String {
        custom_source::BRANCH.to_string()
    }
    /// Where the replay runs: custom-source (rebase, cherry-pick); a
    /// replay onto another branch (`propose`) brings a work tree of its own.
    fn worktree_path(ws: &Workspace, project: &str) -> PathBuf {
        ws.custom_source(project)
    }
    /// Open the work tree at [`Hooks::worktree_path`], `None` when it is gone.
    fn open_worktree(ws: &Workspace, project: &str) -> Result<Option<Git>> {
        custom_source::open(ws, project)
    }

    /// Stopped on the current item, with these files in conflict.
    fn stopped(&self, record: &Record<Replay<Self::Payload>>, files: Vec<String>) -> Self::Report;
    /// `--abort`: where the work tree goes back to, and the refs that go
    /// back with it.
    fn abort_to(state: &Replay<Self::Payload>) -> Result<AbortTo>;
}

/// Where `--abort` puts the work tree back.
pub(crate) struct AbortTo {
    /// Its branch ([`Hooks::branch`]); `None`: leave it.
    pub head: Option<Oid>,
    /// Refs and their old targets (custom-source: `refs/verda/applied`
    /// at `head`).
    pub refs: Vec<(&'static str, Oid)>,
    /// Commits besides the base and the items whose files a killed
    /// checkout may have written (rebase: the new pin).
    pub written: Vec<Oid>,
}

pub(crate) fn oid(hex: &str) -> Result<Oid> {
    Oid::from_str(hex)
        .map_err(|_| Error::Refused(format!("corrupt replay state: `{hex}` is not a commit id")))
}

/// The work tree a replay in progress runs in.
fn worktree<H: Hooks>(ws: &Workspace, project: &str) -> Result<Git> {
    H::open_worktree(ws, project)?.ok_or_else(|| {
        let undo = journal::sequence_recover(H::KIND, project).undo;
        Error::Refused(format!(
            "{} is gone; run `{}`",
            ws.rel(&H::worktree_path(ws, project)),
            undo.unwrap_or_default()
        ))
    })
}

// ---- recorded resolutions -----------------------------------------------

/// Three-way merge of `theirs` (a commit's change from `parent`) onto
/// `base`. A conflict is settled by recorded resolutions (see
/// `resolutions`) when every hunk of every conflicted file has one;
/// otherwise it stops, noting the hunks the records resolve.
pub(crate) fn merge(
    ws: &Workspace,
    project: &str,
    git: &Git,
    parent: Oid,
    base: Oid,
    theirs: Oid,
) -> Result<Attempt> {
    let conflicts = match git.merge_trees(parent, base, theirs, |_| None)? {
        Ok(tree) => return Ok(Attempt::Tree { tree, how: "3-way" }),
        Err(conflicts) => conflicts,
    };
    let store = resolutions::Store::open(ws, project);
    if store.is_empty() {
        return Ok(Attempt::Conflict {
            conflicts,
            used: Vec::new(),
            resolved_hunks: 0,
        });
    }
    let mut used = Vec::new();
    let mut settled = HashMap::new();
    let mut left = Vec::new();
    let mut resolved_hunks = 0;
    for conflict in conflicts {
        match resolutions::settle(git, &store, &conflict)? {
            Settled::Whole { bytes, used: u } => {
                settled.insert(conflict.path.clone(), git.write_blob(&bytes)?);
                used.extend(u);
            }
            Settled::Partly { hunks, used: u } => {
                resolved_hunks += hunks;
                used.extend(u);
                left.push(conflict);
            }
            Settled::Not => left.push(conflict),
        }
    }
    if !left.is_empty() {
        return Ok(Attempt::Conflict {
            conflicts: left,
            used,
            resolved_hunks,
        });
    }
    match git.merge_trees(parent, base, theirs, |c| settled.get(&c.path).copied())? {
        Ok(tree) => Ok(Attempt::Recorded { tree, used }),
        Err(conflicts) => Ok(Attempt::Conflict {
            conflicts,
            used,
            resolved_hunks,
        }),
    }
}

// ---- the run ------------------------------------------------------------

/// Start a replay whose state is recorded: run it until it stops or ends.
pub(crate) fn run<H: Hooks>(
    ws: &Workspace,
    hooks: &mut H,
    record: &mut Record<Replay<H::Payload>>,
    progress: &dyn Progress,
) -> Result<H::Report> {
    let git = worktree::<H>(ws, &record.project)?;
    let stop = if H::PACKED {
        Git::with_pack(git.path(), |packed| {
            replay(ws, packed, hooks, record, progress)
        })?
    } else {
        replay(ws, &git, hooks, record, progress)?
    };
    match stop {
        Some(conflicts) => {
            record.payload.conflict = conflicts;
            record.save(ws)?;
            // Put the conflict in the work tree for the user: HEAD at the
            // base, the item cherry-picked on it with diff3 markers.
            let state = &record.payload;
            let commit = oid(&state.todo[state.done].1)?;
            custom_source::move_worktree(&git, &H::branch(state), oid(&state.base)?, log(H::KIND))?;
            git.cherry_pick_into_worktree(commit)?;
            // The hunks recorded resolutions settle, resolved in it; the
            // stop reports what the user finds there.
            let store = resolutions::Store::open(ws, &record.project);
            let hunks = resolutions::into_worktree(&git, &store)?;
            if hunks != record.payload.recorded.resolved_hunks {
                record.payload.recorded.resolved_hunks = hunks;
                record.save(ws)?;
            }
            let files = record
                .payload
                .conflict
                .iter()
                .map(|c| c.path.clone())
                .collect();
            Ok(hooks.stopped(record, files))
        }
        None => hooks.finish(ws, &git, record, progress),
    }
}

/// A replay that writes nothing: every item tried on `git` (an in-memory
/// repository), conflicts noted and passed.
pub(crate) fn dry_run<H: Hooks>(
    ws: &Workspace,
    git: &Git,
    hooks: &mut H,
    record: &mut Record<Replay<H::Payload>>,
    progress: &dyn Progress,
) -> Result<()> {
    replay(ws, git, hooks, record, progress).map(drop)
}

fn log(kind: Kind) -> &'static str {
    match kind {
        Kind::CherryPick => "verda-patch: cherry-pick",
        Kind::Propose => "verda-patch: propose",
        _ => "verda-patch: rebase",
    }
}

/// Replay the items from `done` on. Returns the conflicts of the item it
/// stopped on (never in a dry run).
fn replay<H: Hooks>(
    ws: &Workspace,
    git: &Git,
    hooks: &mut H,
    record: &mut Record<Replay<H::Payload>>,
    progress: &dyn Progress,
) -> Result<Option<Vec<Conflict>>> {
    hooks.prepare(git, &record.payload)?;
    let total = record.payload.todo.len();
    progress.begin("replaying", Some(total as u64));
    while record.payload.done < total {
        progress.set(record.payload.done as u64);
        let state = &mut record.payload;
        let item = state.todo[state.done].0.clone();
        let note = |state: &mut Replay<H::Payload>, used: Vec<Used>| {
            let used = used.into_iter().map(|u| Used {
                item: item.clone(),
                ..u
            });
            state.recorded.used.extend(used);
        };
        let (tree, outcome) = match hooks.attempt(ws, git, state)? {
            Attempt::Dropped { rule, commit } => (None, Outcome::Dropped { rule, commit }),
            Attempt::Conflict {
                conflicts, used, ..
            } if hooks.dry_run() => {
                note(state, used);
                let files = conflicts.into_iter().map(|c| c.path).collect();
                (None, Outcome::Conflict { files })
            }
            Attempt::Conflict {
                conflicts,
                used,
                resolved_hunks,
            } => {
                note(state, used);
                state.recorded.resolved_hunks = resolved_hunks;
                progress.end();
                return Ok(Some(conflicts));
            }
            Attempt::Tree { tree, how } => (Some(tree), Outcome::Carried { how: how.into() }),
            Attempt::Recorded { tree, used } => {
                note(state, used);
                (Some(tree), Outcome::Resolved { recorded: true })
            }
        };
        let outcome = match tree {
            Some(tree) if tree == git.tree_of(oid(&state.base)?)? => Outcome::Dropped {
                rule: Rule::Empty,
                commit: None,
            },
            Some(tree) => {
                state.base = hooks.commit(git, state, tree)?.to_string();
                outcome
            }
            None => outcome,
        };
        hooks.done(ws, git, state, outcome)?;
        state.done += 1;
        if !H::PACKED {
            record.save(ws)?;
            crate::crash_point("replay-item-done");
        }
    }
    progress.end();
    Ok(None)
}

// ---- --continue, --skip, --abort ----------------------------------------

/// `--continue`: take the user's resolution in custom-source as the item
/// it stopped on (recording it for next time), then go on.
pub(crate) fn resume<H: Hooks>(
    ws: &Workspace,
    project: &str,
    hooks: &mut H,
    progress: &dyn Progress,
) -> Result<H::Report> {
    let mut record = Record::<Replay<H::Payload>>::expect(ws, H::KIND, project)?;
    let git = worktree::<H>(ws, project)?;
    let state = &mut record.payload;
    if state.current().is_some() && !state.conflict.is_empty() {
        let unresolved = git.index_conflicts()?;
        if !unresolved.is_empty() {
            let recover = journal::sequence_recover(H::KIND, project);
            return Err(Error::Conflict(format!(
                "still in conflict: {}; resolve, `git add` them in {}, then {recover}",
                unresolved.join(", "),
                ws.rel(&H::worktree_path(ws, project))
            )));
        }
        let base = oid(&state.base)?;
        // The user may have committed the resolution themselves.
        let tree = match git.head_commit() {
            Some(h) if h != base && git.commit_info(h)?.parents == [base] => git.tree_of(h)?,
            _ => git.index_tree()?,
        };
        if let Some((from, to, to_commit)) = H::pins(state).filter(|_| H::RECORD_RESOLUTIONS) {
            let origin = resolutions::Origin {
                item: state.todo[state.done].0.clone(),
                from,
                to,
                to_commit,
            };
            let store = resolutions::Store::open(ws, project);
            let written = resolutions::record(&git, &store, &state.conflict, tree, &origin)?;
            state.recorded.used.extend(written);
        }
        state.recorded.resolved_hunks = 0;
        let outcome = if tree == git.tree_of(base)? {
            Outcome::Dropped {
                rule: Rule::Empty,
                commit: None,
            }
        } else {
            state.base = hooks.commit(&git, state, tree)?.to_string();
            Outcome::Resolved { recorded: false }
        };
        git.cleanup_state()?;
        hooks.done(ws, &git, state, outcome)?;
        state.done += 1;
        state.conflict.clear();
        record.save(ws)?;
        crate::crash_point("replay-resolution-taken");
    }
    run(ws, hooks, &mut record, progress)
}

/// `--skip`: drop the item it stopped on and go on.
pub(crate) fn skip<H: Hooks>(
    ws: &Workspace,
    project: &str,
    hooks: &mut H,
    progress: &dyn Progress,
) -> Result<H::Report> {
    let mut record = Record::<Replay<H::Payload>>::expect(ws, H::KIND, project)?;
    let git = worktree::<H>(ws, project)?;
    let state = &mut record.payload;
    if state.current().is_some() {
        git.cleanup_state()?;
        custom_source::move_worktree(&git, &H::branch(state), oid(&state.base)?, log(H::KIND))?;
        let item = state.todo[state.done].0.clone();
        state.recorded.drop_item(&item);
        hooks.done(ws, &git, state, Outcome::Skipped)?;
        state.done += 1;
        state.conflict.clear();
        record.save(ws)?;
    }
    run(ws, hooks, &mut record, progress)
}

/// A checkout killed after writing a new file and before writing the
/// index leaves that file untracked. Remove the untracked files whose bytes
/// are exactly those a tree of `commits` has at their path: the replay
/// wrote them, and they are in the object database; any other untracked
/// file is the user's and stays.
fn remove_written_files(git: &Git, commits: &[Oid]) -> Result<()> {
    let Some(dir) = git.workdir().map(Path::to_path_buf) else {
        return Ok(());
    };
    let mut trees = Vec::with_capacity(commits.len());
    for commit in commits.iter().filter(|c| git.is_commit(**c)) {
        trees.push(git.tree_of(*commit)?);
    }
    for path in git.work_state()?.untracked {
        let file = dir.join(&path);
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        for tree in &trees {
            let ours = match git.file_at(*tree, &path)? {
                Some(entry) => git.read_blob(entry.id)? == bytes,
                None => false,
            };
            if ours {
                std::fs::remove_file(&file).at(&file)?;
                break;
            }
        }
    }
    Ok(())
}

/// `--abort`: the patch repo back byte for byte, custom-source at its old
/// head (a step the replay was killed in is undone with them).
pub(crate) fn abort<H: Hooks>(ws: &Workspace, project: &str) -> Result<()> {
    let record = Record::<Replay<H::Payload>>::expect(ws, H::KIND, project)?;
    journal::restore(ws, project)?;
    crate::crash_point("replay-aborted");
    if let Some(git) = H::open_worktree(ws, project)? {
        git.cleanup_state()?;
        let AbortTo {
            head,
            refs,
            written,
        } = H::abort_to(&record.payload)?;
        if let Some(target) = head.filter(|t| git.is_commit(*t)) {
            let state = &record.payload;
            let mut commits = written;
            commits.push(oid(&state.base)?);
            for (_, commit) in &state.todo {
                commits.push(oid(commit)?);
            }
            remove_written_files(&git, &commits)?;
            let log = format!("{} --abort", log(H::KIND));
            custom_source::move_worktree(&git, &H::branch(state), target, &log)?;
            for (name, id) in refs {
                git.set_ref(name, id, &log)?;
            }
        }
    }
    journal::end(ws, project)
}
