# A quoted display name with a comma and parentheses: From: "Doe, Jane (Cloud)" <jane@...>.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'x\n' > x.txt; pin
echo w > x.txt; commit x
{ printf 'Body text.\n---\n'; work_diff; } \
  | mkmail "$P/0001-quoted.patch" '"Doe, Jane (Cloud)" <jane@example.invalid>' "Fri, 19 Jan 2024 10:00:00 +0000" "[PATCH] Quote the name" UTF-8 8bit
