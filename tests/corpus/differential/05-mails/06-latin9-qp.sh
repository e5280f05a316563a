# An ISO-8859-15 quoted-printable mail with a euro sign (0xA4 in Latin-9, not in Latin-1).
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered price 8 > prices.txt; pin
sed -i 's/^price line 2$/price line 2 = 10 EUR/' prices.txt; commit x
{ printf 'Prix: 10 € par hôte et par mois.\n\nŒuvre de l\047équipe.\n---\n' | to ISO-8859-15; work_diff; } \
  | mkmail "$P/0001-latin9.patch" "$(word ISO-8859-15 Q 'Œdipe Lefèvre') <oedipe@example.invalid>" \
      "Mon, 8 Jan 2024 09:00:00 +0100" "[PATCH] Prices in euros" ISO-8859-15 quoted-printable
grep -q '=A4' "$P/0001-latin9.patch"
