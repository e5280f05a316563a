#!/usr/bin/env python3
"""All the benchmarks in one run: verda-patch against git and quilt on nova.

The tree is nova 31.0.0 -> 32.0.0, both sdists from PyPI imported by
`verda-patch fetch` (bench/rebase.py). The queues are made at run time, never
committed, the way bench/rebase.py makes its queue: edits of real nova files
committed with git on 31.0.0 (one `git fast-import`), then `git
format-patch`ed into a patch repo.

The main queue has 80 patches, one file each: 40 insert a line in a file
upstream left alone, 40 change a line next to one of upstream's edits (a
3-way merge on rebase). Measured on it, median of --runs, the tools taking
turns (one run of each, then the next round, every other round in reverse
order), so that a change in the machine's load hits all alike:

  apply    `verda-patch apply` into a fresh custom-source; `git clone -s -n`
           + `git checkout` + `git am`; `quilt push -a` on a fresh copy of
           the tree (copy not timed)
  re-apply `verda-patch apply` after patch 60's code was edited (a new edit
           every run, so the cache of built commits never has it)
  export   `verda-patch export` writing all 80 patch files from the 80
           commits (patches/nova/ moved away first); `git format-patch` of
           the same 80 commits (git am's)
  review   `verda-patch review --base --head` of a patch-repo change that
           edits 10 patches' code, adds 2 and removes 1; `git range-diff
           --creation-factor=80` of the same change as two commit ranges
           (with range-diff's default of 60 it takes 3 of the 10 one-line
           edits for a removal and an addition)
  rebase   `verda-patch rebase --to 32.0.0`; `git rebase --onto` (bench/rebase.py)

Growth (--sizes, default 50,200,1000): a queue of inserts in files upstream
left alone, its first N patches: apply, export and rebase as above against
git am, git format-patch and git rebase, and the slope in ms per patch.

Every sample is one child process (or a sequence): wall seconds, CPU seconds
(user + sys, os.wait4) and peak RSS (GNU time's %M) of exactly what ran.

Trees are moved aside between runs and deleted at the end, the rebases
(which rewrite hundreds of files) run last, and the script syncs and waits
before the first measurement (6 minutes), the growth exports and the rebases
(2 minutes each; --no-settle: not at all): on this machine's ext4 without a
journal, creating files is slower for minutes after many were deleted (see
common.discard and common.settle). Do not start it right after deleting
large trees.

Checked alongside (exit 1 if any differ): apply's tree equals git am's and
quilt's; re-apply rebuilt patch 60 and after, and took the rest from its
cache; export's files equal git format-patch's byte for byte; rebase's
carried commits and final trees equal git rebase's; review and range-diff
count the same edited / added / removed patches.

Usage: python3 bench/all.py [--runs 5] [--sizes 50,200,1000] [--quick] [--bin PATH]
The Markdown table is printed and written to bench/results/<date>.md, with
every sample in <date>.json (--quick: bench/work/quick-<date>.*).
"""

import argparse
import json
import re
import shutil
import sys
import time
import types

import common
import gitsource
import rebase
from common import FORMAT_PATCH, WORK, run

OLD, NEW = rebase.OLD, rebase.NEW
CLEAN, MERGE = 40, 40
EDIT_AT = 60
REVIEW_EDITED, REVIEW_ADDED = 10, 2
SETTLE_FIRST, SETTLE = 361, 121  # seconds; see common.settle


def verda(ctx, *args, cwd=None, check=True):
    return common.measured([ctx.verda, "-q", *args], cwd=cwd or ctx.repo, check=check)


def variant(ctx, number, edit):
    """The bytes of patch `number` of the main queue with its code edited."""
    path, kind = ctx.picked[number - 1]
    edited = rebase.change(ctx.git_dir, path, kind, number, edit)
    head = common.commit_chain(ctx.clone_git, "variant", OLD, [edited], ctx.modes)
    return common.format_patch(ctx.clone_git, OLD, head, ctx.base / "variant")[0].read_bytes()


def same_files(ours, theirs):
    """Both lists of patch files have the same names and bytes, in order."""
    return (len(ours) == len(theirs)
            and all(a.name == b.name and a.read_bytes() == b.read_bytes() for a, b in zip(ours, theirs)))


def series_files(repo):
    queue = repo / "patches" / "nova"
    return [queue / line for line in (queue / "series").read_text().split()]


