//! `propose`: send an `upstreamable/` patch to upstream Gerrit. The patch is
//! forward-ported onto the tip of the upstream branch (applied as `rebase`
//! applies a patch, else merged three-way), committed with its message and
//! Change-Id (one is made as Gerrit's `commit-msg` hook would when it has
//! none), pushed through the `git` executable to `refs/for/<branch>`, and
//! the patch file records `Upstream-Status: Submitted <change URL>` (and
//! the Change-Id), atomically.
//!
//! A propose is a replay of one item by the engine (`replay`), recorded in
//! the journal like a rebase (`.verda/journal/<project>/`, with the
//! byte-for-byte backup `--abort` restores); this file holds its [`Hooks`].
//! It runs in a work tree of its own on the upstream branch,
//! `.verda/propose/<project>`, where a conflict stops (exit 3) for the user
//! to finish by hand; custom-source is never touched. Crash points: the
//! journal's, `replay-item-done`, `propose-pushed` (pushed, the change URL
//! not recorded yet), `propose-recorded`, `propose-patch-written`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::build::{self, How};
use super::journal::{self, Kind, Record};
use super::replay::{self, AbortTo, Attempt, Hooks, Outcome, Replay, oid};
use super::series::Category;
use super::{LoadedPatch, Queue};
use crate::error::{Error, IoContext, Result};
use crate::fsutil;
use crate::manifest::{Source, Workspace};
use crate::patch::{self, Patch};
use crate::progress::Progress;
use crate::repo::{Git, Oid, ident_line, redact_credentials, short};
use crate::upstream::Upstream;
use crate::upstream::gerrit::{self, Gerrit, gitreview_at};

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The upstream branch (default: `.gitreview`'s `defaultbranch`, else `master`).
    pub branch: Option<String>,
    /// Gerrit topic (`%topic=`).
    pub topic: Option<String>,
    /// Do everything but the push and the write to the patch file.
    pub dry_run: bool,
}

/// What `propose` did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    pub project: String,
    /// The patch file from the patch repo root.
    pub patch: String,
    pub branch: String,
    /// The upstream branch tip the patch was forward-ported onto.
    pub onto: String,
    /// The commit pushed (in a dry run: the one that would be).
    pub commit: String,
    pub change_id: String,
    /// The Change-Id was made now (and written to the patch file).
    pub change_id_added: bool,
    /// What the branch needed: `clean` (the branch has the patch's base),
    /// `3-way` (the branch moved; the patch was carried onto it as
    /// `git am --3way` carries one), or `resolved by hand` (`--continue`).
    pub forward_port: &'static str,
    /// How the patch went onto the tip, in the replay engine's words:
    /// `clean` (applied exactly), `offset`, `3-way` (merged), `recorded`
    /// (a recorded resolution) or `by hand`.
    pub how: String,
    /// The push URL, credentials removed.
    pub push: String,
    pub refspec: String,
    /// The change on Gerrit; in a dry run, where it will be found.
    pub url: String,
    pub dry_run: bool,
}

/// A forward-port stopped on a conflict, in its own work tree.
#[derive(Debug, Clone, Serialize)]
pub struct Stopped {
    pub project: String,
    /// The patch file from the patch repo root.
    pub patch: String,
    pub branch: String,
    /// The upstream branch tip (full id).
    pub onto: String,
    /// The files in conflict.
    pub files: Vec<String>,
    /// The work tree, from the patch repo root.
    pub worktree: String,
}

/// Where a propose ended.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Report {
    Proposed(Proposal),
    Stopped { stopped: Stopped },
}

/// What a propose keeps besides the replay engine's state, whose one item
/// is (the patch's series entry, its commit as the queue builds it on the
/// pin) and whose base is the upstream branch tip, then the forward-port.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    branch: String,
    topic: Option<String>,
    /// The push URL (as the manifest has it).
    push: String,
    /// The upstream branch tip.
    onto: String,
    /// The patch's parent as the queue builds it on the pin.
    parent: String,
    /// How the patch went onto the tip, once it did (`None`: not yet, or
    /// it changes nothing there).
    how: Option<String>,
    change_id: Option<String>,
    change_id_added: bool,
    /// The change's URL, once pushed.
    url: Option<String>,
}

