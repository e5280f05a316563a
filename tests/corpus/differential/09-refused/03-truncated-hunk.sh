# A hunk cut short: its header counts more lines than the file holds ("corrupt patch").
# expect: refused
. "$CORPUS/lib.sh"
new_up; numbered t 20 > t.txt; pin
sed -i 's/^t line 10$/t line 10 (x)/' t.txt; commit "Edit t10"
fp -1
python3 - "$P"/0001-*.patch <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split('\n')
i = max(i for i, l in enumerate(lines) if l.startswith('+t line 10'))
open(p, 'w').write('\n'.join(lines[:i + 1]) + '\n')
PY
