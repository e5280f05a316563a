//! `verda-patch.toml`: the projects, their upstream source and their pin,
//! and the layout of the patch repository around it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};

pub const MANIFEST: &str = "verda-patch.toml";

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default)]
    pub projects: BTreeMap<String, ProjectSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    /// A git URL or a local path (relative to the patch repo root).
    pub git: Option<String>,
    /// A PyPI distribution whose release sdists are imported as snapshots.
    pub pypi: Option<String>,
    /// A PEP 691 simple index (`https://…/simple` or `file:///dir`), for `pypi`.
    pub index: Option<String>,
    /// The upstream release: a tag, a commit id, or a branch (git); a version (pypi).
    pub pin: String,
    /// How `verda-patch test` runs the project's unit tests.
    pub test: Option<TestSpec>,
    /// The project's upstream Gerrit (`https://review.opendev.org`): review
    /// state per Change-Id for `list --upstream`, `check` and `review`, and
    /// where `propose` sends patches.
    pub gerrit: Option<String>,
    /// The project's name on Gerrit (`openstack/nova`); default: `project=`
    /// of the upstream tree's `.gitreview`.
    pub gerrit_project: Option<String>,
    /// Where `propose` pushes (any URL `git push` takes; a relative path is
    /// relative to the patch repo); default from the upstream tree's
    /// `.gitreview`: `ssh://<user>@<host>:<port>/<project>`.
    pub gerrit_push: Option<String>,
    /// Seconds a cached Gerrit answer stays fresh (default 900).
    pub gerrit_ttl: Option<u64>,
    /// Seconds to wait for Gerrit to connect or answer (default 10).
    pub gerrit_timeout: Option<u64>,
    /// The project's deliverable in OpenStack's release data
    /// (`data/openstack-releases.json`), for `rebase --to <series>` and
    /// `constraints = "series"`; default: the deliverable whose PyPI name
    /// or repository matches the source, else the one named like the project.
    pub deliverable: Option<String>,
}

/// `[projects.<name>.test]`: a Python project's test environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestSpec {
    /// The interpreter that builds the virtualenv (default `python3`).
    pub python: Option<String>,
    /// OpenStack's upper-constraints the virtualenv is pinned by:
    /// `"series"` (those of the pin's series), a file in the patch repo,
    /// or `{ url = "…", sha256 = "…" }`.
    pub constraints: Option<Constraints>,
    /// Requirement files in the project tree.
    #[serde(default = "default_requirements")]
    pub requirements: Vec<String>,
}

/// `constraints = …` of `[projects.<name>.test]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Constraints {
    /// `"series"`, or a path relative to the patch repo root.
    Named(String),
    /// A download, checked against its sha256 (hex).
    Url { url: String, sha256: String },
}

/// The `constraints` value that follows the pin's series.
pub const SERIES_CONSTRAINTS: &str = "series";

fn default_requirements() -> Vec<String> {
    vec!["requirements.txt".into(), "test-requirements.txt".into()]
}

/// Where a project's upstream comes from, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Git { url: String },
    Pypi { name: String, index: String },
}

pub const DEFAULT_PYPI_INDEX: &str = "https://pypi.org/simple";

impl ProjectSpec {
    pub fn source(&self, root: &Path) -> Source {
        match (&self.git, &self.pypi) {
            (Some(url), _) => Source::Git {
                url: resolve_local(root, url),
            },
            (None, Some(name)) => Source::Pypi {
                name: name.clone(),
                index: self
                    .index
                    .clone()
                    .unwrap_or_else(|| DEFAULT_PYPI_INDEX.to_string()),
            },
            (None, None) => unreachable!("validated in Manifest::parse"),
        }
    }
}

/// A git "URL" that is a relative local path is relative to the patch repo.
/// Like git, a colon before any slash makes it an scp-like ssh address
/// (`gerrit:openstack/nova`, `git@host:path`), not a path.
pub(crate) fn resolve_local(root: &Path, url: &str) -> String {
    let scp_like = url
        .split_once(':')
        .is_some_and(|(host, _)| !host.contains('/'));
    let looks_remote = url.contains("://") || scp_like;
    if looks_remote || Path::new(url).is_absolute() {
        url.to_string()
    } else {
        let path = root.join(url);
        path.canonicalize()
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }
}

