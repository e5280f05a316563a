# A new file and a deleted file, both without a final newline.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'going\naway' > gone.txt; pin
git rm -q gone.txt; printf 'fresh\nfile' > fresh.txt; commit "Swap files"
fp -1
