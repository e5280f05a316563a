# A UTF-8 message (format-patch declares charset=UTF-8) whose diff adds a Latin-1 file and a Shift_JIS file.
# expect: same
. "$CORPUS/lib.sh"
new_up; echo x > x.txt; pin
printf 'gr\xfc\xdfe\n' > latin1.txt; printf '日本語\n' | iconv -f UTF-8 -t SHIFT_JIS > sjis.txt
commit "Grüße: add legacy-encoded files"
fp -1
grep -q 'charset=UTF-8' "$P"/*.patch
