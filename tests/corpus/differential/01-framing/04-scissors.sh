# Scissors lines ('-- >8 --', '--8<--') and a mail signature separator '-- ' in the body.
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; numbered doc 8 > README; pin
git checkout -q -b work
sed -i 's/^doc line 2$/doc line two/' README
git commit -qa --cleanup=verbatim -F - <<'MSG'
Spell out line two

Quoted from the list:
-- >8 --
Subject: not a header here
--8<--
-- 
The reply ended with a signature separator.

Reviewed-by: Cy Committer <cy@example.invalid>
MSG
