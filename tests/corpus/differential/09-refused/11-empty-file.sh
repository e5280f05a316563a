# A zero-byte patch file.
# expect: refused
. "$CORPUS/lib.sh"
new_up; echo x > x.txt; pin
: > "$P/0001-empty.patch"
