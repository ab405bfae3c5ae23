#!/usr/bin/env bash
# Issue 17 item 3: Ctrl-C and SIGTERM stop the simulation at the next event, keep what was
# recorded with its summaries, mark the run `interrupted` and exit 130/143; a second signal
# exits at once; a run left `running` by SIGKILL reads as incomplete and is refused.
source "$(dirname "$0")/run_common.sh"

# A run long enough never to finish by itself within the test's bounds.
start_long_run() {  # DB [extra args...]
  local db=$1; shift
  "${SIGNALABLE[@]}" "$BIN" run "$SCENARIO" -o "$db" --duration 100h -q "$@" >"$db.out" 2>"$db.err" &
  RUN_PID=$!
  CHILDREN+=("$RUN_PID")
  wait_until 120 has_rows "$db" || { fail "no rows committed in $db within 120 s"; cat "$db.err"; return 1; }
}

for sig in INT TERM; do
  db=$TMP/$sig.db
  start_long_run "$db" || continue
  kill -s "$sig" "$RUN_PID"
  wait_until 60 dead "$RUN_PID" || { fail "$sig: still running 60 s after the signal"; kill -KILL "$RUN_PID"; }
  wait "$RUN_PID"; rc=$?
  want=$([ "$sig" = INT ] && echo 130 || echo 143)
  [ "$rc" -eq "$want" ] && ok "$sig: exit $rc" || fail "$sig: exit $rc, want $want"
  status=$(sql "$db" "SELECT status FROM runs")
  [ "$status" = interrupted ] && ok "$sig: status interrupted" || fail "$sig: status '$status'"
  rows=$(sql "$db" "SELECT count(*) FROM requests")
  summed=$(sql "$db" "SELECT coalesce(sum(requests), 0) FROM summaries")
  [ "$rows" -gt 0 ] && [ "$rows" = "$summed" ] && ok "$sig: summaries count the $rows recorded requests" \
    || fail "$sig: $rows request rows but summaries count $summed"
  sim_end=$(sql "$db" "SELECT sim_end_ns FROM run_rows")
  [ "$sim_end" -gt 0 ] && ok "$sig: sim_end_ns $sim_end recorded" || fail "$sig: sim_end_ns $sim_end"
  out=$("$BIN" report "$db" 2>&1); rc=$?
  [ "$rc" -eq 0 ] && grep -q "status interrupted" <<<"$out" && grep -q "^Interrupted:" <<<"$out" \
    && ok "$sig: report reads the interrupted run" || { fail "$sig: report exit $rc"; echo "$out" | head -5; }
  grep -q "interrupted at t=" "$db.err" && ok "$sig: says so on stderr" || fail "$sig: no message on stderr"
done

# SIGKILL leaves the run `running`: every reader calls it incomplete and refuses it unless asked.
db=$TMP/KILL.db
if start_long_run "$db"; then
  kill -KILL "$RUN_PID"; wait "$RUN_PID" 2>/dev/null
  out=$("$BIN" report "$db" 2>&1); rc=$?
  [ "$rc" -eq 2 ] && grep -q "run 1 is incomplete" <<<"$out" && grep -q -- "--allow-incomplete" <<<"$out" \
    && ok "KILL: report refuses the incomplete run" || { fail "KILL: report exit $rc"; echo "$out" | head -3; }
  out=$("$BIN" report --allow-incomplete "$db" 2>&1); rc=$?
  [ "$rc" -eq 0 ] && grep -q "status incomplete" <<<"$out" && grep -q "^WARNING: .*incomplete" <<<"$out" \
    && ! grep -q "Simulated until 0s" <<<"$out" \
    && ok "KILL: report --allow-incomplete shows it as incomplete" || { fail "KILL: --allow-incomplete exit $rc"; echo "$out" | head -4; }
  "$BIN" run "$SCENARIO" -o "$TMP/base.db" --duration 2s -q >/dev/null 2>&1
  out=$("$BIN" diff "$TMP/base.db" "$db" 2>&1); rc=$?
  [ "$rc" -eq 2 ] && grep -q "incomplete" <<<"$out" && ok "KILL: diff refuses it" || fail "KILL: diff exit $rc: $out"
  out=$("$BIN" diff --allow-incomplete "$TMP/base.db" "$db" 2>&1); rc=$?
  [ "$rc" -eq 0 ] && grep -q "run 1 is incomplete, not complete" <<<"$out" \
    && ok "KILL: diff --allow-incomplete notes it" || { fail "KILL: diff --allow-incomplete exit $rc"; echo "$out" | head -3; }
  # An inherited "ignore" of SIGINT (a background job of a script, nohup) is respected.
