#!/usr/bin/env bash
# Issue 17 item 5: runs started at once into one new results file are all kept. The schema is
# created once under an exclusive lock; each writer waits for the others' write lock (saying
# so) and picks up the strings they added; every run's rows equal those of the same run alone.
source "$(dirname "$0")/run_common.sh"

N=8
# Long enough (a few seconds of wall time each) that the runs overlap across their periodic
# commits, where another writer's strings appear in the dictionary.
DURATION=4m
"$BIN" run "$SCENARIO" -o "$TMP/alone.db" --duration $DURATION -q >/dev/null 2>&1 || fail "the run alone failed"
# Every column of every request, through the views (so string ids must resolve right).
dump() {  # DB RUN
  sql "$1" "SELECT request_id, client, start_ns, duration_ns, method, authority, path, response_code,
                   response_flags, attempts, route_name, vs_rule, destination_service,
                   destination_version, destination_workload, degraded_calls
            FROM requests WHERE run_id = $2 ORDER BY request_id" | md5sum
}
alone=$(dump "$TMP/alone.db" 1)

db=$TMP/same-new.db
pids=()
# All start within a few milliseconds (a barrier: each polls for the file `go`), so that
# they race to create the new file's schema.
for i in $(seq "$N"); do
  ( until [ -e "$TMP/go" ]; do sleep 0.005; done
    exec "$BIN" run "$SCENARIO" -o "$db" --duration $DURATION -q ) \
    >"$TMP/w$i.out" 2>"$TMP/w$i.err" &
  pids+=($!); CHILDREN+=($!)
done
touch "$TMP/go"
deadline_ok=1
for i in $(seq "$N"); do
  pid=${pids[$((i - 1))]}
  wait_until 300 dead "$pid" || { deadline_ok=0; fail "writer $i still running after 300 s"; }
  wait "$pid"; rc=$?
  [ "$rc" -eq 0 ] || { fail "writer $i exit $rc: $(cat "$TMP/w$i.err")"; }
done
[ "$(sql "$db" "SELECT count(*) FROM runs WHERE status = 'complete'")" -eq "$N" ] \
  && ok "all $N runs present and complete" || fail "runs: $(sql "$db" "SELECT run_id, status FROM runs")"
same=0
for r in $(seq "$N"); do [ "$(dump "$db" "$r")" = "$alone" ] && same=$((same + 1)); done
[ "$same" -eq "$N" ] && ok "each run's requests equal the run alone" || fail "$((N - same)) runs differ from the run alone"
[ "$(sql "$db" "SELECT count(*) FROM summaries")" -eq "$(( N * $(sql "$TMP/alone.db" "SELECT count(*) FROM summaries") ))" ] \
  && ok "summaries of every run" || fail "summaries missing"

# A writer that finds the file locked by another process waits, says so, and goes on.
hold_write_lock "$db"
"$BIN" run "$SCENARIO" -o "$db" --duration 2s -q >"$TMP/late.out" 2>"$TMP/late.err" &
pid=$!; CHILDREN+=("$pid")
waiting() { grep -qs "another process holds this results file (another run writing to it, or a long read); waiting for it" "$TMP/late.err"; }
wait_until 30 waiting && ok "waits with a message while the file is locked" || fail "no waiting message: $(cat "$TMP/late.err")"
alive "$pid" && ok "still waiting, not failed" || fail "gave up while the file was locked"
release_write_lock
wait_until 120 dead "$pid" || fail "did not finish after the lock was released"
wait "$pid"; rc=$?
[ "$rc" -eq 0 ] && ok "finishes once the lock is released" || fail "exit $rc: $(cat "$TMP/late.err")"
[ "$(sql "$db" "SELECT status FROM runs WHERE run_id = $((N + 1))")" = complete ] \
  && ok "run $((N + 1)) complete" || fail "run $((N + 1)) not complete"
finish
