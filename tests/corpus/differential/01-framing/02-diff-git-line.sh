# An unindented 'diff --git' line quoted in the body, and a '---' rule with trailing spaces.
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; mkdir -p app; numbered app 20 > app/main.py; pin
git checkout -q -b work
sed -i 's/^app line 10$/app line 10 # patched/' app/main.py
git commit -qa -F - <<'MSG'
Patch line ten (the message quotes a diff header)

To reproduce, apply this to the old tree:
diff --git a/app/main.py b/app/main.py
and run the tests.
---   
That is all.

Change-Id: I0123456789abcdef0123456789abcdef01234567
MSG
