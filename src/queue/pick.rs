//! `cherry-pick`: take upstream commits into the queue early, with their
//! provenance, so the next `rebase --to` drops them by ancestry or Change-Id.
//!
//! Each commit is found in the upstream mirror (by revision, or by Change-Id
//! across all branches and tags), merged three-way onto custom-source's head
//! and exported as a new patch (default category `bugfix`). A conflict stops
//! like `rebase` does (exit 3; `--continue` / `--abort`): the replay is the
//! engine's (`replay`), this file holds a pick's [`Hooks`] (finding the
//! commit, the provenance trailers, exporting each pick).

use serde::{Deserialize, Serialize};

use super::apply;
use super::custom_source;
use super::export::{ExportOptions, export_queue};
use super::journal::{self, Kind, Record};
use super::replay::{self, AbortTo, Attempt, Hooks, Outcome, Replay, oid};
use super::series::Category;
use crate::error::{Error, Result};
use crate::manifest::Workspace;
use crate::patch;
use crate::progress::Progress;
use crate::repo::{CommitInfo, Git, Oid, short};
use crate::upstream::Upstream;

/// What a cherry-pick keeps besides the replay engine's state (whose items
/// are (what the user asked for, the upstream commit)).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    category: Category,
}

#[derive(Debug, Clone, Serialize)]
pub struct Picked {
    pub rev: String,
    pub commit: String,
    pub subject: String,
    /// The new patch file, relative to `patches/<project>/`.
    pub patch: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PickReport {
    pub project: String,
    pub picked: Vec<Picked>,
    /// The revision it stopped on and the files in conflict.
    pub stopped: Option<(String, Vec<String>)>,
}

type PickRecord = Record<Replay<State>>;

/// A cherry-pick stopped on a conflict (or killed): where it is.
#[derive(Debug, Serialize)]
pub struct PickProgress {
    pub done: usize,
    pub total: usize,
    /// What the user asked for that it stopped on, with the files still in
    /// conflict in custom-source.
    pub stopped_on: (String, Vec<String>),
}

/// The cherry-pick into `project` in progress, if any.
pub(crate) fn progress(ws: &Workspace, project: &str) -> Result<Option<PickProgress>> {
    let Some(record) = PickRecord::load(ws, Kind::CherryPick, project)? else {
        return Ok(None);
    };
    // custom-source may be gone or replaced: status says so on its own.
    let conflicts = match custom_source::open(ws, project).ok().flatten() {
        Some(git) => git.index_conflicts()?,
        None => Vec::new(),
    };
    let state = record.payload;
    let rev = state
        .current()
        .map(|(rev, _)| rev.clone())
        .unwrap_or_default();
    Ok(Some(PickProgress {
        done: state.done,
        total: state.todo.len(),
        stopped_on: (rev, conflicts),
    }))
}

fn is_change_id(rev: &str) -> bool {
    rev.len() == 41 && rev.starts_with('I') && rev[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The upstream commit `rev` names: a revision, or a Change-Id searched in
/// all upstream history, newest first. Several commits with one Change-Id
/// (a change and its backports) are listed for the user to choose.
pub fn find(upstream: &Upstream, rev: &str) -> Result<Oid> {
    let git = &upstream.mirror;
    if !is_change_id(rev) {
        return git.resolve_pin(rev).ok_or_else(|| {
            Error::Upstream(format!(
                "unknown revision `{rev}` in {}; run `verda-patch fetch` if it is new upstream",
                upstream.describe()
            ))
        });
    }
    let matches: Vec<CommitInfo> = git
        .all_commits()?
        .into_iter()
        .filter(|c| patch::trailer(&c.message, "Change-Id").as_deref() == Some(rev))
        .collect();
    match matches.as_slice() {
        [] => Err(Error::Upstream(format!(
            "no commit with Change-Id {rev} in {}; run `verda-patch fetch` if it merged recently",
            upstream.describe()
        ))),
        [one] => Ok(one.id),
        many => {
            let list: Vec<String> = many
                .iter()
                .map(|c| {
                    format!(
                        "  {} {}",
                        short(c.id),
                        c.message.lines().next().unwrap_or("")
                    )
                })
                .collect();
            Err(Error::Usage(format!(
                "Change-Id {rev} is on {} upstream commits; pick one by its id:\n{}",
                many.len(),
                list.join("\n")
            )))
        }
    }
}

/// The message of a pick: upstream's, with `(cherry picked from commit …)`
/// and `Upstream-Status: Backport <sha>` in its trailer block.
fn provenance(message: &str, commit: Oid) -> String {
    let message = message.trim_end();
    let last = message.rsplit("\n\n").next().unwrap_or("");
    let in_block = message.contains("\n\n") && !patch::trailers(last).is_empty();
    let picked = format!("(cherry picked from commit {commit})");
    let with_line = if in_block {
        format!("{message}\n{picked}\n")
    } else {
        format!("{message}\n\n{picked}\n")
    };
    patch::with_trailer(&with_line, "Upstream-Status", &format!("Backport {commit}"))
}

pub fn start(
    ws: &Workspace,
    project: &str,
    revs: &[String],
    category: Category,
    progress: &dyn Progress,
) -> Result<PickReport> {
    journal::guard(ws, project, Kind::CherryPick, false)?;
    let upstream = Upstream::open(ws, project)?;
    let mut picks = Vec::with_capacity(revs.len());
    for rev in revs {
        let found = match find(&upstream, rev) {
            Ok(id) => id,
            // Not in the mirror yet: fetch once and look again.
            Err(Error::Upstream(_))
                if matches!(upstream.source, crate::manifest::Source::Git { .. }) =>
            {
                upstream.fetch(ws, rev, progress)?;
                find(&upstream, rev)?
            }
            Err(e) => return Err(e),
        };
        picks.push((rev.clone(), found.to_string()));
    }
    let applied = apply::apply(ws, project, apply::ApplyOptions::default(), progress)?;
    let state = Replay {
        orig_head: Some(applied.head.to_string()),
        todo: picks,
        done: 0,
        base: applied.head.to_string(),
        conflict: Vec::new(),
        recorded: Default::default(),
        kind: State { category },
    };
    let mut record = Record::begin(ws, Kind::CherryPick, project, state)?;
    replay::run(ws, &mut Pick::new(project), &mut record, progress)
}

/// A cherry-pick run: what this command picked so far.
struct Pick {
    project: String,
    picked: Vec<Picked>,
}

impl Pick {
    fn new(project: &str) -> Pick {
        Pick {
            project: project.to_string(),
            picked: Vec::new(),
        }
    }

    fn upstream_commit(git: &Git, state: &Replay<State>) -> Result<(Oid, CommitInfo)> {
        let (_, commit) = &state.todo[state.done];
        let commit = oid(commit)?;
        Ok((commit, git.commit_info(commit)?))
    }
}

impl Hooks for Pick {
    type Payload = State;
    type Report = PickReport;
    const KIND: Kind = Kind::CherryPick;
    const PACKED: bool = false;
    const RECORD_RESOLUTIONS: bool = false;

    fn prepare(&mut self, _: &Git, _: &Replay<State>) -> Result<()> {
        Ok(())
    }

    /// The upstream commit's change merged three-way onto the queue.
    fn attempt(&mut self, ws: &Workspace, git: &Git, state: &Replay<State>) -> Result<Attempt> {
        let (_, info) = Self::upstream_commit(git, state)?;
        let [parent] = info.parents.as_slice() else {
            return Err(Error::Usage(format!(
                "{} is a merge or a root commit; pick the commits it merges instead",
                state.todo[state.done].0
            )));
        };
        let base = git.tree_of(oid(&state.base)?)?;
        replay::merge(
            ws,
            &self.project,
            git,
            git.tree_of(*parent)?,
            base,
            info.tree,
        )
    }

    /// Upstream's author and message, with the provenance trailers.
    fn commit(&self, git: &Git, state: &Replay<State>, tree: Oid) -> Result<Oid> {
        let (commit, info) = Self::upstream_commit(git, state)?;
        git.commit(
            tree,
            &[oid(&state.base)?],
            &info.author,
            &provenance(&info.message, commit),
        )
    }

    /// A pick that changed something becomes a patch file at once.
    fn done(
        &mut self,
        ws: &Workspace,
        git: &Git,
        state: &mut Replay<State>,
        outcome: Outcome,
    ) -> Result<()> {
        let (rev, commit) = state.todo[state.done].clone();
        let info = git.commit_info(oid(&commit)?)?;
        let mut picked = Picked {
            rev,
            commit,
            subject: info.message.lines().next().unwrap_or("").to_string(),
            patch: None,
        };
        if !matches!(outcome, Outcome::Dropped { .. } | Outcome::Skipped) {
            custom_source::move_worktree(
                git,
                custom_source::BRANCH,
                oid(&state.base)?,
                "verda-patch: cherry-pick",
            )?;
            let exported = export_queue(
                ws,
                &self.project,
                ExportOptions {
                    category: Some(state.kind.category),
                    ..ExportOptions::default()
                },
                &crate::progress::Silent,
            )?;
            picked.patch = exported.added.first().cloned();
            // export gave the commit its `Verda-Patch:` trailer.
            if let Some(head) = git.head_commit() {
                state.base = head.to_string();
            }
        }
        self.picked.push(picked);
        Ok(())
    }

    fn finish(
        &mut self,
        ws: &Workspace,
        _: &Git,
        _: &mut PickRecord,
        _: &dyn Progress,
    ) -> Result<PickReport> {
        journal::end(ws, &self.project)?;
        Ok(PickReport {
            project: self.project.clone(),
            picked: std::mem::take(&mut self.picked),
            stopped: None,
        })
    }

    fn stopped(&self, record: &PickRecord, files: Vec<String>) -> PickReport {
        let state = &record.payload;
        PickReport {
            project: self.project.clone(),
            picked: self.picked.clone(),
            stopped: Some((state.todo[state.done].0.clone(), files)),
        }
    }

    fn abort_to(state: &Replay<State>) -> Result<AbortTo> {
        let head = state.orig_head.as_deref().map(oid).transpose()?;
        Ok(AbortTo {
            head,
            refs: head
                .map(|h| (custom_source::APPLIED_REF, h))
                .into_iter()
                .collect(),
            written: Vec::new(),
        })
    }
}

/// `--continue`: take the user's resolution in custom-source and go on.
pub fn resume(ws: &Workspace, project: &str) -> Result<PickReport> {
    replay::resume(
        ws,
        project,
        &mut Pick::new(project),
        &crate::progress::Silent,
    )
}

/// `--abort`: the patch repo and custom-source as they were.
pub fn abort(ws: &Workspace, project: &str) -> Result<()> {
    replay::abort::<Pick>(ws, project)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_joins_the_trailer_block() {
        let id = Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap();
        let message = provenance("Fix it\n\nBody.\n\nCloses-Bug: #1\nChange-Id: I00\n", id);
        assert_eq!(
            message,
            "Fix it\n\nBody.\n\nCloses-Bug: #1\nChange-Id: I00\n(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)\n\
             Upstream-Status: Backport 0123456789abcdef0123456789abcdef01234567\n"
        );
        let bare = provenance("Fix it\n", id);
        assert!(
            bare.starts_with("Fix it\n\n(cherry picked from commit 0123"),
            "{bare}"
        );
    }
}
