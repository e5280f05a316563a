# A reply subject 'Re: [PATCH 2/2] ...' (git am strips 'Re:' and the bracket prefix).
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'a\nb\n' > f.txt; pin
echo e >> f.txt; commit x
{ printf 'Updated patch below.\n---\n'; work_diff; } \
  | mkmail "$P/0001-re.patch" "Ada Example <ada@example.invalid>" "Tue, 23 Jan 2024 10:00:00 +0000" "Re: [PATCH 2/2] Add e" UTF-8 8bit
