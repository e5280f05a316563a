//! `list` and `status`: the queue per project, and the state of
//! custom-source relative to it.

use serde::Serialize;

use super::custom_source::{self, APPLIED_REF, BRANCH, PIN_REF, unexported_commits};
use super::journal::{self, Kind, Step};
use super::pick::PickProgress;
use super::propose::ProposeProgress;
use super::rebase::RebaseProgress;
use super::series::Category;
use super::{AppliedState, Queue};
use crate::error::Result;
use crate::manifest::Workspace;
use crate::patch;
use crate::repo::{PinKind, short};
use crate::upstream::Upstream;

#[derive(Debug, Serialize)]
pub struct PatchInfo {
    pub index: usize,
    pub path: String,
    pub category: Category,
    pub subject: String,
    pub author: String,
    pub change_id: Option<String>,
    pub upstream_status: Option<String>,
    pub bugs: Vec<String>,
    pub cherry_picked_from: Vec<String>,
    /// Where it stands upstream, when asked for (`list --upstream`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<super::upstreamed::Standing>,
    /// Its changes on Gerrit, every branch (`list --upstream` with a
    /// `gerrit` server; empty: not proposed); absent when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gerrit: Option<Vec<crate::upstream::gerrit::Change>>,
}

pub fn list(queue: &Queue) -> Vec<PatchInfo> {
    queue
        .patches
        .iter()
        .enumerate()
        .map(|(i, loaded)| {
            let p = &loaded.patch;
            let message = p.message();
            let bugs = patch::trailers(message)
                .into_iter()
                .filter(|(k, _)| {
                    k.eq_ignore_ascii_case("Closes-Bug")
                        || k.eq_ignore_ascii_case("Related-Bug")
                        || k.eq_ignore_ascii_case("Partial-Bug")
                })
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            PatchInfo {
                index: i + 1,
                path: loaded.path.clone(),
                category: loaded.category(),
                subject: p.subject(),
                author: format!("{} <{}>", p.author.name, p.author.email),
                change_id: patch::trailer(message, "Change-Id"),
                upstream_status: patch::trailer(message, "Upstream-Status"),
                bugs,
                cherry_picked_from: patch::cherry_picked_from(message),
                upstream: None,
                gerrit: None,
            }
        })
        .collect()
}

/// State of `custom-source/<project>`.
#[derive(Debug, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum SourceState {
    /// Not built yet.
    Absent,
    /// A directory that verda-patch did not make (left alone).
    Foreign { message: String },
    Present {
        head: Option<String>,
        branch: Option<String>,
        /// Head is at what the last apply/export produced.
        in_sync: bool,
        unexported_commits: usize,
        dirty_files: Vec<String>,
        untracked_files: usize,
        /// The pin custom-source was built on differs from the manifest's.
        pin_changed: bool,
        /// Patch files or series changed since the last apply/export.
        queue_changed: bool,
        /// Set while a rebase or cherry-pick is in progress: the commits
        /// not exported and the dirty files above are that operation's
        /// work in progress (its conflict, its commits), not the user's.
        #[serde(skip_serializing_if = "Option::is_none")]
        owned_by: Option<Kind>,
    },
}

