"""What the benchmarks share: the environment, running and measuring child
processes, the nova mirror in the cache, queues of commits made at run time
and their patch files, the patch repo, and the peers' ways of applying them.

python3 stdlib only. Every measured child is reaped with os.wait4, so each
sample has the wall seconds, the CPU seconds (user + sys) and the peak RSS of
exactly the processes it ran (a child's rusage includes its own children).
"""

import collections
import dataclasses
import hashlib
import os
import pathlib
import platform
import selectors
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
# The sdists and the nova mirror: $VERDA_PATCH_CACHE if set (share it with
# the tests: ~/.cache/verda-patch), else bench/work/cache.
CACHE = pathlib.Path(os.environ.get("VERDA_PATCH_CACHE") or WORK / "cache")
DATE = "2026-01-01T00:00:00+00:00"
ENV = dict(os.environ, VERDA_PATCH_CACHE=str(CACHE), GIT_CONFIG_GLOBAL="/dev/null",
           GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.org",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.org",
           GIT_AUTHOR_DATE=DATE, GIT_COMMITTER_DATE=DATE, LC_ALL="C")
# The form verda-patch writes patch files in (README, "The patch repository").
FORMAT_PATCH = ["format-patch", "-q", "-N", "--zero-commit", "--no-signature", "--no-stat",
                "--full-index", "-M"]


