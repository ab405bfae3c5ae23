#!/usr/bin/env bash
# lint and explain at size, wall-clock (issue 15: lint/explain on 1,000 services <= 0.3 s).
# Usage: scripts/lint-timing.sh [BUILD_DIR] [SERVICES...]   (defaults: build/release, 1000)
#   RUNS=N runs per figure (default 7). Prints min / median / max wall and user seconds per
#   command and the load average before and after: the figure is only as good as the machine is
#   quiet (docs/performance.md "lint and explain at size"). Writes meshes under a temporary folder.
set -euo pipefail
BUILD=${1:-build/release}; shift || true
SIZES=("$@"); [ ${#SIZES[@]} -eq 0 ] && SIZES=(1000)
BIN=$(realpath "$BUILD/cli/meshtwin")
RUNS=${RUNS:-7}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
stats() {  # label, file of "wall user" lines
  sort -n "$2" | awk -v l="$1" '{w[NR]=$1} END {printf "%-28s wall min %.2f  median %.2f  max %.2f", l, w[1], w[int((NR+1)/2)], w[NR]}'
  sort -n -k2 "$2" | awk '{u[NR]=$2} END {printf "   user median %.2f\n", u[int((NR+1)/2)]}'
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${SIZES[@]}"; do
  "$BIN" gen-mesh --services "$n" -o "$TMP/m$n" >/dev/null
  M=$TMP/m$n/manifests.yaml
  : > "$TMP/lint"; : > "$TMP/explain"
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %U" -a -o "$TMP/lint" "$BIN" lint -f "$M" >/dev/null || true
    /usr/bin/time -f "%e %U" -a -o "$TMP/explain" "$BIN" explain http://svc-1-0:8080/ --from svc-0-0-v1 -f "$M" >/dev/null || true
  done
  stats "lint, $n services" "$TMP/lint"
  stats "explain, $n services" "$TMP/explain"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
