#!/usr/bin/env python3
"""`meshtwin report --format fortio-json` against a real Fortio result file
(tests/data/fortio/grpc-ping-result.json, from Fortio's repository): every key Fortio wrote must be
there with the same JSON type, at every level (DurationHistogram, its Data buckets and
Percentiles), so that Fortio's UI and `fortio report` can browse a simulated run. Also checks
the values that make it a faithful histogram: counts add up, Percent is cumulative and ends at
100, latencies are in seconds, RetCodes are keyed by HTTP status.
Usage: fortio_json_test.py MESHTWIN_BINARY SOURCE_DIR"""
import json
import os
import subprocess
import sys
import tempfile

# Keys of a gRPC ping run that an HTTP run does not have (Fortio's GRPCRunnerResults).
GRPC_ONLY = {"Destination", "Streams", "Ping"}


def kind(v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"  # JSON has one number type; Fortio writes 100 and 0.27 alike
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def compare(ref, got, path, problems):
    for key, ref_value in ref.items():
        if path == "" and key in GRPC_ONLY:
            continue
        where = f"{path}.{key}" if path else key
        if key not in got:
            problems.append(f"missing key {where}")
            continue
        if kind(got[key]) != kind(ref_value):
            problems.append(f"{where}: {kind(got[key])}, Fortio writes {kind(ref_value)}")
            continue
        if isinstance(ref_value, dict) and key != "RetCodes":  # RetCodes' keys are the codes
            compare(ref_value, got[key], where, problems)
        if isinstance(ref_value, list) and ref_value and isinstance(ref_value[0], dict):
            if not got[key]:
                problems.append(f"{where}: empty")
            for i, item in enumerate(got[key]):
                compare(ref_value[0], item, f"{where}[{i}]", problems)


def main():
    binary, src = sys.argv[1], sys.argv[2]
    with open(os.path.join(src, "tests/data/fortio/grpc-ping-result.json"), encoding="utf-8") as f:
        ref = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "r.db")
        subprocess.run([binary, "run", os.path.join(src, "scenarios/bookinfo/kill-ratings.yaml"), "-o", db, "-q"],
                       check=True, stdout=subprocess.DEVNULL)
        out = subprocess.run([binary, "report", db, "--format", "fortio-json"], check=True, capture_output=True,
                             text=True).stdout
    got = json.loads(out)
    problems = []
    compare(ref, got, "", problems)

    h = got["DurationHistogram"]
    if sum(b["Count"] for b in h["Data"]) != h["Count"]:
        problems.append("DurationHistogram.Data counts do not add up to Count")
    percents = [b["Percent"] for b in h["Data"]]
    if percents != sorted(percents) or abs(percents[-1] - 100) > 1e-9:
        problems.append(f"Data Percent is not cumulative to 100: {percents}")
    if not (0 < h["Min"] <= h["Avg"] <= h["Max"] < 60):
        problems.append(f"latencies are not in seconds: Min {h['Min']} Avg {h['Avg']} Max {h['Max']}")
    if h["Data"][0]["Start"] != h["Min"] or h["Data"][-1]["End"] != h["Max"]:
        problems.append("the histogram does not span Min..Max")
    if [p["Percentile"] for p in h["Percentiles"]] != [50, 75, 90, 99, 99.9]:
        problems.append(f"Percentiles: {h['Percentiles']}")
    if sum(got["RetCodes"].values()) != h["Count"] or "200" not in got["RetCodes"]:
        problems.append(f"RetCodes {got['RetCodes']} do not count the {h['Count']} calls by HTTP status")
    if not isinstance(got["ActualDuration"], int):
        problems.append("ActualDuration must be integer nanoseconds, as Go's time.Duration marshals")
    for p in problems:
        print("FAIL " + p)
    print(f"fortio json: {len(problems)} problem(s); {len(got)} top-level keys")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
