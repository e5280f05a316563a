# Two mails with plain diffs, the second editing what the first created.
# expect: same
. "$CORPUS/lib.sh"
new_up; echo base > base.txt; pin
mkdir -p "$ROOT/s0" "$ROOT/s1/docs" "$ROOT/s2/docs"; cp base.txt "$ROOT/s0/"; cp base.txt "$ROOT/s1/"; cp base.txt "$ROOT/s2/"
numbered d 12 > "$ROOT/s1/docs/ops.rst"; sed 's/^d line 2$/d line 2 (a)/; s/^d line 11$/d line 11 (b)/' "$ROOT/s1/docs/ops.rst" > "$ROOT/s2/docs/ops.rst"
stamp "$ROOT/s0" "$ROOT/s1" "$ROOT/s2"
cd "$ROOT"; plain_diff -ruN s0 s1 | plain_mail "$P/0001-create.patch" "Add the ops guide"
plain_diff -ruN s1 s2 | plain_mail "$P/0002-edit.patch" "Edit the ops guide"
