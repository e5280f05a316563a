# Whitespace-only changes: trailing spaces added and removed, a tab turned into spaces, a blank line with spaces.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'a  \nb\n\tc\nd\n\ne\n' > ws.txt; pin
printf 'a\nb   \n    c\nd\n  \ne\n' > ws.txt; commit "Whitespace"
fp -1
