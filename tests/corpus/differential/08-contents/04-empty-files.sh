# A series: add an empty file (no hunk), delete an empty file, empty a file, fill an empty file.
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir pkg; : > pkg/old_marker; printf 'some\ncontent\n' > config.ini; : > placeholder; pin
mkdir -p newpkg/sub; : > newpkg/sub/__init__.py; commit "Add an empty package marker"
git rm -q pkg/old_marker; commit "Remove the empty marker"
: > config.ini; commit "Empty the config file"
printf 'now\nfilled\n' > placeholder; commit "Fill the placeholder"
fp v1
