//! `propose`: send an `upstreamable/` patch to upstream Gerrit. The patch is
//! forward-ported onto the tip of the upstream branch with a 3-way merge
//! (as `rebase` replays patches), committed with its Change-Id (one is made
//! as Gerrit's `commit-msg` hook would when it has none), pushed through the
//! `git` executable to `refs/for/<branch>`, and the patch file records
//! `Upstream-Status: Submitted <change URL>` (and the Change-Id), atomically.
//!
//! A conflict stops (exit 3) with the forward-port in a work tree of its own,
//! `.verda/propose/<project>`, for the user to finish by hand; the patch
//! repository is not touched.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::series::Category;
use super::{LoadedPatch, Queue, build};
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
    /// `clean` (the branch has the patch's base), `3-way`, or `resolved by
    /// hand` (`--continue`).
    pub forward_port: &'static str,
    /// The push URL, credentials removed.
    pub push: String,
    pub refspec: String,
    /// The change on Gerrit; in a dry run, where it will be found.
    pub url: String,
    pub dry_run: bool,
}

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
    project: String,
    server: Gerrit,
    push: String,
    branch: String,
    tip: Oid,
    topic: Option<String>,
}

/// A forward-port stopped on a conflict, kept in `.verda/propose/<project>.json`
/// beside its work tree until `--continue` or `--abort`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct Stopped {
    /// The patch's series entry.
    patch: String,
    branch: String,
    topic: Option<String>,
    /// The upstream branch tip the work tree starts from.
    onto: String,
    push: String,
}

fn state_path(ws: &Workspace, project: &str) -> PathBuf {
    ws.state_dir()
        .join("propose")
        .join(format!("{project}.json"))
}

/// The series entry of the patch whose propose stopped on a conflict in
/// `project`, if one did (for `status`).
pub fn stopped_patch(ws: &Workspace, project: &str) -> Option<String> {
    fsutil::read_json::<Stopped>(&state_path(ws, project), "")
        .ok()
        .flatten()
        .map(|s| s.patch)
}

/// The project whose forward-port stopped on a conflict: the one named, or
/// the only one.
pub fn stopped_project(ws: &Workspace, named: Option<&str>) -> Result<String> {
    let stopped: Vec<String> = ws
        .manifest
        .projects
        .keys()
        .filter(|p| named.is_none_or(|n| n == p.as_str()))
        .filter(|p| state_path(ws, p).is_file())
        .cloned()
        .collect();
    match stopped.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::Usage(format!(
            "no propose stopped on a conflict{}; nothing to continue or abort",
            named.map(|n| format!(" in {n}")).unwrap_or_default()
        ))),
        many => Err(Error::Usage(format!(
            "proposals stopped in {}; name one with --project",
            many.join(", ")
        ))),
    }
}

/// Forward-port patch `index` of `queue` onto the upstream branch and push
/// it to Gerrit (see the module documentation).
///
/// Errors: [`Error::Usage`] when the project names no `gerrit`, the patch is
/// not `upstreamable/`, or no push URL is known; [`Error::PatchFailed`] when
/// the queue up to the patch does not apply on the pin; [`Error::Conflict`]
/// (exit 3) naming the work tree and the files; [`Error::Upstream`] when a
/// fetch or the push fails (nothing is written then).
pub fn propose(
    ws: &Workspace,
    queue: &Queue,
    index: usize,
    options: &Options,
    progress: &dyn Progress,
) -> Result<Proposal> {
    let project = &queue.project;
    let loaded = &queue.patches[index];
    if loaded.category() != Category::Upstreamable {
        return Err(Error::Usage(format!(
            "{} is {}, not upstreamable; only patches meant for upstream are proposed (move it to upstreamable/ in patches/{project}/series first)",
            loaded.display(),
            loaded.category()
        )));
    }
    if state_path(ws, project).is_file() {
        return Err(Error::Refused(format!(
            "a propose in {project} stopped on a conflict ({}); finish it with `verda-patch propose --continue --project {project}` or drop it with `--abort`",
            ws.rel(&conflict_dir(ws, project))
        )));
    }
    let upstream = Upstream::open(ws, project)?;
    let pin = upstream.resolve(ws, &ws.project(project)?.pin, progress)?;
    let target = target(ws, &upstream, pin, options, progress)?;

    // The patch as the queue builds it on the pin: its parent and its result.
    let git = &upstream.mirror;
    let built = build::build(git, pin, &queue.patches[..=index], None, progress)?;
    let base = if index == 0 {
        pin
    } else {
        built[index - 1].commit
    };
    let patched = built[index].commit;
    let (base_tree, tip_tree, patched_tree) = (
        git.tree_of(base)?,
        git.tree_of(target.tip)?,
        git.tree_of(patched)?,
    );
    let (tree, forward_port) = if base_tree == tip_tree {
        (patched_tree, "clean")
    } else {
        match git.merge_trees(base_tree, tip_tree, patched_tree, |_| None)? {
            Ok(tree) => (tree, "3-way"),
            Err(conflicts) => {
                let files: Vec<String> = conflicts.into_iter().map(|c| c.path).collect();
                return Err(conflict(
                    ws, queue, loaded, git, &target, patched, &files, options,
                )?);
            }
        }
    };
    finish(
        ws,
        loaded,
        git,
        &target,
        tree,
        forward_port,
        options.dry_run,
        progress,
    )
}

