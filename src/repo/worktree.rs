//! `custom-source/<project>`: a normal git work tree with the pin and one
//! commit per patch. Objects of the upstream mirror are borrowed through
//! `objects/info/alternates` (like `git clone -s`); files and the index are
//! written here directly, only the paths that change, with stat data so that
//! `git status` is instant.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;

use super::{Git, MODE_COMMIT, MODE_EXEC, MODE_LINK, Oid};
use crate::error::{Error, GitContext, IoContext, Result};
use crate::progress::Progress;

/// Threads writing files on a fresh checkout.
const WRITERS: usize = 4;

/// Config key marking a repository as built by verda-patch.
const MANAGED_KEY: &str = "verda.project";

/// What `status` and the safety checks need to know about a work tree.
#[derive(Debug, Clone, Default)]
pub struct WorkState {
    /// Tracked paths with staged or unstaged changes, and conflicts.
    pub dirty: Vec<String>,
    /// Untracked, not ignored paths.
    pub untracked: Vec<String>,
}

impl Git {
    /// Create `custom-source/<p>` borrowing objects from `objects`. It is
    /// made beside its place and renamed there when complete, so a killed
    /// run leaves either nothing or a repository marked as ours.
    pub fn init_worktree(path: &Path, project: &str, objects: &Path) -> Result<Git> {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let parent = path.parent().unwrap_or(Path::new("."));
        let staging = parent.join(format!(".{name}.verda-init"));
        if staging.exists() {
            // Left by a creation that was killed half-way.
            fs::remove_dir_all(&staging).at(&staging)?;
        }
        fs::create_dir_all(parent).at(parent)?;
        let repo =
            git2::Repository::init(&staging).git(|| format!("creating {}", path.display()))?;
        let alternates = repo.path().join("objects/info/alternates");
        fs::create_dir_all(repo.path().join("objects/info")).at(&alternates)?;
        fs::write(&alternates, format!("{}\n", objects.display())).at(&alternates)?;
        let mut config = repo.config().git(|| "opening config".into())?;
        config
            .set_str(MANAGED_KEY, project)
            .git(|| "writing config".into())?;
        drop(config);
        drop(repo);
        fs::rename(&staging, path).at(path)?;
        // Open at its place, so the object database sees the alternates.
        Git::open(path)
    }

    /// The project this work tree was built for, if verda-patch built it.
    pub fn managed_project(&self) -> Option<String> {
        self.repo.config().ok()?.get_string(MANAGED_KEY).ok()
    }

    pub fn head_commit(&self) -> Option<Oid> {
        self.repo.head().ok()?.peel_to_commit().ok().map(|c| c.id())
    }

    pub fn head_branch(&self) -> Option<String> {
        let head = self.repo.head().ok()?;
        head.is_branch()
            .then(|| head.shorthand().map(str::to_string))
            .flatten()
    }

    /// Point `refs/heads/<branch>` at `commit` and check the branch out (HEAD only).
    pub fn set_branch_head(&self, branch: &str, commit: Oid, log: &str) -> Result<()> {
        let name = format!("refs/heads/{branch}");
        self.set_ref(&name, commit, log)?;
        self.repo
            .set_head(&name)
            .git(|| format!("checking out {branch}"))
    }

    pub fn work_state(&self) -> Result<WorkState> {
        self.status(true)
    }

    /// [`WorkState::dirty`] alone: untracked files are not looked for (no
    /// ignore rules read, no untracked directory walked), as `export`
    /// needs only the changes it would leave behind.
    pub fn dirty_paths(&self) -> Result<Vec<String>> {
        Ok(self.status(false)?.dirty)
    }

    fn status(&self, untracked: bool) -> Result<WorkState> {
        let mut options = git2::StatusOptions::new();
        options
            .include_untracked(untracked)
            .recurse_untracked_dirs(untracked)
            .include_ignored(false)
            .exclude_submodules(true);
        let statuses = self
            .repo
            .statuses(Some(&mut options))
            .git(|| "reading work tree status".into())?;
        let mut state = WorkState::default();
        for entry in statuses.iter() {
            let path = String::from_utf8_lossy(entry.path_bytes()).into_owned();
            let status = entry.status();
            if status == git2::Status::WT_NEW {
                state.untracked.push(path);
            } else if !status.is_empty() && !status.contains(git2::Status::IGNORED) {
                state.dirty.push(path);
            }
        }
        Ok(state)
    }

    /// Commit the whole work tree (tracked and untracked, not ignored) as a
    /// child of HEAD without touching the index on disk: a backup of work
    /// that is about to be overwritten.
    pub fn snapshot_worktree(&self, message: &str) -> Result<Oid> {
        let mut index = self.repo.index().git(|| "reading index".into())?;
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .git(|| "reading work tree".into())?;
        index
            .update_all(["*"], None)
            .git(|| "reading work tree".into())?;
        let tree = index
            .write_tree()
            .git(|| "writing work tree snapshot".into())?;
        // Forget the in-memory changes to the shared index object.
        index.read(true).git(|| "re-reading index".into())?;
        let sig = self
            .repo
            .signature()
            .or_else(|_| git2::Signature::now("verda-patch", "verda-patch@localhost"));
        let sig = sig.git(|| "making signature".into())?;
        let tree = self
            .repo
            .find_tree(tree)
            .git(|| "reading snapshot tree".into())?;
        let parents: Vec<git2::Commit<'_>> = self
            .repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        self.repo
            .commit(None, &sig, &sig, message, &tree, &parent_refs)
            .git(|| "writing work tree snapshot".into())
    }

