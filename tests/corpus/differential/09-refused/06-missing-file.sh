# A patch to a file that v1 does not have, with a preimage blob that exists nowhere.
# am: -3
# expect: refused
. "$CORPUS/lib.sh"
new_up; echo x > x.txt; pin
mkdir -p "$ROOT/other"; cd "$ROOT/other"; git init -q; numbered g 5 > ghost.py; commit g
sed -i 's/^g line 2$/g 2/' ghost.py; commit "Edit the ghost"; fp -1
