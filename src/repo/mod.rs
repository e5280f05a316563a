//! The only module that speaks git (through libgit2). Everything above it
//! deals in object ids, paths and bytes.
//!
//! * `Git` wraps one repository: the bare upstream mirror in the cache, a
//!   throw-away in-memory view of it (`check`), or `custom-source/<p>`.
//! * `mirror.rs` fetches and resolves pins, and writes source snapshots.
//! * `worktree.rs` writes a work tree and its index quickly, and reads its state.
//! * `history.rs` reads revisions and history (`review`, upstream detection).

pub mod attribution;
mod binary_text;
pub mod conflict;
mod history;
mod mirror;
mod pack;
pub(crate) mod renames;
mod worktree;

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

pub use git2::Oid;

use crate::error::{Error, GitContext, Result};

pub use mirror::{PinKind, SnapshotFile, redact_credentials};
pub use worktree::WorkState;

/// File modes git stores in trees.
pub const MODE_FILE: u32 = 0o100644;
pub const MODE_EXEC: u32 = 0o100755;
pub const MODE_LINK: u32 = 0o120000;
pub const MODE_TREE: u32 = 0o040000;
pub const MODE_COMMIT: u32 = 0o160000;

pub struct Git {
    repo: git2::Repository,
    /// Objects written through this handle, when it collects them for a pack.
    written: Option<Collected>,
}

/// What a handle that collects its new objects for a pack keeps.
struct Collected {
    /// Ids of the objects written, in order, maybe repeated.
    ids: std::cell::RefCell<Vec<Oid>>,
    /// The repository's objects on disk (its own and its alternates'),
    /// without the in-memory store.
    on_disk: git2::Odb<'static>,
}

/// A file as a tree holds it.
#[derive(Debug, Clone, Copy)]
pub struct TreeFile {
    pub id: Oid,
    pub mode: u32,
}

/// One change to a tree.
#[derive(Debug, Clone)]
pub enum TreeChange {
    Upsert { path: String, id: Oid, mode: u32 },
    Remove { path: String },
}

/// Author/committer identity and time, as a patch mail carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub email: String,
    pub seconds: i64,
    pub offset_minutes: i32,
}

#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub id: Oid,
    pub tree: Oid,
    pub parents: Vec<Oid>,
    pub author: Identity,
    /// Committer time (when it landed), seconds since the epoch.
    pub committed: i64,
    pub message: String,
}

/// Result of a three-way merge of one file.
pub struct MergedFile {
    pub clean: bool,
    /// The merged text, with diff3 markers where it conflicts; empty when
    /// a side is binary (`git merge-file` refuses those too).
    pub content: Vec<u8>,
    /// A side is binary (a NUL in its first 8,000 bytes, git's test): not
    /// merged, a conflict.
    pub binary: bool,
}

fn file_mode(mode: u32) -> git2::FileMode {
    match mode {
        MODE_EXEC => git2::FileMode::BlobExecutable,
        MODE_LINK => git2::FileMode::Link,
        MODE_TREE => git2::FileMode::Tree,
        MODE_COMMIT => git2::FileMode::Commit,
        _ => git2::FileMode::Blob,
    }
}

impl Git {
    pub fn open(path: &Path) -> Result<Git> {
        let repo = git2::Repository::open(path)
            .git(|| format!("opening git repository {}", path.display()))?;
        Ok(Git {
            repo,
            written: None,
        })
    }

