#!/usr/bin/env python3
"""Confidence-interval coverage of `report FILE.db:bN` (issue 12 "Must show"): 100 independent
batches of an M/M/1 queue (tests/stats/mm1.yaml, mean response time 1/(mu - lambda) = 20 ms)
each give a 95 % interval of the mean response time from their replications; at least 90 of the
100 must contain 20 ms. A slow test, outside the default ctest run (label `slow`, configuration
`slow`): ctest --preset test -C slow -L slow.
Usage: coverage_test.py MESHTWIN_BINARY SOURCE_DIR [BATCHES] [REPLICATIONS]"""
import json
import os
import subprocess
import sys
import tempfile

TRUE_MEAN_NS = 20e6  # 1 / (100/s - 50/s)


def main():
    binary, source = sys.argv[1], sys.argv[2]
    batches = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    replications = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    scenario = os.path.join(source, "tests", "stats", "mm1.yaml")
    covered = 0
    widths = []
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "coverage.db")
        for b in range(1, batches + 1):
            # Batch b's seeds: b * 1000 for replication 0, derived ones for the rest; no two
            # batches share a replication seed (engine::replication_seed).
            subprocess.run([binary, "run", scenario, "--replications", str(replications), "--seed", str(b * 1000),
                            "-q", "-o", db], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            out = subprocess.run([binary, "report", f"{db}:b{b}", "--format", "json"], check=True,
                                 capture_output=True, text=True).stdout
            mean = next(f for f in json.loads(out)["clients"] if f["figure"] == "mean")
            assert mean["n"] == replications, mean
            if mean["lo"] <= TRUE_MEAN_NS <= mean["hi"]:
                covered += 1
            widths.append(mean["hi"] - mean["lo"])
    widths.sort()
    print(f"coverage: {covered} of {batches} 95% intervals ({replications} replications each) contain the "
          f"M/M/1 mean response time 20ms; median interval width {widths[len(widths) // 2] / 1e6:.3f}ms")
    need = (9 * batches + 9) // 10
    if covered < need:
        print(f"FAIL: fewer than {need}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
