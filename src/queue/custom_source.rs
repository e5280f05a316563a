//! `custom-source/<project>`, the generated git tree: its branch and ref
//! names, opening it (and refusing a directory that is not ours), the
//! commits not exported yet, and moving its work tree. Imports no
//! operation.

use crate::error::{Error, Result};
use crate::manifest::Workspace;
use crate::repo::{Git, Oid};

/// The branch the queue is built on.
pub(crate) const BRANCH: &str = "patch-queue";
/// The branch at the pin.
pub(crate) const UPSTREAM_BRANCH: &str = "upstream";
pub(crate) const PIN_REF: &str = "refs/verda/pin";
/// What the last apply or export produced.
pub(crate) const APPLIED_REF: &str = "refs/verda/applied";
/// Heads set aside before they are overwritten.
pub(crate) const BACKUP_PREFIX: &str = "refs/verda/backup/";

/// Open custom-source of `project` if it exists and is ours; refuse to go
/// near a directory that is not.
pub(crate) fn open(ws: &Workspace, project: &str) -> Result<Option<Git>> {
    let path = ws.custom_source(project);
    if !path.exists() {
        return Ok(None);
    }
    let not_ours = || {
        Error::Refused(format!(
            "{} exists but was not made by verda-patch for `{project}`; move it away (it is left untouched)",
            ws.rel(&path)
        ))
    };
    let git = Git::open(&path).map_err(|_| not_ours())?;
    if git.managed_project().as_deref() != Some(project) || git.workdir().is_none() {
        return Err(not_ours());
    }
    Ok(Some(git))
}

/// Commits on custom-source's HEAD that `export` has not written out.
pub(crate) fn unexported_commits(git: &Git) -> Result<Vec<Oid>> {
    let Some(head) = git.head_commit() else {
        return Ok(Vec::new());
    };
    let applied = git.ref_target(APPLIED_REF);
    if applied == Some(head) {
        return Ok(Vec::new());
    }
    let Some(applied) = applied else {
        return Ok(vec![head]);
    };
    if git.is_ancestor(applied, head)? {
        Ok(git
            .linear_commits(applied, head)
            .map(|c| c.into_iter().map(|c| c.id).collect())
            .unwrap_or(vec![head]))
    } else {
        Ok(vec![head])
    }
}

/// Move `branch` (checked out), the index and the files of a work tree to
/// `commit`, rewriting only what differs from HEAD (and whatever is dirty
/// or in conflict).
pub(crate) fn move_worktree(git: &Git, branch: &str, commit: Oid, log: &str) -> Result<()> {
    let state = git.work_state()?;
    let mut also = state.dirty;
    also.extend(git.index_conflicts()?);
    let old = match git.head_commit() {
        Some(head) => Some(git.tree_of(head)?),
        None => None,
    };
    git.checkout(old, git.tree_of(commit)?, &also, &crate::progress::Silent)?;
    git.set_branch_head(branch, commit, log)
}