impl Manifest {
    pub fn parse(text: &str, file: &Path) -> Result<Manifest> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            Error::invalid(file, line, e.message().to_string())
        })?;
        for (name, spec) in &manifest.projects {
            let bad = |message: String| {
                Error::invalid(file, None, format!("[projects.{name}]: {message}"))
            };
            if !valid_project_name(name) {
                return Err(bad(
                    "a project name may hold only letters, digits, '.', '_' and '-'".into(),
                ));
            }
            match (&spec.git, &spec.pypi) {
                (Some(_), Some(_)) => {
                    return Err(bad("set either `git` or `pypi`, not both".into()));
                }
                (None, None) => return Err(bad(
                    "needs an upstream: `git = \"<url or path>\"` or `pypi = \"<distribution>\"`"
                        .into(),
                )),
                _ => {}
            }
            if spec.index.is_some() && spec.pypi.is_none() {
                return Err(bad("`index` only applies to a `pypi` source".into()));
            }
            let needs_gerrit = [
                ("gerrit_project", spec.gerrit_project.is_some()),
                ("gerrit_push", spec.gerrit_push.is_some()),
                ("gerrit_ttl", spec.gerrit_ttl.is_some()),
                ("gerrit_timeout", spec.gerrit_timeout.is_some()),
            ];
            if let (None, Some((key, _))) =
                (&spec.gerrit, needs_gerrit.iter().find(|(_, set)| *set))
            {
                return Err(bad(format!(
                    "`{key}` needs `gerrit = \"<url of the Gerrit server>\"`"
                )));
            }
            if let Some(url) = &spec.gerrit {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(bad(format!(
                        "`gerrit` must be the server's http(s) URL (`https://review.opendev.org`), got {url:?}"
                    )));
                }
            }
            if spec.pin.trim().is_empty() || spec.pin.trim() != spec.pin {
                return Err(bad(format!(
                    "`pin` must be a release tag or version, got {:?}",
                    spec.pin
                )));
            }
        }
        Ok(manifest)
    }
}

pub fn valid_project_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The patch repository: its root, manifest and the paths around them.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub manifest: Manifest,
}

impl Workspace {
    /// Walk up from `start` to the first directory holding `verda-patch.toml`.
    pub fn discover(start: &Path) -> Result<Workspace> {
        let start = start.canonicalize().at(start)?;
        let mut dir = start.as_path();
        loop {
            let candidate = dir.join(MANIFEST);
            if candidate.is_file() {
                return Workspace::load(dir);
            }
            match dir.parent() {
                Some(parent) => dir = parent,
                None => {
                    return Err(Error::Usage(format!(
                        "no {MANIFEST} in {} or any parent directory; run `verda-patch init` to create a patch repository",
                        start.display()
                    )));
                }
            }
        }
    }

    pub fn load(root: &Path) -> Result<Workspace> {
        let file = root.join(MANIFEST);
        let text = std::fs::read_to_string(&file).at(&file)?;
        let manifest = Manifest::parse(&text, &file)?;
        Ok(Workspace {
            root: root.to_path_buf(),
            manifest,
        })
    }

    /// Set a project's pin in the manifest file, keeping its comments and
    /// layout, atomically.
    pub fn set_pin(&mut self, project: &str, pin: &str) -> Result<()> {
        self.set_string(&[project], "pin", pin)
    }

    /// Set `constraints` of `[projects.<project>.test]` (a path or
    /// `"series"`), keeping comments and layout, atomically.
    pub fn set_constraints(&mut self, project: &str, constraints: &str) -> Result<()> {
        self.set_string(&[project, "test"], "constraints", constraints)
    }

