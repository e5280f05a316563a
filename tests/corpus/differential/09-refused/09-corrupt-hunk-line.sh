# A hunk with a line that has no ' ', '+' or '-' prefix (its leading space stripped by an editor).
# expect: refused
. "$CORPUS/lib.sh"
new_up; numbered k 10 > k.txt; pin
sed -i 's/^k line 5$/k line 5 (x)/' k.txt; commit "Edit k5"
fp -1
sed -i 's/^ k line 4$/k line 4/' "$P"/*.patch
grep -q '^k line 4$' "$P"/*.patch
