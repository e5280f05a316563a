# Three mails; the second's hunk does not match v1 (git am applies the first, then stops).
# expect: refused
. "$CORPUS/lib.sh"
new_up; numbered r 20 > r.txt; pin
sed -i 's/^r line 2$/r 2/' r.txt; commit "One"
sed -i 's/^r line 10$/r 10/' r.txt; commit "Two"
sed -i 's/^r line 18$/r 18/' r.txt; commit "Three"
fp v1
sed -i 's/^-r line 10$/-r line ten/' "$P"/0002-*.patch
