# An in-body From:/Date:/Subject: block (a forwarded patch): git am takes author, date, subject from it.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered h 10 > hosts.py; pin
sed -i 's/^h line 9$/h line 9 (weighed)/' hosts.py; commit x
{ printf 'From: Original Author <orig@example.invalid>\nDate: Sun, 1 Oct 2023 12:00:00 +0200\nSubject: Weigh hosts once\n\nThe real body of the forwarded patch.\n---\n'; work_diff; } \
  | mkmail "$P/0001-forwarded.patch" "Forwarder <fwd@example.invalid>" "Mon, 15 Jan 2024 09:00:00 +0000" "[PATCH] Fwd: weigh hosts" UTF-8 8bit
