"""The git-source section of bench/all.py: nova's real history (the shared
bundle, `VERDA_NOVA_BUNDLE` or ../shared/data/nova-history.bundle) as a
`git =` upstream, and the 67 real stable/2025.1 commits 31.0.0..31.3.1 as the
queue (`git format-patch`, no merges). Measured against git, the tools taking
turns (common.take_turns):

  first fetch  `verda-patch fetch` into an empty cache, the mirror named by a
               file:// URL; `git clone --mirror --no-local` of the same URL
  apply        `verda-patch apply` into a fresh custom-source; `git clone -s
               -n` + checkout + `git am --keep-non-patch` of the same files
  re-apply     `verda-patch apply` after editing patch 60 (its subject, a new
               text every run) against the fresh apply above
  export       `verda-patch export` of the 67 commits, cold (no diffs kept
               from an earlier export) and warm; `git format-patch` of git
               am's 67 commits
  review       `verda-patch review --base --head` of a patch-repo commit that
               edits patch 60; `git range-diff` of the same change as two
               commit ranges

Checked alongside: apply's tree equals git am's and 31.3.1's; re-apply took
59 patches from its cache; export's files equal git format-patch's except
for messages verda-patch frames (reported); review and range-diff both see
one changed patch.
"""

import json
import os
import pathlib
import shutil
import sys

import common
from common import FORMAT_PATCH, discard, measured, run, take_turns

PIN, TIP = "31.0.0", "31.3.1"
TIP_TREE = "f4001f38a434d4b6ac0ce25e344e17430e2e766b"
EDIT_AT = 60
# Upstream subjects such as "[tool] Fix …": verda-patch keeps the bracket,
# as `git am --keep-non-patch` does (README: deliberate differences).
KEEP_SUBJECTS = ("--keep-non-patch",)


def bundle():
    """The nova history bundle, or None when this machine has none."""
    path = pathlib.Path(os.environ.get("VERDA_NOVA_BUNDLE")
                        or common.ROOT.parent / "shared" / "data" / "nova-history.bundle")
    return path if path.is_file() else None


