# A rename of a file whose name has spaces and non-ASCII letters (quoted paths in rename lines).
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir "old dir"; numbered note 10 > "old dir/café notes.txt"; pin
mkdir "new dir"; git mv "old dir/café notes.txt" "new dir/café notes.txt"
sed -i 's/^note line 10$/note line 10 (moved)/' "new dir/café notes.txt"
commit "Move the notes"
fp -M -1
