# A mail saved without the mbox 'From ' line (it starts with its From: header).
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'a\nb\n' > f.txt; pin
echo c >> f.txt; GIT_AUTHOR_DATE="2022-02-22T22:22:22+01:00" commit "Add c"
fp -1
sed -i '1d' "$P"/*.patch
head -1 "$P"/*.patch | grep -q '^From: '
