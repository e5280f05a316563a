# A `diff -u f.txt.orig f.txt` body: paths of one component, which git apply keeps although -p1 would strip them.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'a\nb\n' > f.txt; pin
cd "$ROOT"; printf 'a\nb\n' > f.txt.orig; printf 'a\nB\n' > f.txt; stamp f.txt f.txt.orig
plain_diff -u f.txt.orig f.txt | plain_mail "$P/0001-p0.patch" "Upper-case b"
