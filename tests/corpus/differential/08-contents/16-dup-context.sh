# Hunk 1 adds a block identical to hunk 2's context; v1 moved hunk 2 down 40 lines (git apply puts it in main()).
# expect: same
. "$CORPUS/lib.sh"
gen() {
  printf '/* header */\nint a(void)\n{\n  return 1;\n}\n\n/* --- */\n'
  for i in 1 2 3 4 5 6 7 8; do echo "/* p$i */"; done
  [ "${1:-}" = shifted ] && for i in $(seq 1 40); do echo "/* upstream line $i */"; done
  printf 'int main(void)\n{\n  if (x) {\n    if (y) {\n      x++;\n    }\n  }\n  return 0;\n}\n'
}
new_up; gen > prog.c; commit v0; git tag v0
git checkout -q -b work v0
python3 - <<'PY'
lines = open('prog.c').read().split('\n')
out = []
for l in lines:
    out.append(l)
    if l == '/* --- */':
        out += ['int helper(void)', '{', '  if (x) {', '    if (y) {', '      x++;', '    }', '  }', '  return 0;', '}']
idx = max(i for i, l in enumerate(out) if l == '  return 0;')
out.insert(idx, '  cleanup();')
open('prog.c', 'w').write('\n'.join(out))
PY
commit "Add helper and call cleanup in main"; fp -1
git checkout -q master; gen shifted > prog.c; pin "v1 adds 40 lines"
