# A base64-encoded mail that carries a GIT binary patch.
# expect: same
. "$CORPUS/lib.sh"
new_up; echo t > t.txt; pin
bytes "bytes(random.randrange(256) for _ in range(400))" > blob.bin; commit x
{ printf 'Add a blob.\n---\n'; git diff --binary v1 HEAD; } \
  | mkmail "$P/0001-b64-binary.patch" "Ada Example <ada@example.invalid>" "Wed, 24 Jan 2024 10:00:00 +0000" "[PATCH] Add a blob" UTF-8 base64
