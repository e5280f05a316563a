# A DEP-3 header (Description:/Author:/Origin:/Bug:) ended by a blank line, then the diff: no From:, no mail.
# expect: refused
. "$CORPUS/lib.sh"
new_up; printf 'alpha\nbeta\n' > f.txt; pin
sed -i 's/alpha/ALPHA/' f.txt; commit x
{ printf 'Description: Upper-case alpha\nAuthor: Ada Example <ada@example.invalid>\nOrigin: vendor, https://example.invalid/x\nBug: https://bugs.example.invalid/1\nLast-Update: 2024-01-02\n\n'; work_diff; } > "$P/0001-dep3-blank.patch"
