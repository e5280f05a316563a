# A new file with mode 100755.
# expect: same
. "$CORPUS/lib.sh"
new_up; echo x > x.txt; pin
printf '#!/bin/sh\necho hello\n' > run-me.sh; chmod 755 run-me.sh; commit "Add run-me.sh"
fp -1
