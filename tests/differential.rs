//! Differential suite against real `git am` (issue 14).
//!
//! Every input is a script in `tests/corpus/differential/<kind>/<name>.sh`
//! (see the README there): it builds an upstream repository with the pin
//! `v1` and writes patch files, or (kind `01-framing`) commits to publish
//! from custom-source. Its header says which `git am` options fit
//! (`# am: -3 --keep-cr`) and what is expected (`# expect: ...`):
//!
//! * `same`: git am accepts every patch; `verda-patch apply` must exit 0
//!   with one commit per patch, each equal to git am's (tree, author name,
//!   email and date, message with the `Verda-Patch:` trailer aside, encoding
//!   header), and a clean work tree;
//! * `same-but-date`: the same, the author date aside (a mail without
//!   `Date:`: git am takes the current time);
//! * `refused`: git am refuses a patch; apply must exit 1 naming that patch
//!   file, writing nothing (patch repo unchanged, custom-source absent or on
//!   the pin);
//! * `already-applied`: `git am -3` says "No changes -- Patch already
//!   applied."; apply must refuse like `refused`;
//! * `roundtrip`: the commits are made in custom-source and exported; a
//!   fresh apply must give them back whole (tree, author, date, every byte of
//!   the message), a second export must change no byte, and git am of the
//!   exported files must give the same trees and authors (git am truncates
//!   some of these messages, so the messages are not compared with it).
//!
//! One test per kind; every input of the kind runs, and the failure lists
//! each input that differs, with its git am options and what differed.
//! `DIFFTEST_ONLY=<substring>` runs the inputs whose `kind/name` contains it;
//! `DIFFTEST_KEEP=1` keeps the temporary directories of failing inputs.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Fixture, git, git_command};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/differential");

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Same,
    SameButDate,
    Refused,
    AlreadyApplied,
    RoundTrip,
}

/// One input of the corpus, read from its script's header.
struct Case {
    /// `kind/name`, how failures and `DIFFTEST_ONLY` name it.
    id: String,
    script: PathBuf,
    /// The first comment line: what the input is.
    what: String,
    am_options: Vec<String>,
    expect: Expect,
    /// `roundtrip` only: false (`# git-am-author: wrong`) when git am takes
    /// the author from a look-alike line of the message.
    git_am_reads_author: bool,
}

impl Case {
    fn read(kind: &str, script: PathBuf) -> Case {
        let name = script.file_stem().unwrap().to_string_lossy().into_owned();
        let id = format!("{kind}/{name}");
        let text = std::fs::read_to_string(&script).unwrap();
        let mut what = String::new();
        let mut am_options = Vec::new();
        let mut expect = None;
        let mut git_am_reads_author = true;
        for line in text.lines().filter_map(|l| l.strip_prefix("# ")) {
            if let Some(options) = line.strip_prefix("am:") {
                am_options = options.split_whitespace().map(String::from).collect();
            } else if let Some(value) = line.strip_prefix("expect:") {
                expect = Some(match value.trim() {
                    "same" => Expect::Same,
                    "same-but-date" => Expect::SameButDate,
                    "refused" => Expect::Refused,
                    "already-applied" => Expect::AlreadyApplied,
                    "roundtrip" => Expect::RoundTrip,
                    other => panic!("{id}: unknown `# expect: {other}`"),
                });
            } else if line == "git-am-author: wrong" {
                git_am_reads_author = false;
            } else if what.is_empty() {
                what = line.trim().to_string();
            }
        }
        let expect = expect.unwrap_or_else(|| panic!("{id}: no `# expect:` line"));
        Case {
            id,
            script,
            what,
            am_options,
            expect,
            git_am_reads_author,
        }
    }

    fn am_label(&self) -> String {
        if self.am_options.is_empty() {
            "git am".to_string()
        } else {
            format!("git am {}", self.am_options.join(" "))
        }
    }
}

