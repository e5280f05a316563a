# RFC 2047 Q-encoded UTF-8 name and subject (underscores for spaces, =XX bytes).
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'x\n' > x.txt; pin
echo y > x.txt; commit x
{ printf 'Body text.\n---\n'; work_diff; } \
  | mkmail "$P/0001-q.patch" "$(word UTF-8 Q 'José María Núñez') <jose@example.invalid>" "Wed, 17 Jan 2024 10:00:00 -0300" \
      "$(word UTF-8 Q '[PATCH] Añadir la opción de cuota')" UTF-8 8bit
