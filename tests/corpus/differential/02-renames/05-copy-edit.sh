# A copy with an edit, while the source is edited too (copy from/copy to, similarity index).
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered tmpl 20 > base.tmpl; pin
cp base.tmpl gpu.tmpl
sed -i 's/^tmpl line 5$/tmpl line 5 gpu/' gpu.tmpl
sed -i 's/^tmpl line 19$/tmpl line 19 base/' base.tmpl
commit "Add a GPU template derived from the base one"
fp -C -1
grep -q '^copy from base.tmpl' "$P"/*.patch
