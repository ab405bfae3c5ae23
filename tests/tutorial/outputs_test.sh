#!/usr/bin/env bash
# The explain and lint output pasted into the tutorial is what the current build prints.
# Every fenced block in docs/tutorial/*/*.md whose first line is `$ meshtwin explain ...` or
# `$ meshtwin lint ...` (continued with a trailing backslash) is run from the repository root and
# its standard output compared with the rest of the block. With --update the blocks are
# rewritten with the current output instead (after a deliberate change of explain's wording).
# Usage: outputs_test.sh MESHTWIN SOURCE_DIR [--update]
set -u
M=$1
cd "$2" || exit 2
UPDATE=${3:-}
status=0
blocks=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for doc in docs/tutorial/*/*.md; do
  [ "$UPDATE" = "--update" ] && break
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
if [ "$UPDATE" = "--update" ]; then
  for doc in docs/tutorial/*/*.md; do
    out=$tmp/doc.md; : >"$out"
    inblock=0; cmdlines=""; incmd=0
    while IFS= read -r line || [ -n "$line" ]; do
      if [ $inblock = 0 ]; then
        printf '%s\n' "$line" >>"$out"
        [[ $line == '```'* ]] && inblock=1 && first=1
        continue
      fi
      if [ $inblock = 1 ] && [ "${first:-0}" = 1 ]; then
        first=0
        if [[ $line == '$ meshtwin explain '* || $line == '$ meshtwin lint '* ]]; then
          inblock=2; cmd="${line%\\}"; printf '%s\n' "$line" >>"$out"
          [[ $line == *\\ ]] && incmd=1 || incmd=0
          [ $incmd = 1 ] || { eval "\"\$M\" ${cmd#\$ meshtwin }" >>"$out" 2>/dev/null; }
          continue
        fi
      fi
      if [ $inblock = 2 ]; then
        if [ $incmd = 1 ]; then
          printf '%s\n' "$line" >>"$out"; cmd+="${line%\\}"
          [[ $line == *\\ ]] || { incmd=0; eval "\"\$M\" ${cmd#\$ meshtwin }" >>"$out" 2>/dev/null; }
          continue
        fi
        [[ $line == '```'* ]] && { printf '%s\n' "$line" >>"$out"; inblock=0; }
        continue
      fi
      printf '%s\n' "$line" >>"$out"
      [[ $line == '```'* ]] && inblock=0
    done <"$doc"
    cmp -s "$out" "$doc" || { cp "$out" "$doc"; echo "updated $doc"; }
  done
  exit 0
fi
[ $blocks -gt 0 ] || { echo "FAIL: no explain or lint block found"; exit 1; }
[ $status = 0 ] && echo "PASS: $blocks explain/lint blocks match the current build"
exit $status
