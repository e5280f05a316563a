# A submodule removed: gitlink deleted (deleted file mode 160000), .gitmodules edited.
# expect: same
. "$CORPUS/lib.sh"
new_up; echo main > main.txt
printf '[submodule "a"]\n\tpath = a\n\turl = https://example.invalid/a.git\n[submodule "b"]\n\tpath = b\n\turl = https://example.invalid/b.git\n' > .gitmodules
git add -A
git update-index --add --cacheinfo "160000,$(echo a | git hash-object --stdin),a"
git update-index --add --cacheinfo "160000,$(echo b | git hash-object --stdin),b"
git commit -qm base; git tag v1
git rm -q --cached b
printf '[submodule "a"]\n\tpath = a\n\turl = https://example.invalid/a.git\n' > .gitmodules; git add .gitmodules
git commit -qm "Drop submodule b"
fp -1
grep -q '^deleted file mode 160000' "$P"/*.patch
