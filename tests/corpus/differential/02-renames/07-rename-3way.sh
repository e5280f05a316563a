# A rename with an edit made on v0; v1 changed a line of the hunk's context: needs the 3-way merge.
# am: -3
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered w 30 > weigher.py; commit v0; git tag v0
git checkout -q -b work v0
git mv weigher.py weighers.py; sed -i 's/^w line 20$/w line 20 (cached)/' weighers.py
commit "Rename weigher.py and cache line 20"
fp -M -1
git checkout -q master
sed -i 's/^w line 18$/w line 18 (upstream)/' weigher.py; pin "v1 edits line 18"
