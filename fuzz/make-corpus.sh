#!/usr/bin/env bash
# Regenerates the seed corpora under fuzz/corpus/<target> from what the repository already has:
# the bundled manifests and scenarios, Istio's samples, the YAML the unit and CLI tests feed in
# (good and bad), single cases cut from the conformance corpora, and small results files made
# by the CLI. Files are named by content hash, so reruns add nothing twice. Findings of `make
# fuzz` are added by hand (fuzz/corpus/<target>/finding-*), with their fix.
# Usage: fuzz/make-corpus.sh MESHTWIN_BINARY   (a meshtwin built from this tree; needs sqlite3
# and python3-yaml, a developer's tool only: CI replays the checked-in files)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "$1")
C=fuzz/corpus
mkdir -p $C/manifest $C/scenario $C/conformance $C/results
add() {  # DIR FILE [MAX]: copy under its hash, if at most MAX bytes (small seeds mutate faster)
  local size; size=$(stat -c %s "$2")
  [ "$size" -gt 0 ] && [ "$size" -le "${3:-16384}" ] || return 0
  cp "$2" "$1/$(sha1sum "$2" | cut -c1-16)"
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Manifests: bundled, Istio's samples, and every raw-string or heredoc YAML in the tests.
for f in scenarios/*/manifests/*.yaml third_party/istio-samples/*/*.yaml third_party/istio-samples/*/*/*.yaml; do
  [ -f "$f" ] && add $C/manifest "$f"
done
python3 - "$tmp/snippets" <<'PY'
import pathlib, re, sys
out = pathlib.Path(sys.argv[1]); out.mkdir()
n = 0
def emit(text):
    global n
    if "kind:" in text or "apiVersion" in text or "spec:" in text:
        (out / f"s{n}.yaml").write_text(text); n += 1
for p in pathlib.Path("tests").rglob("*.cc"):
    src = p.read_text(errors="replace")
    for m in re.finditer(r'R"(\w*)\((.*?)\)\1"', src, re.S):
        emit(m.group(2))
for p in list(pathlib.Path("tests").rglob("*.sh")):
    src = p.read_text(errors="replace")
    for m in re.finditer(r"<<-?\s*'?(\w+)'?\n(.*?)\n\1\n", src, re.S):
        emit(m.group(2))
PY
for f in "$tmp"/snippets/*.yaml; do
  if grep -q "kind: Scenario" "$f"; then add $C/scenario "$f"; else add $C/manifest "$f"; fi
done

# Scenarios: the bundled ones, plus a few with --set overrides (see fuzz_scenario.cc).
for f in scenarios/*/*.yaml; do add $C/scenario "$f"; done
s=scenarios/bookinfo/reviews-80-20.yaml
for set in 'spec.clients[0].rate.poisson=50' 'spec.seed=7' 'spec.duration=90s' \
           'spec.clients[0].rate.poisson=1e400' 'spec.record.requests=none' 'spec.clients[5].name=x'; do
  { echo "#set $set"; cat "$s"; } >"$tmp/set.yaml"; add $C/scenario "$tmp/set.yaml"
done

# Conformance: one case per category (plus the file header), from each corpus.
python3 - "$tmp/cases" tests/data/conformance/cases.yaml tests/data/conformance/extra/*-cases.yaml <<'PY'
import pathlib, sys, yaml
out = pathlib.Path(sys.argv[1]); out.mkdir()
n = 0
for path in sys.argv[2:]:
    doc = yaml.safe_load(open(path))
    seen = set()
    for case in doc.get("cases", []):
        key = (case.get("category"), case.get("kind"))
        if key in seen: continue
        seen.add(key)
        one = {k: v for k, v in doc.items() if k != "cases"}
        one["cases"] = [case]
        (out / f"c{n}.yaml").write_text(yaml.safe_dump(one, sort_keys=False)); n += 1
PY
for f in "$tmp"/cases/*.yaml; do add $C/conformance "$f"; done
add $C/conformance tests/data/conformance/expected-failures.txt

# Results: tiny runs written by the CLI, repacked with 512-byte pages so they stay small.
for s in bookinfo/reviews-80-20 bookinfo/kill-ratings tcp-echo/traffic-shifting; do
  db=$tmp/$(basename $s).db
  "$BIN" run scenarios/$s.yaml -o "$db" --duration 200ms -q >/dev/null
  sqlite3 "$db" "PRAGMA page_size = 512; VACUUM;"
  add $C/results "$db" 65536
  cp "$db" "$tmp/kill.db"; sqlite3 "$tmp/kill.db" "UPDATE run_rows SET status = 'running'; VACUUM;"
  add $C/results "$tmp/kill.db" 65536
done
for d in $C/*; do echo "$d: $(ls "$d" | wc -l) files, $(du -sk "$d" | cut -f1) KiB"; done
