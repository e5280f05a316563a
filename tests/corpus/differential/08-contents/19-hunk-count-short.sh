# A hunk header that counts fewer lines than follow (a hand-edited patch): git apply stops at the count.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered h 10 > h.txt; pin
sed -i 's/^h line 5$/h line 5 (x)/' h.txt; commit "Edit h5"
fp -1
sed -i 's/^@@ -2,7 +2,7 @@/@@ -2,5 +2,5 @@/' "$P"/*.patch
grep -q '^@@ -2,5 +2,5 @@' "$P"/*.patch
