# A first paragraph of two lines (format-patch joins them into one Subject: line).
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; printf 'v = 1\n' > v.py; pin
git checkout -q -b work
echo 'v = 2' > v.py
git commit -qa -F - <<'MSG'
Raise v to two because the first line of this message
runs on to a second line without a blank line between them

Body after the long first paragraph.
MSG