/// The inputs of one kind, in name order, filtered by `DIFFTEST_ONLY`.
fn cases(kind: &str) -> Vec<Case> {
    let dir = Path::new(CORPUS).join(kind);
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sh"))
        .collect();
    scripts.sort();
    let only = std::env::var("DIFFTEST_ONLY").unwrap_or_default();
    scripts
        .into_iter()
        .map(|script| Case::read(kind, script))
        .filter(|case| case.id.contains(&only))
        .collect()
}

/// Inputs run at once within a kind (the test harness runs kinds side by
/// side too); most of a case's time is spent waiting on git and the disk.
const WORKERS: usize = 3;

/// Run every input of `kind`; fail with one paragraph per input that differs.
fn run_kind(kind: &str) {
    let cases = cases(kind);
    let total = cases.len();
    assert!(
        total > 0 || std::env::var_os("DIFFTEST_ONLY").is_some(),
        "no inputs in {CORPUS}/{kind}"
    );
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(case) = cases.get(i) else { break };
                    if let Some(report) = check_case(case) {
                        failures.lock().unwrap().push((i, report));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    let reports: Vec<String> = failures.into_iter().map(|(_, report)| report).collect();
    assert!(
        reports.is_empty(),
        "{} of {total} inputs of {kind} differ from git am:\n\n{}",
        reports.len(),
        reports.join("\n")
    );
}

/// Run one input in its own temp dir; the failure report, if it fails.
fn check_case(case: &Case) -> Option<String> {
    let fx = Fixture {
        tmp: tempfile::tempdir().unwrap(),
    };
    let why = run_case(case, &fx).err()?;
    let mut report = format!(
        "input {} ({}; expect {:?}): {}\n{}",
        case.id,
        case.am_label(),
        case.expect,
        case.what,
        indent(&why)
    );
    if std::env::var_os("DIFFTEST_KEEP").is_some() {
        let kept = fx.tmp.keep();
        let _ = writeln!(report, "    kept in {}", kept.display());
    }
    Some(report)
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

fn run_case(case: &Case, fx: &Fixture) -> Result<(), String> {
    build_input(case, fx)?;
    if case.expect == Expect::RoundTrip {
        return round_trip(case, fx);
    }
    let patches = sorted_files(&fx.root().join("patches"));
    if patches.is_empty() {
        return Err("the case script wrote no patch file into patches/".into());
    }
    write_patch_repo(fx, "bugfix", &patches);
    let reference = reference_am(fx, &case.am_options, &patches);
    let (code, stdout, stderr) = fx.run(&["apply"]);
    let output = format!("{stdout}{stderr}");
    if code == 101 || output.contains("panicked") {
        return Err(format!(
            "verda-patch apply panicked (exit {code}):\n{}",
            excerpt(&output)
        ));
    }
    match case.expect {
        Expect::Same | Expect::SameButDate => {
            if let Some((i, outcome)) = reference
                .outcomes
                .iter()
                .enumerate()
                .find(|(_, o)| !matches!(o, AmOutcome::Applied))
            {
                return Err(format!(
                    "bad input: {} does not apply {}: {outcome}",
                    case.am_label(),
                    file_name(&patches[i])
                ));
            }
            if code != 0 {
                return Err(format!(
                    "{} applies all {} patch(es); verda-patch apply exits {code}:\n{}",
                    case.am_label(),
                    patches.len(),
                    excerpt(&output)
                ));
            }
            let want = commits(&reference.dir, &pin(fx))?;
            let got = commits(&fx.custom(), &pin(fx)).map_err(|e| format!("custom-source: {e}"))?;
            let mut why = compare_commits(
                fx,
                &reference.dir,
                &want,
                &got,
                Compare {
                    want: "git am",
                    author: true,
                    date: case.expect == Expect::Same,
                    message: true,
                },
            );
            let status = git(&fx.custom(), &["status", "--porcelain", "--ignored"]);
            if !status.is_empty() {
                let _ = writeln!(
                    why,
                    "custom-source's work tree differs from its HEAD:\n{}",
                    indent(&status)
                );
            }
            result(why)
        }
        Expect::Refused | Expect::AlreadyApplied => {
            let wanted = if case.expect == Expect::Refused {
                |o: &AmOutcome| matches!(o, AmOutcome::Refused(_))
            } else {
                |o: &AmOutcome| matches!(o, AmOutcome::AlreadyApplied)
            };
            let Some(i) = reference.outcomes.iter().position(wanted) else {
                return Err(format!(
                    "bad input: {} gives {:?}, not {:?}",
                    case.am_label(),
                    reference.outcomes,
                    case.expect
                ));
            };
            let name = file_name(&patches[i]);
            let git_says = format!("{} on {name}: {}", case.am_label(), reference.outcomes[i]);
            refusal(fx, code, &output, &name, &git_says)
        }
        Expect::RoundTrip => unreachable!(),
    }
}

/// Run the case script in the fixture's root with git isolated from the
/// user's configuration.
fn build_input(case: &Case, fx: &Fixture) -> Result<(), String> {
    let home = fx.root().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let output = Command::new("bash")
        .arg(&case.script)
        .current_dir(fx.root())
        .env("CORPUS", CORPUS)
        .env("HOME", &home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Example")
        .env("GIT_AUTHOR_EMAIL", "ada@example.invalid")
        .env("GIT_COMMITTER_NAME", "Cy Committer")
        .env("GIT_COMMITTER_EMAIL", "cy@example.invalid")
        .env("GIT_AUTHOR_DATE", "2024-01-02T03:04:05+00:00")
        .env("GIT_COMMITTER_DATE", "2024-01-02T03:04:05+00:00")
        .env("LC_ALL", "C.UTF-8")
        .env("TZ", "UTC")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .output()
        .unwrap();
    if !output.status.success() {
        return Err(format!(
            "the case script failed ({}):\n{}",
            output.status,
            excerpt(&String::from_utf8_lossy(&output.stderr))
        ));
    }
    if git_command(
        &fx.upstream(),
        &["rev-parse", "-q", "--verify", "v1^{commit}"],
    )
    .output()
    .map(|o| !o.status.success())
    .unwrap_or(true)
    {
        return Err("the case script made no upstream/ repository with a tag v1".into());
    }
    Ok(())
}

/// Files of `dir`, in name order (the order git am and the series take).
fn sorted_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// The patch repo pinned to upstream `v1`, its series holding `patches`
/// under `category/` as they are named, committed so that `git status` can
/// tell whether a command wrote anything.
fn write_patch_repo(fx: &Fixture, category: &str, patches: &[PathBuf]) {
    let repo = fx.repo();
    std::fs::create_dir_all(fx.patches().join(category)).unwrap();
    std::fs::write(
        repo.join("verda-patch.toml"),
        "[projects.demo]\ngit = \"../upstream\"\npin = \"v1\"\n",
    )
    .unwrap();
    let mut series = String::new();
    for patch in patches {
        let entry = format!("{category}/{}", file_name(patch));
        std::fs::copy(patch, fx.patches().join(&entry)).unwrap();
        series.push_str(&entry);
        series.push('\n');
    }
    std::fs::write(fx.patches().join("series"), series).unwrap();
    std::fs::write(repo.join(".gitignore"), "/custom-source/\n/.verda/\n").unwrap();
    commit_patch_repo(fx, "queue");
}

fn commit_patch_repo(fx: &Fixture, message: &str) {
    let repo = fx.repo();
    if !repo.join(".git").exists() {
        git(&repo, &["init", "-q", "-b", "main"]);
    }
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "--allow-empty", "-m", message]);
}

fn pin(fx: &Fixture) -> String {
    git(&fx.upstream(), &["rev-parse", "v1^{commit}"])
}

#[derive(Debug)]
enum AmOutcome {
    Applied,
    /// `git am -3`: "No changes -- Patch already applied."
    AlreadyApplied,
    /// git am stopped; its first lines of output.
    Refused(String),
}

struct Reference {
    dir: PathBuf,
    /// One per patch up to the first refusal.
    outcomes: Vec<AmOutcome>,
}

/// `git am OPTIONS` of each patch in turn on a clone of upstream at `v1`.
fn reference_am(fx: &Fixture, options: &[String], patches: &[PathBuf]) -> Reference {
    let dir = fx.root().join("reference");
    let _ = std::fs::remove_dir_all(&dir);
    git(
        fx.root(),
        &["clone", "-q", fx.upstream().to_str().unwrap(), "reference"],
    );
    git(&dir, &["checkout", "-q", "--detach", "v1"]);
    let mut outcomes = Vec::new();
    for patch in patches {
        let before = git(&dir, &["rev-parse", "HEAD"]);
        let mut args: Vec<&str> = vec!["am"];
        args.extend(options.iter().map(String::as_str));
        args.push(patch.to_str().unwrap());
        let output = git_command(&dir, &args).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if !output.status.success() {
            let _ = git_command(&dir, &["am", "--abort"]).output();
            let first: Vec<&str> = text.lines().filter(|l| !l.starts_with("hint:")).collect();
            outcomes.push(AmOutcome::Refused(first.join(" | ")));
            break;
        }
        if git(&dir, &["rev-parse", "HEAD"]) == before {
            assert!(
                text.contains("already applied"),
                "git am made no commit of {} and said: {text}",
                patch.display()
            );
            outcomes.push(AmOutcome::AlreadyApplied);
        } else {
            outcomes.push(AmOutcome::Applied);
        }
    }
    Reference { dir, outcomes }
}

impl std::fmt::Display for AmOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AmOutcome::Applied => write!(f, "applied"),
            AmOutcome::AlreadyApplied => write!(f, "No changes -- Patch already applied."),
            AmOutcome::Refused(said) => write!(f, "refused: {said}"),
        }
    }
}

