# A new 3000-byte random binary file (GIT binary patch, literal).
# expect: same
. "$CORPUS/lib.sh"
new_up; echo text > readme.txt; pin
bytes "bytes(random.randrange(256) for _ in range(3000))" > firmware.bin; commit "Add firmware blob"
fp --binary -1
grep -q '^literal 3000' "$P"/*.patch
