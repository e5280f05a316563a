# A `diff -u` body made on v0; v1 inserted ten lines above the hunk (applies at an offset).
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered s 30 > s.py; commit v0; git tag v0
mkdir -p "$ROOT/a" "$ROOT/b"; cp s.py "$ROOT/a/"; sed 's/^s line 25$/s line 25 (fixed)/' s.py > "$ROOT/b/s.py"; stamp "$ROOT/a" "$ROOT/b"
{ numbered header 10; cat s.py; } > s.new; mv s.new s.py; pin "v1 adds a header"
cd "$ROOT"; plain_diff -u a/s.py b/s.py | plain_mail "$P/0001-offset.patch" "Fix line 25"