/// A commit as compared: the raw fields of the commit object.
#[derive(Debug)]
struct CommitInfo {
    tree: String,
    /// `Name <email>`
    author: String,
    /// `seconds +zone`
    date: String,
    encoding: Option<String>,
    /// Without `Verda-Patch:` lines and trailing newlines.
    message: String,
}

/// The commits on top of `base` up to HEAD, oldest first; an error unless
/// they form a line that starts on `base`.
fn commits(dir: &Path, base: &str) -> Result<Vec<CommitInfo>, String> {
    let output = git_command(
        dir,
        &[
            "rev-list",
            "--reverse",
            "--parents",
            &format!("{base}..HEAD"),
        ],
    )
    .output()
    .unwrap();
    if !output.status.success() {
        return Err(format!(
            "no commits: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let mut parent = base.to_string();
    let mut list = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let ids: Vec<&str> = line.split(' ').collect();
        if ids.len() != 2 || ids[1] != parent {
            return Err(format!(
                "the commits on the pin are not one line on it (at {})",
                ids[0]
            ));
        }
        parent = ids[0].to_string();
        list.push(read_commit(dir, ids[0]));
    }
    Ok(list)
}

fn read_commit(dir: &Path, id: &str) -> CommitInfo {
    let raw = git_command(dir, &["cat-file", "commit", id])
        .output()
        .unwrap()
        .stdout;
    let split = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .map_or((raw.len(), raw.len()), |i| (i, i + 2));
    let headers = String::from_utf8_lossy(&raw[..split.0]).into_owned();
    let body = String::from_utf8_lossy(&raw[split.1..]).into_owned();
    let mut info = CommitInfo {
        tree: String::new(),
        author: String::new(),
        date: String::new(),
        encoding: None,
        message: String::new(),
    };
    for header in headers.lines() {
        if let Some(tree) = header.strip_prefix("tree ") {
            info.tree = tree.to_string();
        } else if let Some(author) = header.strip_prefix("author ") {
            let mut parts = author.rsplitn(3, ' ');
            let zone = parts.next().unwrap_or_default();
            let seconds = parts.next().unwrap_or_default();
            info.date = format!("{seconds} {zone}");
            info.author = parts.next().unwrap_or_default().to_string();
        } else if let Some(encoding) = header.strip_prefix("encoding ") {
            info.encoding = Some(encoding.to_string());
        }
    }
    let kept: Vec<&str> = body
        .split('\n')
        .filter(|line| !line.starts_with("Verda-Patch: "))
        .collect();
    info.message = kept.join("\n").trim_end_matches('\n').to_string();
    info
}

/// What `compare_commits` compares besides the tree, and how it names the
/// side it expects.
#[derive(Clone, Copy)]
struct Compare {
    want: &'static str,
    author: bool,
    date: bool,
    message: bool,
}

/// What differs between git am's commits (`want`, in `want_dir`) and
/// verda-patch's (`got`, in custom-source); empty when nothing does.
fn compare_commits(
    fx: &Fixture,
    want_dir: &Path,
    want: &[CommitInfo],
    got: &[CommitInfo],
    compare: Compare,
) -> String {
    let mut why = String::new();
    if want.len() != got.len() {
        let _ = writeln!(
            why,
            "{} commit(s) on the pin, git am made {}",
            got.len(),
            want.len()
        );
    }
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        let n = i + 1;
        let subject = w.message.lines().next().unwrap_or_default();
        if w.tree != g.tree {
            let _ = writeln!(
                why,
                "commit {n} ({subject:?}): tree differs from {}'s:\n{}",
                compare.want,
                indent(&tree_difference(want_dir, &w.tree, &fx.custom(), &g.tree))
            );
        }
        let want_label = compare.want;
        if compare.author && w.author != g.author {
            let _ = writeln!(
                why,
                "commit {n} ({subject:?}): author {:?}, {want_label}: {:?}",
                g.author, w.author
            );
        }
        if compare.date && w.date != g.date {
            let _ = writeln!(
                why,
                "commit {n} ({subject:?}): author date {:?}, {want_label}: {:?}",
                g.date, w.date
            );
        }
        if compare.message && w.encoding != g.encoding {
            let _ = writeln!(
                why,
                "commit {n} ({subject:?}): encoding header {:?}, {want_label}: {:?}",
                g.encoding, w.encoding
            );
        }
        if compare.message && w.message != g.message {
            let _ = writeln!(
                why,
                "commit {n} ({subject:?}): message differs (- {want_label}, + verda-patch):\n{}",
                indent(&line_diff(&w.message, &g.message))
            );
        }
    }
    why
}

/// The paths whose mode, type or object differ between two trees (in two
/// repositories), with a short diff of small text files.
fn tree_difference(want_dir: &Path, want: &str, got_dir: &Path, got: &str) -> String {
    let entries = |dir: &Path, tree: &str| -> std::collections::BTreeMap<String, String> {
        let listing = git_command(dir, &["ls-tree", "-r", tree]).output().unwrap();
        String::from_utf8_lossy(&listing.stdout)
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .map(|(meta, path)| (path.to_string(), meta.to_string()))
            .collect()
    };
    let (w, g) = (entries(want_dir, want), entries(got_dir, got));
    let mut paths: Vec<&String> = w.keys().chain(g.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut out = String::new();
    for path in paths {
        match (w.get(path), g.get(path)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => {
                let _ = writeln!(out, "{path}: git am {a}, verda-patch {b}");
                // `mode blob id`; gitlinks (`commit`) have no content here.
                let blob = |dir: &Path, meta: &str| {
                    let fields: Vec<&str> = meta.split(' ').collect();
                    if fields.get(1) != Some(&"blob") {
                        return None;
                    }
                    git_command(dir, &["cat-file", "blob", fields[2]])
                        .output()
                        .ok()
                        .map(|o| o.stdout)
                };
                if let (Some(x), Some(y)) = (blob(want_dir, a), blob(got_dir, b))
                    && x.len() < 8192
                    && y.len() < 8192
                    && !x.contains(&0)
                    && !y.contains(&0)
                {
                    out.push_str(&indent(&line_diff(
                        &String::from_utf8_lossy(&x),
                        &String::from_utf8_lossy(&y),
                    )));
                }
            }
            (Some(a), None) => {
                let _ = writeln!(out, "{path}: git am {a}, missing in verda-patch's tree");
            }
            (None, Some(b)) => {
                let _ = writeln!(out, "{path}: not in git am's tree, verda-patch {b}");
            }
            (None, None) => unreachable!(),
        }
    }
    out
}

/// The changed lines of `want` → `got` (`-` want, `+` got), at most 12.
fn line_diff(want: &str, got: &str) -> String {
    let diff = similar::TextDiff::from_lines(want, got);
    let mut out = String::new();
    let mut shown = 0;
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Equal => continue,
            similar::ChangeTag::Delete => '-',
            similar::ChangeTag::Insert => '+',
        };
        if shown == 12 {
            out.push_str("...\n");
            break;
        }
        shown += 1;
        let _ = writeln!(out, "{sign}{:?}", change.value().trim_end_matches('\n'));
    }
    out
}