    /// Open (or create) a bare repository used as a cache.
    pub fn open_or_init_bare(path: &Path) -> Result<Git> {
        if path.join("HEAD").exists() {
            return Git::open(path);
        }
        std::fs::create_dir_all(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let repo = git2::Repository::init_bare(path)
            .git(|| format!("creating cache repository {}", path.display()))?;
        Ok(Git {
            repo,
            written: None,
        })
    }

    /// Open a repository whose new objects stay in memory: nothing this
    /// handle writes reaches the disk (used by `check` and dry runs).
    pub fn open_in_memory(path: &Path) -> Result<Git> {
        let git = Git::open(path)?;
        {
            let odb = git.repo.odb().git(|| "opening object database".into())?;
            odb.add_new_mempack_backend(1000)
                .git(|| "adding in-memory object store".into())?;
        }
        Ok(git)
    }

    /// Run `build` with a handle on the repository at `path` whose new
    /// objects collect in memory, then write exactly those as one pack: a
    /// queue of 67 patches makes hundreds of objects, and one file beats
    /// hundreds (libgit2's mempack dump would pack every tree entry too).
    pub fn with_pack<T>(path: &Path, build: impl FnOnce(&Git) -> Result<T>) -> Result<T> {
        let git = Git::collecting(path)?;
        let result = build(&git)?;
        git.write_collected(&crate::progress::Silent)?;
        Ok(result)
    }

    /// A handle on the repository at `path` whose new objects stay in
    /// memory until [`Git::write_collected`] writes them as one pack
    /// (dropped without it, they are gone): [`Git::with_pack`] in two steps.
    pub fn collecting(path: &Path) -> Result<Git> {
        let mut git = Git::open(path)?;
        let on_disk = git2::Odb::new().git(|| "opening object database".into())?;
        let objects = git.objects_dir();
        on_disk
            .add_disk_alternate(&objects.to_string_lossy())
            .git(|| format!("opening {}", objects.display()))?;
        git.written = Some(Collected {
            ids: Default::default(),
            on_disk,
        });
        git.repo
            .odb()
            .git(|| "opening object database".into())?
            .add_new_mempack_backend(1000)
            .git(|| "adding in-memory object store".into())?;
        Ok(git)
    }

    /// Write the objects made through this [`Git::collecting`] handle as
    /// one pack with its index in `objects/pack`; the step `writing
    /// objects` of `progress`. Returns how many objects it wrote.
    pub fn write_collected(&self, progress: &dyn crate::progress::Progress) -> Result<usize> {
        let Some(collected) = &self.written else {
            return Ok(0);
        };
        let mut seen = HashSet::new();
        let mut written = collected.ids.take();
        written.retain(|id| seen.insert(*id));
        if written.is_empty() {
            return Ok(0);
        }
        progress.begin("writing objects", Some(written.len() as u64));
        let odb = self.repo.odb().git(|| "opening object database".into())?;
        let mut pack = pack::PackBuilder::new();
        for (done, id) in written.iter().enumerate() {
            progress.set(done as u64);
            // libgit2 writes nothing for an object the repository has
            // already (most blobs of a queue of upstream backports are
            // upstream's own): it stays where it is. The packs are those
            // there were when collecting began (a miss re-reading the pack
            // directories each time cost more than the packing).
            if collected
                .on_disk
                .exists_ext(*id, git2::OdbLookupFlags::NO_REFRESH)
            {
                continue;
            }
            let object = odb.read(*id).git(|| format!("reading {id}"))?;
            let kind = match object.kind() {
                git2::ObjectType::Commit => pack::Kind::Commit,
                git2::ObjectType::Tree => pack::Kind::Tree,
                git2::ObjectType::Blob => pack::Kind::Blob,
                _ => pack::Kind::Tag,
            };
            pack.add(*id, kind, object.data())?;
        }
        let count = pack.len();
        if count > 0 {
            pack.write(&self.repo.path().join("objects/pack"))?;
        }
        progress.end();
        progress.note(&format!(
            "objects: {count} new of {} made, written as one pack",
            written.len()
        ));
        Ok(count)
    }

    fn note_written(&self, id: Oid) {
        if let Some(written) = &self.written {
            written.ids.borrow_mut().push(id);
        }
    }

    pub fn path(&self) -> &Path {
        self.repo.path()
    }

    /// Directory holding the objects (for alternates).
    pub fn objects_dir(&self) -> PathBuf {
        self.repo.path().join("objects")
    }

    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    // ---- objects -------------------------------------------------------

    pub fn write_blob(&self, bytes: &[u8]) -> Result<Oid> {
        let id = self.repo.blob(bytes).git(|| "writing blob".into())?;
        self.note_written(id);
        Ok(id)
    }

    pub fn read_blob(&self, id: Oid) -> Result<Vec<u8>> {
        let blob = self
            .repo
            .find_blob(id)
            .git(|| format!("reading blob {id}"))?;
        Ok(blob.content().to_vec())
    }

    pub fn has_object(&self, id: Oid) -> bool {
        self.repo.odb().map(|odb| odb.exists(id)).unwrap_or(false)
    }

    /// Find a blob by a full or abbreviated hex id (an `index` line of a patch).
    pub fn blob_by_prefix(&self, hex: &str) -> Option<Oid> {
        if hex.len() < 4 || hex.len() > 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        if hex.bytes().all(|b| b == b'0') {
            return None;
        }
        let odb = self.repo.odb().ok()?;
        let padded = format!("{hex:0<40}");
        let short = Oid::from_str(&padded).ok()?;
        let id = odb.exists_prefix(short, hex.len()).ok()?;
        let (_, kind) = odb.read_header(id).ok()?;
        (kind == git2::ObjectType::Blob).then_some(id)
    }

    /// The file at `path` in `tree`, if any (trees and submodules are not files).
    pub fn file_at(&self, tree: Oid, path: &str) -> Result<Option<TreeFile>> {
        let tree = self
            .repo
            .find_tree(tree)
            .git(|| format!("reading tree {tree}"))?;
        match tree.get_path(Path::new(path)) {
            Ok(entry) => {
                let mode = entry.filemode() as u32;
                if matches!(mode, MODE_FILE | MODE_EXEC | MODE_LINK)
                    || entry.kind() == Some(git2::ObjectType::Blob)
                {
                    Ok(Some(TreeFile {
                        id: entry.id(),
                        mode,
                    }))
                } else {
                    Ok(None)
                }
            }
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e).git(|| format!("looking up {path}")),
        }
    }

    /// Like [`Git::file_at`], also giving a submodule (a gitlink: mode
    /// [`MODE_COMMIT`], its id a commit that need not be in this repository).
    pub fn entry_at(&self, tree: Oid, path: &str) -> Result<Option<TreeFile>> {
        let found = self
            .repo
            .find_tree(tree)
            .git(|| format!("reading tree {tree}"))?
            .get_path(Path::new(path))
            .ok()
            .filter(|entry| entry.filemode() as u32 == MODE_COMMIT)
            .map(|entry| entry.id());
        match found {
            Some(id) => Ok(Some(TreeFile {
                id,
                mode: MODE_COMMIT,
            })),
            None => self.file_at(tree, path),
        }
    }

    /// Whether `path` exists in `tree` as anything (file, directory, submodule).
    pub fn exists_at(&self, tree: Oid, path: &str) -> Result<bool> {
        let tree = self
            .repo
            .find_tree(tree)
            .git(|| format!("reading tree {tree}"))?;
        Ok(tree.get_path(Path::new(path)).is_ok())
    }

