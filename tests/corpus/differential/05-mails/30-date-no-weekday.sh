# A Date: header without the weekday and with an odd zone: '5 Feb 2024 07:08:09 -0130'.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'a\n' > f.txt; pin
echo date >> f.txt; commit x
{ printf 'Body.\n---\n'; work_diff; } \
  | mkmail "$P/0001-date.patch" "Ada Example <ada@example.invalid>" "5 Feb 2024 07:08:09 -0130" "[PATCH] Odd date" UTF-8 8bit
