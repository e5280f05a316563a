# Non-ASCII subject, body and author name (UTF-8): accents, CJK, emoji, right-to-left text.
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; numbered i18n 6 > messages.po; pin
git checkout -q -b work
sed -i 's/^i18n line 3$/msgstr "Größe"/' messages.po
GIT_AUTHOR_NAME="Jürgen Müller-Łukasz" GIT_AUTHOR_EMAIL="jurgen@example.invalid" git commit -qa -F - <<'MSG'
Übersetzung: „Größe“ korrigiert ✓

Die deutsche Übersetzung war falsch: 大きさ ≠ サイズ.
שלום — and an emoji 🚀 at the end of a line.

Signed-off-by: Jürgen Müller-Łukasz <jurgen@example.invalid>
MSG