def bench_apply(ctx):
    custom, am, pristine, tree = ctx.repo / "custom-source", ctx.base / "am", ctx.base / "tree", ctx.base / "quilt"
    common.export_tree(ctx.git_dir, OLD, pristine)
    contenders = [
        ("verda-patch apply", lambda: common.discard(custom), lambda: verda(ctx, "apply").sample),
        ("git am", lambda: common.discard(am),
         lambda: common.git_am(ctx.git_dir, am, OLD, ctx.patches)),
    ]
    if shutil.which("quilt"):
        contenders.append(("quilt push -a", lambda: common.quilt_setup(pristine, tree, ctx.patches),
                           lambda: common.quilt_push(tree)))
    samples = common.take_turns(contenders, ctx.runs)
    trees = {"verda-patch": common.tree_of(str(custom / "nova" / ".git")), "git am": common.tree_of(str(am / ".git"))}
    if "quilt push -a" in samples:
        trees["quilt"] = common.tree_of_directory(str(am / ".git"), tree)
    ctx.am = am
    return samples, {"trees": trees, "identical": len(set(trees.values())) == 1}


def bench_reapply(ctx):
    """Re-apply after editing patch EDIT_AT: its code changes every run."""
    number = min(EDIT_AT, len(ctx.patches))
    target = ctx.patches[number - 1]
    original = target.read_bytes()
    edits = iter(range(1, ctx.runs + 1))
    reports = []

    def edit():
        target.write_bytes(variant(ctx, number, next(edits)))

    def reapply():
        result = verda(ctx, "apply", "--json")
        reports.append(json.loads(result.out)[0])
        return result.sample

    samples = common.take_turns([("verda-patch re-apply", edit, reapply)], ctx.runs)
    cached = [sum(1 for p in r["patches"] if p["how"] == "cached") for r in reports]
    target.write_bytes(original)
    run([ctx.verda, "-q", "apply"], cwd=ctx.repo)
    return samples, {"patch": number, "cached_each_run": cached, "files_written": [r["files_written"] for r in reports],
                     "identical": all(c == number - 1 for c in cached)}


def bench_export(ctx):
    out = ctx.base / "format-patch"
    contenders = [
        ("verda-patch export", lambda: common.discard(ctx.repo / "patches" / "nova"),
         lambda: verda(ctx, "export", "--force", "nova").sample),
        ("git format-patch", lambda: common.discard(out),
         lambda: common.measured(["git", "-C", ctx.am, *FORMAT_PATCH, "-o", out, f"{OLD}..HEAD"]).sample),
    ]
    samples = common.take_turns(contenders, ctx.runs)
    exported, formatted = series_files(ctx.repo), sorted(out.glob("*.patch"))
    result = {"files": len(exported), "identical_to_format_patch": same_files(exported, formatted),
              "identical_to_the_queue": same_files(exported, ctx.patches)}
    result["identical"] = result["identical_to_format_patch"] and result["identical_to_the_queue"]
    common.restore(ctx.repo, ctx.pristine)
    return samples, result


def bench_rebase(ctx):
    common.settle(ctx.settle)
    samples = common.take_turns(ctx.rebase.contenders(), ctx.runs)
    result = ctx.rebase.check()
    ctx.rebase.verda_setup()
    return samples, result


