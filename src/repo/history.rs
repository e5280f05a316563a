//! Reading the history of a repository: the patch repository's own commits
//! (`review --base`), and an upstream mirror's history (upstream detection).

use std::path::Path;

use super::{Git, Oid};
use crate::error::{Error, GitContext, Result};

impl Git {
    /// The repository containing `path` (which may be a subdirectory of it).
    pub fn discover(path: &Path) -> Result<Git> {
        let repo = git2::Repository::discover(path).map_err(|_| {
            Error::Usage(format!(
                "{} is not in a git repository; review compares commits of the patch repository (run `git init` and commit it)",
                path.display()
            ))
        })?;
        Ok(Git {
            repo,
            written: None,
        })
    }

    /// The commit a revision (`HEAD~1`, a branch, a tag, a commit id) names.
    pub fn resolve_commit(&self, rev: &str) -> Option<Oid> {
        let object = self.repo.revparse_single(rev).ok()?;
        object.peel_to_commit().ok().map(|c| c.id())
    }

    /// The best common ancestor of two commits, if they have one.
    pub fn merge_base(&self, a: Oid, b: Oid) -> Option<Oid> {
        self.repo.merge_base(a, b).ok()
    }

    /// The configured upstream of the checked-out branch (`git rev-parse
    /// @{upstream}`): its short name and commit.
    pub fn head_upstream(&self) -> Option<(String, Oid)> {
        let head = self.repo.head().ok()?;
        if !head.is_branch() {
            return None;
        }
        let branch = git2::Branch::wrap(head);
        let upstream = branch.upstream().ok()?;
        let name = upstream.name().ok().flatten()?.to_string();
        let id = upstream.get().peel_to_commit().ok()?.id();
        Some((name, id))
    }

    /// Names of the entries of directory `dir` in `tree`, sorted; `None`
    /// when there is no such directory.
    pub fn dir_names(&self, tree: Oid, dir: &str) -> Result<Option<Vec<String>>> {
        let root = self
            .repo
            .find_tree(tree)
            .git(|| format!("reading tree {tree}"))?;
        let subtree = if dir.is_empty() {
            root
        } else {
            match root.get_path(Path::new(dir)) {
                Ok(entry) if entry.kind() == Some(git2::ObjectType::Tree) => self
                    .repo
                    .find_tree(entry.id())
                    .git(|| format!("reading directory {dir}"))?,
                _ => return Ok(None),
            }
        };
        let mut names: Vec<String> = subtree
            .iter()
            .filter_map(|e| e.name().map(str::to_string))
            .collect();
        names.sort();
        Ok(Some(names))
    }

    /// Visit the message of every commit reachable from `upto` and not from
    /// `hide` until `visit` returns false; streamed, for histories of tens
    /// of thousands of commits.
    pub fn for_each_message(
        &self,
        upto: Oid,
        hide: Option<Oid>,
        mut visit: impl FnMut(Oid, &str) -> bool,
    ) -> Result<()> {
        let mut walk = self.repo.revwalk().git(|| "walking history".into())?;
        walk.push(upto)
            .git(|| format!("walking history from {upto}"))?;
        if let Some(hide) = hide {
            walk.hide(hide)
                .git(|| format!("walking history up to {hide}"))?;
        }
        for id in walk {
            let id = id.git(|| "walking history".into())?;
            let commit = self
                .repo
                .find_commit(id)
                .git(|| format!("reading commit {id}"))?;
            let message = String::from_utf8_lossy(commit.message_bytes());
            if !visit(id, &message) {
                break;
            }
        }
        Ok(())
    }
}
