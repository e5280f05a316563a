# A file that mixes LF and CRLF lines, edited next to both kinds.
# am: --keep-cr
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'lf 1\ncrlf 2\r\nlf 3\ncrlf 4\r\nlf 5\n' > mixed.txt; pin
printf 'lf 1\ncrlf 2 changed\r\nlf 3 changed\ncrlf 4\r\nlf 5\n' > mixed.txt; commit "Touch mixed endings"
fp -1