    /// Every file (blob, link or gitlink) below directory `dir` of `tree`,
    /// as full paths; empty when `dir` is not a directory there.
    pub fn files_under(&self, tree: Oid, dir: &str) -> Result<Vec<String>> {
        let tree = self
            .repo
            .find_tree(tree)
            .git(|| format!("reading tree {tree}"))?;
        let Ok(entry) = tree.get_path(Path::new(dir)) else {
            return Ok(Vec::new());
        };
        let Ok(sub) = self.repo.find_tree(entry.id()) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        sub.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
            if entry.kind() != Some(git2::ObjectType::Tree) {
                let name = String::from_utf8_lossy(entry.name_bytes());
                out.push(format!("{dir}/{root}{name}"));
            }
            git2::TreeWalkResult::Ok
        })
        .git(|| format!("listing {dir}"))?;
        Ok(out)
    }

    /// The first proper ancestor directory of `path` that is a symlink in `tree`.
    pub fn symlink_ancestor(&self, tree: Oid, path: &str) -> Result<Option<String>> {
        let tree = self
            .repo
            .find_tree(tree)
            .git(|| format!("reading tree {tree}"))?;
        let mut prefix = String::new();
        let components: Vec<&str> = path.split('/').collect();
        for component in &components[..components.len().saturating_sub(1)] {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(component);
            match tree.get_path(Path::new(&prefix)) {
                Ok(entry) if entry.filemode() as u32 == MODE_LINK => return Ok(Some(prefix)),
                Ok(_) => {}
                Err(_) => return Ok(None),
            }
        }
        Ok(None)
    }

    /// `base` with `changes` applied; only the trees on changed paths are rewritten.
    pub fn update_tree(&self, base: Oid, changes: &[TreeChange]) -> Result<Oid> {
        let baseline = self
            .repo
            .find_tree(base)
            .git(|| format!("reading tree {base}"))?;
        // libgit2 cannot turn a directory into a file (or gitlink) or a file
        // into a directory in one pass: then the removals go first.
        let changes_kind = |path: &str| -> bool {
            let ancestors = path.match_indices('/').map(|(i, _)| &path[..i]);
            baseline
                .get_path(Path::new(path))
                .is_ok_and(|e| e.kind() == Some(git2::ObjectType::Tree))
                || ancestors.into_iter().any(|dir| {
                    baseline
                        .get_path(Path::new(dir))
                        .is_ok_and(|e| e.kind() != Some(git2::ObjectType::Tree))
                })
        };
        let retyped: Vec<&str> = changes
            .iter()
            .filter_map(|c| match c {
                TreeChange::Upsert { path, .. } if changes_kind(path) => Some(path.as_str()),
                _ => None,
            })
            .collect();
        let mut baseline = baseline;
        if !retyped.is_empty() {
            let mut builder = git2::build::TreeUpdateBuilder::new();
            for change in changes {
                match change {
                    TreeChange::Remove { path } => {
                        builder.remove(path.as_str());
                    }
                    TreeChange::Upsert { path, .. } if retyped.contains(&path.as_str()) => {
                        builder.remove(path.as_str());
                    }
                    TreeChange::Upsert { .. } => {}
                }
            }
            let removed = builder
                .create_updated(&self.repo, &baseline)
                .git(|| "writing updated tree".into())?;
            self.note_written(removed);
            baseline = self
                .repo
                .find_tree(removed)
                .git(|| format!("reading tree {removed}"))?;
        }
        let mut builder = git2::build::TreeUpdateBuilder::new();
        for change in changes {
            match change {
                TreeChange::Upsert { path, id, mode } => {
                    builder.upsert(path.as_str(), *id, file_mode(*mode))
                }
                TreeChange::Remove { path } => builder.remove(path.as_str()),
            };
        }
        let root = builder
            .create_updated(&self.repo, &baseline)
            .git(|| "writing updated tree".into())?;
        if self.written.is_some() {
            // The trees rewritten are the root and the directories above each change.
            self.note_written(root);
            let tree = self
                .repo
                .find_tree(root)
                .git(|| format!("reading tree {root}"))?;
            for change in changes {
                let (TreeChange::Upsert { path, .. } | TreeChange::Remove { path }) = change;
                let mut dir = path.as_str();
                while let Some((parent, _)) = dir.rsplit_once('/') {
                    if let Ok(entry) = tree.get_path(Path::new(parent)) {
                        self.note_written(entry.id());
                    }
                    dir = parent;
                }
            }
        }
        Ok(root)
    }

    pub fn empty_tree(&self) -> Result<Oid> {
        let builder = self.repo.treebuilder(None).git(|| "creating tree".into())?;
        builder.write().git(|| "writing empty tree".into())
    }

    pub fn commit(&self, tree: Oid, parents: &[Oid], who: &Identity, message: &str) -> Result<Oid> {
        let sig = signature(who)?;
        let tree = self
            .repo
            .find_tree(tree)
            .git(|| format!("reading tree {tree}"))?;
        let parents: Vec<git2::Commit<'_>> = parents
            .iter()
            .map(|p| {
                self.repo
                    .find_commit(*p)
                    .git(|| format!("reading commit {p}"))
            })
            .collect::<Result<_>>()?;
        let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let id = self
            .repo
            .commit(None, &sig, &sig, message, &tree, &parent_refs)
            .git(|| "writing commit".into())?;
        self.note_written(id);
        Ok(id)
    }

    /// A commit whose committer differs from its author (`propose`).
    pub fn commit_as(
        &self,
        tree: Oid,
        parent: Oid,
        author: &Identity,
        committer: &Identity,
        message: &str,
    ) -> Result<Oid> {
        let tree = self
            .repo
            .find_tree(tree)
            .git(|| format!("reading tree {tree}"))?;
        let parent = self
            .repo
            .find_commit(parent)
            .git(|| format!("reading commit {parent}"))?;
        let id = self
            .repo
            .commit(
                None,
                &signature(author)?,
                &signature(committer)?,
                message,
                &tree,
                &[&parent],
            )
            .git(|| "writing commit".into())?;
        self.note_written(id);
        Ok(id)
    }

    /// The committer git would record now, as `git var GIT_COMMITTER_IDENT`
    /// finds it: `GIT_COMMITTER_NAME` / `GIT_COMMITTER_EMAIL`, else
    /// `user.name` / `user.email` of this repository's configuration (global
    /// included); `GIT_COMMITTER_DATE` (`@<seconds> [+hhmm]`, RFC 3339 or
    /// RFC 2822), else the clock. Errors name what to set.
    pub fn committer(&self) -> Result<Identity> {
        let config = self
            .repo
            .config()
            .git(|| "reading git configuration".into())?;
        let get = |env: &str, key: &str| {
            std::env::var(env)
                .ok()
                .filter(|v| !v.is_empty())
                .or_else(|| config.get_string(key).ok())
                .filter(|v| !v.is_empty())
        };
        let (Some(name), Some(email)) = (
            get("GIT_COMMITTER_NAME", "user.name"),
            get("GIT_COMMITTER_EMAIL", "user.email"),
        ) else {
            return Err(Error::Usage(
                "git does not know who you are: set `git config --global user.name \"Your Name\"` and `git config --global user.email you@example.org`".into(),
            ));
        };
        let (seconds, offset_minutes) = match std::env::var("GIT_COMMITTER_DATE") {
            Ok(date) if !date.trim().is_empty() => parse_git_date(&date).ok_or_else(|| {
                Error::Usage(format!(
                    "GIT_COMMITTER_DATE={date:?} is not a date verda-patch reads (`@<seconds> +hhmm`, RFC 3339 or RFC 2822)"
                ))
            })?,
            _ => {
                let now = chrono::Local::now();
                (now.timestamp(), now.offset().local_minus_utc() / 60)
            }
        };
        Ok(Identity {
            name,
            email,
            seconds,
            offset_minutes,
        })
    }

    pub fn commit_info(&self, id: Oid) -> Result<CommitInfo> {
        let commit = self
            .repo
            .find_commit(id)
            .git(|| format!("reading commit {id}"))?;
        let author = commit.author();
        let when = author.when();
        Ok(CommitInfo {
            id,
            tree: commit.tree_id(),
            parents: commit.parent_ids().collect(),
            author: Identity {
                name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
                email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
                seconds: when.seconds(),
                offset_minutes: when.offset_minutes(),
            },
            committed: commit.committer().when().seconds(),
            message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
        })
    }

    pub fn is_commit(&self, id: Oid) -> bool {
        self.repo.find_commit(id).is_ok()
    }

    pub fn is_ancestor(&self, ancestor: Oid, of: Oid) -> Result<bool> {
        if ancestor == of {
            return Ok(true);
        }
        self.repo
            .graph_descendant_of(of, ancestor)
            .git(|| format!("checking whether {ancestor} is an ancestor of {of}"))
    }

    /// Three-way merge of one file's contents; conflicts are marked
    /// diff3-style. A binary side is not merged (libgit2's merge of one
    /// reads a null buffer): the result is a conflict with no text.
    pub fn merge_blobs(
        &self,
        path: &str,
        base: Oid,
        ours: Oid,
        theirs: Oid,
        labels: [&str; 3],
    ) -> Result<MergedFile> {
        let entry = |id: Oid| git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: MODE_FILE,
            uid: 0,
            gid: 0,
            file_size: 0,
            id,
            flags: 0,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        for id in [base, ours, theirs] {
            let blob = self
                .repo
                .find_blob(id)
                .git(|| format!("reading blob {id} of {path}"))?;
            let head = &blob.content()[..blob.content().len().min(8000)];
            if head.contains(&0) {
                return Ok(MergedFile {
                    clean: false,
                    content: Vec::new(),
                    binary: true,
                });
            }
        }
        let mut opts = git2::MergeFileOptions::new();
        opts.ancestor_label(labels[0])
            .our_label(labels[1])
            .their_label(labels[2])
            .style_diff3(true);
        let result = self
            .repo
            .merge_file_from_index(&entry(base), &entry(ours), &entry(theirs), Some(&mut opts))
            .git(|| format!("merging {path}"))?;
        Ok(MergedFile {
            clean: result.is_automergeable(),
            content: result.content().to_vec(),
            binary: false,
        })
    }

    /// The normalised diff text between two trees, as `git format-patch -M
    /// --full-index` writes it: 3 lines of context, full 40-hex `index`
    /// lines, renames found as git finds them (see `renames`), binary as
    /// `GIT binary patch`.
    pub fn diff_trees(&self, old: Oid, new: Oid) -> Result<Vec<u8>> {
        let mut opts = diff_options();
        let Some(diff) = self.diff_differing(old, new, &mut opts)? else {
            return Ok(Vec::new());
        };
        let deltas: Vec<git2::DiffDelta<'_>> = diff.deltas().collect();
        let renames = self.renames_in(&deltas)?;
        let mut out = Vec::new();
        for (index, delta) in deltas.iter().enumerate() {
            if renames.sources.contains(&index) {
                continue;
            }
            if let Some((source, rename)) = renames.by_dest.get(&index) {
                self.write_rename(&mut out, &deltas[*source], delta, rename)?;
                continue;
            }
            let Some(mut patch) =
                git2::Patch::from_diff(&diff, index).git(|| "formatting diff".into())?
            else {
                continue;
            };
            print_patch(&mut patch, &mut out, true)?;
        }
        Ok(out)
    }

    /// The renames among a diff's deleted and added files. A path both
    /// deleted and added (a file that became a link) is a change of type,
    /// not a rename source or target, as in git.
    fn renames_in(&self, deltas: &[git2::DiffDelta<'_>]) -> Result<FoundRenames> {
        let side = |file: git2::DiffFile<'_>| renames::RenameSide {
            path: String::from_utf8_lossy(file.path_bytes().unwrap_or_default()).into_owned(),
            id: file.id(),
            mode: u32::from(file.mode()),
        };
        let mut deleted = Vec::new();
        let mut added = Vec::new();
        for (index, delta) in deltas.iter().enumerate() {
            // Submodules (gitlinks) take part as git lets them: renamed only
            // to an identical gitlink (their ids name commits of another
            // repository, whose content is never compared).
            match delta.status() {
                git2::Delta::Deleted => deleted.push((index, side(delta.old_file()))),
                git2::Delta::Added => added.push((index, side(delta.new_file()))),
                _ => {}
            }
        }
        let both: HashSet<String> = deleted
            .iter()
            .map(|(_, s)| s.path.clone())
            .filter(|p| added.iter().any(|(_, a)| a.path == *p))
            .collect();
        deleted.retain(|(_, s)| !both.contains(&s.path));
        added.retain(|(_, s)| !both.contains(&s.path));
        let sources: Vec<renames::RenameSide> = deleted.iter().map(|(_, s)| s.clone()).collect();
        let dests: Vec<renames::RenameSide> = added.iter().map(|(_, s)| s.clone()).collect();
        let mut found = FoundRenames::default();
        if sources.is_empty() || dests.is_empty() {
            return Ok(found);
        }
        for rename in self.find_renames(&sources, &dests)? {
            found.sources.insert(deleted[rename.src].0);
            found
                .by_dest
                .insert(added[rename.dst].0, (deleted[rename.src].0, rename));
        }
        Ok(found)
    }

    /// One rename as git writes it: the header, `similarity index`, `rename
    /// from` / `rename to`, and the edit when the content changed.
    fn write_rename(
        &self,
        out: &mut Vec<u8>,
        from: &git2::DiffDelta<'_>,
        to: &git2::DiffDelta<'_>,
        rename: &renames::Rename,
    ) -> Result<()> {
        let (old, new) = (from.old_file(), to.new_file());
        let old_path = old.path_bytes().unwrap_or_default();
        let new_path = new.path_bytes().unwrap_or_default();
        let (old_mode, new_mode) = (u32::from(old.mode()), u32::from(new.mode()));
        let mut header = Vec::new();
        header.extend_from_slice(b"diff --git ");
        header.extend(quote_path(&[b"a/", old_path].concat()));
        header.push(b' ');
        header.extend(quote_path(&[b"b/", new_path].concat()));
        header.push(b'\n');
        if old_mode != new_mode {
            header.extend(format!("old mode {old_mode:06o}\nnew mode {new_mode:06o}\n").bytes());
        }
        header.extend(format!("similarity index {}%\nrename from ", rename.percent()).bytes());
        header.extend(quote_path(old_path));
        header.extend_from_slice(b"\nrename to ");
        header.extend(quote_path(new_path));
        header.push(b'\n');
        out.extend(header);
        if old.id() == new.id() {
            return Ok(());
        }
        out.extend(format!("index {}..{}", old.id(), new.id()).bytes());
        if old_mode == new_mode {
            out.extend(format!(" {old_mode:06o}").bytes());
        }
        out.push(b'\n');
        let blob = |id: Oid| self.repo.find_blob(id).git(|| format!("reading blob {id}"));
        let (old_blob, new_blob) = (blob(old.id())?, blob(new.id())?);
        let mut opts = diff_options();
        let mut patch = git2::Patch::from_blobs(
            &old_blob,
            Some(Path::new(OsStr::from_bytes(old_path))),
            &new_blob,
            Some(Path::new(OsStr::from_bytes(new_path))),
            Some(&mut opts),
        )
        .git(|| "formatting diff".into())?;
        let mut body = Vec::new();
        print_patch(&mut patch, &mut body, false)?;
        if !body.starts_with(b"GIT binary patch") && !body.starts_with(b"Binary files") {
            for (sign, prefix, path) in [(b"---", b"a/", old_path), (b"+++", b"b/", new_path)] {
                let label = quote_path(&[prefix.as_slice(), path].concat());
                out.extend_from_slice(sign);
                out.push(b' ');
                let tab = label.contains(&b' ');
                out.extend(label);
                if tab {
                    out.push(b'\t');
                }
                out.push(b'\n');
            }
        }
        out.extend(body);
        Ok(())
    }

    /// The renames among deleted files `sources` and added files `dests`
    /// (each in path order), paired as `git diff -M` pairs them.
    pub fn find_renames(
        &self,
        sources: &[renames::RenameSide],
        dests: &[renames::RenameSide],
    ) -> Result<Vec<renames::Rename>> {
        renames::find_renames(sources, dests, renames::DEFAULT_SCORE, |id| {
            self.read_blob(id)
        })
    }

    /// Paths that differ between two trees (for updating a work tree),
    /// submodules (gitlinks) included.
    pub fn changed_paths(&self, old: Oid, new: Oid) -> Result<Vec<String>> {
        let mut opts = git2::DiffOptions::new();
        let Some(diff) = self.diff_differing(old, new, &mut opts)? else {
            return Ok(Vec::new());
        };
        let mut paths = Vec::new();
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(path) = file.path().and_then(Path::to_str) {
                    if paths.last().map(String::as_str) != Some(path) {
                        paths.push(path.to_string());
                    }
                }
            }
        }
        paths.dedup();
        Ok(paths)
    }

    /// libgit2's tree-to-tree diff on the paths where the trees differ;
    /// `None` when they are the same. On its own, libgit2 walks every entry
    /// of both trees (some 9,000 for nova) even when one file changed; with
    /// the differing paths as a literal path list it skips the directories
    /// not on it, as git's tree diff skips equal subtrees. Same result.
    fn diff_differing(
        &self,
        old: Oid,
        new: Oid,
        opts: &mut git2::DiffOptions,
    ) -> Result<Option<git2::Diff<'_>>> {
        let mut paths = Vec::new();
        self.differing_paths(old, new, b"", &mut paths)?;
        if paths.is_empty() {
            return Ok(None);
        }
        paths.sort_unstable();
        paths.dedup();
        for path in paths {
            opts.pathspec(path);
        }
        opts.disable_pathspec_match(true);
        let old = self
            .repo
            .find_tree(old)
            .git(|| format!("reading tree {old}"))?;
        let new = self
            .repo
            .find_tree(new)
            .git(|| format!("reading tree {new}"))?;
        self.repo
            .diff_tree_to_tree(Some(&old), Some(&new), Some(opts))
            .map(Some)
            .git(|| "diffing trees".into())
    }

    /// Where two trees differ, below `prefix`: files that differ, and entries
    /// on one side only (a path that turns from file into directory, or
    /// back, is one of those on each side, and covers everything below it).
    /// Subtrees with the same id are not read. Both entry lists are in git's
    /// order, so one merging pass pairs them.
    fn differing_paths(
        &self,
        old: Oid,
        new: Oid,
        prefix: &[u8],
        out: &mut Vec<Vec<u8>>,
    ) -> Result<()> {
        let tree = |id: Oid| self.repo.find_tree(id).git(|| format!("reading tree {id}"));
        let (old, new) = (tree(old)?, tree(new)?);
        let (mut old, mut new) = (old.iter().peekable(), new.iter().peekable());
        let path = |entry: &git2::TreeEntry<'_>| [prefix, entry.name_bytes()].concat();
        loop {
            let order = match (old.peek(), new.peek()) {
                (None, None) => return Ok(()),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(a), Some(b)) => git_order(a).cmp(git_order(b)),
            };
            match order {
                Ordering::Less => out.extend(old.next().map(|a| path(&a))),
                Ordering::Greater => out.extend(new.next().map(|b| path(&b))),
                Ordering::Equal => {
                    let (Some(a), Some(b)) = (old.next(), new.next()) else {
                        continue;
                    };
                    if a.id() == b.id() && a.filemode() == b.filemode() {
                        continue;
                    }
                    if a.filemode() == MODE_TREE as i32 {
                        let dir = [path(&a).as_slice(), b"/"].concat();
                        self.differing_paths(a.id(), b.id(), &dir, out)?;
                    } else {
                        out.push(path(&a));
                    }
                }
            }
        }
    }

    // ---- refs ----------------------------------------------------------

    pub fn ref_target(&self, name: &str) -> Option<Oid> {
        let reference = self.repo.find_reference(name).ok()?;
        reference.resolve().ok()?.target()
    }

    pub fn set_ref(&self, name: &str, id: Oid, log: &str) -> Result<()> {
        self.repo
            .reference(name, id, true, log)
            .git(|| format!("updating {name}"))?;
        Ok(())
    }

    pub fn delete_ref(&self, name: &str) -> Result<()> {
        match self.repo.find_reference(name) {
            Ok(mut reference) => reference.delete().git(|| format!("deleting {name}")),
            Err(_) => Ok(()),
        }
    }

    pub fn refs_under(&self, prefix: &str) -> Result<Vec<(String, Oid)>> {
        let mut out = Vec::new();
        let glob = format!("{prefix}*");
        for reference in self
            .repo
            .references_glob(&glob)
            .git(|| format!("listing {prefix}"))?
        {
            let reference = reference.git(|| format!("listing {prefix}"))?;
            if let (Some(name), Some(id)) = (reference.name(), reference.target()) {
                out.push((name.to_string(), id));
            }
        }
        Ok(out)
    }

    /// Commits from `head` back to (excluding) `base`, oldest first, along
    /// first parents. Errors on merges: a patch queue is a line.
    pub fn linear_commits(&self, base: Oid, head: Oid) -> Result<Vec<CommitInfo>> {
        let mut out = Vec::new();
        let mut cursor = head;
        while cursor != base {
            let info = self.commit_info(cursor)?;
            match info.parents.as_slice() {
                [parent] => {
                    cursor = *parent;
                    out.push(info);
                }
                [] => {
                    return Err(Error::Refused(format!(
                        "commit {} is not built on the pinned upstream commit {base}; rebuild with `verda-patch apply --force`",
                        short(cursor)
                    )));
                }
                _ => {
                    return Err(Error::Refused(format!(
                        "commit {} is a merge; a patch queue must be a line of commits (flatten it with `git rebase`)",
                        short(cursor)
                    )));
                }
            }
        }
        out.reverse();
        Ok(out)
    }
}

