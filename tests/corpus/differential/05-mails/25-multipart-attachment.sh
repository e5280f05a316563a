# A MIME multipart/mixed mail: the message in the first part, the patch as a text/x-patch attachment.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered m 6 > m.txt; pin
sed -i 's/^m line 2$/m line 2 attached/' m.txt; commit x
{ printf 'From: Ada Example <ada@example.invalid>\nDate: Thu, 25 Jan 2024 10:00:00 +0000\nSubject: [PATCH] Attach the change\n'
  printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="XyZ"\n\nThis is a multi-part message in MIME format.\n'
  printf -- '--XyZ\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\nThe change is attached – see below.\n\n'
  printf -- '--XyZ\nContent-Type: text/x-patch; charset=UTF-8; name="m.patch"\nContent-Transfer-Encoding: 8bit\nContent-Disposition: attachment; filename="m.patch"\n\n'
  work_diff; printf -- '--XyZ--\n'; } > "$P/0001-multipart.patch"
