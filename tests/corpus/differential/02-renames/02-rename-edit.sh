# A rename with an edit near the end (similarity index 9x%).
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir src; numbered config 20 > src/settings.conf; pin
git mv src/settings.conf src/app.conf
sed -i 's/^config line 18$/config line 18 (downstream)/' src/app.conf
commit "Rename settings.conf to app.conf and tweak it"
fp -M -1