/// An apply that must refuse like git am (which said `git_says`): exit 1,
/// `patch` named, nothing written.
fn refusal(
    fx: &Fixture,
    code: i32,
    output: &str,
    patch: &str,
    git_says: &str,
) -> Result<(), String> {
    let mut why = String::new();
    if code != 1 {
        let _ = writeln!(why, "verda-patch apply exits {code}, want 1 ({git_says})");
    }
    if !output.contains(patch) {
        let _ = writeln!(why, "the message does not name {patch}");
    }
    let dirty = git(&fx.repo(), &["status", "--porcelain"]);
    if !dirty.is_empty() {
        let _ = writeln!(why, "the patch repo changed:\n{}", indent(&dirty));
    }
    if fx.custom().join(".git").exists() {
        let head = git_command(&fx.custom(), &["rev-parse", "-q", "--verify", "HEAD"])
            .output()
            .unwrap();
        let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
        if !head.is_empty() && head != pin(fx) {
            let log = git(
                &fx.custom(),
                &["log", "--format=%s", &format!("{}..HEAD", pin(fx))],
            );
            let _ = writeln!(
                why,
                "custom-source moved off the pin; commits made:\n{}",
                indent(&log)
            );
        }
    }
    if !why.is_empty() {
        let _ = writeln!(why, "verda-patch said:\n{}", indent(&excerpt(output)));
    }
    result(why)
}