/// Push the forward-port the user finished in `.verda/propose/<project>`
/// (conflicts resolved and `git add`ed), record it in the patch file, and
/// remove the work tree.
///
/// Errors: [`Error::Conflict`] while paths are still in conflict; those of
/// [`propose`].
pub fn continue_stopped(
    ws: &Workspace,
    project: &str,
    progress: &dyn Progress,
) -> Result<Proposal> {
    let state_file = state_path(ws, project);
    let stopped: Stopped =
        fsutil::read_json(&state_file, "delete it and run `verda-patch propose` again")?
            .ok_or_else(|| {
                Error::Usage(format!("no propose stopped on a conflict in {project}"))
            })?;
    let queue = Queue::load(ws, project)?;
    let index = queue
        .patches
        .iter()
        .position(|p| p.path == stopped.patch)
        .ok_or_else(|| {
            Error::Refused(format!(
                "{} is no longer in patches/{project}/series; `verda-patch propose --abort --project {project}` drops the stopped propose",
                stopped.patch
            ))
        })?;
    let dir = conflict_dir(ws, project);
    let work = Git::open(&dir)?;
    let left = work.index_conflicts()?;
    if !left.is_empty() {
        return Err(Error::Conflict(format!(
            "{} still in conflict in {}: resolve, `git add`, then `verda-patch propose --continue --project {project}`",
            left.join(", "),
            ws.rel(&dir)
        )));
    }
    let tree = work.index_tree()?;
    let upstream = Upstream::open(ws, project)?;
    let pin = upstream.resolve(ws, &ws.project(project)?.pin, progress)?;
    let gitreview = gitreview_at(&upstream.mirror, pin)?;
    let server =
        Gerrit::of(ws.project(project)?, gitreview.as_ref()).ok_or_else(|| no_gerrit(project))?;
    let target = Target {
        project: project.to_string(),
        server,
        push: stopped.push,
        branch: stopped.branch,
        tip: Oid::from_str(&stopped.onto)
            .map_err(|_| Error::invalid(&state_file, None, "`onto` is not a commit id"))?,
        topic: stopped.topic,
    };
    // The work tree holds the resolved blobs (and borrows the rest).
    let proposal = finish(
        ws,
        &queue.patches[index],
        &work,
        &target,
        tree,
        "resolved by hand",
        false,
        progress,
    )?;
    abort(ws, project)?;
    Ok(proposal)
}

/// Drop a propose stopped on a conflict: its work tree and state.
pub fn abort(ws: &Workspace, project: &str) -> Result<()> {
    let dir = conflict_dir(ws, project);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).at(&dir)?;
    }
    let state = state_path(ws, project);
    if state.exists() {
        std::fs::remove_file(&state).at(&state)?;
    }
    Ok(())
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
        project: project.clone(),
        server,
        push,
        branch,
        tip,
        topic: options.topic.clone(),
    })
}