/// A file a 3-way merge could not resolve: its blob on each side.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Conflict {
    pub path: String,
    pub base: Option<String>,
    pub ours: Option<String>,
    pub theirs: Option<String>,
}

/// The conflicts of `index`: each with the stage entry that names its path
/// (ours, else theirs, else the ancestor) and the blob on each stage.
pub(crate) fn conflicts_of(index: &git2::Index) -> Result<Vec<(git2::IndexEntry, Conflict)>> {
    let mut found = Vec::new();
    if !index.has_conflicts() {
        return Ok(found);
    }
    for conflict in index.conflicts().git(|| "reading conflicts".into())? {
        let conflict = conflict.git(|| "reading conflicts".into())?;
        let id = |e: &Option<git2::IndexEntry>| e.as_ref().map(|e| e.id.to_string());
        let (base, ours, theirs) = (
            id(&conflict.ancestor),
            id(&conflict.our),
            id(&conflict.their),
        );
        if let Some(entry) = conflict.our.or(conflict.their).or(conflict.ancestor) {
            let path = String::from_utf8_lossy(&entry.path).into_owned();
            found.push((
                entry,
                Conflict {
                    path,
                    base,
                    ours,
                    theirs,
                },
            ));
        }
    }
    Ok(found)
}

impl Git {
    pub fn tree_of(&self, commit: Oid) -> Result<Oid> {
        Ok(self.commit_info(commit)?.tree)
    }

