#!/usr/bin/env bash
# Render `verda-patch review --format html` and screenshot it in headless
# Chromium, to see the page as a reviewer does.
#
#   scripts/review-screenshot.sh [PATCH_REPO [OUT.png]]
#
# PATCH_REPO is reviewed as-is (default base and head; pass more review
# options in REVIEW_ARGS, e.g. REVIEW_ARGS="--base origin/main"). Without
# it, a demo is built in a temp dir: an upstream tagged 1.0 and a patch repo
# whose last commit edits, adds (with HTML in its subject), removes and
# re-categorises a patch, like tests/review.rs. OUT defaults to
# /tmp/review.png; the HTML is kept next to it (OUT with .html).
# Needs git, cargo and chromium (Debian: apt-get install -y chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

out="${2:-/tmp/review.png}"
html="${out%.png}.html"
cargo build --quiet --locked
verda="${CARGO_TARGET_DIR:-$PWD/target}/debug/verda-patch"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Ada Upstream" GIT_AUTHOR_EMAIL=ada@example.org
export GIT_COMMITTER_NAME="Ada Upstream" GIT_COMMITTER_EMAIL=ada@example.org
export GIT_AUTHOR_DATE=2026-01-02T03:04:05+00:00 GIT_COMMITTER_DATE=2026-01-02T03:04:05+00:00

format_last() { # work-dir target-file
  git -C "$1" format-patch -1 --stdout --zero-commit --no-signature --no-stat \
    --full-index --no-renames >"$2"
}

demo() { # builds $tmp/repo
  local up="$tmp/upstream" work="$tmp/work" repo="$tmp/repo" p="$tmp/repo/patches/demo"
  mkdir -p "$up/app" "$p/feature" "$p/bugfix" "$p/upstreamable"
  git -C "$up" init -q -b master
  for i in $(seq 1 40); do echo "    scheduler line $i"; done >"$up/app/scheduler.py"
  for i in $(seq 1 30); do echo "    quota line $i"; done >"$up/app/quota.py"
  git -C "$up" add -A && git -C "$up" commit -qm "Initial release" && git -C "$up" tag 1.0
  git clone -q "$up" "$work"
  sed -i 's/^    quota line 10$/&\n    PCI_DEVICES = "a100"/' "$work/app/quota.py"
  git -C "$work" commit -qam $'Add PCI device quota\n\nCount GPUs per project.\n\nChange-Id: I1111111111111111111111111111111111111111'
  format_last "$work" "$p/feature/0001-add-pci-device-quota.patch"
  sed -i 's/^    scheduler line 20$/    scheduler line 20  # fixed/' "$work/app/scheduler.py"
  git -C "$work" commit -qam $'Fix host ordering\n\nCloses-Bug: #2000001\nChange-Id: I2222222222222222222222222222222222222222'
  format_last "$work" "$p/bugfix/0002-fix-host-ordering.patch"
  echo "CACHE = {}" >"$work/app/weigher_cache.py" && git -C "$work" add -A
  git -C "$work" commit -qm $'Cache weigher results\n\nUpstream-Status: Pending\nChange-Id: I3333333333333333333333333333333333333333'
  format_last "$work" "$p/upstreamable/0003-cache-weigher-results.patch"
  printf '[projects.demo]\ngit = "../upstream"\npin = "1.0"\n' >"$repo/verda-patch.toml"
  printf '# demo queue\nfeature/0001-add-pci-device-quota.patch\nbugfix/0002-fix-host-ordering.patch\nupstreamable/0003-cache-weigher-results.patch\n' >"$p/series"
  git -C "$repo" init -q -b main && git -C "$repo" add -A && git -C "$repo" commit -qm "Queue for demo 1.0"

  # The change under review.
  git -C "$work" checkout -q -b v2 1.0
  sed -i 's/^    quota line 10$/&\n    PCI_DEVICES = "h100"\n    PCI_LIMIT = 8/' "$work/app/quota.py"
  git -C "$work" commit -qam $'Add PCI device quota\n\nCount GPUs per project, at most PCI_LIMIT each.\n\nChange-Id: I1111111111111111111111111111111111111111'
  format_last "$work" "$p/feature/0001-add-pci-device-quota.patch"
  sed -i 's/^    scheduler line 30$/    scheduler line 30  # hardened/' "$work/app/scheduler.py"
  git -C "$work" commit -qam $'<script>alert(1)</script> Harden the scheduler\n\nChange-Id: I4444444444444444444444444444444444444444'
  format_last "$work" "$p/bugfix/0004-harden-the-scheduler.patch"
  git -C "$repo" rm -q patches/demo/bugfix/0002-fix-host-ordering.patch
  git -C "$repo" mv patches/demo/upstreamable/0003-cache-weigher-results.patch patches/demo/feature/
  printf '# demo queue\nfeature/0001-add-pci-device-quota.patch\nfeature/0003-cache-weigher-results.patch\nbugfix/0004-harden-the-scheduler.patch\n' >"$p/series"
  git -C "$repo" add -A && git -C "$repo" commit -qm "Rework the demo queue"
}

if [ $# -ge 1 ]; then
  repo="$1"
else
  demo
  repo="$tmp/repo"
  export VERDA_PATCH_CACHE="$tmp/cache"
fi

# Exit 1 means blocking findings; the page still shows them.
"$verda" -C "$repo" review --format html -o "$html" ${REVIEW_ARGS:-} || [ $? -eq 1 ]
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --no-first-run --user-data-dir="$tmp/chromium" \
  --screenshot="$out" --window-size=1200,1600 "file://$(realpath "$html")" 2>/dev/null
echo "screenshot: $out (page: $html)"
