use std::process::{Command, ExitCode};

use verda_patch::python::{
    constraints_mismatch, parse_stestr, touched_test_modules, vendored_constraints, venv,
};
use verda_patch::queue::Queue;
use verda_patch::sim::ensure_custom_source;
use verda_patch::{Error, Result};

use super::{Context, failed};

/// Run the project's unit tests on custom-source in a cached virtualenv.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch test nova                               the test modules the queue touches or adds\n  verda-patch test nova -- nova.tests.unit.scheduler  any stestr arguments instead\n\nConstraints of another OpenStack series than the pin's are refused: with\n`constraints = \"series\"` in [projects.<p>.test] they follow the pin."
)]
pub struct Args {
    /// The project (default: the only one).
    project: Option<String>,
    /// Parallel test workers.
    #[arg(long, default_value_t = 2)]
    concurrency: u32,
    /// Run even when the constraints are another series' than the pin's
    /// (e.g. 2025.1's file on nova 32.x).
    #[arg(long)]
    allow_constraints_mismatch: bool,
    /// Arguments for the test runner (test modules or filters) instead of the touched modules.
    #[arg(last = true)]
    runner_args: Vec<String>,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let project = context.project(&ws, args.project)?;
    let spec = ws.project(&project)?.test.clone().ok_or_else(|| {
        Error::Usage(format!(
            "verda-patch.toml has no [projects.{project}.test] table; add one (see README) to run its tests"
        ))
    })?;
    if let Some((theirs, pin_series)) = constraints_mismatch(&ws, &project, &spec)? {
        let pin = &ws.project(&project)?.pin;
        if !args.allow_constraints_mismatch {
            return Err(Error::Usage(format!(
                "[projects.{project}.test] constraints are {theirs}'s, but {project} {pin} is {pin_series}; \
                 set `constraints = \"series\"` (or {}) in verda-patch.toml, \
                 or pass --allow-constraints-mismatch to test with {theirs}'s anyway",
                vendored_constraints(&pin_series)
            )));
        }
        eprintln!(
            "warning: testing {project} {pin} ({pin_series}) with {theirs}'s constraints (--allow-constraints-mismatch)"
        );
    }
    let progress = context.progress();
    ensure_custom_source(&ws, &project, progress.as_ref())?;
    let tree = ws.custom_source(&project);
    let queue = Queue::load(&ws, &project)?;
    let env = venv(&ws, &project, &spec, &tree, progress.as_ref())?;
    let targets = if args.runner_args.is_empty() {
        touched_test_modules(&queue, &tree)
    } else {
        args.runner_args.clone()
    };
    if targets.is_empty() {
        context.say(format!(
            "{project}: the queue touches no test modules; name some after `--`"
        ));
        return Ok(ExitCode::SUCCESS);
    }
    if !tree.join(".stestr.conf").exists() {
        return Err(Error::Usage(format!(
            "custom-source/{project} has no .stestr.conf; only stestr-run projects are supported so far"
        )));
    }
    context.say(format!("{project}: running {}", targets.join(" ")));
    progress.begin(&format!("testing {project}"), None);
    let output = Command::new(env.python())
        .args([
            "-m",
            "stestr",
            "run",
            "--concurrency",
            &args.concurrency.to_string(),
        ])
        .args(&targets)
        .current_dir(&tree)
        .output()
        .map_err(|e| {
            Error::Refused(format!("cannot run stestr from {}: {e}", env.dir.display()))
        })?;
    progress.end();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let log = ws.state_dir().join("test").join(format!("{project}.log"));
    verda_patch::fsutil::write_atomic(
        &log,
        &[output.stdout.as_slice(), output.stderr.as_slice()].concat(),
    )?;
    let Some(counts) = parse_stestr(&stdout) else {
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        return Err(Error::Refused(format!(
            "stestr did not finish; its output is in {}",
            ws.rel(&log)
        )));
    };
    if counts.failed > 0 || !output.status.success() {
        for line in stdout.lines().filter(|l| l.contains("... FAILED")).take(20) {
            eprintln!("  {line}");
        }
    }
    eprintln!("{project}: runner output in {}", ws.rel(&log));
    // The closing line in the plain `N passed, N failed` form CI dashboards read.
    println!(
        "{project}: {} passed, {} failed, {} skipped",
        counts.passed, counts.failed, counts.skipped
    );
    if counts.failed > 0 || !output.status.success() {
        Ok(failed())
    } else {
        Ok(ExitCode::SUCCESS)
    }
}
