# A series of three patches editing the same binary file in turn.
# expect: same
. "$CORPUS/lib.sh"
new_up; bytes "bytes(range(256))*16" > table.bin; pin
for k in 1 2 3; do
  python3 -c "import sys; b=bytearray(open('table.bin','rb').read()); b[$k*500]=$k; sys.stdout.buffer.write(bytes(b))" > t.tmp
  mv t.tmp table.bin; commit "Table patch $k"
done
fp --binary v1
