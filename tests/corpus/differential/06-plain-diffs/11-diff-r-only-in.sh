# `diff -ru` (without -N) of two trees: 'Only in' lines between the file diffs, which git apply skips.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered a 10 > a.txt; numbered b 10 > b.txt; pin
mkdir -p "$ROOT/old" "$ROOT/new"; cp a.txt b.txt "$ROOT/old/"; cp a.txt b.txt "$ROOT/new/"
echo stray > "$ROOT/old/stray.orig"; echo stray > "$ROOT/new/build.log"
sed -i 's/^a line 3$/a 3/' "$ROOT/new/a.txt"; sed -i 's/^b line 7$/b 7/' "$ROOT/new/b.txt"; stamp "$ROOT/old" "$ROOT/new"
cd "$ROOT"; plain_diff -ru old new | plain_mail "$P/0001-only-in.patch" "Edit a and b"
grep -q '^Only in' "$P/0001-only-in.patch"
