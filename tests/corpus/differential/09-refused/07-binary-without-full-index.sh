# A binary change without the binary data ('Binary files ... differ', format-patch --no-binary).
# expect: refused
. "$CORPUS/lib.sh"
new_up; bytes "bytes(range(256))" > b.bin; pin
bytes "bytes(range(255, -1, -1))" > b.bin; commit "Reverse b.bin"
fp --no-binary -1
grep -q '^Binary files' "$P"/*.patch
