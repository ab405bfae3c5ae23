#!/usr/bin/env bash
# docs/quickstart.md works literally after `make install`, from any folder: every ```sh block of
# it is run, as written and in order, by bash in an empty folder, with only a staged install's
# bin/ added to PATH (as /usr/local/bin is after `make install`). Blocks fenced with plain ```
# are not run (those that need the source tree or a display).
# Usage: quickstart_test.sh BUILD_DIR QUICKSTART_MD
set -u
BUILD=$(cd "$1" && pwd); DOC=$2
TMP=$(mktemp -d /tmp/meshtwin-quickstart-test.XXXXXX); trap 'rm -rf "$TMP"' EXIT
unset LD_LIBRARY_PATH
if ! DESTDIR="$TMP/root" cmake --install "$BUILD" --prefix /usr/local >"$TMP/install.log" 2>&1; then
  cat "$TMP/install.log"; echo "FAIL cmake --install"; exit 1
fi
# The blocks, one file each.
awk -v out="$TMP/block" '
  /^```sh[ \t]*$/ { n++; file = out "-" n ".sh"; inside = 1; next }
  /^```/ && inside { inside = 0; close(file); next }
  inside { print > file }
' "$DOC"
n=$(find "$TMP" -maxdepth 1 -name 'block-*.sh' | wc -l)
[ "$n" -gt 0 ] || { echo "FAIL no \`\`\`sh block in $DOC"; exit 1; }
mkdir "$TMP/user"
cd "$TMP/user" || exit 1
pass=0; fail=0
for i in $(seq 1 "$n"); do
  b=$TMP/block-$i.sh
  if out=$(PATH="$TMP/root/usr/local/bin:$PATH" bash -euo pipefail "$b" 2>&1); then
    pass=$((pass+1))
  else
    fail=$((fail+1)); echo "FAIL $(basename "$b"):"; sed 's/^/  | /' "$b"; echo "$out" | tail -5
  fi
done
echo "quickstart: $pass passed, $fail failed"
[ $fail -eq 0 ]
