#!/usr/bin/env bash
# Regenerates the tutorial's viewer pictures (docs/tutorial/images/NN-topic.png) from the
# current build: each chapter's scenarios/tutorial/NN-topic/scenario.yaml is run with its own
# seed, then meshtwin-viewer renders its views offscreen and the view that shows the chapter's
# point is kept (one 1440x900 PNG with a colour map per chapter, 20-65 kB). The simulation is
# deterministic; only the overview's wall-clock figure differs from one regeneration to the next.
# Usage: scripts/tutorial-pictures.sh [BUILD_DIR [OUT_DIR]]    (BUILD_DIR default build/test,
#   built first with `cmake --build --preset test --target meshtwin meshtwin-viewer`; OUT_DIR
#   default docs/tutorial/images — ctest's tutorial_pictures writes to the build tree instead)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/test}
meshtwin=$build/cli/meshtwin
viewer=$build/gui/meshtwin-viewer
for b in "$meshtwin" "$viewer"; do
  [ -x "$b" ] || { echo "tutorial-pictures: $b is not built" >&2; exit 2; }
done
out=${2:-$root/docs/tutorial/images}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export QT_QPA_PLATFORM=offscreen

# chapter folder -> the viewer view that shows its point, and the charts' filter if any
declare -A view=(
  [01-service-registry]=graph [02-virtualservice]=graph [03-destinationrule]=graph
  [04-gateway]=overview [05-unknown-traffic]=charts [06-timeouts]=charts [07-retries]=overview
  [08-circuit-breakers]=charts [09-fault-injection]=graph [10-failure-recovery]=graph
  [11-where-resources-apply]=graph [12-ingress-vs-gateway]=overview
)
declare -A filter=(
  [06-timeouts]="--source productpage-v1 --destination reviews.default.svc.cluster.local"
  [08-circuit-breakers]="--source sleep --destination httpbin.default.svc.cluster.local"
)
# run from the repository root with relative paths: the overview shows the scenario's input
# files by the names they were given
cd "$root"
for dir in scenarios/tutorial/[0-9][0-9]-*/; do
  chapter=$(basename "$dir")
  v=${view[$chapter]:-graph}
  "$meshtwin" run "scenarios/tutorial/$chapter/scenario.yaml" -o "$tmp/$chapter.db" >/dev/null
  # shellcheck disable=SC2086  # the filter is two options
  "$viewer" "$tmp/$chapter.db" ${filter[$chapter]:-} --screenshot "$tmp/$chapter" >/dev/null 2>&1
  cp "$tmp/$chapter/$v.png" "$out/$chapter.png"
  echo "$out/$chapter.png ($v view, $(stat -c %s "$out/$chapter.png") bytes)"
done
