//! OpenStack's release data: which series exist (name ↔ number ↔ state),
//! and which versions each service deliverable released in each series,
//! from the `openstack/releases` repository (`data/series_status.yaml`
//! and `deliverables/<series>/<deliverable>.yaml`).
//!
//! A snapshot of it is vendored as `data/openstack-releases.json` (with
//! the source commit and its date), in the patch repo when it has one,
//! else the copy built into the binary. `verda-patch releases refresh`
//! regenerates it from a checkout or a git URL. It answers the questions
//! of a series-wide upgrade (`rebase --to 2025.2`: nova's release in
//! 2025.2) and of `constraints = "series"` (nova 32.1.0 is 2025.2).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::manifest::{ProjectSpec, Source, Workspace};
use crate::progress::Progress;
use crate::repo::Git;

/// The snapshot's path in a patch repo.
pub const SNAPSHOT: &str = "data/openstack-releases.json";
/// Where `releases refresh` reads by default.
pub const DEFAULT_SOURCE: &str = "https://opendev.org/openstack/releases";
/// The snapshot built into the binary, for patch repos without their own.
const BUILT_IN: &str = include_str!("../../data/openstack-releases.json");
/// The ref `refresh` fetches the source's HEAD into.
const FETCHED_REF: &str = "refs/verda/releases";

/// A snapshot of the release data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Releases {
    pub source: SourceCommit,
    /// Newest first, as `series_status.yaml` lists them; only series with
    /// a number (2023.1 "antelope" on).
    pub series: Vec<Series>,
    /// Service deliverables by name (`nova`, `placement`).
    pub deliverables: BTreeMap<String, Deliverable>,
}

/// Where a snapshot was taken from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceCommit {
    /// The repository as given to `refresh` (URL or path).
    pub repository: String,
    /// The commit the snapshot was read from (40 hex digits).
    pub commit: String,
    /// That commit's committer date (UTC, RFC 3339).
    pub date: String,
}

/// One OpenStack series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    /// `flamingo`.
    pub name: String,
    /// `2025.2` (`release-id`).
    pub number: String,
    /// `development`, `maintained`, `unmaintained`, `end of life`, `future`.
    pub status: String,
    /// The planned or actual date of its first release (`YYYY-MM-DD`).
    pub initial_release: Option<String>,
}

/// One service deliverable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deliverable {
    /// Its repository (`openstack/placement`).
    pub repository: String,
    /// Its distribution name on PyPI (`openstack-placement`: the
    /// `tarball-base` when the deliverable sets one, else the repository's name).
    pub pypi: String,
    /// Versions released per series number, in release order (release
    /// candidates included).
    pub releases: BTreeMap<String, Vec<String>>,
}

/// Which release of a series a series-wide upgrade takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The newest final release (the default).
    Latest,
    /// The series' first final release (`32.0.0`).
    First,
}

