use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use verda_patch::Result;
use verda_patch::fsutil;
use verda_patch::review::render::{Format, render};
use verda_patch::review::{ReviewOptions, review};

use super::{Context, failed};

/// What a change to the patch repo does, in effect: patches added, removed,
/// re-categorised, reordered, and edited (with the interdiff of the code
/// change), whether the queue still applies, lint findings. Writes nothing.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  verda-patch review                                 base: merge-base with the branch's upstream, else HEAD~1; head: the work tree\n  verda-patch review HEAD~1 HEAD                     the last commit, e.g. an upgrade made by `rebase --to`\n  verda-patch review --base origin/main --format markdown -o review.md   a merge-request comment\n  verda-patch review --format junit -o review.xml    for CI dashboards\n\nExit 1 when a queue does not apply on its pin or a lint error is found."
)]
pub struct Args {
    /// The patch-repo revision to compare with (same as --base).
    #[arg(value_name = "BASE", conflicts_with = "base")]
    base_rev: Option<String>,
    /// The revision to review (same as --head).
    #[arg(value_name = "HEAD", conflicts_with = "head")]
    head_rev: Option<String>,
    /// The patch-repo revision to compare with (default: the merge-base
    /// with the current branch's upstream, else HEAD~1).
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// The revision to review (default: the work tree).
    #[arg(long, value_name = "REV")]
    head: Option<String>,
    /// Output format: text, markdown, html, json, junit.
    #[arg(long, default_value = "text", value_parser = parse_format)]
    format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

fn parse_format(s: &str) -> std::result::Result<Format, String> {
    s.parse()
}

pub fn run(context: &Context, args: Args) -> Result<ExitCode> {
    let ws = context.workspace()?;
    let progress = context.progress();
    let options = ReviewOptions {
        base: args.base.or(args.base_rev),
        head: args.head.or(args.head_rev),
    };
    let model = review(&ws, &options, progress.as_ref())?;
    let color = args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let report = render(&model, args.format, color)?;
    match &args.output {
        Some(path) => {
            fsutil::write_atomic(&context.dir.join(path), report.as_bytes())?;
            context.say(format!(
                "review written to {} ({})",
                path.display(),
                if model.ok { "ok" } else { "failed" }
            ));
        }
        None => print!("{report}"),
    }
    Ok(if model.ok {
        ExitCode::SUCCESS
    } else {
        failed()
    })
}
