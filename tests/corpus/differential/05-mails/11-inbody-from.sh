# git format-patch --from=<sender>: the sender in the header, the author in an in-body From: line.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'alpha\nbeta\ngamma\n' > f.txt; pin
sed -i 's/beta/BETA/' f.txt
GIT_AUTHOR_NAME="Jörg Author" GIT_AUTHOR_EMAIL=jorg@example.invalid GIT_AUTHOR_DATE="2023-03-04T05:06:07+02:00" commit "Upper-case beta" "Longer explanation."
fp --from="Sam Sender <sam@example.invalid>" -1
grep -q '^From: =?UTF-8?q?J=C3=B6rg' "$P"/*.patch || grep -q '^From: Jörg Author' "$P"/*.patch
