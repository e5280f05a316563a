# Two CRLF-converted mails: a UTF-8 message with trailers, then a new file and a deletion.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered cfg 12 > nova.conf; echo gone > obsolete.txt; pin
sed -i 's/^cfg line 6$/cfg line 6 = true/' nova.conf
commit "Enable the option – für alle" "Signed-off-by: Zoë Example <zoe@example.invalid>"
git rm -q obsolete.txt; printf 'new\nfile\n' > added.txt; commit "Replace obsolete.txt"
fp v1
sed -i 's/$/\r/' "$P"/*.patch
