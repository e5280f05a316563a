# Three files moved into a new nested directory, one of them edited, in one patch.
# expect: same
. "$CORPUS/lib.sh"
new_up; numbered a 12 > a.py; numbered b 12 > b.py; numbered c 12 > c.py; echo keep > keep.txt; pin
mkdir -p pkg/sub; git mv a.py pkg/sub/a.py; git mv b.py pkg/sub/b.py; git mv c.py pkg/c.py
sed -i 's/^b line 1$/b line 1 # moved/' pkg/sub/b.py
commit "Move modules into pkg/"
fp -M -1
