#!/usr/bin/env bash
# Pins the simulation's behaviour: runs every bundled scenario (scenarios/*/*.yaml) with every
# request and span recorded, and compares a digest of its requests, spans, metrics and events
# rows with the value checked in beside this script (digests.txt). Rows are digested through
# the results file's views (strings, not interned ids) in a content order, so a refactor that
# keeps behaviour keeps every digest; a deliberate behaviour change updates digests.txt in its
# own commit, saying why (run this script with --update to rewrite it).
#
# --zero-cost runs every scenario with the zero-cost proxy (`--set spec.mesh.proxyCpu=none`,
# docs/semantics.md §19.4) and compares with digests-zero-cost.txt: the digests from before the
# proxy's CPU was modelled, which the zero-cost setting must reproduce row for row.
# Usage: golden_test.sh MESHTWIN_BINARY SOURCE_DIR [--update] [--zero-cost]
set -u
BIN=$1; SRC=$2; shift 2
UPDATE=; ZERO=
for a in "$@"; do
  case $a in
    --update) UPDATE=--update ;;
    --zero-cost) ZERO=1 ;;
    *) echo "golden_test.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
GOLDEN=$SRC/tests/golden/digests.txt
extra=()
if [ -n "$ZERO" ]; then GOLDEN=$SRC/tests/golden/digests-zero-cost.txt; extra=(--set spec.mesh.proxyCpu=none); fi
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
queries=(
  "requests|SELECT request_id, client, start_ns, duration_ns, method, authority, path, response_code, response_flags, attempts, route_name, vs_rule, destination_service, destination_version, destination_workload, degraded_calls FROM requests ORDER BY 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"
  "spans|SELECT request_id, span_id, parent_span_id, kind, source_workload, source_pod, destination_service, destination_version, destination_workload, destination_pod, cluster, route_name, attempt, app_attempt, config_version, start_ns, duration_ns, response_code, response_flags, upstream_flags FROM spans ORDER BY 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20"
  "metrics|SELECT * FROM metrics ORDER BY 2,3,4,5,6,7,8,9,10,11"
  "events|SELECT t_ns, kind, subject, detail FROM events ORDER BY 1,2,3,4"
)
out=$TMP/digests.txt
: > "$out"
status=0
for scenario in "$SRC"/scenarios/*/*.yaml; do
  name=${scenario#"$SRC"/scenarios/}
  db=$TMP/run.db; rm -f "$db"
  if ! "$BIN" run "$scenario" -o "$db" --set spec.record.requests=all --set spec.record.spans=all "${extra[@]}" \
       >"$TMP/stdout" 2>"$TMP/stderr"; then
    echo "$name: run failed:"; head -5 "$TMP/stderr"; status=1; continue
  fi
  for q in "${queries[@]}"; do
    table=${q%%|*}; sql=${q#*|}
    rows=$(sqlite3 "$db" "SELECT count(*) FROM $table")
    digest=$(sqlite3 -separator $'\t' "$db" "$sql" | sha256sum | cut -c1-16)
    echo "$name $table $rows $digest" >> "$out"
  done
done
if [ "$UPDATE" = "--update" ]; then
  header=$(head -1 "$GOLDEN" 2>/dev/null | grep '^#' || echo "# scenario table rows sha256[:16] — written by tests/golden/golden_test.sh --update")
  { echo "$header"; cat "$out"; } > "$GOLDEN"
  echo "golden: wrote $GOLDEN"; exit $status
fi
if ! diff <(grep -v '^#' "$GOLDEN") "$out" > "$TMP/diff"; then
  echo "golden: behaviour changed (expected < > got):"; cat "$TMP/diff"
  echo "If the change is deliberate, rerun with --update and commit digests.txt on its own, with the reason."
  status=1
fi
[ $status -eq 0 ] && echo "golden: $(wc -l < "$out") digests match"
exit $status
