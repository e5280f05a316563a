# `diff -Naur` with timestamps in a +0100 zone and a file whose name has a dash and dots.
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir -p etc/nova; numbered p 8 > etc/nova/api-paste.ini; pin
mkdir -p "$ROOT/orig/etc/nova" "$ROOT/patched/etc/nova"; cp etc/nova/api-paste.ini "$ROOT/orig/etc/nova/"; cp etc/nova/api-paste.ini "$ROOT/patched/etc/nova/"
sed -i 's/^p line 8$/p line 8 = paste/' "$ROOT/patched/etc/nova/api-paste.ini"
find "$ROOT/orig" "$ROOT/patched" -type f -exec env TZ=Europe/Paris touch -d '2024-02-01 10:00:00' {} +
cd "$ROOT"; TZ=Europe/Paris plain_diff -Naur orig patched | plain_mail "$P/0001-naur.patch" "Paste line 8"
