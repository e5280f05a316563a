# The body quotes a whole unified diff ('--- a/...', '+++ b/...', '@@' lines) before the real one.
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; numbered q 10 > quota.py; pin
git checkout -q -b work
sed -i 's/^q line 7$/q line 7 (limit)/' quota.py
git commit -qa -F - <<'MSG'
Limit line seven

An earlier attempt was:
--- a/quota.py
+++ b/quota.py
@@ -7 +7 @@
-q line 7
+q line 7 (wrong)
which was rejected in review.
MSG