/// Kind `01-framing`: the commits of upstream branch `work` (on `v1`) are
/// made in custom-source and exported; see the module doc.
fn round_trip(case: &Case, fx: &Fixture) -> Result<(), String> {
    write_patch_repo(fx, "feature", &[]);
    let pin = pin(fx);
    run_ok(fx, &["apply"], "apply of the empty queue")?;
    let upstream = fx.upstream();
    git(
        &fx.custom(),
        &["fetch", "-q", upstream.to_str().unwrap(), "work"],
    );
    git(&fx.custom(), &["reset", "-q", "--hard", "FETCH_HEAD"]);
    let original = commits(&fx.custom(), &pin)?;
    if original.is_empty() {
        return Err("bad input: branch work has no commit on v1".into());
    }

    run_ok(fx, &["export", "--category", "feature"], "export")?;
    commit_patch_repo(fx, "export");
    std::fs::remove_dir_all(fx.repo().join("custom-source")).unwrap();
    let _ = std::fs::remove_dir_all(fx.repo().join(".verda"));
    run_ok(fx, &["apply"], "fresh apply of the exported queue")?;
    let again = commits(&fx.custom(), &pin)?;
    let mut why = String::new();
    // The original commits are still in upstream (branch work).
    let lost = compare_commits(
        fx,
        &upstream,
        &original,
        &again,
        Compare {
            want: "as committed",
            author: true,
            date: true,
            message: true,
        },
    );
    if !lost.is_empty() {
        let _ = writeln!(
            why,
            "round trip (committed in custom-source, then exported and applied afresh):\n{}",
            indent(&lost)
        );
    }
    run_ok(fx, &["export"], "second export")?;
    let dirty = git(&fx.repo(), &["status", "--porcelain"]);
    if !dirty.is_empty() {
        let diff = git(&fx.repo(), &["diff", "--stat"]);
        let _ = writeln!(
            why,
            "the second export changed bytes of the patch repo:\n{}",
            indent(&format!("{dirty}\n{diff}"))
        );
    }

    let series = std::fs::read_to_string(fx.patches().join("series")).unwrap_or_default();
    let exported: Vec<PathBuf> = series
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| fx.patches().join(l.trim()))
        .collect();
    let reference = reference_am(fx, &case.am_options, &exported);
    if let Some((i, outcome)) = reference
        .outcomes
        .iter()
        .enumerate()
        .find(|(_, o)| !matches!(o, AmOutcome::Applied))
    {
        let _ = writeln!(
            why,
            "{} does not take verda-patch's exported {}: {outcome}",
            case.am_label(),
            file_name(&exported[i])
        );
    } else {
        let want = commits(&reference.dir, &pin)?;
        let differ = compare_commits(
            fx,
            &reference.dir,
            &want,
            &again,
            Compare {
                want: "git am",
                author: case.git_am_reads_author,
                date: case.git_am_reads_author,
                message: false,
            },
        );
        if !differ.is_empty() {
            let _ = writeln!(
                why,
                "git am of the exported files differs (tree, author, date):\n{}",
                indent(&differ)
            );
        }
    }
    result(why)
}

