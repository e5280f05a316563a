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
  reapply `verda-patch apply` after editing the 60th patch (cache of built commits)

Usage: python3 bench/apply.py [--nova-git PATH] [--runs 5]
Results are printed as a Markdown table; paste them into the README.
"""

import argparse
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
BIN = ROOT / "target" / "release" / "verda-patch"
OLD, NEW = "31.0.0", "31.3.1"
ENV = dict(os.environ, VERDA_PATCH_CACHE=str(WORK / "cache"), GIT_CONFIG_GLOBAL="/dev/null",
           GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.org",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.org")


def run(cmd, cwd=None, quiet=True):
    result = subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE if quiet else None,
                            stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{result.stderr}")
    return result.stdout


def timed(setup, action, runs):
    times = []
    for _ in range(runs):
        setup()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def patch_repo(repo, nova_git):
    repo.mkdir(parents=True, exist_ok=True)
    source = f'git = "{nova_git}"' if nova_git else 'pypi = "nova"'
    (repo / "verda-patch.toml").write_text(f'[projects.nova]\n{source}\npin = "{OLD}"\n')


def mirror_of(repo):
    """The cache mirror verda-patch made for the project (one per source)."""
    found = [p for p in (WORK / "cache").glob("*/*.git") if "nova" in p.name]
    if len(found) != 1:
        sys.exit(f"expected one nova mirror in the cache, found {found}")
    return found[0]


def git_tree_at_old(nova_git):
    """nova's git tree at OLD as a one-commit repository tagged OLD (a fetched
    mirror may lack objects elsewhere in history; the tree is all we need)."""
    path = WORK / f"nova-{OLD}-git"
    if not (path / ".git").exists():
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        subprocess.run(f"git --git-dir {nova_git} archive {OLD} | tar -x -C {path}", shell=True, check=True)
        run(["git", "init", "-q"], cwd=path)
        run(["git", "add", "-A"], cwd=path)
        run(["git", "commit", "-q", "-m", f"nova {OLD} (git tree)"], cwd=path)
        run(["git", "tag", OLD], cwd=path)
    return str(path)


def queue_from_git(nova_git, out):
    run(["git", "-C", nova_git, "format-patch", "-q", "--zero-commit", "--no-signature", "--no-stat",
         "--full-index", "--no-renames", "--no-merges", "-o", str(out), f"{OLD}..{NEW}"])
    return sorted(out.glob("*.patch"))


def queue_from_sdists(mirror, out):
    """One patch per file changed between the two sdists."""
    files = run(["git", "--git-dir", mirror, "diff", "--name-only", OLD, NEW]).split()
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
    args = parser.parse_args()

    run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT, quiet=False)
    WORK.mkdir(parents=True, exist_ok=True)
    repo = WORK / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    source = None
    if args.nova_git:
        shutil.rmtree(WORK / "cache" / "pypi", ignore_errors=True)
        source = git_tree_at_old(args.nova_git)
    else:
        shutil.rmtree(WORK / "cache" / "git", ignore_errors=True)
    patch_repo(repo, source)
    run([BIN, "fetch", "--version", OLD], cwd=repo)
    if not args.nova_git:
        run([BIN, "fetch", "--version", NEW], cwd=repo)
    mirror = mirror_of(repo)

    formatted = WORK / "formatted"
    shutil.rmtree(formatted, ignore_errors=True)
    formatted.mkdir()
    if args.nova_git:
        patches, origin = queue_from_git(args.nova_git, formatted), f"git history {OLD}..{NEW} (non-merge commits)"
    else:
        patches, origin = queue_from_sdists(str(mirror), formatted), f"sdist difference {OLD} -> {NEW}, one patch per file"
    bugfix = repo / "patches" / "nova" / "bugfix"
    bugfix.mkdir(parents=True)
    series = []
    for i, patch in enumerate(patches, 1):
        name = f"{i:04d}-{patch.name[5:]}"
        shutil.copy(patch, bugfix / name)
        series.append(f"bugfix/{name}")
    (repo / "patches" / "nova" / "series").write_text("\n".join(series) + "\n")
    ordered = [bugfix / s.split("/", 1)[1] for s in series]
    print(f"queue: {len(ordered)} patches ({origin}) on nova {OLD}", file=sys.stderr)

    custom = repo / "custom-source"
    verda = timed(lambda: shutil.rmtree(custom, ignore_errors=True), lambda: run([BIN, "-q", "apply"], cwd=repo), args.runs)
    verda_tree = run(["git", "-C", custom / "nova", "rev-parse", "HEAD^{tree}"]).strip()

    clone = WORK / "gitclone"

    def git_apply():
        run(["git", "clone", "-q", "-s", "-n", str(mirror), str(clone)])
        run(["git", "-C", clone, "checkout", "-q", OLD])
        run(["git", "-C", clone, "am", "-q", *map(str, ordered)])

    git = timed(lambda: shutil.rmtree(clone, ignore_errors=True), git_apply, args.runs)
    git_tree = run(["git", "-C", clone, "rev-parse", "HEAD^{tree}"]).strip()

    quilt = None
    if shutil.which("quilt"):
        pristine, tree = WORK / "pristine", WORK / "quilt"
        if not pristine.exists():
            pristine.mkdir()
            subprocess.run(f"git --git-dir {mirror} archive {OLD} | tar -x -C {pristine}", shell=True, check=True)

        def quilt_setup():
            shutil.rmtree(tree, ignore_errors=True)
            shutil.copytree(pristine, tree, symlinks=True)
            (tree / "patches").mkdir()
            for p in ordered:
                shutil.copy(p, tree / "patches" / p.name)
            (tree / "patches" / "series").write_text("".join(p.name + "\n" for p in ordered))

        quilt = timed(quilt_setup, lambda: run(["quilt", "push", "-a", "-q"], cwd=tree), args.runs)

    # Re-apply after editing the 60th patch (or the last, if fewer).
    target = ordered[min(59, len(ordered) - 1)]
    original = target.read_bytes()
    run([BIN, "-q", "apply", "--force"], cwd=repo)

    def edit():
        text = original.decode()
        # Touch the commit message only: the change still applies.
        target.write_text(text.replace("\n\n", "\n\nEdited for the benchmark.\n\n", 1) if "Edited" not in target.read_text() else text)

    reapply = timed(edit, lambda: run([BIN, "-q", "apply"], cwd=repo), args.runs)
    target.write_bytes(original)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"\n{len(ordered)} patches on nova {OLD} ({origin}); median of {args.runs} runs; "
          f"tree: {'git' if args.nova_git else 'PyPI sdist'}; {os.cpu_count()} cores; trees identical to git am: {verda_tree == git_tree}\n")
    print("| what | seconds | ratio |")
    print("|---|---:|---:|")
    print(f"| git clone -s -n + checkout + git am | {git:.3f} | 1.00 |")
    if quilt is not None:
        print(f"| quilt push -a (tree copy not timed) | {quilt:.3f} | {quilt / git:.2f} |")
    print(f"| verda-patch apply, fresh custom-source | {verda:.3f} | {verda / git:.2f} |")
    print(f"| verda-patch apply after editing patch {ordered.index(target) + 1} | {reapply:.3f} | {reapply / verda:.2f} of a fresh apply |")
    print(f"\npeak RSS of any child: {peak:.0f} MiB")
    if verda_tree != git_tree:
        sys.exit("verda-patch's tree differs from git am's")


if __name__ == "__main__":
    main()
