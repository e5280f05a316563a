# Final-newline edge cases: append after an unterminated line, drop it, add it back, edit the middle.
# expect: same
. "$CORPUS/lib.sh"
new_up
printf 'first\nsecond\nlast-no-newline' > append.txt; printf 'keep\nthe\nnewline\n' > drop.txt
printf 'was\nunterminated' > restore.txt; printf 'm1\nm2\nm3\nm4\nm5\nm6\nm7\nm8' > middle.txt; pin
printf 'first\nsecond\nlast-no-newline\nappended\n' > append.txt; printf 'keep\nthe\nnewline' > drop.txt
printf 'was\nunterminated\n' > restore.txt; printf 'm1\nm2\nM3\nm4\nm5\nm6\nm7\nm8' > middle.txt
commit "Edge cases around the final newline"
fp -1
