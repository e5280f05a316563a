# A bump together with a .gitmodules URL and branch change.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf '[submodule "lib"]\n\tpath = lib\n\turl = https://old.example.invalid/lib.git\n' > .gitmodules; git add -A
git update-index --add --cacheinfo "160000,$(echo o | git hash-object --stdin),lib"
git commit -qm base; git tag v1
printf '[submodule "lib"]\n\tpath = lib\n\turl = https://new.example.invalid/lib.git\n\tbranch = stable\n' > .gitmodules; git add .gitmodules
git update-index --cacheinfo "160000,$(echo n | git hash-object --stdin),lib"
git commit -qm "Move lib to the new server"
fp -1
