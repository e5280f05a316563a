# Add, modify (delta) and delete binaries plus a text edit, in one patch.
# expect: same
. "$CORPUS/lib.sh"
new_up
bytes "bytes(range(256))*4" > keep.bin; bytes "b'\x00\x01\x02DELETE-ME\xff'*50" > old.bin; echo text > readme.txt; pin
bytes "bytes(b if i != 100 else 0 for i, b in enumerate(bytes(range(256))*4))" > keep.bin
git rm -q old.bin
bytes "bytes(random.randrange(256) for _ in range(3000))" > new.bin
echo "text, binary assets updated" > readme.txt
commit "Update binary assets"
fp -1
