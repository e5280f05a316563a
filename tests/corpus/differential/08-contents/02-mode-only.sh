# A mode-only change (old mode 100644, new mode 100755, no hunk).
# expect: same
. "$CORPUS/lib.sh"
new_up; printf '#!/bin/sh\necho build\n' > build.sh; pin
chmod +x build.sh; commit "Make build.sh executable"
fp -1
