#!/usr/bin/env python3
"""Benchmark `verda-patch rebase --to` against `git rebase --onto`.

One run, same machine, same queue: nova 31.0.0 -> 32.0.0, both sdists from
PyPI imported by verda-patch itself (snapshot commits tagged 31.0.0 and
32.0.0 in the cache mirror), and a queue of 40 commits made at run time
(never committed) in a `git clone -s -n` of that mirror at 31.0.0, each
changing one real nova file that exists in both releases, chosen in sorted
order:

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
sys, of the processes timed):
  verda  `verda-patch -q rebase nova --to 32.0.0 --json` (after an untimed
         `verda-patch apply`; the patch repo restored and `apply --force`d,
         untimed, between runs)
  git    `git rebase -q --onto 32.0.0 31.0.0 queue` in the clone, from the
         queue head checked out (reset untimed between runs)

Checked: both carry all 40, and every carried commit (the Nth of each) and
the final tree are identical. Exits non-zero otherwise.

Usage: python3 bench/rebase.py [--runs 5] [--bin PATH]
Results are printed as a Markdown table; paste them into bench/README.md.
"""

import argparse
import json
import os
import pathlib
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
BIN = TARGET / "release" / "verda-patch"
OLD, NEW = "31.0.0", "32.0.0"
CLEAN, MERGE = 20, 20
ENV = dict(os.environ, VERDA_PATCH_CACHE=str(WORK / "cache"), GIT_CONFIG_GLOBAL="/dev/null",
           GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.org",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.org",
           GIT_AUTHOR_DATE="2026-01-01T00:00:00+00:00", GIT_COMMITTER_DATE="2026-01-01T00:00:00+00:00")


