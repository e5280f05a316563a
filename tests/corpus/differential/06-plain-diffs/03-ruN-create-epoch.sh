# `diff -ruN` creating a file: the old side is dated 1970-01-01 (the epoch), hunk -0,0.
# expect: same
. "$CORPUS/lib.sh"
new_up; echo keep > keep.txt; pin
mkdir -p "$ROOT/old" "$ROOT/new/tools"; cp keep.txt "$ROOT/old/"; cp keep.txt "$ROOT/new/"
printf '#!/bin/sh\necho new tool\n' > "$ROOT/new/tools/new-tool.sh"; stamp "$ROOT/old" "$ROOT/new"
cd "$ROOT"; plain_diff -ruN old new | plain_mail "$P/0001-create.patch" "Add a tool"
grep -q '^--- old/tools/new-tool.sh	1970-01-01' "$P/0001-create.patch"
