# A patch made on v0; v1 inserted twelve lines above its hunk (git apply finds it at an offset).
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered s 40 > s.py; commit v0; git tag v0
git checkout -q -b work v0; sed -i 's/^s line 30$/s line 30 (fixed)/' s.py; commit "Fix line 30"; fp -1
git checkout -q master; { numbered header 12; cat s.py; } > s.new; mv s.new s.py; pin "v1 adds a header"
