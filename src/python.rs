//! Running a Python project's unit tests on custom-source: a virtualenv
//! cached by what it was built from (interpreter, constraints, requirement
//! files), built once with OpenStack's upper-constraints, and the test
//! modules the queue touches run with stestr (or pytest).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::{Error, IoContext, Result};
use crate::fsutil;
use crate::manifest::{Constraints, SERIES_CONSTRAINTS, TestSpec, Workspace};
use crate::patch::parse_diff;
use crate::progress::Progress;
use crate::queue::Queue;
use crate::upstream::releases::Releases;

/// A built virtualenv.
pub struct Venv {
    pub dir: PathBuf,
}

impl Venv {
    pub fn python(&self) -> PathBuf {
        self.dir.join("bin/python")
    }
}

fn run(command: &mut Command, what: &str) -> Result<()> {
    let output = command.output().map_err(|e| {
        Error::Refused(format!(
            "{what}: cannot run {:?}: {e}",
            command.get_program()
        ))
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
    Err(Error::Refused(format!(
        "{what} failed:\n{}",
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    )))
}

/// The project's virtualenv, built if the cache has none for these inputs.
pub fn venv(
    ws: &Workspace,
    project: &str,
    spec: &TestSpec,
    tree: &Path,
    progress: &dyn Progress,
) -> Result<Venv> {
    venv_with(ws, project, spec, tree, &[], progress)
}

/// The project's virtualenv with `extra` requirement specifiers (e.g.
/// `openstack-placement>=13,<14`) installed beside its requirement files,
/// under the same constraints; cached apart from the plain one (the
/// specifiers are part of the cache key).
pub fn venv_with(
    ws: &Workspace,
    project: &str,
    spec: &TestSpec,
    tree: &Path,
    extra: &[&str],
    progress: &dyn Progress,
) -> Result<Venv> {
    let python = spec.python.clone().unwrap_or_else(|| "python3".into());
    let mut hasher = Sha256::new();
    hasher.update(python.as_bytes());
    let constraints = match resolve_constraints(ws, project, spec, progress)? {
        Some(resolved) => {
            // The project under test is installed from its tree, not pinned.
            let own: Vec<String> = own_names(ws, project)
                .iter()
                .map(|name| format!("{name}==="))
                .collect();
            let kept: String = resolved
                .text
                .lines()
                .filter(|l| !own.iter().any(|o| l.starts_with(o.as_str())))
                .map(|l| format!("{l}\n"))
                .collect();
            hasher.update(kept.as_bytes());
            Some(kept)
        }
        None => None,
    };
    for file in &spec.requirements {
        hasher.update(file.as_bytes());
        hasher.update(fsutil::read(&tree.join(file))?);
    }
    for requirement in extra {
        hasher.update(b"extra\0");
        hasher.update(requirement.as_bytes());
    }
    let key: String = crate::hex(&hasher.finalize()[..8]);
    let dir = ws.cache_dir().join("venv").join(format!("{project}-{key}"));
    if dir.join("bin/python").exists() {
        return Ok(Venv { dir });
    }
    progress.begin(&format!("building the {project} virtualenv (once)"), None);
    let building = dir.with_extension("building");
    if building.exists() {
        std::fs::remove_dir_all(&building).at(&building)?;
    }
    run(
        Command::new(&python).args(["-m", "venv"]).arg(&building),
        "creating the virtualenv",
    )?;
    let mut pip = Command::new(building.join("bin/python"));
    pip.args(["-m", "pip", "install", "-q"]).current_dir(tree);
    if let Some(kept) = constraints {
        let file = building.join("upper-constraints.txt");
        fsutil::write_atomic(&file, kept.as_bytes())?;
        pip.arg("-c").arg(&file);
    }
    for file in &spec.requirements {
        pip.arg("-r").arg(file);
    }
    pip.args(extra);
    run(&mut pip, &format!("installing {project}'s requirements"))?;
    std::fs::rename(&building, &dir).at(&dir)?;
    progress.end();
    Ok(Venv { dir })
}

/// The names a project's own line has in upper-constraints: the project
/// and its PyPI distribution (`openstack-placement===`).
fn own_names(ws: &Workspace, project: &str) -> Vec<String> {
    let mut names = vec![project.to_string()];
    if let Some(pypi) = ws
        .manifest
        .projects
        .get(project)
        .and_then(|s| s.pypi.clone())
    {
        names.push(pypi);
    }
    names
}

// ---- constraints that follow the series ---------------------------------

/// The vendored upper-constraints of series `number`, relative to the
/// patch repo root.
pub fn vendored_constraints(number: &str) -> String {
    format!("constraints/upper-constraints-{number}.txt")
}

/// OpenStack's upper-constraints of series `number` on opendev (the
/// `stable/<number>` branch of openstack/requirements).
pub fn series_constraints_url(number: &str) -> String {
    format!(
        "https://opendev.org/openstack/requirements/raw/branch/stable/{number}/upper-constraints.txt"
    )
}

/// Where the sha256 of constraints downloaded for `constraints = "series"`
/// is recorded on first download (`<sha256>  <url>` lines, like
/// `sha256sum`'s): in the patch repo, so colleagues and CI verify the same
/// bytes, and beside the vendored files it stands in for.
pub const CONSTRAINTS_SUMS: &str = "constraints/SHA256SUMS";

/// The series (number) a constraints path or URL names: `2025.1` in
/// `upper-constraints-2025.1.txt`, `stable/flamingo`.
pub fn series_named_in(text: &str, releases: &Releases) -> Option<String> {
    let tokens: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .flat_map(|t| {
            // `upper-constraints-2025.1.txt` splits to `2025.1.txt`.
            [t, t.strip_suffix(".txt").unwrap_or(t)]
        })
        .collect();
    releases
        .series
        .iter()
        .find(|s| {
            tokens
                .iter()
                .any(|t| *t == s.number || t.eq_ignore_ascii_case(&s.name))
        })
        .map(|s| s.number.clone())
}

/// The series (number) of `project`'s pin, when the releases snapshot knows it.
pub fn pin_series(ws: &Workspace, project: &str) -> Result<Option<String>> {
    let spec = ws.project(project)?;
    let releases = Releases::load(ws)?;
    Ok(releases
        .series_of_pin(project, spec)
        .map(|s| s.number.clone()))
}

/// What a test spec's constraints are, before reading them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstraintsSource {
    /// A file in the patch repo (relative to its root).
    File(String),
    /// A download; `sha256` `None`: trusted on first download, then recorded.
    Url { url: String, sha256: Option<String> },
}

impl ConstraintsSource {
    pub fn shown(&self) -> &str {
        match self {
            ConstraintsSource::File(path) => path,
            ConstraintsSource::Url { url, .. } => url,
        }
    }
}

/// Where `project`'s constraints come from, and the series they are of
/// (when known). `"series"` is the pin's series: its vendored file when
/// the patch repo has one, else opendev's `stable/<series>` file.
pub fn constraints_source(
    ws: &Workspace,
    project: &str,
    spec: &TestSpec,
) -> Result<Option<(ConstraintsSource, Option<String>)>> {
    let Some(constraints) = &spec.constraints else {
        return Ok(None);
    };
    let releases = Releases::load(ws)?;
    Ok(Some(match constraints {
        Constraints::Named(rule) if rule == SERIES_CONSTRAINTS => {
            let pin = &ws.project(project)?.pin;
            let Some(series) = pin_series(ws, project)? else {
                return Err(Error::Usage(format!(
                    "[projects.{project}.test] constraints = \"series\", but the releases snapshot \
                     ({}) has no series for {project} {pin}; run `verda-patch releases refresh`, set \
                     `deliverable = \"…\"` in [projects.{project}], or name a constraints file",
                    crate::upstream::releases::SNAPSHOT
                )));
            };
            let vendored = vendored_constraints(&series);
            let source = if ws.root.join(&vendored).is_file() {
                ConstraintsSource::File(vendored)
            } else {
                let url = series_constraints_url(&series);
                let sha256 = recorded_sum(ws, &url)?;
                ConstraintsSource::Url { url, sha256 }
            };
            (source, Some(series))
        }
        Constraints::Named(path) => (
            ConstraintsSource::File(path.clone()),
            series_named_in(path, &releases),
        ),
        Constraints::Url { url, sha256 } => (
            ConstraintsSource::Url {
                url: url.clone(),
                sha256: Some(sha256.to_ascii_lowercase()),
            },
            series_named_in(url, &releases),
        ),
    }))
}

/// Constraints of another series than the pin's: (theirs, the pin's).
pub fn constraints_mismatch(
    ws: &Workspace,
    project: &str,
    spec: &TestSpec,
) -> Result<Option<(String, String)>> {
    let Some((_, Some(theirs))) = constraints_source(ws, project, spec)? else {
        return Ok(None);
    };
    Ok(pin_series(ws, project)?
        .filter(|pin| *pin != theirs)
        .map(|pin| (theirs, pin)))
}

/// After `project`'s pin moved from `old_pin` (by `rebase`): constraints
/// that name the old series move to the new series' vendored file when the
/// patch repo has one (the manifest is rewritten), else a warning says what
/// to do. Returns the line for the rebase report, `None` when nothing
/// concerns the constraints (no test table, same series, or they name none).
pub fn follow_series(ws: &mut Workspace, project: &str, old_pin: &str) -> Result<Option<String>> {
    let spec = ws.project(project)?.clone();
    let Some(constraints) = spec.test.as_ref().and_then(|t| t.constraints.clone()) else {
        return Ok(None);
    };
    // The pin has moved already: a bad snapshot must not fail the rebase.
    let releases = match Releases::load(ws) {
        Ok(releases) => releases,
        Err(e) => return Ok(Some(format!("warning: constraints not checked: {e}"))),
    };
    let deliverable = releases.deliverable_of(project, &spec);
    let series = |pin: &str| {
        deliverable
            .and_then(|d| releases.series_of(d, pin))
            .map(|s| s.number.clone())
    };
    let (old, new) = (series(old_pin), series(&spec.pin));
    if old.is_some() && old == new {
        return Ok(None);
    }
    let pin = &spec.pin;
    let named = match &constraints {
        Constraints::Named(rule) if rule == SERIES_CONSTRAINTS => {
            return Ok(Some(match (&old, &new) {
                (_, Some(new)) => format!(
                    "constraints follow the series: {} -> {new}",
                    old.as_deref().unwrap_or("?")
                ),
                (_, None) => format!(
                    "warning: constraints = \"series\", but the releases snapshot has no series for \
                     {project} {pin}; run `verda-patch releases refresh` before `verda-patch test {project}`"
                ),
            }));
        }
        Constraints::Named(path) => path.clone(),
        Constraints::Url { url, .. } => url.clone(),
    };
    let Some(theirs) = series_named_in(&named, &releases) else {
        return Ok(None);
    };
    let Some(new) = new else {
        return Ok(Some(format!(
            "warning: constraints {named} are {theirs}'s, and the releases snapshot does not know \
             {project} {pin}'s series; check them, or run `verda-patch releases refresh`"
        )));
    };
    if theirs == new {
        return Ok(None);
    }
    if let Constraints::Named(path) = &constraints {
        let moved = path.replace(&theirs, &new);
        if moved != *path && ws.root.join(&moved).is_file() {
            ws.set_constraints(project, &moved)?;
            return Ok(Some(format!("constraints moved: {path} -> {moved}")));
        }
    }
    Ok(Some(format!(
        "warning: constraints {named} are {theirs}'s, but {project} {pin} is {new}, and the patch repo \
         has no {}; vendor it from openstack/requirements stable/{new}, or set \
         `constraints = \"series\"` in [projects.{project}.test] (`verda-patch test {project}` \
         refuses the mismatch until then)",
        vendored_constraints(&new)
    )))
}

/// A resolved constraints file.
pub struct ResolvedConstraints {
    /// Where it came from, for messages.
    pub origin: String,
    pub text: String,
}

/// Read `project`'s constraints: the file, or the download (from the
/// cache when it holds those bytes), sha256-checked.
pub fn resolve_constraints(
    ws: &Workspace,
    project: &str,
    spec: &TestSpec,
    progress: &dyn Progress,
) -> Result<Option<ResolvedConstraints>> {
    let Some((source, _)) = constraints_source(ws, project, spec)? else {
        return Ok(None);
    };
    let bytes = match &source {
        ConstraintsSource::File(path) => fsutil::read(&ws.root.join(path))?,
        ConstraintsSource::Url { url, sha256 } => {
            download_constraints(ws, project, url, sha256.as_deref(), progress)?
        }
    };
    Ok(Some(ResolvedConstraints {
        origin: source.shown().to_string(),
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }))
}

fn recorded_sum(ws: &Workspace, url: &str) -> Result<Option<String>> {
    let file = ws.root.join(CONSTRAINTS_SUMS);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).at(&file),
    };
    Ok(text.lines().find_map(|line| {
        let (sum, rest) = line.split_once("  ")?;
        (rest.trim() == url).then(|| sum.trim().to_ascii_lowercase())
    }))
}

