# l1net — the two commands a new user needs are `make demo` and `make test`.
PRESET ?= default
BUILD  := build/$(PRESET)
JOBS   ?= $(shell nproc)

.PHONY: all deps configure build test unit integration asan fuzz demo bench format tidy clean install \
        image plan status kube-lane kube-lane-if-root

all: build

# Everything the tests, benchmarks and demo need. Each requirement is looked for directly; what is
# missing is installed with apt-get where dpkg/apt-get exist, and listed otherwise.
deps:
	@bash scripts/install-deps.sh

# Building needs only the compiler, CMake, Ninja and the libraries, wherever they come from.
configure:
	@bash scripts/install-deps.sh --build
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) -j $(JOBS)

# Unit and integration tests; integration tests need root and say so when skipped. Then the
# libFuzzer smoke runs (clang build of the pure parsers, ~20 s per parser from fuzz/corpus/).
test: deps
	@$(MAKE) --no-print-directory build
	@ctest --preset $(PRESET) -j $(JOBS) --timeout 300
	@$(MAKE) --no-print-directory kube-lane-if-root
	@$(MAKE) --no-print-directory fuzz

# libFuzzer smoke run of every parser of untrusted bytes (ctest label "fuzz", preset "fuzz").
# FUZZ_SECONDS=600 make fuzz for a longer run.
FUZZ_SECONDS ?= 20
fuzz:
	@cmake --preset fuzz -DL1NET_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@ctest --preset fuzz -j $(JOBS)

# The real-kube-apiserver lane: Debian's kube-apiserver 1.20.2 (built once per machine by
# scripts/kube-apiserver.sh, ~4 min, cached in /var/cache/l1net) and etcd on loopback: two
# controllers in Kubernetes mode driven with kubectl (45 s - 2.5 min), then a controller and a
# speaker answering a real ARP client in network namespaces (~1 min, root). `make test` runs it
# when root (the first run on a new machine builds the binary and installs etcd-server and Go).
KUBE_LANE = for t in tests/kube/*_test.sh; do \
	  echo "== kube-lane: $$t"; bash "$$t" $(BUILD) || [ $$? -eq 77 ] || exit 1; done
kube-lane: deps
	@$(MAKE) --no-print-directory build
	@$(KUBE_LANE)

kube-lane-if-root:
	@if [ "$$(id -u)" -eq 0 ]; then \
	  $(KUBE_LANE); \
	else \
	  echo "kube-lane skipped: not root (scripts/kube-apiserver.sh installs packages on first use)"; \
	fi

unit: build
	@ctest --preset $(PRESET) -j $(JOBS) -L unit

integration: deps
	@$(MAKE) --no-print-directory build
	@ctest --preset $(PRESET) -L integration --timeout 300

# Unit tests under ASan + UBSan.
asan:
	@$(MAKE) --no-print-directory PRESET=asan build
	@ctest --preset asan -j $(JOBS)

# The whole suite on a LAN of network namespaces (root). ARGS=--ci: no prompts.
demo:
	@if [ "$$(id -u)" -ne 0 ]; then \
	  echo "make demo needs root: it creates network namespaces and opens raw sockets (sudo make demo)." >&2; \
	  exit 1; fi
	@$(MAKE) --no-print-directory deps build
	@bash scripts/demo.sh $(ARGS) $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory build
	@for b in $(BUILD)/bench/*/*_bench; do if [ -x "$$b" ]; then "$$b" || exit 1; fi; done

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

tidy: configure
	@git ls-files '*.cpp' | grep -v '^tests/' | xargs clang-tidy -p $(BUILD) --quiet

# Install binaries, systemd units, sysusers file and example /etc/l1net/ configuration.
# DESTDIR and PREFIX are honoured: make install DESTDIR=/tmp/stage PREFIX=/usr
PREFIX ?= /usr/local
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix $(PREFIX)

# OCI image from scratch with buildah (no container engine): $(BUILD)/image/l1net-<version>.oci.tar
image: deps
	@$(MAKE) --no-print-directory build
	@bash scripts/build-image.sh $(BUILD) $(BUILD)/image/

# The L1 platform (platform/Makefile): make deploy-all, deploy-<svc>, uninstall-<svc>, status, plan.
plan status:
	@$(MAKE) --no-print-directory -C platform $@
deploy-% uninstall-% karpenter-%:
	@$(MAKE) --no-print-directory -C platform $@

clean:
	@rm -rf build
