# A series whose first file is the format-patch cover letter (no diff): "Patch is empty."
# expect: refused
. "$CORPUS/lib.sh"
new_up; numbered c 10 > c.txt; pin
sed -i 's/^c line 2$/c 2/' c.txt; commit "First"
sed -i 's/^c line 8$/c 8/' c.txt; commit "Second"
fp --cover-letter v1
ls "$P"/0000-cover-letter.patch >/dev/null
