# A pure rename whose source v1 does not have (git am: "does not exist in index").
# expect: refused
. "$CORPUS/lib.sh"
new_up; numbered s 5 > src.txt; commit v0; git tag v0
git checkout -q -b work v0; git mv src.txt dst.txt; commit "Rename src.txt"; fp -M -1
git checkout -q master; git rm -q src.txt; echo other > other.txt; pin "v1 drops src.txt"
