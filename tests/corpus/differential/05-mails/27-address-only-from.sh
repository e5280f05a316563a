# A From: header with a bare address and no display name.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'a\n' > f.txt; pin
echo bare >> f.txt; commit x
{ printf 'Body.\n---\n'; work_diff; } \
  | mkmail "$P/0001-bare.patch" "bare.address@example.invalid" "Sat, 27 Jan 2024 10:00:00 +0000" "[PATCH] Bare address" UTF-8 8bit
