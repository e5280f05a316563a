# A git diff without 'index' lines (as some tools write it): edit plus a new file.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered e 10 > e.txt; pin
sed -i 's/^e line 5$/e line 5!/' e.txt; echo fresh > fresh.txt; commit x
work_diff | sed '/^index /d' | plain_mail "$P/0001-noindex.patch" "Edit e and add fresh"