    /// Write the files of `tree` into `dir`, a plain directory without git
    /// data (`sim` imports the pinned upstream release from it). Links are
    /// written as links, executables keep their mode, submodules are skipped.
    pub fn write_tree_to(&self, tree: Oid, dir: &Path) -> Result<usize> {
        use std::os::unix::fs::PermissionsExt;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        let tree = self
            .repo
            .find_tree(tree)
            .git(|| format!("reading tree {tree}"))?;
        let mut files = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                if let Some(name) = entry.name() {
                    files.push((format!("{root}{name}"), entry.id(), entry.filemode() as u32));
                }
            }
            git2::TreeWalkResult::Ok
        })
        .git(|| "walking tree".into())?;
        for (path, id, mode) in &files {
            let target = dir.join(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            let bytes = self.read_blob(*id)?;
            if *mode == MODE_LINK {
                let link = String::from_utf8_lossy(&bytes).into_owned();
                std::os::unix::fs::symlink(link, &target).map_err(io(&target))?;
                continue;
            }
            std::fs::write(&target, &bytes).map_err(io(&target))?;
            if *mode == MODE_EXEC {
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))
                    .map_err(io(&target))?;
            }
        }
        Ok(files.len())
    }

    /// Commits reachable from `from` but not from `hide`, newest first.
    pub fn commits_between(&self, hide: Oid, from: Oid) -> Result<Vec<CommitInfo>> {
        let mut walk = self.repo.revwalk().git(|| "walking history".into())?;
        walk.push(from).git(|| format!("walking from {from}"))?;
        walk.hide(hide).git(|| format!("hiding {hide}"))?;
        walk.set_sorting(git2::Sort::TIME)
            .git(|| "sorting history".into())?;
        walk.map(|id| self.commit_info(id.git(|| "walking history".into())?))
            .collect()
    }

    /// Every commit reachable from a branch or tag, newest first.
    pub fn all_commits(&self) -> Result<Vec<CommitInfo>> {
        let mut walk = self.repo.revwalk().git(|| "walking history".into())?;
        walk.push_glob("refs/heads/*")
            .git(|| "walking branches".into())?;
        walk.push_glob("refs/tags/*")
            .git(|| "walking tags".into())?;
        walk.set_sorting(git2::Sort::TIME)
            .git(|| "sorting history".into())?;
        walk.map(|id| self.commit_info(id.git(|| "walking history".into())?))
            .collect()
    }

    /// Three-way merge of trees: the merged tree, or the files in conflict
    /// that `resolve` (recorded resolutions: conflict -> resolved blob) does
    /// not settle.
    pub fn merge_trees(
        &self,
        base: Oid,
        ours: Oid,
        theirs: Oid,
        resolve: impl Fn(&Conflict) -> Option<Oid>,
    ) -> Result<std::result::Result<Oid, Vec<Conflict>>> {
        let find = |id: Oid| self.repo.find_tree(id).git(|| format!("reading tree {id}"));
        // Renames paired as `git merge-ort` pairs them (50 % similar), so a
        // patch that renamed a file carries upstream's edits of the old path.
        let mut options = git2::MergeOptions::new();
        options.find_renames(true).rename_threshold(50);
        let mut index = self
            .repo
            .merge_trees(&find(base)?, &find(ours)?, &find(theirs)?, Some(&options))
            .git(|| "merging trees".into())?;
        let mut unresolved = Vec::new();
        let mut resolved = Vec::new();
        for (entry, found) in conflicts_of(&index)? {
            match resolve(&found) {
                Some(blob) => resolved.push((entry, found.path, blob)),
                None => unresolved.push(found),
            }
        }
        if !unresolved.is_empty() {
            return Ok(Err(unresolved));
        }
        for (mut entry, path, blob) in resolved {
            index
                .conflict_remove(Path::new(&path))
                .git(|| format!("resolving {path}"))?;
            entry.id = blob;
            entry.flags &= !0x3000; // stage 0
            index.add(&entry).git(|| format!("resolving {path}"))?;
        }
        let merged = index
            .write_tree_to(&self.repo)
            .git(|| "writing merged tree".into())?;
        self.note_written_since(ours, merged)?;
        Ok(Ok(merged))
    }

    /// Note for the pack (see `with_pack`) the objects of `tree` on the
    /// paths where it differs from `base`: the blobs and trees libgit2
    /// wrote for a merge, which went around `write_blob` and `update_tree`.
    fn note_written_since(&self, base: Oid, tree: Oid) -> Result<()> {
        if self.written.is_none() {
            return Ok(());
        }
        self.note_written(tree);
        let mut paths = Vec::new();
        self.differing_paths(base, tree, b"", &mut paths)?;
        let root = self
            .repo
            .find_tree(tree)
            .git(|| format!("reading tree {tree}"))?;
        for path in paths {
            let path = Path::new(OsStr::from_bytes(&path));
            for dir in path.ancestors().skip(1) {
                if let Ok(entry) = root.get_path(dir) {
                    self.note_written(entry.id());
                }
            }
            let Ok(entry) = root.get_path(path) else {
                continue;
            };
            match entry.filemode() as u32 {
                MODE_COMMIT => {}
                MODE_TREE => {
                    self.note_written(entry.id());
                    let subtree = self
                        .repo
                        .find_tree(entry.id())
                        .git(|| format!("reading tree {}", entry.id()))?;
                    subtree
                        .walk(git2::TreeWalkMode::PreOrder, |_, inner| {
                            if inner.filemode() as u32 != MODE_COMMIT {
                                self.note_written(inner.id());
                            }
                            git2::TreeWalkResult::Ok
                        })
                        .git(|| "walking merged tree".into())?;
                }
                _ => self.note_written(entry.id()),
            }
        }
        Ok(())
    }

    /// `git cherry-pick --no-commit` of `commit` onto HEAD in the work tree:
    /// conflicts are left with diff3 markers and index stages for the user.
    pub fn cherry_pick_into_worktree(&self, commit: Oid) -> Result<()> {
        let commit = self
            .repo
            .find_commit(commit)
            .git(|| format!("reading commit {commit}"))?;
        let mut checkout = git2::build::CheckoutBuilder::new();
        checkout.conflict_style_diff3(true).allow_conflicts(true);
        let mut options = git2::CherrypickOptions::new();
        options.checkout_builder(checkout);
        self.repo
            .cherrypick(&commit, Some(&mut options))
            .git(|| format!("cherry-picking {}", commit.id()))
    }

    /// Paths with unresolved conflicts in the index.
    pub fn index_conflicts(&self) -> Result<Vec<String>> {
        Ok(self
            .index_conflict_sides()?
            .into_iter()
            .map(|c| c.path)
            .collect())
    }

    /// The tree the index describes (after the user's `git add`).
    pub fn index_tree(&self) -> Result<Oid> {
        let mut index = self.repo.index().git(|| "reading index".into())?;
        index.read(true).git(|| "reading index".into())?;
        index
            .write_tree()
            .git(|| "writing the index as a tree".into())
    }

    /// Forget an in-progress cherry-pick (CHERRY_PICK_HEAD, MERGE_MSG).
    pub fn cleanup_state(&self) -> Result<()> {
        self.repo
            .cleanup_state()
            .git(|| "cleaning up cherry-pick state".into())
    }
}