db=$TMP/ignored.db
"$BIN" run "$SCENARIO" -o "$db" --duration 100h -q >/dev/null 2>&1 &
pid=$!; CHILDREN+=("$pid")
if wait_until 120 has_rows "$db"; then
  kill -INT "$pid"; sleep 0.5
  alive "$pid" && ok "an ignored SIGINT stays ignored" || fail "SIGINT acted although the parent ignored it"
  kill -TERM "$pid"
  wait_until 60 dead "$pid" || { fail "ignored INT: SIGTERM did not stop it"; kill -KILL "$pid"; }
  wait "$pid"; rc=$?
  [ "$rc" -eq 143 ] && ok "SIGTERM still stops it (exit 143)" || fail "ignored INT: SIGTERM gave exit $rc"
fi

# The next run appends to the same file after the killed one; the latest run is a result.
  "$BIN" run "$SCENARIO" -o "$db" --duration 2s -q >/dev/null 2>&1 || fail "KILL: appending after the killed run"
  "$BIN" report "$db" >/dev/null 2>&1 && ok "KILL: a later run in the same file reads normally" || fail "KILL: report of run 2"
fi

# `check` interrupted: no verdict, the signal's exit code, an interrupted run in -o.
db=$TMP/check.db
"${SIGNALABLE[@]}" "$BIN" check "$SRC/scenarios/bookinfo/canary-v3-degrades.yaml" --duration 100h -q -o "$db" >"$db.out" 2>"$db.err" &
pid=$!; CHILDREN+=("$pid")
if wait_until 120 has_rows "$db"; then
  kill -INT "$pid"
  wait_until 60 dead "$pid" || { fail "check: still running 60 s after SIGINT"; kill -KILL "$pid"; }
  wait "$pid"; rc=$?
  [ "$rc" -eq 130 ] && ok "check: exit 130" || fail "check: exit $rc"
  ! grep -Eq "PASS|FAIL" "$db.out" && ok "check: no verdict printed" || fail "check printed a verdict: $(head -3 "$db.out")"
  [ "$(sql "$db" "SELECT status FROM runs")" = interrupted ] && ok "check: run interrupted" || fail "check: status"
else
  fail "check: no rows within 120 s"
fi

# A second signal exits at once. Deterministically: another process holds the file's write
# lock, so the run waits for it (with a message); the first SIGINT asks it to stop, which it
# cannot do until it gets the lock; the second ends it.
db=$TMP/second.db
"$BIN" run "$SCENARIO" -o "$db" --duration 1s -q >/dev/null 2>&1 || fail "second: making the file"
hold_write_lock "$db"
"${SIGNALABLE[@]}" "$BIN" run "$SCENARIO" -o "$db" --duration 1s -q >"$db.out" 2>"$db.err" &
pid=$!; CHILDREN+=("$pid")
waiting() { grep -qs "waiting for it" "$db.err"; }
if wait_until 30 waiting; then
  ok "second: waits for the other writer, with a message"
  kill -INT "$pid"
  wait_until 2 grep -qs "signal again" "$db.err" || fail "second: no message after the first signal"
  alive "$pid" && ok "second: the first signal lets it finish saving" || fail "second: died on the first signal"
  kill -INT "$pid"
  wait_until 10 dead "$pid" && ok "second: the second signal ends it at once" \
    || { fail "second: alive 10 s after the second signal"; kill -KILL "$pid"; }
  wait "$pid"; rc=$?
  [ "$rc" -eq 130 ] && ok "second: exit 130" || fail "second: exit $rc"
else
  fail "second: no waiting message"; cat "$db.err"
fi
release_write_lock
finish
