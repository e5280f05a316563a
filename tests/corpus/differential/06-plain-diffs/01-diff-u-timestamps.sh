# A `diff -u a/f b/f` body with timestamps on the ---/+++ lines (-p1 paths).
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir etc; numbered cfg 15 > etc/nova.conf; pin
mkdir -p "$ROOT/a/etc" "$ROOT/b/etc"; cp etc/nova.conf "$ROOT/a/etc/"; cp etc/nova.conf "$ROOT/b/etc/"
sed -i 's/^cfg line 7$/cfg line 7 = on/' "$ROOT/b/etc/nova.conf"; stamp "$ROOT/a" "$ROOT/b"
cd "$ROOT"; plain_diff -u a/etc/nova.conf b/etc/nova.conf | plain_mail "$P/0001-diff-u.patch" "Turn line 7 on"
grep -q '^--- a/etc/nova.conf	2024-01-02' "$P/0001-diff-u.patch"
