#!/usr/bin/env bash
# Regenerates the pictures of docs/viewer.md (docs/images/viewer/*.png) from the current build:
# simulates the bundled scenarios they show, then renders every view with
# `meshtwin-viewer --screenshot` (offscreen, no display needed). Run it after a change a user
# would see in the viewer, look at the pictures, and commit them.
#
#   scripts/viewer-screenshots.sh [BUILD_DIR [OUT_DIR]]
#
# BUILD_DIR holds cli/meshtwin and gui/meshtwin-viewer (default: build/release, as `make
# release` makes it); OUT_DIR defaults to docs/images/viewer. Exit status: 0 when every picture
# was written, else the failing command's.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build/release}" && pwd)
out=${2:-$root/docs/images/viewer}
mkdir -p "$out"
out=$(cd "$out" && pwd)
meshtwin=$build/cli/meshtwin
viewer=$build/gui/meshtwin-viewer
for tool in "$meshtwin" "$viewer"; do
  [[ -x $tool ]] || { echo "viewer-screenshots: no $tool (build first: make release)" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Recent files and window settings go to the scratch folder, not the user's.
export XDG_CONFIG_HOME=$work/config
export QT_QPA_PLATFORM=offscreen
reviews=reviews.default.svc.cluster.local

# Scenario paths stay relative to the repository, as the overview's input list shows them.
cd "$root"
# The canary: reviews v3 takes 10 %, then 50 %; at 120 s v3 fails half its requests and at
# 150 s the rollout aborts back to v1.
"$meshtwin" run scenarios/bookinfo/canary-v3-degrades.yaml -o "$work/canary.db" >/dev/null
# The comparison: the 80/20 split with two application faults, beside 50/50 v1/v3.
"$meshtwin" run scenarios/bookinfo/reviews-80-20.yaml -o "$work/80-20-faults.db" \
  --set 'spec.apps.reviews-v2.failures=[{rate: 0.1, kind: status, status: 503}]' \
  --set 'spec.apps.ratings-v1.failures=[{rate: 0.05, kind: status, status: 500}]' >/dev/null
"$meshtwin" run scenarios/bookinfo/reviews-50-v3.yaml -o "$work/50-v3.db" >/dev/null

# The Sweep tab: the M/M/4 pod of tests/capacity/mmc.yaml at six rates, 4 replications each.
"$meshtwin" sweep tests/capacity/mmc.yaml --grid 'spec.clients[0].rate.poisson=100,200,250,300,330,350' \
  --replications 4 --duration 20s -q -o "$work/sweep.db" >/dev/null

# Files are opened by bare name so the pictures show `canary.db:1`, not a temporary path.
cd "$work"
"$viewer" canary.db --source productpage-v1 --destination "$reviews" \
  --explore degraded,spans --screenshot "$work/single" >/dev/null
"$viewer" 80-20-faults.db --compare 50-v3.db --source productpage-v1 --destination "$reviews" \
  --screenshot "$work/compare" >/dev/null

"$viewer" sweep.db:s1 --screenshot "$work/sweep" >/dev/null

for view in overview charts graph requests; do cp "$work/single/$view.png" "$out/$view.png"; done
cp "$work/sweep/sweep.png" "$out/sweep.png"
for view in overview charts; do cp "$work/compare/$view.png" "$out/compare-$view.png"; done
ls -l "$out"/*.png | awk '{ printf "%8d  %s\n", $5, $NF }'