def run(cmd, cwd=None, check=True, stdin=None):
    result = subprocess.run(cmd, cwd=cwd, env=ENV, input=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if check and result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{result.stdout}{result.stderr}")
    return result.stdout if check else result


def cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(setup, action, samples):
    """Time `action` after an untimed `setup`: wall seconds and the CPU
    seconds (user + sys) of the processes it ran."""
    setup()
    start_cpu, start = cpu(), time.perf_counter()
    action()
    samples.append((time.perf_counter() - start, cpu() - start_cpu))


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


def merge_change(git_dir, path, number):
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
            ours[line - 1] = old[line - 1].rstrip("\n") + f"  # bench: local change {number:02d}\n"
            lo, hi = max(0, line - 4), min(len(old), line + 3)
            if contains(new, old[lo:hi]):
                continue  # would apply at an offset, not by a 3-way merge
            if merges_cleanly(old, new, ours):
                return ours
    return None


def clean_change(git_dir, path, number):
    """For a file upstream did not change: a line inserted near the top."""
    old = text_lines(git_dir, OLD, path)
    if old is None or len(old) < 4:
        return None
    return old[:2] + [f"# bench: local note {number:02d}\n"] + old[2:]


def build_queue(mirror, clone, out):
    """40 commits on OLD in `clone` and their format-patch files in `out`.
    Returns (queue head, [(path, kind)])."""
    run(["git", "clone", "-q", "-s", "-n", str(mirror), str(clone)])
    run(["git", "-C", clone, "checkout", "-q", "-b", "queue", OLD])
    git_dir = str(mirror)
    listing = lambda rev: set(run(["git", "--git-dir", git_dir, "ls-tree", "-r", "--name-only", rev]).split("\n"))
    both = listing(OLD) & listing(NEW)
    status = run(["git", "--git-dir", git_dir, "diff", "--name-status", "--no-renames", OLD, NEW])
    modified = {line.split("\t", 1)[1] for line in status.splitlines() if line.startswith("M\t")}
    candidates = sorted(p for p in both if p.startswith("nova/") and p.endswith(".py"))
    unchanged = [p for p in candidates if p not in modified]
    changed = [p for p in candidates if p in modified]

    def pick(pool, n, make, kind):
        # Evenly spread over the sorted pool; a file that does not qualify is
        # replaced by the next one in sorted order.
        chosen, taken = [], set()
        for start in (pool.index(p) for p in evenly(pool, n)):
            for p in pool[start:] + pool[:start]:
                if p in taken:
                    continue
                taken.add(p)
                lines = make(git_dir, p, 0)
                if lines is not None:
                    chosen.append((p, kind))
                    break
        if len(chosen) < n:
            sys.exit(f"only {len(chosen)} files qualify for {kind} patches")
        return chosen

    picked = sorted(pick(unchanged, CLEAN, clean_change, "clean")
                    + pick(changed, MERGE, merge_change, "3-way"))
    for number, (path, kind) in enumerate(picked, 1):
        make = clean_change if kind == "clean" else merge_change
        (clone / path).write_text("".join(make(git_dir, path, number)))
        what = "note" if kind == "clean" else "change"
        run(["git", "-C", clone, "commit", "-q", "-a", "-m",
             f"Bench: local {what} {number:02d} in {path}\n\nA benchmark patch ({kind} carry expected)."])
    head = run(["git", "-C", clone, "rev-parse", "HEAD"]).strip()
    run(["git", "-C", clone, "format-patch", "-q", "-N", "--zero-commit", "--no-signature", "--no-stat",
         "--full-index", "--no-renames", "-o", str(out), f"{OLD}..{head}"])
    return head, picked


def carried_trees(git_dir, base, head):
    """The trees of base..head in order (first parent)."""
    return run(["git", "--git-dir", git_dir, "log", "--reverse", "--first-parent", "--format=%T",
                f"{base}..{head}"]).split()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bin", help="measure this verda-patch binary instead of building the tree's "
                        "(before/after figures of a change)")
    args = parser.parse_args()

    global BIN
    if args.bin:
        BIN = pathlib.Path(args.bin).resolve()
    else:
        run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT)
    base = WORK / "rebase"
    shutil.rmtree(base, ignore_errors=True)
    repo, pristine, clone = base / "repo", base / "pristine", base / "git"
    repo.mkdir(parents=True)
    (repo / "verda-patch.toml").write_text(f'[projects.nova]\npypi = "nova"\npin = "{OLD}"\n')
    for version in (OLD, NEW):
        run([BIN, "-q", "fetch", "--version", version], cwd=repo)
    mirror = WORK / "cache" / "pypi" / "nova.git"
    if not mirror.is_dir():
        sys.exit(f"expected the nova mirror at {mirror}")

    formatted = base / "formatted"
    formatted.mkdir()
    head, picked = build_queue(mirror, clone, formatted)
    patches = sorted(formatted.glob("*.patch"))
    bugfix = repo / "patches" / "nova" / "bugfix"
    bugfix.mkdir(parents=True)
    for patch in patches:
        shutil.copy(patch, bugfix / patch.name)
    (repo / "patches" / "nova" / "series").write_text("".join(f"bugfix/{p.name}\n" for p in patches))
    pristine.mkdir()
    shutil.copy(repo / "verda-patch.toml", pristine / "verda-patch.toml")
    shutil.copytree(repo / "patches", pristine / "patches")
    kinds = {k: sum(1 for _, x in picked if x == k) for k in ("clean", "3-way")}
    print(f"queue: {len(patches)} patches on nova {OLD} ({kinds['clean']} in files upstream left alone, "
          f"{kinds['3-way']} next to upstream's edits)", file=sys.stderr)

    # verda-patch: apply on OLD (untimed), then rebase.
    run([BIN, "-q", "apply"], cwd=repo)
    custom = repo / "custom-source" / "nova"
    reports = []

    def verda_setup():
        if reports:  # restore the patch repo and custom-source on OLD
            shutil.copy(pristine / "verda-patch.toml", repo / "verda-patch.toml")
            shutil.rmtree(repo / "patches")
            shutil.copytree(pristine / "patches", repo / "patches")
            run([BIN, "-q", "apply", "--force"], cwd=repo)
        if run(["git", "-C", custom, "rev-parse", "HEAD^{tree}"]).strip() != old_tree:
            sys.exit("custom-source is not the queue on the old release before the rebase")

    def verda_rebase():
        reports.append(run([BIN, "-q", "rebase", "nova", "--to", NEW, "--json"], cwd=repo))

    # git: the same commits, from the queue head checked out.
    def git_setup():
        run(["git", "-C", clone, "checkout", "-q", "-f", "-B", "queue", head])

    def git_rebase():
        result = run(["git", "-C", clone, "rebase", "-q", "--onto", NEW, OLD, "queue"], check=False)
        if result.returncode != 0:
            stopped = run(["git", "-C", clone, "status", "--short"], check=False).stdout
            run(["git", "-C", clone, "rebase", "--abort"], check=False)
            sys.exit(f"git rebase stopped:\n{result.stdout}{result.stderr}{stopped}")

    # Interleaved, so a change in the machine's load hits both alike.
    old_tree = run(["git", "-C", clone, "rev-parse", f"{head}^{{tree}}"]).strip()
    new_pin = run(["git", "--git-dir", mirror, "rev-parse", f"{NEW}^{{commit}}"]).strip()
    verda_samples, git_samples, finals = [], [], set()
    for _ in range(args.runs):
        measure(verda_setup, verda_rebase, verda_samples)
        finals.add(run(["git", "-C", custom, "rev-parse", "HEAD^{tree}"]).strip())
        measure(git_setup, git_rebase, git_samples)
        finals.add(run(["git", "-C", clone, "rev-parse", "HEAD^{tree}"]).strip())
    verda, verda_cpu = (statistics.median(x) for x in zip(*verda_samples))
    git, git_cpu = (statistics.median(x) for x in zip(*git_samples))
    report = json.loads(reports[-1])
    outcomes = [r.get("how", r["outcome"]) for r in report["results"]]
    counts = {k: outcomes.count(k) for k in sorted(set(outcomes))}
    verda_trees = carried_trees(str(custom / ".git"), new_pin, "HEAD")
    git_trees = carried_trees(str(clone / ".git"), NEW, "queue")

    carried = sum(1 for r in report["results"] if r["outcome"] == "carried")
    pairs = list(zip(verda_trees, git_trees))
    same_each = sum(1 for a, b in pairs if a == b)
    identical = (len(verda_trees) == len(git_trees) == len(patches) == carried
                 and same_each == len(patches) and len(finals) == 1)

    print(f"\n{len(patches)} patches, nova {OLD} -> {NEW} (PyPI sdists); median of {args.runs} runs; "
          f"{os.cpu_count()} cores")
    print(f"carried: verda-patch {len(verda_trees)} ({', '.join(f'{v} {k}' for k, v in counts.items())}), "
          f"git rebase {len(git_trees)}; per-patch trees identical: {same_each}/{len(patches)}; "
          f"final trees identical (every run, both tools): {len(finals) == 1}\n")
    print("| what | seconds | ratio | CPU seconds | CPU ratio |")
    print("|---|---:|---:|---:|---:|")
    print(f"| git rebase -q --onto {NEW} {OLD} (queue checked out) | {git:.3f} | 1.00 | {git_cpu:.3f} | 1.00 |")
    print(f"| verda-patch -q rebase nova --to {NEW} | {verda:.3f} | {verda / git:.2f} "
          f"| {verda_cpu:.3f} | {verda_cpu / git_cpu:.2f} |")
    each = lambda samples: " ".join(f"{w:.2f}/{c:.2f}" for w, c in samples)
    print(f"\nevery run, wall/CPU seconds: git {each(git_samples)}; verda-patch {each(verda_samples)}")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not identical:
        sys.exit("verda-patch's carried trees differ from git rebase's")


if __name__ == "__main__":
    main()
