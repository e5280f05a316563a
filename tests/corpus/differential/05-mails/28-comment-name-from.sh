# An old-style From: header with the name in a comment: 'addr (Name)'.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'a\n' > f.txt; pin
echo comment >> f.txt; commit x
{ printf 'Body.\n---\n'; work_diff; } \
  | mkmail "$P/0001-comment.patch" "old.style@example.invalid (Old Style)" "Sun, 28 Jan 2024 10:00:00 +0000" "[PATCH] Comment name" UTF-8 8bit
