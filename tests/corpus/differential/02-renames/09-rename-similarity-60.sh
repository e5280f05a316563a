# A rename with a heavy edit, found with -M50% (similarity index about 60%).
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered h 10 > host.py; pin
git mv host.py hosts.py
sed -i -e 's/^h line 2$/H2/' -e 's/^h line 5$/H5/' -e 's/^h line 7$/H7/' -e 's/^h line 9$/H9/' hosts.py
commit "Rename host.py, rewrite four lines"
fp -M50% -1
grep -q '^similarity index [5-7][0-9]%' "$P"/*.patch
