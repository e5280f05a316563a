# A CRLF file edited (the patch lines carry the CRs).
# am: --keep-cr
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'line one\r\nline two\r\nline three\r\nline four\r\n' > win.txt; printf 'unix\n' > unix.txt; pin
printf 'line one\r\nline 2 changed\r\nline three\r\nline four\r\n' > win.txt; commit "Change line two of the CRLF file"
fp -1