def run(cmd, cwd=None, check=True, stdin=None):
    """Run untimed; the stdout (or, with check=False, the CompletedProcess)."""
    result = subprocess.run(cmd, cwd=cwd, env=ENV, input=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if check and result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{result.stdout}{result.stderr}")
    return result.stdout if check else result


@dataclasses.dataclass
class Sample:
    """One measured action: wall and CPU seconds, peak RSS in KiB."""
    wall: float = 0.0
    cpu: float = 0.0
    rss: int = 0

    def __add__(self, other):
        return Sample(self.wall + other.wall, self.cpu + other.cpu, max(self.rss, other.rss))


Measured = collections.namedtuple("Measured", "sample out code")
# GNU time reports the peak RSS of the command alone. ru_maxrss from
# os.wait4 of a child of this Python process cannot go below this process's
# own RSS (the kernel carries the parent's high-water mark into the child at
# fork and exec), so it is the fallback only.
GNU_TIME = shutil.which("time", path="/usr/bin:/bin")
RSS_METHOD = "GNU time %M" if GNU_TIME else "os.wait4 ru_maxrss (floor: the Python process's RSS)"


def measured(cmd, cwd=None, check=True):
    """Run `cmd`, timed: Measured(sample, stdout, exit code). Wall seconds
    around it, CPU seconds (user + sys) of it and its children from
    os.wait4, peak RSS from GNU time when installed."""
    rss_file = WORK / f".rss-{os.getpid()}"
    wrapped = [GNU_TIME, "-q", "-f", "%M", "-o", str(rss_file), *map(str, cmd)] if GNU_TIME else list(map(str, cmd))
    with open(os.devnull, "rb") as devnull:
        start = time.perf_counter()
        child = subprocess.Popen(wrapped, cwd=cwd, env=ENV, stdin=devnull, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        out, err = _drain(child)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    rss = usage.ru_maxrss
    if GNU_TIME:
        rss = int(rss_file.read_text().split()[-1])
        rss_file.unlink()
    if check and child.returncode != 0:
        sys.exit(f"failed ({child.returncode}): {' '.join(map(str, cmd))}\n"
                 f"{out.decode(errors='replace')}{err.decode(errors='replace')}")
    return Measured(Sample(wall, usage.ru_utime + usage.ru_stime, rss),
                    (out + (b"" if child.returncode == 0 else err)).decode(errors="replace"), child.returncode)


def discard(path):
    """Move a tree out of the way, to be deleted by empty_trash() after the
    measurements. On ext4 without a journal (this machine's), creating files
    in a block group where many were deleted in the last minutes scans past
    each recently deleted inode (ext4 `recently_deleted`): deleting a tree
    between runs made the next run's file creation several times slower,
    for every tool, by amounts that depended on where each tree lived."""
    if path.exists():
        trash = WORK / "trash"
        trash.mkdir(parents=True, exist_ok=True)
        path.rename(trash / f"{time.time_ns()}-{path.name}")


def empty_trash():
    shutil.rmtree(WORK / "trash", ignore_errors=True)


def settle(seconds):
    """Let files deleted before the measurements stop costing (see discard):
    write everything out, then wait. ext4 counts an inode as recently
    deleted for 60 s, and for 300 s more while its inode table block is
    dirty, which new files next to it make it again."""
    if seconds > 0:
        os.sync()
        time.sleep(seconds)


def _drain(child):
    """Read both pipes to their end without reaping the child (communicate()
    would wait() for it and lose its rusage)."""
    chunks = {child.stdout: [], child.stderr: []}
    with selectors.DefaultSelector() as sel:
        for pipe in chunks:
            sel.register(pipe, selectors.EVENT_READ)
        while sel.get_map():
            for key, _ in sel.select():
                data = os.read(key.fd, 1 << 16)
                if data:
                    chunks[key.fileobj].append(data)
                else:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
    return b"".join(chunks[child.stdout]), b"".join(chunks[child.stderr])


def steps(*cmds, cwd=None):
    """Run commands one after the other, timed: their summed Sample."""
    total = Sample()
    for cmd in cmds:
        total = total + measured(cmd, cwd=cwd).sample
    return total


def take_turns(contenders, runs):
    """Measure each contender `runs` times, taking turns (one run of each,
    then the next round), so a change in the machine's load hits all alike.
    contenders: [(name, setup, action)]; action returns a Sample; no
    contender may depend on another having run before it in the round.
    Returns {name: [Sample, ...]}."""
    samples = {name: [] for name, _, _ in contenders}
    for round_ in range(runs):
        # Every other round in reverse order: no tool always goes first
        # (after a pause) or always right after another's writes.
        for name, setup, action in contenders[::-1] if round_ % 2 else contenders:
            setup()
            samples[name].append(action())
    return samples


def median(samples, field="wall"):
    values = sorted(getattr(s, field) for s in samples)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def binary(path=None):
    """The verda-patch to measure: `path`, else this tree's release build."""
    if path:
        return pathlib.Path(path).resolve()
    run(["cargo", "build", "--release", "--locked", "-q"], cwd=ROOT)
    return TARGET / "release" / "verda-patch"


def mirror(source=None):
    """The cache mirror verda-patch keeps for nova: from PyPI, or (source) a
    git URL or path exactly as the manifest names it (upstream::mirror_dir)."""
    if source is None:
        return CACHE / "pypi" / "nova.git"
    name = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_"
                   for c in source.rstrip("/").removesuffix(".git").replace(":", "/").rsplit("/", 1)[-1])
    return CACHE / "git" / f"{name}-{hashlib.sha256(source.encode()).hexdigest()[:12]}.git"


def patch_repo(repo, pin, source=None):
    """A patch repo for nova at `pin`, from PyPI or a git source."""
    repo.mkdir(parents=True, exist_ok=True)
    origin = f'git = "{source}"' if source else 'pypi = "nova"'
    (repo / "verda-patch.toml").write_text(f'[projects.nova]\n{origin}\npin = "{pin}"\n')
    (repo / ".gitignore").write_text("/custom-source/\n/.verda/\n")


def keep_pristine(repo, pristine):
    """A copy of the patch repo's manifest and patches/ to restore from."""
    pristine.mkdir(parents=True)
    shutil.copy(repo / "verda-patch.toml", pristine / "verda-patch.toml")
    shutil.copytree(repo / "patches", pristine / "patches")


def restore(repo, pristine):
    """The patch repo's manifest and patches/ as kept (untimed)."""
    shutil.copy(pristine / "verda-patch.toml", repo / "verda-patch.toml")
    discard(repo / "patches")
    shutil.copytree(pristine / "patches", repo / "patches")


def install_queue(repo, patches, names=None, category="bugfix"):
    """Copy patch files into patches/nova/<category>/ (as `names`, default
    their own) and list them in series, replacing any queue there was.
    Returns the installed paths in order."""
    queue = repo / "patches" / "nova"
    discard(queue)
    (queue / category).mkdir(parents=True)
    names = names or [p.name for p in patches]
    installed = []
    for patch, name in zip(patches, names):
        shutil.copy(patch, queue / category / name)
        installed.append(queue / category / name)
    (queue / "series").write_text("".join(f"{category}/{name}\n" for name in names))
    return installed


def file_modes(git_dir, rev):
    """{path: mode} of the tree at rev."""
    modes = {}
    for line in run(["git", "--git-dir", git_dir, "ls-tree", "-r", "--full-tree", rev]).splitlines():
        meta, path = line.split("\t", 1)
        modes[path] = meta.split()[0]
    return modes


def commit_chain(git_dir, branch, base, changes, modes):
    """Commits on `base`, one per change (path, new text, message), as
    refs/heads/<branch> in git_dir, written by one `git fast-import` (a
    1,000-commit queue in a second). Returns the head commit id."""
    stamp = "bench <bench@example.org> 1767225600 +0000"
    base_id = run(["git", "--git-dir", git_dir, "rev-parse", f"{base}^{{commit}}"]).strip()
    stream = [f"reset refs/heads/{branch}\nfrom {base_id}\n\n".encode()]
    for path, text, message in changes:
        data, msg = text.encode(), message.encode()
        stream.append(f"commit refs/heads/{branch}\nauthor {stamp}\ncommitter {stamp}\n"
                      f"data {len(msg)}\n".encode() + msg
                      + f"\nM {modes.get(path, '100644')} inline {path}\ndata {len(data)}\n".encode()
                      + data + b"\n")
    result = subprocess.run(["git", "--git-dir", git_dir, "fast-import", "--quiet", "--force"],
                            input=b"".join(stream), env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        sys.exit(f"git fast-import failed:\n{result.stderr.decode(errors='replace')}")
    return run(["git", "--git-dir", git_dir, "rev-parse", f"refs/heads/{branch}"]).strip()


def format_patch(git_dir, base, head, out):
    """base..head as patch files in `out` (emptied first), in order."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    run(["git", "--git-dir", git_dir, *FORMAT_PATCH, "-o", str(out), f"{base}..{head}"])
    return sorted(out.glob("*.patch"))


def tree_of(git_dir, rev="HEAD"):
    return run(["git", "--git-dir", git_dir, "rev-parse", f"{rev}^{{tree}}"]).strip()


def git_am(mirror_dir, clone, rev, patches, options=()):
    """The git way to a tree with a queue: `git clone -s -n` of the mirror,
    check out `rev`, `git am` the patches. Timed; `clone` must not exist."""
    return steps(["git", "clone", "-q", "-s", "-n", str(mirror_dir), str(clone)],
                 ["git", "-C", clone, "checkout", "-q", rev],
                 ["git", "-C", clone, "am", "-q", *options, *map(str, patches)])


def export_tree(git_dir, rev, dest):
    """The files of `rev` in `dest` (a fresh directory), untimed."""
    discard(dest)
    dest.mkdir(parents=True)
    subprocess.run(f"git --git-dir '{git_dir}' archive {rev} | tar -x -C '{dest}'", shell=True,
                   check=True, env=ENV)


def quilt_setup(pristine, tree, patches):
    """A fresh copy of the pristine tree with the patches in quilt's series
    (untimed)."""
    discard(tree)
    shutil.copytree(pristine, tree, symlinks=True)
    (tree / "patches").mkdir()
    for p in patches:
        shutil.copy(p, tree / "patches" / p.name)
    (tree / "patches" / "series").write_text("".join(p.name + "\n" for p in patches))


def quilt_push(tree):
    return measured(["quilt", "push", "-a", "-q"], cwd=tree).sample


def tree_of_directory(git_dir, directory, exclude=(".pc", "patches")):
    """The git tree id of a plain directory (objects written to git_dir), to
    compare quilt's result with the others'."""
    index = directory.parent / f".{directory.name}.index"
    env = dict(ENV, GIT_INDEX_FILE=str(index), GIT_DIR=str(git_dir), GIT_WORK_TREE=str(directory))
    try:
        subprocess.run(["git", "add", "-A", "--", ".", *[f":!{x}" for x in exclude]], env=env, check=True,
                       cwd=directory)
        return subprocess.run(["git", "write-tree"], env=env, check=True, stdout=subprocess.PIPE,
                              text=True).stdout.strip()
    finally:
        index.unlink(missing_ok=True)


def machine():
    """What the figures were measured on."""
    def first(cmd):
        try:
            return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                  env=ENV).stdout.splitlines()[0].strip()
        except (OSError, IndexError):
            return "not installed"

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = 0
    try:
        with open("/proc/meminfo") as f:
            memory = int(next(line.split()[1] for line in f if line.startswith("MemTotal"))) // 1024 ** 2
    except (OSError, StopIteration):
        pass
    WORK.mkdir(parents=True, exist_ok=True)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": memory,
        "kernel": platform.release(),
        "filesystem": filesystem(WORK),
        "git": first(["git", "--version"]).removeprefix("git version "),
        "quilt": "quilt " + first(["quilt", "--version"]) if shutil.which("quilt") else "no quilt",
        "python": platform.python_version(),
    }


def filesystem(path):
    """The type of the filesystem `path` is on, from /proc/self/mounts, and
    for ext4 whether it has a journal."""
    try:
        with open("/proc/self/mounts") as f:
            mounts = [line.split()[:3] for line in f]
    except OSError:
        return "unknown"
    path = str(path.resolve())
    device, point, kind = max((m for m in mounts if path == m[1] or path.startswith(m[1].rstrip("/") + "/")),
                              key=lambda m: len(m[1]), default=("?", "/", "unknown"))
    try:
        journal = pathlib.Path(f"/sys/fs/ext4/{os.path.basename(device)}/journal_task").read_text().strip()
        return f"{kind} without a journal" if journal == "<none>" else kind
    except OSError:
        return kind


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
