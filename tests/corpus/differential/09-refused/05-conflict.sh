# A patch made on v0 whose line v1 changed differently: git am -3 stops with a conflict.
# am: -3
# expect: refused
. "$CORPUS/lib.sh"
new_up; numbered line 10 > f.txt; commit v0; git tag v0
git checkout -q -b work v0; sed -i 's/^line line 5$/line 5 (patch)/' f.txt; commit "Patch line 5"; fp -1
git checkout -q master; sed -i 's/^line line 5$/line 5 (upstream)/' f.txt; pin "v1 edits line 5"
