# v1 already renamed the file as the patch does (git am -3 cannot build the fake ancestor: it refuses).
# am: -3
# expect: refused
. "$CORPUS/lib.sh"
new_up; numbered r 12 > old_name.py; commit v0; git tag v0
git checkout -q -b work v0; git mv old_name.py new_name.py; commit "Rename old_name.py"; fp -M -1
git checkout -q master; git mv old_name.py new_name.py; echo more > more.txt; pin "upstream: rename too"
