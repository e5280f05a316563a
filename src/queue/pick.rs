//! `cherry-pick`: take upstream commits into the queue early, with their
//! provenance, so the next `rebase --to` drops them by ancestry or Change-Id.
//!
//! Each commit is found in the upstream mirror (by revision, or by Change-Id
//! across all branches and tags), merged three-way onto custom-source's head
//! and exported as a new patch (default category `bugfix`). A conflict stops
//! like `rebase` does (exit 3; `--continue` / `--abort`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::apply::{self, APPLIED_REF, open_custom_source, refuse_during_rebase};
use super::export::{ExportOptions, export_queue};
use super::rebase::{backup_patch_repo, move_worktree, restore_patch_repo};
use super::series::Category;
use crate::error::{Error, IoContext, Result};
use crate::fsutil;
use crate::manifest::Workspace;
use crate::patch;
use crate::progress::Progress;
use crate::repo::{CommitInfo, Git, Oid, short};
use crate::upstream::Upstream;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    project: String,
    category: Category,
    /// (what the user asked for, the upstream commit), in order.
    picks: Vec<(String, String)>,
    done: usize,
    orig_head: String,
}

#[derive(Debug, Serialize)]
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

fn state_dir(ws: &Workspace, project: &str) -> PathBuf {
    ws.state_dir().join("cherry-pick").join(project)
}

fn load_state(ws: &Workspace, project: &str) -> Result<Option<State>> {
    let file = state_dir(ws, project).join("state.json");
    fsutil::read_json(
        &file,
        &format!("verda-patch cherry-pick --abort --project {project}"),
    )
}

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
pub fn progress(ws: &Workspace, project: &str) -> Result<Option<PickProgress>> {
    let Some(state) = load_state(ws, project)? else {
        return Ok(None);
    };
    // custom-source may be gone or replaced: status says so on its own.
    let conflicts = match open_custom_source(ws, project).ok().flatten() {
        Some(git) => git.index_conflicts()?,
        None => Vec::new(),
    };
    let rev = state
        .picks
        .get(state.done)
        .map(|(rev, _)| rev.clone())
        .unwrap_or_default();
    Ok(Some(PickProgress {
        done: state.done,
        total: state.picks.len(),
        stopped_on: (rev, conflicts),
    }))
}

/// apply, rebase and another cherry-pick would throw away a cherry-pick
/// stopped in custom-source.
pub fn refuse_during_pick(ws: &Workspace, project: &str) -> Result<()> {
    if load_state(ws, project)?.is_some() {
        return Err(Error::Refused(format!(
            "a cherry-pick into `{project}` is in progress; finish it with `verda-patch cherry-pick --continue --project {project}` or undo it with `--abort`"
        )));
    }
    Ok(())
}

fn save_state(ws: &Workspace, state: &State) -> Result<()> {
    fsutil::write_json(&state_dir(ws, &state.project).join("state.json"), state)
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
    refuse_during_rebase(ws, project)?;
    refuse_during_pick(ws, project)?;
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
    let state = State {
        project: project.to_string(),
        category,
        picks,
        done: 0,
        orig_head: applied.head.to_string(),
    };
    backup_patch_repo(ws, project, &state_dir(ws, project).join("backup"))?;
    save_state(ws, &state)?;
    run(ws, state, Vec::new())
}

fn custom_source(ws: &Workspace, project: &str) -> Result<Git> {
    open_custom_source(ws, project)?.ok_or_else(|| {
        Error::Refused(format!("custom-source/{project} is gone; run `verda-patch cherry-pick --abort --project {project}`"))
    })
}

fn oid(hex: &str) -> Result<Oid> {
    Oid::from_str(hex).map_err(|_| Error::Refused(format!("corrupt cherry-pick state: `{hex}`")))
}

