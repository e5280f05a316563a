# A patch touching two files, both changes already in v1 (with unrelated upstream edits nearby).
# am: -3
# expect: already-applied
. "$CORPUS/lib.sh"
new_up; numbered p 15 > p.py; numbered q 15 > q.py; commit v0; git tag v0
git checkout -q -b work v0
sed -i 's/^p line 7$/p line 7 x/' p.py; sed -i 's/^q line 8$/q line 8 x/' q.py; commit "Touch p and q"; fp -1
git checkout -q master
sed -i 's/^p line 7$/p line 7 x/; s/^p line 1$/p line 1 up/' p.py; sed -i 's/^q line 8$/q line 8 x/; s/^q line 15$/q line 15 up/' q.py
pin "upstream: same change plus more"
