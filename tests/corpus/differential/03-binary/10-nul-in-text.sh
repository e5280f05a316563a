# A mostly-text file with one NUL byte (git treats it as binary), edited.
# expect: same
. "$CORPUS/lib.sh"
new_up; { numbered rec 20; printf 'marker\0end\n'; } > records.db; pin
subst records.db "b'rec line 3\n'" "b'rec line three\n'"
commit "Edit a record"
fp --binary -1
grep -q '^GIT binary patch' "$P"/*.patch
