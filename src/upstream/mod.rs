//! Upstream sources: a bare git mirror per source in the cache. A `git`
//! source is fetched into it; a `pypi` source gets each release sdist
//! imported as a snapshot commit (tag = version) on the `upstream` branch,
//! each newer import a child of the previous one, like `gbp import-orig`.

pub mod gerrit;
pub mod pypi;
pub mod releases;

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::manifest::{Source, Workspace};
use crate::progress::Progress;
use crate::repo::{Git, Identity, Oid, redact_credentials};

pub struct Upstream {
    pub project: String,
    pub source: Source,
    pub mirror: Git,
}

/// Where the mirror of `source` lives in the cache.
pub fn mirror_dir(ws: &Workspace, source: &Source) -> PathBuf {
    match source {
        Source::Git { url } => {
            let digest = Sha256::digest(url.as_bytes());
            let tag = crate::hex(&digest[..6]);
            let name: String = url
                .trim_end_matches('/')
                .trim_end_matches(".git")
                .rsplit(['/', ':'])
                .next()
                .unwrap_or("repo")
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            ws.cache_dir().join("git").join(format!("{name}-{tag}.git"))
        }
        Source::Pypi { name, .. } => ws
            .cache_dir()
            .join("pypi")
            .join(format!("{}.git", pypi::normalize(name))),
    }
}

impl Upstream {
    pub fn open(ws: &Workspace, project: &str) -> Result<Upstream> {
        let source = ws.project(project)?.source(&ws.root);
        let mirror = Git::open_or_init_bare(&mirror_dir(ws, &source))?;
        Ok(Upstream {
            project: project.to_string(),
            source,
            mirror,
        })
    }

    /// The source for messages: the URL without credentials, or the PyPI
    /// distribution and index.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Git { url } => redact_credentials(url),
            Source::Pypi { name, index } => format!("{name} on {index}"),
        }
    }

    /// Update the mirror: fetch a git remote (every branch and tag, so a
    /// branch pin moves to the tip it has now), or import `version` from PyPI.
    pub fn fetch(&self, ws: &Workspace, version: &str, progress: &dyn Progress) -> Result<()> {
        match &self.source {
            Source::Git { url } => self.mirror.fetch_mirror(url, progress),
            Source::Pypi { name, index } => self
                .import_sdist(ws, name, index, version, progress)
                .map(|_| ()),
        }
    }

    /// The commit `pin` names, fetching or importing it if the cache lacks
    /// it. A branch pin is its tip at the last fetch: this does not fetch
    /// again once the branch is there (`verda-patch fetch` moves it).
    pub fn resolve(&self, ws: &Workspace, pin: &str, progress: &dyn Progress) -> Result<Oid> {
        if let Some(id) = self.mirror.resolve_pin(pin) {
            return Ok(id);
        }
        self.fetch(ws, pin, progress)?;
        self.mirror
            .resolve_pin(pin)
            .ok_or_else(|| self.unknown_pin(pin))
    }

    fn unknown_pin(&self, pin: &str) -> Error {
        let mut tags = self.mirror.tag_names();
        tags.sort_by_key(|t| version_key(t));
        let prefix: String = pin.chars().take(2).collect();
        let mut near: Vec<String> = tags
            .iter()
            .filter(|t| t.starts_with(&prefix))
            .rev()
            .take(6)
            .cloned()
            .collect();
        if near.is_empty() {
            near = tags.iter().rev().take(6).cloned().collect();
        }
        Error::Upstream(format!(
            "pin `{pin}` of project `{}` is not a tag, branch or commit of {}{}; fix `pin` in verda-patch.toml",
            self.project,
            self.describe(),
            if near.is_empty() {
                String::new()
            } else {
                format!(" (its tags include {})", near.join(", "))
            }
        ))
    }

    fn import_sdist(
        &self,
        ws: &Workspace,
        name: &str,
        index: &str,
        version: &str,
        progress: &dyn Progress,
    ) -> Result<Oid> {
        if let Some(id) = self.mirror.resolve_pin(version) {
            return Ok(id);
        }
        let sdist = pypi::find_sdist(index, name, version)?;
        let cache = ws.cache_dir().join("pypi").join(pypi::normalize(name));
        let bytes = pypi::download(&sdist, &cache, progress)?;
        progress.begin(&format!("importing {}", sdist.filename), None);
        let files = pypi::unpack(&bytes, &sdist.filename)?;
        let seconds = sdist
            .upload_time
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp())
            .unwrap_or(0);
        let who = Identity {
            name: "PyPI".into(),
            email: format!("{}@pypi.invalid", pypi::normalize(name)),
            seconds,
            offset_minutes: 0,
        };
        let message = format!(
            "Import {name} {version} from {index}\n\nsdist: {}\nsha256: {}\n",
            sdist.filename, sdist.sha256
        );
        let commit = self
            .mirror
            .write_snapshot(&files, "upstream", version, &who, &message)?;
        progress.end();
        Ok(commit)
    }
}

/// Sort key that orders release tags like versions (`1.9` before `1.10`).
pub fn version_key(tag: &str) -> Vec<(u64, String)> {
    tag.split(['.', '-'])
        .map(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            (
                digits.parse().unwrap_or(0),
                part[digits.len()..].to_string(),
            )
        })
        .collect()
}
