#!/usr/bin/env python3
"""Benchmark `verda-patch rebase --to` against `git rebase --onto`.

One run, same machine, same queue: nova 31.0.0 -> 32.0.0, both sdists from
PyPI imported by verda-patch itself (snapshot commits tagged 31.0.0 and
32.0.0 in the cache mirror), and a queue of 40 commits made at run time
(never committed; one `git fast-import`) in a `git clone -s -n` of that
mirror at 31.0.0, each changing one real nova file that exists in both
releases, chosen in sorted order:

* 20 insert a line near the top of a file upstream did not change between
  the releases (a clean carry);
* 20 change a line two or three lines away from one of upstream's edits in a
  file upstream did change, so the patch's context is not in 32.0.0 and a
  3-way merge is needed (lines are chosen so that it merges cleanly: checked
  with `git merge-file` first, and by both tools in the run).

The same commits are `git format-patch`ed into patches/nova/bugfix/ of a
patch repo in bench/work/rebase/ pinned to 31.0.0.

Measured (median of --runs, the two tools taking turns so that a change in
the machine's load hits both alike; wall seconds and the CPU seconds, user +
sys, of the processes timed, each reaped with os.wait4):
  verda  `verda-patch -q rebase nova --to 32.0.0 --json` (after an untimed
         `verda-patch apply`; the patch repo restored and `apply --force`d,
         untimed, between runs)
  git    `git rebase -q --onto 32.0.0 31.0.0 queue` in the clone, from the
         queue head checked out (reset untimed between runs)

Checked: both carry all 40, and every carried commit (the Nth of each) and
the final tree are identical. Exits non-zero otherwise.

Usage: python3 bench/rebase.py [--runs 5] [--bin PATH]
Results are printed as a Markdown table. bench/all.py runs this benchmark
(on an 80-patch queue) with all the others.
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import common
from common import ENV, WORK, run

OLD, NEW = "31.0.0", "32.0.0"
CLEAN, MERGE = 20, 20


def evenly(items, n):
    """n items spread evenly over a sorted list (deterministic)."""
    if len(items) <= n:
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]


def text_lines(git_dir, rev, path):
    """The file's lines (keeping ends), or None if it is not plain UTF-8 text."""
    raw = subprocess.run(["git", "--git-dir", git_dir, "cat-file", "blob", f"{rev}:{path}"],
                         env=ENV, stdout=subprocess.PIPE, check=True).stdout
    if b"\0" in raw or b"\r" in raw or not raw.endswith(b"\n"):
        return None
    try:
        return raw.decode().splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def upstream_edits(git_dir, path):
    """upstream's changed ranges in the OLD file as (first, last) 1-based
    lines; a pure insertion after line k is (k + 0.5, k + 0.5)."""
    diff = run(["git", "--git-dir", git_dir, "diff", "-U0", "--no-renames", OLD, NEW, "--", path])
    edits = []
    for m in re.finditer(r"^@@ -(\d+)(?:,(\d+))? ", diff, re.M):
        start, count = int(m.group(1)), int(m.group(2) or 1)
        edits.append((start + 0.5, start + 0.5) if count == 0 else (start, start + count - 1))
    return edits


def merges_cleanly(base, ours, theirs):
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, lines in (("ours", ours), ("base", base), ("theirs", theirs)):
            f = pathlib.Path(tmp) / name
            f.write_text("".join(lines))
            files.append(str(f))
        result = subprocess.run(["git", "merge-file", "-p", *files], env=ENV, stdout=subprocess.PIPE)
        return result.returncode == 0


def contains(haystack, needle):
    n = len(needle)
    return any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def merge_change(git_dir, path, label):
    """For a file upstream changed: the OLD file with one line changed two or
    three lines away from an upstream edit (so the patch's 3-line context is
    not in NEW), merging cleanly with NEW. None if no line qualifies."""
    old, new = text_lines(git_dir, OLD, path), text_lines(git_dir, NEW, path)
    if old is None or new is None or len(old) < 8:
        return None
    edits = upstream_edits(git_dir, path)
    for first, last in edits:
        for line in (int(first - 3), int(first - 2), int(last + 2.5), int(last + 3.5)):
            if not 1 <= line <= len(old) or not old[line - 1].strip():
                continue
            # Never on or next to an upstream edit: git needs one unchanged line between.
            if any(a - 1.5 <= line <= b + 1.5 for a, b in edits):
                continue
            ours = list(old)
            ours[line - 1] = old[line - 1].rstrip("\n") + f"  # bench: local change {label}\n"
            lo, hi = max(0, line - 4), min(len(old), line + 3)
            if contains(new, old[lo:hi]):
                continue  # would apply at an offset, not by a 3-way merge
            if merges_cleanly(old, new, ours):
                return ours
    return None


def clean_change(git_dir, path, label):
    """For a file upstream did not change: a line inserted near the top."""
    old = text_lines(git_dir, OLD, path)
    if old is None or len(old) < 4:
        return None
    return old[:2] + [f"# bench: local note {label}\n"] + old[2:]


