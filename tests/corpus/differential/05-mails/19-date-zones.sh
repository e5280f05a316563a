# A series with author dates in -0800, +0530 and +1245 (format-patch keeps each author's zone).
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered z 12 > z.txt; pin
sed -i 's/^z line 1$/z 1/' z.txt; GIT_AUTHOR_DATE="2023-07-15T22:10:00-08:00" commit "West"
sed -i 's/^z line 5$/z 5/' z.txt; GIT_AUTHOR_DATE="2023-07-16T09:40:00+05:30" commit "India"
sed -i 's/^z line 9$/z 9/' z.txt; GIT_AUTHOR_DATE="2023-07-16T23:59:59+12:45" commit "Chatham"
fp v1
