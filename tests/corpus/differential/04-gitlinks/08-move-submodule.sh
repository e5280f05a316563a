# A submodule moved to another path (gitlink deleted and added, .gitmodules path edited).
# expect: same
. "$CORPUS/lib.sh"
new_up; printf '[submodule "lib"]\n\tpath = lib\n\turl = https://example.invalid/lib.git\n' > .gitmodules; git add -A
git update-index --add --cacheinfo "160000,$(echo o | git hash-object --stdin),lib"
git commit -qm base; git tag v1
git rm -q --cached lib
git update-index --add --cacheinfo "160000,$(echo o | git hash-object --stdin),third_party/lib"
printf '[submodule "lib"]\n\tpath = third_party/lib\n\turl = https://example.invalid/lib.git\n' > .gitmodules; git add .gitmodules
git commit -qm "Move lib under third_party/"
fp -M -1
