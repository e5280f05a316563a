# A subject that starts with '[RFC]', 'Re:' and '[PATCH]' (git am strips them).
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; printf 'one\ntwo\n' > list.txt; pin
git checkout -q -b work
echo three >> list.txt
git commit -qa -F - <<'MSG'
[RFC] Re: [PATCH] list: add three

Keep the brackets: they are part of our subject.
MSG