    /// Make the work tree and index match `new`'s tree. With `old` (the tree
    /// they match now) only the paths that differ are rewritten, plus
    /// `also` (paths known to be dirty). Without it, everything is written.
    /// Returns how many paths it wrote or removed.
    pub fn checkout(
        &self,
        old: Option<Oid>,
        new: Oid,
        also: &[String],
        progress: &dyn Progress,
    ) -> Result<usize> {
        let workdir = self
            .repo
            .workdir()
            .ok_or_else(|| Error::Refused("custom-source is a bare repository".into()))?
            .to_path_buf();
        let new_tree = self
            .repo
            .find_tree(new)
            .git(|| format!("reading tree {new}"))?;
        let mut index = self.repo.index().git(|| "reading index".into())?;
        for path in also {
            // A path the user left in conflict gets its stages dropped.
            let _ = index.conflict_remove(Path::new(path));
        }
        // A work tree with nothing but `.git` (a new custom-source) has
        // none of the paths: nothing is looked at before it is written.
        let empty = old.is_none() && only_git_dir(&workdir);
        // (path, blob, mode) to write, and (path, commit) of submodules.
        let mut writes: Vec<(String, Oid, u32)> = Vec::new();
        let mut gitlinks: Vec<(String, Oid)> = Vec::new();
        let count = match old {
            Some(old) => {
                let mut paths = self.changed_paths(old, new)?;
                paths.extend(also.iter().cloned());
                paths.sort();
                paths.dedup();
                progress.begin("writing files", Some(paths.len() as u64));
                // Removals first, so a path that turns from file into
                // directory (or back) is free when it is written.
                for path in &paths {
                    match new_tree.get_path(Path::new(path)) {
                        Ok(entry) if entry.kind() == Some(git2::ObjectType::Blob) => {
                            writes.push((path.clone(), entry.id(), entry.filemode() as u32))
                        }
                        Ok(entry) if entry.filemode() as u32 == MODE_COMMIT => {
                            gitlinks.push((path.clone(), entry.id()))
                        }
                        _ => {
                            remove_file(&workdir, path)?;
                            let _ = index.remove_path(Path::new(path));
                        }
                    }
                }
                paths.len()
            }
            None => {
                index.clear().git(|| "clearing index".into())?;
                new_tree
                    .walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                        let path =
                            || format!("{dir}{}", String::from_utf8_lossy(entry.name_bytes()));
                        if entry.kind() == Some(git2::ObjectType::Blob) {
                            writes.push((path(), entry.id(), entry.filemode() as u32));
                        } else if entry.filemode() as u32 == MODE_COMMIT {
                            gitlinks.push((path(), entry.id()));
                        }
                        git2::TreeWalkResult::Ok
                    })
                    .git(|| "walking tree".into())?;
                progress.begin(
                    "writing files",
                    Some((writes.len() + gitlinks.len()) as u64),
                );
                writes.len() + gitlinks.len()
            }
        };
        crate::crash_point("worktree-files-removed");
        // Directories first, once each, then the files on a few threads:
        // creating files is latency-bound, so overlapping them pays even on
        // two cores.
        let dirs: std::collections::BTreeSet<&str> = writes
            .iter()
            .filter_map(|(path, _, _)| path.rsplit_once('/').map(|(dir, _)| dir))
            .collect();
        for dir in dirs {
            let target = workdir.join(dir);
            if empty {
                // In git's order a directory comes after its parent.
                fs::create_dir_all(&target).at(&target)?;
            } else if !fs::symlink_metadata(&target)
                .map(|m| m.is_dir())
                .unwrap_or(false)
            {
                let _ = fs::remove_file(&target);
                fs::create_dir_all(&target).at(&target)?;
            }
        }
        let workers = if writes.len() < 256 { 1 } else { WRITERS };
        let chunk = writes.len().div_ceil(workers).max(1);
        let git_dir = self.repo.path().to_path_buf();
        let done = std::sync::atomic::AtomicU64::new(0);
        // Each writer holds a sender until it returns: the channel
        // disconnects the moment the last one is done, and the progress is
        // updated every 20 ms until then (a plain sleep between checks kept
        // a one-file apply waiting 20 ms for nothing).
        let (running, all_done) = std::sync::mpsc::channel::<()>();
        let entries: Vec<git2::IndexEntry> = std::thread::scope(|scope| {
            let handles: Vec<_> = writes
                .chunks(chunk)
                .map(|part| {
                    let (git_dir, workdir, done) = (&git_dir, &workdir, &done);
                    let running = running.clone();
                    scope.spawn(move || -> Result<Vec<git2::IndexEntry>> {
                        let _running = running;
                        let repo =
                            git2::Repository::open(git_dir).git(|| "opening repository".into())?;
                        let odb = repo.odb().git(|| "opening object database".into())?;
                        let mut entries = Vec::with_capacity(part.len());
                        for (path, id, mode) in part {
                            let object = odb.read(*id).git(|| format!("reading {path}"))?;
                            let target = workdir.join(path);
                            let meta = write_file(&target, object.data(), *mode, empty)?;
                            crate::crash_point("worktree-file-written");
                            entries.push(index_entry(path, *id, *mode, &meta));
                            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        Ok(entries)
                    })
                })
                .collect();
            drop(running);
            let tick = std::time::Duration::from_millis(20);
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = all_done.recv_timeout(tick)
            {
                progress.set(done.load(std::sync::atomic::Ordering::Relaxed));
            }
            let mut all = Vec::with_capacity(writes.len());
            for handle in handles {
                all.extend(handle.join().expect("writer thread does not panic")?);
            }
            Ok::<_, Error>(all)
        })?;
        // A submodule is checked out as git does without `submodule update`:
        // an empty directory, and the gitlink in the index (without it, the
        // next commit in custom-source would delete the submodule).
        for (path, id) in &gitlinks {
            let target = workdir.join(path);
            if !target.is_dir() {
                let _ = fs::remove_file(&target);
                fs::create_dir_all(&target).at(&target)?;
            }
            let mut entry =
                index_entry(path, *id, MODE_COMMIT, &fs::metadata(&target).at(&target)?);
            (entry.ctime, entry.mtime) = (git2::IndexTime::new(0, 0), git2::IndexTime::new(0, 0));
            (entry.dev, entry.ino, entry.uid, entry.gid, entry.file_size) = (0, 0, 0, 0, 0);
            index
                .add(&entry)
                .git(|| format!("adding submodule {path} to the index"))?;
        }
        for entry in &entries {
            index.add(entry).git(|| {
                format!(
                    "adding {} to the index",
                    String::from_utf8_lossy(&entry.path)
                )
            })?;
        }
        crate::crash_point("worktree-files-written");
        index.write().git(|| "writing index".into())?;
        crate::crash_point("worktree-index-written");
        progress.end();
        progress.note(&format!(
            "work tree: {} written, {} removed; index written",
            entries.len() + gitlinks.len(),
            count - entries.len() - gitlinks.len()
        ));
        Ok(count)
    }
}

