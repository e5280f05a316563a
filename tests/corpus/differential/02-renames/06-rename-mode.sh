# A rename that also makes the file executable (old mode/new mode with rename from/to).
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir tools; printf '#!/bin/sh\necho sync\n' > tools/sync; pin
git mv tools/sync tools/sync.sh; chmod +x tools/sync.sh; commit "Rename sync to sync.sh, make it executable"
fp -M -1
grep -q '^new mode 100755' "$P"/*.patch