type ProposeRecord = Record<Replay<State>>;

/// Find `patch`, a path to the patch file (relative to `cwd` or the patch
/// repo root) or a series entry (`upstreamable/0003-x.patch`) of `project`.
pub fn find_patch(
    ws: &Workspace,
    cwd: &Path,
    patch: &str,
    project: Option<&str>,
) -> Result<(Queue, usize)> {
    let projects = match project {
        Some(p) => vec![p.to_string()],
        None => ws.select(&[])?,
    };
    let wanted: Vec<PathBuf> = [cwd.join(patch), ws.root.join(patch)]
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    for name in &projects {
        let queue = Queue::load(ws, name)?;
        let found = queue.patches.iter().position(|p| {
            p.path == patch
                || p.display() == patch
                || p.file
                    .canonicalize()
                    .is_ok_and(|file| wanted.contains(&file))
        });
        if let Some(index) = found {
            return Ok((queue, index));
        }
    }
    Err(Error::Usage(format!(
        "`{patch}` is no patch of the series of {}; name the patch file (`patches/<project>/upstreamable/NNNN-x.patch`) or its series entry",
        projects.join(", ")
    )))
}

/// Where a proposal goes: the server, the push URL and the branch tip.
struct Target {
    server: Gerrit,
    push: String,
    branch: String,
    tip: Oid,
}

/// The work tree of a propose: the upstream branch, and a conflict for the
/// user to resolve.
pub fn worktree_dir(ws: &Workspace, project: &str) -> PathBuf {
    ws.state_dir().join("propose").join(project)
}

fn remove_worktree(ws: &Workspace, project: &str) -> Result<()> {
    let dir = worktree_dir(ws, project);
    match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).at(&dir),
        _ => Ok(()),
    }
}

/// The project whose propose is in progress (stopped on a conflict, or
/// killed): the one named, or the only one.
pub fn stopped_project(ws: &Workspace, named: Option<&str>) -> Result<String> {
    let mut stopped = Vec::new();
    for project in ws.manifest.projects.keys() {
        if named.is_none_or(|n| n == project.as_str())
            && journal::pending(ws, project)?.is_some_and(|p| p.kind == Kind::Propose)
        {
            stopped.push(project.clone());
        }
    }
    match stopped.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::Usage(format!(
            "no propose stopped on a conflict (or interrupted){}; nothing to continue or abort",
            named.map(|n| format!(" in {n}")).unwrap_or_default()
        ))),
        many => Err(Error::Usage(format!(
            "proposals stopped in {}; name one with --project",
            many.join(", ")
        ))),
    }
}

/// A propose in progress (stopped on a conflict, or killed), for `status`.
#[derive(Debug, Serialize)]
pub struct ProposeProgress {
    /// The patch's series entry.
    pub patch: String,
    pub branch: String,
    /// Its work tree, from the patch repo root.
    pub worktree: String,
    /// The files in conflict (empty: killed, not stopped).
    pub stopped_on: Vec<String>,
}

/// The propose of `project` in progress, if any.
pub(crate) fn progress(ws: &Workspace, project: &str) -> Result<Option<ProposeProgress>> {
    Ok(
        ProposeRecord::load(ws, Kind::Propose, project)?.map(|record| {
            let state = record.payload;
            ProposeProgress {
                patch: state.todo.first().map(|t| t.0.clone()).unwrap_or_default(),
                branch: state.kind.branch,
                worktree: ws.rel(&worktree_dir(ws, project)),
                stopped_on: state.conflict.into_iter().map(|c| c.path).collect(),
            }
        }),
    )
}

