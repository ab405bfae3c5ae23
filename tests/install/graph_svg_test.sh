#!/usr/bin/env bash
# `meshtwin graph | dot -Tsvg` (README): the DOT that graph prints for the bundled Bookinfo
# manifests is read by Graphviz (installed by scripts/install-deps.sh) and comes out as an SVG
# document with every node and edge of the graph and the route weights on the edges.
# Usage: graph_svg_test.sh MESHTWIN_BINARY SOURCE_DIR
set -u -o pipefail
BIN=$1; M=$2/scenarios/bookinfo/manifests
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
command -v dot >/dev/null || { echo "FAIL dot not found: run scripts/install-deps.sh (graphviz)"; exit 1; }
"$BIN" graph -f "$M/bookinfo.yaml" -f "$M/destination-rule-all.yaml" \
  -f "$M/virtual-service-reviews-80-20.yaml" >"$TMP/graph.dot" || { echo "FAIL meshtwin graph"; exit 1; }
dot -Tsvg <"$TMP/graph.dot" >"$TMP/graph.svg" 2>"$TMP/dot.err" || { echo "FAIL dot -Tsvg:"; cat "$TMP/dot.err"; exit 1; }
# dot only warns on some malformed input: nothing on stderr means it took every statement.
[ -s "$TMP/dot.err" ] && { echo "FAIL dot warned:"; cat "$TMP/dot.err"; exit 1; }
fail=0
bad() { echo "FAIL $*"; fail=1; }
head -1 "$TMP/graph.svg" | grep -q '^<?xml ' || bad "no XML declaration"
grep -q '<svg ' "$TMP/graph.svg" || bad "no <svg> element"
[ "$(tail -1 "$TMP/graph.svg")" = '</svg>' ] || bad "does not end with </svg>"
# As many drawn nodes and edges as DOT statements: `N[label=...]` and `A->B`.
nodes=$(grep -Ec '^[0-9]+\[' "$TMP/graph.dot"); edges=$(grep -Ec '^[0-9]+->[0-9]+' "$TMP/graph.dot")
[ "$nodes" -gt 0 ] && [ "$edges" -gt 0 ] || bad "graph printed no nodes or edges"
[ "$(grep -c 'class="node"' "$TMP/graph.svg")" -eq "$nodes" ] || bad "SVG nodes != $nodes"
[ "$(grep -c 'class="edge"' "$TMP/graph.svg")" -eq "$edges" ] || bad "SVG edges != $edges"
grep -q '>reviews.default.svc.cluster.local<' "$TMP/graph.svg" || bad "no reviews service label"
grep -q '>80%<' "$TMP/graph.svg" && grep -q '>20%<' "$TMP/graph.svg" || bad "no 80%/20% edge labels"
[ $fail -eq 0 ] && echo "graph | dot -Tsvg: $nodes nodes, $edges edges drawn"
exit $fail
