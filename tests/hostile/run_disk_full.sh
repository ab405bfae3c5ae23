#!/usr/bin/env bash
# Issue 17 item 4, on a real full filesystem (ENOSPC): a run whose writes fail is stored
# `failed` with the error, never `complete`, and report neither takes it for a result nor
# explains its missing rows by record.requests. Needs a small tmpfs, which takes root (or a
# user namespace); skipped (77) where mounting is not allowed. The same paths are covered
# without a mount by results_tests (WriterFailure.*, SQLite's max_page_count).
source "$(dirname "$0")/run_common.sh"

mnt=$TMP/full
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=1m tmpfs "$mnt" 2>/dev/null; then
  echo "skipped: cannot mount a 1 MB tmpfs here (needs root)"; exit 77
fi
unmount() { umount "$mnt" 2>/dev/null; cleanup; }
trap unmount EXIT

db=$mnt/r.db
out=$("$BIN" run "$SCENARIO" -o "$db" --duration 2m -q 2>&1); rc=$?
[ "$rc" -eq 2 ] && ok "exit 2" || fail "exit $rc, want 2: $out"
grep -q "database or disk is full" <<<"$out" && ok "says the disk is full" || fail "message: $out"
[ "$(grep -c "$db" <<<"$out")" -eq 1 ] && [ "$(grep -o "$db" <<<"$out" | wc -l)" -eq 1 ] \
  && ok "names the file once" || fail "file named more than once: $out"
row=$(sql "$db" "SELECT status, error FROM runs WHERE run_id = 1")
status=${row%%|*}; error=${row#*|}
case "$status" in
  failed) grep -q "full" <<<"$error" && ok "stored failed with the error" || fail "error column: '$error'";;
  running) ok "stored running (the disk had no room even for the status): reads incomplete";;
  *) fail "stored '$status' after a failed write";;
esac
out=$("$BIN" report "$db" 2>&1); rc=$?
[ "$rc" -eq 2 ] && grep -Eq "run 1 (failed|is incomplete)" <<<"$out" && ok "report refuses it" || fail "report exit $rc: $out"
out=$("$BIN" report --allow-incomplete "$db" 2>&1); rc=$?
[ "$rc" -eq 0 ] && grep -q "^WARNING:" <<<"$out" && ! grep -q "record.requests: none" <<<"$out" \
  && ! grep -q "status complete" <<<"$out" && ok "report --allow-incomplete does not contradict the record" \
  || { fail "report --allow-incomplete exit $rc"; echo "$out" | head -6; }
finish
