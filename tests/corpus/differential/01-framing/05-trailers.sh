# Many trailers: Gerrit, Launchpad, DEP-3, co-authors with non-ASCII names, cherry-pick provenance.
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; numbered sched 30 > scheduler.py; pin
git checkout -q -b work
sed -i 's/^sched line 15$/sched line 15 (sorted)/' scheduler.py
git commit -qa -F - <<'MSG'
Sort hosts before weighing

Closes-Bug: #2000001
Related-Bug: #2000002
Upstream-Status: Backport 0123456789abcdef0123456789abcdef01234567
Co-authored-by: Zoë Ångström <zoe@example.invalid>
Signed-off-by: Ada Example <ada@example.invalid>
Change-Id: I2222222222222222222222222222222222222222
(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)
MSG
