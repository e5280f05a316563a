# A Shift_JIS 8bit mail: Japanese message, B-encoded Shift_JIS name and subject.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered jp 6 > ja.txt; pin
sed -i 's/^jp line 1$/jp line 1 fixed/' ja.txt; commit x
{ printf '日本語の説明文です。\n\nスケジューラの修正。\n---\n' | to SHIFT_JIS; work_diff; } \
  | mkmail "$P/0001-sjis.patch" "$(word Shift_JIS B '山田太郎') <taro@example.invalid>" "Thu, 11 Jan 2024 18:00:00 +0900" \
      "[PATCH] $(word Shift_JIS B 'スケジューラ修正')" Shift_JIS 8bit
