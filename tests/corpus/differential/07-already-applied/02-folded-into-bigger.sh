# v1 contains the change folded into a bigger upstream commit (other lines and files changed too).
# am: -3
# expect: already-applied
. "$CORPUS/lib.sh"
new_up; numbered b 12 > b.txt; commit v0; git tag v0
git checkout -q -b work v0; sed -i 's/^b line 5$/b line 5 fixed/' b.txt; commit "Fix b5"; fp -1
git checkout -q master; sed -i 's/^b line 5$/b line 5 fixed/; s/^b line 11$/b line 11 too/' b.txt; echo new > d.txt; pin "upstream: fix b5, b11, add d"
