#!/usr/bin/env bash
# `meshtwin export` checked by Prometheus' own tool (docs/export.md): promtool lints the text
# exposition, backfills the OpenMetrics file into TSDB blocks and dumps them back; the totals
# and rates read from the blocks must match the results file.
# Usage: promtool_test.sh MESHTWIN_BINARY SOURCE_DIR
set -euo pipefail
BIN=$1; SRC=$2
command -v promtool >/dev/null || { echo "promtool not installed (scripts/install-deps.sh)"; exit 1; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
fail() { echo "FAIL: $*"; exit 1; }

# Bookinfo with reviews v1/v2 (v2 is what the totals are checked on), and the circuit-breaker
# chapter for Envoy's pending-overflow stat.
"$BIN" run "$SRC/scenarios/bookinfo/reviews-80-20.yaml" -o b.db >/dev/null
"$BIN" run "$SRC/scenarios/tutorial/08-circuit-breakers/scenario.yaml" -o cb.db >/dev/null

# 1. promtool check metrics: the one accepted complaint is the unit lint on Istio's own
#    istio_request_duration_milliseconds (Istio names it so; dashboards query that name).
for db in b.db cb.db; do
  "$BIN" export "$db" --prometheus-text "$db.prom" 2>/dev/null
  grep -q '^istio_requests_total{' "$db.prom" || fail "$db.prom has no istio_requests_total"
  promtool check metrics < "$db.prom" > lint.txt 2>&1 || true
  if grep -v '^istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"$' lint.txt | grep -q .; then
    cat lint.txt; fail "promtool check metrics complained about $db.prom"
  fi
done
grep -q '^envoy_cluster_upstream_rq_pending_overflow{' cb.db.prom || fail "no pending overflow series in cb.db.prom"

# 2. Backfill the OpenMetrics file and read the blocks back.
"$BIN" export b.db --openmetrics b.om --epoch 1700000000 --interval 15s 2>/dev/null
tail -1 b.om | grep -qx '# EOF' || fail "b.om does not end with # EOF"
promtool tsdb create-blocks-from openmetrics b.om blocks > create.txt 2>&1 || { cat create.txt; fail "create-blocks-from openmetrics"; }
mkdir -p blocks/wal   # tsdb dump opens the directory as a Prometheus data directory
promtool tsdb dump --match='istio_requests_total{reporter="source",destination_version="v2"}' blocks > dump.txt 2>dump.err \
  || { cat dump.err; fail "promtool tsdb dump"; }
[ -s dump.txt ] || fail "no samples of istio_requests_total{reporter=\"source\",destination_version=\"v2\"} in the blocks"

# 3. The totals and a rate over the run, blocks vs SQLite.
python3 - "$TMP" <<'PY'
import re, sqlite3, sys
tmp = sys.argv[1]
series = {}
for line in open(f"{tmp}/dump.txt"):
    labels, value, ts = line.rsplit(" ", 2)
    series.setdefault(labels, []).append((int(ts), float(value)))
db = sqlite3.connect(f"{tmp}/b.db")
(want,) = db.execute("SELECT sum(requests) FROM metrics WHERE reporter='source' AND destination_version='v2' "
                     "AND request_protocol != 'tcp'").fetchone()
last_ts = max(t for s in series.values() for t, _ in s)
total = sum(dict(s).get(last_ts, 0) for s in series.values())
print(f"total at the end of the run: blocks {total:.0f}, SQLite {want}")
if total != want:
    sys.exit(f"FAIL: total {total} != SQLite {want}")
# rate() as Prometheus computes it over the run: per series, the increase between its first
# and last sample over their time span (so counts before a series' first scrape are not seen,
# as in Prometheus); compared with the SQLite requests per second over the same span.
first_ts = min(t for s in series.values() for t, _ in s)
increase = sum(sorted(s)[-1][1] - sorted(s)[0][1] for s in series.values())
rate = increase / ((last_ts - first_ts) / 1000)
epoch_ms = 1700000000 * 1000
lo, hi = (first_ts - epoch_ms) * 1_000_000, (last_ts - epoch_ms) * 1_000_000
(n,) = db.execute("SELECT sum(requests) FROM metrics WHERE reporter='source' AND destination_version='v2' "
                  "AND request_protocol != 'tcp' AND window_start_ns + window_ns > ? AND window_start_ns + window_ns <= ?",
                  (lo, hi)).fetchone()
want_rate = n / ((hi - lo) / 1e9)
err = abs(rate - want_rate) / want_rate
print(f"rate over the run: blocks {rate:.3f}/s, SQLite {want_rate:.3f}/s ({err*100:.2f} %)")
if err > 0.02:
    sys.exit("FAIL: rate differs by more than 2 %")
PY
echo "ok"