def candidates(git_dir):
    """nova/*.py files in both releases, sorted: (those upstream left alone,
    those it changed)."""
    listing = lambda rev: set(run(["git", "--git-dir", git_dir, "ls-tree", "-r", "--name-only", rev]).split("\n"))
    both = listing(OLD) & listing(NEW)
    status = run(["git", "--git-dir", git_dir, "diff", "--name-status", "--no-renames", OLD, NEW])
    modified = {line.split("\t", 1)[1] for line in status.splitlines() if line.startswith("M\t")}
    files = sorted(p for p in both if p.startswith("nova/") and p.endswith(".py"))
    return [p for p in files if p not in modified], [p for p in files if p in modified]


def pick_files(git_dir, clean, merge):
    """`clean` files upstream left alone and `merge` files it changed, each
    spread evenly over the sorted candidates; a file that does not qualify is
    replaced by the next one in sorted order.
    Returns [(path, kind)] in sorted order, kind "clean" or "3-way"."""
    unchanged, changed = candidates(git_dir)

    def pick(pool, n, make, kind):
        chosen, taken = [], set()
        for start in (pool.index(p) for p in evenly(pool, n)):
            for p in pool[start:] + pool[:start]:
                if p in taken:
                    continue
                taken.add(p)
                if make(git_dir, p, "00") is not None:
                    chosen.append((p, kind))
                    break
        if len(chosen) < n:
            sys.exit(f"only {len(chosen)} files qualify for {kind} patches")
        return chosen

    return sorted(pick(unchanged, clean, clean_change, "clean") + pick(changed, merge, merge_change, "3-way"))


def change(git_dir, path, kind, number, edit=None):
    """The commit (path, text, message) of the queue's `number`th patch; with
    `edit`, the same patch with other code (the line it adds says so)."""
    make = clean_change if kind == "clean" else merge_change
    what = "note" if kind == "clean" else "change"
    label = f"{number:02d}" + (f", edit {edit}" if edit else "")
    return (path, "".join(make(git_dir, path, label)),
            f"Bench: local {what} {number:02d} in {path}\n\nA benchmark patch ({kind} carry expected).\n")


def build_queue(mirror, clone, out, clean=CLEAN, merge=MERGE):
    """The queue as commits on OLD on branch `queue` of a `git clone -s -n`
    of the mirror, and as format-patch files in `out`.
    Returns (queue head, [(path, kind)], [patch file])."""
    run(["git", "clone", "-q", "-s", "-n", str(mirror), str(clone)])
    git_dir = str(mirror)
    picked = pick_files(git_dir, clean, merge)
    changes = [change(git_dir, path, kind, number) for number, (path, kind) in enumerate(picked, 1)]
    head = common.commit_chain(str(clone / ".git"), "queue", OLD, changes, common.file_modes(git_dir, OLD))
    return head, picked, common.format_patch(str(clone / ".git"), OLD, head, out)


def carried_trees(git_dir, base, head):
    """The trees of base..head in order (first parent)."""
    return run(["git", "--git-dir", git_dir, "log", "--reverse", "--first-parent", "--format=%T",
                f"{base}..{head}"]).split()


class Rebase:
    """`verda-patch rebase --to NEW` and `git rebase --onto NEW OLD` of the
    same queue, as contenders for common.take_turns, and the check that both
    carried every patch to the same trees.

    repo: the patch repo with the queue on OLD; pristine: a copy of its
    verda-patch.toml and patches/ to restore between runs; clone: where
    branch `queue` (at `head`) is rebased by git."""

    def __init__(self, verda, repo, pristine, clone, head, patches):
        self.verda, self.repo, self.pristine, self.clone = verda, repo, pristine, clone
        self.head, self.patches = head, patches
        self.custom = repo / "custom-source" / "nova"
        self.old_tree = common.tree_of(str(clone / ".git"), head)
        self.reports, self.finals = [], set()

    def contenders(self, verda_name="verda-patch rebase", git_name="git rebase"):
        return [(verda_name, self.verda_setup, self.verda_rebase), (git_name, self.git_setup, self.git_rebase)]

    def verda_setup(self):
        """The patch repo restored and custom-source applied on OLD (untimed)."""
        common.restore(self.repo, self.pristine)
        run([self.verda, "-q", "apply", "--force"], cwd=self.repo)
        if common.tree_of(str(self.custom / ".git")) != self.old_tree:
            sys.exit("custom-source is not the queue on the old release before the rebase")

    def verda_rebase(self):
        result = common.measured([self.verda, "-q", "rebase", "nova", "--to", NEW, "--json"], cwd=self.repo)
        self.reports.append(result.out)
        self.finals.add(common.tree_of(str(self.custom / ".git")))
        return result.sample

    def git_setup(self):
        run(["git", "-C", self.clone, "checkout", "-q", "-f", "-B", "queue", self.head])

    def git_rebase(self):
        result = common.measured(["git", "-C", self.clone, "rebase", "-q", "--onto", NEW, OLD, "queue"],
                                 check=False)
        if result.code != 0:
            stopped = run(["git", "-C", self.clone, "status", "--short"], check=False).stdout
            run(["git", "-C", self.clone, "rebase", "--abort"], check=False)
            sys.exit(f"git rebase stopped:\n{result.out}{stopped}")
        self.finals.add(common.tree_of(str(self.clone / ".git")))
        return result.sample

    def check(self):
        """What each carried, and whether every carried commit (the Nth of
        each) and every run's final tree are identical."""
        report = json.loads(self.reports[-1])
        outcomes = [r.get("how", r["outcome"]) for r in report["results"]]
        new_pin = run(["git", "--git-dir", self.clone / ".git", "rev-parse", f"{NEW}^{{commit}}"]).strip()
        verda_trees = carried_trees(str(self.custom / ".git"), new_pin, "HEAD")
        git_trees = carried_trees(str(self.clone / ".git"), NEW, "queue")
        carried = sum(1 for r in report["results"] if r["outcome"] == "carried")
        same_each = sum(1 for a, b in zip(verda_trees, git_trees) if a == b)
        n = len(self.patches)
        return {
            "patches": n,
            "verda_carried": {k: outcomes.count(k) for k in sorted(set(outcomes))},
            "git_carried": len(git_trees),
            "same_each": same_each,
            "finals_identical": len(self.finals) == 1,
            "identical": (len(verda_trees) == len(git_trees) == n == carried == same_each
                          and len(self.finals) == 1),
        }


