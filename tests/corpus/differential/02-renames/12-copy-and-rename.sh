# One source both copied and renamed in the same patch (copy from + rename from of one file).
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered filt 20 > filter.py; pin
cp filter.py filter_gpu.py; git mv filter.py filters.py
sed -i 's/^filt line 1$/filt line 1 gpu/' filter_gpu.py
commit "Split the filter"
fp -C -M -1
