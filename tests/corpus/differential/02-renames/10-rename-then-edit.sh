# A series: patch 1 renames a file, patch 2 edits the renamed file, patch 3 renames it back.
# expect: same
. "$CORPUS/lib.sh"
new_up; mkdir -p nova/api; numbered api 25 > nova/api/quota.py; pin
git mv nova/api/quota.py nova/api/quotas.py; commit "Rename quota.py"
sed -i 's/^api line 3$/api line 3 (pci)/' nova/api/quotas.py; commit "Count PCI devices"
git mv nova/api/quotas.py nova/api/quota.py; commit "Rename it back"
fp -M v1