fn record_sum(ws: &Workspace, url: &str, sum: &str) -> Result<()> {
    let file = ws.root.join(CONSTRAINTS_SUMS);
    let old = std::fs::read_to_string(&file).unwrap_or_default();
    let mut lines: Vec<String> = old
        .lines()
        .filter(|l| l.split_once("  ").is_none_or(|(_, u)| u.trim() != url))
        .map(str::to_string)
        .collect();
    lines.push(format!("{sum}  {url}"));
    lines.sort_by(|a, b| {
        a.split_once("  ")
            .map(|x| x.1)
            .cmp(&b.split_once("  ").map(|x| x.1))
    });
    fsutil::write_atomic(&file, format!("{}\n", lines.join("\n")).as_bytes())
}

/// The constraints at `url`: from the cache (keyed by sha256) when it has
/// them, else downloaded; checked against `sha256`, or, with none
/// recorded yet, recorded in [`CONSTRAINTS_SUMS`].
fn download_constraints(
    ws: &Workspace,
    project: &str,
    url: &str,
    sha256: Option<&str>,
    progress: &dyn Progress,
) -> Result<Vec<u8>> {
    let cache = ws.cache_dir().join("constraints");
    if let Some(sum) = sha256 {
        if let Ok(bytes) = std::fs::read(cache.join(format!("{sum}.txt"))) {
            if crate::hex(&Sha256::digest(&bytes)) == sum {
                return Ok(bytes);
            }
        }
    }
    progress.begin(&format!("downloading {url}"), None);
    let bytes = match url.strip_prefix("file://") {
        Some(path) => fsutil::read(Path::new(path))?,
        None => {
            let mut bytes = Vec::new();
            crate::upstream::pypi::agent()?
                .get(url)
                .call()
                .map_err(|e| {
                    Error::Upstream(format!(
                        "downloading {project}'s constraints {url}: {e}; vendor the file \
                         (constraints = \"constraints/…\") if this machine cannot reach it"
                    ))
                })?
                .into_reader()
                .read_to_end(&mut bytes)
                .map_err(|e| Error::Upstream(format!("downloading {url}: {e}")))?;
            bytes
        }
    };
    progress.end();
    let actual = crate::hex(&Sha256::digest(&bytes));
    match sha256 {
        Some(expected) if expected != actual => {
            return Err(Error::Upstream(format!(
                "{project}'s constraints {url} have sha256 {actual}, but {expected} is recorded \
                 (in verda-patch.toml or {CONSTRAINTS_SUMS}); the file changed upstream or the \
                 download was tampered with: check it, then record the new sum"
            )));
        }
        Some(_) => {}
        None => record_sum(ws, url, &actual)?,
    }
    fsutil::write_atomic(&cache.join(format!("{actual}.txt")), &bytes)?;
    Ok(bytes)
}

