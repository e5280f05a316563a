# A format-patch mail whose every line was converted to CRLF in transit (git am strips the CRs).
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'plain\nunix\nfile\n' > unix.txt; pin
printf 'plain\nUNIX\nfile\n' > unix.txt; commit "Upper-case the middle line" "So that it stands out."
fp -1
sed -i 's/$/\r/' "$P"/*.patch
