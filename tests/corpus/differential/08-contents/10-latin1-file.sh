# A Latin-1 (non-UTF-8) file edited; the message is ASCII.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'caf\xe9\nna\xefve\nr\xe9sum\xe9\n' > latin1.txt; pin
printf 'caf\xe9\nna\xefve (\xe9dit\xe9)\nr\xe9sum\xe9\n' > latin1.txt; commit "Edit the Latin-1 file"
fp -1
