# A bump in the same patch as a code change that uses it.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered code 10 > code.py
git add -A
git update-index --add --cacheinfo "160000,$(echo 1 | git hash-object --stdin),deps/oslo"
git commit -qm base; git tag v1
git update-index --cacheinfo "160000,$(echo 2 | git hash-object --stdin),deps/oslo"
sed -i 's/^code line 4$/code line 4 uses oslo 2/' code.py; git add code.py
git commit -qm "Use oslo 2"
fp -1
