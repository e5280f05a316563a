# A body whose first line is '---' and whose last line is 'diff --git a/x b/x' (no trailers after it).
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; printf 'p\n' > p.txt; pin
git checkout -q -b work
echo q >> p.txt
git commit -qa -F - <<'MSG'
Append q

---
diff --git a/x b/x
MSG