/// Process-wide libgit2 settings, set once by the binary at start-up,
/// before any thread is spawned.
///
/// libgit2 caches trees only up to 4 KiB, so every diff or lookup that
/// walks a large directory (nova/tests/unit/... has a few hundred entries)
/// inflates it again; `export` diffs each commit of the queue, re-reading
/// those trees 40 times. The cache stays bounded by its total size (256 MiB).
pub fn tune_libgit2() {
    // SAFETY: called at start-up, before any thread is spawned.
    let _ = unsafe { git2::opts::set_cache_object_limit(git2::ObjectType::Tree, 1 << 20) };
    // Blobs are not cached at all by default, so `export` inflated every
    // changed file twice: as the new side of its commit's diff and again as
    // the old side of the next commit's (a queue that edits a 1.4 MB test
    // file 20 times). Kept up to 4 MiB each.
    // SAFETY: as above.
    let _ = unsafe { git2::opts::set_cache_object_limit(git2::ObjectType::Blob, 4 << 20) };
    // libgit2 hashes every object it reads again to check its id (SHA-1 with
    // collision detection: half of a 67-patch apply's instructions went
    // there). git itself checks ids when objects arrive (fetch, fsck), not
    // on every read; so do we.
    git2::opts::strict_hash_verification(false);
}