/// Forward-port patch `index` of `queue` onto the upstream branch and push
/// it to Gerrit (see the module documentation).
///
/// Errors: [`Error::Usage`] when the project names no `gerrit`, the patch is
/// not `upstreamable/`, or no push URL is known; [`Error::Blocked`] beside
/// another operation the journal's table refuses it with;
/// [`Error::PatchFailed`] when the queue up to the patch does not apply on
/// the pin; [`Error::Refused`] when the patch changes nothing upstream;
/// [`Error::Conflict`] (exit 3) for a conflict in a dry run;
/// [`Error::Upstream`] when a fetch or the push fails (nothing is written
/// then, and nothing stays in progress). A conflict is [`Report::Stopped`].
pub fn propose(
    ws: &Workspace,
    queue: &Queue,
    index: usize,
    options: &Options,
    progress: &dyn Progress,
) -> Result<Report> {
    let project = &queue.project;
    let loaded = &queue.patches[index];
    if loaded.category() != Category::Upstreamable {
        return Err(Error::Usage(format!(
            "{} is {}, not upstreamable; only patches meant for upstream are proposed (move it to upstreamable/ in patches/{project}/series first)",
            loaded.display(),
            loaded.category()
        )));
    }
    match options.dry_run {
        // A dry run writes nothing: only a sequence in progress is in its way.
        true => journal::guard_sequence(ws, project, Kind::Propose)?,
        false => drop(journal::guard(ws, project, Kind::Propose, false)?),
    }
    let upstream = Upstream::open(ws, project)?;
    let pin = upstream.resolve(ws, &ws.project(project)?.pin, progress)?;
    let target = target(ws, &upstream, pin, options, progress)?;
    let memory;
    let git = match options.dry_run {
        true => {
            memory = Git::open_in_memory(upstream.mirror.path())?;
            &memory
        }
        false => &upstream.mirror,
    };
    // The patch as the queue builds it on the pin: its parent and its commit.
    let built = build::build(git, pin, &queue.patches[..=index], None, progress)?;
    let parent = match index {
        0 => pin,
        _ => built[index - 1].commit,
    };
    let state = Replay {
        orig_head: None,
        todo: vec![(loaded.path.clone(), built[index].commit.to_string())],
        done: 0,
        base: target.tip.to_string(),
        conflict: Vec::new(),
        recorded: Default::default(),
        kind: State {
            branch: target.branch.clone(),
            topic: options.topic.clone(),
            push: target.push.clone(),
            onto: target.tip.to_string(),
            parent: parent.to_string(),
            how: None,
            change_id: None,
            change_id_added: false,
            url: None,
        },
    };
    let mut hooks = Propose {
        project: project.clone(),
        queue: queue.clone(),
        server: target.server,
        dry_run: options.dry_run,
        conflict: Vec::new(),
        worktree: ws.rel(&worktree_dir(ws, project)),
    };
    let mut record = Record {
        kind: Kind::Propose,
        project: project.clone(),
        started: String::new(),
        payload: state,
    };
    if options.dry_run {
        replay::dry_run(ws, git, &mut hooks, &mut record, progress)?;
        if !hooks.conflict.is_empty() {
            return Err(Error::Conflict(format!(
                "{} conflicts with upstream {} ({}) in {}; run without --dry-run to get the conflict in a work tree of its own",
                loaded.display(),
                target.branch,
                short(target.tip),
                hooks.conflict.join(", ")
            )));
        }
        hooks.refuse_if_dropped(&record.payload)?;
        return Ok(Report::Proposed(hooks.proposal(git, &record.payload)?));
    }
    // No propose is recorded (the guard said so): a work tree left by one
    // killed before it was recorded is stale.
    remove_worktree(ws, project)?;
    Git::init_worktree(&worktree_dir(ws, project), project, &git.objects_dir())?;
    let mut record = Record::begin(ws, Kind::Propose, project, record.payload)?;
    replay::run(ws, &mut hooks, &mut record, progress)
}

/// `--continue`: take the resolution in `.verda/propose/<project>`
/// (conflicts resolved and `git add`ed), or go on after a kill; push and
/// record it.
///
/// Errors: [`Error::Conflict`] while paths are still in conflict; those of
/// [`propose`], except that a failed push of a resolution made by hand
/// keeps the propose in progress (and says so).
pub fn resume(ws: &Workspace, project: &str, progress: &dyn Progress) -> Result<Report> {
    // The engine refuses too, as "still in conflict: <files>"; a propose
    // has said "<files> still in conflict" since issue 18 (tests/pick.rs and
    // tests/gerrit.rs hold one wording each).
    if let Some(git) = Propose::open_worktree(ws, project)? {
        let left = git.index_conflicts()?;
        if !left.is_empty() {
            return Err(Error::Conflict(format!(
                "{} still in conflict in {}: resolve, `git add` them, then {}",
                left.join(", "),
                ws.rel(&worktree_dir(ws, project)),
                journal::sequence_recover(Kind::Propose, project)
            )));
        }
    }
    replay::resume(
        ws,
        project,
        &mut Propose::open(ws, project, progress)?,
        progress,
    )
}

