# A binary file renamed with a small change (rename from/to plus a GIT binary patch).
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir img; bytes "bytes(range(256))*8" > img/icon.ico; pin
mkdir assets; git mv img/icon.ico assets/favicon.ico
bytes "bytes(b if i != 5 else 0xAA for i, b in enumerate(bytes(range(256))*8))" > assets/favicon.ico
commit "Move the icon and fix one pixel"
fp -M --binary -1
grep -q '^rename from img/icon.ico' "$P"/*.patch
