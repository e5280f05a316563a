# A `diff -u` body with '\ No newline at end of file' on both sides.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'one\ntwo\nthree' > n.txt; pin
mkdir -p "$ROOT/a" "$ROOT/b"; cp n.txt "$ROOT/a/"; printf 'one\ntwo\nTHREE' > "$ROOT/b/n.txt"; stamp "$ROOT/a" "$ROOT/b"
cd "$ROOT"; plain_diff -u a/n.txt b/n.txt | plain_mail "$P/0001-nonl.patch" "Upper-case three"
grep -q '^\\ No newline at end of file' "$P/0001-nonl.patch"