/// A final release: digits and dots only (no `rc`, `b`, `a`).
pub fn is_final(version: &str) -> bool {
    !version.is_empty()
        && version
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

impl Releases {
    /// The patch repo's snapshot, else the one built into the binary.
    pub fn load(ws: &Workspace) -> Result<Releases> {
        let file = ws.root.join(SNAPSHOT);
        match std::fs::read(&file) {
            Ok(bytes) => Releases::parse(&bytes, &file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Releases::parse(BUILT_IN.as_bytes(), Path::new("<built-in snapshot>"))
            }
            Err(e) => Err(Error::Io {
                path: file,
                source: e,
            }),
        }
    }

    fn parse(bytes: &[u8], file: &Path) -> Result<Releases> {
        serde_json::from_slice(bytes).map_err(|e| {
            Error::invalid(
                file,
                Some(e.line()),
                format!(
                    "not an OpenStack releases snapshot ({e}); run `verda-patch releases refresh` to write it again"
                ),
            )
        })
    }

    /// The series named `name` (`flamingo`, any case) or numbered `name` (`2025.2`).
    pub fn series(&self, name: &str) -> Option<&Series> {
        self.series
            .iter()
            .find(|s| s.number == name || s.name.eq_ignore_ascii_case(name))
    }

    /// The deliverable of a manifest project: its `deliverable` key, else
    /// the one whose PyPI name is the project's `pypi`, else the one whose
    /// repository's name is the git URL's last component, else the one
    /// named like the project.
    pub fn deliverable_of(&self, project: &str, spec: &ProjectSpec) -> Option<&str> {
        if let Some(name) = &spec.deliverable {
            return self
                .deliverables
                .get_key_value(name)
                .map(|(k, _)| k.as_str());
        }
        let found = match spec.source(Path::new("")) {
            Source::Pypi { name, .. } => {
                let wanted = super::pypi::normalize(&name);
                self.deliverables
                    .iter()
                    .find(|(_, d)| super::pypi::normalize(&d.pypi) == wanted)
            }
            Source::Git { url } => {
                let last = url
                    .trim_end_matches('/')
                    .trim_end_matches(".git")
                    .rsplit(['/', ':'])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                self.deliverables
                    .iter()
                    .find(|(_, d)| d.repository.rsplit('/').next() == Some(last.as_str()))
            }
        };
        found.map(|(k, _)| k.as_str()).or_else(|| {
            self.deliverables
                .get_key_value(project)
                .map(|(k, _)| k.as_str())
        })
    }

    /// The release of `deliverable` that a series-wide upgrade to
    /// `series` (a number) takes: its newest or first final release there.
    pub fn release_in(&self, deliverable: &str, series: &str, pick: Pick) -> Option<&str> {
        let versions = self.deliverables.get(deliverable)?.releases.get(series)?;
        let finals = versions.iter().filter(|v| is_final(v));
        match pick {
            Pick::Latest => finals.max_by_key(|v| super::version_key(v)),
            Pick::First => finals.min_by_key(|v| super::version_key(v)),
        }
        .map(String::as_str)
    }

    /// The series `version` of `deliverable` belongs to: the one that
    /// released it, else (a release newer than the snapshot) the one whose
    /// final releases share its major version.
    pub fn series_of(&self, deliverable: &str, version: &str) -> Option<&Series> {
        let releases = &self.deliverables.get(deliverable)?.releases;
        let number = releases
            .iter()
            .find(|(_, versions)| versions.iter().any(|v| v == version))
            .or_else(|| {
                let major = version.split('.').next()?;
                releases.iter().find(|(_, versions)| {
                    versions
                        .iter()
                        .any(|v| is_final(v) && v.split('.').next() == Some(major))
                })
            })
            .map(|(number, _)| number)?;
        self.series(number)
    }

    /// The series of a manifest project's `pin`, when the snapshot knows it.
    pub fn series_of_pin(&self, project: &str, spec: &ProjectSpec) -> Option<&Series> {
        self.series_of(self.deliverable_of(project, spec)?, &spec.pin)
    }
}

// ---- reading openstack/releases ----------------------------------------

#[derive(Deserialize)]
struct SeriesStatus {
    name: String,
    #[serde(rename = "release-id")]
    release_id: Option<serde_norway::Value>,
    status: Option<String>,
    #[serde(rename = "initial-release")]
    initial_release: Option<serde_norway::Value>,
}

#[derive(Deserialize)]
struct DeliverableFile {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "repository-settings", default)]
    repository_settings: BTreeMap<String, Option<RepositorySettings>>,
    #[serde(default)]
    releases: Vec<ReleaseEntry>,
}

#[derive(Deserialize, Default)]
struct RepositorySettings {
    #[serde(rename = "tarball-base")]
    tarball_base: Option<String>,
}

#[derive(Deserialize)]
struct ReleaseEntry {
    version: serde_norway::Value,
}

