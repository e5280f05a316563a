# A message committed verbatim: trailing spaces, two blank lines, a '# ' line, a tab-indented line.
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; printf 'alpha\nbeta\n' > g.txt; pin
git checkout -q -b work
sed -i 's/beta/BETA/' g.txt
printf 'Upper-case beta  \n\n# not a comment: this line is part of the message\n\tindented with a tab\n\n\nafter two blank lines\n' > "$ROOT/msg"
git commit -qa --cleanup=verbatim -F "$ROOT/msg"
