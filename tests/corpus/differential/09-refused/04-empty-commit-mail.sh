# The mail of an empty commit, between two real ones (format-patch --always): "Patch is empty."
# expect: refused
. "$CORPUS/lib.sh"
new_up; printf 'a\nb\n' > f.txt; pin
sed -i 's/a/A/' f.txt; commit "Real change before"
git commit -q --allow-empty -m "Placeholder: track downstream release 1.2" -m "No code change."
sed -i 's/b/B/' f.txt; commit "Real change after"
fp --always v1
[ "$(ls "$P" | wc -l)" = 3 ]