#[derive(Debug, Serialize)]
pub struct ProjectStatus {
    pub project: String,
    pub source: String,
    pub pin: String,
    pub pin_commit: Option<String>,
    /// What the pin names; a branch pin is its tip at the last fetch.
    pub pin_kind: Option<PinKind>,
    pub patches: usize,
    pub by_category: Vec<(Category, usize)>,
    pub custom_source: SourceState,
    /// A rebase in progress (or interrupted): where it is.
    pub rebase: Option<RebaseProgress>,
    /// A cherry-pick stopped on a conflict (or interrupted): where it is.
    pub cherry_pick: Option<PickProgress>,
    /// What is in progress (or was killed half-way) and how to finish or
    /// undo it: the journal's answer.
    pub pending: Option<journal::Pending>,
    /// An apply or export that was killed (or failed) half-way, outside a
    /// rebase (which finishes or undoes its own).
    pub interrupted: Option<Interrupted>,
    /// A propose stopped on a conflict (or interrupted): the patch and the
    /// work tree its forward-port waits in.
    pub propose: Option<ProposeProgress>,
    /// What to run next, if anything.
    pub advice: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Interrupted {
    pub operation: Kind,
    /// When it started (UTC).
    pub started: String,
    /// What may be half-done.
    pub what: String,
    /// The command that finishes it.
    pub recover: String,
}

pub fn status(ws: &Workspace, project: &str) -> Result<ProjectStatus> {
    let spec = ws.project(project)?;
    let queue = Queue::load(ws, project)?;
    let upstream = Upstream::open(ws, project)?;
    let pin = upstream.mirror.resolve_pin_kind(&spec.pin);
    let pin_commit = pin.map(|(id, _)| id);
    let by_category = Category::ALL
        .iter()
        .map(|c| {
            (
                *c,
                queue.patches.iter().filter(|p| p.category() == *c).count(),
            )
        })
        .collect();
    let applied = AppliedState::load(ws, project);
    let (custom_source, advice) = match custom_source::open(ws, project) {
        Ok(None) => (
            SourceState::Absent,
            Some(format!(
                "run `verda-patch apply {project}` to build custom-source"
            )),
        ),
        Err(e) => (
            SourceState::Foreign {
                message: e.to_string(),
            },
            None,
        ),
        Ok(Some(git)) => {
            let head = git.head_commit();
            let work = git.work_state()?;
            let unexported = unexported_commits(&git)?.len();
            let built_pin = git.ref_target(PIN_REF);
            let pin_changed = match (built_pin, pin_commit) {
                (Some(built), Some(wanted)) => built != wanted,
                _ => applied.as_ref().map(|a| a.pin != spec.pin).unwrap_or(true),
            };
            let queue_changed = applied
                .as_ref()
                .map(|a| a.fingerprint != queue.fingerprint())
                .unwrap_or(true);
            let advice = if unexported > 0 || !work.dirty.is_empty() {
                Some(format!(
                    "commit your changes in custom-source/{project}, then run `verda-patch export {project}`"
                ))
            } else if queue_changed || pin_changed {
                Some(format!(
                    "patches or pin changed since the last apply; run `verda-patch apply {project}`"
                ))
            } else {
                None
            };
            (
                SourceState::Present {
                    head: head.map(short),
                    branch: git.head_branch(),
                    in_sync: head.is_some()
                        && head == git.ref_target(APPLIED_REF)
                        && git.head_branch().as_deref() == Some(BRANCH),
                    unexported_commits: unexported,
                    dirty_files: work.dirty,
                    untracked_files: work.untracked.len(),
                    pin_changed,
                    queue_changed,
                    owned_by: None,
                },
                advice,
            )
        }
    };
    let rebase = super::rebase::progress(ws, project)?;
    let cherry_pick = super::pick::progress(ws, project)?;
    let mut custom_source = custom_source;
    if let SourceState::Present { owned_by, .. } = &mut custom_source {
        *owned_by = match (&rebase, &cherry_pick) {
            (Some(_), _) => Some(Kind::Rebase),
            (None, Some(_)) => Some(Kind::CherryPick),
            (None, None) => None,
        };
    }
    let propose = super::propose::progress(ws, project)?;
    // A rebase or cherry-pick covers a step it was running when it was
    // killed: its `--continue` and `--abort` finish or undo that too. An
    // apply killed beside a propose is its own.
    let pending = journal::pending(ws, project)?;
    let step = match &pending {
        Some(p) if p.kind.covers_steps() => None,
        _ => Step::load(ws, project)?,
    };
    let interrupted = step.as_ref().map(|m| Interrupted {
        operation: m.operation,
        started: m.started.clone(),
        what: m.what(ws),
        recover: m.recover().finish,
    });
    let rel = ws.rel(&ws.custom_source(project));
    let advice = match &pending {
        Some(p) if p.kind == Kind::Propose => Some(match &propose {
            Some(s) if !s.stopped_on.is_empty() => format!(
                "resolve the conflict in {} and `git add`, then {}",
                s.worktree, p.recover
            ),
            _ => format!("a propose in {project} did not finish; {}", p.recover),
        }),
        Some(p) if p.kind.covers_steps() => {
            let stopped = match (&rebase, &cherry_pick) {
                (Some(r), _) => r.stopped_on.is_some(),
                (None, Some(c)) => !c.stopped_on.1.is_empty(),
                (None, None) => false,
            };
            Some(if stopped {
                format!(
                    "resolve the conflict in {rel} and `git add`, then {}",
                    p.recover
                )
            } else {
                let what = match &rebase {
                    Some(r) => format!("a rebase to {} was interrupted", r.to),
                    None => format!("a cherry-pick into {project} did not finish"),
                };
                format!("{what}; {}", p.recover)
            })
        }
        Some(p) => Some(p.recover.to_string()),
        None => advice,
    };
    Ok(ProjectStatus {
        propose,
        project: project.to_string(),
        source: upstream.describe(),
        pin: spec.pin.clone(),
        pin_commit: pin_commit.map(|id| id.to_string()),
        pin_kind: pin.map(|(_, kind)| kind),
        patches: queue.patches.len(),
        by_category,
        custom_source,
        rebase,
        cherry_pick,
        pending,
        interrupted,
        advice,
    })
}