/// Commit `tree` as the pick of `upstream_commit` on HEAD and export it.
fn record(
    ws: &Workspace,
    git: &Git,
    state: &State,
    upstream_commit: Oid,
    tree: Oid,
) -> Result<Picked> {
    let info = git.commit_info(upstream_commit)?;
    let head = git
        .head_commit()
        .ok_or_else(|| Error::Refused("custom-source has no HEAD".into()))?;
    let (rev, _) = &state.picks[state.done];
    let subject = info.message.lines().next().unwrap_or("").to_string();
    let mut picked = Picked {
        rev: rev.clone(),
        commit: upstream_commit.to_string(),
        subject,
        patch: None,
    };
    if tree == git.tree_of(head)? {
        return Ok(picked); // already in the queue: nothing to add
    }
    let new = git.commit(
        tree,
        &[head],
        &info.author,
        &provenance(&info.message, upstream_commit),
    )?;
    move_worktree(git, new)?;
    let exported = export_queue(
        ws,
        &state.project,
        ExportOptions {
            category: Some(state.category),
            check: false,
            skip_uncommitted: false,
        },
        &crate::progress::Silent,
    )?;
    picked.patch = exported.added.first().cloned();
    Ok(picked)
}

fn run(ws: &Workspace, mut state: State, mut picked: Vec<Picked>) -> Result<PickReport> {
    let git = custom_source(ws, &state.project)?;
    while state.done < state.picks.len() {
        let commit = oid(&state.picks[state.done].1)?;
        let info = git.commit_info(commit)?;
        let [parent] = info.parents.as_slice() else {
            return Err(Error::Usage(format!(
                "{} is a merge or a root commit; pick the commits it merges instead",
                state.picks[state.done].0
            )));
        };
        let head = git
            .head_commit()
            .ok_or_else(|| Error::Refused("custom-source has no HEAD".into()))?;
        match git.merge_trees(git.tree_of(*parent)?, git.tree_of(head)?, info.tree, |_| {
            None
        })? {
            Ok(tree) => picked.push(record(ws, &git, &state, commit, tree)?),
            Err(conflicts) => {
                save_state(ws, &state)?;
                git.cherry_pick_into_worktree(commit)?;
                let files = conflicts.into_iter().map(|c| c.path).collect();
                return Ok(PickReport {
                    project: state.project.clone(),
                    picked,
                    stopped: Some((state.picks[state.done].0.clone(), files)),
                });
            }
        }
        state.done += 1;
        save_state(ws, &state)?;
    }
    let dir = state_dir(ws, &state.project);
    std::fs::remove_dir_all(&dir).at(&dir)?;
    Ok(PickReport {
        project: state.project,
        picked,
        stopped: None,
    })
}

pub fn resume(ws: &Workspace, project: &str) -> Result<PickReport> {
    let mut state = load_state(ws, project)?
        .ok_or_else(|| Error::Usage(format!("no cherry-pick into `{project}` is in progress")))?;
    let git = custom_source(ws, project)?;
    let unresolved = git.index_conflicts()?;
    if !unresolved.is_empty() {
        return Err(Error::Conflict(format!(
            "still in conflict: {}; resolve and `git add` them in custom-source/{project}, then `verda-patch cherry-pick --continue --project {project}`",
            unresolved.join(", ")
        )));
    }
    let commit = oid(&state.picks[state.done].1)?;
    let tree = git.index_tree()?;
    git.cleanup_state()?;
    let picked = vec![record(ws, &git, &state, commit, tree)?];
    state.done += 1;
    save_state(ws, &state)?;
    run(ws, state, picked)
}

pub fn abort(ws: &Workspace, project: &str) -> Result<()> {
    let state = load_state(ws, project)?
        .ok_or_else(|| Error::Usage(format!("no cherry-pick into `{project}` is in progress")))?;
    let dir = state_dir(ws, project);
    restore_patch_repo(ws, project, &dir.join("backup"))?;
    if let Some(git) = open_custom_source(ws, project)? {
        git.cleanup_state()?;
        let head = oid(&state.orig_head)?;
        move_worktree(&git, head)?;
        git.set_ref(APPLIED_REF, head, "verda-patch: cherry-pick --abort")?;
    }
    // An export the pick was doing when it was killed is undone too.
    super::marker::InProgress::clear(ws, project)?;
    std::fs::remove_dir_all(&dir).at(&dir)?;
    Ok(())
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
