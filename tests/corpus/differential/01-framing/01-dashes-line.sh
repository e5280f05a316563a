# A '---' line in the body, then more text and Signed-off-by (git am cuts the message there).
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; numbered conf 12 > conf.ini; pin
git checkout -q -b work
sed -i 's/^conf line 4$/conf line 4 = fixed/' conf.ini
git commit -qa -F - <<'MSG'
Fix the fourth setting

Background
---
The old value broke the parser when the file was reloaded.

Signed-off-by: Ada Example <ada@example.invalid>
MSG
