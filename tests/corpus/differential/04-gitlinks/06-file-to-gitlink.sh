# A directory of vendored files replaced by a submodule (files deleted, gitlink added).
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir vendored; echo one > vendored/one.c; echo main > main.c; pin
git rm -q -r vendored
git update-index --add --cacheinfo "160000,$(echo sub | git hash-object --stdin),vendored"
git commit -qm "Vendor the library as a submodule"
fp -1
