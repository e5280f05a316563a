# A new CRLF file and an edit to an LF file in the same patch.
# am: --keep-cr
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'a\nb\n' > lf.txt; pin
printf '[section]\r\nkey=value\r\n' > setup.ini; printf 'a\nB\n' > lf.txt; commit "Add setup.ini"
fp -1
