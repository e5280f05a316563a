# A new executable binary (new file mode 100755 with a literal) and an empty binary-marked file.
# expect: same
. "$CORPUS/lib.sh"
new_up; echo x > x.txt; pin
bytes "b'\x7fELF\x02\x01\x01' + bytes(random.randrange(256) for _ in range(500))" > tool; chmod +x tool
commit "Add a prebuilt tool"
fp --binary -1
grep -q '^new file mode 100755' "$P"/*.patch
