# A windows-1252 8bit mail: curly quotes (0x93/0x94), euro (0x80), en dash (0x96).
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered doc 8 > doc.txt; pin
sed -i 's/^doc line 7$/doc line 7 quoted/' doc.txt; commit x
{ printf 'Quote the “right” word – it costs 5 €.\n\nSigned-off-by: Ada Example <ada@example.invalid>\n---\n' | to WINDOWS-1252; work_diff; } \
  | mkmail "$P/0001-cp1252.patch" "Ada Example <ada@example.invalid>" "Tue, 9 Jan 2024 11:11:11 -0500" \
      "[PATCH] $(word windows-1252 Q 'Use “curly” quotes')" windows-1252 8bit
