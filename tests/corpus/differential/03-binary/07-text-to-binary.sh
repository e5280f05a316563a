# A text file that becomes binary, and a binary file that becomes text.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered t 5 > data.dat; bytes "b'\x00\xff'*40" > blob.txt; pin
bytes "b'\x00BIN\x01'*30" > data.dat; printf 'now text\n' > blob.txt
commit "Swap text and binary"
fp --binary -1
