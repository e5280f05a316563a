# A binary file deleted (deleted file mode, literal 0 with the reverse literal).
# expect: same
. "$CORPUS/lib.sh"
new_up; bytes "b'\x00\x01\x02DELETE-ME\xff'*50" > old.bin; echo text > readme.txt; pin
git rm -q old.bin; commit "Drop old.bin"
fp --binary -1
grep -q '^deleted file mode' "$P"/*.patch
