# An unmodified copy of a file that the patch leaves alone (format-patch -C --find-copies-harder).
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir etc; numbered policy 15 > etc/policy.yaml; pin
cp etc/policy.yaml etc/policy.yaml.sample; commit "Ship a sample policy"
fp -C --find-copies-harder -1
grep -q '^copy from ' "$P"/*.patch
