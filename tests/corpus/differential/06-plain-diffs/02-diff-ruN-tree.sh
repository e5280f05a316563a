# A `diff -ruN old new` body editing files in two directories ('diff -ruN' lines between files).
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir -p api db; numbered api 20 > api/servers.py; numbered db 20 > db/models.py; pin
cp -r "$ROOT/upstream" "$ROOT/old"; rm -rf "$ROOT/old/.git"; cp -r "$ROOT/old" "$ROOT/new"
sed -i 's/^api line 2$/api line 2 (new)/; s/^api line 19$/api line 19 (new)/' "$ROOT/new/api/servers.py"
sed -i 's/^db line 10$/db line 10 (new)/' "$ROOT/new/db/models.py"; stamp "$ROOT/old" "$ROOT/new"
cd "$ROOT"; plain_diff -ruN old new | plain_mail "$P/0001-ruN.patch" "Edit servers and models"
grep -q '^diff -ruN old/api/servers.py new/api/servers.py' "$P/0001-ruN.patch"
