# l1net — the two commands a new user needs are `make demo` and `make test`.
PRESET ?= default
BUILD  := build/$(PRESET)
JOBS   ?= $(shell nproc)

.PHONY: all deps configure build test unit integration asan demo bench format tidy clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) -j $(JOBS)

# Unit and integration tests; integration tests need root and say so when skipped.
test: build
	@ctest --preset $(PRESET) -j $(JOBS) --timeout 300

unit: build
	@ctest --preset $(PRESET) -j $(JOBS) -L unit

integration: build
	@ctest --preset $(PRESET) -L integration --timeout 300

# Unit tests under ASan + UBSan.
asan:
	@$(MAKE) --no-print-directory PRESET=asan build
	@ctest --preset asan -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)

bench: build
	@for b in $(BUILD)/bench/*/*_bench; do if [ -x "$$b" ]; then "$$b" || exit 1; fi; done

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

tidy: configure
	@git ls-files '*.cpp' | grep -v '^tests/' | xargs clang-tidy -p $(BUILD) --quiet

clean:
	@rm -rf build
