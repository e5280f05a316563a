# A UTF-8 message in a mail with no MIME headers at all (an 8bit body, charset undeclared).
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'a\n' > f.txt; pin
echo b >> f.txt; commit x
{ printf 'From: Ada Example <ada@example.invalid>\nDate: Fri, 26 Jan 2024 10:00:00 +0000\nSubject: [PATCH] Ajouter b\n\nDéjà vu: ajouter b.\n---\n'; work_diff; } > "$P/0001-undeclared.patch"