/// A YAML scalar as text (`release-id: 2025.2` is a float to YAML).
fn scalar(value: &serde_norway::Value) -> Option<String> {
    match value {
        serde_norway::Value::String(s) => Some(s.clone()),
        serde_norway::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Read the snapshot from commit `commit` of a clone of openstack/releases.
pub fn read_tree(git: &Git, commit: crate::repo::Oid, repository: &str) -> Result<Releases> {
    let info = git.commit_info(commit)?;
    let tree = info.tree;
    let read = |path: &str| -> Result<Vec<u8>> {
        match git.file_at(tree, path)? {
            Some(file) => git.read_blob(file.id),
            None => Err(Error::Upstream(format!(
                "{repository} has no {path} at {commit}; is it a clone of openstack/releases?"
            ))),
        }
    };
    let yaml_error = |path: &str, e: serde_norway::Error| {
        Error::Upstream(format!(
            "{repository}: {path} at {}: {e}",
            crate::repo::short(commit)
        ))
    };
    let status_path = "data/series_status.yaml";
    let statuses: Vec<SeriesStatus> =
        serde_norway::from_slice(&read(status_path)?).map_err(|e| yaml_error(status_path, e))?;
    let mut series = Vec::new();
    let mut deliverables: BTreeMap<String, Deliverable> = BTreeMap::new();
    for status in statuses {
        let Some(number) = status.release_id.as_ref().and_then(scalar) else {
            continue;
        };
        let dir = format!("deliverables/{}", status.name);
        for file in git.dir_names(tree, &dir)?.unwrap_or_default() {
            let Some(name) = file.strip_suffix(".yaml") else {
                continue;
            };
            let path = format!("{dir}/{file}");
            let parsed: DeliverableFile =
                serde_norway::from_slice(&read(&path)?).map_err(|e| yaml_error(&path, e))?;
            if parsed.kind.as_deref() != Some("service") {
                continue;
            }
            let Some((repository, settings)) = parsed
                .repository_settings
                .iter()
                .find(|(repo, _)| repo.rsplit('/').next() == Some(name))
                .or_else(|| parsed.repository_settings.iter().next())
            else {
                continue;
            };
            let pypi = settings
                .as_ref()
                .and_then(|s| s.tarball_base.clone())
                .unwrap_or_else(|| repository.rsplit('/').next().unwrap_or(name).to_string());
            let versions: Vec<String> = parsed
                .releases
                .iter()
                .filter_map(|r| scalar(&r.version))
                .collect();
            let entry = deliverables
                .entry(name.to_string())
                .or_insert_with(|| Deliverable {
                    repository: repository.clone(),
                    pypi: pypi.clone(),
                    releases: BTreeMap::new(),
                });
            // The newest series's settings win (series are listed newest first).
            entry.releases.insert(number.clone(), versions);
        }
        series.push(Series {
            name: status.name,
            number,
            status: status.status.unwrap_or_default(),
            initial_release: status.initial_release.as_ref().and_then(scalar),
        });
    }
    let date = chrono::DateTime::from_timestamp(info.committed, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    Ok(Releases {
        source: SourceCommit {
            repository: crate::repo::redact_credentials(repository),
            commit: commit.to_string(),
            date,
        },
        series,
        deliverables,
    })
}

/// What `refresh` did.
#[derive(Debug, Serialize)]
pub struct Refreshed {
    pub file: PathBuf,
    pub source: SourceCommit,
    /// What changed, one line each (empty: nothing).
    pub changes: Vec<String>,
}

/// Regenerate the patch repo's snapshot from `from` (a git URL, or a
/// path to a clone or checkout of openstack/releases: its committed HEAD
/// is read), fetched through `git` into the cache. Written atomically.
pub fn refresh(ws: &Workspace, from: &str, progress: &dyn Progress) -> Result<Refreshed> {
    let digest = Sha256::digest(from.as_bytes());
    let mirror_dir = ws.cache_dir().join("git").join(format!(
        "openstack-releases-{}.git",
        crate::hex(&digest[..6])
    ));
    let mirror = Git::open_or_init_bare(&mirror_dir)?;
    mirror.fetch_refs(from, &[&format!("+HEAD:{FETCHED_REF}")], progress)?;
    let commit = mirror
        .ref_target(FETCHED_REF)
        .ok_or_else(|| Error::Upstream(format!("fetching HEAD of {from} gave no commit")))?;
    let after = read_tree(&mirror, commit, from)?;
    if after.series.is_empty() || after.deliverables.is_empty() {
        return Err(Error::Upstream(format!(
            "{from} at {} lists no numbered series or no service deliverables; nothing was written",
            crate::repo::short(commit)
        )));
    }
    let file = ws.root.join(SNAPSHOT);
    let before = match std::fs::read(&file) {
        Ok(bytes) => Some(Releases::parse(&bytes, &file)?),
        Err(_) => None,
    };
    let changes = match &before {
        Some(before) => changes(before, &after),
        None => vec![format!(
            "new snapshot: {} series, {} deliverables",
            after.series.len(),
            after.deliverables.len()
        )],
    };
    let mut text = serde_json::to_string_pretty(&after).expect("plain data serialises");
    text.push('\n');
    fsutil::write_if_changed(&file, text.as_bytes())?;
    Ok(Refreshed {
        file,
        source: after.source,
        changes,
    })
}

/// The differences between two snapshots, for a person.
fn changes(before: &Releases, after: &Releases) -> Vec<String> {
    let mut out = Vec::new();
    for series in &after.series {
        match before.series(&series.number) {
            None => out.push(format!(
                "series {} ({}) added: {}",
                series.number, series.name, series.status
            )),
            Some(old) if old.status != series.status => out.push(format!(
                "series {} ({}): {} -> {}",
                series.number, series.name, old.status, series.status
            )),
            _ => {}
        }
    }
    for series in &before.series {
        if after.series(&series.number).is_none() {
            out.push(format!(
                "series {} ({}) removed",
                series.number, series.name
            ));
        }
    }
    let empty = BTreeMap::new();
    let names: std::collections::BTreeSet<&String> = before
        .deliverables
        .keys()
        .chain(after.deliverables.keys())
        .collect();
    for name in names {
        let old = before
            .deliverables
            .get(name)
            .map_or(&empty, |d| &d.releases);
        let new = after.deliverables.get(name).map_or(&empty, |d| &d.releases);
        let numbers: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        for number in numbers {
            let was = old.get(number).cloned().unwrap_or_default();
            let is = new.get(number).cloned().unwrap_or_default();
            let added: Vec<&str> = is
                .iter()
                .filter(|v| !was.contains(v))
                .map(String::as_str)
                .collect();
            let removed: Vec<&str> = was
                .iter()
                .filter(|v| !is.contains(v))
                .map(String::as_str)
                .collect();
            if !added.is_empty() {
                out.push(format!("{name} {number}: + {}", added.join(", ")));
            }
            if !removed.is_empty() {
                out.push(format!("{name} {number}: - {}", removed.join(", ")));
            }
        }
        if let (Some(o), Some(n)) = (before.deliverables.get(name), after.deliverables.get(name)) {
            if o.pypi != n.pypi {
                out.push(format!("{name}: PyPI name {} -> {}", o.pypi, n.pypi));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built_in() -> Releases {
        Releases::parse(BUILT_IN.as_bytes(), Path::new("built-in")).unwrap()
    }

    fn spec(text: &str) -> ProjectSpec {
        let manifest =
            crate::manifest::Manifest::parse(&format!("[projects.p]\n{text}"), Path::new("m"))
                .unwrap();
        manifest.projects["p"].clone()
    }

    #[test]
    fn the_built_in_snapshot_knows_the_bundled_queue_s_series() {
        let releases = built_in();
        assert_eq!(releases.series("flamingo").unwrap().number, "2025.2");
        assert_eq!(releases.series("Epoxy").unwrap().number, "2025.1");
        assert_eq!(releases.series("2025.2").unwrap().name, "flamingo");
        assert!(releases.series("32.0.0").is_none());
        assert_eq!(releases.source.commit.len(), 40);
    }

    #[test]
    fn pypi_names_that_differ_map_to_their_deliverable() {
        let releases = built_in();
        let placement = spec("pypi = \"openstack-placement\"\npin = \"13.0.0\"");
        assert_eq!(
            releases.deliverable_of("placement", &placement),
            Some("placement")
        );
        let heat = spec("pypi = \"openstack_heat\"\npin = \"25.0.0\"");
        assert_eq!(
            releases.deliverable_of("orchestration", &heat),
            Some("heat")
        );
        let git = spec("git = \"https://opendev.org/openstack/neutron.git\"\npin = \"26.0.0\"");
        assert_eq!(releases.deliverable_of("net", &git), Some("neutron"));
        let named = spec("pypi = \"other\"\npin = \"1\"\ndeliverable = \"glance\"");
        assert_eq!(releases.deliverable_of("x", &named), Some("glance"));
    }

    #[test]
    fn a_series_maps_to_its_latest_or_first_final_release() {
        let releases = built_in();
        assert_eq!(
            releases.release_in("nova", "2025.2", Pick::First),
            Some("32.0.0")
        );
        let latest = releases.release_in("nova", "2025.2", Pick::Latest).unwrap();
        assert!(latest.starts_with("32.") && is_final(latest), "{latest}");
        assert_eq!(
            releases.release_in("placement", "2025.2", Pick::First),
            Some("14.0.0")
        );
        assert_eq!(
            releases.release_in("placement", "2025.1", Pick::First),
            Some("13.0.0")
        );
    }

    #[test]
    fn a_version_belongs_to_the_series_that_released_it() {
        let releases = built_in();
        assert_eq!(
            releases.series_of("nova", "31.0.0").unwrap().number,
            "2025.1"
        );
        assert_eq!(
            releases.series_of("nova", "32.0.0").unwrap().number,
            "2025.2"
        );
        // Newer than the snapshot: by its major version.
        assert_eq!(
            releases.series_of("nova", "32.99.0").unwrap().number,
            "2025.2"
        );
        assert!(releases.series_of("nova", "1.0.0").is_none());
    }

    #[test]
    fn finals_exclude_release_candidates() {
        assert!(is_final("32.0.0"));
        assert!(!is_final("32.0.0.0rc1"));
        assert!(!is_final("32.0.0b1"));
        assert!(!is_final(""));
    }
}
