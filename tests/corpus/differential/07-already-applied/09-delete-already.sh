# The patch deletes a file that v1 already deleted.
# am: -3
# expect: already-applied
. "$CORPUS/lib.sh"
new_up; echo x > x.txt; numbered d 5 > dead.py; commit v0; git tag v0
git checkout -q -b work v0; git rm -q dead.py; commit "Remove dead.py"; fp -1
git checkout -q master; git rm -q dead.py; commit "upstream: remove dead.py"; echo y > y.txt; pin "upstream: more"