/// `--abort`: the patch repo back byte for byte and the work tree gone
/// (custom-source is not touched; a change already pushed stays on Gerrit).
pub fn abort(ws: &Workspace, project: &str) -> Result<()> {
    replay::abort::<Propose>(ws, project)?;
    remove_worktree(ws, project)
}

/// A propose run.
struct Propose {
    project: String,
    queue: Queue,
    server: Gerrit,
    dry_run: bool,
    /// The files in conflict, noted by a dry run.
    conflict: Vec<String>,
    /// The work tree, from the patch repo root (for messages).
    worktree: String,
}

impl Propose {
    /// The propose of `project` recorded in the journal, to go on with.
    fn open(ws: &Workspace, project: &str, progress: &dyn Progress) -> Result<Propose> {
        let upstream = Upstream::open(ws, project)?;
        let pin = upstream.resolve(ws, &ws.project(project)?.pin, progress)?;
        let gitreview = gitreview_at(&upstream.mirror, pin)?;
        let server = Gerrit::of(ws.project(project)?, gitreview.as_ref())
            .ok_or_else(|| no_gerrit(project))?;
        Ok(Propose {
            project: project.to_string(),
            queue: Queue::load(ws, project)?,
            server,
            dry_run: false,
            conflict: Vec::new(),
            worktree: ws.rel(&worktree_dir(ws, project)),
        })
    }

    fn patch(&self, path: &str) -> Result<&LoadedPatch> {
        self.queue
            .patches
            .iter()
            .find(|p| p.path == path)
            .ok_or_else(|| {
                let recover = journal::sequence_recover(Kind::Propose, &self.project);
                Error::Refused(format!(
                    "{path} is no longer in patches/{}/series; `{}` drops the propose",
                    self.project,
                    recover.undo.unwrap_or_default()
                ))
            })
    }

    fn display(&self, state: &Replay<State>) -> String {
        let path = &state.todo[0].0;
        self.patch(path)
            .map(LoadedPatch::display)
            .unwrap_or_else(|_| format!("patches/{}/{path}", self.project))
    }

    /// A patch that changes nothing on the tip is not proposed.
    fn refuse_if_dropped(&self, state: &Replay<State>) -> Result<()> {
        if state.kind.how.is_some() {
            return Ok(());
        }
        let tip = oid(&state.kind.onto)?;
        Err(Error::Refused(format!(
            "{} changes nothing on upstream {} ({}): upstream already has it; set `Upstream-Status: Accepted` or drop the patch",
            self.display(state),
            state.kind.branch,
            short(tip)
        )))
    }

    /// The proposal of the forward-port `state.base`.
    fn proposal(&self, git: &Git, state: &Replay<State>) -> Result<Proposal> {
        let kind = &state.kind;
        let how = kind.how.clone().unwrap_or_default();
        let change_id = kind.change_id.clone().unwrap_or_default();
        let mut refspec = format!("{}:refs/for/{}", state.base, kind.branch);
        if let Some(topic) = &kind.topic {
            refspec.push_str(&format!("%topic={topic}"));
        }
        let forward_port = if how == "by hand" {
            "resolved by hand"
        } else if git.tree_of(oid(&kind.parent)?)? == git.tree_of(oid(&kind.onto)?)? {
            "clean"
        } else {
            "3-way"
        };
        Ok(Proposal {
            project: self.project.clone(),
            patch: self.display(state),
            branch: kind.branch.clone(),
            onto: kind.onto.clone(),
            commit: state.base.clone(),
            url: kind
                .url
                .clone()
                .unwrap_or_else(|| format!("{}/q/{change_id}", self.server.server)),
            change_id,
            change_id_added: kind.change_id_added,
            forward_port,
            how,
            push: redact_credentials(&kind.push),
            refspec,
            dry_run: self.dry_run,
        })
    }

