#!/usr/bin/env bash
# The repository stands alone: nothing tracked may read or point at a `shared` folder beside
# the checkout (the design notes the project was started from). A user clones this repository
# and nothing else. Files allowed to mention it, each with the reason, are listed in
# tests/repo/standalone-allowlist.txt.
# Usage: standalone_test.sh SOURCE_DIR
set -u
SRC=$1
needle='..''/shared'   # split so that this script does not match itself
allow=$(grep -v '^#' "$SRC/tests/repo/standalone-allowlist.txt" | awk 'NF {print $1}')
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  hits=$(git -C "$SRC" grep -l -F -e "$needle" -- . || true)
else  # an exported tarball: every file but build trees
  hits=$(cd "$SRC" && grep -rlF --exclude-dir=build --exclude-dir=.git -e "$needle" . | sed 's|^\./||' || true)
fi
bad=0
for f in $hits; do
  if ! grep -qxF "$f" <<<"$allow"; then
    echo "$f: mentions $needle (the project must not depend on anything beside its checkout)"
    bad=1
  fi
done
[ $bad -eq 0 ] && echo "standalone: no tracked file points outside the repository"
exit $bad
