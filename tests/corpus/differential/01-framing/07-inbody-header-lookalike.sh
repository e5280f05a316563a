# The body starts with 'From:' and 'Date:' lines (git am takes them as in-body headers).
# git am takes the author and date from these lines: its tree is compared, not its author.
# expect: roundtrip
# git-am-author: wrong
. "$CORPUS/lib.sh"
new_up; printf 'x = 1\ny = 2\n' > vars.py; pin
git checkout -q -b work
sed -i 's/y = 2/y = 3/' vars.py
git commit -qa -F - <<'MSG'
Bump y

From: the report of Mallory Example <mallory@example.invalid>
Date: Tue, 5 Mar 2024 10:00:00 +0100
Subject: y must be 3 after the migration
MSG
