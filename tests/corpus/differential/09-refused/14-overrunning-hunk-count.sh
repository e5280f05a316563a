# A series whose second mail has a hunk whose new-line count overruns into the next file header.
# expect: refused
. "$CORPUS/lib.sh"
new_up; numbered u 10 > u.txt; numbered v 10 > v.txt; pin
sed -i 's/^u line 5$/u 5/' u.txt; commit "Edit u"
sed -i 's/^u line 9$/u 9/' u.txt; sed -i 's/^v line 2$/v 2/' v.txt; commit "Edit u and v"
fp v1
python3 - "$P"/0002-*.patch <<'PY'
import re, sys
p = sys.argv[1]
text = open(p).read()
text, n = re.subn(r'^(@@ -\d+,\d+ \+\d+,)(\d+)', lambda m: m.group(1) + str(int(m.group(2)) + 4), text, count=1, flags=re.M)
assert n == 1
open(p, 'w').write(text)
PY
