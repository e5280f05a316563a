# A submodule pointer bump (Subproject commit lines, index line of commit ids).
# expect: same
. "$CORPUS/lib.sh"
new_up; echo main > main.txt
printf '[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = https://example.invalid/lib.git\n' > .gitmodules
git add -A
git update-index --add --cacheinfo "160000,$(echo s1 | git hash-object --stdin),vendor/lib"
git commit -qm base; git tag v1
git update-index --cacheinfo "160000,$(echo s2 | git hash-object --stdin),vendor/lib"
git commit -qm "Bump vendor/lib"
fp -1
grep -q '^+Subproject commit' "$P"/*.patch
