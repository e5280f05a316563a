# A rename chain in one patch: b.txt -> c.txt and a.txt -> b.txt.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered alpha 60 > a.txt; numbered beta 60 > b.txt; pin
git mv b.txt c.txt; git mv a.txt b.txt; commit "Shift a to b and b to c"
fp -B -M -1
grep -q '^rename from a.txt' "$P"/*.patch
