# A base64-encoded UTF-8 mail (message with CJK text, a diff adding non-ASCII lines).
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered msg 6 > messages.txt; pin
sed -i 's/^msg line 3$/msg line 3: 配置を更新しました/' messages.txt
commit x
{ printf '更新: 設定メッセージ\n\nAdd the Japanese message.\n---\n'; work_diff; } \
  | mkmail "$P/0001-b64.patch" "Ada Example <ada@example.invalid>" "Wed, 3 Jan 2024 10:00:00 +0900" "[PATCH] Update the messages" UTF-8 base64
