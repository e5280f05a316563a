# A 150-character non-ASCII subject (format-patch folds and RFC 2047-encodes it).
# expect: roundtrip
. "$CORPUS/lib.sh"
new_up; printf 'k = 0\n' > k.py; pin
git checkout -q -b work
echo 'k = 1' > k.py
git commit -qa -m "Réécrire la configuration du planificateur pour que les hôtes GPU soient pesés une seule fois par requête — même avec des centaines d’instances" -m "Corps."
