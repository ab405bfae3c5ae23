# Sourced by the CLI contract scripts (replications_test.sh, shards_test.sh): one `check` for all.
# check NAME WANT_EXIT PATTERN COMMAND...: runs COMMAND, wants exit WANT_EXIT and, unless PATTERN is
# empty, a line of its stdout+stderr matching the extended regex PATTERN; counts pass and fail.
pass=0; fail=0
check() {
  local name=$1 want=$2 pattern=$3; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: exit $rc, want $want"; echo "$out" | head -8; fail=$((fail+1)); return
  fi
  if [ -n "$pattern" ] && ! grep -Eq -- "$pattern" <<<"$out"; then
    echo "FAIL $name: output does not match /$pattern/"; echo "$out" | head -8; fail=$((fail+1)); return
  fi
  pass=$((pass+1))
}
