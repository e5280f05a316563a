# An edit that also drops the executable bit (100755 -> 100644 with a hunk).
# expect: same
. "$CORPUS/lib.sh"
new_up; printf '#!/bin/sh\necho old\n' > tool.sh; chmod +x tool.sh; pin
printf '#!/bin/sh\necho new\n' > tool.sh; chmod -x tool.sh; commit "tool.sh: edit, drop the exec bit"
fp -1