def setup(verda, base, clean=CLEAN, merge=MERGE):
    """A patch repo in base/repo pinned to OLD with the queue of `clean` +
    `merge` patches installed and applied, and the pieces Rebase needs.
    Returns (Rebase, [(path, kind)])."""
    common.discard(base)
    repo, pristine, clone = base / "repo", base / "pristine", base / "git"
    common.patch_repo(repo, OLD)
    for version in (OLD, NEW):
        run([verda, "-q", "fetch", "--version", version], cwd=repo)
    mirror = common.mirror()
    if not mirror.is_dir():
        sys.exit(f"expected the nova mirror at {mirror}")
    head, picked, formatted = build_queue(mirror, clone, base / "formatted", clean, merge)
    patches = common.install_queue(repo, formatted)
    common.keep_pristine(repo, pristine)
    run([verda, "-q", "apply"], cwd=repo)
    return Rebase(verda, repo, pristine, clone, head, patches), picked


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bin", help="measure this verda-patch binary instead of building the tree's "
                        "(before/after figures of a change)")
    args = parser.parse_args()

    verda = common.binary(args.bin)
    bench, picked = setup(verda, WORK / "rebase")
    kinds = {k: sum(1 for _, x in picked if x == k) for k in ("clean", "3-way")}
    print(f"queue: {len(picked)} patches on nova {OLD} ({kinds['clean']} in files upstream left alone, "
          f"{kinds['3-way']} next to upstream's edits)", file=sys.stderr)

    samples = common.take_turns(bench.contenders(), args.runs)
    git_samples, verda_samples = samples["git rebase"], samples["verda-patch rebase"]
    git, git_cpu = common.median(git_samples), common.median(git_samples, "cpu")
    verda, verda_cpu = common.median(verda_samples), common.median(verda_samples, "cpu")
    result = bench.check()
    n = result["patches"]

    print(f"\n{n} patches, nova {OLD} -> {NEW} (PyPI sdists); median of {args.runs} runs; "
          f"{common.machine()['nproc']} cores")
    print(f"carried: verda-patch {sum(result['verda_carried'].values())} "
          f"({', '.join(f'{v} {k}' for k, v in result['verda_carried'].items())}), "
          f"git rebase {result['git_carried']}; per-patch trees identical: {result['same_each']}/{n}; "
          f"final trees identical (every run, both tools): {result['finals_identical']}\n")
    print("| what | seconds | ratio | CPU seconds | CPU ratio |")
    print("|---|---:|---:|---:|---:|")
    print(f"| git rebase -q --onto {NEW} {OLD} (queue checked out) | {git:.3f} | 1.00 | {git_cpu:.3f} | 1.00 |")
    print(f"| verda-patch -q rebase nova --to {NEW} | {verda:.3f} | {verda / git:.2f} "
          f"| {verda_cpu:.3f} | {verda_cpu / git_cpu:.2f} |")
    each = lambda samples: " ".join(f"{s.wall:.2f}/{s.cpu:.2f}" for s in samples)
    print(f"\nevery run, wall/CPU seconds: git {each(git_samples)}; verda-patch {each(verda_samples)}")
    print(f"load average at the end: {common.load_average()}")
    common.empty_trash()
    if not result["identical"]:
        sys.exit("verda-patch's carried trees differ from git rebase's")


if __name__ == "__main__":
    main()
