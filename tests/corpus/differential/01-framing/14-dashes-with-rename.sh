# A '---' line in the message of a commit that renames and edits a file (framing plus a rename).
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; mkdir lib; numbered util 20 > lib/util.py; pin
git checkout -q -b work
git mv lib/util.py lib/helpers.py; sed -i 's/^util line 12$/util line 12 (renamed)/' lib/helpers.py
git commit -qa -F - <<'MSG'
Rename util.py to helpers.py

---
Reviewers: the file is only renamed, line 12 aside.
MSG
