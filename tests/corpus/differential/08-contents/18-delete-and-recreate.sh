# A file deleted and another created with the same content, without rename detection (--no-renames).
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered r 8 > before.txt; pin
git mv before.txt after.txt; commit "Move without rename detection"
fp --no-renames -1
grep -q '^deleted file mode' "$P"/*.patch
