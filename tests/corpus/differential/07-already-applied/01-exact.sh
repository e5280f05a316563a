# v1 already has the patch's change, made verbatim upstream.
# am: -3
# expect: already-applied
. "$CORPUS/lib.sh"
new_up; numbered a 12 > a.txt; commit v0; git tag v0
git checkout -q -b work v0; sed -i 's/^a line 3$/a line 3 fixed/' a.txt; commit "Fix a3"; fp -1
git checkout -q master; sed -i 's/^a line 3$/a line 3 fixed/' a.txt; pin "upstream: fix a3 (backported)"
