# A quoted-printable UTF-8 mail: '=' signs, soft line breaks in long diff lines, non-ASCII text.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered opt 10 > opts.py; pin
sed -i 's/^opt line 5$/QUOTA_OPTS = dict(cores=20, ram=51200, pci_devices={"a100": 4, "h100": 2}, note="naïve=no")  # long line/' opts.py
commit x
{ printf 'Configure PCI quota defaults – naïve values replaced.\n\nThe line is longer than seventy-six characters, so the mailer wraps it with soft breaks.\n---\n'; work_diff; } \
  | mkmail "$P/0001-qp.patch" "Ada Example <ada@example.invalid>" "Tue, 2 Jan 2024 03:04:05 +0000" "[PATCH] Configure PCI quota defaults" UTF-8 quoted-printable
grep -q '=3D' "$P/0001-qp.patch"
