# A format-patch mail with its Date: header removed (git am uses the current time).
# expect: same-but-date
. "$CORPUS/lib.sh"
new_up; printf 'alpha\nbeta\ngamma\n' > f.txt; pin
sed -i 's/gamma/GAMMA/' f.txt; commit "Upper-case gamma" "Longer explanation."
fp -1
sed -i '/^Date: /d' "$P"/*.patch
