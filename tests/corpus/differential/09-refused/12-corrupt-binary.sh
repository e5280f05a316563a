# A GIT binary patch whose base85 data was damaged.
# expect: refused
. "$CORPUS/lib.sh"
new_up; echo t > t.txt; pin
bytes "bytes(random.randrange(256) for _ in range(300))" > b.bin; commit "Add b.bin"
fp --binary -1
python3 - "$P"/0001-*.patch <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split('\n')
i = next(i for i, l in enumerate(lines) if l.startswith('literal ')) + 2
lines[i] = lines[i][:10] + '~~~~' + lines[i][14:]
open(p, 'w').write('\n'.join(lines))
PY
