# Two commits, each with a '---' line and a 'diff --git' line in the body.
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; numbered a 10 > a.txt; numbered b 10 > b.txt; pin
git checkout -q -b work
sed -i 's/^a line 2$/a line 2!/' a.txt
git commit -qa -m "First change" -m "Notes:
---
diff --git a/b.txt b/b.txt is the next one."
sed -i 's/^b line 9$/b line 9!/' b.txt
GIT_AUTHOR_DATE="2023-07-15T22:10:00-08:00" git commit -qa -m "Second change" -m "---
Only dashes above." -m "Change-Id: I3333333333333333333333333333333333333333"
