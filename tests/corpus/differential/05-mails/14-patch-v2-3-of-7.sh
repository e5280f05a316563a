# A "[PATCH v2 3/7]" subject: format-patch -v2, renumbered as patch 3 of a 7-patch series.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered s 10 > s.txt; pin
sed -i 's/^s line 3$/s line 3 v2/' s.txt; commit "scheduler: fix the third line" "v2: reworded."
fp -1 -v2
sed -i "s/^Subject: \[PATCH v2\]/Subject: [PATCH v2 3\/7]/" "$P"/*.patch
grep -q '^Subject: \[PATCH v2 3/7\]' "$P"/*.patch