fn run_ok(fx: &Fixture, args: &[&str], what: &str) -> Result<(), String> {
    let (code, stdout, stderr) = fx.run(args);
    if code == 0 {
        Ok(())
    } else {
        Err(format!(
            "{what} (verda-patch {}) exits {code}:\n{}",
            args.join(" "),
            indent(&excerpt(&format!("{stdout}{stderr}")))
        ))
    }
}

fn result(why: String) -> Result<(), String> {
    if why.is_empty() { Ok(()) } else { Err(why) }
}

/// The first 15 lines of a command's output.
fn excerpt(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines[..lines.len().min(15)].join("\n");
    if lines.len() > 15 {
        out.push_str("\n...");
    }
    out
}

#[test]
fn message_framing_round_trips_whole_and_matches_git_am() {
    run_kind("01-framing");
}

#[test]
fn renames_and_copies_match_git_am() {
    run_kind("02-renames");
}

#[test]
fn binary_patches_match_git_am() {
    run_kind("03-binary");
}

#[test]
fn submodule_gitlinks_match_git_am() {
    run_kind("04-gitlinks");
}

#[test]
fn mails_are_read_as_git_am_reads_them() {
    run_kind("05-mails");
}

#[test]
fn plain_diffs_match_git_am() {
    run_kind("06-plain-diffs");
}

#[test]
fn already_applied_patches_are_refused() {
    run_kind("07-already-applied");
}

#[test]
fn file_contents_and_modes_match_git_am() {
    run_kind("08-contents");
}

#[test]
fn inputs_git_am_refuses_are_refused() {
    run_kind("09-refused");
}
