#!/usr/bin/env python3
"""Writes a Prometheus query_range JSON answer for `meshtwin calibrate`'s benchmark
(docs/performance.md): N workloads (default 100) of a layered call graph, a day (default 24 h)
of 15 s steps, istio_requests_total (codes 200 and 503) and
istio_request_duration_milliseconds_bucket (Istio's 20 buckets) per edge, reporter="source",
the client rate following the time of day.

usage: calibrate_input.py OUT.json [--workloads 100] [--hours 24] [--step 15]
"""
import argparse
import json
import math

LES = ["0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000",
       "30000", "60000", "300000", "600000", "1800000", "3600000", "+Inf"]


def lognormal_cdf(x, p50, p99):
    if x == math.inf:
        return 1.0
    sigma = (math.log(p99) - math.log(p50)) / 2.326
    return 0.5 * math.erfc(-(math.log(x) - math.log(p50)) / (sigma * math.sqrt(2)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--workloads", type=int, default=100)
    ap.add_argument("--hours", type=float, default=24)
    ap.add_argument("--step", type=float, default=15)
    a = ap.parse_args()
    n = a.workloads
    entries = max(1, n // 10)
    # Edges: loadgen -> each entry workload; workload i (not in the last tenth) -> two later ones.
    edges = [("loadgen", i) for i in range(entries)]
    for i in range(n - n // 10):
        for k in (1, 2):
            j = min(n - 1, entries + (i * 7 + k * 13) % (n - entries))
            if j != i:
                edges.append((f"w{i:03d}", j))
    t0 = 1_700_006_400  # a midnight UTC, so that the range covers each hour of the day once
    steps = int(a.hours * 3600 / a.step)
    times = [f"{t0 + k * a.step:.3f}" for k in range(steps + 1)]
    # Requests per step: a daily cycle between 20 and 60 per second per edge.
    per_step = [a.step * (40 + 20 * math.sin(2 * math.pi * (k * a.step) / 86400)) for k in range(steps + 1)]
    cumulative = [0.0] * (steps + 1)
    acc = 0.0
    for k in range(1, steps + 1):
        acc += per_step[k]
        cumulative[k] = acc
    with open(a.out, "w") as f:
        f.write('{"status":"success","data":{"resultType":"matrix","result":[')
        first = True

        def series(metric, scale):
            nonlocal first
            f.write(("" if first else ",") + "\n")
            first = False
            f.write('{"metric":' + json.dumps(metric, separators=(",", ":")) + ',"values":[')
            f.write(",".join(f'[{t},"{int(c * scale)}"]' for t, c in zip(times, cumulative)))
            f.write("]}")

        for src, j in edges:
            labels = {"reporter": "source", "source_workload": src, "source_workload_namespace": "default",
                      "destination_workload": f"w{j:03d}", "destination_workload_namespace": "default",
                      "destination_service": f"w{j:03d}.default.svc.cluster.local", "response_flags": "-"}
            series(dict(__name__="istio_requests_total", response_code="200", **labels), 0.99)
            series(dict(__name__="istio_requests_total", response_code="503", **labels), 0.01)
            p50 = 2.0 + (j % 7)
            for le in LES:
                x = math.inf if le == "+Inf" else float(le)
                series(dict(__name__="istio_request_duration_milliseconds_bucket", response_code="200", le=le, **labels),
                       0.99 * lognormal_cdf(x, p50, p50 * 5))
        f.write("\n]}}\n")


if __name__ == "__main__":
    main()
