# A Debian DEP-3 header (Description:/Author:) instead of mail headers: "Patch format detection failed."
# expect: refused
. "$CORPUS/lib.sh"
new_up; printf 'alpha\nbeta\n' > f.txt; pin
sed -i 's/beta/BETA/' f.txt; commit x
{ printf 'Description: Upper-case beta\n Longer explanation.\nAuthor: Ada Example <ada@example.invalid>\nForwarded: not-needed\nLast-Update: 2024-01-02\n---\n'; work_diff; } > "$P/0001-dep3.patch"
