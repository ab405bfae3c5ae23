#!/usr/bin/env python3
"""`meshtwin export --traces` against the formats' specifications (docs/export.md).

Zipkin v2: validated with python3-jsonschema against zipkin2-spans.schema.json (written from
Zipkin's zipkin2-api.yaml; provenance in the schema's $comment). OTLP/JSON: the protobuf JSON
mapping of ExportTraceServiceRequest as OTLP specifies it: lowerCamelCase field names, trace and
span ids as hex (32 and 16 characters, not base64), int64 times as decimal strings of
nanoseconds, enums as integers. Then the tree: one trace per client request (trace id from the
request id), a span per stored span row, parents across hops, retries as siblings, and the
sample is deterministic and a subset as the rate shrinks.
Usage: traces_test.py MESHTWIN_BINARY SOURCE_DIR
"""
import json, os, re, sqlite3, subprocess, sys, tempfile

import jsonschema

BIN, SRC = sys.argv[1], sys.argv[2]
HEX32, HEX16 = re.compile(r"^[0-9a-f]{32}$"), re.compile(r"^[0-9a-f]{16}$")
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def export(db, fmt, out, *extra):
    subprocess.run([BIN, "export", db, "--traces", out, "--format", fmt, "--epoch", "1700000000", *extra],
                   check=True, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)


with tempfile.TemporaryDirectory() as tmp:
    db = os.path.join(tmp, "r.db")
    # Retries (the retries chapter: Envoy retries a failing upstream) give sibling spans under one parent.
    subprocess.run([BIN, "run", os.path.join(SRC, "scenarios/tutorial/07-retries/scenario.yaml"), "-o", db,
                    "--set", "spec.record.spans=all", "--set", "spec.record.requests=all"],
                   check=True, stdout=subprocess.DEVNULL)
    con = sqlite3.connect(db)
    rows = con.execute("SELECT request_id, span_id, parent_span_id, attempt, start_ns, duration_ns, response_code, "
                       "cluster, response_flags FROM spans").fetchall()
    by_span = {r[1]: r for r in rows}
    requests_with_spans = {r[0] for r in rows}

    # ---- Zipkin v2 ----
    zipkin = export(db, "zipkin", os.path.join(tmp, "z.json"))
    with open(os.path.join(SRC, "tests/export/zipkin2-spans.schema.json")) as f:
        schema = json.load(f)
    try:
        jsonschema.validate(zipkin, schema)
    except jsonschema.ValidationError as e:
        failures.append(f"zipkin: schema: {e.message} at {list(e.absolute_path)}")
    check(len(zipkin) == len(rows), f"zipkin: {len(zipkin)} spans, file has {len(rows)}")
    traces = {}
    for s in zipkin:
        traces.setdefault(s["traceId"], []).append(s)
    check(len(traces) == len(requests_with_spans), f"zipkin: {len(traces)} traces for {len(requests_with_spans)} requests")
    ids_in_trace = {t: {s["id"] for s in spans} for t, spans in traces.items()}
    siblings = 0
    for s in zipkin:
        row = by_span[int(s["id"], 16)]
        check(int(s["traceId"][16:], 16) == row[0], "zipkin: trace id does not carry the request id")
        check(s["timestamp"] == 1700000000 * 10**6 + row[4] // 1000, "zipkin: timestamp is not epoch + start in µs")
        check(s["tags"]["http.status_code"] == str(row[6]), "zipkin: http.status_code")
        check(s["tags"]["upstream_cluster"] == row[7], "zipkin: upstream_cluster")
        check(s["tags"]["response_flags"] == row[8], "zipkin: response_flags")
        if row[2] is None:
            check("parentId" not in s, "zipkin: a first hop has a parent")
        else:
            check(s.get("parentId") == f"{row[2]:016x}", "zipkin: parentId is not the parent span")
            check(s["parentId"] in ids_in_trace[s["traceId"]], "zipkin: parent outside its trace")
        if row[3] > 1:
            siblings += 1
    check(siblings > 0, "zipkin: the run has no retry to show as a sibling span")

    # ---- OTLP/JSON ----
    otlp = export(db, "otlp", os.path.join(tmp, "o.json"))
    check(set(otlp) == {"resourceSpans"}, f"otlp: top-level keys {set(otlp)}")
    n = 0
    for rs in otlp["resourceSpans"]:
        check(set(rs) == {"resource", "scopeSpans"}, f"otlp: resourceSpans keys {set(rs)}")
        attrs = rs["resource"]["attributes"]
        check(any(a["key"] == "service.name" and "stringValue" in a["value"] for a in attrs), "otlp: no service.name")
        for ss in rs["scopeSpans"]:
            check(set(ss) == {"scope", "spans"}, f"otlp: scopeSpans keys {set(ss)}")
            for s in ss["spans"]:
                n += 1
                allowed = {"traceId", "spanId", "parentSpanId", "name", "kind", "startTimeUnixNano",
                           "endTimeUnixNano", "attributes", "status"}
                check(set(s) <= allowed, f"otlp: unknown span fields {set(s) - allowed}")
                check(HEX32.match(s["traceId"]) is not None, f"otlp: traceId {s['traceId']!r} is not 32 hex")
                check(HEX16.match(s["spanId"]) is not None, f"otlp: spanId {s['spanId']!r} is not 16 hex")
                if "parentSpanId" in s:
                    check(HEX16.match(s["parentSpanId"]) is not None, "otlp: parentSpanId is not 16 hex")
                check(isinstance(s["kind"], int) and s["kind"] == 3, "otlp: kind is not SPAN_KIND_CLIENT (3)")
                for k in ("startTimeUnixNano", "endTimeUnixNano"):
                    check(isinstance(s[k], str) and s[k].isdigit(), f"otlp: {k} is not a decimal string")
                row = by_span[int(s["spanId"], 16)]
                check(int(s["startTimeUnixNano"]) == 1700000000 * 10**9 + row[4], "otlp: start is not epoch + start_ns")
                check(int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"]) == row[5], "otlp: duration")
                for a in s["attributes"]:
                    check(set(a) == {"key", "value"} and len(a["value"]) == 1, f"otlp: attribute {a}")
                    v = a["value"]
                    check("stringValue" in v or ("intValue" in v and isinstance(v["intValue"], str)),
                          f"otlp: attribute value {v} (int64 must be a string)")
                code = {a["key"]: a["value"] for a in s["attributes"]}["http.status_code"]["intValue"]
                check(code == str(row[6]), "otlp: http.status_code")
                if row[6] >= 500 or row[6] == 0:
                    check(s["status"] == {"code": 2}, "otlp: an error span's status is not STATUS_CODE_ERROR")
    check(n == len(rows), f"otlp: {n} spans, file has {len(rows)}")

    # ---- sampling: deterministic by request id, nested as the rate shrinks ----
    a = {s["traceId"] for s in export(db, "zipkin", os.path.join(tmp, "s1.json"), "--trace-sample", "0.1")}
    b = {s["traceId"] for s in export(db, "zipkin", os.path.join(tmp, "s2.json"), "--trace-sample", "0.1")}
    c = {s["traceId"] for s in export(db, "zipkin", os.path.join(tmp, "s3.json"), "--trace-sample", "0.01")}
    check(a == b, "sampling is not deterministic")
    check(c <= a, "a 1 % sample is not within the 10 % sample")
    share = len(a) / len(requests_with_spans)
    check(0.07 < share < 0.13, f"a 10 % sample kept {share:.3f} of the traces")
    print(f"{len(rows)} spans in {len(traces)} traces, {siblings} retries as siblings; 10 % sample kept {share:.3f}")

for f in failures[:20]:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