    /// The push failed: nothing was written to the patch repo. A
    /// forward-port made by the engine alone is dropped (propose again
    /// once the push works); one resolved by hand stays for `--continue`.
    fn push_failed(&self, ws: &Workspace, state: &Replay<State>, error: Error) -> Result<Error> {
        if state.kind.how.as_deref() == Some("by hand") {
            let recover = journal::sequence_recover(Kind::Propose, &self.project);
            return Ok(Error::Upstream(format!(
                "{error}\nyour resolution stays in {}; {recover}",
                self.worktree
            )));
        }
        journal::end(ws, &self.project)?;
        remove_worktree(ws, &self.project)?;
        Ok(error)
    }

    /// The patch file with the Change-Id (when made now) and
    /// `Upstream-Status: Submitted <url>`.
    fn record_in_patch(&self, state: &Replay<State>, url: &str) -> Result<()> {
        let loaded = self.patch(&state.todo[0].0)?;
        let mut recorded = loaded.patch.message().to_string();
        if let Some(id) = &state.kind.change_id {
            if patch::trailer(&recorded, "Change-Id").is_none() {
                recorded = patch::with_trailer(&recorded, "Change-Id", id);
            }
        }
        recorded = with_status(&recorded, &format!("Submitted {url}"));
        let mut updated = Patch::from_message(
            loaded.patch.author.clone(),
            loaded.patch.date,
            &recorded,
            loaded.patch.diff.clone(),
        );
        updated.extra_headers = loaded.patch.extra_headers.clone();
        fsutil::write_atomic(&loaded.file, &updated.to_bytes())
    }
}

impl Hooks for Propose {
    type Payload = State;
    type Report = Report;
    const KIND: Kind = Kind::Propose;
    const PACKED: bool = false;
    /// The resolution is the pushed change itself.
    const RECORD_RESOLUTIONS: bool = false;

    fn prepare(&mut self, _: &Git, _: &Replay<State>) -> Result<()> {
        Ok(())
    }

    /// The patch file applied to the tip (exactly or at an offset), else its
    /// change on the pin merged three-way onto the tip.
    fn attempt(&mut self, ws: &Workspace, git: &Git, state: &Replay<State>) -> Result<Attempt> {
        let Some((path, commit)) = state.current() else {
            return Err(Error::Refused("nothing left to propose".into()));
        };
        let patch = self.patch(path)?;
        let tip = git.tree_of(oid(&state.base)?)?;
        match build::apply_to_tree(git, tip, patch) {
            Ok((tree, How::Offset { .. })) => Ok(Attempt::Tree {
                tree,
                how: "offset",
            }),
            Ok((tree, How::ThreeWay { .. })) => Ok(Attempt::Tree { tree, how: "3-way" }),
            Ok((tree, _)) => Ok(Attempt::Tree { tree, how: "clean" }),
            Err(Error::PatchFailed { .. }) => {
                let parent = git.tree_of(oid(&state.kind.parent)?)?;
                let patched = git.tree_of(oid(commit)?)?;
                replay::merge(ws, &self.project, git, parent, tip, patched)
            }
            Err(e) => Err(e),
        }
    }

    /// The patch's author and message without downstream trailers
    /// (`Upstream-Status`), with its Change-Id, made now when it has none.
    fn commit(&self, git: &Git, state: &Replay<State>, tree: Oid) -> Result<Oid> {
        let loaded = self.patch(&state.todo[state.done].0)?;
        let tip = oid(&state.base)?;
        let committer = git.committer()?;
        let mut message = patch::without_trailer(loaded.patch.message(), "Upstream-Status");
        if patch::trailer(&message, "Change-Id").is_none() {
            let id = gerrit::change_id(&ident_line(&committer), Some(&tip.to_string()), &message);
            message = patch::with_trailer(&message, "Change-Id", &id);
        }
        git.commit_as(
            tree,
            tip,
            &build::identity(&loaded.patch),
            &committer,
            &message,
        )
    }