/// Test modules the queue touches: test files it changes or adds, and for
/// each source file `pkg/a/b.py` the module `pkg.tests.unit.a.test_b` when
/// the tree has it.
pub fn touched_test_modules(queue: &Queue, tree: &Path) -> Vec<String> {
    let mut modules = Vec::new();
    for patch in &queue.patches {
        let Ok(files) = parse_diff(&patch.patch.diff) else {
            continue;
        };
        for path in files.iter().filter_map(|f| f.new_path.as_deref()) {
            let Some(stem) = path.strip_suffix(".py") else {
                continue;
            };
            let name = stem.rsplit('/').next().unwrap_or(stem);
            let candidate = if path.contains("/tests/") {
                name.starts_with("test_").then(|| path.to_string())
            } else {
                let (package, rest) = stem.split_once('/').unwrap_or(("", stem));
                let dir = rest
                    .rsplit_once('/')
                    .map(|(d, _)| format!("/{d}"))
                    .unwrap_or_default();
                Some(format!("{package}/tests/unit{dir}/test_{name}.py"))
            };
            if let Some(file) = candidate.filter(|f| tree.join(f).is_file()) {
                let module = file.trim_end_matches(".py").replace('/', ".");
                if !modules.contains(&module) {
                    modules.push(module);
                }
            }
        }
    }
    modules
}

