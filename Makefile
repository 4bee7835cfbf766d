# kvenv — build, test and demo. `make` builds; `make demo` and `make test` set
# up everything else they need on a fresh machine with Go (Debian packages,
# then the real Kubernetes components built from the Go module proxy into a
# cache).

GO        ?= go
# Tests that need the real API server find its binaries (built once by
# `make tools`) here, and fail rather than skip without them.
CLUSTER_ENV = KVENV_REQUIRE_CLUSTER=1 KVENV_TOOLS_BIN=$$(hack/build-tools.sh apiserver 2>/dev/null)
BIN       := bin
LDFLAGS   := -s -w
export CGO_ENABLED := 0

.PHONY: all build unit test deps tools cluster-tools vet fuzz bench demo clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

## unit: the inner loop — every test that needs no built cluster component.
## Go's test cache cannot see what a test reads only through a subprocess:
## the manifests tests render the chart with helm even under -short, so they
## always run; every other package stays cacheable.
SUBPROCESS_INPUT_PKGS := github.com/kvenv/kvenv/manifests
unit:
	$(GO) test -short $$($(GO) list ./... | grep -vxF $(addprefix -e ,$(SUBPROCESS_INPUT_PKGS)))
	$(GO) test -short -count=1 $(SUBPROCESS_INPUT_PKGS)

deps:
	hack/install-deps.sh

## tools: kube-apiserver, etcd and Helm, built once into the cache (keyed by
## what is built: hack/build-tools.sh).
tools: deps
	hack/build-tools.sh apiserver helm

## cluster-tools: everything a real single-node cluster needs (e2e, demo).
cluster-tools: deps
	hack/build-tools.sh cluster

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

## test: every test, on real components; a missing component fails, never skips.
## -count=1: the e2e and manifests tests reach the code under test through
## binaries they build and helm, which Go's test cache cannot see; a cached
## "ok" could hide a change.
test: tools cluster-tools vet build
	$(CLUSTER_ENV) \
		$(GO) test -count=1 -timeout 45m ./...
	hack/fuzz.sh 10000x ./webhook/

fuzz:
	hack/fuzz.sh 60s

## bench: every benchmark (docs/benchmarks.md), one package at a time so they
## do not compete for the CPUs, BENCH_COUNT runs each; the raw output goes to
## bin/bench.out, then a table of medians and the budgets' verdicts. The e2e
## packages hold no benchmarks (their TestMain would build a cluster's images).
BENCH_COUNT ?= 3
BENCH_PKGS  ?= ./webhook/... ./injector/... ./hack/bench/...
bench: tools
	@mkdir -p $(BIN)
	$(CLUSTER_ENV) \
		$(GO) test -p 1 -timeout 60m -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) $(BENCH_PKGS) 2>&1 | tee $(BIN)/bench.out
	$(GO) run ./hack/bench/table < $(BIN)/bench.out

demo: cluster-tools tools build
	$(GO) run ./e2e/cmd/kvenv-demo

clean:
	rm -rf $(BIN)
