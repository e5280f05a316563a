# An ISO-8859-1 8bit mail: Latin-1 message, RFC 2047 Q-encoded Latin-1 name and subject.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered menu 8 > menu.txt; pin
sed -i 's/^menu line 4$/menu line 4 (cafe)/' menu.txt; commit x
{ printf 'Café crème: mise à jour du menu.\n\nÀ appliquer après la réunion.\n---\n' | to ISO-8859-1; work_diff; } \
  | mkmail "$P/0001-latin1.patch" "$(word ISO-8859-1 Q 'François Dupré') <francois@example.invalid>" \
      "Fri, 5 Jan 2024 14:30:00 +0100" "[PATCH] $(word ISO-8859-1 Q 'Menu: café')" ISO-8859-1 8bit
