# A quoted-printable ISO-8859-1 mail whose diff changes a Latin-1 file (the file keeps its Latin-1 bytes).
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'caf\xe9\nna\xefve\nend\n' > latin1.txt; pin
printf 'caf\xe9 cr\xe8me\nna\xefve\nend\n' > latin1.txt; commit x
{ printf 'Ajouter « crème ».\n---\n' | to ISO-8859-1; work_diff; } \
  | mkmail "$P/0001-qp-latin1.patch" "Ada Example <ada@example.invalid>" "Sat, 20 Jan 2024 10:00:00 +0100" "[PATCH] Add creme" ISO-8859-1 quoted-printable
grep -q '=E8' "$P/0001-qp-latin1.patch"
