# A new submodule: .gitmodules created and a gitlink added (new file mode 160000).
# expect: same
. "$CORPUS/lib.sh"
new_up; echo main > main.txt; pin
printf '[submodule "third_party/os-vif"]\n\tpath = third_party/os-vif\n\turl = https://example.invalid/os-vif.git\n' > .gitmodules
git add .gitmodules
git update-index --add --cacheinfo "160000,$(echo v | git hash-object --stdin),third_party/os-vif"
git commit -qm "Add os-vif as a submodule"
fp -1
grep -q '^new file mode 160000' "$P"/*.patch
