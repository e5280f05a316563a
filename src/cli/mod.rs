//! Command-line front end: one file per subcommand, each with `Args` (clap
//! derive) and `run`. Only this module prints.

mod apply;
mod check;
mod cherry_pick;
mod completions;
mod export;
mod fetch;
mod import;
mod init;
mod list;
mod propose;
mod rebase;
mod releases;
mod review;
mod sim;
mod status;
mod test;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use verda_patch::Result;
use verda_patch::manifest::Workspace;
use verda_patch::progress::{Progress, Silent};

#[derive(Parser)]
#[command(
    name = "verda-patch",
    version,
    about = "Keep a downstream fork as a repository of categorised patches on a pinned upstream release",
    after_help = "Examples:\n  verda-patch apply            build custom-source/<project> for every project\n  verda-patch export nova      turn commits made in custom-source/nova back into patch files\n  verda-patch check            CI gate: every queue applies on its pin, lint clean\n  verda-patch review           what the patch-repo change does to the code, for merge requests\n\nExit codes: 0 ok, 1 failure or blocking findings, 2 usage error, 3 stopped on a conflict."
)]
pub struct Cli {
    /// Run as if started in DIR (like `git -C`).
    #[arg(short = 'C', global = true, value_name = "DIR")]
    directory: Option<PathBuf>,
    /// Print only errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print each step (patches applied and how, files written, refs moved)
    /// with timings to stderr.
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Init(init::Args),
    Fetch(fetch::Args),
    Apply(apply::Args),
    Export(export::Args),
    Check(check::Args),
    CherryPick(cherry_pick::Args),
    Import(import::Args),
    List(list::Args),
    Propose(propose::Args),
    Rebase(rebase::Args),
    Releases(releases::Args),
    Sim(sim::Args),
    Status(status::Args),
    Test(test::Args),
    Review(review::Args),
    Completions(completions::Args),
    Man(completions::ManArgs),
}

/// What every command gets: where it runs and how loud it is.
pub struct Context {
    pub dir: PathBuf,
    pub quiet: bool,
    pub verbose: bool,
}

impl Context {
    pub fn workspace(&self) -> Result<Workspace> {
        Workspace::discover(&self.dir)
    }

    /// With `--verbose` a log of every step; else progress bars on a
    /// terminal, nothing otherwise.
    pub fn progress(&self) -> Box<dyn Progress> {
        if self.verbose {
            Box::new(Log::default())
        } else if self.quiet || !std::io::stderr().is_terminal() {
            Box::new(Silent)
        } else {
            Box::new(Bars::default())
        }
    }

    /// The project a single-project command works on: the one named, or
    /// the manifest's only one.
    pub fn project(&self, ws: &Workspace, named: Option<String>) -> Result<String> {
        if let Some(project) = named {
            ws.project(&project)?;
            return Ok(project);
        }
        match ws.select(&[])?.as_slice() {
            [one] => Ok(one.clone()),
            all => Err(verda_patch::Error::Usage(format!(
                "name the project (one of {})",
                all.join(", ")
            ))),
        }
    }

    pub fn say(&self, text: impl AsRef<str>) {
        if !self.quiet {
            println!("{}", text.as_ref());
        }
    }
}

#[derive(Default)]
struct Bars {
    bar: std::cell::RefCell<Option<ProgressBar>>,
}

impl Progress for Bars {
    fn begin(&self, label: &str, total: Option<u64>) {
        let bar = match total {
            Some(total) => ProgressBar::new(total).with_style(
                ProgressStyle::with_template("{msg:>20} [{bar:30}] {pos}/{len} ({elapsed})")
                    .expect("static template")
                    .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner(),
        };
        bar.set_message(label.to_string());
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        if let Some(old) = self.bar.replace(Some(bar)) {
            old.finish_and_clear();
        }
    }
    fn set(&self, position: u64) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            bar.set_position(position);
        }
    }
    fn end(&self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
    fn child_progress(&self) -> Option<Box<dyn std::io::Write>> {
        Some(Box::new(std::io::stderr()))
    }
}

/// `--verbose`: phases and steps on stderr, each line stamped with the
/// time since the command started; a phase's end says how long it took.
struct Log {
    start: Instant,
    phase: std::cell::RefCell<Option<(String, Instant)>>,
}

impl Default for Log {
    fn default() -> Log {
        Log {
            start: Instant::now(),
            phase: Default::default(),
        }
    }
}

impl Log {
    fn line(&self, text: &str) {
        eprintln!("[{:8.3}s] {text}", self.start.elapsed().as_secs_f64());
    }
}

impl Progress for Log {
    fn begin(&self, label: &str, total: Option<u64>) {
        match total {
            Some(total) => self.line(&format!("{label} ({total})")),
            None => self.line(label),
        }
        self.phase
            .replace(Some((label.to_string(), Instant::now())));
    }
    fn set(&self, _: u64) {}
    fn end(&self) {
        if let Some((label, started)) = self.phase.take() {
            self.line(&format!(
                "{label}: done in {:.1} ms",
                started.elapsed().as_secs_f64() * 1000.0
            ));
        }
    }
    fn note(&self, text: &str) {
        self.line(&format!("  {text}"));
    }
}

pub fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("plain data serialises")
    );
}

pub fn main() -> ExitCode {
    // Die quietly on a closed pipe (`verda-patch list | head`), like other
    // Unix tools, instead of panicking in println!.
    // SAFETY: called before any thread starts; restores the default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    verda_patch::repo::tune_libgit2();
    let dir = cli.directory.clone().unwrap_or_else(|| PathBuf::from("."));
    let context = Context {
        dir,
        quiet: cli.quiet,
        verbose: cli.verbose,
    };
    let result = match cli.command {
        Command::Init(args) => init::run(&context, args),
        Command::Fetch(args) => fetch::run(&context, args),
        Command::Apply(args) => apply::run(&context, args),
        Command::Export(args) => export::run(&context, args),
        Command::Check(args) => check::run(&context, args),
        Command::CherryPick(args) => cherry_pick::run(&context, args),
        Command::Import(args) => import::run(&context, args),
        Command::Completions(args) => completions::run(args),
        Command::Man(_) => completions::man(),
        Command::List(args) => list::run(&context, args),
        Command::Propose(args) => propose::run(&context, args),
        Command::Rebase(args) => rebase::run(&context, args),
        Command::Releases(args) => releases::run(&context, args),
        Command::Sim(args) => sim::run(&context, args),
        Command::Status(args) => status::run(&context, args),
        Command::Test(args) => test::run(&context, args),
        Command::Review(args) => review::run(&context, args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code() as u8)
        }
    }
}

/// Exit 1 without an error message of its own (the command printed why).
pub fn failed() -> ExitCode {
    ExitCode::from(1)
}