    /// Set string `key` of table `projects.<tables…>`, keeping the
    /// value's comments, and reload the manifest.
    fn set_string(&mut self, tables: &[&str], key: &str, value: &str) -> Result<()> {
        let file = self.manifest_path();
        let text = std::fs::read_to_string(&file).at(&file)?;
        let mut doc: toml_edit::DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| Error::invalid(&file, None, e.to_string()))?;
        let mut item = doc.get_mut("projects");
        for name in tables {
            item = item.and_then(|t| t.get_mut(name));
        }
        let table = item.and_then(|t| t.as_table_like_mut()).ok_or_else(|| {
            Error::invalid(
                &file,
                None,
                format!("no [projects.{}] table", tables.join(".")),
            )
        })?;
        let decor = table
            .get(key)
            .and_then(|v| v.as_value())
            .map(|v| v.decor().clone());
        let mut new = toml_edit::Value::from(value);
        if let Some(decor) = decor {
            *new.decor_mut() = decor;
        }
        table.insert(key, toml_edit::Item::Value(new));
        crate::fsutil::write_atomic(&file, doc.to_string().as_bytes())?;
        *self = Workspace::load(&self.root)?;
        Ok(())
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.root.join(MANIFEST)
    }

    pub fn project(&self, name: &str) -> Result<&ProjectSpec> {
        self.manifest.projects.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.manifest.projects.keys().map(String::as_str).collect();
            Error::Usage(format!(
                "no project `{name}` in {}; known: {}",
                self.manifest_path().display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        })
    }

    /// The projects named on the command line, or all of them.
    pub fn select(&self, names: &[String]) -> Result<Vec<String>> {
        if names.is_empty() {
            if self.manifest.projects.is_empty() {
                return Err(Error::Usage(format!(
                    "{} lists no projects; add a [projects.<name>] table",
                    self.manifest_path().display()
                )));
            }
            return Ok(self.manifest.projects.keys().cloned().collect());
        }
        names
            .iter()
            .map(|n| self.project(n).map(|_| n.clone()))
            .collect()
    }

    pub fn patches_dir(&self, project: &str) -> PathBuf {
        self.root.join("patches").join(project)
    }

    pub fn series_path(&self, project: &str) -> PathBuf {
        self.patches_dir(project).join("series")
    }

    pub fn custom_source(&self, project: &str) -> PathBuf {
        self.root.join("custom-source").join(project)
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.join(".verda")
    }

    /// The download and mirror cache: `$VERDA_PATCH_CACHE`, else
    /// `$XDG_CACHE_HOME/verda-patch`, else `.verda/cache` in the patch repo.
    pub fn cache_dir(&self) -> PathBuf {
        if let Some(dir) = std::env::var_os("VERDA_PATCH_CACHE").filter(|v| !v.is_empty()) {
            return PathBuf::from(dir);
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            return PathBuf::from(dir).join("verda-patch");
        }
        self.state_dir().join("cache")
    }

    /// A path relative to the root, for messages.
    pub fn rel(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_two_sources_and_names_the_project() {
        let err = Manifest::parse(
            "[projects.nova]\ngit = \"x\"\npypi = \"nova\"\npin = \"1\"\n",
            Path::new("verda-patch.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("[projects.nova]"), "{err}");
    }

    #[test]
    fn gerrit_keys_need_a_gerrit_url() {
        let parse = |extra: &str| {
            Manifest::parse(
                &format!("[projects.nova]\npypi = \"nova\"\npin = \"1\"\n{extra}"),
                Path::new("verda-patch.toml"),
            )
        };
        let err = parse("gerrit_project = \"openstack/nova\"\n").unwrap_err();
        assert!(
            err.to_string().contains("`gerrit_project` needs `gerrit ="),
            "{err}"
        );
        let err = parse("gerrit = \"review.opendev.org\"\n").unwrap_err();
        assert!(err.to_string().contains("http(s) URL"), "{err}");
        let ok = parse("gerrit = \"https://review.opendev.org\"\ngerrit_ttl = 60\n").unwrap();
        assert_eq!(ok.projects["nova"].gerrit_ttl, Some(60));
    }

    #[test]
    fn unknown_key_is_reported_with_its_line() {
        let err = Manifest::parse(
            "[projects.nova]\npypi = \"nova\"\npin = \"1\"\nbranch = \"x\"\n",
            Path::new("m.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("m.toml:4"), "{err}");
    }
}
