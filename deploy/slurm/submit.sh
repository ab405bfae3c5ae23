#!/bin/bash
# Submits the sharded sweep as a job array and the merge after it (docs/scale-out.md).
# DURATION and RESULTS, when set, reach both jobs (--export=ALL).
set -eu
cd "$(dirname "$0")"
range=$(sed -n 's/^#SBATCH --array=\([0-9]*\)-\([0-9]*\).*/\1 \2/p' sweep.sbatch)
read -r first last <<<"$range"
[ "$first" = 0 ] || { echo "submit.sh: sweep.sbatch's --array must start at 0" >&2; exit 2; }
array=$(sbatch --parsable --export=ALL sweep.sbatch)
merge=$(sbatch --parsable --export=ALL,SHARDS=$((last + 1)) --dependency="afterok:${array%%;*}" merge.sbatch)
echo "submitted array job $array ($((last + 1)) shards) and merge job $merge; the result: \$RESULTS/sweep.db"
