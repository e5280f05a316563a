# The change is in v1, which also inserted lines above it (3-way merge finds nothing to do).
# am: -3
# expect: already-applied
. "$CORPUS/lib.sh"
new_up; numbered o 20 > o.txt; commit v0; git tag v0
git checkout -q -b work v0; sed -i 's/^o line 15$/o line 15 fixed/' o.txt; commit "Fix o15"; fp -1
git checkout -q master; { numbered new 8; sed 's/^o line 15$/o line 15 fixed/' o.txt; } > o.new; mv o.new o.txt; pin "upstream: header and o15"
