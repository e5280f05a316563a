#!/usr/bin/env python3
"""Benchmark `verda-patch apply` against `git am` and `quilt push -a`.

One run, same machine, same queue, same tree, and a queue of real upstream
changes made at run time (never committed):

* with --nova-git PATH (a clone of openstack/nova): every non-merge commit of
  31.0.0..31.3.1 (stable/2025.1), as `git format-patch` files;
* otherwise: the difference between the 31.0.0 and 31.3.1 sdists, one patch
  per changed file.

With --nova-git the tree is nova's git tree at 31.0.0 (the history's patches
touch files such as .gitreview that the sdist does not ship); otherwise the
31.0.0 sdist from PyPI, imported by verda-patch itself.

Measured (median of --runs):
  verda   `verda-patch apply` into a fresh custom-source
  git     `git clone -s -n` + `git checkout` + `git am` of the same files
  quilt   `quilt push -a` on a fresh copy of the tree (copy not timed)
  reapply `verda-patch apply` after editing the 60th patch's message (a new
          line every run, so the cache of built commits never has it)

Usage: python3 bench/apply.py [--nova-git PATH] [--runs 5] [--bin PATH]
Results are printed as a Markdown table. bench/all.py runs this comparison
(on a queue of its own) with all the others.
"""

import argparse
import shutil
import sys

import common
from common import WORK, run

OLD, NEW = "31.0.0", "31.3.1"


def git_tree_at_old(nova_git):
    """nova's git tree at OLD as a one-commit repository tagged OLD (a fetched
    mirror may lack objects elsewhere in history; the tree is all we need)."""
    path = WORK / f"nova-{OLD}-git"
    if not (path / ".git").exists():
        common.export_tree(nova_git, OLD, path)
        run(["git", "init", "-q"], cwd=path)
        run(["git", "add", "-A"], cwd=path)
        run(["git", "commit", "-q", "-m", f"nova {OLD} (git tree)"], cwd=path)
        run(["git", "tag", OLD], cwd=path)
    return str(path)


def queue_from_git(nova_git, out):
    return common.format_patch(nova_git, OLD, NEW, out)


def queue_from_sdists(mirror, out):
    """One patch per file changed between the two sdists."""
    files = run(["git", "--git-dir", mirror, "diff", "--name-only", OLD, NEW]).split()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    patches = []
    for i, path in enumerate(files, 1):
        diff = run(["git", "--git-dir", mirror, "diff", "--full-index", "--no-renames", OLD, NEW, "--", path])
        if "Binary files" in diff or not diff:
            continue
        name = out / f"{i:04d}-{path.replace('/', '-')[:50]}.patch"
        name.write_text(f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
                        f"From: OpenStack <openstack-discuss@lists.openstack.org>\n"
                        f"Date: Thu, 1 Jan 2026 00:00:00 +0000\nSubject: [PATCH] Update {path} to {NEW}\n\n---\n{diff}")
        patches.append(name)
    return patches


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nova-git", help="a clone of openstack/nova with tags")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bin", help="measure this verda-patch binary instead of building the tree's")
    args = parser.parse_args()

    verda = common.binary(args.bin)
    base = WORK / "apply"
    common.discard(base)
    repo = base / "repo"
    source = git_tree_at_old(args.nova_git) if args.nova_git else None
    common.patch_repo(repo, OLD, source)
    run([verda, "fetch", "--version", OLD], cwd=repo)
    if not args.nova_git:
        run([verda, "fetch", "--version", NEW], cwd=repo)
    mirror = common.mirror(source)

    if args.nova_git:
        formatted, origin = queue_from_git(args.nova_git, base / "formatted"), f"git history {OLD}..{NEW} (non-merge commits)"
    else:
        formatted, origin = queue_from_sdists(str(mirror), base / "formatted"), f"sdist difference {OLD} -> {NEW}, one patch per file"
    ordered = common.install_queue(repo, formatted)
    print(f"queue: {len(ordered)} patches ({origin}) on nova {OLD}", file=sys.stderr)

    custom, clone, pristine, tree = repo / "custom-source", base / "gitclone", base / "pristine", base / "quilt"
    common.export_tree(str(mirror), OLD, pristine)
    contenders = [
        ("verda", lambda: common.discard(custom),
         lambda: common.measured([verda, "-q", "apply"], cwd=repo).sample),
        ("git", lambda: common.discard(clone), lambda: common.git_am(mirror, clone, OLD, ordered)),
    ]
    if shutil.which("quilt"):
        contenders.append(("quilt", lambda: common.quilt_setup(pristine, tree, ordered), lambda: common.quilt_push(tree)))
    samples = common.take_turns(contenders, args.runs)
    verda_tree = common.tree_of(str(custom / "nova" / ".git"))
    git_tree = common.tree_of(str(clone / ".git"))

    # Re-apply after editing the 60th patch (or the last, if fewer): its
    # message gets a new line each run, so every run rebuilds it and the
    # patches after it (the cache of built commits never has them).
    target = ordered[min(59, len(ordered) - 1)]
    original = target.read_text()
    run([verda, "-q", "apply", "--force"], cwd=repo)
    edits = iter(range(1, args.runs + 1))

    def edit():
        target.write_text(original.replace("\n\n", f"\n\nEdited for the benchmark (run {next(edits)}).\n\n", 1))

    samples.update(common.take_turns([("reapply", edit, lambda: common.measured([verda, "-q", "apply"], cwd=repo).sample)],
                                     args.runs))
    target.write_text(original)
    git, verda_s, reapply = (common.median(samples[k]) for k in ("git", "verda", "reapply"))
    peak = max(s.rss for runs in samples.values() for s in runs) / 1024

    print(f"\n{len(ordered)} patches on nova {OLD} ({origin}); median of {args.runs} runs; "
          f"tree: {'git' if args.nova_git else 'PyPI sdist'}; {common.machine()['nproc']} cores; "
          f"trees identical to git am: {verda_tree == git_tree}\n")
    print("| what | seconds | ratio |")
    print("|---|---:|---:|")
    print(f"| git clone -s -n + checkout + git am | {git:.3f} | 1.00 |")
    if "quilt" in samples:
        quilt = common.median(samples["quilt"])
        print(f"| quilt push -a (tree copy not timed) | {quilt:.3f} | {quilt / git:.2f} |")
    print(f"| verda-patch apply, fresh custom-source | {verda_s:.3f} | {verda_s / git:.2f} |")
    print(f"| verda-patch apply after editing patch {ordered.index(target) + 1} | {reapply:.3f} | {reapply / verda_s:.2f} of a fresh apply |")
    print(f"\npeak RSS of any child: {peak:.0f} MiB; load average at the end: {common.load_average()}")
    common.empty_trash()
    if verda_tree != git_tree:
        sys.exit("verda-patch's tree differs from git am's")


if __name__ == "__main__":
    main()
