# A text file with neither mail headers nor a diff: "Patch format detection failed."
# expect: refused
. "$CORPUS/lib.sh"
new_up; echo x > x.txt; pin
printf 'Notes for the next release\n\nNothing to apply here.\n' > "$P/0001-notes.patch"