/// Whether `workdir` holds nothing but `.git`.
fn only_git_dir(workdir: &Path) -> bool {
    fs::read_dir(workdir).is_ok_and(|entries| {
        entries
            .map(|entry| entry.map(|e| e.file_name()))
            .all(|name| name.is_ok_and(|n| n == ".git"))
    })
}

fn remove_file(workdir: &Path, path: &str) -> Result<()> {
    let target = workdir.join(path);
    match fs::symlink_metadata(&target) {
        // A submodule's directory goes when it is empty (not checked out).
        Ok(meta) if meta.is_dir() => {
            let _ = fs::remove_dir(&target);
        }
        Ok(_) => fs::remove_file(&target).at(&target)?,
        Err(_) => return Ok(()),
    }
    // Drop directories the removal left empty, up to the work tree root.
    let mut dir = target.parent();
    while let Some(d) = dir {
        if d == workdir || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}

/// Replace whatever is at `target` with a file (or symlink) of `mode`,
/// returning what it is now (for the index). The old entry is removed
/// first, so we never write through a symlink; `fresh` says there is none.
fn write_file(target: &Path, content: &[u8], mode: u32, fresh: bool) -> Result<fs::Metadata> {
    if !fresh {
        match fs::symlink_metadata(target) {
            Ok(meta) if meta.is_dir() => fs::remove_dir_all(target).at(target)?,
            Ok(_) => fs::remove_file(target).at(target)?,
            Err(_) => {}
        }
    }
    if mode == MODE_LINK {
        let link = std::ffi::OsStr::new(std::str::from_utf8(content).map_err(|_| {
            Error::Refused(format!("{}: symlink target is not UTF-8", target.display()))
        })?);
        symlink(link, target).at(target)?;
        return fs::symlink_metadata(target).at(target);
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)
        .at(target)?;
    file.write_all(content).at(target)?;
    if mode == MODE_EXEC {
        file.set_permissions(fs::Permissions::from_mode(0o755))
            .at(target)?;
    }
    file.metadata().at(target)
}

fn index_entry(path: &str, id: Oid, mode: u32, meta: &fs::Metadata) -> git2::IndexEntry {
    git2::IndexEntry {
        ctime: git2::IndexTime::new(meta.ctime() as i32, meta.ctime_nsec() as u32),
        mtime: git2::IndexTime::new(meta.mtime() as i32, meta.mtime_nsec() as u32),
        dev: meta.dev() as u32,
        ino: meta.ino() as u32,
        mode,
        uid: meta.uid(),
        gid: meta.gid(),
        file_size: meta.len() as u32,
        id,
        flags: (path.len().min(0xfff)) as u16,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}
