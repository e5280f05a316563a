//! Where the patch repository's files are read from: its work tree, or a
//! commit of its own git history (what `review --base` compares against,
//! read from git objects without checking anything out).

use std::path::Path;

use crate::error::{Error, Result};
use crate::manifest::{Manifest, Workspace};
use crate::repo::{Git, Oid};

pub enum RepoFiles<'a> {
    WorkTree,
    /// A repository without commits: no file at all.
    Empty,
    Commit {
        git: &'a Git,
        /// The commit's root tree.
        tree: Oid,
        /// The workspace root relative to the git work tree (`""` or `"dir/"`).
        prefix: String,
        /// How messages name the revision (`HEAD~1`, `a1b2c3d4e5`).
        label: String,
    },
}

impl RepoFiles<'_> {
    /// The bytes of `path` (a path under the workspace root), `None` when absent.
    pub fn read(&self, ws: &Workspace, path: &Path) -> Result<Option<Vec<u8>>> {
        match self {
            RepoFiles::WorkTree => match std::fs::read(path) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(Error::Io {
                    path: path.to_path_buf(),
                    source,
                }),
            },
            RepoFiles::Empty => Ok(None),
            RepoFiles::Commit {
                git, tree, prefix, ..
            } => {
                let in_tree = format!("{prefix}{}", ws.rel(path));
                match git.file_at(*tree, &in_tree)? {
                    Some(file) => git.read_blob(file.id).map(Some),
                    None => Ok(None),
                }
            }
        }
    }

    /// The entry names of directory `path`, sorted; `None` when it does not exist.
    pub fn list(&self, ws: &Workspace, path: &Path) -> Result<Option<Vec<String>>> {
        match self {
            RepoFiles::WorkTree => {
                let Ok(entries) = std::fs::read_dir(path) else {
                    return Ok(None);
                };
                let mut names: Vec<String> = entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                Ok(Some(names))
            }
            RepoFiles::Empty => Ok(None),
            RepoFiles::Commit {
                git, tree, prefix, ..
            } => {
                let dir = format!("{prefix}{}", ws.rel(path));
                git.dir_names(*tree, dir.trim_end_matches('/'))
            }
        }
    }

    /// The manifest as this state of the repository has it; an absent
    /// manifest (a commit before `init`) lists no projects.
    pub fn manifest(&self, ws: &Workspace) -> Result<Manifest> {
        let path = ws.manifest_path();
        let Some(bytes) = self.read(ws, &path)? else {
            return Ok(Manifest::default());
        };
        let shown = self.show(ws, &path);
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::invalid(&shown, None, "is not UTF-8 text"))?;
        Manifest::parse(&text, Path::new(&shown))
    }

    /// How messages name a file of this state: `HEAD~1:verda-patch.toml`
    /// for a revision, the path itself for the work tree.
    pub fn show(&self, ws: &Workspace, path: &Path) -> String {
        match self {
            RepoFiles::WorkTree | RepoFiles::Empty => path.display().to_string(),
            RepoFiles::Commit { label, .. } => format!("{label}:{}", ws.rel(path)),
        }
    }
}