    fn done(
        &mut self,
        _: &Workspace,
        git: &Git,
        state: &mut Replay<State>,
        outcome: Outcome,
    ) -> Result<()> {
        state.kind.how = match outcome {
            Outcome::Carried { how } => Some(how),
            Outcome::Resolved { recorded: true } => Some("recorded".into()),
            Outcome::Resolved { recorded: false } => Some("by hand".into()),
            Outcome::Conflict { files } => {
                self.conflict = files;
                None
            }
            Outcome::Dropped { .. } | Outcome::Skipped => None,
        };
        if state.kind.how.is_some() {
            let message = git.commit_info(oid(&state.base)?)?.message;
            let loaded = self.patch(&state.todo[state.done].0)?;
            state.kind.change_id = patch::trailer(&message, "Change-Id");
            state.kind.change_id_added =
                patch::trailer(loaded.patch.message(), "Change-Id").is_none();
        }
        Ok(())
    }

    fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// Push the forward-port, record the change in the patch file, forget
    /// the propose and its work tree.
    fn finish(
        &mut self,
        ws: &Workspace,
        git: &Git,
        record: &mut ProposeRecord,
        progress: &dyn Progress,
    ) -> Result<Report> {
        if let Err(e) = self.refuse_if_dropped(&record.payload) {
            journal::end(ws, &self.project)?;
            remove_worktree(ws, &self.project)?;
            return Err(e);
        }
        let mut proposal = self.proposal(git, &record.payload)?;
        if record.payload.kind.url.is_none() {
            let push = &record.payload.kind.push;
            progress.begin(&format!("pushing to {}", proposal.push), None);
            let said = git.push(push, &proposal.refspec);
            progress.end();
            let said = match said {
                // Gerrit refuses a commit it has as a patch set already:
                // a propose killed after its push, before it recorded the
                // URL, pushes the same commit again (the change is asked
                // for its URL below).
                Err(Error::Upstream(message)) if message.contains("no new changes") => {
                    String::new()
                }
                Ok(said) => said,
                Err(e) => return Err(self.push_failed(ws, &record.payload, e)?),
            };
            crate::crash_point("propose-pushed");
            let url = change_url(&said)
                .or_else(|| url_from_gerrit(&self.server, &proposal.change_id, &proposal.branch))
                .unwrap_or(proposal.url.clone());
            record.payload.kind.url = Some(url.clone());
            record.save(ws)?;
            crate::crash_point("propose-recorded");
            proposal.url = url;
        }
        self.record_in_patch(&record.payload, &proposal.url)?;
        crate::crash_point("propose-patch-written");
        journal::end(ws, &self.project)?;
        remove_worktree(ws, &self.project)?;
        Ok(Report::Proposed(proposal))
    }

    fn branch(state: &Replay<State>) -> String {
        state.kind.branch.clone()
    }

    fn worktree_path(ws: &Workspace, project: &str) -> PathBuf {
        worktree_dir(ws, project)
    }

    fn open_worktree(ws: &Workspace, project: &str) -> Result<Option<Git>> {
        let dir = worktree_dir(ws, project);
        if !dir.exists() {
            return Ok(None);
        }
        let git = Git::open(&dir)
            .ok()
            .filter(|g| g.managed_project().as_deref() == Some(project) && g.workdir().is_some());
        git.map(Some).ok_or_else(|| {
            Error::Refused(format!(
                "{} is not the work tree of a propose of `{project}`; move it away",
                ws.rel(&dir)
            ))
        })
    }

    fn stopped(&self, record: &ProposeRecord, files: Vec<String>) -> Report {
        let state = &record.payload;
        Report::Stopped {
            stopped: Stopped {
                project: self.project.clone(),
                patch: self.display(state),
                branch: state.kind.branch.clone(),
                onto: state.kind.onto.clone(),
                files,
                worktree: self.worktree.clone(),
            },
        }
    }

    /// Nothing of custom-source to put back: the work tree is removed.
    fn abort_to(_: &Replay<State>) -> Result<AbortTo> {
        Ok(AbortTo {
            head: None,
            refs: Vec::new(),
            written: Vec::new(),
        })
    }
}

