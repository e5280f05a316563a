# A pure rename (similarity index 100%), format-patch -M.
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir docs; numbered doc 10 > docs/guide.txt; pin
git mv docs/guide.txt docs/manual.txt; commit "Rename guide to manual"
fp -M -1
