# An EUC-JP quoted-printable mail: Japanese message and Q-encoded EUC-JP name.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered jp 6 > ja.txt; pin
sed -i 's/^jp line 4$/jp line 4 fixed/' ja.txt; commit x
{ printf 'クォータ計算を修正しました。\n\n詳細は下記。\n---\n' | to EUC-JP; work_diff; } \
  | mkmail "$P/0001-eucjp.patch" "$(word EUC-JP Q '鈴木花子') <hanako@example.invalid>" "Fri, 12 Jan 2024 08:00:00 +0900" \
      "[PATCH] Fix the quota count" EUC-JP quoted-printable