fn no_gerrit(project: &str) -> Error {
    Error::Usage(format!(
        "project `{project}` names no Gerrit; add `gerrit = \"https://review.example.org\"` (and `gerrit_push` if the upstream tree has no .gitreview) to [projects.{project}] in verda-patch.toml"
    ))
}

/// The server, push URL and branch, and the branch tip fetched now.
fn target(
    ws: &Workspace,
    upstream: &Upstream,
    pin: Oid,
    options: &Options,
    progress: &dyn Progress,
) -> Result<Target> {
    let project = &upstream.project;
    let gitreview = gitreview_at(&upstream.mirror, pin)?;
    let server =
        Gerrit::of(ws.project(project)?, gitreview.as_ref()).ok_or_else(|| no_gerrit(project))?;
    let push = server
        .push
        .as_deref()
        .map(|url| crate::manifest::resolve_local(&ws.root, url))
        .ok_or_else(|| {
            Error::Usage(format!(
                "where to push is unknown: the upstream tree has no .gitreview; set `gerrit_push = \"ssh://<user>@<host>:29418/<project>\"` in [projects.{project}] of verda-patch.toml"
            ))
        })?;
    let branch = options
        .branch
        .clone()
        .or_else(|| gitreview.as_ref().and_then(|g| g.default_branch.clone()))
        .unwrap_or_else(|| "master".into());
    // The upstream branch tip, as upstream has it now.
    let tip_ref = format!("refs/verda/propose/{branch}");
    let from = match &upstream.source {
        Source::Git { url } => url.clone(),
        Source::Pypi { .. } => push.clone(),
    };
    upstream.mirror.fetch_refs(
        &from,
        &[&format!("+refs/heads/{branch}:{tip_ref}")],
        progress,
    )?;
    let tip = upstream.mirror.ref_target(&tip_ref).ok_or_else(|| {
        Error::Upstream(format!(
            "{} has no branch `{branch}`; name an upstream branch with --branch",
            redact_credentials(&from)
        ))
    })?;
    Ok(Target {
        server,
        push,
        branch,
        tip,
    })
}

/// `message` with its `Upstream-Status:` set to `value`: the trailer line
/// rewritten where it is, or added when there is none.
fn with_status(message: &str, value: &str) -> String {
    if let Some(old) = patch::trailer(message, "Upstream-Status") {
        let line = format!("\nUpstream-Status: {old}\n");
        if let Some(at) = message.rfind(&line) {
            return format!(
                "{}\nUpstream-Status: {value}\n{}",
                &message[..at],
                &message[at + line.len()..]
            );
        }
    }
    let rest = patch::without_trailer(message, "Upstream-Status");
    patch::with_trailer(&rest, "Upstream-Status", value)
}

/// The change URL Gerrit prints on a push (`remote:   https://…/c/…/+/123 subject [NEW]`).
fn change_url(said: &str) -> Option<String> {
    said.lines()
        .filter_map(|line| line.trim().strip_prefix("remote:"))
        .flat_map(str::split_whitespace)
        .find(|word| {
            (word.starts_with("https://") || word.starts_with("http://"))
                && gerrit::number_in_url(word).is_some()
        })
        .map(str::to_string)
}

/// The change's URL as Gerrit answers for the Change-Id on `branch`.
fn url_from_gerrit(server: &Gerrit, change_id: &str, branch: &str) -> Option<String> {
    let answer = server.query(&[change_id.to_string()]).ok()?;
    answer
        .get(change_id)?
        .iter()
        .find(|c| c.branch == branch)
        .map(|c| c.url.clone())
}

#[cfg(test)]
mod tests {
    use super::change_url;

    #[test]
    fn change_url_is_read_from_gerrits_push_answer() {
        let said = "remote: \nremote: Processing changes: refs: 1, new: 1, done\nremote: \nremote: SUCCESS\nremote: \nremote:   https://review.example.org/c/openstack/nova/+/912345 Cache weigher results [NEW]\nremote: \nTo ssh://review.example.org:29418/openstack/nova\n";
        assert_eq!(
            change_url(said).as_deref(),
            Some("https://review.example.org/c/openstack/nova/+/912345")
        );
        assert_eq!(
            change_url("To /tmp/upstream.git\n * [new reference] x -> refs/for/master\n"),
            None
        );
    }
}
