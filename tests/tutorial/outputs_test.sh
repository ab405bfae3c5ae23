#!/usr/bin/env bash
# The explain and lint output pasted into the tutorial is what the current build prints.
# Every fenced block in docs/tutorial/*/*.md whose first line is `$ meshtwin explain ...` or
# `$ meshtwin lint ...` (continued with a trailing backslash) is run from the repository root and
# its standard output compared with the rest of the block.
# Usage: outputs_test.sh MESHTWIN SOURCE_DIR
set -u
M=$1
cd "$2" || exit 2
status=0
blocks=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for doc in docs/tutorial/*/*.md; do
  # split the document into one file per matching block: line 1 the command, then the output
  rm -f "$tmp"/block.*
  awk -v dir="$tmp" '
    /^```/ { if (inb || skip) { if (inb) close(out); inb = 0; skip = 0; next } else { inb = 1; first = 1; n++; out = dir "/block." n; next } }
    inb && first { first = 0; if ($0 !~ /^\$ meshtwin (explain|lint) /) { inb = 0; skip = 1; next } }
    inb { print > out }
  ' "$doc"
  for b in "$tmp"/block.*; do
    [ -f "$b" ] || continue
    # the command may span lines ending in a backslash
    cmd=""; n=0
    while IFS= read -r line; do
      n=$((n + 1))
      cmd+="${line%\\}"
      [[ $line == *\\ ]] || break
    done <"$b"
    tail -n +$((n + 1)) "$b" >"$tmp/expected"
    cmd=${cmd#\$ meshtwin }
    eval "\"\$M\" $cmd" >"$tmp/actual" 2>/dev/null
    blocks=$((blocks + 1))
    if ! diff -u "$tmp/expected" "$tmp/actual" >"$tmp/diff"; then
      echo "FAIL: $doc: \`meshtwin $cmd\` prints something else now:"
      cat "$tmp/diff"
      status=1
    fi
  done
done
[ $blocks -gt 0 ] || { echo "FAIL: no explain or lint block found"; exit 1; }
[ $status = 0 ] && echo "PASS: $blocks explain/lint blocks match the current build"
exit $status
