# The README's two commands: `make demo` and `make test`. Both install the Debian
# packages they need first (scripts/install-deps.sh, idempotent).
# `make install` (PREFIX, default /usr/local; DESTDIR for a staged install) and `make package`
# (the .deb) build what they install in the Release preset first (docs/install.md).
JOBS ?= $(shell nproc)
DEMO_SCENARIO ?= scenarios/bookinfo/reviews-80-20.yaml
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps release test demo bench asan fuzz fuzz-replay clean programs install package

all: release

deps:
	@./scripts/install-deps.sh

release: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

demo: release
	rm -f build/demo.db
	./build/release/cli/meshtwin run $(DEMO_SCENARIO) -o build/demo.db
	./build/release/cli/meshtwin report build/demo.db

# What is installed, built in the Release tree without the tests and benchmarks `release` also
# builds: the two programs and the man pages generated from their --help.
programs: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS) --target meshtwin meshtwin-viewer man_pages

# bin/meshtwin and bin/meshtwin-viewer, share/meshtwin (scenarios, Istio samples), man pages
# and docs under $(DESTDIR)$(PREFIX). build/release/install_manifest.txt lists what was written.
install: programs
	DESTDIR="$(DESTDIR)" cmake --install build/release --prefix "$(PREFIX)"

# build/release/meshtwin_VERSION_ARCH.deb (CPack, cmake/install.cmake), installable with
# `apt install ./build/release/meshtwin_VERSION_ARCH.deb`.
package: programs
	cd build/release && cpack

test: deps
	cmake --preset test
	cmake --build --preset test -j $(JOBS)
	ctest --preset test

# One table of every figure docs/performance.md quotes, from one run (wall-clock rates), with
# ns-3's schedulers beside the hold model (libns3-dev, installed by install-deps.sh --bench).
bench: deps
	./scripts/install-deps.sh --bench
	cmake --preset release -DMESHTWIN_NS3_BENCH=ON
	cmake --build --preset release -j $(JOBS)
	python3 scripts/bench-table.py build/release --sim-cpu all

# ASAN_CONFIGURE_ARGS: extra cmake -D options; ASAN_CTEST_ARGS: extra ctest options (CI
# leaves the viewer and the install label out, .ci/run says why).
ASAN_CONFIGURE_ARGS ?=
ASAN_CTEST_ARGS ?=
asan: deps
	cmake --preset asan $(ASAN_CONFIGURE_ARGS)
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan $(ASAN_CTEST_ARGS)

# libFuzzer (clang): `make fuzz` explores (FUZZ_RUNS executions per target, 10 M in all by
# default) in the throughput build and re-runs what it kept under ASan+UBSan (fuzz/README.md);
# `make fuzz-replay` is CI's deterministic replay of the checked-in corpora under ASan+UBSan.
FUZZ_RUNS ?= 2500000
fuzz: deps
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	cmake --preset fuzz-explore
	cmake --build --preset fuzz-explore -j $(JOBS)
	fuzz/run.sh explore $(FUZZ_RUNS)

fuzz-replay: deps
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	fuzz/run.sh replay

clean:
	rm -rf build
