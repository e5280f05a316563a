# A long subject folded over three header lines (continuation lines start with a space or a tab).
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'k\n' > k.txt; pin
echo K > k.txt; commit x
{ printf 'Body.\n---\n'; work_diff; } \
  | mkmail "$P/0001-folded.patch" "Ada Example <ada@example.invalid>" "Tue, 16 Jan 2024 10:00:00 +0000" \
      "$(printf '[PATCH] Make the scheduler weigh every host only once per request\n even when hundreds of instances are requested at the same time\n\tand the fleet has thousands of hypervisors')" UTF-8 8bit
