# A binary file rewritten completely (literal forward, literal or delta reverse).
# expect: same
. "$CORPUS/lib.sh"
new_up; bytes "bytes(random.randrange(256) for _ in range(800))" > logo.png; pin
python3 -c "import sys,random; random.seed(99); sys.stdout.buffer.write(bytes(random.randrange(256) for _ in range(1200)))" > logo.png
commit "Replace the logo"
fp --binary -1
grep -q '^literal 1200' "$P"/*.patch
