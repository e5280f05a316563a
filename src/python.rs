//! Running a Python project's unit tests on custom-source: a virtualenv
//! cached by what it was built from (interpreter, constraints, requirement
//! files), built once with OpenStack's upper-constraints, and the test
//! modules the queue touches run with stestr (or pytest).

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::{Error, IoContext, Result};
use crate::fsutil;
use crate::manifest::{TestSpec, Workspace};
use crate::patch::parse_diff;
use crate::progress::Progress;
use crate::queue::Queue;

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
    let constraints = match &spec.constraints {
        Some(file) => {
            let path = ws.root.join(file);
            let text = String::from_utf8_lossy(&fsutil::read(&path)?).into_owned();
            // The project under test is installed from its tree, not pinned.
            let own = format!("{project}===");
            let kept: String = text
                .lines()
                .filter(|l| !l.starts_with(&own))
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
    #[test]
    fn reads_stestr_totals() {
        let out = "======\nTotals\n======\nRan: 151 tests in 19.0 sec.\n - Passed: 149\n - Skipped: 1\n - Expected Fail: 0\n - Unexpected Success: 0\n - Failed: 1\n";
        let counts = super::parse_stestr(out).unwrap();
        assert_eq!((counts.passed, counts.failed, counts.skipped), (149, 1, 1));
        assert!(super::parse_stestr("no totals").is_none());
    }
}
