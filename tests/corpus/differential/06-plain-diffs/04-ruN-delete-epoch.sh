# `diff -ruN` deleting a file: the new side is dated 1970-01-01, hunk +0,0.
# expect: same
. "$CORPUS/lib.sh"
new_up; echo keep > keep.txt; numbered legacy 5 > legacy.py; pin
mkdir -p "$ROOT/old" "$ROOT/new"; cp keep.txt legacy.py "$ROOT/old/"; cp keep.txt "$ROOT/new/"; stamp "$ROOT/old" "$ROOT/new"
cd "$ROOT"; plain_diff -ruN old new | plain_mail "$P/0001-delete.patch" "Drop legacy.py"
grep -q '^+++ new/legacy.py	1970-01-01' "$P/0001-delete.patch"
