# Helpers for the input scripts of tests/differential.rs (sourced first thing by each script).
# The test runs a script with bash in an empty temp dir ($ROOT), git isolated from the user
# (GIT_CONFIG_GLOBAL=/dev/null, GIT_CONFIG_NOSYSTEM=1, HOME inside the temp dir), fixed identities
# (author Ada Example, committer Cy Committer) and dates (2024-01-02T03:04:05+00:00), LC_ALL=C.UTF-8,
# TZ=UTC. A script makes upstream/ (a git repo whose tag v1 is the pin and git am's base) and either
# the patch files in patches/ (applied in name order) or, for `# expect: roundtrip`, commits on
# upstream branch `work` on top of v1.
set -euo pipefail
ROOT=$PWD
P=$ROOT/patches
mkdir -p "$P"

# new_up: an empty upstream repository, cwd there
new_up() { mkdir -p "$ROOT/upstream"; cd "$ROOT/upstream"; git init -q -b master; }
# pin [MSG]: commit the whole work tree and tag it v1
pin() { git add -A; git commit -qm "${1:-Upstream release}"; git tag v1; }
# commit MSG...: commit the whole work tree (every MSG is a paragraph)
commit() { local a=(); for m in "$@"; do a+=(-m "$m"); done; git add -A; git commit -q "${a[@]}"; }
# fp ARGS...: git format-patch into patches/
fp() { git format-patch -q -o "$P" "$@"; }
# numbered PREFIX N: N distinct lines, so hunks have distinct context
numbered() { local i; for i in $(seq 1 "$2"); do echo "$1 line $i"; done; }
# bytes PY-EXPR: write the bytes of a Python expression to stdout (random is seeded)
bytes() { python3 -c "import sys,random; random.seed(7); sys.stdout.buffer.write($1)"; }
# subst FILE PY-OLD PY-NEW: replace the first occurrence of a byte string in FILE
subst() { python3 - "$@" <<'PY'
import sys
path, old, new = sys.argv[1], eval(sys.argv[2]), eval(sys.argv[3])
data = open(path, 'rb').read()
assert old in data, (path, old)
open(path, 'wb').write(data.replace(old, new, 1))
PY
}
# body_of FILE: the part of a format-patch mail after its headers (message, ---, diff)
body_of() { sed '1,/^$/d' "$1"; }
# diff_of FILE: the diff part of a format-patch mail (from the first `diff --git`), without the signature
diff_of() { sed -n '/^diff --git/,$p' "$1" | sed '/^-- $/,$d'; }
# qp: quoted-printable encode stdin
qp() { python3 -c "import sys,quopri; sys.stdout.buffer.write(quopri.encodestring(sys.stdin.buffer.read()))"; }
# b64: base64 encode stdin in 76-column lines
b64() { python3 -c "import sys,base64; sys.stdout.buffer.write(base64.encodebytes(sys.stdin.buffer.read()))"; }
# to CHARSET: re-encode UTF-8 stdin into CHARSET
to() { iconv -f UTF-8 -t "$1"; }
# word CHARSET Q|B TEXT: an RFC 2047 encoded word of the UTF-8 TEXT in CHARSET
word() { python3 - "$@" <<'PY'
import sys, base64, quopri
cs, enc, text = sys.argv[1], sys.argv[2].upper(), sys.argv[3]
raw = text.encode(cs)
if enc == 'B':
    data = base64.b64encode(raw).decode()
else:
    data = ''.join(chr(b) if (chr(b).isalnum() and b < 128) else ('_' if b == 32 else '=%02X' % b) for b in raw)
sys.stdout.write('=?%s?%s?%s?=' % (cs, enc, data))
PY
}
# mkmail OUT FROM DATE SUBJECT CHARSET CTE < BODY: a mail as a mail client sends it. BODY (bytes in
# CHARSET: message, '---', diff) is encoded with CTE (8bit, quoted-printable, base64). FROM and
# SUBJECT are written as given (encode them with `word`); an empty DATE leaves Date: out.
mkmail() {
  local out=$1 from=$2 date=$3 subject=$4 cs=$5 cte=$6
  { printf 'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n'
    printf 'From: %s\n' "$from"
    [ -z "$date" ] || printf 'Date: %s\n' "$date"
    printf 'Subject: %s\n' "$subject"
    printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=%s\nContent-Transfer-Encoding: %s\n\n' "$cs" "$cte"
    case $cte in quoted-printable) qp ;; base64) b64 ;; *) cat ;; esac
  } > "$out"
}
# work_diff: `git diff v1 HEAD` of upstream (the change a hand-written mail carries)
work_diff() { git -C "$ROOT/upstream" diff v1 HEAD; }
# plain_diff ARGS...: `diff ARGS` (exit 1 = differences is fine), files dated so output is stable
plain_diff() { local rc=0; diff "$@" || rc=$?; [ "$rc" -le 1 ]; }
# stamp DIR...: every file under DIR gets the mtime 2024-01-02 03:04:05 UTC
stamp() { find "$@" -type f -exec touch -d '2024-01-02 03:04:05' {} +; }
# plain_mail OUT SUBJECT < DIFF: a mail whose patch is a plain (non-git) diff
plain_mail() { { printf 'Plain diff, made with diff(1).\n---\n'; cat; } \
  | mkmail "$1" "Pat Plain <pat@example.invalid>" "Wed, 31 Jan 2024 12:00:00 +0100" "[PATCH] $2" UTF-8 8bit; }
