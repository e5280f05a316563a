# A DEP-3 header in its From:/Subject: spelling (no Date:): git am reads it as a mail and uses the current time.
# expect: same-but-date
. "$CORPUS/lib.sh"
new_up; printf 'alpha\nbeta\n' > f.txt; pin
sed -i 's/beta/BETA/' f.txt; commit x
{ printf 'From: Ada Example <ada@example.invalid>\nSubject: Upper-case beta\nOrigin: upstream, https://example.invalid/commit/1\nForwarded: not-needed\n\nLonger explanation.\n---\n'; work_diff; } > "$P/0001-dep3-from.patch"