/// Commit `tree` on the branch tip in `git` with the patch's author and
/// message (its Change-Id kept or made), push it, and record the change in
/// the patch file; in a dry run, only the commit.
#[allow(clippy::too_many_arguments)]
fn finish(
    ws: &Workspace,
    loaded: &LoadedPatch,
    git: &Git,
    target: &Target,
    tree: Oid,
    forward_port: &'static str,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<Proposal> {
    let Target {
        project,
        server,
        push,
        branch,
        tip,
        topic,
    } = target;
    if tree == git.tree_of(*tip)? {
        return Err(Error::Refused(format!(
            "{} changes nothing on upstream {branch} ({}): upstream already has it; set `Upstream-Status: Accepted` or drop the patch",
            loaded.display(),
            short(*tip)
        )));
    }
    // The upstream commit: the patch's message without downstream-only
    // trailers, with its Change-Id.
    let committer = git.committer()?;
    let mut message = patch::without_trailer(loaded.patch.message(), "Upstream-Status");
    let (change_id, change_id_added) = match patch::trailer(&message, "Change-Id") {
        Some(id) => (id, false),
        None => {
            let id = gerrit::change_id(&ident_line(&committer), Some(&tip.to_string()), &message);
            message = patch::with_trailer(&message, "Change-Id", &id);
            (id, true)
        }
    };
    let commit = git.commit_as(
        tree,
        *tip,
        &build::identity(&loaded.patch),
        &committer,
        &message,
    )?;
    let mut refspec = format!("{commit}:refs/for/{branch}");
    if let Some(topic) = topic {
        refspec.push_str(&format!("%topic={topic}"));
    }
    let mut proposal = Proposal {
        project: project.clone(),
        patch: loaded.display(),
        branch: branch.clone(),
        onto: tip.to_string(),
        commit: commit.to_string(),
        change_id: change_id.clone(),
        change_id_added,
        forward_port,
        push: redact_credentials(push),
        refspec: refspec.clone(),
        url: format!("{}/q/{change_id}", server.server),
        dry_run,
    };
    if dry_run {
        return Ok(proposal);
    }
    let _lock = crate::lock::Lock::acquire(ws, "propose")?;
    progress.begin(&format!("pushing to {}", proposal.push), None);
    let said = git.push(push, &refspec);
    progress.end();
    let said = said?;
    proposal.url = change_url(&said)
        .or_else(|| url_from_gerrit(server, &change_id, branch))
        .unwrap_or(proposal.url);

    // Record it in the patch file: Change-Id and Upstream-Status.
    let mut recorded = loaded.patch.message().to_string();
    if change_id_added {
        recorded = patch::with_trailer(&recorded, "Change-Id", &change_id);
    }
    recorded = with_status(&recorded, &format!("Submitted {}", proposal.url));
    let mut updated = Patch::from_message(
        loaded.patch.author.clone(),
        loaded.patch.date,
        &recorded,
        loaded.patch.diff.clone(),
    );
    updated.extra_headers = loaded.patch.extra_headers.clone();
    fsutil::write_atomic(&loaded.file, &updated.to_bytes())?;
    Ok(proposal)
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

/// The work tree a conflicted forward-port is left in.
pub fn conflict_dir(ws: &Workspace, project: &str) -> PathBuf {
    ws.state_dir().join("propose").join(project)
}

/// Leave the conflicted forward-port in `.verda/propose/<project>` (not in
/// a dry run), remember it for `--continue`, and say how to finish it.
#[allow(clippy::too_many_arguments)]
fn conflict(
    ws: &Workspace,
    queue: &Queue,
    loaded: &LoadedPatch,
    git: &Git,
    target: &Target,
    patched: Oid,
    files: &[String],
    options: &Options,
) -> Result<Error> {
    let (branch, tip) = (&target.branch, target.tip);
    let listed = files.join(", ");
    if options.dry_run {
        return Ok(Error::Conflict(format!(
            "{} conflicts with upstream {branch} ({}) in {listed}; run without --dry-run to get the conflict in a work tree of its own",
            loaded.display(),
            short(tip)
        )));
    }
    let project = &queue.project;
    let dir = conflict_dir(ws, project);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).at(&dir)?;
    }
    let work = Git::init_worktree(&dir, project, &git.objects_dir())?;
    work.checkout(None, git.tree_of(tip)?, &[], &crate::progress::Silent)?;
    work.set_branch_head(branch, tip, "verda-patch: propose")?;
    work.cherry_pick_into_worktree(patched)?;
    let message = patch::without_trailer(loaded.patch.message(), "Upstream-Status");
    let merge_msg = work.path().join("MERGE_MSG");
    std::fs::write(&merge_msg, message).at(&merge_msg)?;
    fsutil::write_json(
        &state_path(ws, project),
        &Stopped {
            patch: loaded.path.clone(),
            branch: branch.clone(),
            topic: target.topic.clone(),
            onto: tip.to_string(),
            push: target.push.clone(),
        },
    )?;
    Ok(Error::Conflict(format!(
        "{} conflicts with upstream {branch} ({}) in {listed}; the forward-port is in {} with conflict markers: resolve them and `git add` there, then `verda-patch propose --continue --project {project}` (or `--abort`)",
        loaded.display(),
        short(tip),
        ws.rel(&dir)
    )))
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
