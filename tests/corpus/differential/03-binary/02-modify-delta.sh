# Two bytes changed in a 1 KiB binary file (GIT binary patch, delta both ways).
# expect: same
. "$CORPUS/lib.sh"
new_up; bytes "bytes(range(256))*4" > keep.bin; pin
bytes "bytes(b if i not in (100, 700) else 0x55 for i, b in enumerate(bytes(range(256))*4))" > keep.bin
commit "Patch two bytes of keep.bin"
fp --binary -1
grep -q '^delta ' "$P"/*.patch
