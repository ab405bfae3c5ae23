# The README's two commands: `make demo` and `make test`. Both install the Debian
# packages they need first (scripts/install-deps.sh, idempotent).
JOBS ?= $(shell nproc)
DEMO_SCENARIO ?= scenarios/bookinfo/reviews-80-20.yaml

.PHONY: all deps release test demo bench asan clean

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

test: deps
	cmake --preset test
	cmake --build --preset test -j $(JOBS)
	ctest --preset test

# One table of every figure docs/performance.md quotes, from one run (wall-clock rates).
bench: release
	python3 scripts/bench-table.py build/release

asan: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan

clean:
	rm -rf build
