# Encoded words written in lower case ('=?utf-8?b?...?=', '=?iso-8859-1?q?...?=') mixed with plain words.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'a\n' > f.txt; pin
echo lower >> f.txt; commit x
n=$(word utf-8 B 'Ærøskøbing' | sed 's/?B?/?b?/'); s=$(word iso-8859-1 Q 'für' | sed 's/?Q?/?q?/')
{ printf 'Body.\n---\n'; work_diff; } \
  | mkmail "$P/0001-lower.patch" "Ole $n <ole@example.invalid>" "Mon, 29 Jan 2024 10:00:00 +0100" "[PATCH] Fix $s alle" UTF-8 8bit
grep -q '=?utf-8?b?' "$P/0001-lower.patch"
