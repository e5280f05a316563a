# A subject made of two B-encoded words across a fold, then plain text (the space between encoded words goes).
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'x\n' > x.txt; pin
echo z > x.txt; commit x
{ printf 'Body text.\n---\n'; work_diff; } \
  | mkmail "$P/0001-b.patch" "$(word UTF-8 B 'Åsa Öberg') <asa@example.invalid>" "Thu, 18 Jan 2024 10:00:00 +0100" \
      "$(printf '[PATCH] %s\n %s and plain text' "$(word UTF-8 B 'Räkna GPU-kvoten ')" "$(word UTF-8 B 'per projekt')")" UTF-8 8bit