class GitSource:
    def __init__(self, verda, base, runs):
        self.verda, self.base, self.runs = verda, base, runs
        base.mkdir(parents=True, exist_ok=True)
        self.source = base / "nova.git"
        if not self.source.exists():
            run(["git", "clone", "-q", "--mirror", str(bundle()), str(self.source)])
        self.url = f"file://{self.source}"
        out = base / "formatted"
        discard(out)
        out.mkdir(parents=True)
        run(["git", "--git-dir", self.source, *FORMAT_PATCH, "--no-merges", "-o", out, f"{PIN}..{TIP}"])
        self.files = sorted(out.glob("*.patch"))
        self.repo = base / "repo"
        discard(self.repo)
        common.patch_repo(self.repo, PIN, self.url)
        self.patches = common.install_queue(self.repo, self.files)
        self.am = base / "am"
        run([verda, "-q", "fetch"], cwd=self.repo)  # the measured runs below start from a warm cache

    def verda_run(self, *args):
        return measured([self.verda, "-q", *args], cwd=self.repo)

    def first_fetch(self):
        cache, clone = self.base / "fetch-cache", self.base / "clone.git"
        fetch = ["env", f"VERDA_PATCH_CACHE={cache}", self.verda, "-q", "fetch"]
        return take_turns([
            ("verda-patch fetch (first)", lambda: discard(cache), lambda: measured(fetch, cwd=self.repo).sample),
            ("git clone --mirror", lambda: discard(clone),
             lambda: measured(["git", "clone", "-q", "--mirror", "--no-local", self.url, clone]).sample),
        ], self.runs), {"identical": True}

    def apply(self):
        custom = self.repo / "custom-source"
        samples = take_turns([
            ("verda-patch apply (git)", lambda: discard(custom), lambda: self.verda_run("apply").sample),
            ("git am (git)", lambda: discard(self.am),
             lambda: common.git_am(self.source, self.am, PIN, self.patches, KEEP_SUBJECTS)),
        ], self.runs)
        trees = {"verda-patch": common.tree_of(str(custom / "nova" / ".git")),
                 "git am": common.tree_of(str(self.am / ".git"))}
        return samples, {"trees": trees, "identical": set(trees.values()) == {TIP_TREE}}

    def reapply(self):
        target = self.patches[EDIT_AT - 1]
        original = target.read_bytes()
        edits = iter(range(1, self.runs + 1))
        cached = []

        def edit():
            target.write_bytes(original.replace(b"Subject: [PATCH] ", f"Subject: [PATCH] (edit {next(edits)}) ".encode(), 1))

        def reapply():
            result = self.verda_run("apply", "--json")
            cached.append(sum(1 for p in json.loads(result.out)[0]["patches"] if p["how"] == "cached"))
            return result.sample

        samples = take_turns([("verda-patch re-apply (git)", edit, reapply)], self.runs)
        target.write_bytes(original)
        run([self.verda, "-q", "apply"], cwd=self.repo)
        return samples, {"patch": EDIT_AT, "cached_each_run": cached,
                         "identical": all(c == EDIT_AT - 1 for c in cached)}

    def export(self):
        out, queue = self.base / "format-patch", self.repo / "patches" / "nova"
        pristine = self.base / "pristine-patches"
        discard(pristine)
        shutil.copytree(queue, pristine)

        diffs = self.repo / "custom-source" / "nova" / ".git" / "verda" / "export-diffs"

        def cold():
            discard(queue)
            diffs.unlink(missing_ok=True)

        samples = take_turns([
            # Cold: without the diffs of a previous export (git has no such cache).
            ("verda-patch export (git)", cold, lambda: self.verda_run("export", "--force", "nova").sample),
            # Warm: every diff reused from the previous export's.
            ("verda-patch export, warm (git)", lambda: discard(queue),
             lambda: self.verda_run("export", "--force", "nova").sample),
            ("git format-patch (git)", lambda: discard(out),
             lambda: measured(["git", "-C", self.am, *FORMAT_PATCH, "-o", out, f"{PIN}..HEAD"]).sample),
        ], self.runs)
        ours = [queue / line for line in (queue / "series").read_text().split()]
        theirs = sorted(out.glob("*.patch"))
        differ = [a.name for a, b in zip(ours, theirs) if a.read_bytes() != b.read_bytes()]
        framed = [a.name for a in ours if b"\nX-Verda-Message-Lines: " in a.read_bytes()]
        discard(queue)
        shutil.copytree(pristine, queue)
        return samples, {"files": len(ours), "differ": differ, "framed": framed,
                         "identical": len(ours) == len(theirs) and set(differ) <= set(framed)}

    def review(self):
        git = lambda *args: run(["git", "-C", self.repo, *args])
        git("init", "-q")
        git("add", "-A")
        git("-c", "user.name=bench", "-c", "user.email=b@example.org", "commit", "-q", "-m", "queue")
        target = self.patches[EDIT_AT - 1]
        target.write_bytes(target.read_bytes().replace(b"Subject: [PATCH] ", b"Subject: [PATCH] (reviewed) ", 1))
        git("-c", "user.name=bench", "-c", "user.email=b@example.org", "commit", "-q", "-am", "edit")
        edited = self.base / "am-edited"
        discard(edited)
        common.git_am(self.source, edited, PIN, self.patches, KEEP_SUBJECTS)
        run(["git", "-C", self.am, "fetch", "-q", str(edited), "HEAD:refs/heads/edited"])
        outputs = {}

        def review():
            result = self.verda_run("review", "--base", "HEAD~", "--head", "HEAD", "--format", "json")
            outputs["review"] = result.out
            return result.sample

        def range_diff():
            result = measured(["git", "-C", self.am, "range-diff", "--no-color", f"{PIN}..HEAD", f"{PIN}..edited"])
            outputs["range-diff"] = result.out
            return result.sample

        samples = take_turns([("verda-patch review (git)", lambda: None, review),
                              ("git range-diff (git)", lambda: None, range_diff)], self.runs)
        changed_lines = [l for l in outputs["range-diff"].splitlines() if l.split(":")[0].strip().isdigit()
                         and " ! " in l]
        return samples, {"range_diff_changed": len(changed_lines), "identical": len(changed_lines) == 1}


def run_all(verda, base, runs, done):
    """Every git-source measurement: {key: (samples, checks)}, or {} when
    there is no bundle on this machine (said on stderr)."""
    if bundle() is None:
        print("git-source section skipped: no nova history bundle (set VERDA_NOVA_BUNDLE)", file=sys.stderr)
        return {}
    g = GitSource(verda, base, runs)
    sections = {}
    for key, bench in (("git fetch", g.first_fetch), ("git apply", g.apply), ("git reapply", g.reapply),
                       ("git export", g.export), ("git review", g.review)):
        sections[key] = bench()
        done(key)
    return sections


