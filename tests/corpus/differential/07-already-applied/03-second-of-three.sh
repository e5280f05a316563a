# A series of three: the first applies, the second is already in v1 (git am -3 skips it), the third applies.
# am: -3
# expect: already-applied
. "$CORPUS/lib.sh"
new_up; numbered c 20 > c.txt; commit v0; git tag v0
git checkout -q -b work v0
sed -i 's/^c line 2$/c line 2 one/' c.txt; commit "One"
sed -i 's/^c line 10$/c line 10 two/' c.txt; commit "Two"
sed -i 's/^c line 18$/c line 18 three/' c.txt; commit "Three"
fp v0
git checkout -q master; sed -i 's/^c line 10$/c line 10 two/' c.txt; pin "upstream: two"
