# An ISO-2022-JP 7bit mail (the classic Japanese mail encoding, escape sequences in the body).
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered jp 6 > ja.txt; pin
sed -i 's/^jp line 6$/jp line 6 fixed/' ja.txt; commit x
{ printf '最後の行を修正。\n---\n' | to ISO-2022-JP; work_diff; } \
  | mkmail "$P/0001-iso2022jp.patch" "$(word ISO-2022-JP B '佐藤') <sato@example.invalid>" "Sat, 13 Jan 2024 08:00:00 +0900" \
      "[PATCH] $(word ISO-2022-JP B '最後の行')" ISO-2022-JP 7bit
