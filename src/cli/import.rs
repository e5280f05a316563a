use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use verda_patch::patch::quilt::Fallback;
use verda_patch::patch::{PatchDate, Person};
use verda_patch::queue::import::{self, ImportOptions, ImportReport, Input};
use verda_patch::queue::series::Category;
use verda_patch::{Error, Result};

use super::{Context, print_json};

/// Bring patches made elsewhere into the queue.
#[derive(clap::Args)]
#[command(
    after_help = "Reads `git format-patch` mails, mboxes of several mails (`git format-patch --stdout`, a \
mailing-list thread), Gerrit's \"download patch\" files and quilt/Debian patches with DEP-3 headers; a \
directory gives its quilt `series` order, else its *.patch/*.diff/*.mbox files by name. Each patch must \
apply on the queue at its place (and the patches after it must still apply), or nothing is written.\n\n\
Examples:\n  verda-patch import 0001-fix.patch                 one mail, as a new bugfix/ patch at the end\n  \
git format-patch --stdout A..B | verda-patch import -   an mbox on standard input\n  \
verda-patch import --category feature --after feature/0001-pci-quota.patch debian/patches/\n  \
verda-patch import --project nova --json series.mbox"
)]
pub struct Args {
    /// Patch files, mboxes or directories; `-` reads standard input.
    #[arg(required = true, value_name = "FILE|DIR|-")]
    inputs: Vec<PathBuf>,
    /// The project (default: the only one).
    #[arg(long, short)]
    project: Option<String>,
    /// Category of the new patches.
    #[arg(long, default_value = "bugfix", value_parser = |s: &str| s.parse::<Category>())]
    category: Category,
    /// Insert after this series entry (e.g. `feature/0001-x.patch`); default: at the end.
    #[arg(long, value_name = "PATCH")]
    after: Option<String>,
    /// Print what was added as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let _lock = verda_patch::lock::Lock::acquire(&ws, "import")?;
    let project = context.project(&ws, args.project)?;
    let mut inputs = Vec::new();
    for path in &args.inputs {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Error::Usage(format!("reading standard input: {e}")))?;
            inputs.push(Input {
                name: "-".into(),
                bytes,
            });
            continue;
        }
        // Read relative to `-C DIR`, named as the user typed it.
        let resolved = context.dir.join(path);
        for mut input in import::read_inputs(std::slice::from_ref(&resolved))? {
            let full = PathBuf::from(&input.name);
            input.name = match full.strip_prefix(&resolved) {
                Ok(rest) if rest.as_os_str().is_empty() => path.display().to_string(),
                Ok(rest) => path.join(rest).display().to_string(),
                Err(_) => input.name,
            };
            inputs.push(input);
        }
    }
    let options = ImportOptions {
        category: args.category,
        after: args.after,
        fallback: Fallback {
            author: importer(),
            date: PatchDate::now(),
            subject: "Imported patch".into(),
        },
    };
    let report = import::import(
        &ws,
        &project,
        &inputs,
        &options,
        context.progress().as_ref(),
    )?;
    if args.json {
        print_json(&report);
    } else {
        print_text(context, &report);
    }
    Ok(ExitCode::SUCCESS)
}

/// The author `git commit` would record: `GIT_AUTHOR_*`, else the git
/// configuration's user (through `git var`).
fn importer() -> Person {
    let ident = std::process::Command::new("git")
        .args(["var", "GIT_AUTHOR_IDENT"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    match ident
        .split_once(" <")
        .and_then(|(n, rest)| Some((n, rest.split_once('>')?.0)))
    {
        Some((name, email)) => Person {
            name: name.to_string(),
            email: email.to_string(),
        },
        None => Person {
            name: "Unknown".into(),
            email: "unknown@localhost".into(),
        },
    }
}

fn print_text(context: &Context, report: &ImportReport) {
    for added in &report.added {
        context.say(format!(
            "{}: imported {} -> patches/{}/{} ({})",
            report.project, added.source, report.project, added.path, added.how
        ));
    }
    context.say(format!(
        "{}: run `verda-patch apply {}` to build the new patches into custom-source/{}",
        report.project, report.project, report.project
    ));
}
