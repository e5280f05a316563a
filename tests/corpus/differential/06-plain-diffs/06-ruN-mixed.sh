# `diff -ruN` creating, deleting and editing files in one body, in a nested tree.
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir -p pkg/a pkg/b; numbered x 8 > pkg/a/x.py; numbered y 8 > pkg/b/y.py; echo z > pkg/z.txt; pin
cp -r "$ROOT/upstream" "$ROOT/old"; rm -rf "$ROOT/old/.git"; cp -r "$ROOT/old" "$ROOT/new"
rm "$ROOT/new/pkg/z.txt"; mkdir -p "$ROOT/new/pkg/c"; numbered w 3 > "$ROOT/new/pkg/c/w.py"
sed -i 's/^y line 8$/y line 8 (end)/' "$ROOT/new/pkg/b/y.py"; stamp "$ROOT/old" "$ROOT/new"
cd "$ROOT"; plain_diff -ruN old new | plain_mail "$P/0001-mixed.patch" "Restructure pkg"
