#!/usr/bin/env python3
"""What `meshtwin export` promises about its series, each checked against the results file
(docs/export.md) on bundled scenarios:

- defaults: the epoch is the run's recorded time (run_rows.recorded_unix_s) and scrapes are 15 s
  apart, the first at epoch + 15 s;
- istio_request_duration_milliseconds has Istio's default bounds (Envoy's default histogram
  buckets, envoy/config/metrics/v3/stats.proto HistogramSettings, which Istio does not override);
- TCP: istio_tcp_connections_opened_total/closed_total on the tcp-echo scenario, totals equal to
  the `tcp` rows of `metrics`, with Istio's TCP label set (istio/proxy istio_stats: no
  response_code and no grpc_response_status on TCP metrics);
- envoy_cluster_upstream_rq_retry on the Istio retries task equals the stored retry attempts;
- envoy_cluster_outlier_detection_ejections_active on the outlier-detection task follows the
  host_ejected/host_returned events scrape by scrape;
- spans carry istio.canonical_service / istio.canonical_revision as Istio derives them (istio/istio
  pkg/kube/labels CanonicalService: service.istio.io/canonical-name, app.kubernetes.io/name, app,
  else the workload name; revision: canonical-revision, app.kubernetes.io/version, version, else
  "latest").
Usage: series_test.py MESHTWIN_BINARY SOURCE_DIR
"""
import json, math, os, re, shutil, sqlite3, subprocess, sys, tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
failures = []
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+) (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
ISTIO_BOUNDS = ["0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000",
                "30000", "60000", "300000", "600000", "1800000", "3600000", "+Inf"]


def check(cond, msg):
    if not cond:
        failures.append(msg)


def run(scenario, db, *sets):
    args = [BIN, "run", os.path.join(SRC, scenario), "-o", db]
    for s in sets:
        args += ["--set", s]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def samples(path):
    """[(name, {labels}, value, timestamp)] of a text or OpenMetrics file."""
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = SAMPLE.match(line.rstrip("\n"))
            if not m:
                failures.append(f"{path}: unparsed line {line!r}")
                continue
            out.append((m.group(1), dict(LABEL.findall(m.group(2))), float(m.group(3)), m.group(4)))
    return out


def export(db, *args):
    subprocess.run([BIN, "export", db, *args], check=True, stderr=subprocess.DEVNULL)


with tempfile.TemporaryDirectory() as tmp:
    # ---- defaults: epoch = recorded time, interval = 15 s ----
    db = os.path.join(tmp, "b.db")
    run("scenarios/bookinfo/reviews-80-20.yaml", db)
    con = sqlite3.connect(db)
    recorded, sim_end, duration = con.execute(
        "SELECT recorded_unix_s, sim_end_ns, sim_duration_ns FROM run_rows").fetchone()
    check(recorded is not None and abs(recorded - os.path.getmtime(db)) < 3600,
          f"run_rows.recorded_unix_s {recorded} is not when the run was recorded")
    om = os.path.join(tmp, "b.om")
    export(db, "--openmetrics", om)
    stamps = sorted({float(s[3]) for s in samples(om)})
    epoch_ms = round(recorded * 1000)
    want = [(epoch_ms + k * 15000) / 1000 for k in range(1, math.ceil(max(sim_end, duration) / 15e9) + 1)]
    check([round(t * 1000) for t in stamps] == [round(t * 1000) for t in want],
          f"default scrapes: {stamps[:3]}... ({len(stamps)}), want every 15 s from recorded {recorded}: "
          f"{want[:3]}... ({len(want)})")
    # An explicit --interval changes the spacing (so the default above is not a constant).
    om5 = os.path.join(tmp, "b5.om")
    export(db, "--openmetrics", om5, "--interval", "5s", "--epoch", "1700000000")
    stamps5 = sorted({float(s[3]) for s in samples(om5)})
    check(stamps5[:2] == [1700000005.0, 1700000010.0], f"--interval 5s --epoch 1700000000: {stamps5[:2]}")

    # ---- Istio's default duration buckets ----
    prom = os.path.join(tmp, "b.prom")
    export(db, "--prometheus-text", prom)
    text = samples(prom)
    series = {}
    for name, labels, value, _ in text:
        if name == "istio_request_duration_milliseconds_bucket":
            key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
            series.setdefault(key, []).append((labels["le"], value))
    check(series, "no istio_request_duration_milliseconds_bucket series")
    for key, buckets in series.items():
        check([le for le, _ in buckets] == ISTIO_BOUNDS, f"le bounds {[le for le, _ in buckets]}")
        check(all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), f"buckets not cumulative: {buckets}")
        break
    # Every HTTP series carries response_code (TCP ones must not, below).
    check(all("response_code" in l for n, l, _, _ in text if n == "istio_requests_total"),
          "an istio_requests_total series without response_code")

    # ---- TCP: tcp-echo ----
    tdb = os.path.join(tmp, "t.db")
    run("scenarios/tcp-echo/traffic-shifting.yaml", tdb)
    tprom = os.path.join(tmp, "t.prom")
    export(tdb, "--prometheus-text", tprom)
    tcp = [s for s in samples(tprom) if s[0].startswith("istio_tcp_connections_")]
    (want_src,) = sqlite3.connect(tdb).execute(
        "SELECT sum(requests) FROM metrics WHERE request_protocol = 'tcp' AND reporter = 'source'").fetchone()
    check(want_src and want_src > 0, "tcp-echo recorded no tcp metrics rows")
    for family in ("istio_tcp_connections_opened_total", "istio_tcp_connections_closed_total"):
        got = sum(v for n, l, v, _ in tcp if n == family and l.get("reporter") == "source")
        check(got == want_src, f"{family}{{reporter=source}} total {got}, metrics table {want_src}")
    for n, l, _, _ in tcp:
        check("response_code" not in l and "grpc_response_status" not in l,
              f"{n} has HTTP-only labels: {sorted(l)}")
        check(l.get("request_protocol") == "tcp" and "response_flags" in l and "connection_security_policy" in l,
              f"{n} lacks TCP labels: {l}")

    # ---- retries: the Istio retries task ----
    rdb = os.path.join(tmp, "r.db")
    run("scenarios/istio-tasks/retries.yaml", rdb, "spec.record.spans=all")
    rprom = os.path.join(tmp, "r.prom")
    export(rdb, "--prometheus-text", rprom)
    retries = sum(v for n, _, v, _ in samples(rprom) if n == "envoy_cluster_upstream_rq_retry")
    (want_retries,) = sqlite3.connect(rdb).execute("SELECT count(*) FROM spans WHERE attempt > 1").fetchone()
    check(want_retries > 0, "the retries task stored no retry attempt")
    check(retries == want_retries, f"envoy_cluster_upstream_rq_retry total {retries}, stored retries {want_retries}")

    # ---- outlier detection: the gauge follows the events at every scrape ----
    odb = os.path.join(tmp, "o.db")
    run("scenarios/istio-tasks/outlier-detection.yaml", odb)
    oom = os.path.join(tmp, "o.om")
    export(odb, "--openmetrics", oom, "--epoch", "0", "--interval", "1s")
    gauge = {}
    for n, l, v, ts in samples(oom):
        if n == "envoy_cluster_outlier_detection_ejections_active":
            gauge[round(float(ts) * 1000)] = gauge.get(round(float(ts) * 1000), 0) + v
    events = sqlite3.connect(odb).execute(
        "SELECT t_ns, kind FROM events WHERE kind IN ('host_ejected', 'host_returned')").fetchall()
    check(any(k == "host_ejected" for _, k in events), "the outlier-detection task ejected no host")
    check(gauge and max(gauge.values()) >= 1, f"ejections_active never above 0: {sorted(gauge.items())[:5]}")
    for ms, value in gauge.items():
        want = sum(1 if k == "host_ejected" else -1 for t, k in events if t <= ms * 1_000_000)
        check(value == want, f"ejections_active at {ms} ms: {value}, events say {want}")

    # ---- canonical service on spans ----
    z = os.path.join(tmp, "b.json")
    export(db, "--traces", z, "--format", "zipkin")
    with open(z) as f:
        spans = json.load(f)
    by_node = {}
    for s in spans:
        by_node.setdefault(s["tags"]["node_id"], (s["tags"]["istio.canonical_service"],
                                                 s["tags"]["istio.canonical_revision"]))
    check(by_node.get("productpage-v1-0") == ("productpage", "v1"),
          f"productpage-v1-0 spans: canonical {by_node.get('productpage-v1-0')}, want (productpage, v1)")
    check(by_node.get("sleep-0") == ("sleep", "latest"),
          f"sleep-0 spans: canonical {by_node.get('sleep-0')}, want (sleep, latest): no version label")
    # The canonical-name labels win over app/version (copy of the scenario with them added).
    bk = os.path.join(tmp, "bookinfo")
    shutil.copytree(os.path.join(SRC, "scenarios/bookinfo"), bk)
    mf = os.path.join(bk, "manifests/bookinfo.yaml")
    with open(mf) as f:
        text_m = f.read()
    pod_labels = "      labels:\n        app: productpage\n        version: v1\n"
    check(pod_labels in text_m, "bookinfo.yaml: productpage's pod labels not where the test expects them")
    text_m = text_m.replace(pod_labels, pod_labels + "        service.istio.io/canonical-name: storefront\n"
                            "        service.istio.io/canonical-revision: r7\n", 1)
    with open(mf, "w") as f:
        f.write(text_m)
    cdb = os.path.join(tmp, "c.db")
    subprocess.run([BIN, "run", os.path.join(bk, "reviews-80-20.yaml"), "-o", cdb, "--set", "spec.duration=5s"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cz = os.path.join(tmp, "c.json")
    export(cdb, "--traces", cz, "--format", "zipkin")
    with open(cz) as f:
        cspans = json.load(f)
    tags = {(s["tags"]["istio.canonical_service"], s["tags"]["istio.canonical_revision"])
            for s in cspans if s["tags"]["node_id"] == "productpage-v1-0"}
    check(tags == {("storefront", "r7")}, f"with canonical-name labels: {tags}")

if failures:
    print("\n".join(f"FAIL: {m}" for m in failures[:40]))
    sys.exit(1)
print("ok")
