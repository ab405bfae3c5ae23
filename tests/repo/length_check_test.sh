#!/usr/bin/env bash
# Proves tests/repo/length_check.py both ways on trees made here: it fails on a file over the
# line limit and on a function over the function limit (braces in comments, strings and
# character literals do not fool it), passes on code within the limits, and the allow-list
# exempts a file only with a reason. A check that cannot fail would prove nothing.
# Usage: length_check_test.sh PYTHON3 SOURCE_DIR
set -u
PY=$1
CHECK=$2/tests/repo/length_check.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() {  # expect CODE NAME ARGS... : run the check, compare the exit code
  local want=$1 name=$2
  shift 2
  "$PY" "$CHECK" "$@" >"$tmp/out" 2>&1
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL $name: exit $got, wanted $want"
    sed 's/^/  | /' "$tmp/out"
    fail=1
  else
    echo "ok   $name"
  fi
}
# A function of N lines in all: signature line with the brace, N-2 body lines, closing brace.
function_of() {
  echo "int f$1() {"
  for ((i = 0; i < $1 - 2; i++)); do echo "  x += $i;  // }"; done
  echo "}"
}

mkdir -p "$tmp/ok/model" "$tmp/longfn/model" "$tmp/longfile/model" "$tmp/tricky/model"
{
  echo "namespace a {"
  echo "struct S {"
  echo "  int g() { return 1; }"
  echo "};"
  function_of 120
  echo "}  // namespace a"
} >"$tmp/ok/model/ok.cc"
expect 0 "a 120-line function passes" "$tmp/ok" model

{
  echo "namespace a {"
  function_of 121
  echo "}"
} >"$tmp/longfn/model/long.cc"
expect 1 "a 121-line function fails" "$tmp/longfn" model
grep -q "long.cc:2: function f121 has 121 lines" "$tmp/out" || { echo "FAIL the finding names the function"; fail=1; }

# Member functions defined inside a class count too.
{
  echo "class C {"
  echo " public:"
  function_of 130 | sed 's/^/  /'
  echo "};"
} >"$tmp/longfn/model/member.h"
expect 1 "a long member function in a header fails" "$tmp/longfn" model
grep -q "member.h:3: function f130" "$tmp/out" || { echo "FAIL the member finding names it"; fail=1; }

for ((n = 0; n < 161; n++)); do function_of 5; done | sed 's/int f5/int g/' >"$tmp/longfile/model/big.cc"
expect 1 "an 805-line file fails" "$tmp/longfile" model
grep -q "big.cc:1: file has 805 lines" "$tmp/out" || { echo "FAIL the file finding says its length"; fail=1; }

# Braces inside comments, strings, raw strings and character literals, and digit separators,
# do not open or close blocks: f stays one 6-line function and g is seen as its own.
cat >"$tmp/tricky/model/tricky.cc" <<'CC'
int f() {
  const char* s = "{ { {";  /* } */
  char c = '{';
  auto r = R"x({"a": })x";
  int n = 1'000'000;
}
int g() {
CC
for ((i = 0; i < 125; i++)); do echo "  n += 1;" >>"$tmp/tricky/model/tricky.cc"; done
echo "}" >>"$tmp/tricky/model/tricky.cc"
expect 1 "literals do not hide a long function" "$tmp/tricky" model
grep -q "tricky.cc:7: function g has 127 lines" "$tmp/out" || { echo "FAIL g is counted from its own brace"; fail=1; }
grep -q "function f " "$tmp/out" && { echo "FAIL f is within the limit"; fail=1; }

printf 'model/long.cc  a test fixture\nmodel/member.h  a test fixture\n' >"$tmp/allow.txt"
expect 0 "allow-listed files pass" "$tmp/longfn" --allow "$tmp/allow.txt" model
printf 'model/long.cc\n' >"$tmp/noreason.txt"
expect 2 "an allow-list entry without a reason is refused" "$tmp/longfn" --allow "$tmp/noreason.txt" model

[ $fail -eq 0 ] && echo "length_check: proven both ways"
exit $fail
