# A series bumping the same submodule twice, the second on top of the first.
# expect: same
. "$CORPUS/lib.sh"
new_up; echo m > m.txt; git add -A
git update-index --add --cacheinfo "160000,$(echo r1 | git hash-object --stdin),ext/lib"
git commit -qm base; git tag v1
for r in r2 r3; do
  git update-index --cacheinfo "160000,$(echo $r | git hash-object --stdin),ext/lib"; git commit -qm "Bump ext/lib to $r"
done
fp v1
