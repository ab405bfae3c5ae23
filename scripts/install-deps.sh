#!/usr/bin/env bash
# Installs exactly the Debian 12 packages meshtwin builds and tests with (docs/design.md §5).
# Idempotent: does nothing when every package is already installed.
set -euo pipefail
# libqt6opengl6-dev: Qt6Charts' CMake package requires Qt6OpenGL's, which
# qt6-charts-dev does not depend on.
# python3: scripts/bench-table.py (`make bench`) assembles the benchmarks' JSON into one table.
# help2man: the man pages are generated from --help at build time (cmake/man_pages.cmake).
# dpkg-dev, file: `make package` builds a .deb whose Depends dpkg-shlibdeps works out, on the
# ELF files CPack finds with `file` (cmake/install.cmake).
# graphviz: `meshtwin graph` prints DOT; `meshtwin graph ... | dot -Tsvg` is the documented way
# to draw it, and a test renders the Bookinfo graph through dot.
# nlohmann-json3-dev: the --format json outputs (report, lint, check, diff, conformance,
# explain) are built with a maintained JSON library rather than hand-built strings.
# libxxhash-dev: XXH64, the hash Envoy's ring-hash/Maglev load balancers use, instead of a
# hand-written copy (the test vectors pin Envoy's values).
# python3-jsonschema, python3-yaml: ctest validates each command's real JSON (and lint's YAML)
# output against its schema under docs/schemas/.
# Boost.Math (normal quantile) is header-only and comes with libboost-dev.
# clang-14 + libclang-rt-14-dev: the libFuzzer targets (fuzz/, the `fuzz` preset, CI's corpus
# replay). -fsanitize=fuzzer links the libFuzzer runtime from libclang-rt-14-dev, which clang-14
# only recommends; libfuzzer-14-dev (the standalone libFuzzer.a) is not needed for that.
# prometheus: ships promtool, which the export tests run on `meshtwin export` output
# (`promtool check metrics` on the text exposition; `promtool tsdb create-blocks-from
# openmetrics` and `promtool tsdb dump` to read the backfilled blocks back), so the files are
# checked by the tool users load them with, not by a parser of our own (docs/export.md).
# (python3-jsonschema, above, also validates the trace export's Zipkin v2 JSON.)
# libboost-locale-dev: `explain`/`trace --lang zh-CN` translate through Boost.Locale's
# gettext-style catalogues, which need no generated system locale (cli/i18n.h).
# libjemalloc-dev: the allocator meshtwin and the mesh benchmarks link (engine/allocator/):
# its extents can be backed by transparent huge pages, which cut setup and the per-hop cost of
# large meshes where page faults are expensive (docs/performance.md, "Page faults and the
# allocator").
# gettext: msgfmt compiles the .po catalogues under i18n/ into the .mo files the binary loads.
PACKAGES=(
  g++ cmake ninja-build make pkg-config ccache
  libboost-dev libboost-graph-dev libboost-random-dev
  libyaml-cpp-dev libre2-dev libsqlite3-dev sqlite3
  qt6-base-dev libqt6opengl6-dev qt6-charts-dev qt6-qpa-plugins fonts-dejavu-core
  libgtest-dev libgmock-dev libcli11-dev libbenchmark-dev libfmt-dev
  python3
  help2man dpkg-dev file graphviz
  nlohmann-json3-dev libxxhash-dev python3-jsonschema python3-yaml
  clang-14 libclang-rt-14-dev
  prometheus
  libboost-locale-dev gettext
  libjemalloc-dev
)
# --bench (`make bench`) adds what the benchmarks compare and count with: libns3-dev, ns-3's
# event schedulers, the peer the hold model is measured against (bench/ns3, docs/performance.md);
# valgrind, whose callgrind counts instructions per event (scripts/callgrind-hold.sh) where
# wall-clock figures are disturbed by a busy machine. Neither is needed to build or test.
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(libns3-dev valgrind)
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
