# Paths git quotes: spaces, non-ASCII, a tab and a double quote in the names.
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir "docs dir"; numbered n 5 > "docs dir/café menu.txt"; pin
sed -i 's/^n line 3$/n line 3!/' "docs dir/café menu.txt"; printf 'x\n' > "$(printf 'tab\there.txt')"; printf 'y\n' > 'say "hi".txt'
commit "Quoted names"
fp -1
grep -q '^diff --git "a/docs dir/caf' "$P"/*.patch