/// The diff settings of an exported patch: 3 lines of context, full ids,
/// binary changes as `GIT binary patch`, and git's default indent
/// heuristic (`diff.indentHeuristic`), which slides an ambiguous hunk to
/// where git puts it.
fn diff_options() -> git2::DiffOptions {
    let mut opts = git2::DiffOptions::new();
    // Gitlinks are kept: a submodule bump is a change like any other.
    opts.context_lines(3)
        .indent_heuristic(true)
        .id_abbrev(40)
        .show_binary(true);
    opts
}

/// Append one file's patch text to `out`; without its `diff --git`
/// header block when `header` is false.
fn print_patch(patch: &mut git2::Patch<'_>, out: &mut Vec<u8>, header: bool) -> Result<()> {
    let hunks = patch.num_hunks() > 0;
    let mut binary = Vec::new();
    patch
        .print(&mut |_, _, line| {
            match line.origin() {
                '+' | '-' | ' ' => out.push(line.origin() as u8),
                'F' if !header => return true,
                'F' => {
                    out.extend(file_header(line.content(), hunks));
                    return true;
                }
                'B' if line.content().starts_with(b"Binary files ") => return true,
                'B' => {
                    binary.extend_from_slice(line.content());
                    return true;
                }
                _ => {}
            }
            out.extend_from_slice(line.content());
            true
        })
        .git(|| "formatting diff".into())?;
    if !binary.is_empty() {
        out.extend(binary_text::as_git_writes_it(&binary).unwrap_or(binary));
    }
    Ok(())
}

