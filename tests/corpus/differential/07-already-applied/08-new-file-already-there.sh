# The patch adds a file that v1 already has with the same content.
# am: -3
# expect: already-applied
. "$CORPUS/lib.sh"
new_up; echo x > x.txt; commit v0; git tag v0
git checkout -q -b work v0; numbered h 5 > helper.py; commit "Add helper.py"; fp -1
git checkout -q master; numbered h 5 > helper.py; pin "upstream: helper.py"
