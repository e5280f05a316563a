# A patch made on v0; v1 changed a line of the hunk's context: git am -3 merges it.
# am: -3
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered line 10 > f.txt; commit v0; git tag v0
git checkout -q -b work v0; sed -i 's/^line line 5$/line 5 (patch)/' f.txt; commit "Patch line 5"; fp -1
git checkout -q master; sed -i 's/^line line 3$/line 3 (upstream)/' f.txt; pin "v1 edits line 3"
