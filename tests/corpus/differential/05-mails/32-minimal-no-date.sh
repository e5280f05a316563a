# A minimal hand-written mail: From: and Subject: only (no Date:, no MIME headers), a series of two.
# expect: same-but-date
. "$CORPUS/lib.sh"
new_up; numbered m 10 > m.txt; pin
sed -i 's/^m line 2$/m 2/' m.txt; commit x
{ printf 'From: Ada Example <ada@example.invalid>\nSubject: [PATCH 1/2] Edit m2\n\n'; git diff v1 HEAD; } > "$P/0001-min.patch"
git tag step1; sed -i 's/^m line 9$/m 9/' m.txt; commit y
{ printf 'From: Bo Example <bo@example.invalid>\nSubject: [PATCH 2/2] Edit m9\n\nSecond.\n'; git diff step1 HEAD; } > "$P/0002-min.patch"