def rows(ratio_row, yes, sections):
    """The table rows, and the targets of issue 16 as (what, ours, theirs, limit) by sample name."""
    if not sections:
        return [], []
    s = {name: samples for samples, _ in sections.values() for name, samples in samples.items()}
    c = {key: checks for key, (_, checks) in sections.items()}
    n = c["git export"]["files"]
    table = [
        ratio_row("git source: first fetch vs `git clone --mirror --no-local`",
                  s["verda-patch fetch (first)"], s["git clone --mirror"], yes(c["git fetch"]["identical"])),
        ratio_row(f"git source: apply of the {n} stable commits {PIN}..{TIP} vs `git clone -s -n` + checkout + `git am`",
                  s["verda-patch apply (git)"], s["git am (git)"], yes(c["git apply"]["identical"])),
        ratio_row(f"git source: re-apply after editing patch {EDIT_AT} vs a fresh apply",
                  s["verda-patch re-apply (git)"], s["verda-patch apply (git)"], yes(c["git reapply"]["identical"])),
        ratio_row(f"git source: export ({n} files; {len(c['git export']['framed'])} framed) vs `git format-patch`",
                  s["verda-patch export (git)"], s["git format-patch (git)"], yes(c["git export"]["identical"])),
        ratio_row("git source: export again, its diffs reused from the last export, vs `git format-patch`",
                  s["verda-patch export, warm (git)"], s["git format-patch (git)"], yes(c["git export"]["identical"])),
        ratio_row("git source: review of one edited patch vs `git range-diff`",
                  s["verda-patch review (git)"], s["git range-diff (git)"], yes(c["git review"]["identical"])),
    ]
    targets = [
        ("git source: first fetch at most 1.2x git clone --mirror", "verda-patch fetch (first)", "git clone --mirror", 1.2),
        ("git source: fresh apply at most 0.35x git am", "verda-patch apply (git)", "git am (git)", 0.35),
        ("git source: re-apply at most 0.1x a fresh apply", "verda-patch re-apply (git)", "verda-patch apply (git)", 0.1),
        ("git source: export at most 1.0x git format-patch", "verda-patch export (git)", "git format-patch (git)", 1.0),
        ("git source: review at most 1.0x git range-diff", "verda-patch review (git)", "git range-diff (git)", 1.0),
    ]
    return table, targets


def main():
    """The git-source section alone: `python3 bench/gitsource.py [--runs N]
    [--bin PATH]`; a Markdown table of medians, the targets, the machine
    and the load average at the start and at the end of every section."""
    import argparse
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bin", help="verda-patch to measure (default: this tree's release build)")
    parser.add_argument("--work", default=str(common.WORK / "git-source-alone"))
    args = parser.parse_args()
    verda = common.binary(args.bin)
    loads = [("start", common.load_average())]
    sections = run_all(verda, pathlib.Path(args.work), args.runs,
                       lambda key: loads.append((f"after {key}", common.load_average())))
    if not sections:
        sys.exit(1)

    def summary(samples):
        return common.median(samples), common.median(samples, "cpu")

    def ratio_row(what, ours, theirs, same):
        (a, a_cpu), (b, b_cpu) = summary(ours), summary(theirs)
        return f"| {what} | {a:.3f} / {b:.3f} | **{a / b:.2f}** | {a_cpu / b_cpu:.2f} | {same} |"

    table, targets = rows(ratio_row, lambda flag: "yes" if flag else "**NO**", sections)
    s = {name: samples for samples, _ in sections.values() for name, samples in samples.items()}
    m = common.machine()
    print(f"Median of {args.runs} runs, the tools taking turns. Machine: {m['nproc']} cores ({m['cpu']}), "
          f"{m['memory_gib']} GiB, {m['filesystem']}, Linux {m['kernel']}, git {m['git']}.")
    print("Load average (1/5/15 min): " + "; ".join(f"{when} {load}" for when, load in loads) + ".\n")
    print("| what | seconds, verda-patch / peer | wall ratio | CPU ratio | same result |")
    print("|---|---:|---:|---:|---|")
    print("\n".join(table))
    print("\n| target | measured | met |\n|---|---:|---|")
    for what, ours, theirs, limit in targets:
        ratio = common.median(s[ours]) / common.median(s[theirs])
        met = "yes" if ratio <= limit else f"**no**, by {ratio - limit:.2f}x"
        print(f"| {what} | {ratio:.2f} | {met} |")


if __name__ == "__main__":
    main()