/// What a test run counted.
#[derive(Debug, Default, serde::Serialize)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
}

/// Read stestr's closing `Totals` block.
pub fn parse_stestr(output: &str) -> Option<Counts> {
    let field = |name: &str| {
        output
            .lines()
            .rev()
            .find_map(|l| {
                l.trim()
                    .strip_prefix(&format!("- {name}:"))
                    .map(|v| v.trim().parse::<u64>().ok())
            })
            .flatten()
    };
    Some(Counts {
        passed: field("Passed")?,
        failed: field("Failed")?,
        skipped: field("Skipped").unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;

    /// A patch repo with nova pinned to `pin`, its constraints `constraints`,
    /// and the vendored files `vendored`.
    fn workspace(
        pin: &str,
        constraints: &str,
        vendored: &[&str],
    ) -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        let manifest = format!(
            "[projects.nova]\npypi = \"nova\"\npin = \"{pin}\"\n[projects.nova.test]\nconstraints = {constraints}\n"
        );
        std::fs::write(dir.path().join("verda-patch.toml"), manifest).unwrap();
        for series in vendored {
            let file = dir.path().join(vendored_constraints(series));
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, format!("oslo.db==={series}\n")).unwrap();
        }
        let ws = Workspace::load(dir.path()).unwrap();
        (dir, ws)
    }

    fn source(ws: &Workspace) -> (ConstraintsSource, Option<String>) {
        let spec = ws.project("nova").unwrap().test.clone().unwrap();
        constraints_source(ws, "nova", &spec).unwrap().unwrap()
    }

    #[test]
    fn series_constraints_follow_the_pin() {
        let both = ["2025.1", "2025.2"];
        let (_d, ws) = workspace("31.0.0", "\"series\"", &both);
        assert_eq!(
            source(&ws),
            (
                ConstraintsSource::File("constraints/upper-constraints-2025.1.txt".into()),
                Some("2025.1".into())
            )
        );
        let (_d, ws) = workspace("32.1.0", "\"series\"", &both);
        assert_eq!(
            source(&ws),
            (
                ConstraintsSource::File("constraints/upper-constraints-2025.2.txt".into()),
                Some("2025.2".into())
            )
        );
        let spec = ws.project("nova").unwrap().test.clone().unwrap();
        let text = resolve_constraints(&ws, "nova", &spec, &Silent)
            .unwrap()
            .unwrap()
            .text;
        assert_eq!(text, "oslo.db===2025.2\n");
        // Not vendored: opendev's stable branch, no sum recorded yet.
        let (_d, ws) = workspace("32.1.0", "\"series\"", &[]);
        assert_eq!(
            source(&ws).0,
            ConstraintsSource::Url {
                url: "https://opendev.org/openstack/requirements/raw/branch/stable/2025.2/upper-constraints.txt".into(),
                sha256: None
            }
        );
    }

    #[test]
    fn a_constraints_path_or_url_names_its_series() {
        let (_d, ws) = workspace(
            "32.0.0",
            "\"constraints/upper-constraints-2025.1.txt\"",
            &["2025.1"],
        );
        let spec = ws.project("nova").unwrap().test.clone().unwrap();
        assert_eq!(
            constraints_mismatch(&ws, "nova", &spec).unwrap(),
            Some(("2025.1".into(), "2025.2".into()))
        );
        let (_d, ws) = workspace(
            "31.0.0",
            "\"constraints/upper-constraints-2025.1.txt\"",
            &["2025.1"],
        );
        let spec = ws.project("nova").unwrap().test.clone().unwrap();
        assert_eq!(constraints_mismatch(&ws, "nova", &spec).unwrap(), None);
        let releases = Releases::load(&ws).unwrap();
        assert_eq!(
            series_named_in(
                "https://x/raw/branch/stable/flamingo/upper-constraints.txt",
                &releases
            ),
            Some("2025.2".into())
        );
        assert_eq!(series_named_in("constraints/pinned.txt", &releases), None);
    }

    #[test]
    fn a_constraints_url_is_checked_against_its_sha256_and_cached() {
        let (dir, _) = workspace("31.0.0", "\"series\"", &[]);
        let file = dir.path().join("uc.txt");
        std::fs::write(&file, "six===1.16.0\n").unwrap();
        let good = crate::hex(&Sha256::digest(b"six===1.16.0\n"));
        let url = format!("file://{}", file.display());
        let table = |sum: &str| format!("{{ url = \"{url}\", sha256 = \"{sum}\" }}");
        let (_d, ws) = workspace("31.0.0", &table(&"0".repeat(64)), &[]);
        let spec = ws.project("nova").unwrap().test.clone().unwrap();
        let err = resolve_constraints(&ws, "nova", &spec, &Silent)
            .err()
            .unwrap();
        assert!(
            err.to_string().contains(&format!(
                "have sha256 {good}, but {} is recorded",
                "0".repeat(64)
            )),
            "{err}"
        );
        let (_d, ws) = workspace("31.0.0", &table(&good), &[]);
        let spec = ws.project("nova").unwrap().test.clone().unwrap();
        let resolved = resolve_constraints(&ws, "nova", &spec, &Silent)
            .unwrap()
            .unwrap();
        assert_eq!(resolved.text, "six===1.16.0\n");
        // From the cache now, even with the file gone.
        std::fs::remove_file(&file).unwrap();
        let again = resolve_constraints(&ws, "nova", &spec, &Silent)
            .unwrap()
            .unwrap();
        assert_eq!(again.text, "six===1.16.0\n");
    }

    #[test]
    fn reads_stestr_totals() {
        let out = "======\nTotals\n======\nRan: 151 tests in 19.0 sec.\n - Passed: 149\n - Skipped: 1\n - Expected Fail: 0\n - Unexpected Success: 0\n - Failed: 1\n";
        let counts = super::parse_stestr(out).unwrap();
        assert_eq!((counts.passed, counts.failed, counts.skipped), (149, 1, 1));
        assert!(super::parse_stestr("no totals").is_none());
    }
}
