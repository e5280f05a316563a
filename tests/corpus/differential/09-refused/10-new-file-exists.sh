# A patch that creates a file v1 already has, with other content: "already exists in index".
# expect: refused
. "$CORPUS/lib.sh"
new_up; echo x > x.txt; echo "upstream version" > extra.txt; commit v0; git tag v0
git checkout -q -b work HEAD~0; git rm -q extra.txt; commit "rm"; echo "downstream version" > extra.txt; commit "Add extra.txt"; fp -1
git checkout -q master; git tag v1