/// A file's header block as git writes it: `---` / `+++` lines only when
/// hunks follow (libgit2 writes them for an empty file added or deleted
/// too), and ending with a tab when the name holds a blank (so that tools
/// reading it know where the name ends), which libgit2 does not do; no
/// `Binary files … differ` (libgit2 writes it for a binary file whose mode
/// alone changed, where `git format-patch --binary` writes nothing).
fn file_header(header: &[u8], hunks: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.len() + 2);
    for line in header.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"Binary files ") {
            continue;
        }
        let name = line
            .strip_prefix(b"--- ")
            .or_else(|| line.strip_prefix(b"+++ "))
            .and_then(|rest| rest.strip_suffix(b"\n"));
        match name {
            Some(_) if !hunks => {}
            Some(name) if name.contains(&b' ') => {
                out.extend_from_slice(&line[..line.len() - 1]);
                out.extend_from_slice(b"\t\n");
            }
            _ => out.extend_from_slice(line),
        }
    }
    out
}

/// The renames of one diff, by delta index.
#[derive(Default)]
struct FoundRenames {
    /// Deleted files that were renamed (not written as deletions).
    sources: HashSet<usize>,
    /// Added file -> (its source, the rename).
    by_dest: HashMap<usize, (usize, renames::Rename)>,
}

/// A path as git writes it in a patch (`quote_c_style`): as it is when
/// plain, else in double quotes with C escapes and bytes outside ASCII in
/// octal.
fn quote_path(path: &[u8]) -> Vec<u8> {
    let plain = |b: u8| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\';
    if path.iter().all(|&b| plain(b)) {
        return path.to_vec();
    }
    let mut out = vec![b'"'];
    for &b in path {
        match b {
            b'\x07' => out.extend_from_slice(b"\\a"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\x0b' => out.extend_from_slice(b"\\v"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b if plain(b) => out.push(b),
            b => out.extend(format!("\\{b:03o}").bytes()),
        }
    }
    out.push(b'"');
    out
}

/// A tree entry's place in git's tree order: its name, and a `/` after it
/// when it is a directory.
fn git_order<'a>(entry: &'a git2::TreeEntry<'_>) -> impl Iterator<Item = u8> + 'a {
    let slash = (entry.filemode() == MODE_TREE as i32).then_some(b'/');
    entry.name_bytes().iter().copied().chain(slash)
}

pub fn short(id: Oid) -> String {
    id.to_string()[..10].to_string()
}

/// `Name <email> 1700000000 +0100`, as git writes identities in commits.
pub fn ident_line(who: &Identity) -> String {
    let sign = if who.offset_minutes < 0 { '-' } else { '+' };
    let offset = who.offset_minutes.abs();
    format!(
        "{} <{}> {} {sign}{:02}{:02}",
        who.name,
        who.email,
        who.seconds,
        offset / 60,
        offset % 60
    )
}

/// Seconds and offset (minutes) of `@<seconds> [+hhmm]`, `<seconds> +hhmm`,
/// RFC 3339 or RFC 2822 dates.
fn parse_git_date(text: &str) -> Option<(i64, i32)> {
    let text = text.trim();
    let raw = text.strip_prefix('@').unwrap_or(text);
    let mut parts = raw.split_whitespace();
    if let Some(Ok(seconds)) = parts.next().map(str::parse::<i64>) {
        let offset = match parts.next() {
            None => 0,
            Some(zone) => {
                let (sign, digits) = zone.split_at_checked(1)?;
                let value: i32 = digits.parse().ok()?;
                let minutes = value / 100 * 60 + value % 100;
                match sign {
                    "+" => minutes,
                    "-" => -minutes,
                    _ => return None,
                }
            }
        };
        return Some((seconds, offset));
    }
    let parsed = chrono::DateTime::parse_from_rfc3339(text)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(text))
        .ok()?;
    Some((parsed.timestamp(), parsed.offset().local_minus_utc() / 60))
}

fn signature(who: &Identity) -> Result<git2::Signature<'static>> {
    let time = git2::Time::new(who.seconds, who.offset_minutes);
    git2::Signature::new(&who.name, &who.email, &time)
        .git(|| format!("invalid identity `{} <{}>`", who.name, who.email))
}
