# An svn-style 'Index:' line and '====' rule quoted in the body.
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; printf 'a\nb\nc\n' > f.txt; pin
git checkout -q -b work
sed -i 's/b/B/' f.txt
git commit -qa -F - <<'MSG'
Make b upper-case

The svn patch we were sent looked like this:
Index: f.txt
===================================================================
and it did not apply with patch -p1.

Signed-off-by: Ada Example <ada@example.invalid>
MSG
