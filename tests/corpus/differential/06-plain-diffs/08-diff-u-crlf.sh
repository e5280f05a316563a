# A `diff -u` body for a CRLF file (the CRs are part of the lines).
# am: --keep-cr
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'l1\r\nl2\r\nl3\r\nl4\r\n' > win.ini; pin
mkdir -p "$ROOT/a" "$ROOT/b"; cp win.ini "$ROOT/a/"; printf 'l1\r\nL2\r\nl3\r\nl4\r\n' > "$ROOT/b/win.ini"; stamp "$ROOT/a" "$ROOT/b"
cd "$ROOT"; plain_diff -u a/win.ini b/win.ini | plain_mail "$P/0001-crlf.patch" "Upper-case l2"
