# A downstream backport of an upstream fix; v1 is the release that contains the fix itself.
# am: -3
# expect: already-applied
. "$CORPUS/lib.sh"
new_up; numbered f 10 > fix.py; commit v0; git tag v0
sed -i 's/^f line 4$/f line 4 (fix)/' fix.py; commit "Fix f4" "Change-Id: I4444444444444444444444444444444444444444"
FIX=$(git rev-parse HEAD)
git checkout -q -b work v0; git cherry-pick -x "$FIX" >/dev/null; fp -1
git checkout -q master; echo later > later.txt; pin "upstream: later work"