def review_change(ctx):
    """The patch repo as a git repo: the main queue committed, then the
    queue with REVIEW_EDITED patches' code edited, REVIEW_ADDED patches added
    and one removed. The same change as a second commit range in the clone.
    Returns (base commit, head commit, git head of the changed range, expected)."""
    n = len(ctx.picked)
    git = lambda *args: run(["git", "-C", ctx.repo, *args])
    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "the queue")
    base = git("rev-parse", "HEAD").strip()

    edited = set(rebase.evenly(list(range(n)), REVIEW_EDITED))
    removed = next(i for i in range(n // 2, n) if i not in edited)
    used = {path for path, _ in ctx.picked}
    unchanged, _ = rebase.candidates(ctx.git_dir)
    extra = [p for p in unchanged if p not in used and rebase.clean_change(ctx.git_dir, p, "00")][:REVIEW_ADDED]
    added_after = set(rebase.evenly(list(range(n)), REVIEW_ADDED))
    entries = []  # (change, file name or None for a new patch)
    for i, (path, kind) in enumerate(ctx.picked):
        if i != removed:
            entries.append((rebase.change(ctx.git_dir, path, kind, i + 1, "review" if i in edited else None),
                            ctx.patches[i].name))
        if i in added_after:
            number = n + 1 + sum(1 for _, name in entries if name is None)
            entries.append((rebase.change(ctx.git_dir, extra.pop(0), "clean", number), None))
    head = common.commit_chain(ctx.clone_git, "review", OLD, [c for c, _ in entries], ctx.modes)
    files = common.format_patch(ctx.clone_git, OLD, head, ctx.base / "review-formatted")
    names, number = [], n
    for (_, name), f in zip(entries, files):
        if name is None:
            number += 1
            name = f"{number:04d}-{f.name[5:]}"
        names.append(name)
    common.install_queue(ctx.repo, files, names)
    git("add", "-A")
    git("commit", "-q", "-m", "10 patches edited, 2 added, 1 removed")
    expected = {"unchanged": n - REVIEW_EDITED - 1, "edited": REVIEW_EDITED, "added": REVIEW_ADDED, "removed": 1}
    return base, git("rev-parse", "HEAD").strip(), head, expected


def range_diff_counts(text):
    marks = re.findall(r"^\s*(?:\d+|-+):\s+[0-9a-f-]+ ([=!<>]) ", text, re.M)
    return {"unchanged": marks.count("="), "edited": marks.count("!"), "added": marks.count(">"),
            "removed": marks.count("<")}


def bench_review(ctx):
    base, head, git_head, expected = review_change(ctx)
    outputs = {}

    def review():
        result = verda(ctx, "review", "--base", base, "--head", head, "--format", "json")
        outputs["review"] = json.loads(result.out)
        return result.sample

    def range_diff():
        result = common.measured(["git", "-C", ctx.clone, "range-diff", "--no-color", "--creation-factor=80",
                                  f"{OLD}..{ctx.head}", f"{OLD}..{git_head}"])
        outputs["range-diff"] = result.out
        return result.sample

    samples = common.take_turns([("verda-patch review", lambda: None, review),
                                 ("git range-diff", lambda: None, range_diff)], ctx.runs)
    model = outputs["review"]
    ours = {k: model["summary"][k] for k in ("edited", "added", "removed")}
    ours["unchanged"] = model["projects"][0]["unchanged"]
    theirs = range_diff_counts(outputs["range-diff"])
    common.restore(ctx.repo, ctx.pristine)
    return samples, {"expected": expected, "review": ours, "range-diff": theirs, "review_ok": model["ok"],
                     "reordered": model["summary"]["reordered"],
                     "identical": ours == theirs == expected and model["ok"]}


def growth_queue(ctx, size):
    """`size` commits inserting a line near the top of files upstream left
    alone (going round them again past the last), as patch files."""
    pool = [p for p in rebase.candidates(ctx.git_dir)[0] if rebase.clean_change(ctx.git_dir, p, "00")]
    texts, changes = {}, []
    for k in range(1, size + 1):
        path = pool[(k - 1) % len(pool)]
        lines = texts.get(path) or rebase.text_lines(ctx.git_dir, OLD, path)
        texts[path] = lines = lines[:2] + [f"# bench: growth note {k:04d}\n"] + lines[2:]
        changes.append((path, "".join(lines), f"Bench: growth note {k:04d} in {path}\n"))
    head = common.commit_chain(ctx.clone_git, "growth", OLD, changes, ctx.modes)
    commits = run(["git", "--git-dir", ctx.clone_git, "rev-list", "--reverse", f"{OLD}..{head}"]).split()
    return commits, common.format_patch(ctx.clone_git, OLD, head, ctx.base / "growth-formatted")


class Growth:
    """The first n patches of the growth queue in their own patch repo and
    clones: apply and export against git (measured together), rebase
    against git rebase (measured later, with the other rebases)."""

    def __init__(self, ctx, commits, files, n):
        self.ctx, self.n = ctx, n
        self.dir = d = ctx.base / "growth" / str(n)
        self.repo, self.pristine, self.am, self.out = d / "repo", d / "pristine", d / "am", d / "format-patch"
        common.patch_repo(self.repo, OLD)
        self.patches = common.install_queue(self.repo, files[:n])
        common.keep_pristine(self.repo, self.pristine)
        clone = d / "git"
        run(["git", "clone", "-q", "-s", "-n", ctx.clone, clone])
        self.rebase = rebase.Rebase(ctx.verda, self.repo, self.pristine, clone, commits[n - 1], self.patches)
        self.trees, self.checks = set(), {}

    def fresh(self):
        common.discard(self.repo / "custom-source")
        common.restore(self.repo, self.pristine)

    def apply(self):
        sample = common.measured([self.ctx.verda, "-q", "apply"], cwd=self.repo).sample
        self.trees.add(common.tree_of(str(self.repo / "custom-source" / "nova" / ".git")))
        return sample

    def git_am(self):
        sample = common.git_am(self.ctx.git_dir, self.am, OLD, self.patches)
        self.trees.add(common.tree_of(str(self.am / ".git")))
        return sample

    def apply_and_export(self):
        samples = common.take_turns([("verda-patch apply", self.fresh, self.apply),
                                     ("git am", lambda: common.discard(self.am), self.git_am)], self.ctx.runs)
        common.settle(self.ctx.settle)  # git am of many patches deletes thousands of files
        samples.update(common.take_turns([
            ("verda-patch export", lambda: common.discard(self.repo / "patches" / "nova"),
             lambda: common.measured([self.ctx.verda, "-q", "export", "--force", "nova"], cwd=self.repo).sample),
            ("git format-patch", lambda: common.discard(self.out),
             lambda: common.measured(["git", "-C", self.am, *FORMAT_PATCH, "-o", self.out, f"{OLD}..HEAD"]).sample),
        ], self.ctx.runs))
        exported, formatted = series_files(self.repo), sorted(self.out.glob("*.patch"))
        self.checks["apply_trees_identical"] = len(self.trees) == 1
        self.checks["export_identical"] = same_files(exported, formatted) and same_files(exported, self.patches)
        return samples

    def rebases(self):
        common.settle(self.ctx.settle)
        samples = common.take_turns(self.rebase.contenders(), self.ctx.runs)
        self.checks["rebase"] = self.rebase.check()
        self.checks["identical"] = (self.checks["apply_trees_identical"] and self.checks["export_identical"]
                                    and self.checks["rebase"]["identical"])
        common.discard(self.dir)
        return samples, self.checks


def setup(args, verda):
    base = WORK / "all"
    rebasing, picked = rebase.setup(verda, base, CLEAN, MERGE)
    clone = rebasing.clone
    return types.SimpleNamespace(
        verda=verda, runs=args.runs, settle=args.settle, base=base, repo=rebasing.repo,
        pristine=rebasing.pristine, clone=clone, clone_git=str(clone / ".git"), git_dir=str(common.mirror()),
        head=rebasing.head, picked=picked, patches=rebasing.patches, rebase=rebasing,
        modes=common.file_modes(str(common.mirror()), OLD))


# --- the report ---------------------------------------------------------

def summary(samples):
    return {"wall": common.median(samples), "cpu": common.median(samples, "cpu"),
            "rss_mib": max(s.rss for s in samples) / 1024}


def ratio_row(what, ours, theirs, same):
    a, b = summary(ours), summary(theirs)
    return (f"| {what} | {a['wall']:.3f} / {b['wall']:.3f} | **{a['wall'] / b['wall']:.2f}** "
            f"| {a['cpu'] / b['cpu']:.2f} | {a['rss_mib']:.0f} / {b['rss_mib']:.0f} | {same} |")


def yes(flag):
    return "yes" if flag else "**NO**"


def render(meta, sections, growth):
    s = {name: samples for samples, _ in sections.values() for name, samples in samples.items()}
    c = {key: checks for key, (_, checks) in sections.items()}
    n = meta["patches"]
    lines = [
        f"nova {OLD} -> {NEW} (PyPI sdists), a queue of {n} patches made at run time; "
        f"median of {meta['runs']} runs, the tools taking turns.",
        "",
        f"Machine: {meta['machine']['nproc']} cores ({meta['machine']['cpu']}), {meta['machine']['memory_gib']} GiB, "
        f"{meta['machine']['filesystem']}, Linux {meta['machine']['kernel']}, git {meta['machine']['git']}, "
        f"{meta['machine']['quilt']}, Python {meta['machine']['python']}. "
        f"Load average (1/5/15 min) at the start {meta['load']['start']}, at the end {meta['load']['end']}. "
        f"Peak RSS: {meta['rss']}. Settling (sync and wait) before the first measurement, the growth exports "
        f"and the rebases: {f'{SETTLE_FIRST} s, then {SETTLE} s' if meta['settle'] else 'none'}.",
        "",
        f"Command: `{meta['command']}` ({meta['date']}, verda-patch {meta['verda']}).",
        "",
        "| what | seconds, verda-patch / peer | wall ratio | CPU ratio | peak RSS MiB, verda-patch / peer | same result |",
        "|---|---:|---:|---:|---:|---|",
        ratio_row("apply (fresh custom-source) vs `git clone -s -n` + checkout + `git am`",
                  s["verda-patch apply"], s["git am"], yes(c["apply"]["identical"])),
    ]
    if "quilt push -a" in s:
        lines.append(ratio_row("apply (fresh custom-source) vs `quilt push -a` (tree copy not timed)",
                               s["verda-patch apply"], s["quilt push -a"], yes(c["apply"]["identical"])))
    lines += [
        ratio_row(f"re-apply after editing patch {c['reapply']['patch']}'s code vs a fresh apply",
                  s["verda-patch re-apply"], s["verda-patch apply"], yes(c["reapply"]["identical"])),
        ratio_row(f"export ({n} files from {n} commits) vs `git format-patch`",
                  s["verda-patch export"], s["git format-patch"], yes(c["export"]["identical"])),
        ratio_row(f"rebase --to {NEW} vs `git rebase --onto` ({c['rebase']['verda_carried'].get('clean', 0)} clean, "
                  f"{c['rebase']['verda_carried'].get('3-way', 0)} 3-way)",
                  s["verda-patch rebase"], s["git rebase"], yes(c["rebase"]["identical"])),
        ratio_row(f"review ({REVIEW_EDITED} edited, {REVIEW_ADDED} added, 1 removed) vs `git range-diff`",
                  s["verda-patch review"], s["git range-diff"], yes(c["review"]["identical"])),
    ]
    git_rows, git_targets = gitsource.rows(ratio_row, yes, {k: v for k, v in sections.items() if k.startswith("git ")})
    lines += git_rows
    if not git_rows:
        lines.append("| git source | skipped: no nova history bundle on this machine | | | | |")
    lines += [
        "",
        "Targets:",
        "",
        "| target | measured | met |",
        "|---|---:|---|",
    ]
    for what, ours, theirs, limit in (
            ("fresh apply at most 0.7x git am's time", "verda-patch apply", "git am", 0.7),
            (f"re-apply after editing patch {c['reapply']['patch']} at most 0.3x a fresh apply",
             "verda-patch re-apply", "verda-patch apply", 0.3),
            ("rebase at most 0.3x git rebase's time", "verda-patch rebase", "git rebase", 0.3),
            *git_targets):
        r = common.median(s[ours]) / common.median(s[theirs])
        lines.append(f"| {what} | {r:.2f} | {'yes' if r <= limit else f'**no**, by {r - limit:.2f}x'} |")

    if growth:
        sizes = sorted(growth)
        pairs = (("apply", "verda-patch apply", "git am"), ("export", "verda-patch export", "git format-patch"),
                 ("rebase", "verda-patch rebase", "git rebase"))
        lines += ["", "Growth with queue length (inserts in files upstream left alone; seconds, verda-patch / peer, "
                  "and the wall ratio):", "",
                  "| patches | " + " | ".join(f"{op}: verda-patch / {peer} | ratio" for op, _, peer in pairs)
                  + " | same result |",
                  "|---:|" + "---:|---:|" * len(pairs) + "---|"]
        for size in sizes:
            g = growth[size][0]
            cells = []
            for _, ours, theirs in pairs:
                a, b = common.median(g[ours]), common.median(g[theirs])
                cells.append(f"{a:.3f} / {b:.3f} | **{a / b:.2f}**")
            lines.append(f"| {size} | " + " | ".join(cells) + f" | {yes(growth[size][1]['identical'])} |")
        lo, hi = sizes[0], sizes[-1]
        if hi > lo:
            cells = []
            slope = lambda name: (common.median(growth[hi][0][name])
                                  - common.median(growth[lo][0][name])) / (hi - lo) * 1000
            for _, ours, theirs in pairs:
                a, b = slope(ours), slope(theirs)
                cells.append(f"{a:.2f} / {b:.2f} ms | {a / b:.2f}")
            lines.append(f"| per patch, {lo} -> {hi} | " + " | ".join(cells) + " | |")
        lines += ["", "Peak RSS (MiB) with queue length:", "",
                  "| patches | " + " | ".join(f"{ours} | {theirs}" for _, ours, theirs in pairs) + " |",
                  "|---:|" + "---:|---:|" * len(pairs)]
        for size in sizes:
            g = growth[size][0]
            rss = lambda name: f"{summary(g[name])['rss_mib']:.0f}"
            cells = (f"{rss(ours)} | {rss(theirs)}" for _, ours, theirs in pairs)
            lines.append(f"| {size} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, help="runs per measurement (default 5; --quick: 1)")
    parser.add_argument("--sizes", help="queue lengths for growth, comma-separated (default 50,200,1000; "
                        "--quick: 10,30; 0: none)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: one run, small growth sizes")
    parser.add_argument("--bin", help="measure this verda-patch binary instead of building the tree's")
    parser.add_argument("--no-settle", action="store_true", help="do not sync and wait before the first "
                        "measurement, the growth exports and the rebases (implied by --quick)")
    args = parser.parse_args()
    args.settle = 0 if args.quick or args.no_settle else SETTLE
    args.runs = args.runs or (1 if args.quick else 5)
    sizes = [int(x) for x in (args.sizes or ("10,30" if args.quick else "50,200,1000")).split(",") if int(x) > 0]

    started = time.time()
    meta = {"date": time.strftime("%Y-%m-%d"), "command": " ".join(["python3", "bench/all.py", *sys.argv[1:]]),
            "runs": args.runs, "settle": args.settle, "rss": common.RSS_METHOD, "machine": common.machine(),
            "load": {"start": common.load_average()}}
    verda_bin = common.binary(args.bin)
    meta["verda"] = run([verda_bin, "--version"]).split()[-1] + (
        "" if args.bin else f" at {run(['git', '-C', common.ROOT, 'rev-parse', '--short', 'HEAD']).strip()}")
    ctx = setup(args, verda_bin)
    meta["patches"] = len(ctx.patches)
    print(f"queue: {len(ctx.patches)} patches on nova {OLD}; {args.runs} runs", file=sys.stderr)

    sizes_queue = growth_queue(ctx, max(sizes)) if sizes else None
    common.settle(SETTLE_FIRST if args.settle else 0)
    meta["load"]["measuring"] = common.load_average()

    def done(key):
        meta["load"][key] = common.load_average()
        print(f"{key}: done ({time.time() - started:.0f} s, load {meta['load'][key]})", file=sys.stderr)

    # Rebases last: they (and getting back from them) rewrite hundreds of
    # files, and file creation slows down for a while after deletions.
    sections = {}
    for key, bench in (("apply", bench_apply), ("reapply", bench_reapply), ("export", bench_export),
                       ("review", bench_review)):
        sections[key] = bench(ctx)
        done(key)
    sections.update(gitsource.run_all(verda_bin, WORK / "git-source", args.runs, done))
    growing = {}
    for size in sizes:
        growing[size] = Growth(ctx, *sizes_queue, size)
        growing[size].samples = growing[size].apply_and_export()
        done(f"growth {size}: apply, export")
    sections["rebase"] = bench_rebase(ctx)
    done("rebase")
    growth = {}
    for size, g in growing.items():
        samples, checks = g.rebases()
        growth[size] = ({**g.samples, **samples}, checks)
        done(f"growth {size}: rebase")
    meta["load"]["end"] = common.load_average()
    meta["seconds"] = round(time.time() - started)

    table = render(meta, sections, growth)
    print("\n" + table)
    out = WORK / f"quick-{meta['date']}" if args.quick else common.ROOT / "bench" / "results" / meta["date"]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(table)
    as_json = lambda samples: {name: [vars(x) for x in runs] for name, runs in samples.items()}
    out.with_suffix(".json").write_text(json.dumps({
        **meta,
        "sections": {k: {"samples": as_json(samples), "checks": checks} for k, (samples, checks) in sections.items()},
        "growth": {n: {"samples": as_json(samples), "checks": checks} for n, (samples, checks) in growth.items()},
    }, indent=1) + "\n")
    print(f"written: {out.with_suffix('.md')} and .json", file=sys.stderr)
    common.empty_trash()
    failed = [k for k, (_, checks) in [*sections.items(), *((f"growth {n}", g) for n, g in growth.items())]
              if not checks["identical"]]
    if failed:
        print(f"results differ from the peers' in: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
