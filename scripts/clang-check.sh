#!/usr/bin/env bash
# Checks that sources still compile with clang 14, the compiler of the fuzz build (CI's fuzz-replay
# stage), without building it: `clang++-14 -fsyntax-only` with each file's own flags from a g++
# build's compile_commands.json. g++ 12 accepts some things clang 14 with libstdc++ 12 refuses
# (a structured binding captured by a lambda; std::less<> comparing tuples of different element
# types), so a change that builds with g++ can still fail CI. -fsized-deallocation as the fuzz
# presets give it (clang 14 leaves it off by default; engine/simulator.h uses sized delete).
#
#   scripts/clang-check.sh [BUILD_DIR] [FILE...]
#
# BUILD_DIR defaults to build/test; with no FILE, every .cc changed against main (committed or
# not) that BUILD_DIR compiles. Exit 1 if any file fails.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/test}
[ $# -gt 0 ] && shift
db="$build/compile_commands.json"
[ -f "$db" ] || { echo "clang-check: $db not found (configure that preset first)" >&2; exit 2; }
command -v clang++-14 >/dev/null || { echo "clang-check: clang++-14 not installed (scripts/install-deps.sh)" >&2; exit 2; }
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <( { git diff --name-only main -- '*.cc'; git diff --name-only -- '*.cc'; } | sort -u)
fi
status=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  abs=$(realpath "$f")
  cmd=$(jq -r --arg f "$abs" '.[] | select(.file == $f) | .command' "$db" | head -1)
  if [ -z "$cmd" ]; then
    echo "clang-check: $f is not in $db (skipped)"
    continue
  fi
  # The g++ command's flags, minus its output: clang parses only.
  flags=$(sed -E 's/^[^ ]+ //; s/ -o [^ ]+//; s/ -c [^ ]+//' <<<"$cmd")
  dir=$(jq -r --arg f "$abs" '.[] | select(.file == $f) | .directory' "$db" | head -1)
  # eval: the command is shell-quoted (-DMESHTWIN_VERSION=\"0.1.0\"); split unquoted, the
  # backslashes would reach clang and every file that uses such a macro would fail.
  if (cd "$dir" && eval "clang++-14 $flags -Wno-unknown-warning-option -fsized-deallocation -fsyntax-only \"\$abs\""); then
    echo "clang-check: ok $f"
  else
    echo "clang-check: FAILED $f"
    status=1
  fi
done
exit $status
