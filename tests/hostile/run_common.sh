# Sourced by the run_*.sh hostile tests (issue 17: interrupts, full disks, concurrent writers).
# Usage of every test: run_X.sh MESHTWIN_BINARY SOURCE_DIR. Exit 0 pass, 1 fail, 77 skipped.
# Each test bounds its own wall time (every wait polls with a deadline, never one long sleep)
# and, outside ASan, its memory; ctest adds a TIMEOUT on top.
set -u
BIN=$1; SRC=$2
TMP=$(mktemp -d /tmp/meshtwin-hostile.XXXXXX)
CHILDREN=()
cleanup() {
  local p
  for p in "${CHILDREN[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
# ASan reserves terabytes of shadow address space, so a virtual-memory limit would break it;
# under ASan the bound comes from ASAN_OPTIONS (hard_rss_limit_mb) instead (.ci/run).
if ! ldd "$BIN" 2>/dev/null | grep -q libasan; then ulimit -v $((4 * 1024 * 1024)); fi
SCENARIO=$SRC/scenarios/bookinfo/reviews-80-20.yaml
# A script's background jobs start with SIGINT ignored, and meshtwin (like any program that
# catches SIGINT) leaves an inherited "ignore" alone; signal tests start it with the defaults.
# Used as "${SIGNALABLE[@]}" "$BIN" ... &, so that $! is meshtwin's pid (env execs it).
SIGNALABLE=(env --default-signal=INT,TERM)
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
finish() { [ "$failures" -eq 0 ] && { echo "all passed"; exit 0; }; echo "$failures failed"; exit 1; }
sql() {  # FILE SQL: one query through the sqlite3 shell, waiting out a writer's commit
  sqlite3 -cmd ".timeout 5000" "$1" "$2" 2>/dev/null
}
# Polls COMMAND... every 50 ms until it succeeds; false after SECONDS.
wait_until() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.05
  done
}
alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }
# True once FILE holds committed request rows for its latest run: the simulation is under way.
has_rows() { [ "$(sql "$1" "SELECT count(*) FROM request_rows")" -gt 0 ] 2>/dev/null; }
# Another process holds DB's write lock (a sqlite3 shell inside BEGIN IMMEDIATE, fed through a
# fifo on fd 7) until release_write_lock, as a second meshtwin writing the file would.
hold_write_lock() {  # DB
  local db=$1
  rm -f "$TMP/hold"; mkfifo "$TMP/hold"
  # The holder waits out a busy file (the probe below takes the lock for an instant every 50 ms;
  # without a timeout the holder's BEGIN could fail against it and never hold the lock).
  sqlite3 -cmd ".timeout 10000" "$db" <"$TMP/hold" >/dev/null 2>&1 &
  HOLDER_PID=$!; CHILDREN+=("$HOLDER_PID")
  exec 7>"$TMP/hold"
  echo "BEGIN IMMEDIATE; INSERT INTO strings(value) VALUES('held by the test');" >&7
  locked() { ! sqlite3 "$db" "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1; }
  wait_until 20 locked || fail "the lock holder did not take the lock of $db"
}
release_write_lock() {
  echo "COMMIT;" >&7; exec 7>&-
  wait_until 10 dead "$HOLDER_PID"
}
