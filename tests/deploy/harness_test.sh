#!/usr/bin/env bash
# deploy/local_harness.py as ctest runs it: the Kubernetes Indexed Job's shards and merge Job, and
# the Slurm array and merge, run here from the manifests' and scripts' own command lines (each
# replication 2 s of simulated time instead of the manifests' 60 s); both merged files must equal
# the unsharded sweep row for row (tests/cli/compare_results.py).
# Usage: harness_test.sh MESHTWIN_BINARY SOURCE_DIR PYTHON3
set -eu
BIN=$1; SRC=$2; PY=$3
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
"$PY" "$SRC/deploy/local_harness.py" kubernetes --meshtwin "$BIN" --workdir "$TMP" --duration 2s --unsharded
"$PY" "$SRC/deploy/local_harness.py" slurm --meshtwin "$BIN" --workdir "$TMP" --duration 2s
"$PY" "$SRC/tests/cli/compare_results.py" "$TMP/unsharded/shard-0.db" "$TMP/kubernetes/sweep.db"
"$PY" "$SRC/tests/cli/compare_results.py" "$TMP/unsharded/shard-0.db" "$TMP/slurm/sweep.db"
echo "deploy harness: the Job's and the array's merged sweeps equal the unsharded sweep"
